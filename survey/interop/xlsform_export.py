"""A questionnaire of this platform -> an XLSForm workbook (for ODK Collect / KoboCollect).

Sections become groups, question types their XLSForm types, min/max and constraints become
XPath constraints, relevance XPath relevance; labels, hints and messages get Chinese and English
columns (label::Chinese (zh), label::English (en)). A yes/no question becomes a select_one with
yes/no, a matrix one select_one per row in a table-list group (named question__row). pyxform
converts the result without errors (checked by the tests and by `check()` below).
"""

from __future__ import annotations

import ast
import io

from survey.questionnaire import Questionnaire
from survey.questionnaire.model import Question, Text

ZH, EN = "Chinese (zh)", "English (en)"
SURVEY_COLUMNS = ("type", "name", f"label::{ZH}", f"label::{EN}", f"hint::{ZH}", f"hint::{EN}",
                  "required", "relevant", "constraint", f"constraint_message::{ZH}",
                  f"constraint_message::{EN}", "appearance")
CHOICE_COLUMNS = ("list_name", "name", f"label::{ZH}", f"label::{EN}")
YES_NO = "yes_no"


def to_xlsform(qn: Questionnaire) -> bytes:
    """The XLSForm workbook (.xlsx bytes) of a questionnaire."""
    from openpyxl import Workbook
    survey, choices = _rows(qn)
    workbook = Workbook(write_only=True)
    _fill(workbook.create_sheet("survey"), SURVEY_COLUMNS, survey)
    _fill(workbook.create_sheet("choices"), CHOICE_COLUMNS, choices)
    settings = workbook.create_sheet("settings")
    _fill(settings, ("form_title", "form_id", "version", "default_language"),
          [{"form_title": qn.title.zh, "form_id": qn.id, "version": str(qn.version),
            "default_language": ZH}])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def check(data: bytes) -> list[str]:
    """pyxform's conversion of the workbook: [] when it converts, else the error."""
    from pyxform import xls2xform
    from pyxform.errors import PyXFormError
    try:
        xls2xform.convert(xlsform=io.BytesIO(data), file_type=".xlsx", warnings=[])
    except PyXFormError as exc:
        return [str(exc)]
    return []


def _fill(sheet, columns, rows) -> None:
    sheet.append(list(columns))
    for row in rows:
        # data_type "s": labels are text even when they start with "=" (never a formula)
        sheet.append([_text_cell(sheet, row.get(c)) for c in columns])


def _text_cell(sheet, value):
    if value is None or value == "":
        return None
    from openpyxl.cell import WriteOnlyCell
    cell = WriteOnlyCell(sheet, value=str(value))
    cell.data_type = "s"
    return cell


def _texts(prefix: str, text: Text | None) -> dict:
    if text is None:
        return {}
    return {f"{prefix}::{ZH}": text.zh, f"{prefix}::{EN}": text.en or None}


def _rows(qn: Questionnaire) -> tuple[list[dict], list[dict]]:
    types = {q.id: q.type for q in qn.questions}
    survey: list[dict] = []
    lists: dict[str, list[dict]] = {}
    for section in qn.sections:
        # XLSForm names are one namespace: a section named like a question gets a suffix
        name = section.id + "_section" if section.id in types else section.id
        survey.append({"type": "begin_group", "name": name, **_texts("label", section.title)})
        for q in section.questions:
            survey.extend(_question(q, types, lists))
        survey.append({"type": "end_group", "name": name})
    choices = [row for rows in lists.values() for row in rows]
    return survey, choices


def _question(q: Question, types: dict, lists: dict) -> list[dict]:
    label = q.label
    if q.unit is not None:
        label = Text(f"{q.label.zh}({q.unit.zh})",
                     f"{q.label.en} ({q.unit.en or q.unit.zh})" if q.label.en else "")
    row = {"name": q.id, **_texts("label", label), **_texts("hint", q.hint),
           "required": "yes" if q.required else None,
           "relevant": to_xpath(q.relevant.text, types) if q.relevant else None}
    constraint = _constraint(q, types)
    if constraint:
        row["constraint"] = constraint
        row.update(_texts("constraint_message", q.constraint_message))
    if q.type in ("integer", "decimal", "date"):
        return [{**row, "type": q.type}]
    if q.type in ("short_text", "long_text"):
        return [{**row, "type": "text", "appearance": "multiline" if q.type == "long_text"
                 else None}]
    if q.type == "yes_no":
        lists[YES_NO] = [{"list_name": YES_NO, "name": "yes", f"label::{ZH}": "是",
                          f"label::{EN}": "Yes"},
                         {"list_name": YES_NO, "name": "no", f"label::{ZH}": "否",
                          f"label::{EN}": "No"}]
        return [{**row, "type": f"select_one {YES_NO}"}]
    list_name = _choice_list(q, lists)
    # other: true -> a text question asked when the last choice is picked (what pyxform's
    # or_other makes, with this list's own code); the importer turns it back into `other`
    other = [{"type": "text", "name": f"{q.id}_other", f"label::{ZH}": "请注明",
              f"label::{EN}": "Please specify", "required": "yes",
              "relevant": f"selected(${{{q.id}}}, '{q.other_code}')"}] if q.other else []
    if q.type == "multiple_choice":
        return [{**row, "type": f"select_multiple {list_name}"}] + other
    if q.type in ("single_choice", "likert"):
        return [{**row, "type": f"select_one {list_name}",
                 "appearance": "likert" if q.type == "likert" else None}] + other
    # matrix: one select_one per row, in a table-list group
    out = [{"type": "begin_group", "name": q.id, **_texts("label", q.label),
            "relevant": row["relevant"], "appearance": "table-list"}]
    for matrix_row in q.rows:
        out.append({"type": f"select_one {list_name}", "name": f"{q.id}__{matrix_row.id}",
                    **_texts("label", matrix_row.label),
                    "required": "yes" if q.required else None})
    out.append({"type": "end_group", "name": q.id})
    return out


def _choice_list(q: Question, lists: dict) -> str:
    rows = [{"name": c.value, **_texts("label", c.label)} for c in q.choices]
    for name, existing in lists.items():
        if [{k: v for k, v in r.items() if k != "list_name"} for r in existing] == rows:
            return name
    name = q.id
    lists[name] = [{"list_name": name, **r} for r in rows]
    return name


def _constraint(q: Question, types: dict) -> str | None:
    parts = []
    if q.min is not None:
        parts.append(f". >= {_number(q.min)}")
    if q.max is not None:
        parts.append(f". <= {_number(q.max)}")
    if q.constraint is not None:
        parts.append(to_xpath(q.constraint.text, types, self_id=q.id))
    return " and ".join(f"({p})" if " or " in p else p for p in parts) or None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "div", ast.Mod: "mod",
        ast.Eq: "=", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def to_xpath(text: str, types: dict, self_id: str | None = None) -> str:
    """One of our expressions as XLSForm XPath (${name}, =, div, selected(), ...)."""
    def emit(node) -> str:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool):
                return "true()" if node.value else "false()"
            if isinstance(node.value, str):
                return "'" + node.value.replace("'", "") + "'"
            return repr(node.value)
        if isinstance(node, ast.Name):
            if node.id in ("True", "False"):
                return node.id.lower() + "()"
            ref = "." if node.id == self_id else f"${{{node.id}}}"
            return f"({ref} = 'yes')" if types.get(node.id) == "yes_no" else ref
        if isinstance(node, ast.BoolOp):
            joiner = " and " if isinstance(node.op, ast.And) else " or "
            return "(" + joiner.join(emit(v) for v in node.values) + ")"
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Not):
                return f"not({emit(node.operand)})"
            return ("-" if isinstance(node.op, ast.USub) else "") + emit(node.operand)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.FloorDiv):
                return f"floor({emit(node.left)} div {emit(node.right)})"
            if isinstance(node.op, ast.Pow):
                return f"pow({emit(node.left)}, {emit(node.right)})"
            return f"({emit(node.left)} {_OPS[type(node.op)]} {emit(node.right)})"
        if isinstance(node, ast.Compare):
            parts, left = [], node.left
            for op, right in zip(node.ops, node.comparators):
                parts.append(f"{emit(left)} {_OPS[type(op)]} {emit(right)}")
                left = right
            return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"
        if isinstance(node, ast.Call):
            func, args = node.func.id, node.args
            target = "." if args[0].id == self_id else f"${{{args[0].id}}}"
            if func == "selected":
                return f"selected({target}, {emit(args[1])})"
            if func == "count_selected":
                return f"count-selected({target})"
            return f"({target} != '')"  # answered()
        raise ValueError(f"cannot write {type(node).__name__} as XPath")
    out = emit(ast.parse(text, mode="eval").body)
    return out[1:-1] if out.startswith("(") and _balanced(out[1:-1]) else out


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0
