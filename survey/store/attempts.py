"""Attempt limits kept in the database, shared by every app server (survey/throttle.py's
SharedThrottle and SharedCeiling): one row per limiter and key, counting failures (or events)
in a window. Reads on every attempt; a write only on a failure (or a counted event), so a
successful sign-in or a submit costs one indexed read and no write. Expired rows are deleted
as rows are written, and the table is capped (the oldest go first)."""

from __future__ import annotations

import random

MAX_ROWS = 200_000   # all limiters together; a flood of new keys pushes the oldest out
PRUNE_SHARE = 0.05   # the share of writes that also delete expired rows and enforce MAX_ROWS


def entries(store, limiter: str, keys: list[str]) -> dict[str, tuple[int, float, float]]:
    """{key: (count, first_at, last_at)} of these keys."""
    if not keys:
        return {}
    rows = store._rows(f"SELECT key, count, first_at, last_at FROM attempt_limit WHERE "
                       f"limiter = ? AND key IN ({', '.join('?' * len(keys))})",
                       [limiter, *keys])
    return {key: (count, first, last) for key, count, first, last in rows}


def count(store, limiter: str, keys: list[str], now: float, window_s: float,
          restart: bool) -> None:
    """One more failure or event for each key. `restart`: every failure restarts the window
    (a throttle: the count ages out only after a quiet window); otherwise the window runs from
    the first event (a ceiling)."""
    expired = now - window_s

    def work(cur):
        for key in keys:
            cur.execute(
                "INSERT INTO attempt_limit (limiter, key, count, first_at, last_at) "
                "VALUES (?, ?, 1, ?, ?) ON CONFLICT (limiter, key) DO UPDATE SET "
                "count = CASE WHEN attempt_limit.{0} < ? THEN 1 ELSE attempt_limit.count + 1 "
                "END, first_at = CASE WHEN attempt_limit.{0} < ? THEN excluded.first_at "
                "ELSE attempt_limit.first_at END, last_at = excluded.last_at".format(
                    "last_at" if restart else "first_at"),
                [limiter, key, now, now, expired, expired])
        if random.random() < PRUNE_SHARE:  # now and then: a write stays one row's work
            cur.execute("DELETE FROM attempt_limit WHERE limiter = ? AND last_at < ?",
                        [limiter, expired])
            (total,) = cur.execute("SELECT count(*) FROM attempt_limit").fetchone()
            if total > MAX_ROWS:
                cur.execute("DELETE FROM attempt_limit WHERE (limiter, key) IN (SELECT "
                            "limiter, key FROM attempt_limit ORDER BY last_at LIMIT ?)",
                            [total - MAX_ROWS])
    store._write(work)


def size(store, limiter: str) -> int:
    return store._one("SELECT count(*) FROM attempt_limit WHERE limiter = ?", [limiter])[0]
