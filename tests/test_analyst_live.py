"""Analysts attached live to PostgreSQL from their own DuckDB clients (docs/analysts.md): the
views of schema analyst (survey/store/migrations_pg/002_analyst_schema.sql) say what the
DuckDB views say, a new submission is visible to an analyst process at once while the app
writes, and PostgreSQL lets the analysts' role read those views and nothing else: no write even
with read-only turned off, no advisory lock, no temporary table, at most 5 connections; a
non-superuser app gets the statements for a superuser and keeps its locks."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import math
import os
import subprocess
import sys
import threading
import time
import uuid

import duckdb
import psycopg
import pytest

from survey import cli, demo
from survey.analyst_views import ANALYST_VIEWS
from survey.bootstrap import publish_dir
from survey.store import Store, analyst_access, forms
from survey.store.engine import duckdb_with_postgres
from survey.store.snapshot import _DERIVED, source_sql
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
        if name in _DERIVED:  # queries of the snapshot, not DuckDB views
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


PRIVATE = ("account", "web_session", "session_handoff", "staff_sign_in", "draft", "draft_flow",
           "audit_log", "respondent", "clue", "demo_code", "app_setting", "reminder_channel",
           "submission", "answer", "kept_slot")


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
    assert cli.main(["analyst-role", "--password", new_password, "--connection-limit", "3"]) == 0
    out = capsys.readouterr().out
    assert "3 connections at most" in out and _role_state(url)["role"][0][-1] == 3
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
    assert printed.startswith("BEGIN;\n") and "\nCOMMIT;\n" in printed  # one transaction
    assert "CONNECTION LIMIT 5 " in printed and "REVOKE TEMPORARY ON DATABASE" in printed
    assert "REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC" in printed
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


# -- The role's hardening (issue 13, M2): what an analyst with the role's credentials can no
# longer do, through psycopg and through DuckDB's postgres extension, and the app unharmed.

DENIED = psycopg.errors.InsufficientPrivilege


def _app_only_functions(url: str) -> list[str]:
    """Every overload of the advisory-lock functions, the large-object creators, the WAL
    message writer and the transaction-id takers."""
    with psycopg.connect(url, autocommit=True) as admin:
        return [f for (f,) in admin.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = "
            "'pg_catalog'::regnamespace AND (p.proname ~ '^pg_(try_)?advisory_' OR "
            "p.proname IN ('lo_creat', 'lo_create', 'lo_from_bytea', 'pg_logical_emit_message', "
            "'txid_current', 'pg_current_xact_id')) ORDER BY 1").fetchall()]


def _call(signature: str) -> str:
    """SELECT f(1, 2) for f(integer,integer), with arguments of the right types."""
    name, args = signature.rstrip(")").split("(")
    values = {"bigint": "1", "integer": "1", "oid": "0", "bytea": "'x'::bytea",
              "boolean": "false", "text": "'x'"}
    return f"SELECT {name}({', '.join(values[a] for a in args.split(',') if a)})"


def _read_write_analyst(url: str):
    """The analyst, connected, having turned read-only off for the session (it may)."""
    con = psycopg.connect(_analyst_url(url), autocommit=True)
    con.execute("SET default_transaction_read_only = off")
    return con


def _analyst_duckdb_writable(url: str):
    """DuckDB attached the way an analyst might instead: without READ_ONLY, whole database."""
    con = duckdb_with_postgres()
    con.execute(f"ATTACH '{_dsn(url)}' AS survey (TYPE postgres)")
    return con


def test_the_analyst_cannot_take_the_advisory_locks_that_serialise_submits(deployment):
    store, url, monthly = deployment
    functions = _app_only_functions(url)
    advisory = [f for f in functions if "advisory" in f]
    assert len(advisory) >= 20 and "pg_advisory_xact_lock(bigint)" in advisory
    assert {"pg_logical_emit_message(boolean,text,text)", "txid_current()"} <= set(functions)
    with _read_write_analyst(url) as con:
        for signature in functions:   # every overload: lock, try, shared, xact, unlock
            with pytest.raises(DENIED, match="permission denied for function"):
                con.execute(_call(signature))
        # the bucket locks lock_keys takes (7212000000 + bucket) in particular
        with pytest.raises(DENIED):
            con.execute("SELECT count(pg_advisory_xact_lock(7212000000 + b)) "
                        "FROM generate_series(0, 4095) b")
    duck = _analyst_duckdb_writable(url)
    try:
        with pytest.raises(duckdb.Error, match="permission denied for function pg_try_advisory"):
            duck.execute("SELECT * FROM postgres_query('survey', "
                         "'SELECT pg_try_advisory_lock(7212000001)')")
        for call in ("pg_advisory_lock(7212000001)", "pg_advisory_xact_lock(7212000000)",
                     "pg_advisory_lock_shared(1, 2)"):
            with pytest.raises(duckdb.Error, match="permission denied for function"):
                duck.execute(f"CALL postgres_execute('survey', 'SELECT {call}')")
    finally:
        duck.close()
    # the app (a superuser here) still takes them: submits, first start, delivery rounds
    code = store.issue_codes(SCHOOL.point_id, 1)[0]
    assert store.submit(store.respondent(code), monthly, "2026-10", complete_answers(),
                        client_token=uuid.uuid4().hex, today=TODAY).submission_id
    with store.engine.try_exclusive("analyst-test") as got:
        assert got


def test_the_analyst_cannot_create_temporary_tables(deployment):
    _, url, _ = deployment
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as admin:
        assert admin.execute("SELECT has_database_privilege(%s, %s, 'TEMP')",
                             [analyst_access.ROLE, database]).fetchone() == (False,)
    with _read_write_analyst(url) as con:
        for sql in ("CREATE TEMP TABLE mine (i int)", "CREATE TABLE pg_temp.mine (i int)",
                    "CREATE TEMP VIEW mine AS SELECT 1",
                    "CREATE TEMP TABLE mine AS SELECT * FROM analyst.answers"):
            with pytest.raises(DENIED, match="permission denied to create temporary tables"):
                con.execute(sql)
    duck = _analyst_duckdb_writable(url)
    try:
        with pytest.raises(duckdb.Error, match="permission denied to create temporary tables"):
            duck.execute("CALL postgres_execute('survey', 'SET TRANSACTION READ WRITE; "
                         "CREATE TEMP TABLE mine (i int)')")
    finally:
        duck.close()
    # and DuckDB's scanner needs none to read: every view, as an analyst attaches
    con = _analyst_duckdb(url)
    for name in ANALYST_VIEWS:
        con.execute(f"SELECT count(*) FROM survey.analyst.{name}").fetchone()
    con.close()


def _about_role(url: str, sql: str):
    """One value an administrator reads about the analysts' role (%s: its name)."""
    with psycopg.connect(url, autocommit=True) as admin:
        return admin.execute(sql, [analyst_access.ROLE]).fetchone()[0]


def _analyst_connections(url: str) -> int:
    return _about_role(url, "SELECT count(*) FROM pg_stat_activity WHERE usename = %s")


def test_the_analysts_connections_are_capped_and_sessions_start_with_timeouts(deployment):
    store, url, monthly = deployment
    deadline = time.monotonic() + 10
    while _analyst_connections(url) and time.monotonic() < deadline:  # earlier tests' closing
        time.sleep(0.05)
    assert _analyst_connections(url) == 0
    held = [psycopg.connect(_analyst_url(url), autocommit=True)
            for _ in range(analyst_access.CONNECTION_LIMIT)]
    try:
        with pytest.raises(psycopg.OperationalError, match="too many connections for role"):
            psycopg.connect(_analyst_url(url))
        duck = duckdb_with_postgres()
        with pytest.raises(duckdb.Error, match="too many connections for role"):
            duck.execute(f"ATTACH '{_dsn(url)}' AS survey (TYPE postgres, READ_ONLY, "
                         "SCHEMA 'analyst')")
        duck.close()
        # the app's pool still connects and writes
        code = store.issue_codes(SCHOOL.point_id, 1)[0]
        store.submit(store.respondent(code), monthly, "2026-10", complete_answers(),
                     client_token=uuid.uuid4().hex, today=TODAY)
        con = held[0]
        shown = {name: con.execute(f"SHOW {name}").fetchone()[0]
                 for name in analyst_access.SESSION_DEFAULTS}
        assert shown == {"default_transaction_read_only": "on", "statement_timeout": "5min",
                         "idle_in_transaction_session_timeout": "10min",
                         "max_parallel_workers_per_gather": "0"}
        # defaults, not caps (docs/analysts.md says so): the session may change its own
        con.execute("SET statement_timeout = 0")
        assert con.execute("SHOW statement_timeout").fetchone() == ("0",)
        # ... but not its connection limit
        con.execute("SET default_transaction_read_only = off")
        with pytest.raises(DENIED):
            con.execute(f"ALTER ROLE {analyst_access.ROLE} CONNECTION LIMIT -1")
        # a statement past the timeout is cancelled
        other = held[1]
        other.execute("SET statement_timeout = '200ms'")
        with pytest.raises(psycopg.errors.QueryCanceled):
            other.execute("SELECT pg_sleep(2)")
    finally:
        for con in held:
            con.close()
    # one DuckDB session reads every view, joined, on one connection of the five
    con = _analyst_duckdb(url)
    con.execute("SET threads = 4")
    con.execute("SELECT count(*) FROM survey.analyst.indicator_values iv JOIN "
                "survey.analyst.points p USING (point_id) JOIN survey.analyst.answers a "
                "USING (submission_id)").fetchone()
    assert _analyst_connections(url) == 1
    con.close()


def test_an_analyst_who_turns_read_only_off_still_cannot_write_anything(deployment):
    store, url, _ = deployment
    try:
        with _read_write_analyst(url) as con:  # for this session and every later one
            con.execute(f"ALTER ROLE {analyst_access.ROLE} SET default_transaction_read_only "
                        "= off")
        with psycopg.connect(_analyst_url(url), autocommit=True) as con:
            assert con.execute("SHOW default_transaction_read_only").fetchone() == ("off",)
            writes = [
                "INSERT INTO analyst.points (point_id) VALUES ('x')",
                "UPDATE analyst.points SET name = 'x'", "DELETE FROM analyst.points",
                "INSERT INTO public.account (username) VALUES ('x')",
                "UPDATE public.account SET role = 'admin'", "DELETE FROM public.submission",
                "TRUNCATE public.audit_log", "CREATE TABLE public.mine (i int)",
                "CREATE TABLE analyst.mine (i int)", "CREATE VIEW analyst.mine AS SELECT 1",
                "CREATE SCHEMA mine", "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql "
                "AS 'SELECT 1'", "CREATE FUNCTION analyst.f() RETURNS int LANGUAGE sql "
                "AS 'SELECT 1'", "CREATE TEMP TABLE mine (i int)",
                "COPY (SELECT 1) TO PROGRAM 'true'", "COPY public.account FROM PROGRAM 'true'",
                "COPY (SELECT 1) TO '/tmp/analyst-copy'", "SELECT lo_from_bytea(0, 'x')",
                "DROP VIEW analyst.points", "ALTER VIEW analyst.points RENAME TO p",
                "GRANT SELECT ON public.account TO survey_analyst", "SET ROLE postgres",
                f"ALTER ROLE {analyst_access.ROLE} SUPERUSER",
                "SELECT rolname, rolpassword FROM pg_authid", "SELECT * FROM pg_shadow",
            ] + [f"SELECT * FROM public.{table} LIMIT 1" for table in PRIVATE]
            allowed = []
            for sql in writes:
                try:
                    con.execute(sql)
                    allowed.append(sql)
                except DENIED:
                    pass
            assert allowed == []
            with pytest.raises(DENIED), con.transaction():  # would stall every writer
                con.execute("LOCK TABLE public.submission IN EXCLUSIVE MODE")
            assert not con.execute("SELECT count(*) FROM pg_roles WHERE rolpassword LIKE "
                                   "'SCRAM%%' OR rolpassword LIKE 'md5%%'").fetchone()[0]
        duck = _analyst_duckdb_writable(url)
        try:
            for sql in ["INSERT INTO survey.analyst.points (point_id) VALUES ('x')",
                        "INSERT INTO survey.public.account (username) VALUES ('x')",
                        "CREATE TABLE survey.public.mine (i int)",
                        "CREATE TABLE survey.analyst.mine (i int)", "CREATE SCHEMA survey.mine",
                        "SELECT * FROM survey.public.account",
                        "SELECT * FROM postgres_query('survey', 'SELECT * FROM pg_authid')"]:
                with pytest.raises(duckdb.Error, match="permission denied"):
                    duck.execute(sql).fetchall()
            for sql in ["UPDATE analyst.points SET name = ''x''", "DELETE FROM public.account",
                        "COPY (SELECT 1) TO PROGRAM ''true''", "SELECT lo_create(0)",
                        "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS ''SELECT 1''"]:
                with pytest.raises(duckdb.Error, match="permission denied|must be superuser"):
                    duck.execute(f"CALL postgres_execute('survey', '{sql}')")
        finally:
            duck.close()
        with psycopg.connect(url, autocommit=True) as admin:   # and nothing was written
            assert admin.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone() == (0,)
            assert admin.execute("SELECT count(*) FROM account WHERE username = 'x'").fetchone()[0] == 0
            assert {r[0] for r in admin.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'analyst'").fetchall()} == set(ANALYST_VIEWS)
    finally:  # the command puts the role's defaults back
        analyst_access.grant_analyst_role(store, PASSWORD, 5, "test")
    with psycopg.connect(_analyst_url(url), autocommit=True) as con:
        assert con.execute("SHOW default_transaction_read_only").fetchone() == ("on",)


def _scram_matches(verifier: str, password: str) -> bool:
    """Whether a SCRAM-SHA-256 verifier (pg_authid.rolpassword) is the password's: the check
    the server makes at login (the test cluster trusts every login, so it is made here)."""
    _, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt),
                                 int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


def _role_state(url: str) -> dict:
    """Everything the command sets, but the password."""
    with psycopg.connect(url, autocommit=True) as admin:
        def rows(sql: str, *params) -> list[tuple]:
            return sorted(map(tuple, admin.execute(sql, params)))
        role = analyst_access.ROLE
        return {
            "role": rows("SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, "
                         "rolreplication, rolbypassrls, rolconnlimit FROM pg_roles "
                         "WHERE rolname = %s", role),
            "settings": rows("SELECT setdatabase, unnest(setconfig) FROM pg_db_role_setting "
                             "WHERE setrole = (SELECT oid FROM pg_roles WHERE rolname = %s)",
                             role),
            "database": rows("SELECT datacl::text FROM pg_database "
                             "WHERE datname = current_database()"),
            "functions": rows("SELECT oid::regprocedure::text, proacl::text FROM pg_proc "
                              "WHERE proname ~ '^pg_(try_)?advisory_|^lo_creat'"),
            "tables": rows("SELECT table_schema, table_name, privilege_type FROM "
                           "information_schema.role_table_grants WHERE grantee = %s", role),
            "k": rows("SELECT value FROM app_setting WHERE name = 'analyst_k_anonymity'"),
        }


def _verifier(url: str) -> str:
    return _about_role(url, "SELECT rolpassword FROM pg_authid WHERE rolname = %s")


def test_the_command_twice_gives_the_same_state_and_a_new_password_replaces_the_old(deployment):
    store, url, _ = deployment
    new_password = "new-" + uuid.uuid4().hex[:10]
    try:
        analyst_access.grant_analyst_role(store, new_password, 5, "test")
        once = _role_state(url)
        analyst_access.grant_analyst_role(store, new_password, 5, "test")
        assert _role_state(url) == once
        assert once["role"] == [(False, False, False, False, True, False, False, 5)]
        assert _scram_matches(_verifier(url), new_password)
        assert not _scram_matches(_verifier(url), PASSWORD)
        analyst_access.grant_analyst_role(store, new_password, 5, "test", connection_limit=2)
        assert _role_state(url)["role"][0][-1] == 2
    finally:
        analyst_access.grant_analyst_role(store, PASSWORD, 5, "test")
    assert _role_state(url) == once
    assert _scram_matches(_verifier(url), PASSWORD)


@pytest.mark.parametrize("owns_database", [True, False], ids=["owner", "granted"])
def test_on_a_non_superuser_app_the_command_prints_the_statements_and_the_app_keeps_its_locks(
        deployment, pg_cluster, monkeypatch, capsys, request, tmp_path, owns_database):
    """The app's user owns its tables but is no superuser (it may even create roles): the
    command changes nothing and prints the statements; a superuser runs them with psql; the
    analyst loses the locks, the app keeps them (migrations, submits, exclusive), and needs
    no TEMP (the "granted" app does not own the database, so it has none)."""
    app = "survey_app_" + uuid.uuid4().hex[:6]
    database = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_cluster.url(), autocommit=True) as su:
        su.execute(f"CREATE ROLE {app} LOGIN CREATEROLE")
        su.execute(f"CREATE DATABASE {database}" + (f" OWNER {app}" if owns_database else ""))
    admin_url = pg_cluster.url(database)
    if not owns_database:
        with psycopg.connect(admin_url, autocommit=True) as su:
            su.execute(f"GRANT CREATE ON DATABASE {database} TO {app}")
            su.execute(f"GRANT CREATE ON SCHEMA public TO {app}")
    app_url = admin_url.replace("postgres@", f"{app}@", 1)
    stores = [Store(app_url, KEY)]  # migrated by the app's user
    try:
        store = stores[0]
        publish_dir(store, ROOT / "questionnaires")
        store.add_points([VILLAGE, SCHOOL])
        monthly = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        with psycopg.connect(_analyst_url(admin_url), autocommit=True) as con:  # before
            assert con.execute("SELECT pg_try_advisory_lock(7212000001)").fetchone() == (True,)

        monkeypatch.setenv("SURVEY_DATABASE_URL", app_url)
        monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
        monkeypatch.setenv("SURVEY_K", "5")
        umask = os.umask(0o022)
        os.umask(umask)
        request.addfinalizer(lambda: os.umask(umask))
        before = _role_state(admin_url)
        assert cli.main(["analyst-role", "--password", PASSWORD]) == 2
        shown = capsys.readouterr()
        assert (f"error: The database user {app} (SURVEY_DATABASE_URL) is not a PostgreSQL "
                "superuser") in shown.err
        assert f"错误:数据库用户 {app}(SURVEY_DATABASE_URL)不是 PostgreSQL 超级用户" in shown.err
        assert f"psql -U postgres -d {database} -v ON_ERROR_STOP=1" in shown.err
        assert "ATTACH 'host=" in shown.err and "Traceback" not in shown.err
        assert shown.out.startswith("BEGIN;") and shown.out.endswith("COMMIT;\n")
        assert _role_state(admin_url) == before  # nothing changed
        # the app's user is the one that keeps the functions
        assert f"ARRAY['{app}']" in shown.out

        script = tmp_path / "analyst-role.sql"
        script.write_text(shown.out, encoding="utf-8")
        subprocess.run([str(pg_cluster.bindir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-d", admin_url, "-f", str(script)], check=True, capture_output=True,
                       text=True, timeout=60)

        with psycopg.connect(admin_url, autocommit=True) as su:
            may = su.execute("SELECT has_function_privilege(%s, 'pg_advisory_xact_lock(bigint)',"
                             " 'EXECUTE'), has_function_privilege(%s, 'pg_advisory_xact_lock"
                             "(bigint)', 'EXECUTE'), has_database_privilege(%s, %s, 'TEMP')",
                             [app, analyst_access.ROLE, app, database]).fetchone()
            assert may == (True, False, owns_database)
        with _read_write_analyst(admin_url) as con:
            with pytest.raises(DENIED, match="permission denied for function"):
                con.execute("SELECT pg_try_advisory_lock(7212000001)")
            with pytest.raises(DENIED, match="temporary tables"):
                con.execute("CREATE TEMP TABLE mine (i int)")
        con = _analyst_duckdb(admin_url)
        assert con.execute("SELECT count(*) FROM survey.analyst.points").fetchone() == (2,)
        con.close()

        def app_works(store, other, n: int) -> None:
            for code in store.issue_codes(VILLAGE.point_id, n):  # lock_keys' bucket locks
                store.submit(store.respondent(code), monthly, "2026-10", complete_answers(),
                             client_token=uuid.uuid4().hex, today=TODAY)
            with store.engine.exclusive("first-start"):  # session locks: held, so refused
                with other.engine.try_exclusive("first-start") as got:
                    assert got is False
            with other.engine.try_exclusive("first-start") as got:
                assert got is True
            assert store.frame("SELECT count(*) AS n FROM answers")["n"][0] > 0  # DuckDB

        stores.append(Store(app_url, KEY))  # a second app server starts: migrate's lock
        app_works(stores[0], stores[1], 3)

        # run by a superuser's URL instead, the command keeps the locks for the tables' owner
        stores.append(Store(admin_url, KEY))
        analyst_access.grant_analyst_role(stores[-1], PASSWORD, 5, "test")
        app_works(stores[0], stores[1], 2)
        assert stores[0].frame("SELECT count(*) AS n FROM submissions")["n"][0] == 5
    finally:
        for s in stores:
            s.close()
        analyst_access.grant_analyst_role(deployment[0], PASSWORD, 5, "test")
