"""The register pages (上级部门, 督检考计划, 职责清单) as a county 督查室 officer uses them, in
Chinese and English (AppTest on the DuckDB file): import a register from a spreadsheet with a
preview that names the wrong rows and writes nothing, confirm, rename a body, change a filed
item and see who changed it when."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from survey.interop import sources_file
from survey.store import bodies, plans
from tests.conftest import KEY, ROOT, add_staff, as_user
from tests.test_sources import BODIES_CSV, PLAN_CSV

pytestmark = pytest.mark.embedded_only  # the app (AppTest) runs on the DuckDB file


def _page(db_path, monkeypatch, script, lang="zh", user="boss"):
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), user)
    if lang == "en":
        at.query_params["lang"] = "en"
    at.switch_page(f"app_pages/{script}.py").run()
    assert not at.exception, at.exception
    return at


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_an_officer_imports_the_bodies_renames_one_and_files_the_plan_in_chinese(
        store, db_path, monkeypatch):
    add_staff(store, "boss", "admin")
    add_staff(store, "li", "leader", ("江北市",))
    store.close()
    at = _page(db_path, monkeypatch, "admin_bodies")
    assert at.title[0].value == "上级部门"
    bad = BODIES_CSV + ",江北市/清河县,县民政局,清河县民政局,局,\n"
    at.file_uploader(key="bodies_upload:0").upload("名录.csv", bad.encode("gbk")).run()
    [problems] = [d.value for d in at.dataframe if "问题" in d.value.columns]
    assert list(problems["行"]) == [7]
    assert problems["问题"][0] == "类型“局”应为 党委、政府、部门、镇街、其他 之一。"
    assert not any(b.label == "确认导入" for b in at.button)           # nothing to confirm
    at.file_uploader(key="bodies_upload:0").upload("名录.csv", BODIES_CSV.encode("gbk")).run()
    assert any("5 个新单位" in i.value for i in at.info)
    _button(at, "确认导入").click().run()
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["已新增 5 个,更新 0 个。"]
    listed = at.dataframe[0].value
    assert sorted(listed["简称"]) == ["县卫生局", "县委办", "县应急管理局", "县教育局", "城关镇党委"]
    health = listed[listed["简称"] == "县卫生局"]["编号"].iloc[0]
    # rename: the same body, the old name kept in its history
    at.selectbox(key="body_choice").set_value(health).run()
    at.text_input[0].input("县卫健局")
    at.text_input[1].input("清河县卫生健康局")
    next(b for b in at.button if b.label == "保存").click().run()
    assert not at.exception, at.exception
    history = at.dataframe[1].value
    assert list(history[history["编号"] == health]["简称"]) == ["县卫生局", "县卫健局"]
    # the plan, filed under the old name
    at = _page(db_path, monkeypatch, "admin_plans")
    at.selectbox(key="plan_year").set_value(2025).run()
    at.file_uploader(key="plans_upload:0").upload("计划.csv", PLAN_CSV.encode("gbk")).run()
    _button(at, "确认导入").click().run()
    assert [s.value for s in at.success] == ["已备案 4 项,变更 0 项。"]
    listed = at.dataframe[0].value
    assert list(listed[listed["事项"] == "村卫生室检查"]["单位"]) == ["县卫健局"]
    leader = _page(db_path, monkeypatch, "admin_plans", user="li")
    assert [e.value for e in leader.error] == ["您没有权限查看此页面。"]


def test_the_pages_in_english_say_what_is_wrong_and_keep_who_changed_an_item(
        store, db_path, monkeypatch):
    add_staff(store, "boss", "admin")
    read = sources_file.read_bodies(BODIES_CSV.encode(), "b.csv", bodies.registry(store))
    bodies.save_bodies(store, read.entries, "boss")
    store.close()
    at = _page(db_path, monkeypatch, "admin_plans", lang="en")
    assert at.title[0].value == "Inspection plans"
    at.selectbox(key="plan_year").set_value(2025).run()
    bad = PLAN_CSV + "县财政局,check,budget check,2025-13,,,\n"
    at.file_uploader(key="plans_upload:0").upload("plan.csv", bad.encode()).run()
    [problems] = [d.value for d in at.dataframe if "Problem" in d.value.columns]
    assert list(problems["Row"]) == [6, 6, 6]
    assert problems["Problem"][0].startswith("body '县财政局' is not in the registry; add it")
    assert problems["Problem"][1] == "'2025-13' is not a month; write it as 2026-05 (year-month)"
    assert problems["Problem"][2] == ("say where it goes: an area (e.g. 江北市/清河县) or "
                                      "monitoring points")
    at.file_uploader(key="plans_upload:0").upload("plan.csv", PLAN_CSV.encode()).run()
    _button(at, "Import").click().run()
    assert [s.value for s in at.success] == ["Filed 4, changed 0."]
    item = next(v.item_id for v in plans.current(_app_store()) if v.subject == "校园安全检查")
    at.selectbox(key="plan_choice").set_value(item).run()
    form_inputs = [t for t in at.text_input if t.label == "Reason for the change"]
    form_inputs[0].input("moved to June at the county's request")
    [month] = [s for s in at.selectbox if s.label == "Month" and s.key is None]
    month.set_value("2025-06")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception, at.exception
    at.selectbox(key="plan_history_item").set_value(item).run()
    history = next(d.value for d in at.dataframe if "Recorded at" in d.value.columns)
    assert list(history["Version"]) == [1, 2]
    assert list(history["By"]) == ["boss", "boss"]
    assert list(history["Month"]) == ["2025-05", "2025-06"]
    assert history["Reason"].iloc[1] == "moved to June at the county's request"
    duties = _page(db_path, monkeypatch, "admin_duties", lang="en")
    assert duties.title[0].value == "Duty lists"
    duties.file_uploader(key="duties_upload:0").upload(
        "list.csv", "region,level,task,role\n江北市/清河县,township,河长制,assists\n".encode()).run()
    _button(duties, "Import").click().run()
    assert [s.value for s in duties.success] == ["Imported 1 tasks."]
    assert list(duties.dataframe[0].value["Role"]) == ["Assists"]


def _app_store():
    """The app's own store (one process per DuckDB file)."""
    from survey import config
    from survey.bootstrap import started
    return started(config.resolve()).store
