"""The form's source questions (issue 20, docs/sources.md): what a questionnaire's `sources:`
switch adds beside its count questions, as a form (survey.form_flow) holds them.

Each block rides in the form's answers under a key of its own, never a question id (ids have no
dot): `sources.inspections` (the month's planned inspections that came, and the ones not on the
list) and `sources.from.<topic>` (up to 3 bodies a topic mainly came from). So drafts keep them
like any answer, and the answer table never sees them (answers.clean keeps questions only): they
reach the store only as the submission's SourcesReport (source_report, read with k).

- "Mainly from" carries forward from last period like other answers; inspections do not (each
  month has its own list).
- An unchanged month (与上期相同) leaves the inspections block as it is: nothing ticked means
  none of the listed inspections came and no other came (docs/sources.md says why).
- A row of the "not on the list" part that is wholly blank is no entry (a row added and left
  empty); a half-filled one is a problem shown beside the block, and stops the form like a
  missing answer, losing nothing.
"""

from __future__ import annotations

from survey.errors import DomainError
from survey.questionnaire.model import Questionnaire, Text
from survey.sources import OTHER, SourcesReport, read_answer, read_mainly_from, read_sources

INSPECTIONS = "sources.inspections"
PREFIX = "sources."
FROM = "sources.from."


def mainly_key(topic: str) -> str:
    return FROM + topic


def is_key(key: str) -> bool:
    return key.startswith(PREFIX)


def blocks(qn: Questionnaire) -> dict[str, str]:
    """{answer key: the question it sits beside}, in the questionnaire's order."""
    setting = qn.sources
    if setting is None:
        return {}
    found = {INSPECTIONS: setting.inspections} if setting.inspections else {}
    found.update({mainly_key(topic): qid for topic, qid in setting.mainly_from})
    order = {q.id: i for i, q in enumerate(qn.questions)}
    return dict(sorted(found.items(), key=lambda kv: (order[kv[1]], kv[0] != INSPECTIONS)))


def beside(qn: Questionnaire, question_id: str) -> list[str]:
    """The blocks drawn after this question."""
    return [key for key, qid in blocks(qn).items() if qid == question_id]


def _blank(entry) -> bool:
    return isinstance(entry, dict) and not any(
        str(entry.get(k) or "").strip() for k in ("body", "kind", "text"))


def entries(value) -> list:
    """The entries of a block's value that say something (wholly blank rows are no entry)."""
    if value is None:
        return []
    listed = value.get("others") if isinstance(value, dict) and "came" in value else value
    return [e for e in (listed or []) if not _blank(e)]


def _inspections(value) -> dict:
    value = value if isinstance(value, dict) else {}
    return {"came": list(value.get("came") or []), "others": entries(value)}


def problem(key: str, value) -> Text | None:
    """What is wrong with one block's value (a half-filled row, too many bodies...), or None."""
    try:
        if key == INSPECTIONS:
            read_answer("", (), "2000-01", _inspections(value))
        else:
            read_mainly_from({key[len(FROM):]: entries(value)})
    except DomainError as exc:
        return Text(exc.zh or exc.en, exc.en)
    return None


def problems(qn: Questionnaire, answers: dict, shown: dict[str, bool]) -> dict[str, Text]:
    """{question id the block sits beside: the block's problem}, for blocks on screen."""
    found = {}
    for key, qid in blocks(qn).items():
        text = problem(key, answers.get(key)) if shown.get(qid) else None
        if text and qid not in found:
            found[qid] = text
    return found


def carried(qn: Questionnaire, previous: dict) -> dict:
    """Last period's "mainly from" answers that carry forward (never the inspections)."""
    return {key: previous[key] for key in blocks(qn)
            if key.startswith(FROM) and entries(previous.get(key))}


def report(point, qn: Questionnaire, period: str, answers: dict, shown: dict[str, bool]
           ) -> SourcesReport | None:
    """The report submit stores (store.submit(..., sources=...)), or None when the
    questionnaire asks no sources. A block not on screen (its question not asked) says
    nothing; the inspections block on screen and untouched says none came."""
    keys = blocks(qn)
    if not keys:
        return None
    inspections = _inspections(answers.get(INSPECTIONS)) \
        if INSPECTIONS in keys and shown.get(keys[INSPECTIONS]) else None
    mainly = {key[len(FROM):]: entries(answers.get(key)) for key, qid in keys.items()
              if key.startswith(FROM) and shown.get(qid) and entries(answers.get(key))}
    return read_sources(point.point_id, point.region, period, inspections, mainly or None)


def answers_of(rows) -> dict:
    """A kept submission's block values back from its source_report rows (entry order):
    (topic, how, picked_body, other_text, kind, item_id). What a revision opens with, and
    what "mainly from" carries forward from."""
    out: dict = {}
    for topic, how, picked, text, kind, item_id in rows:
        body = {"body": picked} if picked else {"body": OTHER, "text": text}
        if how == "came":
            out.setdefault(INSPECTIONS, {"came": [], "others": []})["came"].append(item_id)
        elif how == "other":
            out.setdefault(INSPECTIONS, {"came": [], "others": []})["others"].append(
                {**body, "kind": kind})
        else:
            out.setdefault(mainly_key(topic), []).append(body)
    return out
