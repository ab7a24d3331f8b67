"""History import: the two-year sample workbook (Chinese headers, GBK CSV variant, seeded
errors) into a real store on both engines, through the submit rules, counted in the figures."""

from __future__ import annotations

import datetime as dt
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import openpyxl
import pytest

from conftest import KEY
from survey import bulk_export, trends
from survey.interop import history_import, sample_history
from survey.metrics import Filter
from survey.store import Store, StoreError
from survey.store import analytics

TODAY = dt.date(2026, 11, 21)


@pytest.fixture
def hstore(store):
    store.add_points(list(sample_history.SAMPLE_POINTS))
    return store


@pytest.fixture(scope="module")
def sample():
    return sample_history.workbook()


def _read(store, data, name):
    return history_import.read(store, data, name, KEY, today=TODAY)


def _located(report):
    return {(i.sheet, i.row, i.item) for i in report.issues}


def test_the_report_names_every_seeded_error_and_nothing_is_written(hstore, sample):
    data, seeded = sample
    report = _read(hstore, data, "history_2024_2025.xlsx")
    found = _located(report)
    for s in seeded:  # each at its sheet, row and column, as the file names the column
        assert (s.sheet, s.row, s.column) in found, s
    # the names column is refused in both year sheets, at the header row
    assert ("2024年", 2, "填表人姓名") in found and ("2025年", 2, "填表人姓名") in found
    # every problem row is one of the seeded ones (no false alarms)
    assert {(sh, r) for sh, r, _ in found} == {(s.sheet, s.row) for s in seeded} | {
        ("2024年", 2), ("2025年", 2)}
    assert report.data_rows == 24 * 6 * 3 + 1 and len(report.rows) == 24 * 6 * 3 - 8
    for issue in report.issues:
        assert str(issue).startswith(f"history_2024_2025.xlsx:{issue.sheet}:{issue.row}: ")
        assert issue.zh != issue.en
    with pytest.raises(StoreError):
        history_import.load(hstore, report, "admin")
    assert hstore.query("SELECT count(*) FROM submissions")[0][0] == 0


def test_valid_rows_load_once_with_their_source_and_count_in_the_trends(hstore, sample):
    data, _ = sample
    report = _read(hstore, data, "history_2024_2025.xlsx")
    summary = history_import.load(hstore, report, "admin", valid_rows_only=True)
    assert summary.written == len(report.rows) == hstore.count("submissions")
    sources = hstore.query("SELECT DISTINCT source_file, sheet FROM imported_submissions")
    assert {s for _f, s in sources} == {"2024年", "2025年"}
    assert {f for f, _s in sources} == {"history_2024_2025.xlsx"}
    row = hstore.query("SELECT source_row, period_key, point_id FROM imported_submissions "
                       "ORDER BY period_key, source_row LIMIT 1")[0]
    assert row == (3, "2024-01", "H-VIL-01")

    again = history_import.load(hstore, _read(hstore, data, "history_2024_2025.xlsx"), "admin",
                                valid_rows_only=True)
    assert again.written == 0 and again.unchanged == len(report.rows)
    assert hstore.count("submissions") == summary.written
    assert hstore.count("submission_history") == summary.written

    frame = analytics.with_changes(
        analytics.aggregate(hstore, Filter(), ["documents"], "month", k=5), "month")
    overall = frame[frame["group"].isna()].set_index("bucket")
    assert overall.loc[dt.date(2024, 1, 1), "n"] > 0
    assert overall["yoy"].loc[:dt.date(2024, 12, 1)].isna().all()  # no year before it
    yoy = overall.loc[dt.date(2025, 1, 1), "yoy"]
    january = overall.loc[[dt.date(2024, 1, 1), dt.date(2025, 1, 1)], "mean"]
    assert yoy == pytest.approx((january.iloc[1] - january.iloc[0]) / january.iloc[0])
    assert yoy < 0  # the sample's burden falls by about a fifth a year
    bucket, headline = trends.headline(hstore, Filter(), "month", dt.date(2025, 6, 1), k=5)
    assert bucket == dt.date(2025, 6, 1)
    assert headline.set_index("indicator").loc["documents", "yoy"] is not None


def test_one_file_loaded_on_two_app_servers_at_once_is_written_once(hstore, sample,
                                                                    store_target, engine_name):
    """Two administrators (or one, clicking twice behind a load balancer) load the same file
    at the same moment: one load writes it, the other finds every row already there."""
    second = Store(store_target, KEY) if engine_name == "postgres" else hstore
    report = _read(hstore, sample[0], "history_2024_2025.xlsx")
    gate = threading.Barrier(2)

    def load(s):
        gate.wait()
        return history_import.load(s, report, "admin", valid_rows_only=True)
    try:
        with ThreadPoolExecutor(2) as pool:
            summaries = list(pool.map(load, (hstore, second)))
        assert sorted(s.written for s in summaries) == [0, len(report.rows)]
        assert sorted(s.unchanged for s in summaries) == [0, len(report.rows)]
        assert hstore.count("submissions") == hstore.count("submission_history") \
            == len(report.rows)
        assert hstore.query("SELECT count(*) FROM submission_source") == [(len(report.rows),)]
        assert hstore.query("SELECT count(*) FROM audit_log WHERE action = 'import_history'") \
            == [(2,)]
    finally:
        if second is not hstore:
            second.close()


def test_gbk_csv_variant_reports_the_same_errors_and_loads_the_same_rows(hstore, sample):
    data, seeded = sample_history.gbk_csv()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    report = _read(hstore, data, "history_2024_2025_gbk.csv")
    rows = {(i.sheet, i.row) for i in report.issues}
    assert {(s.sheet, s.row) for s in seeded} | {("history_2024_2025_gbk", 1)} == rows
    written = history_import.load(hstore, report, "admin", valid_rows_only=True).written
    assert written == len(report.rows) == 24 * 6 * 3 - 8
    # the xlsx holds the same rows: loading it afterwards adds nothing
    xlsx = history_import.load(hstore, _read(hstore, sample[0], "h.xlsx"), "admin", True)
    assert xlsx.written == 0 and hstore.count("submissions") == written


def test_typed_text_is_stored_verbatim_and_respondent_values_never(hstore, sample):
    report = _read(hstore, sample[0], "history_2024_2025.xlsx")
    history_import.load(hstore, report, "admin", valid_rows_only=True)
    texts = {t for (t,) in hstore.query("SELECT value_text FROM answers WHERE question_id = "
                                        "'one_cut'")}
    assert sample_history.FORMULA_TEXT in texts
    keys = {k for (k,) in hstore.query("SELECT respondent_key FROM respondent")}
    assert not keys & set(sample_history.RESPONDENTS)
    assert len(keys) == 6 * 3  # three anonymous respondents per point
    assert all(len(k) == 32 for k in keys)


def test_a_corrected_row_becomes_a_revision_and_the_figures_follow(hstore):
    point = sample_history.SAMPLE_POINTS[0]
    first = _one_row_file(point.point_id, documents=40)
    history_import.load(hstore, _read(hstore, first, "a.xlsx"), "admin")
    corrected = _one_row_file(point.point_id, documents=60)
    summary = history_import.load(hstore, _read(hstore, corrected, "b.xlsx"), "admin")
    assert (summary.written, summary.revised) == (1, 1)
    assert hstore.query("SELECT revision, value_num FROM answers JOIN submissions USING "
                        "(submission_id) WHERE question_id = 'documents'") == [(2, 60.0)]
    assert hstore.query("SELECT total, n FROM point_month WHERE indicator = 'documents'") == \
        [(60.0, 1)]
    assert hstore.count("submission_history") == 2
    assert {f for (f,) in hstore.query("SELECT source_file FROM imported_submissions")} == \
        {"a.xlsx", "b.xlsx"}


def test_history_respondents_are_not_expected_to_answer_now(hstore, sample):
    history_import.load(hstore, _read(hstore, sample[0], "h.xlsx"), "admin",
                        valid_rows_only=True)
    then = analytics.responses(hstore, Filter(), "2025-06", today=TODAY)
    assert then.set_index("point_id").loc["H-VIL-01", "expected"] == 3
    now = analytics.responses(hstore, Filter(), "2026-10", today=TODAY)
    assert now.set_index("point_id").loc["H-VIL-01", "expected"] == 0


def test_the_platforms_own_export_loads_back(hstore, sample, tmp_path, engine_name, request):
    history_import.load(hstore, _read(hstore, sample[0], "h.xlsx"), "admin",
                        valid_rows_only=True)
    bulk_export.export(hstore.raw_connection(), tmp_path, "xlsx", stream=io.StringIO())
    exported = (tmp_path / "survey_export.xlsx").read_bytes()
    before = hstore.count("submissions")
    same = history_import.load(hstore, _read(hstore, exported, "survey_export.xlsx"), "admin")
    assert same.written == 0 and hstore.count("submissions") == before

    from survey.bootstrap import publish_dir
    from conftest import ROOT
    fresh = Store(tmp_path / "fresh.duckdb" if engine_name == "duckdb"
                  else request.getfixturevalue("pg_cluster").new_database(), KEY)
    try:
        publish_dir(fresh, ROOT / "questionnaires")
        fresh.add_points(list(sample_history.SAMPLE_POINTS))
        report = _read(fresh, exported, "survey_export.xlsx")
        assert report.clean, report.issues[:3]
        history_import.load(fresh, report, "admin")
        query = ("SELECT respondent_key, period_key, question_id, value_num, value_text "
                 "FROM answers JOIN submissions USING (submission_id, point_id, "
                 "questionnaire_id, period_key) ORDER BY ALL")
        assert fresh.query(query) == hstore.query(query)
    finally:
        fresh.close()


def test_unusable_files_are_refused_with_a_message(hstore):
    report = _read(hstore, b"x", "history.pdf")
    assert not report.rows and ".xlsx" in report.issues[0].en and "表格" in report.issues[0].zh
    report = _read(hstore, b"PK\x03\x04 broken", "history.xlsx")
    assert report.issues and "Excel" in report.issues[0].en
    future = _one_row_file(sample_history.SAMPLE_POINTS[0].point_id, period="2027-01")
    [issue] = _read(hstore, future, "f.xlsx").issues
    assert issue.row == 2 and "not begun" in issue.en


def _one_row_file(point_id: str, documents: int = 40, period: str = "2025-03") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["respondent", "point_id", "period", "documents", "documents_action",
                  "meetings", "meeting_hours", "forms", "form_hours", "duplicate_forms",
                  "inspections", "trace_demands", "apps", "chat_groups", "chat_pressure",
                  "burden_change", "satisfaction"])
    sheet.append(["A7", point_id, period, documents, 5, 3, 2.5, 8, 4, 1, 0, "否", 5, 9, "否",
                  3, "一般"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_each_row_is_checked_against_the_version_in_force_in_its_period(hstore, monthly):
    from survey.questionnaire import load
    newer = load(monthly.source_text.replace(f"version: {monthly.version}",
                                             f"version: {monthly.version + 1}").replace(
        "      - id: one_cut\n",
        "      - id: plaques\n        type: integer\n        indicator: plaques\n"
        "        label: 挂牌数量\n        min: 0\n      - id: one_cut\n"), "newer.yaml")
    hstore.publish(newer)
    point = sample_history.SAMPLE_POINTS[0].point_id
    book = openpyxl.load_workbook(io.BytesIO(_one_row_file(point, period="2025-03")))
    sheet = book.active
    sheet["R1"], sheet["R2"] = "挂牌数量", 4
    # the new version is in force from the month it is published: this month, really
    today = dt.date.today()
    sheet.append(["A8", point, today.strftime("%Y-%m"), 40, 5, 3, 2.5, 8, 4, 1, 0, "否", 5, 9,
                  "否", 3, "一般", 4])
    buffer = io.BytesIO()
    book.save(buffer)
    report = history_import.read(hstore, buffer.getvalue(), "versions.xlsx", KEY, today=today)
    [issue] = report.issues  # 2025-03 predates the new version: no plaques then
    assert (issue.row, issue.item) == (2, "挂牌数量") and "2025-03" in issue.en
    [row] = report.rows
    assert row.questionnaire.version == newer.version and row.answers["plaques"] == 4


def test_the_cli_checks_then_loads_only_when_asked(hstore, sample, tmp_path, monkeypatch,
                                                   db_path, capsys):
    hstore.close()
    from survey import cli
    path = tmp_path / "history_2024_2025.xlsx"
    path.write_bytes(sample[0])
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    assert cli.main(["import-history", str(path), "--lang", "zh"]) == 1
    err = capsys.readouterr().err
    assert "history_2024_2025.xlsx:2024年:78: 列“收文数量”:“十二”不是数字" in err
    assert "nothing written" in err
    assert cli.main(["import-history", str(path), "--valid-rows"]) == 0
    assert "written: 424 submission(s)" in capsys.readouterr().out
    assert cli.main(["import-history", str(path), "--valid-rows"]) == 0
    assert "written: 0 submission(s)" in capsys.readouterr().out


def test_a_large_file_is_written_in_several_waves_in_one_transaction(hstore, sample,
                                                                     monkeypatch):
    from survey.store import history as history_store
    monkeypatch.setattr(history_store, "WAVE", 40)
    report = _read(hstore, sample[0], "h.xlsx")
    summary = history_import.load(hstore, report, "admin", valid_rows_only=True)
    assert summary.written == len(report.rows) == hstore.count("submissions")
    rollup = hstore.query("SELECT sum(n), sum(total) FROM point_month WHERE indicator = "
                          "'documents'")[0]
    direct = hstore.query("SELECT count(*), sum(value) FROM indicator_values WHERE indicator = "
                          "'documents'")[0]
    assert rollup == pytest.approx(direct)


@pytest.mark.parametrize("value,kind,key", [
    ("2025-03", "month", "2025-03"), ("2025/3", "month", "2025-03"),
    ("2025.03", "month", "2025-03"), ("202503", "month", "2025-03"),
    ("2025年3月", "month", "2025-03"), ("2025年03月份", "month", "2025-03"),
    (dt.datetime(2025, 3, 1), "month", "2025-03"), (dt.date(2025, 3, 31), "month", "2025-03"),
    ("2025-03-01 00:00:00", "month", "2025-03"), ("2025-13", "month", None),
    ("三月", "month", None), ("2025-Q2", "quarter", "2025-Q2"),
    ("2025年第2季度", "quarter", "2025-Q2"), ("2025-W09", "week", "2025-W09"),
    ("2025-W60", "week", None),
])
def test_periods_as_spreadsheets_write_them(value, kind, key):
    assert history_import.parse_period(value, kind) == key


def test_cells_as_people_type_them(monthly):
    convert = history_import._convert
    assert convert(monthly.question("trace_demands"), "是") == (True, None)
    assert convert(monthly.question("trace_demands"), "No") == (False, None)
    assert convert(monthly.question("satisfaction"), "Satisfied") == ("4", None)
    assert convert(monthly.question("satisfaction"), 4.0) == ("4", None)
    assert convert(monthly.question("documents"), "1,200") == (1200, None)
    assert convert(monthly.question("documents"), "１２") == (12, None)  # full-width digits
    value, problem = convert(monthly.question("documents"), "12.5")
    assert value is None and "whole number" in problem[0] and "整数" in problem[1]
    assert convert(monthly.question("one_cut"), "  =SUM(A1) ") == ("  =SUM(A1) ", None)


def test_the_demo_databases_own_export_loaded_back_rewrites_nothing(store, tmp_path):
    """Demo rows keep their answers as compact JSON, the history path writes it with spaces:
    the same answers must still count as the same (the tester saw 9,277 rows rewritten)."""
    from survey import demo
    monthly = next(q for q in store.current_questionnaires() if q.id == demo.DEMO_QUESTIONNAIRE)
    store.load_demo(demo.generate(monthly, KEY, TODAY, months=3), "system")
    bulk_export.export(store.raw_connection(), tmp_path, "xlsx", stream=io.StringIO())
    exported = (tmp_path / "survey_export.xlsx").read_bytes()
    before = store.query("SELECT submission_id, revision, submitted_at, duration_s "
                         "FROM submission ORDER BY ALL")
    report = _read(store, exported, "survey_export.xlsx")
    assert report.clean, report.issues[:3]
    assert len(report.rows) > 500
    summary = history_import.load(store, report, "admin")
    assert summary.written == 0 and summary.unchanged == len(report.rows)
    assert store.query("SELECT submission_id, revision, submitted_at, duration_s "
                       "FROM submission ORDER BY ALL") == before


def _workbook(rows_of_answers: list[tuple[str, str, dict]]) -> bytes:
    """A history sheet headed by question ids, one row per (respondent, point, answers)."""
    from conftest import complete_answers
    ids = list(complete_answers())
    book = openpyxl.Workbook()
    book.active.append(["填报人编号", "监测点编号", "期次", *ids])
    for respondent, point, overrides in rows_of_answers:
        answers = {k: ("是" if v is True else "否" if v is False else v)
                   for k, v in complete_answers().items()}
        answers.update(overrides)
        book.active.append([respondent, point, "2025-03", *(answers.get(i) for i in ids)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_cells_the_form_would_never_accept_get_a_message_saying_what_to_do(hstore):
    data = _workbook([
        ("r1", "P-VIL-1", {"trace_demands": "否", "trace_hours": 5}),  # skipped by relevance
        ("r2", "P-VIL-1", {"documents": "=10+2"}),  # a formula without a stored result
        ("r3", "P-VIL-1", {"meetings": 12.5}),
        ("r4", "P-VIL-1", {"apps": -3}),
        ("r5", " p-vil-1 ", {}),  # typed by hand: spaces, lower case
    ])
    report = _read(hstore, data, "h.xlsx")
    by_row = {i.row: i for i in report.issues}
    assert set(by_row) == {2, 3, 4, 5}, [str(i) for i in report.issues]
    relevance = by_row[2]
    assert relevance.item == "trace_hours"
    assert "trace_demands" in relevance.zh and "清空" in relevance.zh and "5" in relevance.zh
    assert "clear the cell" in relevance.en
    assert "公式" in by_row[3].zh and "粘贴为数值" in by_row[3].zh
    assert "formula" in by_row[3].en and "paste it as values" in by_row[3].en
    assert "请填写整数" in by_row[4].zh and "write a whole number" in by_row[4].en
    assert "请在文件中改正" in by_row[5].zh and "correct the cell" in by_row[5].en
    [row] = report.rows
    assert row.point.point_id == "P-VIL-1" and row.row == 6
