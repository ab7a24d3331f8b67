"""Where the burden comes from (issue 20): the bodies' registry (versioned), filed plans with
their changes after filing, township duty lists, and the off-plan inspections a filed plan and
cadres' reports give. Both engines (the `store` fixture)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from survey import safe_files
from survey.errors import DomainError
from survey.interop import sources_file
from survey.sources import (OTHER, InspectionReport, OffPlan, OtherInspection, planned_for,
                            read_answer)
from survey.sources import off_plan as compute_off_plan
from survey.store import StoreError, bodies, duties, plans
from tests.conftest import SCHOOL, VILLAGE

COUNTY = ("江北市", "清河县")
BODIES_CSV = """编号,地区,简称,全称,类型,生效日期
,江北市/清河县,县委办,中共清河县委办公室,党委,2025-01-01
,江北市/清河县,县教育局,清河县教育局,部门,2025-01-01
,江北市/清河县,县卫生局,清河县卫生局,部门,2025-01-01
,江北市/清河县,县应急管理局,清河县应急管理局,部门,2025-01-01
,江北市/清河县/城关镇,城关镇党委,中共清河县城关镇委员会,镇街,2025-01-01
"""


def _import_bodies(store, data: bytes, name: str) -> sources_file.Read:
    read = sources_file.read_bodies(data, name, bodies.registry(store))
    assert read.ok, [i.text() for i in read.issues]
    bodies.save_bodies(store, read.entries, "officer")
    return read


def _ids(store) -> dict[str, str]:
    return {b.current.short_name: b.body_id for b in bodies.registry(store).current()}


def test_bodies_import_from_gbk_utf8_and_xlsx_alike_and_again_changes_nothing(store):
    _import_bodies(store, BODIES_CSV.encode("gbk"), "名录.csv")   # Excel's CSV on Chinese Windows
    reg = bodies.registry(store)
    assert sorted(b.current.short_name for b in reg.current()) == [
        "县卫生局", "县委办", "县应急管理局", "县教育局", "城关镇党委"]
    assert {b.current.kind for b in reg.current()} == {"party", "department", "township"}
    again = sources_file.read_bodies(BODIES_CSV.encode("utf-8-sig"), "名录.csv", reg)
    assert again.ok and len(again.changed) == 5          # every row found its body by name
    assert bodies.save_bodies(store, again.entries, "officer") == (0, 0)
    frame = pd.read_csv(io.StringIO(BODIES_CSV), dtype=str).fillna("")
    frame.loc[1, "类型"] = "政府"                      # one change, from a workbook
    xlsx = sources_file.read_bodies(safe_files.xlsx_bytes({"名录": frame}), "名录.xlsx",
                                    bodies.registry(store))
    assert xlsx.ok
    assert bodies.save_bodies(store, xlsx.entries, "officer") == (0, 1)
    assert bodies.registry(store)[_ids(store)["县教育局"]].current.kind == "government"


def test_a_bad_register_names_each_row_and_the_fix_in_both_languages_and_writes_nothing(store):
    bad = (BODIES_CSV + ",江北市/清河县,县教育局,清河县教育局,部门,\n"   # row 7: again
           ",,县民政局,清河县民政局,局,\n"                                  # row 8: region, kind
           ",江北市/清河县,县财政局,清河县财政局,部门,2025-02-30\n")         # row 9: no such day
    read = sources_file.read_bodies(bad.encode("gbk"), "名录.csv", bodies.registry(store))
    assert not read.ok and read.entries == []
    zh = [i.text("zh") for i in read.issues]
    en = [i.text("en") for i in read.issues]
    assert zh == ["名录.csv:名录:7: 该单位已在第 3 行出现;每个单位只写一行。",
                  "名录.csv:名录:8: 请填写所属地区(市/县/乡镇)。写法如:江北市/清河县。",
                  "名录.csv:名录:8: 类型“局”应为 党委、政府、部门、镇街、其他 之一。",
                  "名录.csv:名录:9: 生效日期“2025-02-30”不是有效日期;请写成 2026-01-05 的格式。"]
    assert en[0] == "名录.csv:名录:7: this body is already on row 3; keep one row per body"
    assert "kind '局' is not one of party, government, department, township, other" in en[2]
    assert bodies.registry(store).bodies == {}
    missing = sources_file.read_bodies("名称,类型\n县委办,党委\n".encode(), "x.csv",
                                       bodies.registry(store))
    assert [i.text("zh") for i in missing.issues] == ["x.csv:x:1: 缺少列:地区、简称;表头应为 "
                                                      "编号、地区、简称、全称、类型、生效日期。"]
    assert [i.text("en") for i in missing.issues] == ["x.csv:x:1: missing column(s): region, "
                                                      "short_name; the header is id, region, "
                                                      "short_name, full_name, kind, valid_from"]


def test_a_rename_and_a_merge_keep_the_history_and_the_body(store):
    _import_bodies(store, BODIES_CSV.encode(), "b.csv")
    ids = _ids(store)
    health, emergency = ids["县卫生局"], ids["县应急管理局"]
    bodies.rename(store, health, "县卫健局", "清河县卫生健康局", dt.date(2025, 6, 1), "officer")
    reg = bodies.registry(store)
    assert reg[health].on(dt.date(2025, 5, 31)).short_name == "县卫生局"
    assert reg[health].on(dt.date(2025, 6, 1)).short_name == "县卫健局"
    assert reg.resolve("县卫生局", VILLAGE.region) == health     # the old name still means it
    with pytest.raises(StoreError) as clash:
        bodies.save_bodies(store, [bodies.BodyEntry("", COUNTY, "县卫健局", "另一个", "department")],
                           "officer")
    assert "已是本地区单位" in clash.value.zh
    bodies.merge(store, emergency, health, dt.date(2025, 9, 1), "officer")
    reg = bodies.registry(store)
    assert reg.canonical(emergency) == health
    assert emergency not in {b.body_id for b in reg.current()}
    assert [v.short_name for v in reg[emergency].versions] == ["县应急管理局", "县应急管理局"]
    with pytest.raises(StoreError):
        bodies.merge(store, health, emergency, dt.date(2025, 10, 1), "officer")
    rows = store.query("SELECT body_id, revision, valid_from, valid_to, short_name, merged_into "
                       "FROM bodies WHERE body_id IN (?, ?) ORDER BY body_id, revision",
                       [health, emergency])
    assert [r[1:] for r in rows if r[0] == health] == [
        (1, dt.date(2025, 1, 1), dt.date(2025, 6, 1), "县卫生局", None),
        (2, dt.date(2025, 6, 1), None, "县卫健局", None)]
    assert [r[1:] for r in rows if r[0] == emergency][1] == (
        2, dt.date(2025, 9, 1), None, "县应急管理局", health)
    actions = [a[2] for a in store.audit_log(actor="officer")]
    assert actions.count("merge_body") == 1 and actions.count("save_bodies") >= 2


PLAN_CSV = """单位,类型,事项,月份,地区,监测点,备案日期
县教育局,督查,义务教育“双减”督查,2025-04,江北市/清河县,,2025-01-05
县卫生局,检查,村卫生室检查,2025-08,江北市/清河县/城关镇,,2025-01-05
县应急管理局,检查,校园安全检查,2025-05,,P-SCH-1,2025-01-05
县教育局,调研,教育督导调研,2025-06,江北市/清河县,,2025-06-10
"""


def _county(store) -> dict[str, str]:
    """The county's bodies, the health bureau renamed in June, and the 2025 plan, filed in
    January under the names of the time (the 调研 only on 10 June)."""
    _import_bodies(store, BODIES_CSV.encode(), "b.csv")
    read = sources_file.read_plans(PLAN_CSV.encode("gbk"), "计划.csv", bodies.registry(store),
                                   {VILLAGE.point_id, SCHOOL.point_id}, plans.current(store))
    assert read.ok, [i.text() for i in read.issues]
    assert plans.file_items(store, read.entries, "officer") == (4, 0)
    ids = _ids(store)
    bodies.rename(store, ids["县卫生局"], "县卫健局", "清河县卫生健康局", dt.date(2025, 6, 1),
                  "officer")
    return {**ids, **{v.subject: v.item_id for v in plans.current(store)}}


def test_a_change_after_filing_is_kept_with_who_when_and_why(store):
    ids = _county(store)
    item = ids["校园安全检查"]
    plans.change_item(store, item, "zhang", "县里要求扩大到城关镇村",
                      scope_points=(SCHOOL.point_id, VILLAGE.point_id))
    history = plans.history(store, item)
    assert [(v.revision, v.recorded_by, v.scope_points, v.note) for v in history] == [
        (1, "officer", (SCHOOL.point_id,), ""),
        (2, "zhang", (SCHOOL.point_id, VILLAGE.point_id), "县里要求扩大到城关镇村")]
    assert history[0].effective_at == dt.datetime(2025, 1, 5)        # the register's filing day
    assert history[1].effective_at >= dt.datetime.now() - dt.timedelta(minutes=5)  # not backdated
    # the same file imported again changes nothing; the changed item is not filed twice
    again = sources_file.read_plans(PLAN_CSV.encode(), "计划.csv", bodies.registry(store),
                                    {VILLAGE.point_id, SCHOOL.point_id}, plans.current(store))
    assert plans.file_items(store, again.entries, "officer") == (1, 0)  # its old scope: new item
    plans.withdraw(store, item, "zhang", "并入上级检查")
    assert plans.history(store, item)[-1].withdrawn
    view = store.query("SELECT revision, withdrawn, is_current FROM plan_items WHERE item_id = ? "
                       "ORDER BY revision", [item])
    assert view == [(1, False, False), (2, False, False), (3, True, True)]
    with pytest.raises(StoreError) as refused:
        plans.change_item(store, item, "zhang", month="2025-13")
    assert refused.value.zh == "“2025-13”不是月份;请写成 2026-05(年-月)的格式。"


def test_the_off_plan_inspections_of_a_plan_and_reports(store):
    ids = _county(store)
    health, edu, emergency = ids["县卫生局"], ids["县教育局"], ids["县应急管理局"]
    # after filing (now, long after May 2025): the school check widened to the village
    plans.change_item(store, ids["校园安全检查"], "zhang",
                      scope_points=(SCHOOL.point_id, VILLAGE.point_id))
    versions = plans.versions(store, 2025)
    reg = bodies.registry(store)
    village = (VILLAGE.point_id, VILLAGE.region)
    # what the form lists: filed before the month began, for this month and point
    assert [v.item_id for v in planned_for(versions, *village, "2025-05")] == []
    assert [v.item_id for v in planned_for(versions, SCHOOL.point_id, SCHOOL.region,
                                           "2025-05")] == [ids["校园安全检查"]]
    assert [v.subject for v in planned_for(versions, *village, "2025-08")] == ["村卫生室检查"]
    reports = [
        InspectionReport(*village, "2025-04", came=(ids["义务教育“双减”督查"],)),
        # the renamed body, picked by id, not ticked on the list: its filed check
        InspectionReport(*village, "2025-08", others=(OtherInspection("check", health),)),
        # the old name typed under 其他 means the same body: still filed
        InspectionReport(*village, "2025-08", others=(OtherInspection("inspection", None,
                                                                       "县卫生局"),)),
        # confirmed from a stale list: the widening came after the month began
        InspectionReport(*village, "2025-05", came=(ids["校园安全检查"],),
                         others=(OtherInspection("inspection", None, "市里暗访组"),)),
        InspectionReport(SCHOOL.point_id, SCHOOL.region, "2025-05", came=(ids["校园安全检查"],)),
        # filed on 10 June for June: late for June
        InspectionReport(*village, "2025-06", others=(OtherInspection("research", edu),)),
        # two visits of one body in August: the second was not filed
        InspectionReport(*village, "2025-08", others=(OtherInspection("check", health),
                                                      OtherInspection("check", health))),
        InspectionReport(*village, "2025-07", others=(OtherInspection("assessment", emergency),)),
    ]
    found = compute_off_plan(reg, versions, reports)
    region = VILLAGE.region
    assert found == [
        OffPlan(VILLAGE.point_id, region, "2025-05", "check", emergency, "", "filed_late",
                ids["校园安全检查"]),
        OffPlan(VILLAGE.point_id, region, "2025-05", "inspection", None, "市里暗访组", "not_filed"),
        OffPlan(VILLAGE.point_id, region, "2025-06", "research", edu, "", "filed_late",
                ids["教育督导调研"]),
        OffPlan(VILLAGE.point_id, region, "2025-08", "check", health, "", "not_filed"),
        OffPlan(VILLAGE.point_id, region, "2025-07", "assessment", emergency, "", "not_filed"),
    ]
    # a body merged into another: its filed items count for the body that took it over
    bodies.merge(store, emergency, health, dt.date(2025, 4, 1), "officer")
    merged = compute_off_plan(bodies.registry(store), versions, [InspectionReport(
        SCHOOL.point_id, SCHOOL.region, "2025-05", others=(OtherInspection("check", health),))])
    assert merged == []


def test_the_answer_shape_round_trips_and_a_bad_one_says_which_entry(store):
    report = InspectionReport(VILLAGE.point_id, VILLAGE.region, "2025-05", came=("P-2025-0001",),
                              others=(OtherInspection("check", "B-0002"),
                                      OtherInspection("inspection", None, "市里暗访组")))
    value = report.answer()
    assert value == {"came": ["P-2025-0001"], "others": [
        {"body": "B-0002", "kind": "check"},
        {"body": OTHER, "text": "市里暗访组", "kind": "inspection"}]}
    assert read_answer(VILLAGE.point_id, VILLAGE.region, "2025-05", value) == report
    with pytest.raises(DomainError) as bad:
        read_answer(VILLAGE.point_id, VILLAGE.region, "2025-05",
                    {"others": [{"body": OTHER, "text": " ", "kind": "check"}]})
    assert bad.value.zh == "第 1 项清单外督检考:请填写单位名称。"
    with pytest.raises(DomainError) as bad:
        read_answer(VILLAGE.point_id, VILLAGE.region, "2025-05",
                    {"others": [{"body": "B-0002", "kind": "check"}, {"body": "B-0002"}]})
    assert str(bad.value).startswith("inspection 2 not on the list: choose its kind")


def test_a_plan_file_with_wrong_rows_names_them_and_files_nothing(store):
    _import_bodies(store, BODIES_CSV.encode(), "b.csv")
    bad = PLAN_CSV + ("县财政局,检查,预算检查,2025-13,,P-NONE,2099-01-01\n"
                      "县教育局,巡查,,2025年5月,,,\n")
    read = sources_file.read_plans(bad.encode("gbk"), "计划.csv", bodies.registry(store),
                                   {VILLAGE.point_id, SCHOOL.point_id}, [])
    assert not read.ok and read.entries == []
    assert [(i.row, i.zh) for i in read.issues] == [
        (6, "上级部门名录中没有“县财政局”;请先在名录中添加,或填写名录中的编号或名称。"),
        (6, "没有监测点 P-NONE;请填写监测点页面上的编号。"),
        (6, "“2025-13”不是月份;请写成 2026-05(年-月)的格式。"),
        (6, "备案日期晚于今天;请填写实际备案的日期。"),
        (7, "类型“巡查”应为 督查、检查、考核、调研 之一。"),
        (7, "请填写督检考事项。"),
        (7, "请填写范围:地区(如 江北市/清河县)或监测点。")]
    assert read.issues[4].en == ("kind '巡查' is not one of inspection, check, assessment, "
                                 "research (督查, 检查, 考核, 调研); write one of them")
    assert plans.versions(store) == []


def test_a_month_excel_made_a_date_reads_as_its_month(store):
    _import_bodies(store, BODIES_CSV.encode(), "b.csv")
    frame = pd.DataFrame({"单位": ["县教育局"], "类型": ["考核"], "事项": ["年度考核"],
                          "月份": [dt.datetime(2025, 11, 1)], "地区": ["江北市/清河县"],
                          "备案日期": [dt.datetime(2025, 1, 5)]})
    read = sources_file.read_plans(safe_files.xlsx_bytes({"计划": frame}), "计划.xlsx",
                                   bodies.registry(store), set(), [])
    assert read.ok and read.entries[0].month == "2025-11"
    assert read.entries[0].filed_on == dt.date(2025, 1, 5)


def test_duty_lists_import_per_region_and_a_task_outside_is_flagged(store):
    data = ("地区,层级,事项,职责类型,依据\n"
            "江北市/清河县,镇街,农村人居环境整治,法定职责,《清河县镇街履职事项清单》\n"
            "江北市/清河县,镇街,食品安全监管,协同配合,\n"
            "江北市/清河县,村,农村人居环境整治,协同配合,\n").encode("gbk")
    read = sources_file.read_duties(data, "清单.csv")
    assert read.ok
    duties.replace_lists(store, read.entries, "officer")
    listed = duties.items(store, ("江北市",))
    assert [(i.level, i.task, i.role) for i in listed] == [
        ("township", "农村人居环境整治", "responsible"), ("township", "食品安全监管", "assists"),
        ("village", "农村人居环境整治", "assists")]
    assert duties.role_of(listed, VILLAGE.region, "township", "食品安全监管") == "assists"
    assert duties.role_of(listed, VILLAGE.region, "township", "招商引资") is None  # flagged
    # a new list for the region replaces the old one
    duties.replace_lists(store, read.entries[:1], "officer")
    assert len(duties.items(store)) == 1
    bad = sources_file.read_duties("地区,层级,事项,职责类型\n江北市/清河县,县,招商引资,牵头\n"
                                   .encode(), "清单.csv")
    assert [i.text("zh") for i in bad.issues] == [
        "清单.csv:清单:2: 层级“县”应为 镇街、村/社区 之一。",
        "清单.csv:清单:2: 职责类型“牵头”应为 法定职责、协同配合 之一。"]


def test_analysts_see_the_registers_but_not_who_changed_them(store):
    _county(store)
    for view in ("bodies", "plan_items", "duty_list"):
        columns = [r[0] for r in store.query(f"DESCRIBE {view}")]
        assert not {"recorded_by", "created_by", "note"} & set(columns), view
    assert store.query("SELECT count(*) FROM plan_items")[0][0] == 4


def test_an_old_register_with_a_former_name_does_not_rename_the_body_back(store):
    _import_bodies(store, BODIES_CSV.encode(), "b.csv")
    health = _ids(store)["县卫生局"]
    bodies.rename(store, health, "县卫健局", "清河县卫生健康局", dt.date(2025, 6, 1), "officer")
    old = sources_file.read_bodies(BODIES_CSV.encode(), "b.csv", bodies.registry(store))
    assert [(i.row, i.zh) for i in old.issues] == [
        (4, f"“县卫生局”是 县卫健局({health})自 2025-06-01 起之前的名称;请填写现名称,如要改名请填写编号。")]
    assert bodies.registry(store)[health].current.short_name == "县卫健局"
