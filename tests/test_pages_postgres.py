"""Every page, for every role, runs on the PostgreSQL engine with demo data: no exception and
no database error shown (the pages' own behaviour is tested on the embedded engine; this
catches SQL that only DuckDB accepts on the way from a page to the store)."""

from __future__ import annotations

import pytest

from survey.bootstrap import start
from survey.config import resolve
from tests.conftest import add_staff
from tests.test_language import CASES, ROLES, TREND_VIEWS, page_scripts, render

KEY = "k" * 16


@pytest.fixture(scope="module")
def pg_demo(pg_cluster, tmp_path_factory):
    env = {"SURVEY_DATABASE_URL": pg_cluster.new_database(), "SURVEY_CODE_KEY": KEY,
           "SURVEY_DB": str(tmp_path_factory.mktemp("pages-pg") / "side.duckdb")}
    store = start(resolve(env)).store
    for role, region in ROLES.items():
        if region is not None:
            add_staff(store, f"u_{role}", role, region)
    yield env, store
    store.close()


def shown_errors(at) -> list[str]:
    return [e.value for e in at.error if "Database error" in e.value or "数据库" in e.value]


@pytest.mark.parametrize("role,page", CASES)
def test_page_runs_on_postgres(pg_demo, monkeypatch, role, page):
    env, _ = pg_demo
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    script = page_scripts()[page]
    at = render(None, role, script, "zh")
    errors = shown_errors(at)
    if page == "trends":
        for view in TREND_VIEWS:
            errors += shown_errors(render(None, role, script, "zh", view=view,
                                          ind="satisfaction"))
    assert not errors, errors
