"""The durable outbox for reminders to work-group robots.

A message is written in the same transaction that records its reminder time as planned, so a
crash either plans both or neither. Delivery (survey.reminders) takes due messages, computes
their text at that moment and records the outcome: sent, skipped (nobody left to remind), or a
failure with its error and the time of the next attempt (exponential back-off, capped). A
message is never given up: it stays pending until it is delivered or an admin sees why not.
An admin can send any message again (replay), audit-logged.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import pandas as pd

from survey.store.core import Store, StoreError

PENDING, SENT, SKIPPED = "pending", "sent", "skipped"
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Message:
    message_id: str
    channel_id: str
    questionnaire_id: str
    period_key: str
    due_at: dt.datetime
    attempts: int


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def plan(store: Store, questionnaire_id: str, period_key: str, due_at: dt.datetime,
         channel_ids: list[str], now: dt.datetime | None = None) -> int:
    """Record a reminder time as planned and queue one message per channel, atomically and
    once: planning the same time again adds nothing. Returns the messages queued."""
    now = now or _now()

    def work(cur):
        # Several app processes plan at once on PostgreSQL: the plan row's key decides which
        # one queues (the other's insert waits for it, then does nothing).
        if not cur.execute("INSERT INTO reminder_plan VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING "
                           "RETURNING 1", [questionnaire_id, period_key, due_at, now]).fetchall():
            return 0
        return sum(_queue(cur, c, questionnaire_id, period_key, due_at, now) for c in channel_ids)
    return store._write(work)


# A second 立即催报 for the same group, questionnaire and period within this time (a double tap,
# two admins at once) is not queued: the group would get the same reminder twice.
AGAIN_AFTER = dt.timedelta(minutes=10)


def queue_now(store: Store, channel_id: str, questionnaire_id: str, period_key: str,
              actor: str, now: dt.datetime | None = None) -> int:
    """An extra reminder an admin sends by hand (audit-logged). Returns 1 when queued, 0 when
    the same one is still waiting in the outbox or was queued less than AGAIN_AFTER ago."""
    now = now or dt.datetime.now()

    def work(cur):
        recent = cur.execute(
            "SELECT 1 FROM outbox WHERE channel_id = ? AND questionnaire_id = ? AND "
            "period_key = ? AND (state = 'pending' AND due_at <= ? OR created_at > ?) LIMIT 1",
            [channel_id, questionnaire_id, period_key, now, now - AGAIN_AFTER]).fetchall()
        if recent:
            return 0
        made = _queue(cur, channel_id, questionnaire_id, period_key, now, now)
        store._audit(cur, actor, "send_reminder", channel_id,
                     {"questionnaire_id": questionnaire_id, "period_key": period_key})
        return made
    return store._write(work)


def _queue(cur, channel_id, questionnaire_id, period_key, due_at, now) -> int:
    found = cur.execute("INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL, NULL, "
                        "NULL, NULL) ON CONFLICT DO NOTHING RETURNING 1",
                        ["M-" + secrets.token_hex(6).upper(), channel_id, questionnaire_id,
                         period_key, due_at, now, now]).fetchall()
    return len(found)


def due(store: Store, now: dt.datetime, limit: int = 50) -> list[Message]:
    rows = store.query("SELECT message_id, channel_id, questionnaire_id, period_key, due_at, "
                       "attempts FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? "
                       "ORDER BY next_attempt_at, created_at LIMIT ?", [now, limit])
    return [Message(*row) for row in rows]


CLAIM = dt.timedelta(minutes=2)   # one message's post (10 s at most) and its text, with room


def claimed(store: Store, now: dt.datetime, limit: int = 50, clock=None):
    """The messages due at `now` for this process to deliver, one at a time, each at most once.

    In the DuckDB file one process delivers: the due messages as they are. On PostgreSQL every
    app process runs a delivery thread, so each message is claimed just before it is sent: its
    next attempt moves CLAIM ahead of `clock()` in one statement that skips rows another
    process is claiming (FOR UPDATE SKIP LOCKED), so no other process takes it while it is
    sent; the outcome (mark_sent/skipped/failed) then sets it. If the process dies mid-send,
    the message is tried again once CLAIM has passed."""
    if store.dialect != "postgres":
        yield from due(store, now, limit)
        return
    clock = clock or _now
    seen: list[str] = []
    while len(seen) < limit:
        row = store._write(lambda cur: cur.execute(
            "UPDATE outbox SET next_attempt_at = ? WHERE message_id = (SELECT message_id "
            "FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? AND message_id <> "
            "ALL(?::text[]) ORDER BY next_attempt_at, created_at LIMIT 1 FOR UPDATE SKIP "
            "LOCKED) RETURNING message_id, channel_id, questionnaire_id, period_key, due_at, "
            "attempts", [clock() + CLAIM, now, seen]).fetchone())
        if row is None:
            return
        seen.append(row[0])
        yield Message(*row)


def next_due(store: Store) -> dt.datetime | None:
    return store.query("SELECT min(next_attempt_at) FROM outbox WHERE state = 'pending'")[0][0]


def mark_sent(store: Store, message_id: str, body: str, now: dt.datetime) -> None:
    store._write(lambda cur: cur.execute(
        "UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_attempt_at = ?, "
        "sent_at = ?, body = ?, last_error = NULL WHERE message_id = ? AND state = 'pending'",
        [now, now, body, message_id]))


def mark_skipped(store: Store, message_id: str, why: str, now: dt.datetime) -> None:
    store._write(lambda cur: cur.execute(
        "UPDATE outbox SET state = 'skipped', last_attempt_at = ?, body = ? "
        "WHERE message_id = ? AND state = 'pending'", [now, why, message_id]))


def backoff(attempts: int, base_s: float, cap_s: float) -> float:
    """Seconds to wait after the `attempts`-th failure: base, 2 base, 4 base ... at most cap."""
    return min(cap_s, base_s * 2 ** min(attempts - 1, 30))


def mark_failed(store: Store, message_id: str, error: str, now: dt.datetime,
                base_s: float, cap_s: float) -> None:
    def work(cur):
        row = cur.execute("SELECT attempts FROM outbox WHERE message_id = ?",
                          [message_id]).fetchone()
        attempts = (row[0] if row else 0) + 1
        wait = dt.timedelta(seconds=backoff(attempts, base_s, cap_s))
        cur.execute("UPDATE outbox SET attempts = ?, last_attempt_at = ?, last_error = ?, "
                    "next_attempt_at = ? WHERE message_id = ? AND state = 'pending'",
                    [attempts, now, error[:MAX_ERROR_CHARS], now + wait, message_id])
    store._write(work)


def replay(store: Store, message_id: str, actor: str, now: dt.datetime | None = None) -> None:
    """Send a message again now (its text is computed again), whatever its state."""
    now = now or _now()

    def work(cur):
        found = cur.execute("UPDATE outbox SET state = 'pending', next_attempt_at = ?, "
                            "sent_at = NULL WHERE message_id = ? RETURNING channel_id",
                            [now, message_id]).fetchall()
        if not found:
            raise StoreError(f"there is no message {message_id}", f"没有消息 {message_id}。")
        store._audit(cur, actor, "replay_reminder", message_id, {"channel_id": found[0][0]})
    store._write(work)


def listing(store: Store, limit: int = 200) -> pd.DataFrame:
    """The outbox for admins, newest first, with the channel's name (never its address)."""
    return store.frame("SELECT o.message_id, c.label AS channel, o.questionnaire_id, o.period_key, "
                       "o.due_at, o.state, o.attempts, o.last_error, o.last_attempt_at, "
                       "o.next_attempt_at, o.sent_at, o.body FROM outbox o LEFT JOIN "
                       "reminder_channel c USING (channel_id) ORDER BY o.due_at DESC, "
                       "o.created_at DESC LIMIT ?", [limit])


def backlog(store: Store) -> tuple[int, int]:
    """(pending messages, pending ones whose last attempt failed), for monitoring: read from
    the transactional database directly (on PostgreSQL not through DuckDB), cheaply."""
    row = store._one("SELECT count(*), count(*) FILTER (WHERE last_error IS NOT NULL) FROM "
                     "outbox WHERE state = 'pending'")
    return int(row[0]), int(row[1])


def counts(store: Store) -> dict[str, int]:
    return dict(store.query("SELECT state, count(*) FROM outbox GROUP BY state"))
