"""Which early warnings a leader has handled, up to which month, with a note."""

from __future__ import annotations

import datetime as dt

from survey import fields
from survey.store.engine import StoreError, refuse
from survey.store.model import _now

def handle_warning(store, key: str, through: dt.date, actor: str, note: str) -> None:
    """Mark a warning handled up to its newest evidence month (audit-logged)."""
    if not note.strip():
        raise StoreError("write what was done about the warning (a note is required)",
                         "请填写处理情况(必填)。")
    refuse(fields.WARNING_NOTE.problem(note))
    if not actor.strip():
        raise StoreError("say who handled the warning", "请说明处理人。")

    def work(cur):
        cur.execute("INSERT INTO warning_state VALUES (?, ?, ?, ?, ?) ON CONFLICT (warning_key) "
                    "DO UPDATE SET "
                    "through = excluded.through, handled_at = excluded.handled_at, "
                    "handled_by = excluded.handled_by, note = excluded.note",
                    [key, through, _now(), actor, note])
        store._audit(cur, actor, "handle_warning", key, {"through": through.isoformat(),
                                                         "note": note})
    store._write(work)


def warning_states(store) -> dict[str, dict]:
    rows = store._rows("SELECT warning_key, through, handled_at, handled_by, note "
                      "FROM warning_state")
    return {key: {"through": through, "at": at, "by": by, "note": note}
            for key, through, at, by, note in rows}
