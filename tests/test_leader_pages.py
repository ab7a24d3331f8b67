"""AppTest of the leaders' pages on the demo database, plus the files they hand out."""

import io

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from survey import briefing, charts, exports, trends
from survey.bootstrap import start
from survey.config import resolve
from survey.leader_config import load_index, load_rules
from survey.metrics import Filter
from tests.conftest import ROOT, add_staff, as_user

APP = str(ROOT / "survey_app.py")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("leaders") / "demo.duckdb"
    store = start(resolve({"SURVEY_DB": str(path), "SURVEY_CODE_KEY": "k" * 16})).store
    add_staff(store, "boss", "admin")
    yield path, store
    store.close()


@pytest.fixture
def app_env(demo_db, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(demo_db[0]))
    monkeypatch.setenv("SURVEY_CODE_KEY", "k" * 16)
    return demo_db[1]


def open_page(page: str, user: str = "boss", **params) -> AppTest:
    at = as_user(AppTest.from_file(APP, default_timeout=60), user)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(page).run()  # like opening a shared link to that page
    assert not at.exception, at.exception
    return at


def test_trends_page_headline_and_charts(app_env):
    at = open_page("app_pages/trends.py")
    assert len(at.metric) == 13
    assert at.metric[0].label == "收文数量"
    assert "主要指标" in at.subheader[0].value
    assert len(at.get("vega_lite_chart")) == 1  # the trend; other views on request
    for view in ("breakdown", "heatmap", "distribution", "index", "public"):
        at.segmented_control(key="view").set_value(view).run()
        assert not at.exception, view
        assert at.get("vega_lite_chart") or at.info, view
    assert at.query_params["view"] in (["public"], "public")  # the view is in the address
    assert any("全部监测点" in c.value for c in at.caption)


def test_filter_from_a_shared_url_applies_everywhere(app_env):
    whole = open_page("app_pages/trends.py")
    county = open_page("app_pages/trends.py", pref="江北市", county="清河县")
    assert any("江北市 / 清河县" in c.value for c in county.caption)
    assert [m.value for m in county.metric] != [m.value for m in whole.metric]
    _, expected = trends.headline(app_env, Filter(prefecture="江北市", county="清河县"), "month",
                                  None, 5)
    documents = expected.set_index("indicator").loc["documents"]
    assert county.metric[0].value == f"{documents['mean']:.1f}"


def test_choosing_a_filter_writes_it_to_the_url(app_env):
    at = open_page("app_pages/trends.py")
    at.multiselect(key="f_kind").set_value(["school"]).run()
    assert not at.exception
    assert at.query_params["kind"] == ["school"] or at.query_params["kind"] == "school"
    assert any("学校" in c.value for c in at.caption)


def test_small_groups_show_as_hidden(tmp_path, monkeypatch):
    path = tmp_path / "k.duckdb"
    store = start(resolve({"SURVEY_DB": str(path), "SURVEY_CODE_KEY": "k" * 16})).store
    add_staff(store, "boss", "admin")
    store.close()
    monkeypatch.setenv("SURVEY_DB", str(path))
    monkeypatch.setenv("SURVEY_CODE_KEY", "k" * 16)
    monkeypatch.setenv("SURVEY_K", "10")  # one point has 7 respondents: always below k
    at = open_page("app_pages/trends.py", pref="江北市", county="清河县", town="城关镇",
                   kind="township")
    assert {m.value for m in at.metric} == {"—"}
    assert any("样本少于 10 人" in c.value for c in at.caption)


def test_warnings_page_mark_handled(app_env):
    at = open_page("app_pages/warnings.py")
    before = next(c.value for c in at.caption if "评估月份" in c.value)
    first_key = at.text_area[0].key.removeprefix("note:")
    at.text_area(key=f"note:{first_key}").input("已向县农业农村局发提示函 <script>")
    next(b for b in at.button if b.label == "标记为已处理").click().run()
    assert not at.exception
    after = next(c.value for c in at.caption if "评估月份" in c.value)
    assert before != after  # one fewer open
    state = app_env.warning_states()[first_key]
    assert state["by"] == "boss" and state["note"] == "已向县农业农村局发提示函 <script>"


def test_warning_without_a_note_is_refused(app_env):
    at = open_page("app_pages/warnings.py")
    key = at.text_area[0].key.removeprefix("note:")
    next(b for b in at.button if b.label == "标记为已处理").click().run()
    assert any("note is required" in e.value for e in at.error)
    assert key not in app_env.warning_states()


def test_response_monitor(app_env):
    at = open_page("app_pages/responses.py")
    assert any("个监测点" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert len(table) == 60 and set(table.columns) >= {"应填", "已填", "填报率"}


def test_briefing_page_offers_both_files(app_env):
    at = open_page("app_pages/briefing.py", pref="南山市")
    assert "南山市基层减负监测简报" in at.subheader[0].value
    assert len(at.get("download_button")) == 2


def test_briefing_html_is_self_contained_and_escaped(app_env):
    rules, _ = load_rules()
    index, _ = load_index()
    month = trends.latest_complete(sorted(trends.series(app_env, Filter(), "meetings", "month", 5)
                                          ["bucket"]), "month")
    page = briefing.html_report(app_env, Filter(prefecture="江北市"), month, 5, rules, index)
    assert page.startswith("<!doctype html>") and 'charset="utf-8"' in page
    assert "江北市基层减负监测简报" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.count("data:image/png;base64,") >= 4
    workbook = openpyxl.load_workbook(io.BytesIO(
        briefing.xlsx(app_env, Filter(prefecture="江北市"), month, 5, rules)))
    assert "预警" in workbook.sheetnames
    first = workbook.worksheets[0]
    assert first.cell(1, 1).value == "指标" and first.cell(2, 1).value == "收文数量"


def test_csv_and_png_downloads_keep_chinese(app_env):
    frame = trends.series(app_env, Filter(), "meetings", "month", 5)
    data = exports.csv_bytes(frame.assign(名称="会议"))
    assert data.startswith(b"\xef\xbb\xbf") and "会议".encode() in data
    png = charts.to_png(charts.trend(frame, "meetings", "zh"), "参加会议次数")
    assert png.startswith(b"\x89PNG")


def test_a_new_submission_shows_at_once(app_env, monkeypatch):
    """Figures are cached on the data version: a submission through the app's store is seen
    on the next rerun, without waiting for any cache to expire."""
    import datetime as dt

    from survey import periods
    from tests.conftest import complete_answers
    from ui.context import _startup
    app_store = _startup(str(app_env.path)).store  # the store the app itself holds
    at = open_page("app_pages/responses.py")
    last_month = periods.previous("month", periods.key_for("month", dt.date.today()))
    at.selectbox[-1].set_value(last_month).run()
    before = next(m.value for m in at.markdown if "个监测点" in m.value)
    point = app_store.points()[0]
    respondent = app_store.respondent(app_store.issue_codes(point.point_id, 1)[0])
    qn = app_store.questionnaires_for(point)[0]
    app_store.submit(respondent, qn, last_month, complete_answers(), "fresh-one")
    at.run()
    after = next(m.value for m in at.markdown if "个监测点" in m.value)
    assert before != after
