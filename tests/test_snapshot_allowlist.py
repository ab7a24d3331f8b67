"""The analysts' data is an allow-list: the snapshot holds exactly the documented analyst views,
never a private value, and problem reports in it cannot be traced to a small group."""

import datetime as dt
import re

import duckdb
import pytest

from survey.analyst_views import ANALYST_VIEWS, SNAPSHOT_RELATIONS
from survey.bootstrap import start
from survey.config import resolve
from survey.store import clues as clue_store
from survey.store import snapshot
from tests.conftest import ROOT, add_staff, complete_answers

ENV = {"SURVEY_CODE_KEY": "k" * 16}


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def demo(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("allowlist")
    env = {**ENV, "SURVEY_DB": str(folder / "survey.duckdb")}
    if request.param == "postgres":
        env["SURVEY_DATABASE_URL"] = request.getfixturevalue("pg_cluster").new_database()
    store = start(resolve(env)).store
    add_staff(store, "ana", "analyst")
    add_staff(store, "boss", "admin")
    qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    point = store.points()[0].point_id
    respondent = store.respondent(store.issue_codes(point, 1, "test")[0])
    store.save_draft(respondent, qn, "2026-11", complete_answers(meetings=77), dt.datetime.now())
    store.audit("boss", "test_secret", "x", note="audit-only-text-7f3a")
    # a table and a view another developer adds later, not on the allow-list
    store._write(lambda cur: (
        cur.execute("CREATE TABLE later_secret AS SELECT 'later-secret-value-91' AS v"),
        cur.execute("CREATE VIEW later_view AS SELECT v FROM later_secret")))
    info = snapshot.write(store, folder / "analytics.duckdb")
    yield store, info.path
    store.close()


def documented_relations() -> set[str]:
    text = (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    return set(re.findall(r"^## `(\w+)`", text, re.M)) | {"snapshot_info"}


def catalog(path) -> dict[str, set]:
    con = duckdb.connect(str(path), read_only=True)
    db = con.execute("SELECT current_database()").fetchone()[0]
    q = lambda sql: {r[0] for r in con.execute(sql, [db]).fetchall()}  # noqa: E731
    found = {
        "tables": q("SELECT table_name FROM duckdb_tables() WHERE database_name = ?"),
        "views": q("SELECT view_name FROM duckdb_views() WHERE database_name = ? AND NOT internal"),
        "sequences": q("SELECT sequence_name FROM duckdb_sequences() WHERE database_name = ?"),
        "indexes": q("SELECT index_name FROM duckdb_indexes() WHERE database_name = ?"),
        "macros": q("SELECT function_name FROM duckdb_functions() WHERE database_name = ? "
                    "AND NOT internal"),
        "types": q("SELECT type_name FROM duckdb_types() WHERE database_name = ? AND NOT internal"),
        "schemas": q("SELECT schema_name FROM duckdb_schemas() WHERE database_name = ? "
                     "AND NOT internal"),
    }
    con.close()
    return found


def test_snapshot_holds_exactly_the_documented_analyst_views(demo):
    _, path = demo
    found = catalog(path)
    assert found["tables"] | found["views"] == documented_relations(), \
        "the snapshot holds a table or view that docs/schema.md does not list (or lacks one)"
    assert found["tables"] == set(SNAPSHOT_RELATIONS) and not found["views"]
    assert not (found["sequences"] | found["indexes"] | found["macros"] | found["types"])
    assert found["schemas"] <= {"main"}


def test_a_table_added_later_stays_out(demo):
    store, path = demo
    assert store.query("SELECT count(*) FROM later_secret")[0][0] == 1
    tables = catalog(path)["tables"]
    assert "later_secret" not in tables and "later_view" not in tables


def test_no_private_value_reaches_the_snapshot(demo):
    store, path = demo
    private = {r[0] for r in store.query(
        "SELECT password_hash FROM account UNION ALL SELECT code FROM demo_code "
        "UNION ALL SELECT answers_json FROM draft UNION ALL SELECT detail FROM audit_log "
        "UNION ALL SELECT receipt_hash FROM clue UNION ALL SELECT description FROM clue "
        "UNION ALL SELECT yaml_text FROM questionnaire_version")} - {None}
    private |= {"later-secret-value-91", "k" * 16, str(store.path)}
    assert any(p.startswith("$argon2") for p in private) and len(private) > 50
    con = duckdb.connect(str(path), read_only=True)
    text_columns = con.execute("SELECT table_name, column_name FROM duckdb_columns() WHERE "
                               "data_type LIKE 'VARCHAR%' AND NOT internal").fetchall()
    assert text_columns
    for table, column in text_columns:
        values = {str(r[0]) for r in con.execute(
            f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM "{table}"').fetchall()}
        leaked = {v for v in values if v in private or "$argon2" in v or str(store.path) in v}
        assert not leaked, f"{table}.{column} holds private values"
    con.close()


def test_problem_reports_never_name_a_small_group(tmp_path):
    store = start(resolve({**ENV, "SURVEY_DB": str(tmp_path / "s.duckdb"),
                           "SURVEY_DEMO": "0"})).store
    from survey.store import Point
    region = ("江北市", "清河县", "城关镇")
    store.add_points([Point(f"P{i}", f"村{i}", "village", "village", region) for i in range(6)]
                     + [Point("LONE", "独村", "village", "village", ("江北市", "小县", "乡"))])
    for _ in range(5):  # five reports from P0: its point may show
        clue_store.report(store, "P0", "code", "traces", "county", "县农业局", None, "很多留痕")
    clue_store.report(store, "P1", "code", "traces", "county", "县农业局", None, "只有一条")
    clue_store.report(store, "LONE", "public", "plaques", "county", "县民政局", None,
                      "我是唯一的村干部")
    path = snapshot.write(store, tmp_path / "analytics.duckdb", k=5).path
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("SELECT point_id, county, prefecture FROM problem_reports").fetchall()
    assert sorted(r[0] for r in rows if r[0]) == ["P0"] * 5
    assert rows.count((None, "清河县", "江北市")) == 1  # P1's single report: county only
    assert rows.count((None, None, "江北市")) == 1  # a county of one point: prefecture only
    columns = {r[0] for r in con.execute("DESCRIBE problem_reports").fetchall()}
    assert not columns & {"description", "receipt_hash", "clue_id", "reported_at"}
    assert con.execute("SELECT k_anonymity FROM snapshot_info").fetchone()[0] == 5
    con.close()
    store.close()


def test_every_allowed_view_is_documented_and_the_doc_is_generated_from_the_list():
    assert documented_relations() == set(SNAPSHOT_RELATIONS)
    assert len(ANALYST_VIEWS) == len(set(ANALYST_VIEWS))


def test_the_cli_snapshot_uses_the_configured_k(tmp_path):
    import os
    import subprocess
    import sys
    env = {**os.environ, **ENV, "SURVEY_DB": str(tmp_path / "s.duckdb"), "SURVEY_DEMO": "0",
           "SURVEY_K": "3", "SURVEY_SNAPSHOT": str(tmp_path / "a.duckdb")}
    done = subprocess.run([sys.executable, "-m", "survey", "snapshot"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    con = duckdb.connect(str(tmp_path / "a.duckdb"), read_only=True)
    assert con.execute("SELECT k_anonymity FROM snapshot_info").fetchone()[0] == 3
    con.close()
