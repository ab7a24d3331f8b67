"""Settings an admin changes at run time (the public address printed in QR codes, whether
staff must use single sign-on), audit-logged."""

from __future__ import annotations

import datetime as dt

from survey.code_sheet import url_problem
from survey.store.engine import StoreError

PUBLIC_URL = "public_url"
SSO_REQUIRED = "sso_required"        # "1": staff sign in by their organisation only (survey/sso.py)
SSO_BREAK_GLASS = "sso_break_glass"  # the one admin who may still use a local password


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
        _upsert(cur, name, value, actor)
        if audited:
            store._audit(cur, actor, "change_setting", name, {"value": value})
    store._write(work)


def save_settings(store, values: dict[str, str], actor: str) -> None:
    """Settings that belong together, changed at once: one transaction, one audit entry."""
    def work(cur):
        for name, value in values.items():
            _upsert(cur, name, value, actor)
        store._audit(cur, actor, "change_setting", ", ".join(values), dict(values))
    store._write(work)


def _upsert(cur, name: str, value: str, actor: str) -> None:
    cur.execute("INSERT INTO app_setting VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE "
                "SET value = excluded.value, updated_at = excluded.updated_at, "
                "updated_by = excluded.updated_by", [name, value, _now(), actor])
