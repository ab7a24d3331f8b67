"""Shared fixtures: real DuckDB files in tmp_path and a real PostgreSQL (tests/pg_support.py),
the real default questionnaires.

Every test that uses the `store` fixture runs on both engines (test ids [duckdb] and
[postgres]), unless it is marked `embedded_only` (it is about the DuckDB file itself)."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey.bootstrap import publish_dir
from survey.store import Point, Store

ROOT = Path(__file__).resolve().parent.parent

KEY = b"test-key-" + b"0" * 23
VILLAGE = Point("P-VIL-1", "和平村", "village", "village", ("江北市", "清河县", "城关镇"))
SCHOOL = Point("P-SCH-1", "清河县第一中学", "county", "school", ("江北市", "清河县"))


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "survey.duckdb"


def pytest_configure(config):
    config.addinivalue_line("markers", "embedded_only: the test is about the DuckDB file itself")


def pytest_sessionfinish(session, exitstatus):
    """Apps the tests started (AppTest, in this process) end their background threads and
    close their stores before the interpreter exits."""
    from survey import bootstrap, reminders
    bootstrap.stop_all()
    for delivery in list(reminders._running.values()):
        delivery.stop(timeout=5)
    session.config._survey_exit = int(exitstatus)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config):
    """Exit with the tests' verdict now. Tearing down the interpreter after ~800 tests with
    dozens of DuckDB databases opened in-process sometimes aborts inside DuckDB's C++
    ('terminate called without an active exception', exit 134) after every test passed: a
    teardown crash of the harness, not a result, so it must not decide the exit code."""
    import os
    import sys
    if hasattr(config, "_survey_exit"):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config._survey_exit)


@pytest.fixture(autouse=True)
def _apps_end_with_their_test(request):
    """An app a test started (AppTest) on a database in that test's tmp_path ends with the
    test: pytest deletes a passed test's tmp_path, and the next test may get the same path.
    (Apps on a module's shared database stay up for the module's other tests.)"""
    folder = str(request.getfixturevalue("tmp_path")) if "tmp_path" in request.fixturenames \
        else None
    yield
    from survey import bootstrap
    for key, startup in list(bootstrap._started.items()):
        if folder and key.startswith(folder):
            bootstrap.stop(startup)


def pytest_generate_tests(metafunc):
    if "engine_name" in metafunc.fixturenames:
        embedded = metafunc.definition.get_closest_marker("embedded_only") is not None
        metafunc.parametrize("engine_name", ["duckdb"] if embedded else ["duckdb", "postgres"])


@pytest.fixture(scope="session")
def pg_cluster():
    from tests.pg_support import Cluster
    cluster = Cluster()
    yield cluster
    from survey import bootstrap
    bootstrap.stop_all()  # apps the tests started: their threads end before their database
    cluster.stop()


@pytest.fixture
def pg_url(request):
    """A new, empty PostgreSQL database on the session's cluster."""
    return request.getfixturevalue("pg_cluster").new_database()


@pytest.fixture
def store_target(engine_name, db_path, request):
    """Where the store under test keeps its data: a DuckDB file or a PostgreSQL URL."""
    return db_path if engine_name == "duckdb" else request.getfixturevalue("pg_url")


@pytest.fixture
def store(store_target, monkeypatch):
    """The store under test. On PostgreSQL an app a test starts (AppTest, `streamlit run`
    from this environment) opens the same database: SURVEY_DATABASE_URL points at it."""
    if not isinstance(store_target, Path):
        monkeypatch.setenv("SURVEY_DATABASE_URL", store_target)
        monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    s = Store(store_target, KEY)
    published, problems = publish_dir(s, ROOT / "questionnaires")
    assert not problems
    s.add_points([VILLAGE, SCHOOL])
    yield s
    s.close()


@pytest.fixture
def monthly(store):
    return next(q for q in store.current_questionnaires() if q.id == "burden_monthly")


def complete_answers(**overrides) -> dict:
    """A valid answer set for the monthly survey."""
    answers = {
        "documents": 40, "documents_action": 12, "meetings": 9, "meeting_hours": 6.5,
        "forms": 14, "form_hours": 7.0, "duplicate_forms": 3, "inspections": 2,
        "inspection_hours": 8.0, "trace_demands": True, "trace_hours": 2.5, "apps": 6,
        "chat_groups": 15, "chat_pressure": True, "burden_change": "2", "satisfaction": "4",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


@pytest.fixture(autouse=True)
def no_background_snapshots(monkeypatch):
    """Apps started by tests don't write analytics snapshots unless a test asks for it."""
    monkeypatch.setenv("SURVEY_SNAPSHOT_MINUTES", "0")


STAFF_PASSWORD = "Correct-Horse-7-Battery"


def add_staff(store, username: str, role: str, region=()) -> None:
    """A staff account ready to use (no first-login password change)."""
    if store.account(username) is None:
        store.create_account(username, username, role, region, STAFF_PASSWORD, "test",
                             must_change=False)


def as_user(at, username: str):
    """Sign an AppTest session in as `username` (the account must exist), with a real
    server-side session in the app's store, as a sign-in would leave it."""
    from survey import config
    from survey.bootstrap import started
    from survey.store import sessions
    store = started(config.resolve()).store
    at.session_state["staff_token"] = sessions.start(store, sessions.STAFF, username, 3600)
    return at


def rate_page(point_id: str, questionnaire_id: str | None = None):
    """The public page as a QR link opens it (/rate?point=ID&q=ID), in a fresh AppTest
    session: a new browser, no sign-in."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60)
    at.query_params["point"] = point_id
    if questionnaire_id:
        at.query_params["q"] = questionnaire_id
    at.switch_page("app_pages/rate.py").run()
    assert not at.exception
    return at


@pytest.fixture(scope="session")
def hostile_app(tmp_path_factory):
    """The real app on a demo database with hostile text in every typed field
    (tests/hostile_support.py), shared by the browser tests of issue 29."""
    pytest.importorskip("playwright.sync_api")
    from tests.hostile_support import hostile_app as running
    with running(tmp_path_factory.mktemp("hostile")) as app:
        yield app
