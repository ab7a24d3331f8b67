"""What a light-form page (ui/light_form.py) carries in its post: the answers of the part on
screen as the core takes them (survey.answers.from_input), what the page drew (to tell what the
cadre changed: FormFlow.page_changes), and the raw fields of chosen answers, to post again from
a page that asks which side's answers to keep."""

from __future__ import annotations

import datetime as dt
import json
import math

from survey import answers as rules
from survey import source_answers
from ui import light_sources


def drawn(flow, questions) -> str:
    """What the page shows in its fields (JSON), posted back hidden."""
    shown = {}
    for q in questions:
        shown[q.id] = flow.answers.get(q.id)
        if q.other:
            shown[rules.other_key(q.id)] = flow.answers.get(rules.other_key(q.id))
        for key in source_answers.beside(flow.qn, q.id):   # its source blocks
            shown[key] = flow.answers.get(key)
    return as_json(shown)


def as_json(values: dict) -> str:
    return json.dumps(values, ensure_ascii=False, default=str)


def drawn_of(form) -> dict:
    return json_of(form, "drawn")


def json_of(form, name: str) -> dict:
    """A hidden field holding a JSON object ({} when absent or not one)."""
    try:
        found = json.loads(form.get(name) or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def posted(flow, form) -> dict:
    """{question id or its "other" key: value} of the questions the page showed."""
    values = {}
    for qid in form.getlist("shown"):
        if qid in source_answers.blocks(flow.qn):   # a source block (ui/light_sources.py)
            values[qid] = light_sources.read(qid, form)
            continue
        q = flow.questions.get(qid)
        if q is None:
            continue
        values[qid] = _read(q, form)
        if q.other:
            values[rules.other_key(qid)] = _text(form.get(f"a.{rules.other_key(qid)}")) or None
    return values


def raw_fields(form, keys) -> list[tuple[str, str]]:
    """The post's own fields of these answers (a.<key>, a matrix's a.<key>.<row>), as sent."""
    names = {f"a.{key}" for key in keys}
    return [(name, str(value)) for name, value in form.multi_items()
            if name in names or name.rpartition(".")[0] in names]


def opened_at(form) -> dt.datetime | None:
    """When the page was drawn (its hidden `opened`, ISO seconds), if it says."""
    try:
        return dt.datetime.fromisoformat(str(form.get("opened") or ""))
    except ValueError:
        return None


def _text(value) -> str | None:
    # browsers send a text area's line breaks as CRLF: the cadre typed "\n"
    return None if value is None else str(value).replace("\r\n", "\n")


def _read(q, form):
    """One question's value from the post, as the core takes it (answers.from_input)."""
    name = f"a.{q.id}"
    if q.type in ("integer", "decimal"):
        return _number(form.get(name))
    if q.type == "multiple_choice":
        return [v for v in form.getlist(name)]
    if q.type == "yes_no":
        return {"1": True, "0": False}.get(form.get(name))
    if q.type == "matrix":
        rows = {r.id: form.get(f"{name}.{r.id}") for r in q.rows}
        return {k: v for k, v in rows.items() if v} or None
    return _text(form.get(name)) or None


def _number(raw) -> float | str | None:
    """A typed number; text that is no number is kept as typed (validation then asks for a
    number, and the cadre sees what they typed)."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def shown_value(q, value) -> str:
    """A number as typed (40, 6.5), text as text, nothing as empty."""
    if rules.is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
