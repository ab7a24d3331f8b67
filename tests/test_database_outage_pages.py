"""PostgreSQL goes away while people use the app: the page says so in the viewer's language
(no traceback), and the same session carries on when the database is back. (The cadres' form
during an outage: tests/test_light_form_offline.py, tests/test_chaos_light.py.)"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import KEY, ROOT, VILLAGE
from tests.pg_support import Cluster

PASSWORD = "Pw-never-shown-7"
AWAY_ZH = "数据库暂时没有响应。您填写的内容仍保留在本页,请稍后再试。"


@pytest.fixture
def paused_app(tmp_path, monkeypatch):
    from survey import bootstrap
    from survey.bootstrap import started
    from survey.config import resolve
    cluster = Cluster()
    url = cluster.url().replace("postgres@", f"postgres:{PASSWORD}@")  # trust: accepted
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "side.duckdb"))
    monkeypatch.setenv("SURVEY_DEMO", "0")
    startup = started(resolve())
    store = startup.store
    store.add_points([VILLAGE])
    yield cluster, store
    bootstrap.stop(startup)
    cluster.stop()


def shown(at) -> str:
    return " | ".join([e.value for e in at.error] + [m.value for m in at.markdown])


def test_a_read_cut_off_by_the_outage_says_so_instead_of_a_traceback(paused_app):
    """PostgreSQL stopping during one of DuckDB's reads of it (found by the chaos robot: the
    cadre's page showed an AttributeError traceback, from the 退回 notice's query). The message
    is the one DuckDB's postgres extension gave."""
    import duckdb
    from survey.store import StoreError
    _, store = paused_app
    cut = duckdb.Error('Failed to prepare COPY "COPY (SELECT "slot" FROM "public".'
                       '"review_event") TO STDOUT (FORMAT "binary");": server closed the '
                       "connection unexpectedly\n\tThis probably means the server terminated "
                       "abnormally\n\tbefore or while processing the request.")
    error = store.engine.analytics_error(cut)
    assert isinstance(error, StoreError) and error.zh == AWAY_ZH
    other = store.engine.analytics_error(duckdb.Error("Binder Error: no such column"))
    assert isinstance(other, StoreError) and "no such column" in str(other)


def test_a_leader_sees_the_outage_in_english_in_the_english_ui(paused_app, monkeypatch):
    from tests.conftest import add_staff, as_user
    cluster, store = paused_app
    add_staff(store, "li", "leader", ("江北市",))
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), "li")
    at.query_params["lang"] = "en"
    at.switch_page("app_pages/login.py").run()  # a page without month pickers (AppTest
    # cannot carry a month picker's value across a language switch)
    assert not at.exception, at.exception
    cluster.pause()
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "The database server did not answer. What you typed is kept on this page; try again "
        "in a moment."]
    assert at.button(key="database_trouble_retry").label == "Try again"
    assert PASSWORD not in shown(at)
    cluster.resume()


def test_a_visitor_sees_no_server_details_when_the_app_cannot_start(tmp_path):
    """A database the app cannot open (here: a DuckDB file another program holds): the browser
    on the server itself gets what to do; a visitor from elsewhere (through a proxy) only that
    the service is unavailable, no file names, keys or addresses; the log has the details."""
    import subprocess
    import sys

    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle
    chromium = require_chromium()
    db = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(300)", str(db)], stdout=subprocess.PIPE,
        text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        env = {"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0"}
        with running_app(env) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            shown = {}
            for who, headers in (("operator", {}),
                                 ("visitor", {"X-Forwarded-For": "203.0.113.9"})):
                page = browser.new_page(extra_http_headers=headers)
                page.goto(url)
                page.get_by_text("数据库暂时无法打开" if who == "operator" else "服务暂时无法使用",
                                 exact=False).wait_for(timeout=30000)
                settle(page)
                shown[who] = page.inner_text("body")
            browser.close()
            health = {}
            for who, headers in (("operator", {}),
                                 ("visitor", {"X-Forwarded-For": "203.0.113.9"})):
                request = urllib.request.Request(url + "/healthz", headers=headers)
                with pytest.raises(urllib.error.HTTPError) as answer:
                    urllib.request.urlopen(request, timeout=10)
                assert answer.value.code == 503
                health[who] = json.loads(answer.value.read())
        assert "in use by another program" in health["operator"]["error"]
        assert health["visitor"] == {"status": "unavailable"}
        assert "in use by another program" in shown["operator"]
        assert "服务暂时无法使用,请稍后再试。管理员请查看服务器日志。" in shown["visitor"]
        for detail in ("in use by another program", str(db), "held.duckdb", "SURVEY_"):
            assert detail not in shown["visitor"], detail
        log = db.with_suffix(".server.log").read_text()
        assert "in use by another program" in log and "Traceback" not in log
    finally:
        holder.kill()
        holder.wait()
