"""XLSForm (ODK / KoboToolbox) -> a questionnaire YAML file of this platform.

The workbook is read by pyxform, the XLSForm reference parser (.xlsx, .xls, and the CSV and
markdown forms it accepts): it resolves column aliases, languages, or_other, choice lists and
reports malformed forms. We walk its result, map each item to a question type here, and report
every item that cannot map as `FILE:sheet:row: what, and what to do` (zh and en). The YAML is then
validated like any questionnaire, so what comes out can be published as is.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from survey.interop import zip_limits
from survey.interop.issues import Issue
from survey.interop.xpath import Translator, Untranslatable, min_max_from_constraint
from survey.questionnaire import Problem, Questionnaire, parse_text

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv", ".md")
_WHOLE = re.compile(r"[1-9]\d{0,8}|0")  # a choice name written as a whole number: value: 1
_MAX_VERSION = 2_147_483_647

# XLSForm types (as pyxform names them) -> why they cannot map, and what to do instead.
_GEO = ("location questions are not supported; ask for the place as text or leave it out",
        "不支持定位题;请改为文字填写地点,或删除此题")
_MEDIA = ("photos, audio, video and files are not collected here; leave it out",
          "本平台不收集照片、音视频和文件;请删除此题")
_TIME = ("only dates are supported; use a date question, or a number of hours",
         "只支持日期;请改为日期题,或改为小时数")
_EXTERNAL = ("choices from an external file are not supported; put the choices on the choices "
             "sheet", "不支持外部文件中的选项;请把选项写入 choices 工作表")
_IDENTIFYING = ("no names, phone numbers or device ids are collected (respondents are "
                "anonymous); leave it out", "为保护匿名,不收集姓名、电话或设备号;请删除此题")
_UNSUPPORTED = {
    "geopoint": _GEO, "gps": _GEO, "geotrace": _GEO, "geoshape": _GEO, "start-geopoint": _GEO,
    "photo": _MEDIA, "image": _MEDIA, "audio": _MEDIA, "video": _MEDIA, "file": _MEDIA,
    "background-audio": _MEDIA, "signature": _MEDIA,
    "time": _TIME, "dateTime": _TIME, "datetime": _TIME,
    "select one external": _EXTERNAL, "select one from file": _EXTERNAL,
    "select all that apply from file": _EXTERNAL, "xml-external": _EXTERNAL,
    "csv-external": _EXTERNAL, "osm": _EXTERNAL,
    "phone number": _IDENTIFYING, "phonenumber": _IDENTIFYING, "deviceid": _IDENTIFYING,
    "subscriberid": _IDENTIFYING, "simserial": _IDENTIFYING, "username": _IDENTIFYING,
    "email": _IDENTIFYING, "uri:deviceid": _IDENTIFYING, "uri:subscriberid": _IDENTIFYING,
    "uri:simserial": _IDENTIFYING, "uri:phonenumber": _IDENTIFYING, "uri:username": _IDENTIFYING,
    "uri:email": _IDENTIFYING, "barcode": ("barcodes are not supported; use a text question",
                                           "不支持扫码题;请改为文字题"),
}
# Recorded by the platform itself for every submission (submitted_at, duration_s).
_AUTOMATIC = {"start", "end", "today", "audit"}
_TYPES = {"integer": "integer", "int": "integer", "decimal": "decimal", "text": "short_text",
          "string": "short_text", "date": "date", "select one": "single_choice",
          "select all that apply": "multiple_choice", "range": "decimal"}
_TRUE = {"yes", "true", "true()", "1"}


@dataclass
class ImportResult:
    source: str
    yaml_text: str | None = None
    questionnaire: Questionnaire | None = None
    issues: list[Issue] = field(default_factory=list)
    # validation of the produced YAML (its file:line); also in `issues` at the XLSForm's rows
    problems: list[Problem] = field(default_factory=list)
    imported: int = 0  # questions in the questionnaire

    @property
    def clean(self) -> bool:
        """Everything mapped: nothing skipped or changed (notes are information only)."""
        return self.questionnaire is not None and not self.lost

    @property
    def lost(self) -> list[Issue]:
        return [i for i in self.issues if i.kind != "note"]


def import_xlsform(source: str | Path | bytes, name: str | None = None,
                   period: str = "month", opens: dt.date | None = None,
                   closes: dt.date | None = None) -> ImportResult:
    """Read an XLSForm (a path, or the bytes of an upload with its file `name`). `period` is
    the questionnaire's (survey.periods); a one-off survey (`once`) is open from `opens` to
    `closes`."""
    from pyxform.errors import PyXFormError
    from pyxform.xls2json_backends import get_xlsform

    if isinstance(source, (str, Path)):
        path = Path(source)
        name = name or path.name
        data = path.read_bytes()
    else:
        data = source
    name = name or "form.xlsx"
    result = ImportResult(name)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        result.issues.append(Issue(name, "-", None,
                                   f"'{suffix or name}' is not an XLSForm file; use .xlsx, .xls, "
                                   ".csv or .md", f"“{suffix or name}”不是 XLSForm 文件;请使用 "
                                   ".xlsx、.xls、.csv 或 .md 文件"))
        return result
    refused = zip_limits.too_large(data, name)
    if refused:
        result.issues.append(refused)
        return result
    raw = None
    try:
        workbook = get_xlsform(io.BytesIO(data), file_type=suffix)
        raw = copy.deepcopy(workbook)
        form, warnings = _parse(workbook, Path(name).stem)
    except PyXFormError as exc:
        result.issues.append(_pyxform_issue(name, str(exc), raw))
        return result
    except Exception as exc:  # noqa: BLE001 - a corrupt file: report it, never crash the page
        result.issues.append(Issue(name, "-", None, f"the file cannot be read as an XLSForm "
                                   f"({type(exc).__name__}: {exc}); open it in Excel, save it "
                                   "again as .xlsx and retry",
                                   f"无法按 XLSForm 读取该文件({type(exc).__name__}: {exc});"
                                   "请用 Excel 打开后另存为 .xlsx 再试"))
        return result
    _Mapper(result, raw, form, (period, opens, closes)).run()
    return result


def _parse(workbook, stem: str):
    """pyxform's own conversion: the JSON form, and the builder's checks (references...)."""
    from pyxform.builder import create_survey_element_from_dict
    from pyxform.xls2json import workbook_to_json
    warnings: list[str] = []
    form = workbook_to_json(workbook_dict=workbook, form_name="data", fallback_form_name=stem,
                            warnings=warnings)
    # pyxform's own checks; validate=False: ODK Validate is an external Java program
    create_survey_element_from_dict(copy.deepcopy(form)).to_xml(validate=False,
                                                                 warnings=warnings)
    return form, warnings


def _pyxform_issue(name: str, message: str, raw=None) -> Issue:
    row = re.search(r"\[row ?: ?(\d+)\]", message)
    sheet = re.search(r"'(survey|choices|settings|external_choices|entities)' sheet", message)
    text = re.sub(r"\s*Learn more: \S+", "", message).strip()
    line = int(row[1]) if row else _row_quoted(message, raw)
    return Issue(name, sheet[1] if sheet else "survey", line,
                 f"pyxform refuses the form: {text}; fix it in the XLSForm and import again",
                 f"XLSForm 解析器拒绝该表单:{text};请在 XLSForm 中修改后重新导入")


def _row_quoted(message: str, raw) -> int | None:
    """A message without a row ("Unknown question type 'textX'."): the survey row holding
    the quoted value."""
    for quoted in re.findall(r"'([^']+)'", message):
        for i, row in enumerate((raw.survey or []) if raw else []):
            if any(str(v).strip() == quoted for v in row.values()):
                return i + 2
    return None


def make_id(name: str, taken: set[str], fallback: str = "q") -> str:
    """An XLSForm name as an id here: lower case letters, digits and _, unique."""
    from survey.questionnaire.validate import ID_PATTERN, RESERVED_IDS
    base = re.sub(r"[^a-z0-9_]+", "_", str(name).strip().lower()).strip("_")[:60] or fallback
    if not base[0].isalpha():
        base = f"{fallback}_{base}"
    if base in RESERVED_IDS:
        base += "_q"
    candidate, n = base, 2
    while candidate in taken or not ID_PATTERN.match(candidate):
        candidate = f"{base[:58]}_{n}"
        n += 1
    taken.add(candidate)
    return candidate


_ZH = re.compile(r"(?i)chinese|中文|汉语|普通话|\(zh|^zh$|^zh[-_]")
_EN = re.compile(r"(?i)english|英文|英语|\(en\)|^en$|^en[-_]")


class _Languages:
    """Which of the form's languages become zh and en here."""

    def __init__(self, form: dict):
        found: list[str] = []

        def walk(node):
            for key in ("label", "hint"):
                if isinstance(node.get(key), dict):
                    found.extend(k for k in node[key] if k not in found)
            choices = node.get("choices")
            for child in node.get("children", []) + (choices if isinstance(choices, list) else []):
                if isinstance(child, dict):
                    walk(child)
        walk(form)
        self.all = found
        self.zh = [lang for lang in found if _ZH.search(lang)]
        self.en = [lang for lang in found if _EN.search(lang)]
        self.other = [lang for lang in found if lang not in self.zh + self.en + ["default"]]

    originals: dict[str, str] = {}  # pyxform's text with ASCII quotes -> the cell as typed

    def text(self, value) -> dict | str | None:
        if value is None or value == "":
            return None
        if isinstance(value, dict):
            value = {k: self.originals.get(v, v) if isinstance(v, str) else v
                     for k, v in value.items()}
        else:
            value = self.originals.get(str(value), value)
        if not isinstance(value, dict):
            return str(value).strip() or None
        pick = [value.get(k) for k in self.zh + ["default"] + self.en + self.other]
        zh = next((str(v).strip() for v in pick if v and str(v).strip()), None)
        en = next((str(value[k]).strip() for k in self.en if value.get(k)), None)
        if en is None and self.zh and value.get("default"):
            en = str(value["default"]).strip()
        if zh is None:
            return None
        return {"zh": zh, "en": en} if en and en != zh else zh


# or_other's choice, which pyxform labels "Other" in every language: on a Chinese form it read
# "Other" above its text box
_OTHER_LABEL = {"zh": "其他(请注明)", "en": "Other (please specify)"}


class _Mapper:
    def __init__(self, result: ImportResult, raw, form: dict, period: tuple):
        self.result = result
        self.file = result.source
        self.form = form
        self.period = period
        self.langs = _Languages(form)
        self.langs.originals = _smart_quote_originals(raw)
        self.rows = _row_index(raw.survey or [])
        self.choice_rows = _choice_row_index(raw.choices or [])
        self.settings_row = 2 if raw.settings else None
        self.ids: dict[str, str] = {}
        self.calcs: dict[str, str] = {}
        self.calc_used: set[str] = set()
        self.calc_rows: dict[str, int] = {}
        self.question_rows: dict[str, tuple[int, str]] = {}  # id -> (survey row, XLSForm name)
        self.choice_questions: set[str] = set()
        self.numeric_choices: set[str] = set()  # codes all whole numbers: compared as numbers
        # or_other's choice on a list of whole numbers: its code is the next number, not
        # pyxform's 'other' (which would turn every code of the list into text)
        self.other_codes: dict[str, int] = {}
        self.yes_no: set[str] = set()  # select_one yes/no questions imported as yes_no
        self.lists: dict[str, list] = {}
        self.sections: list[dict] = []
        self.last_row = 1

    # -- reporting ---------------------------------------------------------------------------
    def issue(self, row, item: str, en: str, zh: str, kind: str = "skipped", sheet="survey"):
        self.result.issues.append(Issue(self.file, sheet, row, en, zh, item, kind))

    def row_of(self, name: str | None) -> int:
        rows = self.rows.get(name or "")
        if rows:
            self.last_row = rows.pop(0)
        return self.last_row

    # -- the walk ----------------------------------------------------------------------------
    def run(self) -> None:
        taken: set[str] = set()
        self._collect(self.form, taken)
        self.translator = Translator(self.ids, self.calcs,
                                     self.choice_questions - self.numeric_choices)
        loose = None
        for child in self.form.get("children", []):
            if child.get("name") == "meta" and child.get("type") == "group":
                continue  # pyxform adds instanceID itself; the platform ids submissions
            if child.get("type") == "group":
                loose = None
                self._group(child, [], [])
            else:
                if loose is None:
                    loose = self._new_section(None, [])
                self._item(child, loose)
        self._finish_sections()
        self._report_languages()
        self._report_unused_calculates()
        self._build()

    def _collect(self, node: dict, taken: set[str]) -> None:
        for child in node.get("children", []):
            kind, name = child.get("type"), child.get("name")
            if kind == "calculate":
                if name and (child.get("bind") or {}).get("calculate"):
                    self.calcs[name] = child["bind"]["calculate"]
            elif kind in ("group",):
                self._collect(child, taken)
            elif kind in _TYPES and name:
                self.ids[name] = make_id(name, taken)
                if kind in ("select one", "select all that apply"):
                    self.choice_questions.add(self.ids[name])
                    items = child.get("choices") or (self.form.get("choices") or {}).get(
                        child.get("list_name") or child.get("itemset") or name) or []
                    numbered = [i for i in items if not _pyxform_other(i)]
                    if numbered and all(_WHOLE.fullmatch(str(i.get("name", "")).strip())
                                        for i in numbered):
                        self.numeric_choices.add(self.ids[name])
                        if len(numbered) < len(items):
                            self.other_codes[self.ids[name]] = 1 + max(
                                int(str(i["name"]).strip()) for i in numbered)

    def _new_section(self, group: dict | None, titles: list) -> dict:
        taken = {s["id"] for s in self.sections}
        if group is None:
            sid = make_id("main", taken, "section")
            title = self.langs.text(self.form.get("title")) or sid
        else:
            sid = make_id(group.get("name") or "section", taken, "section")
            title = titles[-1] if titles else sid
            if len(titles) > 1:
                title = _join_titles(titles)
        section = {"id": sid, "title": title, "questions": [], "notes": []}
        self.sections.append(section)
        return section

    def _group(self, group: dict, titles: list, conditions: list) -> None:
        row = self.row_of(group.get("name"))
        title = self.langs.text(group.get("label")) or group.get("name")
        condition = self._condition((group.get("bind") or {}).get("relevant"), None, row,
                                    group.get("name"), "relevant of the group")
        titles = titles + [title]
        conditions = conditions + ([condition] if condition else [])
        section = None
        for child in group.get("children", []):
            if child.get("type") == "group":
                section = None  # a nested group becomes a section of its own
                self._group(child, titles, conditions)
            else:
                if section is None:
                    section = self._new_section(group, titles)
                self._item(child, section, conditions)

    def _item(self, node: dict, section: dict, conditions: list = ()) -> None:
        kind, name = node.get("type"), node.get("name")
        row = self.row_of(name)
        if kind in ("repeat", "loop"):
            inner = _count_items(node)
            self.issue(row, name, f"repeat group '{name}' ({inner} items) is left out: repeat "
                       "groups are not supported (one answer per question and period); ask for "
                       "a count or a total instead",
                       f"重复组“{name}”(含 {inner} 项)未导入:不支持重复组(每期每题一个答案);"
                       "请改为询问数量或合计")
            for inner_node in _items(node):
                self.issue(self.row_of(inner_node.get("name")), inner_node.get("name"),
                           f"'{inner_node.get('name')}' is inside the repeat group '{name}' and "
                           "is left out with it", f"“{inner_node.get('name')}”在重复组“{name}”"
                           "中,随之未导入")
            return
        if kind == "note":
            self._note(node, section, row)
            return
        if kind == "calculate":
            self.calc_rows[name] = row
            return  # inlined where used; unused ones are reported at the end
        if str((node.get("control") or {}).get("appearance")) == "label":
            return  # the header row pyxform adds to a table-list group: layout only
        if kind in _AUTOMATIC:
            self.issue(row, name, f"'{name}' ({kind}) is not needed: the platform records when "
                       "each submission was made and how long it took", f"“{name}”({kind})"
                       "无需导入:平台自动记录提交时间和填写时长", "note")
            return
        if kind in _UNSUPPORTED:
            en, zh = _UNSUPPORTED[kind]
            self.issue(row, name, f"'{name}' ({kind}) is left out: {en}",
                       f"“{name}”({kind})未导入:{zh}")
            return
        if kind not in _TYPES:
            self.issue(row, name, f"'{name}' has the XLSForm type '{kind}', which has no "
                       "equivalent here; it is left out (rewrite it as a number, choice, text "
                       "or date question)", f"“{name}”的题型“{kind}”在本平台没有对应题型,未导入"
                       "(请改为数字、选择、文字或日期题)")
            return
        if self._specify_other(node, section, row):
            return
        question = self._question(node, row, conditions)
        if question is not None:
            if section["notes"]:
                question["hint"] = _prepend(section["notes"], question.get("hint"))
                section["notes"] = []
            section["questions"].append(question)

    def _specify_other(self, node: dict, section: dict, row: int) -> bool:
        """`select_one list or_other`: pyxform adds an 'other' choice and a text question
        `name_other` asked when it is picked (our own export writes the same with the code of
        the 'other' choice); here that is the question's own text box (`other: true` for the
        last choice, `other: CODE` for another)."""
        name = str(node.get("name") or "")
        if node.get("type") != "text" or not name.endswith("_other") or not section["questions"]:
            return False
        base, previous = name[:-len("_other")], section["questions"][-1]
        relevant = str((node.get("bind") or {}).get("relevant") or "")
        choices = previous.get("choices")
        choices = self.lists.get(choices, []) if isinstance(choices, str) else choices or []
        asked = re.fullmatch(rf"\s*selected\(\s*(?:\.\./|\$\{{){re.escape(base)}\}}?\s*,"
                             r"\s*'([^']*)'\s*\)\s*", relevant)
        codes = [choice["value"] for choice in choices]
        wanted = asked.group(1) if asked else None
        if wanted == "other" and previous["id"] in self.other_codes:
            wanted = str(self.other_codes[previous["id"]])
        if self.ids.get(base) != previous["id"] or wanted not in map(str, codes):
            return False
        code = next(c for c in codes if str(c) == wanted)
        chosen = next(c for c in choices if c["value"] == code)
        if str(chosen["label"]).strip().lower() == "other":  # pyxform's own English word
            chosen["label"] = dict(_OTHER_LABEL)
        previous["other"] = True if code == codes[-1] else code
        written = "true" if code == codes[-1] else code
        numbered = previous["id"] in self.other_codes
        self.issue(row, name, f"the 'specify other' text question '{name}' (which or_other "
                   f"adds) becomes the text box of the choice {code} of '{previous['id']}' "
                   f"(other: {written})" + (f"; that choice gets the code {code}, as the "
                                            "list's other codes are numbers" if numbered else ""),
                   f"or_other 附带的“请注明”文字题“{name}”改为“{previous['id']}”的选项 {code} "
                   f"后的填写框(other: {written})" + (f";该选项的代码为 {code}(列表的其他代码"
                                                     "都是数字)" if numbered else ""), "note")
        return True

    def _note(self, node: dict, section: dict, row: int) -> None:
        text = self.langs.text(node.get("label")) or self.langs.text(node.get("hint"))
        name = node.get("name")
        if text is None:
            self.issue(row, name, f"note '{name}' has no text (only media) and is left out",
                       f"说明“{name}”没有文字(只有媒体),未导入")
            return
        if "${" in str(node.get("label")):
            self.issue(row, name, f"note '{name}' shows answers (${{...}}); here it becomes "
                       "a plain hint without them", f"说明“{name}”引用了答案(${{...}});"
                       "导入后作为提示文字,不显示答案", "changed")
        elif (node.get("bind") or {}).get("relevant"):
            self.issue(row, name, f"note '{name}' is shown only under a condition; here it "
                       "becomes part of the next question's hint, always shown",
                       f"说明“{name}”原为条件显示;导入后并入下一题的提示,始终显示", "changed")
        section["notes"].append(text)
        section.setdefault("note_rows", []).append(row)

    def _question(self, node: dict, row: int, conditions) -> dict | None:
        kind, name = node["type"], node["name"]
        qid = self.ids[name]
        self.question_rows[qid] = (row, name)
        bind = node.get("bind") or {}
        control = node.get("control") or {}
        appearance = str(control.get("appearance") or "")
        label = self.langs.text(node.get("label"))
        if label is None:
            label = name
            self.issue(row, name, f"'{name}' has no label; its name is used as the label — "
                       "write a label", f"“{name}”没有题目文字,暂以名称代替;请补写题目",
                       "changed")
        qtype = _TYPES[kind]
        if qtype == "short_text" and "multiline" in appearance:
            qtype = "long_text"
        q: dict = {"id": qid, "type": qtype, "label": label}
        hint = self.langs.text(node.get("hint"))
        if hint:
            q["hint"] = hint
        required = str(bind.get("required") or "").strip().lower()
        if required in _TRUE:
            q["required"] = True
        elif required and required not in ("no", "false", "false()", "0"):
            self.issue(row, name, f"'{name}' is required only when {required}; here it is "
                       "optional (a condition on required is not supported)",
                       f"“{name}”为条件必答({required});导入后为选答(不支持条件必答)",
                       "changed")
        if qid != name:
            self.issue(row, name, f"'{name}' is stored under the id '{qid}' (ids here are "
                       "lower-case letters, digits and _)", f"“{name}”的编号改为“{qid}”"
                       "(编号只能用小写字母、数字和下划线)", "note")
        if kind == "range":
            self._range(node, q, row)
        if qtype in ("single_choice", "multiple_choice"):
            if not self._choices(node, q, row):
                return None
        constraint = bind.get("constraint")
        if constraint:
            rest = constraint
            if qtype in ("integer", "decimal") and " or " not in constraint \
                    and "(" not in constraint:
                bounds, others = [], []
                for part in re.split(r"\s+and\s+", constraint.strip()):
                    (bounds if min_max_from_constraint(part) else others).append(part)
                lo, hi = min_max_from_constraint(" and ".join(bounds)) if bounds else (None, None)
                if lo is not None:
                    q["min"] = int(lo) if qtype == "integer" else lo
                if hi is not None:
                    q["max"] = int(hi) if qtype == "integer" else hi
                rest = " and ".join(others)
            if rest:
                translated = self._condition(rest, qid, row, name, "constraint")
                if translated:
                    q["constraint"] = translated
            message = self.langs.text(bind.get("jr:constraintMsg"))
            if message and ("constraint" in q or "min" in q or "max" in q):
                if "constraint" in q:
                    q["constraint_message"] = message
        relevant = self._condition(bind.get("relevant"), qid, row, name, "relevant")
        parts = [c for c in list(conditions) + [relevant] if c]
        if parts:
            q["relevant"] = " and ".join(f"({p})" if len(parts) > 1 else p for p in parts)
        if bind.get("calculate"):
            self.issue(row, name, f"'{name}' is filled by the calculation {bind['calculate']}; "
                       "here it is asked like any question (compute the value in SQL instead, "
                       "or delete the question)", f"“{name}”原由计算 {bind['calculate']} 自动填写;"
                       "导入后作为普通题目提问(可改为在 SQL 中计算,或删除此题)", "changed")
        for key in ("default", "read_only"):
            if node.get(key) or bind.get(key.replace("_", "")):
                self.issue(row, name, f"'{name}': '{key}' is not supported and is ignored",
                           f"“{name}”:不支持“{key}”,已忽略", "changed")
        if qtype in ("short_text", "long_text"):
            q["max_length"] = 2000 if qtype == "long_text" else 200
        for key in ("relevant", "constraint"):
            if q.get(key):
                q[key] = _other_codes(_yes_no_conditions(q[key], self.yes_no),
                                      self.other_codes)
        if q["type"] in ("integer", "decimal"):
            _unit_from_label(q)
        return q

    def _range(self, node: dict, q: dict, row: int) -> None:
        params = node.get("parameters") or {}
        try:
            start, end = float(params.get("start", 0)), float(params.get("end", 10))
            step = float(params.get("step", 1))
        except (TypeError, ValueError):
            return
        whole = all(float(v).is_integer() for v in (start, end, step))
        q["type"] = "integer" if whole and step == 1 else "decimal"
        q["min"], q["max"] = (int(start), int(end)) if whole else (start, end)
        if q["type"] == "decimal":
            q["step"] = step

    def _choices(self, node: dict, q: dict, row: int) -> bool:
        name = node["name"]
        list_name = node.get("list_name") or node.get("itemset") or name
        if re.search(r"\.(csv|xml|geojson)$", str(list_name)):
            en, zh = _EXTERNAL
            self.issue(row, name, f"'{name}' takes its choices from the file {list_name} and is "
                       f"left out: {en}", f"“{name}”的选项来自文件 {list_name},未导入:{zh}")
            return False
        items = node.get("choices") or (self.form.get("choices") or {}).get(list_name) or []
        choice_filter = node.get("choice_filter")
        if choice_filter:
            filtered = self._static_filter(choice_filter, items)
            if filtered is None:
                self.issue(row, name, f"'{name}': choice_filter '{choice_filter}' depends on "
                           "other answers or uses XPath that has no equivalent; all choices of "
                           f"'{list_name}' are offered (split the question per case if needed)",
                           f"“{name}”:选项筛选“{choice_filter}”依赖其他答案或使用了不支持的写法;"
                           f"导入后提供“{list_name}”的全部选项(如需要,请按情形拆分为多题)",
                           "changed")
            else:
                items = filtered
        choices, seen = [], set()
        for item in items:
            value = str(item.get("name", "")).strip()
            if value == "":
                continue
            if value in seen:
                self.issue(self.choice_rows.get((list_name, value), row), name,
                           f"choice '{value}' appears twice in list '{list_name}'; the first "
                           "is kept (give each choice its own name)",
                           f"选项“{value}”在列表“{list_name}”中重复;保留第一个(请给每个选项不同的名称)",
                           "changed", sheet="choices")
                continue
            seen.add(value)
            label = self.langs.text(item.get("label")) or value
            if q["id"] in self.other_codes and _pyxform_other(item):
                value = str(self.other_codes[q["id"]])
            choices.append({"value": int(value) if _WHOLE.fullmatch(value) else value,
                            "label": label})
        if not choices:
            self.issue(row, name, f"'{name}' has no choices (list '{list_name}'); it is left "
                       "out — add its choices on the choices sheet",
                       f"“{name}”没有选项(列表“{list_name}”),未导入;请在 choices 工作表中补充选项")
            return False
        codes = [str(c["value"]) for c in choices]
        if q["type"] == "single_choice" and sorted(c.lower() for c in codes) == ["no", "yes"]:
            q["type"] = "yes_no"  # our own export writes yes_no questions this way
            self.yes_no.add(q["id"])
            return True
        if (q["type"] == "single_choice" and len(codes) in (5, 7)
                and codes == [str(i) for i in range(1, len(codes) + 1)]):
            q["type"] = "likert"
        key = make_id(list_name, set(), "list")
        if choice_filter or self.lists.get(key, choices) != choices:
            q["choices"] = choices
        else:
            self.lists[key] = choices
            q["choices"] = key
        return True

    def _static_filter(self, text: str, items: list) -> list | None:
        """A filter on the choices' own columns with literal values (`pastel = 'yes'`)."""
        from survey import expr as expressions
        if "${" in text:
            return None
        columns = sorted({k for item in items for k in item if k not in ("label", "media")})
        names = {c: f"col_{i}" for i, c in enumerate(columns)}
        try:
            translated = Translator({}, bare=names).translate(text)
            parsed = expressions.parse(translated)
        except (Untranslatable, expressions.ExprError):
            return None
        return [item for item in items if parsed.evaluate(
            {names[c]: item.get(c) for c in columns}) is True]

    def _condition(self, text, qid, row, name, what) -> str | None:
        if not text:
            return None
        try:
            translated = self.translator.translate(text, qid)
        except Untranslatable as exc:
            self.issue(row, name, f"'{name}': {what} '{text}' cannot be expressed here "
                       f"({exc}); it is left out, so the check is not made — rewrite it with "
                       "${...}, comparisons, and/or/not, selected() or count-selected()",
                       f"“{name}”:{_WHAT_ZH.get(what, what)}“{text}”无法转换({exc}),已略去,"
                       "不再检查;请改用 ${...}、比较、and/or/not、selected() 或 count-selected()",
                       "changed")
            return None
        self.calc_used.update(n for n in self.calcs if "${" + n + "}" in str(text))
        return translated

    def _finish_sections(self) -> None:
        """Notes left at a section's end join its last question's hint; notes of a section
        without questions (an introduction) go to the next question, or the last one."""
        kept, carried, rows = [], [], []
        for section in self.sections:
            if section["questions"]:
                if carried:
                    first = section["questions"][0]
                    first["hint"] = _prepend(carried, first.get("hint"))
                    carried, rows = [], []
                if section["notes"]:
                    last = section["questions"][-1]
                    last["hint"] = _prepend(section["notes"], last.get("hint"), after=True)
                kept.append({"id": section["id"], "title": section["title"],
                             "questions": section["questions"]})
            else:
                carried += section["notes"]
                rows += section.get("note_rows", [])
        if carried and kept:
            last = kept[-1]["questions"][-1]
            last["hint"] = _prepend(carried, last.get("hint"), after=True)
        elif carried:
            self.issue(rows[0], "note", "the notes have no question to go with and are left "
                       "out", "这些说明没有对应的题目,未导入")
        self.sections = kept

    def _report_languages(self) -> None:
        if self.langs.all and not self.langs.zh:
            self.issue(1, "label", "the form has no Chinese label column (label::Chinese (zh)); "
                       "its texts are used as the Chinese texts — translate them before "
                       "publishing", "表单没有中文题目列(label::Chinese (zh));暂用原文作为中文,"
                       "发布前请翻译", "note")
        if self.langs.other:
            self.issue(1, "label", f"languages {', '.join(self.langs.other)} are not kept (the "
                       "platform shows Chinese and English)", f"未保留以下语言:"
                       f"{', '.join(self.langs.other)}(本平台只显示中文和英文)", "note")

    def _report_unused_calculates(self) -> None:
        for name, text in self.calcs.items():
            if name in self.calc_used:
                continue
            self.issue(self.calc_rows.get(name), name, f"calculate '{name}' ({text}) is not stored: "
                       "only answers are stored here; compute it from the answers in SQL",
                       f"计算项“{name}”({text})不保存:本平台只保存答案;请在 SQL 中由答案计算",
                       "changed")

    def _build(self) -> None:
        result = self.result
        if not self.sections:
            result.issues.append(Issue(self.file, "survey", None, "no question could be "
                                       "imported; see the items above", "没有可导入的题目;"
                                       "见上面各项说明"))
            return
        settings = self.form
        taken: set[str] = set()
        qn_id = make_id(str(settings.get("id_string") or Path(self.file).stem), taken, "form")
        version = str(settings.get("version") or "1").strip()
        if not version.isdigit() or not 1 <= int(version) <= _MAX_VERSION:
            if settings.get("version"):
                self.issue(self.settings_row, "version", f"version '{version}' is not a whole "
                           "number; version 1 is used", f"版本“{version}”不是整数;导入为版本 1",
                           "note", sheet="settings")
            version = "1"
        kind, opens, closes = self.period
        doc = {"id": qn_id, "version": int(version),
               "title": self.langs.text(settings.get("title")) or qn_id, "period": kind}
        if kind == "once":
            doc.update(opens=opens, closes=closes)
        doc["audience"] = "cadre"
        if self.lists:
            doc["choice_lists"] = self.lists
        doc["sections"] = self.sections
        text = yaml_header(self.file) + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
        out_name = f"{qn_id}.yaml"
        model, problems = parse_text(text, out_name)
        result.yaml_text = text
        result.questionnaire = model
        result.problems = problems
        result.issues.extend(self._refusal(p) for p in problems)
        result.imported = len(model.questions) if model else 0

    def _refusal(self, problem: Problem) -> Issue:
        """A problem of the converted questionnaire at the XLSForm row it came from (the
        author never saw the YAML's lines)."""
        row, name = self.question_rows.get(problem.question or "", (None, problem.question))
        return Issue(self.file, "survey" if row else "-", row,
                     f"the converted questionnaire cannot be published: {problem.code} "
                     f"{problem.message}; fix it in the XLSForm and import again",
                     f"转换后的问卷无法发布:{problem.code} {problem.zh or problem.message};"
                     "请在 XLSForm 中修改后重新导入", name or "", "refused")


def yaml_header(file: str) -> str:
    """The comment the YAML starts with (pages in Chinese drop it: see without_header)."""
    return (f"# Imported from the XLSForm {file} by survey.interop.xlsform_import.\n"
            "# Review it (docs/interop.md) before publishing.\n")


def without_header(yaml_text: str) -> str:
    """The YAML without its leading comment lines (for a preview in the viewer's language)."""
    lines = yaml_text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines)


def _smart_quote_originals(raw) -> dict[str, str]:
    """pyxform turns “” ‘’ into ASCII quotes in every cell (for expressions); labels keep what
    was typed: the cleaned text -> the original, for cells that had such quotes."""
    from pyxform.parsing.sheet_headers import RE_SMART_QUOTES, clean_text_values
    out: dict[str, str] = {}
    for sheet in ("survey", "choices", "settings"):
        for row in getattr(raw, sheet, None) or []:
            for value in row.values():
                if isinstance(value, str) and RE_SMART_QUOTES.search(value):
                    for strip in (False, True):
                        cleaned = clean_text_values(value, strip_whitespace=strip)
                        out.setdefault(cleaned, value.strip() if strip else value)
    return out


def _pyxform_other(item: dict) -> bool:
    """The choice pyxform adds for or_other: name 'other', labelled "Other" in every language."""
    label = item.get("label")
    labels = label.values() if isinstance(label, dict) else [label]
    return item.get("name") == "other" and all(str(v).strip() == "Other" for v in labels)


def _other_codes(text: str, codes: dict[str, int]) -> str:
    """`a1 == 'other'`, `selected(a1, 'other')` -> the number or_other's choice got."""
    for qid, code in codes.items():
        name = re.escape(qid)
        text = re.sub(rf"\b{name}\s*(==|!=)\s*'other'", rf"{qid} \1 {code}", text)
        text = re.sub(rf"selected\(\s*{name}\s*,\s*'other'\s*\)", f"selected({qid}, {code})",
                      text)
    return text


def _yes_no_conditions(text: str, yes_no: set[str]) -> str:
    """`x == 'yes'` -> `x`, `x == 'no'` / `x != 'yes'` -> `not x` for yes_no questions."""
    for qid in yes_no:
        name = re.escape(qid)
        text = re.sub(rf"\b{name}\s*(==\s*'yes'|!=\s*'no')", qid, text)
        text = re.sub(rf"\b{name}\s*(==\s*'no'|!=\s*'yes')", f"not {qid}", text)
        text = re.sub(rf"selected\(\s*{name}\s*,\s*'yes'\s*\)", qid, text)
        text = re.sub(rf"selected\(\s*{name}\s*,\s*'no'\s*\)", f"not {qid}", text)
    return text


_UNIT_ZH = re.compile(r"^(?P<label>.+?)\s*[(（](?P<unit>[^()（）]{1,8})[)）]$")


def _unit_from_label(q: dict) -> None:
    """A number question's unit folded into its label, as our export writes it
    ("…几件?(件)", "… (items)"), goes back to the unit field."""
    label = q["label"]
    zh_text = label["zh"] if isinstance(label, dict) else label
    en_text = label.get("en") if isinstance(label, dict) else None
    zh = _UNIT_ZH.match(zh_text)
    if not zh or re.search(r"[\d=<>\s]", zh["unit"]) or "含" in zh["unit"]:
        return
    en = _UNIT_ZH.match(en_text) if en_text else None
    if en_text and not en:
        return
    if en:
        q["label"] = {"zh": zh["label"], "en": en["label"]}
        q["unit"] = {"zh": zh["unit"], "en": en["unit"]}
    else:
        q["label"] = zh["label"]
        q["unit"] = zh["unit"]


_WHAT_ZH = {"relevant": "显示条件", "constraint": "校验条件", "relevant of the group": "分组的显示条件"}


def _join_titles(titles: list):
    zh = " / ".join(t["zh"] if isinstance(t, dict) else str(t) for t in titles)
    en = " / ".join((t.get("en") or t["zh"]) if isinstance(t, dict) else str(t) for t in titles)
    return {"zh": zh, "en": en} if en != zh else zh


def _prepend(notes: list, hint, after: bool = False):
    """Notes become part of a question's hint (before it, or after for trailing notes)."""
    parts = ([hint] if hint and after else []) + notes + ([hint] if hint and not after else [])
    zh = " ".join(p["zh"] if isinstance(p, dict) else p for p in parts)
    en = " ".join((p.get("en") or p["zh"]) if isinstance(p, dict) else p for p in parts)
    return {"zh": zh, "en": en} if any(isinstance(p, dict) for p in parts) else zh


def _items(node: dict) -> list[dict]:
    out = []
    for child in node.get("children", []):
        if child.get("type") in ("group", "repeat"):
            out.extend(_items(child))
        elif str((child.get("control") or {}).get("appearance")) == "label":
            continue  # the header row pyxform adds to a table-list group: layout only
        elif child.get("type") != "calculate" or child.get("name"):
            out.append(child)
    return out


def _count_items(node: dict) -> int:
    return len(_items(node))


def _row_index(rows: list[dict]) -> dict[str, list[int]]:
    """name -> sheet rows (header is row 1), in order: pyxform keeps empty rows in place."""
    index: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        lowered = {str(k).strip().lower(): v for k, v in row.items()}
        name = lowered.get("name") or lowered.get("value")
        if name:
            index.setdefault(str(name).strip(), []).append(i + 2)
    return index


def _choice_row_index(rows: list[dict]) -> dict[tuple[str, str], int]:
    index = {}
    for i, row in enumerate(rows):
        lowered = {str(k).strip().lower().replace("_", " "): v for k, v in row.items()}
        key = (str(lowered.get("list name", "")).strip(), str(lowered.get("name", "")).strip())
        index.setdefault(key, i + 2)
    return index
