"""Where the burden comes from, as cadres report it (issue 20): the sources stored at submit,
the leaders' 负担来源 figures with their k rule, a finding turned into a problem-list entry and
a 提示函 (DOCX, PDF) with a reply date on the working-day calendar, and the analysts' views.
Both engines (the `store` fixture); the page through AppTest on the DuckDB file."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from streamlit.testing.v1 import AppTest

from survey import reminder_letter
from survey import source_burden as sb
from survey.errors import DomainError
from survey.metrics import Filter
from survey.sources import OTHER, read_mainly_from, read_sources
from survey.store import Point, bodies, clues, holidays, plans, source_reports
from survey.store.bodies import BodyEntry
from survey.store.plans import PlanEntry
from survey.store.snapshot import source_sql
from survey.work_calendar import Entry
from tests.conftest import KEY, ROOT, add_staff, as_user, complete_answers

COUNTY = ("江北市", "清河县")
VILLAGES = [Point(f"P-QH-{i}", f"清河{i}村", "village", "village", COUNTY + ("城关镇",))
            for i in range(6)]
FAR = Point("P-SQ-1", "石桥镇", "township", "township", ("南山市", "石桥县", "石桥镇"))
NOW, BEFORE = ("2026-05", dt.date(2026, 5, 20)), ("2025-05", dt.date(2025, 5, 20))
LATER = dt.date(2026, 6, 10)  # the page's "today": May 2026 is the last month shown
K = 5


def _county(store, monthly):
    """Six villages of 清河县 (one cadre each, one with two) report May 2026 and May 2025: the
    filed safety check came; 县教育局 came unfiled to all six; one village also names
    a 市里暗访组 (其他) and one 县民政局 visit (both from one point: never shown); documents
    mainly from 县教育局 and 县应急管理局 (30 then 40 each cadre). A point of another prefecture
    reports too."""
    store.add_points(VILLAGES + [FAR])
    bodies.save_bodies(store, [
        BodyEntry("", COUNTY, "县教育局", "清河县教育局", "department", dt.date(2024, 1, 1)),
        BodyEntry("", COUNTY, "县应急管理局", "清河县应急管理局", "department", dt.date(2024, 1, 1)),
        BodyEntry("", COUNTY, "县民政局", "清河县民政局", "department", dt.date(2024, 1, 1)),
        BodyEntry("", FAR.region[:2], "石桥县教育局", "石桥县教育局", "department",
                  dt.date(2024, 1, 1))], "officer")
    ids = {b.current.short_name: b.body_id for b in bodies.registry(store).current()}
    plans.file_items(store, [PlanEntry(ids["县应急管理局"], "check", "安全生产检查", NOW[0],
                                       COUNTY, filed_on=dt.date(2026, 1, 10))], "officer")
    item = plans.current(store, 2026)[0].item_id
    cadres = []
    for n, point in enumerate(VILLAGES + [FAR]):
        for code in store.issue_codes(point.point_id, 2 if n == 0 else 1):
            cadres.append((point, store.respondent(code)))
    receipts = {}
    for c, (point, cadre) in enumerate(cadres):
        for (month, today), documents in ((BEFORE, 30), (NOW, 40)):
            far = point is FAR
            others = [{"body": ids["石桥县教育局" if far else "县教育局"], "kind": "check"}]
            if c == 0 and month == NOW[0]:
                others += [{"body": OTHER, "text": "市里暗访组", "kind": "inspection"},
                           {"body": ids["县民政局"], "kind": "check"}]
            picks = [ids["石桥县教育局"]] if far else [ids["县教育局"], ids["县应急管理局"]]
            report = read_sources(point.point_id, point.region, month,
                                  {"came": [item] if month == NOW[0] and not far else [],
                                   "others": others},
                                  {"documents": [{"body": b} for b in picks]})
            receipts[(c, month)] = store.submit(
                cadre, monthly, month, complete_answers(documents=documents), f"t-{c}-{month}",
                today=today, sources=report)
    return ids, item, cadres, receipts


def _rows(store, submission_id):
    return store.query("SELECT topic, how, body_id, other_text, kind, amount, item_id, off_plan "
                       "FROM source_report WHERE submission_id = ? ORDER BY entry",
                       [submission_id])


def test_submit_stores_each_inspection_with_its_verdict_and_the_picks_with_their_share(
        store, monthly):
    ids, item, _, receipts = _county(store, monthly)
    rows = _rows(store, receipts[(0, NOW[0])].submission_id)
    assert rows == [
        ("inspections", "came", ids["县应急管理局"], "", "check", 1.0, item, None),
        ("inspections", "other", ids["县教育局"], "", "check", 1.0, None, "not_filed"),
        ("inspections", "other", None, "市里暗访组", "inspection", 1.0, None, "not_filed"),
        ("inspections", "other", ids["县民政局"], "", "check", 1.0, None, "not_filed"),
        ("documents", "mainly", ids["县教育局"], "", None, 20.0, None, None),
        ("documents", "mainly", ids["县应急管理局"], "", None, 20.0, None, None)]
    # a questionnaire answered without sources stores none (submit unchanged for it)
    plain = store.submit(store.respondent(store.issue_codes(VILLAGES[1].point_id, 1)[0]),
                         monthly, NOW[0], complete_answers(), "plain", today=NOW[1])
    assert _rows(store, plain.submission_id) == []


def test_a_revision_replaces_its_rows_and_only_the_current_revision_counts(store, monthly):
    ids, _, cadres, receipts = _county(store, monthly)
    point, cadre = cadres[0]
    first = receipts[(0, NOW[0])]
    src = sb.read(store, Filter(), K, today=LATER)
    assert src.burden.query("month == @NOW[0] and topic == 'documents'")["amount"].tolist() \
        == [20.0 * 7, 20.0 * 7]                               # seven cadres, 40 split over two
    revised = store.submit(cadre, monthly, NOW[0], complete_answers(documents=10, documents_action=2), "t-rev",
                           today=NOW[1], sources=read_sources(
                               point.point_id, point.region, NOW[0], {"came": [], "others": []},
                               {"documents": [{"body": ids["县教育局"]}]}))
    assert revised.revision == 2
    assert _rows(store, first.submission_id) == []
    src = sb.read(store, Filter(), K, today=LATER)
    docs = src.burden.query("month == @NOW[0] and topic == 'documents'").set_index("body_id")
    assert docs.loc[ids["县教育局"], "amount"] == 20.0 * 6 + 10
    assert docs.loc[ids["县应急管理局"], "amount"] == 20.0 * 6


def test_no_figure_comes_from_fewer_than_k_points_and_off_plan_is_by_area_only(store, monthly):
    ids, _, _, _ = _county(store, monthly)
    src = sb.read(store, Filter(), K, today=LATER)
    assert (src.burden["points"] >= K).all() and (src.off_plan["points"] >= K).all()
    assert src.hidden > 0                                  # the one-point reports are there ...
    off = src.off_plan
    assert off.to_dict("records") == [{                   # ... and not shown
        "area": "江北市/清河县", "month": NOW[0], "body_id": ids["县教育局"], "body": "县教育局",
        "reason": "not_filed", "inspections": 6.0, "points": 6}]  # two cadres of a point: once
    shown = json.dumps(off.to_dict("records") + src.burden.to_dict("records"), default=str,
                       ensure_ascii=False)
    assert not any(p.point_id in shown or p.name in shown for p in VILLAGES + [FAR])
    assert "市里暗访组" not in shown and ids["县民政局"] not in shown
    table = sb.by_body(src, NOW[0]).set_index("body_id")
    assert table.loc[ids["县教育局"], "documents"] == 140.0
    assert table.loc[ids["县教育局"], "documents_change"] == pytest.approx((140 - 105) / 105)
    # a leader of another prefecture: nothing of 江北市, and their own point is under k
    far = sb.read(store, Filter(scope=("南山市",)), K, today=LATER)
    assert far.burden.empty and far.off_plan.empty and far.hidden > 0
    # the analysts' views: the same rule, county rows, no point
    for name in ("source_burden", "off_plan_findings"):
        with store.raw_cursor() as cur:
            result = cur.execute(source_sql(name), {"k": K})
            columns, rows = [d[0] for d in result.description], result.fetchall()
        assert rows and "point_id" not in columns
        assert all(row[columns.index("points")] >= K for row in rows)
    with store.raw_cursor() as cur:
        assert cur.execute(source_sql("off_plan_findings"), {"k": 1}).fetchall() != rows


def test_a_finding_becomes_a_problem_and_a_letter_whose_figures_are_the_pages(store, monthly):
    ids, _, _, _ = _county(store, monthly)
    holidays.add_entry(store, 2027, Entry("holiday", dt.date(2027, 1, 5), dt.date(2027, 1, 6),
                                          "元旦"), "officer")
    src = sb.read(store, Filter(), K, today=LATER)
    finding = sb.off_plan_finding(src, ids["县教育局"], "江北市/清河县")
    reply_by, estimated = sb.reply_date(holidays.work_calendar(store), dt.date(2027, 1, 4), 10)
    assert (reply_by, estimated) == (dt.date(2027, 1, 20), True)  # the office's 5-6 Jan off
    lines = reminder_letter.fact_lines(finding, "zh")
    problem_id, letter_id = sb.act(store, finding, lines, reply_by, 10, estimated, "li")
    [problem] = clues.problems(store, Filter()).query("problem_id == @problem_id").to_dict(
        "records")
    assert (problem["body_name"], problem["category"], problem["status"]) == (
        "县教育局", "inspections", "new")
    _, events = clues.detail(store, problem_id, Filter())
    reports, _ = clues.detail(store, problem_id, Filter())
    assert "2026年5月:6 次(未备案),6 个监测点报告。" in reports[0][3]
    letters = source_reports.letters(store, ("江北市",))
    assert list(letters["letter_id"]) == [letter_id]
    assert letters["reply_by"].iloc[0] == reply_by
    [audit] = [a for a in store.audit_log(action="draft_reminder_letter")]
    assert audit[1] == "li" and audit[3] == letter_id
    assert json.loads(audit[4])["reply_by"] == "2027-01-20"
    assert source_reports.letters(store, ("南山市",)).empty  # another region's leader

    letter = reminder_letter.compose(finding, letter_id, reply_by, "清河县减负办",
                                     dt.date(2027, 1, 4))
    from docx import Document
    document = Document(io.BytesIO(reminder_letter.docx(letter)))
    text = "\n".join(p.text for p in document.paragraphs)
    row = src.off_plan.iloc[0]
    assert f"2026年5月:{int(row['inspections'])} 次(未备案),{int(row['points'])} 个监测点报告。" \
        in text
    assert "关于县教育局开展未备案督查检查考核事项的提示函" in text
    assert "清河县教育局:" in text and "督查检查考核计划管理和备案管理" in text
    assert "2027年1月20日前" in text
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    from pypdf import PdfReader
    pdf = reminder_letter.pdf(letter)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    extracted = "".join(reader.pages[0].extract_text().split())
    assert "提示函" in extracted and "2027年1月20日" in extracted and "6个监测点报告" in extracted


def test_the_mainly_from_answer_is_read_back_and_refused_with_a_message_in_both_languages():
    value = {"documents": [{"body": "B-0001"}, {"body": OTHER, "text": " 市委办 "}],
             "forms": []}
    picks = read_mainly_from(value)
    assert [(p.body_id, p.text) for p in picks["documents"]] == [("B-0001", ""), (None, "市委办")]
    assert "forms" not in picks
    with pytest.raises(DomainError) as four:
        read_mainly_from({"meetings": [{"body": f"B-000{i}"} for i in range(4)]})
    assert four.value.zh == "会议主要来自:最多选 3 个单位。"
    assert four.value.en == "meetings: pick at most 3 bodies"
    with pytest.raises(DomainError) as twice:
        read_mainly_from({"forms": [{"body": "B-0001"}, {"body": "B-0001"}]})
    assert twice.value.zh == "报表主要来自:第 2 个单位重复,每个单位只选一次。"
    with pytest.raises(DomainError) as empty:
        read_mainly_from({"documents": [{"body": OTHER, "text": ""}]})
    assert empty.value.zh.startswith("文件主要来自第 1 个单位:")


def _page(db_path, monkeypatch, user, lang="zh"):
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), user)
    if lang == "en":
        at.query_params["lang"] = "en"
    at.query_params["from"], at.query_params["to"] = "2025-06", NOW[0]
    at.switch_page("app_pages/sources.py").run()
    assert not at.exception, at.exception
    return at


def _shown(at) -> str:
    parts = [e.value for kind in ("subheader", "caption", "markdown", "success", "info")
             for e in getattr(at, kind)]
    parts += [d.value.to_csv() for d in at.dataframe]
    return "\n".join(str(p) for p in parts)


@pytest.mark.embedded_only  # the app (AppTest) runs on the DuckDB file
def test_the_page_in_chinese_and_english_and_a_leader_of_another_region_sees_nothing(
        store, monthly, db_path, monkeypatch):
    ids, _, _, _ = _county(store, monthly)
    add_staff(store, "jiangbei", "leader", ("江北市",))
    add_staff(store, "nanshan", "leader", ("南山市",))
    store.close()
    at = _page(db_path, monkeypatch, "jiangbei")
    assert at.title[0].value == "负担来源"
    ranked, off = at.dataframe[0].value, at.dataframe[1].value
    assert sorted(ranked["单位"]) == ["县应急管理局", "县教育局"]  # bodies ranked; 县民政局: < k
    assert list(ranked["督检考"]) == [6, 6]
    assert set(ranked["文件 同比"]) == {"+33.3%"}
    assert off.to_dict("records") == [{"地区": "江北市/清河县", "月份": "2026年5月", "单位": "县教育局",
                                       "情形": "未备案", "次数": 6, "报告的监测点数": 6}]
    text = _shown(at)
    assert not any(p.point_id in text or p.name in text for p in VILLAGES + [FAR])
    # one click: the problem list and the letter, its reply date on the calendar
    [act] = [b for b in at.button if b.label == "列入问题清单并起草提示函"]
    act.click().run()
    assert not at.exception, at.exception
    assert at.success[-1].value.startswith("已列入问题清单(WT-")
    assert [b.label for b in at.get("download_button")] == ["下载提示函 (DOCX)", "下载提示函 (PDF)"]

    en = _page(db_path, monkeypatch, "jiangbei", lang="en")
    assert en.title[0].value == "Burden sources"
    assert list(en.dataframe[1].value.columns) == ["Area", "Month", "Body", "Finding",
                                                   "Inspections", "Points reporting"]
    assert en.dataframe[1].value["Month"][0] == "May 2026"
    assert en.dataframe[1].value["Finding"][0] == "not in the filed plan"

    far = _page(db_path, monkeypatch, "nanshan")
    shown = _shown(far)
    assert "清河县" not in shown and "县教育局" not in shown and "江北市" not in shown
    assert "还没有可显示的来源报告" in shown
