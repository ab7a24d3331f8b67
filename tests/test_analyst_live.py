"""Analysts attached live to PostgreSQL from their own DuckDB clients (docs/analysts.md): the
views of schema analyst (survey/store/migrations_pg/002_analyst_schema.sql) say what the
DuckDB views say, a new submission is visible to an analyst process at once while the app
writes, and PostgreSQL lets the analysts' role read those views and nothing else."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
import threading
import time
import uuid

import psycopg
import pytest

from survey import cli, demo
from survey.analyst_views import ANALYST_VIEWS
from survey.bootstrap import publish_dir
from survey.store import Store, analyst_access, forms
from survey.store.engine import duckdb_with_postgres
from survey.store.snapshot import source_sql
from tests.conftest import KEY, ROOT, SCHOOL, VILLAGE, complete_answers
from tests.test_answers_view import FORM

PASSWORD = "analyst-Pw-" + uuid.uuid4().hex[:8]
TODAY = dt.date(2026, 10, 31)


def _analyst_url(url: str, password: str = PASSWORD) -> str:
    return url.replace("postgres@", f"{analyst_access.ROLE}:{password}@", 1)


def _dsn(url: str) -> str:
    """The key=value string docs/analysts.md tells an analyst to type."""
    parts = psycopg.conninfo.conninfo_to_dict(_analyst_url(url))
    return psycopg.conninfo.make_conninfo("", **parts)


# several choices, labels joined in code order ("Wechat" sorts before "app" by bytes, as in
# DuckDB, whatever the database's locale says)
CHANNELS = FORM.replace("""          - {value: chat, label: {zh: 工作群}}""",
                        """          - {value: chat, label: {zh: 工作群}}
          - {value: Wechat, label: {zh: 微信, en: WeChat}}""")


@pytest.fixture(scope="module")
def deployment(pg_cluster, tmp_path_factory):
    """One PostgreSQL database with the demo data, submissions with fill records, soft checks
    and several choices, and the analysts' role."""
    url = pg_cluster.new_database()
    store = Store(url, KEY)
    folder = tmp_path_factory.mktemp("questionnaires")
    (folder / "channels.yaml").write_text(CHANNELS, encoding="utf-8")
    for source in (ROOT / "questionnaires", folder):
        published, problems = publish_dir(store, source)
        assert not problems, problems
    store.add_points([VILLAGE, SCHOOL])
    demo.load(store)
    monthly = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    for i, code in enumerate(store.issue_codes(SCHOOL.point_id, 3)):
        token = f"flow-{i}"
        forms.record_flow(store, token, 16, i == 0, [("forms", 140.0, 14.0, i != 1)])
        store.submit(store.respondent(code), monthly, "2026-10", complete_answers(forms=140),
                     client_token=token, today=TODAY)
    channels = next(q for q in store.current_questionnaires() if q.id == "channels_monthly")
    for n, chosen in enumerate([["paper", "Wechat", "app"], ["chat", "paper"], ["app"], []]):
        answers = {"mood": "ok"} | ({"channels": chosen} if chosen else {})
        store.submit(store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0]), channels,
                     "2026-10", answers, f"channels-{n}", today=TODAY)
    store.revoke_code(store.issue_codes(VILLAGE.point_id, 1)[0], "test")
    analyst_access.grant_analyst_role(store, PASSWORD, 5, "test")
    yield store, url, monthly
    store.close()


def _normal(value):
    if isinstance(value, float):
        return float(f"{value:.10g}") if math.isfinite(value) else value
    if isinstance(value, list):
        return tuple(_normal(v) for v in value)
    return value


def _sorted(rows) -> list[tuple]:
    normal = [tuple(_normal(v) for v in row) for row in rows]
    return sorted(normal, key=lambda row: [(v is None, repr(v)) for v in row])


def _analyst_duckdb(url: str):
    con = duckdb_with_postgres()
    con.execute(f"ATTACH '{_dsn(url)}' AS survey (TYPE postgres, READ_ONLY, SCHEMA 'analyst')")
    return con


def _duckdb_view(store, name: str, k: int):
    sql = source_sql(name)
    params = {"k": k} if "$k" in sql else None
    with store.raw_cursor() as cur:
        result = cur.execute(sql, params)
        return [d[0] for d in result.description], result.fetchall()


def _compare_every_view(store, con, k: int) -> dict[str, int]:
    counts = {}
    for name in ANALYST_VIEWS:
        columns, duck_rows = _duckdb_view(store, name, k)
        live = con.execute(f"SELECT * FROM survey.analyst.{name}")
        assert [d[0] for d in live.description] == columns, name
        live_rows = live.fetchall()
        assert _sorted(live_rows) == _sorted(duck_rows), name
        counts[name] = len(live_rows)
    return counts


def test_every_analyst_view_on_postgresql_says_what_the_duckdb_view_says(deployment):
    store, url, _ = deployment
    con = _analyst_duckdb(url)
    counts = _compare_every_view(store, con, 5)
    assert all(counts[name] > 0 for name in ANALYST_VIEWS), counts   # nothing compared empty
    # the types an analyst's client sees are the DuckDB views' types
    for name in ANALYST_VIEWS:
        if name in ("problem_reports", "point_codes"):
            continue
        duck = [tuple(r[:2]) for r in store.query(f"DESCRIBE {name}")]
        live = [tuple(r[:2]) for r in con.execute(f"DESCRIBE survey.analyst.{name}").fetchall()]
        assert live == duck, name
    labelled = con.execute("SELECT label_zh, label_en FROM survey.analyst.answers WHERE "
                           "question_id = 'channels' AND len(value_choices) = 3").fetchall()
    assert labelled == [("微信; 政务APP; 纸质", "WeChat; Government app; Paper")]
    con.close()


def test_problem_reports_apply_the_small_group_threshold_the_cli_recorded(deployment):
    store, url, _ = deployment
    con = _analyst_duckdb(url)
    try:
        analyst_access.grant_analyst_role(store, PASSWORD, 1, "test")
        _compare_every_view(store, con, 1)
        shown = con.execute("SELECT count(*), count(point_id), count(county) "
                            "FROM survey.analyst.problem_reports").fetchone()
        assert shown[0] == shown[1] == shown[2] > 0             # k = 1: every point shown
        analyst_access.grant_analyst_role(store, PASSWORD, 5, "test")
        hidden = con.execute("SELECT count(point_id) FROM survey.analyst.problem_reports")
        assert hidden.fetchone()[0] < shown[1]                  # k = 5: small groups hidden
        columns = [d[0] for d in con.execute("SELECT * FROM survey.analyst.problem_reports "
                                             "LIMIT 0").description]
        assert "description" not in columns and "reported_at" not in columns
    finally:
        con.close()


ANALYST_PROCESS = r"""
import json, sys, time
import duckdb, duckdb_extension_postgres_scanner
from pathlib import Path
ext_dir, dsn = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
con = duckdb.connect(config={"extension_directory": ext_dir,
                             "autoinstall_known_extensions": False})
binary = (Path(duckdb_extension_postgres_scanner.__file__).parent / "extensions" /
          f"v{duckdb.__version__}" / "postgres_scanner.duckdb_extension")
con.execute(f"INSTALL '{binary}'")
con.execute("LOAD postgres")
t1 = time.perf_counter()
con.execute(f"ATTACH '{dsn}' AS survey (TYPE postgres, READ_ONLY, SCHEMA 'analyst')")
con.execute("USE survey.analyst")
t2 = time.perf_counter()
n = con.execute("SELECT count(*) FROM submissions").fetchone()[0]
t3 = time.perf_counter()
con.execute("SELECT count(*) FROM submissions WHERE submission_id = ?", ["-"]).fetchone()
t4 = time.perf_counter()
print(json.dumps({"install_s": t1 - t0, "attach_s": t2 - t1, "first_query_s": t3 - t2,
                  "first_lookup_s": t4 - t3,
                  "submissions": n}), flush=True)
for line in sys.stdin:
    wanted, polls = line.strip(), 0
    while True:
        polls += 1
        q0 = time.perf_counter()
        found = con.execute("SELECT count(*) FROM submissions WHERE submission_id = ?",
                            [wanted]).fetchone()[0]
        query_s = time.perf_counter() - q0
        if found or polls >= 2000:
            break
        time.sleep(0.005)
    total = con.execute("SELECT count(*) FROM submissions").fetchone()[0]
    print(json.dumps({"seen_at": time.time(), "found": bool(found), "polls": polls,
                      "query_s": query_s, "submissions": total}), flush=True)
"""


def test_an_analyst_process_sees_a_new_submission_at_once_while_the_app_writes(deployment,
                                                                               tmp_path):
    store, url, monthly = deployment
    analyst = subprocess.Popen(
        [sys.executable, "-c", ANALYST_PROCESS, str(tmp_path / "extensions"), _dsn(url)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    stop = threading.Event()
    written = []

    def app_writes():  # other cadres keep submitting meanwhile
        codes = store.issue_codes(VILLAGE.point_id, 40)
        for i, code in enumerate(codes):
            if stop.is_set():
                return
            store.submit(store.respondent(code), monthly, "2026-10", complete_answers(),
                         client_token=f"bg-{uuid.uuid4().hex}", today=TODAY)
            written.append(i)

    writer = threading.Thread(target=app_writes)
    try:
        started = json.loads(analyst.stdout.readline() or "{}")
        assert started, analyst.stderr.read()
        writer.start()
        delays = []
        for code in store.issue_codes(SCHOOL.point_id, 5):
            receipt = store.submit(store.respondent(code), monthly, "2026-10",
                                   complete_answers(), client_token=uuid.uuid4().hex,
                                   today=TODAY)
            acknowledged = time.time()
            analyst.stdin.write(receipt.submission_id + "\n")
            analyst.stdin.flush()
            seen = json.loads(analyst.stdout.readline())
            assert seen["found"], seen
            delays.append((seen["seen_at"] - acknowledged, seen["polls"]))
        stop.set()
        writer.join(timeout=60)
        assert written, "the app wrote nothing while the analyst read"
        print(f"\nanalyst process: install+load {started['install_s']:.3f} s, attach "
              f"{started['attach_s'] * 1000:.1f} ms, first count {started['first_query_s']:.3f} s,"
              f" first lookup {started['first_lookup_s']:.3f} s; acknowledged -> seen "
              f"{', '.join(f'{d * 1000:.1f} ms' for d, _ in delays)} (polls "
              f"{[p for _, p in delays]}); the app wrote {len(written)} meanwhile")
        # live: the first query after the acknowledgement already sees it (no refresh, no copy);
        # what remains is that query's own time (a few ms here; generous for a loaded machine)
        assert all(polls == 1 for _, polls in delays), delays
        assert max(d for d, _ in delays) < 3.0, delays
    finally:
        stop.set()
        if writer.is_alive():
            writer.join(timeout=60)
        analyst.stdin.close()
        analyst.wait(timeout=30)


def test_one_analyst_transaction_sees_one_moment_and_the_next_query_the_new_one(deployment):
    store, url, monthly = deployment
    con = _analyst_duckdb(url)
    count = "SELECT count(*) FROM survey.analyst.submissions"
    con.execute("BEGIN TRANSACTION")
    before = con.execute(count).fetchone()[0]
    code = store.issue_codes(SCHOOL.point_id, 1)[0]
    store.submit(store.respondent(code), monthly, "2026-10", complete_answers(),
                 client_token=uuid.uuid4().hex, today=TODAY)
    assert con.execute(count).fetchone()[0] == before      # the same moment, as docs say
    con.execute("COMMIT")
    assert con.execute(count).fetchone()[0] == before + 1  # the next query: live
    con.close()


PRIVATE = ("account", "web_session", "session_handoff", "draft", "draft_flow", "audit_log",
           "respondent", "clue", "demo_code", "app_setting", "reminder_channel", "submission",
           "answer", "kept_slot")


def test_the_analysts_role_reads_the_allowed_views_and_nothing_else(deployment):
    store, url, _ = deployment
    with psycopg.connect(url, autocommit=True) as admin:
        readable = set(admin.execute(
            "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', "
            "'information_schema') AND n.nspname NOT LIKE 'pg_toast%%' AND "
            "(has_table_privilege(%s, c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE') OR "
            "has_any_column_privilege(%s, c.oid, 'SELECT,INSERT,UPDATE'))",
            [analyst_access.ROLE] * 2).fetchall())
        assert readable == {("analyst", name) for name in ANALYST_VIEWS}
    with psycopg.connect(_analyst_url(url), autocommit=True) as con:
        for table in PRIVATE:
            with pytest.raises(psycopg.errors.InsufficientPrivilege,
                               match=f"permission denied for table {table}"):
                con.execute(f"SELECT * FROM public.{table} LIMIT 1")
        assert con.execute("SELECT count(*) FROM analyst.answers").fetchone()[0] > 0
        writes = ["INSERT INTO analyst.points (point_id) VALUES ('x')",
                  "UPDATE analyst.points SET name = 'x'", "DELETE FROM analyst.points",
                  "CREATE TABLE analyst.mine (i int)", "CREATE TABLE public.mine (i int)",
                  "DROP VIEW analyst.points", "UPDATE public.account SET role = 'admin'",
                  "GRANT SELECT ON public.account TO survey_analyst"]
        refused = (psycopg.errors.ReadOnlySqlTransaction, psycopg.errors.InsufficientPrivilege)
        for sql in writes:  # refused: without rights, in a read-only transaction by default
            with pytest.raises(refused):
                con.execute(sql)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            con.execute("CREATE TEMP TABLE mine (i int)")
        con.execute("SET default_transaction_read_only = off")
        for sql in writes + ["SET ROLE postgres"]:  # ... and without rights all the same
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                con.execute(sql)
    # In DuckDB: schema analyst only, and READ_ONLY refuses writes before they leave.
    con = _analyst_duckdb(url)
    schemas = {r[0] for r in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables() "
                                         "WHERE database_name = 'survey'").fetchall()}
    assert schemas == {"analyst"}
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE "
                                        "database_name = 'survey'").fetchall()}
    assert tables == set(ANALYST_VIEWS)
    with pytest.raises(Exception, match="read-only|read only"):
        con.execute("DELETE FROM survey.analyst.points")
    con.execute("DETACH survey")
    whole = _dsn(url)  # without SCHEMA: the tables are listed, reading them is refused
    con.execute(f"ATTACH '{whole}' AS everything (TYPE postgres, READ_ONLY)")
    for table in ("account", "web_session", "draft", "audit_log", "respondent", "clue"):
        with pytest.raises(Exception, match=f"permission denied for table {table}"):
            con.execute(f"SELECT * FROM everything.public.{table}").fetchall()
    con.close()


def test_the_cli_creates_the_role_and_says_how_to_attach(deployment, monkeypatch, capsys,
                                                           tmp_path, request):
    store, url, _ = deployment
    monkeypatch.setenv("SURVEY_DATABASE_URL", url)
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_K", "5")
    umask = os.umask(0o022)
    os.umask(umask)
    request.addfinalizer(lambda: os.umask(umask))  # cli.main sets 077 for the process
    new_password = "cli-" + uuid.uuid4().hex[:10]
    assert cli.main(["analyst-role", "--password", new_password]) == 0
    out = capsys.readouterr().out
    assert "ATTACH 'host=127.0.0.1" in out and "user=survey_analyst password=..." in out
    assert "READ_ONLY, SCHEMA 'analyst'" in out
    attach = next(line.strip() for line in out.splitlines() if line.strip().startswith("ATTACH"))
    con = duckdb_with_postgres()
    con.execute(attach.replace("password=...", f"password={new_password}"))
    con.execute("USE survey.analyst")
    assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] > 0
    con.close()
    assert store.audit_log(action="analyst_role")
    # --print-sql: statements for an administrator, with no password in them
    assert cli.main(["analyst-role", "--password", new_password, "--print-sql"]) == 0
    printed = capsys.readouterr().out
    assert "SCRAM-SHA-256$" in printed and new_password not in printed
    assert "GRANT SELECT ON analyst.\"points\"" in printed
    # the embedded engine keeps the snapshot file
    monkeypatch.delenv("SURVEY_DATABASE_URL")
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "survey.duckdb"))
    assert cli.main(["analyst-role"]) == 2
    assert "snapshot" in capsys.readouterr().err
    analyst_access.grant_analyst_role(store, PASSWORD, 5, "test")


def test_a_database_migrated_after_the_role_exists_grants_it_the_views(deployment, pg_cluster):
    """The role is the cluster's; migration 002 gives it the views of every database it
    creates them in, so a new database needs no second run of the command to be readable."""
    url = pg_cluster.new_database()
    Store(url, KEY).close()
    with psycopg.connect(_analyst_url(url), autocommit=True) as con:
        assert con.execute("SELECT count(*) FROM analyst.points").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            con.execute("SELECT * FROM public.account")
