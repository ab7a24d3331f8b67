"""The SQL workbench is a sandbox: tested by class of statement and function, not by a list of
strings, on a real snapshot, through the real worker process."""

import hashlib
import os
import re
import signal
import threading
import time

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest

from survey.analyst_views import SNAPSHOT_RELATIONS
from survey.bootstrap import start
from survey.config import resolve
from survey.snapshot_schedule import refresh
from survey.store import sandbox as sandbox_module
from survey.store import snapshot
from survey.store.sandbox import Limits, QueryFailed, QueryRefused, Sandbox
from survey.store.sql_vet import TABLE_FUNCTIONS

ENV = {"SURVEY_CODE_KEY": "k" * 16}
ST = duckdb.StatementType

# One or more texts per statement type DuckDB's parser knows. A new DuckDB version with a new
# statement type fails test_every_statement_type_is_covered until it is added here.
STATEMENTS = {
    ST.ALTER: ["ALTER TABLE points ADD COLUMN x INT", "COMMENT ON TABLE points IS 'x'"],
    ST.ATTACH: ["ATTACH '/tmp/other.duckdb' AS other", "ATTACH ':memory:' AS m"],
    ST.CALL: ["CALL duckdb_settings()", "CHECKPOINT", "CALL enable_logging()"],
    ST.COPY: ["COPY points TO '/tmp/leak.csv'", "COPY (SELECT 1) TO '/tmp/leak.parquet'",
              "COPY points FROM '/etc/passwd'"],
    ST.COPY_DATABASE: ["COPY FROM DATABASE analytics TO other"],
    ST.CREATE: ["CREATE TABLE x AS SELECT 1", "CREATE TEMP TABLE x (a INT)",
                "CREATE VIEW v AS SELECT 1", "CREATE MACRO m(a) AS a",
                "CREATE SECRET (TYPE s3, KEY_ID 'x')", "CREATE TYPE t AS ENUM ('a')",
                "CREATE SEQUENCE s", "PIVOT points ON kind USING count(*)"],
    ST.DELETE: ["DELETE FROM points", "TRUNCATE points",
                "WITH x AS (SELECT 1) DELETE FROM points"],
    ST.DETACH: ["DETACH analytics"],
    ST.DROP: ["DROP TABLE points", "DEALLOCATE p", "DROP SECRET s"],
    ST.EXECUTE: ["EXECUTE p"],
    ST.EXPLAIN: ["EXPLAIN ANALYZE SELECT 1", "EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/leak.csv'",
                 "EXPLAIN COPY (SELECT 1) TO '/tmp/leak.csv'", "explain  analyse select 1",
                 "EXPLAIN (ANALYZE) SELECT 1", "EXPLAIN (FORMAT json) SELECT 1",
                 "/* c */ EXPLAIN ANALYZE SELECT 1"],
    ST.EXPORT: ["EXPORT DATABASE '/tmp/exported'"],
    ST.INSERT: ["INSERT INTO points SELECT * FROM points", "INSERT INTO t BY NAME SELECT 1"],
    ST.LOAD: ["INSTALL httpfs", "LOAD httpfs", "FORCE INSTALL httpfs"],
    ST.MERGE_INTO: ["MERGE INTO points USING (SELECT 'x' AS point_id) s USING (point_id) "
                    "WHEN MATCHED THEN DELETE"],
    ST.PRAGMA: ["PRAGMA enable_profiling", "PRAGMA database_list", "PRAGMA version",
                "  -- a comment first\n  pragma show_tables", "IMPORT DATABASE '/tmp/exported'"],
    ST.PREPARE: ["PREPARE p AS SELECT 1"],
    ST.SET: ["SET threads = 1", "RESET threads", "SET VARIABLE x = 1", "USE analytics",
             "SET enable_external_access = true", "SET memory_limit = '100GB'"],
    ST.TRANSACTION: ["BEGIN", "COMMIT", "ABORT"],
    ST.UPDATE: ["UPDATE points SET name = 'x'"],
    ST.VACUUM: ["VACUUM", "VACUUM ANALYZE points"],
    ST.ANALYZE: ["ANALYZE", "ANALYZE points"],
    ST.CREATE_FUNC: ["CREATE FUNCTION f(a) AS a + 1", "CREATE MACRO tm() AS TABLE SELECT 1"],
    ST.VARIABLE_SET: ["SET VARIABLE y = 2"],
    ST.MULTI: ["SELECT 1; DROP TABLE points", "SELECT 1; SELECT 2"],
    ST.SELECT: [  # parse as SELECT, still not shown to be a read of analysts' data
        "SELECT current_setting('memory_limit')", "SELECT * FROM duckdb_settings()",
        "SELECT * FROM duckdb_databases", "SHOW DATABASES", "SHOW ALL TABLES",
        "SELECT * FROM '/etc/passwd'", "FROM 'https://example.com/x.csv'",
        "SELECT * FROM read_text('/etc/hostname')", "SELECT * FROM glob('/*')",
        "SELECT * FROM query('SELECT current_setting(''temp_directory'')')",
        "SELECT * FROM query_table('points')", "SELECT * FROM information_schema.tables",
        "SELECT * FROM system.main.duckdb_tables", "SELECT * FROM analytics.main.points",
        "SELECT * FROM (WITH duckdb_databases AS (SELECT 1) SELECT 1), duckdb_databases",
        "WITH \"x.csv\" AS (SELECT 1) SELECT * FROM \"x.csv\"",
        "SELECT write_log('x', level := 'error')", "SELECT getvariable('x')",
        "SELECT nextval('s')", "SELECT * FROM sqlite_master", "SELECT * FROM pg_catalog.pg_class",
        "SELECT * FROM points AT (VERSION => 1)", "SELECT sleep_ms(100000)",
    ],
}
# the parser reports these classes under another name
# (a PRAGMA that lists something comes back as the SELECT it stands for)
REPORTED_AS = {ST.ANALYZE: {ST.VACUUM}, ST.CREATE_FUNC: {ST.CREATE}, ST.VARIABLE_SET: {ST.SET},
               ST.PRAGMA: {ST.PRAGMA, ST.SELECT}}
# not reachable from SQL text
UNREACHABLE = {ST.INVALID, ST.RELATION, ST.LOGICAL_PLAN, ST.EXTENSION}
READS = ["SELECT count(*) FROM submissions", "FROM points LIMIT 3", "DESCRIBE answers",
         "SHOW TABLES", "SUMMARIZE points", "EXPLAIN SELECT * FROM points", "VALUES (1, 'a')",
         "WITH m AS (SELECT * FROM indicator_values WHERE indicator = 'meetings') "
         "SELECT avg(value) FROM m",
         "SELECT kind, count(*) FROM points GROUP BY ROLLUP (kind)",
         "SELECT point_id, row_number() OVER (PARTITION BY county ORDER BY name) FROM points",
         "SELECT * FROM range(3)", "SELECT unnest([1, 2])", "SELECT log10(100), ln(2), now()",
         "PIVOT points ON active IN (true, false) USING count(*)",
         "SELECT list_transform([1, 2], x -> x + 1), coalesce(NULL, 1), try(1 / 0)",
         "SELECT * FROM snapshot_info", "SELECT * FROM problem_reports", "TABLE point_codes"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sandbox")
    store = start(resolve({**ENV, "SURVEY_DB": str(folder / "survey.duckdb"),
                           "SURVEY_SNAPSHOT_MINUTES": "0"})).store
    info = snapshot.write(store, folder / "analytics.duckdb")
    yield store, info.path
    store.close()


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_statement_type_is_covered():
    known = {m for m in ST.__members__.values()}
    assert known - UNREACHABLE <= set(STATEMENTS), known - UNREACHABLE - set(STATEMENTS)


@pytest.mark.parametrize("kind", sorted(STATEMENTS, key=lambda k: k.name),
                         ids=lambda k: k.name)
def test_every_statement_type_but_reads_is_refused(demo, kind):
    _, path = demo
    before = digest(path)
    sandbox = Sandbox(path, timeout_s=20)
    parser = duckdb.connect(config={"enable_external_access": False})
    for sql in STATEMENTS[kind]:
        try:  # the sample really is of this class (as DuckDB's parser sees it)
            kinds = {s.type for s in parser.extract_statements(sql)}
            assert REPORTED_AS.get(kind, {kind}) & kinds or len(kinds) > 1 or \
                kind == ST.MULTI, sql
        except duckdb.Error:
            pass  # parsing itself refused (e.g. IMPORT reads a file): the sandbox must too
        with pytest.raises(QueryRefused) as refused:
            sandbox.run(sql)
        assert str(refused.value) and refused.value.zh, sql
    assert digest(path) == before
    assert not os.path.exists("/tmp/leak.csv") and not os.path.exists("/tmp/exported")


def test_reads_run(demo):
    _, path = demo
    sandbox = Sandbox(path, timeout_s=20)
    for sql in READS:
        assert sandbox.run(sql).table.num_rows >= 1, sql


def test_every_table_function_off_the_allow_list_is_refused(demo):
    _, path = demo
    con = duckdb.connect()
    table_functions = {r[0] for r in con.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() "
        "WHERE function_type IN ('table', 'table_macro')").fetchall()}
    assert len(table_functions) > 50
    sandbox = Sandbox(path, timeout_s=20)
    for name in sorted(table_functions - TABLE_FUNCTIONS):
        with pytest.raises(QueryRefused):
            sandbox.run(f"SELECT * FROM {name}()")
        with pytest.raises(QueryRefused):
            sandbox.run(f"SELECT * FROM points, LATERAL {name}(points.name)")


SUGGESTS_SYSTEM = re.compile(r"setting|config|variable|env|file|path|dir|log(s|ging|_)|_log|"
                             r"temp|memory|database|catalog|schema|secret|extension|checkpoint|"
                             r"profil|sleep|^pg_|^duckdb_|^pragma|current_(?!date|time|local)|"
                             r"(^|pragma_)version$|user|connection|query")


def test_every_function_named_for_settings_files_logs_or_system_is_refused(demo):
    _, path = demo
    names = {r[0] for r in duckdb.connect().execute(
        "SELECT DISTINCT function_name FROM duckdb_functions()").fetchall()}
    suspicious = sorted(n for n in names if SUGGESTS_SYSTEM.search(n)
                        and n not in ("json_extract_path_text",))
    assert {"current_setting", "write_log", "enable_logging", "duckdb_settings",
            "getvariable"} <= set(suspicious) and len(suspicious) > 60
    sandbox = Sandbox(path, timeout_s=20)
    for name in suspicious:
        for sql in (f"SELECT {name}()", f"SELECT {name}('x')", f"SELECT * FROM {name}()",
                    f"SELECT (SELECT max({name}(name)) FROM points)",
                    f"SELECT sum(x) OVER () FROM (SELECT {name}() AS x)"):
            with pytest.raises(QueryRefused):
                sandbox.run(sql)


def test_no_server_path_in_any_answer(demo):
    store, path = demo
    sandbox = Sandbox(path, timeout_s=20)
    texts = []
    for sql in ["SELECT * FROM '/etc/passwd'", "SELECT * FROM 'data.csv'",
                "SELECT * FROM nosuchtable", "SELECT no_such_column FROM points",
                "SELECT CAST('x' AS INTEGER)", "SELECT error('" + str(path) + "')",
                "SELECT * FROM points WHERE"]:
        try:
            result = sandbox.run(sql)
            texts.append(str(result.table.to_pylist()))
        except (QueryRefused, QueryFailed) as exc:
            texts += [str(exc), getattr(exc, "zh", "") or ""]
    assert texts
    for text in texts:
        assert str(path.parent) not in text and "/tmp" not in text and "survey-sql-" not in text


def test_worker_gets_no_secrets_in_its_environment(demo, monkeypatch):
    _, path = demo
    Sandbox(path).run("SELECT 1")
    for pid in sandbox_module.worker_pids():
        environ = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace")
        assert "SURVEY_" not in environ and "k" * 16 not in environ
        assert str(path.parent) not in open(f"/proc/{pid}/cmdline", "rb").read().decode()


def test_time_limit_kills_a_scalar_that_ignores_interrupts(demo):
    _, path = demo
    sandbox = Sandbox(path, timeout_s=2)
    started = time.monotonic()
    with pytest.raises(QueryFailed) as stopped:  # one levenshtein call: ~minutes, not interruptible
        sandbox.run("SELECT levenshtein(repeat('a', 200000), repeat('b', 200000))")
    assert stopped.value.kind == "timeout" and "longer than 2 s" in str(stopped.value)
    assert time.monotonic() - started < 8
    assert sandbox.run("SELECT 42 AS answer").table.to_pylist() == [{"answer": 42}]


def test_app_survives_a_worker_killed_mid_query(demo):
    _, path = demo
    sandbox = Sandbox(path, timeout_s=60)
    outcome = {}

    def long_query():
        try:
            sandbox.run("SELECT count(*) FROM range(100000000000) a, range(10) b")
        except QueryFailed as exc:
            outcome["kind"] = exc.kind

    before = set(sandbox_module.worker_pids())
    runner = threading.Thread(target=long_query)
    runner.start()
    time.sleep(1.5)
    pool = sandbox_module.pool_for(Limits())
    with pool.cond:
        busy = [p.pid for p in pool.busy]
    assert busy
    os.kill(busy[0], signal.SIGKILL)
    runner.join(30)
    assert outcome == {"kind": "crashed"}
    assert sandbox.run("SELECT count(*) AS n FROM points").table.num_rows == 1
    assert busy[0] not in sandbox_module.worker_pids() and before is not None


def test_results_are_bounded_in_rows_and_bytes(demo):
    _, path = demo
    sandbox = Sandbox(path, timeout_s=30)
    rows = sandbox.run("SELECT * FROM range(1000000)", limit=5000)
    assert rows.table.num_rows == 5000 and rows.cut_by == "rows" and rows.truncated
    wide = sandbox.run("SELECT repeat('x', 2000) AS big FROM range(100000)", limit=100000,
                       max_bytes=2 * 2 ** 20)
    assert wide.cut_by == "bytes" and 500 < wide.table.num_rows < 1100
    assert wide.table.nbytes <= 2 * 2 ** 20
    whole = sandbox.run("SELECT * FROM points", limit=5000)
    assert not whole.truncated and whole.cut_by is None


def test_memory_limit_stops_a_query_and_the_app_goes_on(demo):
    _, path = demo
    small = Limits(memory_limit="64MB", temp_limit="64MB", threads=1)
    sandbox = Sandbox(path, timeout_s=60, limits=small)
    with pytest.raises(QueryFailed) as stopped:
        sandbox.run("SELECT list(range || repeat('x', 100)) FROM range(20000000)")
    assert stopped.value.kind in ("memory", "crashed")
    assert sandbox.run("SELECT 1 AS one").table.num_rows == 1
    sandbox_module.pool_for(small).close()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_downloads_are_bounded_and_read_back(demo, fmt, tmp_path):
    _, path = demo
    sandbox = Sandbox(path, timeout_s=60)
    made = sandbox.download("SELECT range AS n, '=1+1' AS formula FROM range(100000)", fmt,
                            rows=1000)
    assert made.rows == 1000 and made.cut_by == "rows"
    file = tmp_path / f"q.{fmt}"
    file.write_bytes(made.data)
    if fmt == "parquet":
        assert pq.read_table(file).num_rows == 1000
    elif fmt == "csv":
        lines = file.read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) == 1001 and lines[1] == "0,'=1+1"
    else:
        sheet = openpyxl.load_workbook(file)["query"]
        assert sheet.max_row == 1001 and sheet["B2"].data_type == "s"
    small = sandbox.download("SELECT repeat('x', 10000) AS t FROM range(100000)", fmt,
                             max_bytes=1 * 2 ** 20)
    assert small.cut_by == "bytes" and small.rows < 200 and len(small.data) < 3 * 2 ** 20


def test_refresh_while_a_query_spills_shows_no_error(demo):
    store, path = demo
    spilling = Limits(memory_limit="64MB", temp_limit="2GB", threads=1)
    sandbox = Sandbox(path, timeout_s=60, limits=spilling)
    outcome = {}

    def spill():
        try:
            outcome["rows"] = sandbox.run("SELECT range, md5(range::VARCHAR) AS h FROM "
                                          "range(3000000) ORDER BY h", limit=10).table.num_rows
        except QueryFailed as exc:
            outcome["kind"] = exc.kind

    runner = threading.Thread(target=spill)
    runner.start()
    time.sleep(1.0)
    info = refresh(store, path)  # no exception: the spill folder is private to the worker
    runner.join(60)
    assert info.path == path and outcome.get("rows") == 10, outcome
    assert not (path.parent / (path.name + ".tmp")).exists()
    assert Sandbox(path).run("SELECT count(*) FROM points").table.num_rows == 1
    sandbox_module.pool_for(spilling).close()


def test_snapshot_tables_are_exactly_the_allowed_relations(demo):
    _, path = demo
    shown = Sandbox(path).run("SHOW TABLES").table.column("name").to_pylist()
    assert set(shown) == set(SNAPSHOT_RELATIONS)


def test_a_worker_does_not_outlive_its_app(demo, tmp_path):
    """The app process killed mid-query: its worker stops too (no orphan burning CPU)."""
    import subprocess
    import sys
    _, path = demo
    script = (f"from survey.store.sandbox import Sandbox, worker_pids\n"
              f"import threading, time\n"
              f"s = Sandbox({str(path)!r}, timeout_s=600)\n"
              f"threading.Thread(target=lambda: s.run('SELECT count(*) FROM range(100000000000) "
              f"a, range(10) b'), daemon=True).start()\n"
              f"time.sleep(3)\nprint(worker_pids(), flush=True)\ntime.sleep(600)\n")
    app = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                           cwd=str(sandbox_module.PROJECT_ROOT))
    pids = [int(p) for p in re.findall(r"\d+", app.stdout.readline())]
    assert pids and all(os.path.exists(f"/proc/{p}") for p in pids)
    app.kill()
    app.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(os.path.exists(f"/proc/{p}/status") and
                                              "zombie" not in open(f"/proc/{p}/status").read()
                                              for p in pids):
        time.sleep(0.2)
    assert not any(os.path.exists(f"/proc/{p}/status") and
                   "zombie" not in open(f"/proc/{p}/status").read() for p in pids)
