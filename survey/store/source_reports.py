"""What cadres report about where their burden comes from (table source_report), and the
提示函 sent to the bodies (table source_letter). docs/sources.md.

`record` is what submit calls, in its transaction, for each submission that carries a
`SourcesReport`: one row per inspection (with its verdict, survey/sources.py `assess`, made
with the registry and plan the transaction sees) and per 'mainly from' pick (the topic's count
split evenly over the bodies picked). A revision replaces its predecessor's rows, and every
read joins `kept`, so only each slot's current revision counts.

The reads for leaders return aggregates only, and never a row from fewer than k points:
rows under k are dropped here and only their number is returned. Several cadres of one point
reporting the same inspections count once (the most any one of them reported); documents,
meetings and forms are per cadre and add up.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd

from survey.metrics import Filter
from survey.sources import Plan, Registry, SourcesReport, assess_in
from survey.store import bodies, plans
from survey.store.engine import insert_many
from survey.store.model import _now


@dataclass(frozen=True)
class Recorded:
    """One submission's sources as submit hands them over."""
    submission_id: str
    report: SourcesReport
    counts: dict            # indicator -> the submission's value (documents, meetings, forms)
    replaces: str | None = None  # the slot's previous revision, whose rows go


def rows_for(plan: Plan, item: Recorded) -> list[tuple]:
    """The source_report rows of one submission, in table order."""
    report, out = item.report, []

    def add(topic, how, picked, text, body, kind, amount, item_id=None, off=None):
        out.append((item.submission_id, len(out) + 1, report.point_id, report.month, topic,
                    how, picked, text, body, kind, float(amount), item_id, off))
    if report.inspections is not None:
        others = iter(report.inspections.others)
        for a in assess_in(plan, report.inspections):
            picked = next(others).body_id if a.how == "other" else None
            add("inspections", a.how, picked, a.text, a.body_id, a.kind, 1, a.item_id, a.reason)
    for topic, picks in report.mainly_from:
        share = (item.counts.get(topic) or 0) / len(picks)
        for pick in picks:
            body = (plan.registry.canonical(pick.body_id) if pick.body_id
                    else plan.registry.resolve(pick.text, report.region))
            add(topic, "mainly", pick.body_id, pick.text, body, None, share)
    return out


def record(cur, items: list[Recorded]) -> None:
    """Write the sources of submissions in the current transaction (submit calls this)."""
    if not items:
        return
    registry = bodies.registry_in(cur)
    years = sorted({int(i.report.month[:4]) for i in items})
    plan = Plan(registry, [v for y in years for v in plans.versions_in(cur, y)])
    gone = [i.replaces for i in items if i.replaces] + [i.submission_id for i in items]
    cur.execute(f"DELETE FROM source_report WHERE submission_id IN ({', '.join('?' * len(gone))})",
                gone)
    insert_many(cur, "source_report", [row for i in items for row in rows_for(plan, i)])


def write(store, items: list[Recorded]) -> None:
    """record() in a transaction of its own (demo data, a rebuild)."""
    store._write(lambda cur: record(cur, items))


def kept_rows(store, respondent, questionnaire_id: str, period_keys: list[str]
              ) -> dict[str, list[tuple]]:
    """The cadre's own kept submissions' rows for these periods, in entry order: {period:
    [(topic, how, picked_body, other_text, kind, item_id)]} (survey.source_answers.answers_of:
    what the form opens a revision with, and carries "mainly from" forward from)."""
    if not period_keys:
        return {}
    out: dict[str, list[tuple]] = {}
    for period, *row in store._rows(
            "SELECT k.period_key, r.topic, r.how, r.picked_body, r.other_text, r.kind, r.item_id "
            "FROM kept k JOIN source_report r USING (submission_id) WHERE k.respondent_key = ? "
            "AND k.point_id = ? AND k.questionnaire_id = ? AND k.period_key IN "
            f"({', '.join('?' * len(period_keys))}) ORDER BY k.period_key, r.entry",
            [respondent.key, respondent.point.point_id, questionnaire_id, *period_keys]):
        out.setdefault(period, []).append(tuple(row))
    return out


# -- reads for leaders and the 提示函 ---------------------------------------------------------
def _current(registry: Registry, flt: Filter, first: str, last: str) -> tuple[str, list]:
    """The kept submissions' rows in the filter's points and months, bodies after merges."""
    from survey.store.analytics import _point_where  # analytics needs the Store: not at import
    merged = {b: registry.canonical(b) for b in registry.bodies
              if registry.canonical(b) != b}
    where, params = _point_where(flt)
    return f"""
        WITH merged AS (SELECT unnest(?::VARCHAR[]) AS body_id, unnest(?::VARCHAR[]) AS into_id),
        cur AS (
            SELECT r.submission_id, r.point_id, r.month, r.topic, r.off_plan, r.amount,
                   r.other_text, coalesce(m.into_id, r.body_id) AS body_id,
                   array_to_string(p.region[1:2], '/') AS area
            FROM source_report r
            JOIN kept k USING (submission_id)
            JOIN points p ON p.point_id = r.point_id
            LEFT JOIN merged m ON m.body_id = r.body_id
            WHERE {where} AND r.month BETWEEN ? AND ?)""", [
        list(merged), list(merged.values()), *params, first, last]


def _at_least_k(frame: pd.DataFrame, k: int) -> tuple[pd.DataFrame, int]:
    keep = frame["points"] >= k
    return frame[keep].reset_index(drop=True), int((~keep).sum())


def burden(store, registry: Registry, flt: Filter, first: str, last: str, k: int
           ) -> tuple[pd.DataFrame, int]:
    """Per body, month and topic: the count attributed to it and the points behind it, rows
    from at least k points only; and how many rows were left out for fewer."""
    head, params = _current(registry, flt, first, last)
    frame = store.frame(head + """,
        per_submission AS (
            SELECT body_id, month, topic, point_id, submission_id, sum(amount) AS amount
            FROM cur WHERE body_id IS NOT NULL GROUP BY ALL),
        per_point AS (
            SELECT body_id, month, topic, point_id,
                   CASE WHEN topic = 'inspections' THEN max(amount) ELSE sum(amount) END AS amount
            FROM per_submission GROUP BY body_id, month, topic, point_id)
        SELECT body_id, month, topic, sum(amount) AS amount, count(*) AS points
        FROM per_point GROUP BY ALL ORDER BY body_id, month, topic""", params)
    return _at_least_k(frame, k)


def off_plan(store, registry: Registry, flt: Filter, first: str, last: str, k: int
             ) -> tuple[pd.DataFrame, int]:
    """Off-plan inspections per reporting area (the county), month, body and reason, with
    the points that reported them: rows from at least k points only (never a point)."""
    head, params = _current(registry, flt, first, last)
    frame = store.frame(head + """,
        per_submission AS (
            SELECT area, month, body_id,
                   CASE WHEN body_id IS NULL THEN other_text ELSE '' END AS named,
                   off_plan, point_id, submission_id, count(*) AS n
            FROM cur WHERE topic = 'inspections' AND off_plan IS NOT NULL GROUP BY ALL),
        per_point AS (
            SELECT area, month, body_id, named, off_plan, point_id, max(n) AS n
            FROM per_submission GROUP BY ALL)
        SELECT area, month, body_id, named, off_plan AS reason, sum(n) AS inspections,
               count(*) AS points
        FROM per_point GROUP BY ALL ORDER BY month DESC, area, body_id, named, reason""", params)
    return _at_least_k(frame, k)


# -- the 提示函 -------------------------------------------------------------------------------
LETTER_COLUMNS = ("letter_id", "body_id", "area", "finding", "facts", "reply_by", "reply_days",
                  "estimated", "problem_id", "created_at", "created_by")


def _save_letter(cur, store, body_id: str, area: tuple[str, ...], finding: str, facts: dict,
                 reply_by: dt.date, reply_days: int, estimated: bool, problem_id: str | None,
                 actor: str) -> str:
    now = _now()
    prefix = f"TSH-{now.year}-"
    taken = [int(x[len(prefix):]) for (x,) in cur.execute(
        "SELECT letter_id FROM source_letter WHERE starts_with(letter_id, ?)",
        [prefix]).fetchall() if x[len(prefix):].isdigit()]
    letter_id = f"{prefix}{max(taken, default=0) + 1:04d}"
    cur.execute(f"INSERT INTO source_letter ({', '.join(LETTER_COLUMNS)}) VALUES "
                f"({', '.join('?' * len(LETTER_COLUMNS))})",
                [letter_id, body_id, list(area), finding,
                 json.dumps(facts, ensure_ascii=False, sort_keys=True), reply_by, reply_days,
                 estimated, problem_id, now, actor])
    store._audit(cur, actor, "draft_reminder_letter", letter_id,
                 {"body_id": body_id, "area": "/".join(area), "finding": finding,
                  "reply_by": reply_by.isoformat(), "reply_days": reply_days,
                  "problem_id": problem_id})
    return letter_id


def act_on(store, body_id: str, area: tuple[str, ...], finding: str, facts: dict,
           category: str, body_level: str, body_name: str, month: str, description: str,
           reply_by: dt.date, reply_days: int, estimated: bool, actor: str) -> tuple[str, str]:
    """One click on a finding: an entry in the problem list (survey/store/clues.py) and the
    提示函 kept with its reply date, in one transaction, both audit-logged.
    Returns (problem_id, letter_id)."""
    from survey.store import clues  # clues needs the Store: not at import

    def letter(cur, problem_id):
        return _save_letter(cur, store, body_id, area, finding, facts, reply_by, reply_days,
                            estimated, problem_id, actor)
    return clues.file_finding(store, area, category, body_level, body_name, month,
                              description, actor, then=letter)


def letters(store, scope: tuple[str, ...] = ()) -> pd.DataFrame:
    """The letters drafted for areas within `scope`, newest first."""
    frame = pd.DataFrame(store._rows(
        f"SELECT {', '.join(LETTER_COLUMNS)} FROM source_letter ORDER BY created_at DESC"),
        columns=list(LETTER_COLUMNS))
    inside = [tuple(a[:len(scope)]) == tuple(scope) for a in frame["area"]]
    return frame[inside].reset_index(drop=True) if len(frame) else frame


def remove_demo(cur, demo_points: str) -> int:
    """The demo points' source rows and the letters to demo bodies (survey/store/demo_data.py,
    before the bodies go); returns the rows removed."""
    cur.execute("DELETE FROM source_letter WHERE body_id IN (SELECT body_id FROM body "
                "WHERE is_demo)")
    return cur.execute(f"DELETE FROM source_report WHERE point_id IN {demo_points}"
                       ).fetchone()[0]
