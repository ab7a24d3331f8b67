"""Analysts: the read-only sandbox, the snapshot for their own DuckDB clients, exports."""

import hashlib
import os
import re
import subprocess
import sys
import textwrap

import duckdb
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from survey import bulk_export, queries
from survey.bootstrap import start
from survey.config import resolve
from survey.store import snapshot
from survey.store.sandbox import QueryFailed, QueryRefused, Sandbox
from tests.conftest import ROOT, add_staff, as_user

ENV = {"SURVEY_CODE_KEY": "k" * 16}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysts")
    env = {**ENV, "SURVEY_DB": str(folder / "survey.duckdb")}
    store = start(resolve(env)).store
    add_staff(store, "ana", "analyst")
    info = snapshot.write(store, folder / "analytics.duckdb")
    yield store, info.path, env
    store.close()


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


REFUSED = [
    "INSERT INTO point VALUES ('x', 'x', 'village', 'village', ['a'], true, false, now())",
    "UPDATE point SET name = 'x'",
    "DELETE FROM submission",
    "CREATE TABLE x AS SELECT 1",
    "CREATE TEMP TABLE x AS SELECT 1",
    "DROP VIEW answers",
    "ALTER TABLE point ADD COLUMN x INT",
    "COPY point TO '/tmp/leak.csv'",
    "COPY (SELECT * FROM answers) TO '/tmp/leak.parquet' (FORMAT parquet)",
    "ATTACH '/tmp/other.duckdb' AS other",
    "DETACH analytics",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET threads = 1",
    "RESET threads",
    "PRAGMA database_list",
    "  -- a comment first\n  pragma show_tables",
    "EXPORT DATABASE '/tmp/exported'",
    "IMPORT DATABASE '/tmp/exported'",
    "CHECKPOINT",
    "SELECT * FROM points; DROP TABLE point",
    "SELECT 1; INSERT INTO point SELECT * FROM point",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_parquet('/tmp/x.parquet')",
    "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM 'https://example.com/data.csv'",
    "SELECT * FROM read_blob('/etc/hostname')",
    "SELECT * FROM query('SELECT 42')",
    "SELECT * FROM pragma_table_info('answers')",
    "EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/leak.csv'",
    "SELECT current_setting('memory_limit')",
]


@pytest.mark.parametrize("sql", REFUSED)
def test_refused_statements_change_nothing(demo, sql):
    store, path, _ = demo
    before = digest(path)
    with pytest.raises(QueryRefused) as info:
        Sandbox(path, timeout_s=10).run(sql)
    assert str(info.value)  # a clear message
    assert digest(path) == before
    assert not os.path.exists("/tmp/leak.csv") and not os.path.exists("/tmp/exported")


@pytest.mark.parametrize("sql", [
    "SELECT count(*) FROM submissions",
    "WITH m AS (SELECT * FROM indicator_values WHERE indicator = 'meetings') SELECT avg(value) FROM m",
    "FROM points LIMIT 3",
    "DESCRIBE answers",
    "SHOW TABLES",
    "SUMMARIZE points",
    "EXPLAIN SELECT * FROM points",
    "SELECT label_zh, count(*) FROM answers WHERE question_id = 'satisfaction' GROUP BY ALL",
])
def test_reading_queries_run(demo, sql):
    _, path, _ = demo
    result = Sandbox(path, timeout_s=10).run(sql)
    assert result.table.num_rows >= 1


def test_choice_answers_carry_code_and_labels(demo):
    _, path, _ = demo
    rows = Sandbox(path).run("SELECT DISTINCT value_text, label_zh, label_en FROM answers "
                             "WHERE question_id = 'satisfaction' ORDER BY 1").table.to_pylist()
    assert rows[3] == {"value_text": "4", "label_zh": "比较满意", "label_en": "Satisfied"}


def test_every_example_query_runs(demo):
    _, path, _ = demo
    found = queries.load()
    assert len(found) >= 4
    for example in found:
        assert example.title_in("zh") and example.title_in("en") and example.description_in("en")
        assert Sandbox(path).run(example.sql).table.num_rows > 0, example.name


def test_time_limit_stops_a_runaway_query(demo):
    _, path, _ = demo
    with pytest.raises(QueryFailed) as info:
        Sandbox(path, timeout_s=1).run("SELECT count(*) FROM range(100000000000) a, range(10) b")
    assert "longer than 1 s" in str(info.value)


def test_row_limit_cuts_with_a_flag(demo):
    _, path, _ = demo
    result = Sandbox(path).run("SELECT * FROM answers ORDER BY submission_id", limit=50)
    assert result.table.num_rows == 50 and result.truncated
    assert not Sandbox(path).run("SELECT * FROM points", limit=500).truncated


def test_snapshot_opens_in_another_process_while_the_app_holds_the_database(demo):
    store, path, env = demo
    script = textwrap.dedent(f"""
        import duckdb
        try:
            duckdb.connect({env['SURVEY_DB']!r}, read_only=True)
            print("main database opened?!")
        except duckdb.IOException:
            print("main locked")
        con = duckdb.connect({str(path)!r}, read_only=True)
        print(con.execute("SELECT count(*) FROM submissions").fetchone()[0])
        print(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name IN "
                          "('draft', 'demo_code', 'audit_log')").fetchone()[0])
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60).stdout.split()
    assert out[:2] == ["main", "locked"]
    assert int(out[2]) == store.count("submissions")
    assert out[3] == "0"  # drafts, demo codes and the audit log stay out of the snapshot


def test_snapshot_replaces_atomically_and_cleans_leftovers(demo, tmp_path):
    store, _, _ = demo
    target = tmp_path / "analytics.duckdb"
    snapshot.partial_path(target).write_bytes(b"half-written by a killed writer")
    (tmp_path / "analytics.duckdb.tmp").mkdir()  # where a client reading the snapshot spills
    first = snapshot.write(store, target)
    assert duckdb.connect(str(target), read_only=True).execute(
        "SELECT count(*) FROM points").fetchone()[0] == store.count("points")
    assert not snapshot.partial_path(target).exists()
    assert (tmp_path / "analytics.duckdb.tmp").is_dir()  # left alone
    assert target.stat().st_mode & 0o077 == 0  # readable by the service account only
    assert first.bytes == target.stat().st_size


@pytest.mark.parametrize("fmt", ["parquet", "csv", "xlsx"])
def test_exports_read_back_equal_to_the_views(demo, tmp_path, fmt):
    store, path, _ = demo
    con = duckdb.connect(str(path), read_only=True)
    written = bulk_export.export(con, tmp_path, fmt, "2025-06", "2026-03", stream=open(os.devnull, "w"))
    # a period overlapping the months: the demo's months and quarters (2025-Q2 ends in June)
    overlap = (" WHERE period_start <= DATE '2026-03-31' AND period_start + CASE WHEN "
               "period_key LIKE '%-Q%' THEN INTERVAL 3 MONTH ELSE INTERVAL 1 MONTH END "
               "> DATE '2025-06-01'")
    for view, rows in written.items():
        where = "" if view == "points" else overlap
        assert rows == con.execute(f"SELECT count(*) FROM {view}{where}").fetchone()[0], view
    if fmt == "parquet":
        for view in written:
            where = "" if view == "points" else overlap
            diff = con.execute(f"(SELECT * FROM read_parquet(?) EXCEPT ALL SELECT * FROM {view}{where})"
                               f" UNION ALL (SELECT * FROM {view}{where} EXCEPT ALL "
                               "SELECT * FROM read_parquet(?))",
                               [str(tmp_path / f"{view}.parquet")] * 2).fetchall()
            assert diff == [], view
    elif fmt == "csv":
        text = (tmp_path / "answers.csv").read_text(encoding="utf-8-sig")
        assert "比较满意" in text
        back = con.execute("SELECT count(*) FROM read_csv(?)", [str(tmp_path / "points.csv")])
        assert back.fetchone()[0] == written["points"]
    else:
        book = openpyxl.load_workbook(tmp_path / "survey_export.xlsx", read_only=True)
        assert sum(1 for _ in book["points"].iter_rows()) == written["points"] + 1  # + header


def test_export_cli_uses_the_snapshot_while_the_app_runs(demo, tmp_path):
    store, path, env = demo
    result = subprocess.run([sys.executable, "-m", "survey", "export", "--format", "parquet",
                             "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True,
                            text=True, timeout=120,
                            env={**os.environ, **env, "SURVEY_SNAPSHOT": str(path)})
    assert result.returncode == 0, result.stderr
    assert "exporting from the snapshot" in result.stderr
    # how old the data is, and how to get newer, in both languages
    assert re.search(r"made \d{4}-\d\d-\d\d \d\d:\d\d \(\d+ minutes ago\)", result.stderr)
    assert "立即刷新快照" in result.stderr and re.search(r"快照生成于 \d{4}-", result.stderr)
    assert f"submissions: {store.count('submissions'):,} rows" in result.stdout
    for flag, key in (("--from", "2026"), ("--to", "2026-Q4")):
        refused = subprocess.run([sys.executable, "-m", "survey", "export", flag, key, "--out",
                                  str(tmp_path / "x")], cwd=ROOT, capture_output=True, text=True,
                                 timeout=120, env={**os.environ, **env})
        assert refused.returncode == 2 and not (tmp_path / "x").exists()
        assert f"{flag} {key} is not a month: --from and --to take months as YYYY-MM, e.g." \
            in refused.stderr and f"错误:{flag} {key} 不是月份" in refused.stderr
        assert "examples: 2026-11, 2026-Q4" not in refused.stderr  # listed what it refuses


def test_sql_page_runs_an_example_and_refuses_a_write(demo, monkeypatch):
    _, path, env = demo
    for key, value in {**env, "SURVEY_SNAPSHOT": str(path)}.items():
        monkeypatch.setenv(key, value)
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), "ana").run()
    at.switch_page("app_pages/sql.py").run()
    assert not at.exception
    next(b for b in at.button if b.label == "载入编辑器").click().run()
    assert "meeting_hours" in at.text_area(key="sql").value
    next(b for b in at.button if b.label == "运行").click().run()
    assert not at.error and len(at.dataframe) >= 1
    assert any("行,用时" in c.value for c in at.caption)
    at.text_area(key="sql").input("DELETE FROM submission").run()
    next(b for b in at.button if b.label == "运行").click().run()
    assert at.error[0].value.startswith("已拒绝:这里只能运行只读查询")


def sql_page(monkeypatch, path, env, **config):
    """The workbench page signed in as an analyst, with config fields changed for this test
    (the process's services are started once per database, so not through the environment)."""
    import dataclasses

    from survey.bootstrap import started
    for key, value in {**env, "SURVEY_SNAPSHOT": str(path)}.items():
        monkeypatch.setenv(key, value)
    services = started(resolve())
    monkeypatch.setattr(services, "config", dataclasses.replace(services.config, **config))
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=90), "ana").run()
    at.switch_page("app_pages/sql.py").run()
    assert not at.exception
    return at


def run_sql(at, sql: str):
    at.text_area(key="sql").input(sql).run()
    next(b for b in at.button if b.label == "运行").click().run()
    assert not at.exception
    return at


def test_sql_page_says_where_a_result_was_cut_and_prepares_a_bounded_download(demo, monkeypatch):
    _, path, env = demo
    at = run_sql(sql_page(monkeypatch, path, env, sql_rows=100),
                 "SELECT * FROM range(5000)")
    assert any("只显示前 100 行" in w.value and "GROUP BY" in w.value for w in at.warning)
    prepare = next(b for b in at.button if b.label.startswith("准备 CSV"))
    prepare.click().run()
    assert not at.exception and not at.error
    ready = at.get("download_button")
    assert any("5,000 行" in b.proto.label for b in ready)


def test_sql_page_time_limit_and_refusal_are_messages_not_tracebacks(demo, monkeypatch):
    _, path, env = demo
    at = run_sql(sql_page(monkeypatch, path, env, sql_timeout_s=2.0),
                 "SELECT levenshtein(repeat('a', 200000), repeat('b', 200000))")
    assert at.error[0].value.startswith("查询超过 2 秒,已中止")
    at = run_sql(at, "SELECT current_setting('memory_limit')")
    assert "这里不能使用函数 current_setting()" in at.error[0].value.replace("\\", "")  # as shown


def test_refresh_button_while_a_query_runs_shows_no_traceback(demo, monkeypatch):
    import threading

    store, path, env = demo
    at = sql_page(monkeypatch, path, env)
    outcome = {}

    def long_query():
        try:
            Sandbox(path, timeout_s=8).run("SELECT count(*) FROM range(100000000000) a, range(9) b")
        except QueryFailed as exc:
            outcome["kind"] = exc.kind

    runner = threading.Thread(target=long_query)
    runner.start()
    next(b for b in at.button if b.label == "立即刷新快照").click().run()
    assert not at.exception and not at.error
    assert any(s.value.startswith("快照已刷新") for s in at.success)
    runner.join(30)
    assert outcome == {"kind": "timeout"}


def test_every_view_column_has_a_meaning_in_both_languages():
    from survey.analyst_views import ANALYST_VIEWS
    from survey.schema_doc import VIEWS, view_meanings
    assert set(VIEWS) == set(ANALYST_VIEWS)
    for view, (about, columns) in view_meanings("zh").items():
        assert set(columns) == set(VIEWS[view][1]), view
        assert about and all(columns.values())
