"""The admin uploads (history, XLSForm) and the workbench's SPSS/Stata downloads, in AppTest,
on a real database without demo data."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from streamlit.testing.v1 import AppTest

from survey.bootstrap import start
from survey.config import resolve
from survey.interop import sample_history
from tests.conftest import ROOT, add_staff, as_user

APP = str(ROOT / "survey_app.py")
FORMS = ROOT / "tests" / "xlsforms"


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    env = {"SURVEY_DB": str(tmp_path / "s.duckdb"), "SURVEY_CODE_KEY": "k" * 16,
           "SURVEY_DEMO": "0", "SURVEY_SNAPSHOT": str(tmp_path / "a.duckdb")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    store = start(resolve(env)).store
    store.add_points(list(sample_history.SAMPLE_POINTS))
    add_staff(store, "boss", "admin")
    add_staff(store, "ana", "analyst")
    return store


def open_page(page: str, user: str = "boss") -> AppTest:
    at = as_user(AppTest.from_file(APP, default_timeout=90), user)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_history_upload_lists_errors_then_loads_valid_rows_and_trends_show_yoy(app_env):
    data, seeded = sample_history.workbook()
    at = open_page("app_pages/admin_history.py")
    assert [m.label for m in at.metric] == []
    at.file_uploader(key="history_upload").upload("history_2024_2025.xlsx", data).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    # rows, not errors: the names column's error in two header rows is no data row
    assert metrics["有错误的行"] == str(len(seeded)) and len(seeded) < 11
    errors = at.dataframe[0].value
    # the message first (it gets the width on a phone), the file (just uploaded) not repeated
    assert list(errors.columns) == ["说明", "位置", "项目"]
    assert set(errors["位置"]) >= {f"{s.sheet}:{s.row}" for s in seeded}
    assert any("请先在监测点页面添加" in text for text in errors["说明"])
    load = [b for b in at.button if b.label == "导入"][0]
    assert load.disabled  # nothing written while there are errors
    at.checkbox[0].check().run()
    [b for b in at.button if b.label == "导入"][0].click().run()
    assert not at.exception, at.exception
    assert any("已写入 424 份提交" in s.value for s in at.success)
    assert app_env.count("submissions") == 424
    trends = open_page("app_pages/trends.py")
    tiles = {m.label: m for m in trends.metric}
    assert tiles["收文数量"].proto.delta  # year-on-year change against the imported year
    assert "同比" in trends.markdown[0].value


def test_xlsform_upload_previews_reports_and_publishes(app_env):
    at = open_page("app_pages/questionnaires.py")
    form = (FORMS / "UCL_Biomass_Plot_Form.xlsx").read_bytes()
    at.file_uploader(key="xlsform_upload").upload("UCL_Biomass_Plot_Form.xlsx", form).run()
    assert not at.exception, at.exception
    [issues] = [d.value for d in at.dataframe if "说明" in d.value.columns]
    assert list(issues.columns) == ["说明", "位置", "项目"]
    assert "survey:" in "".join(issues["位置"])
    assert any("重复组" in text for text in issues["说明"])
    preview = [c.value for c in at.code if "sections:" in c.value]
    assert preview and "id: " in preview[0]
    assert "Imported from" not in preview[0]  # no English comment in the Chinese UI
    [b for b in at.button if b.label == "发布该问卷"][0].click().run()
    assert not at.exception, at.exception
    assert any(s.value == "已发布" for s in at.success)
    from survey.interop.xlsform_import import import_xlsform
    wanted = import_xlsform(form, "UCL_Biomass_Plot_Form.xlsx").questionnaire.id
    assert wanted in {q.id for q in app_env.current_questionnaires()}


def test_workbench_offers_spss_and_stata_files(app_env):
    from survey.interop import history_import
    report = history_import.read(app_env, sample_history.gbk_csv()[0], "h.csv",
                                 b"k" * 16, today=dt.date.today())
    history_import.load(app_env, report, "boss", valid_rows_only=True)
    at = open_page("app_pages/sql.py", "ana")
    labels = [b.label for b in at.get("download_button")]
    assert "SPSS (.sav)" in labels and "Stata (.dta)" in labels


def test_history_errors_are_in_english_in_the_english_ui(app_env):
    data, _ = sample_history.gbk_csv()
    at = as_user(AppTest.from_file(APP, default_timeout=90), "boss")
    at.session_state["lang"] = "en"
    at.switch_page("app_pages/admin_history.py").run()
    at.file_uploader(key="history_upload").upload("history_2024_2025_gbk.csv", data).run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Import history"
    [errors] = [d.value for d in at.dataframe if "problem" in d.value.columns]
    assert any("is not a number; write digits" in text for text in errors["problem"])
    assert not any(re.search(r"[\u4e00-\u9fff]{2,}", text) and "column" not in text
                   for text in errors["problem"])


YEARLY = """id: annual_sample
version: 1
title: {zh: 年度减负抽样调查, en: Annual sample survey}
period: year
sections:
  - id: s
    title: 负担
    questions:
      - id: meetings
        type: integer
        label: 全年参加会议次数
        min: 0
"""


def test_a_questionnaire_file_is_checked_in_the_page_language_then_published(app_env):
    at = open_page("app_pages/questionnaires.py")
    broken = YEARLY.replace("type: integer", "type: integr").replace("min: 0", "min: 0\n"
                                                                     "        other: true")
    at.file_uploader(key="yaml_upload").upload("annual.yaml", broken.encode()).run()
    assert not at.exception, at.exception
    errors = [c.value for c in at.code]
    assert any("annual.yaml:10:15: Q106 未知的题型 'integr'(是否应为 'integer'?)" in e
               for e in errors), errors
    assert not [b for b in at.button if b.label == "发布该问卷" and b.key == "yaml_publish"]
    at.session_state["lang"] = "en"
    at.run()
    assert any("annual.yaml:10:15: Q106 unknown question type 'integr'" in c.value
               for c in at.code), [c.value for c in at.code]

    at.session_state["lang"] = "zh"
    at.file_uploader(key="yaml_upload").upload("annual.yaml", YEARLY.encode()).run()
    shown = lambda boxes: [b.value.replace("\\", "") for b in boxes]  # noqa: E731 (markdown)
    assert any(re.fullmatch(r"校验通过:annual_sample v1 \(\w+\),1 道题", text)
               for text in shown(at.success)), shown(at.success)
    at.button(key="yaml_publish").click().run()
    assert not at.exception, at.exception
    assert any(text.startswith("已发布:annual_sample v1") for text in shown(at.success))
    assert "annual_sample" in {q.id for q in app_env.current_questionnaires()}
    table = at.dataframe[0].value
    periods = dict(zip(table["问卷"], table["周期"]))
    assert periods["annual_sample"] == "每年" and periods["burden_monthly"] == "每月"


def test_a_changed_published_version_is_refused_in_chinese(app_env):
    at = open_page("app_pages/questionnaires.py")
    at.file_uploader(key="yaml_upload").upload("annual.yaml", YEARLY.encode()).run()
    at.button(key="yaml_publish").click().run()
    changed = YEARLY.replace("全年参加会议次数", "全年会议次数")
    at.file_uploader(key="yaml_upload").upload("annual.yaml", changed.encode()).run()
    at.button(key="yaml_publish").click().run()
    assert not at.exception, at.exception
    assert any("已以不同内容发布" in c.value and "'version:' 改为 2" in c.value for c in at.code)


def test_a_problem_copied_from_the_page_is_the_text_shown(app_env):
    """Messages quote expressions (a2 = 1, a2 == 1): shown as plain text, with no word joiner
    or backslash that a copy would carry into the author's file."""
    at = open_page("app_pages/questionnaires.py")
    broken = YEARLY.replace("min: 0", "min: 0\n        relevant: meetings = 1")
    at.file_uploader(key="yaml_upload").upload("annual.yaml", broken.encode()).run()
    assert not at.exception, at.exception
    [shown] = [c.value for c in at.code if "Q108" in c.value]
    assert ("annual.yaml:13:28: Q108 表达式 'meetings = 1' 有误:比较请用 ==(如 a2 == 1);"
            "单个 = 不是比较 [题目 meetings]") == shown
    assert any(e.value == "发现 1 处问题:" for e in at.error)


def test_an_xlsform_is_imported_as_a_yearly_survey_or_refused_with_its_row(app_env, tmp_path):
    from tests.test_interop_xlsform import _coded_form
    at = open_page("app_pages/questionnaires.py")
    at.selectbox(key="xlsform_period").select("year").run()
    at.file_uploader(key="xlsform_upload").upload(
        "village.xlsx", _coded_form(tmp_path).read_bytes()).run()
    assert not at.exception, at.exception
    assert not [w for w in at.warning if "转换" in w.value]  # only notes: nothing to warn about
    preview = [c.value for c in at.code if "sections:" in c.value]
    assert "period: year" in preview[0]
    broken = _coded_form(tmp_path, "${a1} = 7").read_bytes()
    at.file_uploader(key="xlsform_upload").upload("village.xlsx", broken).run()
    # was "0 项未能完整转换" above a table of one row
    assert [w.value for w in at.warning if "转换" in w.value or "未能导入" in w.value] == \
        ["未能导入,1 项问题:"]
    [issues] = [d.value for d in at.dataframe if "说明" in d.value.columns]
    refused = issues[issues["位置"] == "survey:3"]
    assert refused["说明"].iloc[0].startswith("转换后的问卷无法发布:Q126 relevant:a1 == 7")
    assert not any(".yaml" in c.value for c in at.code)
    at.selectbox(key="xlsform_period").select("once").run()
    assert len(at.date_input) == 2
