"""GET /metrics: the platform's health in Prometheus' text format. Counters move when a cadre
submits or saves a draft and when a sign-in fails; the database's gauges (reminder backlog,
last backup, schema) are read at scrape time; a hung database gives survey_database_up 0 in
about two seconds instead of a hanging scrape; only this machine (or the operator's networks
or token) may read it."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.testclient import TestClient

from survey import bootstrap, form_flow, observability, periods, signin, throttle
from survey.store import settings
from survey.store.engine import migrations
from tests.conftest import KEY, VILLAGE, complete_answers

LOCAL = ("127.0.0.1", 40000)
ELSEWHERE = ("203.0.113.9", 40000)


@pytest.fixture
def app(engine_name, store_target, tmp_path, monkeypatch):
    """The server's routes over a started app (as the lifespan leaves it), on either engine."""
    from ui import server
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "side.duckdb"))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    for name in ("SURVEY_METRICS_FROM", "SURVEY_METRICS_TOKEN", "SURVEY_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    if engine_name == "postgres":
        monkeypatch.setenv("SURVEY_DATABASE_URL", store_target)
    else:
        monkeypatch.setenv("SURVEY_DB", str(store_target))
    startup = server.services()
    startup.store.add_points([VILLAGE])
    yield startup, Starlette(routes=server.ROUTES)
    bootstrap.stop(startup)


def scrape(routes, client=LOCAL, **headers) -> dict:
    """{(name, labels...): value} from /metrics, parsed with prometheus_client's parser."""
    answer = TestClient(routes, client=client).get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    values = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            values[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return values


def test_counters_move_with_what_people_do(app, engine_name):
    startup, routes = app
    store = startup.store
    before = scrape(routes)
    assert before[("survey_database_up",)] == 1
    assert before[("survey_schema_version",)] == max(n for n, _, _ in migrations(engine_name))
    assert before[("survey_last_backup_age_seconds",)] == math.inf  # no backup yet: alert
    assert before[("survey_last_backup_timestamp_seconds",)] == 0
    assert ("process_resident_memory_bytes",) in before  # the library's process information

    code = store.issue_codes(VILLAGE.point_id, 1, "test")[0]
    respondent = store.respondent(code)
    monthly = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    period = periods.key_for("month", dt.date.today())
    flow = form_flow.open_form(store, respondent, monthly, period)
    flow.set_answer("documents", 12)
    form_flow.save(store, respondent, flow)                               # a draft
    store.submit(respondent, monthly, period, complete_answers(), "token-1")  # a submission
    store.submit(respondent, monthly, period, complete_answers(), "token-1")  # a double tap
    signin.staff_sign_in(store, throttle.Limits(), "nobody", "wrong", "203.0.113.9")
    signin.open_with_code(store, throttle.Limits(), "AAAA-BBBB", "203.0.113.9")
    settings.save_setting(store, observability.LAST_BACKUP_SETTING,
                          dt.datetime.now().isoformat(timespec="seconds"), "backup",
                          audited=False)
    after = scrape(routes)

    def moved(*key):
        return after[key] - before.get(key, 0)
    assert moved("survey_submissions_total", ("outcome", "stored")) == 1
    assert moved("survey_submissions_total", ("outcome", "duplicate")) == 1
    assert moved("survey_submit_seconds_count") == 1
    assert moved("survey_drafts_saved_total") == 1
    assert moved("survey_sign_in_failures_total", ("kind", "staff"), ("reason", "failed")) == 1
    assert moved("survey_sign_in_failures_total", ("kind", "code"), ("reason", "unknown")) == 1
    assert 0 <= after[("survey_last_backup_age_seconds",)] < 60
    assert after[("survey_last_backup_timestamp_seconds",)] > time.time() - 60
    if engine_name == "postgres":
        assert after[("survey_db_pool_size",)] >= 1
        assert after[("survey_db_pool_waiting",)] == 0
    else:
        assert ("survey_db_pool_size",) not in after


def test_the_reminder_backlog_is_read_from_the_database(app):
    from survey.store import outbox, rounds
    startup, routes = app
    store = startup.store
    assert scrape(routes)[("survey_outbox_pending",)] == 0
    channel = rounds.add_channel(store, "清河县减负工作群", "wecom",
                                 "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", None,
                                 ("江北市", "清河县"), None, "zh", "admin")
    tomorrow = dt.datetime.now().replace(microsecond=0) + dt.timedelta(days=1)
    outbox.plan(store, "burden_monthly", "2026-09", tomorrow, [channel])  # not due yet
    values = scrape(routes)
    assert values[("survey_outbox_pending",)] == 1 and values[("survey_outbox_failing",)] == 0
    message = outbox.listing(store)["message_id"][0]
    outbox.mark_failed(store, message, "robot said no", dt.datetime.now(), 60, 600)
    assert scrape(routes)[("survey_outbox_failing",)] == 1


def test_only_this_machine_or_the_operators_choice_may_read_it(app, monkeypatch):
    _, routes = app
    refused = TestClient(routes, client=ELSEWHERE).get("/metrics")
    assert refused.status_code == 403 and "survey_" not in refused.text
    through_proxy = TestClient(routes, client=LOCAL).get(
        "/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert through_proxy.status_code == 403  # a proxy on this machine forwards visitors
    monkeypatch.setenv("SURVEY_METRICS_FROM", "203.0.113.0/24")
    assert scrape(routes, ELSEWHERE)[("survey_database_up",)] == 1
    assert TestClient(routes, client=("198.51.100.7", 1)).get("/metrics").status_code == 403
    monkeypatch.setenv("SURVEY_METRICS_TOKEN", "scrape-secret-4kq9")
    other = ("198.51.100.7", 1)
    assert scrape(routes, other, Authorization="Bearer scrape-secret-4kq9")
    wrong = TestClient(routes, client=other).get(
        "/metrics", headers={"Authorization": "Bearer guess"})
    assert wrong.status_code == 403 and "survey_" not in wrong.text


def test_a_hung_database_gives_up_0_at_once_and_never_piles_up_reads(pg_url, tmp_path,
                                                                      monkeypatch):
    """PostgreSQL holds a lock the scrape's read waits for (as a hung server would): each
    scrape still answers in about DATABASE_TIMEOUT_S, with survey_database_up 0, the
    server's own gauges and the counters, and one read at a time waits on the database."""
    from ui import server
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "side.duckdb"))
    monkeypatch.setenv("SURVEY_DATABASE_URL", pg_url)
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    startup = server.services()
    routes = Starlette(routes=server.ROUTES)
    blocker = psycopg.connect(pg_url)
    try:
        blocker.execute("LOCK TABLE outbox IN ACCESS EXCLUSIVE MODE")  # held until rollback
        for _ in range(3):
            began = time.monotonic()
            values = scrape(routes)
            assert time.monotonic() - began < observability.DATABASE_TIMEOUT_S + 2
            assert values[("survey_database_up",)] == 0
            assert ("survey_outbox_pending",) not in values
            assert ("survey_db_pool_size",) in values
            assert ("survey_submissions_total", ("outcome", "stored")) in values
        readers = [t for t in threading.enumerate() if t.name == "metrics-database"]
        assert len(readers) == 1
    finally:
        blocker.rollback()
        blocker.close()
    deadline = time.monotonic() + 10
    while scrape(routes)[("survey_database_up",)] != 1:  # back as soon as it answers
        assert time.monotonic() < deadline
    bootstrap.stop(startup)


def test_a_wrong_monitoring_setting_keeps_the_app_serving_and_metrics_local(app, monkeypatch,
                                                                           caplog):
    """A typo in SURVEY_METRICS_FROM (or a short token) must not stop the cadres: the app
    starts, /metrics answers this machine only and says why, and so does the log."""
    import asyncio

    from survey import config
    from ui import server
    monkeypatch.setenv("SURVEY_METRICS_FROM", "10.0.0.0/33")
    monkeypatch.setenv("SURVEY_METRICS_TOKEN", "short-token")
    cfg = config.resolve()                                   # no ConfigError
    assert cfg.metrics_from == () and cfg.metrics_token is None and len(cfg.metrics_problems) == 2
    _, routes = app
    assert scrape(routes)[("survey_database_up",)] == 1      # this machine still reads it
    refused = TestClient(routes, client=("10.0.0.7", 1)).get(
        "/metrics", headers={"Authorization": "Bearer short-token"})
    assert refused.status_code == 403 and "survey_" not in refused.text
    assert "'10.0.0.0/33' is not an IP address or network" in refused.text
    assert "SURVEY_METRICS_FROM" in refused.text and "只对本机开放" in refused.text
    assert "shorter than 16 characters" in refused.text and "short-token" not in refused.text
    assert TestClient(routes).get("/healthz").status_code == 200

    async def start_and_stop():
        async with server.lifespan(None):
            pass
    with caplog.at_level("ERROR", logger="survey.server"):
        asyncio.run(start_and_stop())
    logged = [r.getMessage() for r in caplog.records]
    assert any("monitoring setting ignored" in m and "SURVEY_METRICS_FROM" in m for m in logged)
    assert not any("database" in m for m in logged)


def test_behind_a_proxy_every_proxy_header_is_judged(app, monkeypatch):
    """nginx may set X-Real-IP or Forwarded instead of X-Forwarded-For: from a trusted proxy the
    client those headers name is judged; from anyone else any of them means 'not local'."""
    _, routes = app
    proxy, scraper, visitor = ("10.0.0.2", 1), "192.168.1.5", "203.0.113.9"
    monkeypatch.setenv("SURVEY_TRUSTED_PROXIES", "127.0.0.1,10.0.0.2")
    monkeypatch.setenv("SURVEY_METRICS_FROM", scraper)

    def status(client, **headers):
        return TestClient(routes, client=client).get("/metrics", headers=headers).status_code

    for header, value in (("X-Real-IP", visitor), ("Forwarded", f'for="{visitor}:4711"'),
                          ("X-Forwarded-For", visitor)):
        assert status(LOCAL, **{header: value}) == 403      # a proxy on this machine: a visitor
        assert status(proxy, **{header: value}) == 403
    assert status(proxy, **{"X-Real-IP": scraper}) == 200
    assert status(proxy, Forwarded=f"for={scraper};proto=https") == 200
    assert status(LOCAL, **{"X-Forwarded-For": scraper}) == 200
    # a forged X-Forwarded-For passed through by a proxy that sets only X-Real-IP: not believed
    assert status(proxy, **{"X-Forwarded-For": scraper, "X-Real-IP": visitor}) == 403
    # an untrusted peer: its headers are ignored, and they mean it is not this machine
    monkeypatch.setenv("SURVEY_METRICS_FROM", "127.0.0.1")
    assert status(LOCAL) == 200
    assert status(("127.0.0.1", 2), **{"X-Real-IP": "127.0.0.1"}) == 200   # trusted proxy
    monkeypatch.setenv("SURVEY_TRUSTED_PROXIES", "10.0.0.2")
    assert status(LOCAL, **{"X-Real-IP": "127.0.0.1"}) == 403
