"""Answers to a questionnaire: which questions are asked, what is valid, what gets stored.

An answer set is a plain dict {question_id: value} that survives JSON (drafts):
  integer -> int, decimal -> float, single_choice / likert -> code (str),
  multiple_choice -> [codes], yes_no -> bool, date -> 'YYYY-MM-DD', text -> str,
  matrix -> {row_id: code}.
Unanswered is None (or absent). Messages are bilingual Text.
"""

from __future__ import annotations

import datetime as dt
import math

from survey.questionnaire.model import CHOICE_TYPES, Question, Questionnaire, Text

REQUIRED = Text("请填写此项。", "Please answer this question.")
OTHER_REQUIRED = Text("请注明“其他”的具体内容。", "Please say what “other” is.")
OTHER_MAX_LENGTH = 200  # the text box of an `other: true` choice: a short text
OTHER_SUFFIX = ".other"  # never part of a question id (ids are letters, digits and _)

MAX_NUMBER = 10**12  # far beyond any count or hours a form asks; DuckDB and floats hold it exactly


def other_key(question_id: str) -> str:
    """Where an answer set keeps the text typed for a question's "other" choice."""
    return question_id + OTHER_SUFFIX


def other_chosen(q: Question, value) -> bool:
    """The question's "other" choice (其他(请注明)) is among the answer."""
    code = q.other_code
    if code is None or is_blank(value):
        return False
    if q.type == "multiple_choice":
        return isinstance(value, list) and code in [str(v) for v in value]
    return str(value) == code


def other_text(q: Question, answers: dict) -> str | None:
    """The text typed for the "other" choice, when that choice is picked."""
    text = answers.get(other_key(q.id))
    if not other_chosen(q, answers.get(q.id)) or is_blank(text):
        return None
    return text if isinstance(text, str) else str(text)

def _msg(zh: str, en: str) -> Text:
    return Text(zh, en)


def is_blank(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def expression_value(question: Question, value):
    """The value an expression sees: a choice as its list's codes were written (numbers when
    every value is a whole number, likert always; text otherwise), a multiple choice as a list
    of them."""
    if is_blank(value):
        return None
    if question.type in ("single_choice", "likert"):
        return question.code_value(value)
    if question.type == "multiple_choice" and isinstance(value, list):
        return [question.code_value(v) for v in value]
    return value


def visibility(qn: Questionnaire, answers: dict) -> dict[str, bool]:
    """Which questions are asked, given the answers so far (relevance, evaluated in order of
    dependency; an answer to a question that is not asked counts as unanswered)."""
    questions = {q.id: q for q in qn.questions}
    shown: dict[str, bool] = {}

    def visible(qid: str) -> bool:
        if qid in shown:
            return shown[qid]
        q = questions[qid]
        if q.relevant is None:
            shown[qid] = True
            return True
        shown[qid] = False  # validation guarantees no cycles; this guards anyway
        values = {name: expression_value(questions[name], answers.get(name))
                  if visible(name) else None for name in q.relevant.names}
        shown[qid] = bool(_safe_eval(q.relevant, values))
        return shown[qid]

    return {qid: visible(qid) for qid in questions}


def _safe_eval(expression, values):
    try:
        return expression.evaluate(values)
    except Exception:  # noqa: BLE001 - a broken expression must never break the form
        return None


def check_value(question: Question, value, all_values: dict | None = None) -> Text | None:
    """The message for one answered value, or None when it is acceptable."""
    if is_blank(value):
        return None
    problem = _type_problem(question, value)
    if problem:
        return problem
    if question.constraint is not None and all_values is not None:
        if _safe_eval(question.constraint, all_values) is False:
            return question.constraint_message or _msg("答案不符合要求,请检查。",
                                                        "This answer is not allowed; please check it.")
    return None


def _type_problem(q: Question, value) -> Text | None:
    t = q.type
    if t in ("integer", "decimal"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _msg("请输入数字。", "Please enter a number.")
        # A 400-digit integer must get a message, not an OverflowError from isfinite().
        if abs(value) > MAX_NUMBER or not math.isfinite(value):
            return _msg("数字太大,请检查后重新填写。", "That number is far too large; please check it.")
        if t == "integer" and value != int(value):
            return _msg("请输入整数。", "Please enter a whole number.")
        if q.min is not None and value < q.min:
            return _msg(f"不能小于 {_fmt(q.min)}。", f"Must be at least {_fmt(q.min)}.")
        if q.max is not None and value > q.max:
            return _msg(f"不能大于 {_fmt(q.max)}。", f"Must be at most {_fmt(q.max)}.")
        if t == "decimal" and q.step:
            steps = (value - (q.min or 0)) / q.step
            if abs(steps - round(steps)) > 1e-6:
                return _msg(f"请按 {_fmt(q.step)} 的间隔填写。", f"Please use steps of {_fmt(q.step)}.")
        return None
    codes = {c.value for c in q.choices}
    if t in ("single_choice", "likert"):
        return None if str(value) in codes else _msg("请从选项中选择。", "Please pick one of the options.")
    if t == "multiple_choice":
        if not isinstance(value, list) or any(str(v) not in codes for v in value):
            return _msg("请从选项中选择。", "Please pick from the options.")
        return None
    if t == "matrix":
        if not isinstance(value, dict):
            return _msg("请逐行选择。", "Please answer each row.")
        rows = {r.id for r in q.rows}
        if any(k not in rows or str(v) not in codes for k, v in value.items() if v is not None):
            return _msg("请从选项中选择。", "Please pick from the options.")
        return None
    if t == "yes_no":
        return None if isinstance(value, bool) else _msg("请选择“是”或“否”。", "Please answer yes or no.")
    if t == "date":
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            return _msg("请输入有效日期。", "Please enter a valid date.")
        return None
    if not isinstance(value, str):
        return _msg("请输入文字。", "Please enter text.")
    if q.max_length and len(value) > q.max_length:
        return _msg(f"最多 {q.max_length} 个字(现在 {len(value)} 个)。",
                    f"At most {q.max_length} characters (now {len(value)}).")
    return None


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _row_missing(q: Question, value) -> bool:
    return q.type == "matrix" and isinstance(value, dict) and any(
        is_blank(value.get(r.id)) for r in q.rows)


def validate(qn: Questionnaire, answers: dict) -> dict[str, Text]:
    """Every problem with an answer set, keyed by question id (only asked questions count)."""
    shown = visibility(qn, answers)
    values = expression_values(qn, answers, shown)
    errors: dict[str, Text] = {}
    for q in qn.questions:
        if not shown[q.id]:
            continue
        value = answers.get(q.id)
        if q.required and (is_blank(value) or _row_missing(q, value)):
            errors[q.id] = REQUIRED
            continue
        problem = check_value(q, value, values) or _other_problem(q, value, answers)
        if problem:
            errors[q.id] = problem
    return errors


def field_messages(qn: Questionnaire, answers: dict, tried: bool) -> dict[str, Text]:
    """The message beside each field of a one-page form (a public questionnaire): a wrong
    answer at once; "please answer" and an empty 其他(请注明) box only once submitting was
    tried (before that nobody has had the chance to answer)."""
    return {qid: problem for qid, problem in validate(qn, answers).items()
            if tried or problem not in (REQUIRED, OTHER_REQUIRED)}


def _other_problem(q: Question, value, answers: dict) -> Text | None:
    if not other_chosen(q, value):
        return None
    text = answers.get(other_key(q.id))
    if is_blank(text) or isinstance(text, str) and not text.strip():
        return OTHER_REQUIRED
    if not isinstance(text, str):
        return _msg("请输入文字。", "Please enter text.")
    if len(text) > OTHER_MAX_LENGTH:
        return _msg(f"“其他”最多 {OTHER_MAX_LENGTH} 个字(现在 {len(text)} 个)。",
                    f"“Other” takes at most {OTHER_MAX_LENGTH} characters (now {len(text)}).")
    return None


def expression_values(qn: Questionnaire, answers: dict, shown: dict | None = None) -> dict:
    shown = shown if shown is not None else visibility(qn, answers)
    return {q.id: expression_value(q, answers.get(q.id)) if shown[q.id] else None
            for q in qn.questions}


def clean(qn: Questionnaire, answers: dict) -> dict:
    """The answers that are stored: asked questions with an answer, nothing else."""
    shown = visibility(qn, answers)
    stored = {q.id: answers[q.id] for q in qn.questions
              if shown[q.id] and not is_blank(answers.get(q.id))}
    for q in qn.questions:
        text = other_text(q, answers) if q.id in stored else None
        if text is not None:
            stored[other_key(q.id)] = text
    return stored


def from_input(question: Question, value):
    """A value as a widget gives it -> an answer value. Numbers come from a float field so
    that nothing typed is rounded away: 40.0 -> 40 for a whole-number question, 3.7 stays 3.7
    (and validation says it must be a whole number); an emptied field is unanswered (None)."""
    if is_blank(value):
        return None
    if question.type == "integer" and isinstance(value, float) and math.isfinite(value) \
            and value.is_integer():
        return int(value)
    return value


def carried_forward(qn: Questionnaire, previous: dict) -> dict:
    """Last period's answers to the questions marked carry_forward (the answers may come from an
    earlier version of the questionnaire: values that no longer fit are dropped)."""
    result = {}
    for q in qn.questions:
        if q.carry_forward and q.id in previous and not is_blank(previous[q.id]):
            if _type_problem(q, previous[q.id]) is None:
                result[q.id] = previous[q.id]
                text = other_text(q, previous)
                if text is not None:
                    result[other_key(q.id)] = text
    return result


def progress(qn: Questionnaire, answers: dict) -> tuple[int, int]:
    """(answered, asked) counting only questions that are asked."""
    shown = visibility(qn, answers)
    asked = [q for q in qn.questions if shown[q.id]]
    return sum(not is_blank(answers.get(q.id)) for q in asked), len(asked)


def typed_columns(q: Question, value) -> list[tuple[str | None, dict]]:
    """How one answer is stored: [(row_id, {column: value})] for the answers table."""
    if q.type == "matrix":
        return [(row, {"value_text": str(code), "value_num": _num(code)})
                for row, code in sorted(value.items()) if not is_blank(code)]
    if q.type == "integer" or q.type == "decimal":
        return [(None, {"value_num": float(value)})]
    if q.type == "likert":
        return [(None, {"value_text": str(value), "value_num": float(value)})]
    if q.type == "single_choice":
        return [(None, {"value_text": str(value), "value_num": _num(value)})]
    if q.type == "multiple_choice":
        return [(None, {"value_choices": [str(v) for v in value],
                        "value_num": float(len(value))})]
    if q.type == "yes_no":
        return [(None, {"value_bool": bool(value), "value_num": 1.0 if value else 0.0})]
    if q.type == "date":
        return [(None, {"value_date": dt.date.fromisoformat(str(value))})]
    return [(None, {"value_text": str(value)})]


def _num(code) -> float | None:
    try:
        return float(code)
    except (TypeError, ValueError):
        return None


__all__ = ["CHOICE_TYPES", "visibility", "validate", "clean", "carried_forward", "progress",
           "from_input", "other_key", "other_chosen", "other_text",
           "check_value", "typed_columns", "is_blank", "expression_values", "REQUIRED"]


def display(q: Question, value, lang: str = "zh", other: str | None = None) -> str:
    """An answer as a person reads it (choice labels, units, yes/no); `other`: the text typed
    for the "other" choice, shown after its label."""
    if is_blank(value):
        return ""

    def label(code) -> str:
        text = q.choice_label(code, lang)
        return f"{text}:{other}" if other and str(code) == q.other_code else text
    if q.type in ("single_choice", "likert"):
        return label(value)
    if q.type == "multiple_choice":
        return "、".join(label(v) for v in value)
    if q.type == "matrix":
        labels = {r.id: r.label.get(lang) for r in q.rows}
        return "; ".join(f"{labels.get(k, k)}: {q.choice_label(v, lang)}" for k, v in value.items())
    if q.type == "yes_no":
        return ("是" if value else "否") if lang == "zh" else ("Yes" if value else "No")
    if q.type in ("integer", "decimal"):
        unit = f" {q.unit.get(lang)}" if q.unit else ""
        return f"{_fmt(value)}{unit}"
    return str(value)
