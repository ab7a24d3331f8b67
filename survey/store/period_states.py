"""Which periods are open for reporting: the current one and the two before it, unless closed
(a one-off survey: its one period, within its window)."""

from __future__ import annotations

import datetime as dt

from survey import fields, periods
from survey.questionnaire import Questionnaire
from survey.store.engine import refuse
from survey.store.model import _now

SELECTABLE_PERIODS = 3  # the current period and the two before it, unless closed


def closed_periods(store, questionnaire_id: str) -> set[str]:
    return {r[0] for r in store._rows("SELECT period_key FROM period_state WHERE "
                                     "questionnaire_id = ? AND closed_at IS NOT NULL",
                                     [questionnaire_id])}


def open_periods(store, qn: Questionnaire, today: dt.date | None = None) -> list[str]:
    """Periods a respondent may fill or revise, newest (the current one) first. A one-off
    survey (period: once) is open from its opens to its closes day, both included."""
    today = today or dt.date.today()
    window = periods.window(qn.period)
    if window is not None and not window[0] <= today <= window[1]:
        return []
    closed = store.closed_periods(qn.id)
    recent = periods.recent(qn.period, today, SELECTABLE_PERIODS)
    return [key for key in recent if key not in closed]


def current_open_period(store, qn: Questionnaire, today: dt.date | None = None) -> str | None:
    """The period in progress today, if it is open (the public fill one period: this one)."""
    today = today or dt.date.today()
    current = periods.current(qn.period, today)
    return current if current in open_periods(store, qn, today) else None


def _refuse_unknown(store, questionnaire_id: str, period_key: str) -> None:
    """A period of the questionnaire (the admin page's message); it must be published."""
    from survey.store.rounds import period_kind
    refuse(fields.period_problem(period_kind(store, questionnaire_id), period_key))


def close_period(store, questionnaire_id: str, period_key: str, actor: str) -> None:
    _refuse_unknown(store, questionnaire_id, period_key)

    def work(cur):
        cur.execute("INSERT INTO period_state VALUES (?, ?, ?, ?) ON CONFLICT (questionnaire_id, "
                    "period_key) DO UPDATE SET "
                    "closed_at = excluded.closed_at, closed_by = excluded.closed_by",
                    [questionnaire_id, period_key, _now(), actor])
        store._audit(cur, actor, "close_period", f"{questionnaire_id}/{period_key}", {})
    store._write(work)


def reopen_period(store, questionnaire_id: str, period_key: str, actor: str) -> None:
    _refuse_unknown(store, questionnaire_id, period_key)

    def work(cur):
        cur.execute("DELETE FROM period_state WHERE questionnaire_id = ? AND period_key = ?",
                    [questionnaire_id, period_key])
        store._audit(cur, actor, "reopen_period", f"{questionnaire_id}/{period_key}", {})
    store._write(work)


def period_usage(store) -> list[tuple]:
    """(questionnaire, version, period, kept submissions, closed?) for the admin side."""
    return store._rows("SELECT s.questionnaire_id, s.version, s.period_key, count(*), "
                      "bool_or(ps.closed_at IS NOT NULL) FROM submission s JOIN kept k "
                      "USING (submission_id) LEFT JOIN period_state ps ON ps.questionnaire_id "
                      "= s.questionnaire_id AND ps.period_key = s.period_key GROUP BY 1, 2, 3 "
                      "ORDER BY 1, 3 DESC, 2")
