"""Settings an admin changes at run time (the public address printed in QR codes), audit-logged."""

from __future__ import annotations

import datetime as dt

from survey.code_sheet import url_problem
from survey.store.engine import StoreError

PUBLIC_URL = "public_url"


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def setting(store, name: str) -> str | None:
    row = store._one("SELECT value FROM app_setting WHERE name = ?", [name])
    return row[0] if row else None


def save_setting(store, name: str, value: str, actor: str, audited: bool = True) -> None:
    """`audited=False` for what the system records about itself (not a person's change)."""
    if name == PUBLIC_URL and (problem := url_problem(value)):
        zh, en = problem
        raise StoreError(en, zh)  # what the points page says: QR codes would not open

    def work(cur):
        cur.execute("INSERT INTO app_setting VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE "
                    "SET value = excluded.value, updated_at = excluded.updated_at, "
                    "updated_by = excluded.updated_by", [name, value, _now(), actor])
        if audited:
            store._audit(cur, actor, "change_setting", name, {"value": value})
    store._write(work)
