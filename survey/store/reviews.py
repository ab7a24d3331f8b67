"""Return for correction (退回): review states of kept submissions, with who and why.

States: received (nothing happened, or a return was withdrawn), returned (a reviewer asked for
a correction, with a reason), revised (the respondent submitted again after the last review
event), confirmed (the respondent answered that the figure is right). Every change is an event
in review_event (never updated or deleted) and an audit-log entry; every reviewer action can be
withdrawn, again with a reason.

The rule that keeps reviews from bending figures: nothing in this module writes a submission,
the kept table or the rollups. A return leaves the figure exactly as it was; only the
respondent's own revision (Store.submit) changes it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from survey import fields
from survey.access import Account
from survey.store.core import Respondent, Store, StoreError, _slot
from survey.store.engine import is_postgres_cursor, lock_keys, refuse

RECEIVED, RETURNED, REVISED, CONFIRMED = "received", "returned", "revised", "confirmed"
STATES = (RECEIVED, RETURNED, REVISED, CONFIRMED)
RESPONDENT = "respondent"  # the actor of a respondent's answer: no name, no pseudonym
MAX_REASON = 2000


def _now() -> dt.datetime:
    return dt.datetime.now()


def may_review(account: Account | None, region: tuple[str, ...]) -> bool:
    """Admins anywhere; leaders within their region."""
    if account is None or account.disabled:
        return False
    if account.role == "admin":
        return True
    return account.role == "leader" and tuple(region[:len(account.region)]) == account.region


RETURN_REASON = ("write the reason: the respondent sees it and needs it to correct the report",
                 "请填写退回原因:填报人会看到它,据此更正。")
WITHDRAW_REASON = ("write why you withdraw the latest step: it is kept in the history and the "
                   "audit log", "请填写撤销原因:它会记入历史记录和审计日志。")


def _reason(text: str, missing: tuple[str, str] = RETURN_REASON) -> str:
    text = (text or "").strip()
    if not text:
        raise StoreError(*missing)
    if len(text) > MAX_REASON:
        raise StoreError(f"the reason is longer than {MAX_REASON} characters; shorten it",
                         f"原因超过 {MAX_REASON} 字,请缩短。")
    return text


def _kept(cur, submission_id: str):
    """The kept submission's slot and region. On PostgreSQL its slot is then locked until the
    transaction ends (the key submit locks too), so two app processes reviewing it at once,
    or a review and a revision, take turns; read again after the lock."""
    def read():
        return cur.execute(
            "SELECT k.respondent_key, k.point_id, k.questionnaire_id, k.period_key, p.region "
            "FROM kept k JOIN point p USING (point_id) WHERE k.submission_id = ?",
            [submission_id]).fetchone()
    found = read()
    if found is None or not is_postgres_cursor(cur):
        return found
    lock_keys(cur, [_slot(*found[:4])])
    return read()


def _latest(cur, slot: str):
    return cur.execute("SELECT state, submission_id, event_at FROM review_event WHERE slot = ? "
                       "ORDER BY event_id DESC LIMIT 1", [slot]).fetchone()


def _derived(cur, slot: str, latest) -> str:
    if latest is None:
        return RECEIVED
    kept = cur.execute("SELECT submission_id FROM kept_slot WHERE slot = ?", [slot]).fetchone()
    if kept and kept[0] != latest[1]:
        return REVISED  # the respondent submitted after the last review event
    return latest[0]


def _event(store, cur, slot, submission_id, point_id, qid, period, action, state, reason,
           actor) -> None:
    cur.execute("INSERT INTO review_event (slot, submission_id, point_id, questionnaire_id, "
                "period_key, action, state, reason, actor, event_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [slot, submission_id, point_id, qid, period, action, state, reason, actor, _now()])
    store._audit(cur, actor if actor != RESPONDENT else f"respondent@{point_id}",
                 f"review_{action}", submission_id,
                 {"period": f"{qid}/{period}", "state": state, "reason": reason})


def return_submission(store: Store, submission_id: str, reason: str, reviewer: Account) -> bool:
    """Ask the respondent to correct a kept submission. Changes no figure. Idempotent: the same
    reviewer returning it again with the same reason (a double tap) records nothing and is no
    error. Returns whether a return was recorded."""
    reason = _reason(reason)

    def work(cur):
        found = _kept(cur, submission_id)
        if found is None:
            raise StoreError("only the current (kept) submission of a period can be returned",
                             "只能退回本期当前有效的填报。")
        key, point_id, qid, period, region = found
        if not may_review(reviewer, tuple(region or ())):
            raise StoreError("you may review only submissions within your region",
                             "只能审核本辖区的填报。")
        if cur.execute("SELECT 1 FROM period_state WHERE questionnaire_id = ? AND period_key = ? "
                       "AND closed_at IS NOT NULL", [qid, period]).fetchone():
            raise StoreError(f"period {period} is closed, so it cannot be revised; reopen it first",
                             f"{period} 期已关闭,无法修改;如需退回请先重新开放该期。")
        slot = _slot(key, point_id, qid, period)
        if _derived(cur, slot, _latest(cur, slot)) == RETURNED:
            last = cur.execute("SELECT reason, actor FROM review_event WHERE slot = ? AND "
                               "action = 'return' ORDER BY event_id DESC LIMIT 1",
                               [slot]).fetchone()
            if last == (reason, reviewer.username):
                return False  # the same return again: already recorded
            raise StoreError("this submission is already returned", "该填报已退回,等待填报人处理。")
        _event(store, cur, slot, submission_id, point_id, qid, period, "return", RETURNED,
               reason, reviewer.username)
        return True
    return store._write(work)


def withdraw(store: Store, submission_id: str, reason: str, reviewer: Account) -> str:
    """Undo the latest review event still in force (a return or a confirmation; withdrawing
    twice undoes two): the state goes back to what it was before it. Returns the state now.
    A reviewer withdraws only reviewers' steps: the respondent's "the figures are right" stays
    theirs (the reviewer can return the report again instead)."""
    reason = _reason(reason, WITHDRAW_REASON)

    def work(cur):
        found = _kept(cur, submission_id)
        if found is None:
            raise StoreError("only the current (kept) submission of a period can be reviewed",
                             "只能审核本期当前有效的填报。")
        key, point_id, qid, period, region = found
        if not may_review(reviewer, tuple(region or ())):
            raise StoreError("you may review only submissions within your region",
                             "只能审核本辖区的填报。")
        slot = _slot(key, point_id, qid, period)
        undone = []  # (action, state) of the events still in force, oldest first
        for action, state_ in cur.execute("SELECT action, state FROM review_event WHERE slot = ? "
                                          "ORDER BY event_id", [slot]).fetchall():
            if action == "withdraw":
                undone.pop()
            else:
                undone.append((action, state_))
        if not undone or _derived(cur, slot, _latest(cur, slot)) == REVISED:
            raise StoreError("there is nothing to withdraw", "没有可以撤销的操作。")
        if undone[-1][0] != "return":
            raise StoreError("the latest step is the respondent's answer that the figures are "
                             "right; a reviewer cannot withdraw it. Return the report again, with "
                             "a reason, if it still needs checking",
                             "最近一步是填报人答复“数字无误”,审核人不能撤销;如仍需核实,请附原因再次退回。")
        undone.pop()
        before = undone[-1][1] if undone else RECEIVED
        _event(store, cur, slot, submission_id, point_id, qid, period, "withdraw", before,
               reason, reviewer.username)
        return before
    return store._write(work)


def confirm(store: Store, respondent: Respondent, questionnaire_id: str, period_key: str,
            note: str) -> None:
    """The respondent answers a return: the figure is right (with a note saying why)."""
    refuse(fields.RESPONDENT_NOTE.problem(note or ""))
    note = _reason(note) if note and note.strip() else "—"
    slot = _slot(respondent.key, respondent.point.point_id, questionnaire_id, period_key)

    def work(cur):
        lock_keys(cur, [slot])
        latest = _latest(cur, slot)
        if _derived(cur, slot, latest) != RETURNED:
            raise StoreError("this report is not waiting for an answer", "该填报没有待处理的退回。")
        _event(store, cur, slot, latest[1], respondent.point.point_id, questionnaire_id,
               period_key, "confirm", CONFIRMED, note, RESPONDENT)
    store._write(work)


def state(store: Store, respondent: Respondent, questionnaire_id: str, period_key: str) -> str:
    slot = _slot(respondent.key, respondent.point.point_id, questionnaire_id, period_key)
    cur = store._cursor()
    return _derived(cur, slot, _latest(cur, slot))


def open_returns(store: Store, respondent: Respondent, questionnaire_id: str) -> list[dict]:
    """Returns waiting for this respondent's answer: period, reason, when."""
    rows = store.query(
        "SELECT e.period_key, e.reason, e.event_at, e.submission_id, ks.submission_id FROM review_event e "
        "LEFT JOIN kept_slot ks USING (slot) WHERE e.point_id = ? AND e.questionnaire_id = ? "
        "AND starts_with(e.slot, ?) QUALIFY row_number() OVER (PARTITION BY e.slot ORDER BY "
        "e.event_id DESC) = 1 AND e.state = 'returned' ORDER BY e.period_key DESC",
        [respondent.point.point_id, questionnaire_id, respondent.key + "|"])
    return [{"period_key": p, "reason": r, "at": at} for p, r, at, returned, kept in rows
            if kept == returned]


_SLOTS_SQL = """
    WITH latest AS (
        SELECT slot, state, submission_id AS reviewed_id, reason, actor, event_at FROM review_event
        QUALIFY row_number() OVER (PARTITION BY slot ORDER BY event_id DESC) = 1),
    first_return AS (
        SELECT slot, arg_min(actor, event_id) AS returned_by FROM review_event
        WHERE action = 'return' GROUP BY slot)
    SELECT ks.submission_id, s.point_id, p.name AS point, p.prefecture, p.county, p.township,
           s.questionnaire_id, s.period_key, s.revision, s.submitted_at,
           CASE WHEN l.slot IS NULL THEN 'received' WHEN ks.submission_id <> l.reviewed_id
                THEN 'revised' ELSE l.state END AS state,
           l.reason, l.actor, l.event_at, f.returned_by
    FROM latest l JOIN kept_slot ks USING (slot)
    LEFT JOIN first_return f USING (slot)
    JOIN submission s ON s.submission_id = ks.submission_id
    JOIN points p ON p.point_id = s.point_id
"""


def _scope(scope: tuple[str, ...]) -> tuple[str, list]:
    if not scope:
        return "TRUE", []
    return f"len(p.region) >= {len(scope)} AND p.region[1:{len(scope)}] = ?", [list(scope)]


def reviewed(store: Store, scope: tuple[str, ...] = ()) -> pd.DataFrame:
    """Every kept submission with review events, in scope, with its current state and the
    latest event (reason, who, when)."""
    where, params = _scope(scope)
    return store.frame(_SLOTS_SQL + f" WHERE {where} ORDER BY l.event_at DESC", params)


def history(store: Store, submission_id: str) -> pd.DataFrame:
    """Every review event of this submission's slot and every submission of it (revisions
    are the respondent's events), in the order they happened: each submission, then the
    events while it was the kept one (seconds alone cannot order a quick return and revise)."""
    return store.frame("""
        WITH target AS (
            SELECT k.respondent_key || '|' || k.point_id || '|' || k.questionnaire_id || '|'
                   || k.period_key AS slot, k.respondent_key, k.point_id, k.questionnaire_id,
                   k.period_key FROM kept k WHERE k.submission_id = ?)
        SELECT "when" AS at, action, state, reason, actor, submission_id FROM (
            SELECT e.event_at AS "when", e.action, e.state, e.reason, e.actor, e.submission_id,
                   s.revision, 1 AS step, e.event_id
            FROM review_event e JOIN target t USING (slot)
            JOIN submission s ON s.submission_id = e.submission_id
            UNION ALL
            SELECT s.submitted_at, CASE WHEN s.revision = 1 THEN 'submit' ELSE 'revise' END,
                   NULL, NULL, 'respondent', s.submission_id, s.revision, 0, 0
            FROM submission s JOIN target t ON s.respondent_key = t.respondent_key
                 AND s.point_id = t.point_id AND s.questionnaire_id = t.questionnaire_id
                 AND s.period_key = t.period_key)
        ORDER BY revision, step, event_id""", [submission_id])


def queue(store: Store, scope: tuple[str, ...] = (), limit: int = 200) -> pd.DataFrame:
    """Kept submissions whose respondent confirmed a soft plausibility check ("very different
    from recent months — yes, it is right"), not reviewed yet: worth a second look."""
    where, params = _scope(scope)
    return store.frame(f"""
        SELECT c.submission_id, c.point_id, p.name AS point, p.county, c.questionnaire_id,
               c.period_key, c.question_id, c.value, c.reference
        FROM soft_checks c JOIN points p USING (point_id)
        WHERE c.confirmed AND {where} AND c.submission_id NOT IN (
            SELECT ks.submission_id FROM review_event e JOIN kept_slot ks USING (slot))
        ORDER BY c.period_key DESC, p.county, p.name LIMIT ?""", params + [limit])


def kept_in_scope(store: Store, questionnaire_id: str, period_key: str,
                  scope: tuple[str, ...] = ()) -> pd.DataFrame:
    """The kept submissions of a round in scope (to choose one to return)."""
    where, params = _scope(scope)
    return store.frame(f"""
        SELECT s.submission_id, p.name AS point, p.county, p.township, s.revision,
               s.submitted_at
        FROM kept k JOIN submission s USING (submission_id) JOIN points p ON p.point_id = s.point_id
        WHERE k.questionnaire_id = ? AND k.period_key = ? AND {where}
        ORDER BY p.county, p.name, s.submitted_at""", [questionnaire_id, period_key, *params])


def by_reviewer(store: Store) -> pd.DataFrame:
    """Returns per reviewer and county, and how they ended (for admins)."""
    slots = _SLOTS_SQL.replace("SELECT ks.submission_id",
                               "SELECT f.returned_by AS reviewer, ks.submission_id", 1)
    return store.frame(f"""
        SELECT reviewer, prefecture, county, count(*) AS returns,
               count(*) FILTER (state = 'returned') AS open,
               count(*) FILTER (state = 'revised') AS revised,
               count(*) FILTER (state = 'confirmed') AS confirmed,
               count(*) FILTER (state = 'received') AS withdrawn
        FROM ({slots}) WHERE reviewer IS NOT NULL
        GROUP BY ALL ORDER BY returns DESC, reviewer""")
