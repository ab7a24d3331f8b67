"""An older program opening a database a newer release wrote: it stops at start-up, says why
in English and Chinese, and changes nothing (a downgrade by mistake must not damage data).
The server's /healthz and the pages report it like any other start-up problem."""

from __future__ import annotations

import datetime as dt

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from streamlit.testing.v1 import AppTest

from survey.store import Store, StoreError
from survey.store.engine import migrations
from tests.conftest import KEY, ROOT


def _written_by_a_newer_release(target) -> int:
    """Mark the database as a later release leaves it: one more migration than this program
    knows, with a table this program has never heard of."""
    with Store(target, KEY) as store:
        newest = store.schema_version()
        store._write(lambda cur: (
            cur.execute("CREATE TABLE from_the_future (x INTEGER)"),
            cur.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [newest + 1, f"{newest + 1:03d}_from_the_future",
                         dt.datetime(2030, 1, 1)])))
        return newest + 1


def state(target) -> list:
    """What a start could have changed: the applied migrations and the tables."""
    if isinstance(target, str):
        import psycopg
        con = psycopg.connect(target)
        tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    else:
        import duckdb
        con = duckdb.connect(str(target), read_only=True)
        tables = "SELECT table_name FROM duckdb_tables()"
    try:
        return (con.execute("SELECT version, name, applied_at FROM schema_migrations "
                            "ORDER BY version").fetchall()
                + con.execute(tables + " ORDER BY 1").fetchall())
    finally:
        con.close()


def test_an_older_program_refuses_a_newer_database_and_changes_nothing(store_target):
    found = _written_by_a_newer_release(store_target)
    known = max(number for number, _, _ in migrations(
        "postgres" if isinstance(store_target, str) else "duckdb"))
    before = state(store_target)
    with pytest.raises(StoreError) as refused:
        Store(store_target, KEY)
    assert str(refused.value).startswith(
        f"This database was written by a newer release (schema {found}); this program knows "
        f"up to schema {known}. Upgrade the program, or restore a backup made by this release.")
    assert f"数据库结构版本 {found}" in refused.value.zh and "请升级程序" in refused.value.zh
    assert state(store_target) == before
    with pytest.raises(StoreError):  # and again: the refusal left nothing half-open behind
        Store(store_target, KEY)


def test_the_server_reports_it_on_healthz_and_the_page(tmp_path, monkeypatch):
    from ui import server
    db = tmp_path / "survey.duckdb"
    monkeypatch.setenv("SURVEY_DB", str(db))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    found = _written_by_a_newer_release(db)
    app = Starlette(routes=server.ROUTES)
    local = TestClient(app, client=("127.0.0.1", 40000)).get("/healthz")
    remote = TestClient(app, client=("203.0.113.9", 40000)).get("/healthz")
    assert local.status_code == remote.status_code == 503
    assert f"newer release (schema {found})" in local.json()["error"]
    assert remote.json() == {"status": "unavailable"}  # no reasons for visitors

    at = AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60).run()
    shown = " ".join(e.value for e in at.error)
    assert f"此数据库由更新的版本写入(数据库结构版本 {found})" in shown
    assert shown.startswith("本程序版本低于数据库") and "暂时" not in shown  # not a passing fault
    assert "Traceback" not in shown
