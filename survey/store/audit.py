"""The audit log: who did what to which record, written in the same transaction as the action."""

from __future__ import annotations

import datetime as dt
import json

from survey.store.model import _now

def _audit(cur, actor: str, action: str, target: str | None, detail: dict) -> None:
    cur.execute("INSERT INTO audit_log (logged_at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                [_now(), actor, action, target, json.dumps(detail, ensure_ascii=False)])


def audit(store, actor: str, action: str, target: str | None = None, **detail) -> None:
    store._write(lambda cur: store._audit(cur, actor, action, target, detail))


def audit_log(store, actor: str | None = None, action: str | None = None,
              since: dt.date | None = None, limit: int = 500) -> list[tuple]:
    clauses, params = ["TRUE"], []
    if actor:
        clauses.append("actor = ?")
        params.append(actor)
    if action:
        clauses.append("action = ?")
        params.append(action)
    if since:
        clauses.append("logged_at >= ?")
        params.append(since)
    return store._rows("SELECT logged_at, actor, action, target, detail FROM audit_log WHERE "
                      + " AND ".join(clauses) + " ORDER BY audit_id DESC LIMIT ?",
                      params + [limit])


def audit_actions(store) -> list[str]:
    return [r[0] for r in store._rows("SELECT DISTINCT action FROM audit_log ORDER BY 1")]
