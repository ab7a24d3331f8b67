"""AppTest of the leaders' pages on the demo database, plus the files they hand out."""

import datetime as dt
import html
import io
import re

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from survey import briefing, charts, periods, safe_files, trends
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


def test_trends_page_opens_with_a_sentence_and_themed_tiles(app_env):
    at = open_page("app_pages/trends.py")
    sentence = at.markdown[0].value
    assert "项负担指标中" in sentence and "同比下降" in sentence and "未处理的反弹预警" in sentence
    assert [m.value for m in at.markdown[1:6]] == [
        "##### 文件与会议", "##### 报表填报", "##### 督查检查考核", "##### 留痕、政务APP与工作群",
        "##### 干部感受"]
    # primary tiles only, in reading order; every tile has its sparkline
    assert [m.label for m in at.metric] == [
        "收文数量", "参加会议次数", "填报报表份数", "填表报数耗时", "督检考次数", "过度留痕",
        "工作群数量", "减负满意度", "负担变化感知"]
    assert all(m.proto.chart_data for m in at.metric)
    at.toggle(key="all_tiles").set_value(True).run()
    labels = [m.label for m in at.metric]
    assert len(labels) == 13 and labels[1:3] == ["参加会议次数", "会议时长"]  # not after 工作群
    assert len(at.get("vega_lite_chart")) == 1  # the trend; other views on request
    for view in ("breakdown", "heatmap", "distribution", "index", "public"):
        at.segmented_control(key="view").set_value(view).run()
        assert not at.exception, view
        assert at.get("vega_lite_chart") or at.info, view
    assert at.query_params["view"] in (["public"], "public")  # the view is in the address
    assert any("全部监测点" in c.value for c in at.caption)


def test_tiles_show_shares_as_percent_with_changes_in_points(app_env):
    at = open_page("app_pages/trends.py")
    _, rows, sparks = trends.overview(app_env, Filter(), "month", None, 5)
    rows = rows.set_index("indicator")
    tiles = {m.label: m for m in at.metric}
    satisfaction = rows.loc["satisfaction"]
    assert tiles["减负满意度"].value == f"{satisfaction['share']:.0%}"
    pp = 100 * (satisfaction["share"] - satisfaction["share_last_year"])
    assert tiles["减负满意度"].proto.delta == f"{pp:+.1f} 个百分点"
    meetings = rows.loc["meetings"]
    assert meetings["change_clear"] is True  # the demo's meetings clearly rose
    assert tiles["参加会议次数"].proto.delta == \
        f"{(meetings['mean'] - meetings['last_year']) / meetings['last_year']:+.1%}"
    # a change within chance reads 无明显变化, uncoloured; every tile with a change has its
    # 95 % range under it
    unclear = [trends.short_label(i, "zh") for i, r in rows.iterrows() if r["change_clear"] is False]
    assert unclear and all(tiles[label].proto.delta == "无明显变化" for label in unclear
                           if label in tiles)
    assert sum("95%区间" in c.value for c in at.caption) >= len(tiles) - 1
    # the sparkline is the figure shown, month by month, ending with this month
    assert list(tiles["减负满意度"].proto.chart_data)[-1] == pytest.approx(satisfaction["share"])


def test_breakdown_table_gives_each_change_its_range(app_env):
    at = open_page("app_pages/trends.py", view="breakdown")
    table = at.dataframe[0].value
    assert list(table.columns) == ["分组", "参加会议次数", "同比", "同比95%区间", "人数"] or \
        {"同比", "同比95%区间"} <= set(table.columns)
    for change, interval in zip(table["同比"], table["同比95%区间"]):
        assert change == "无明显变化" or re.fullmatch(r"[+-]\d+\.\d%", change) or change == "—"
        if change != "—":
            assert re.fullmatch(r"[+-]\d+\.\d% 至 [+-]\d+\.\d%", interval)


def test_public_rating_table_keeps_both_rows(app_env):
    at = open_page("app_pages/trends.py", view="public")
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == ["干部对减负满意", "群众对服务满意"] or \
        sorted(table.iloc[:, 0]) == sorted(["干部对减负满意", "群众对服务满意"])
    assert len(table) == 2


def test_heatmap_names_every_row_and_months_read_as_numbers(app_env):
    frame = trends.heatmap(app_env, Filter(prefecture="江北市", county="清河县"), "meetings", 5)
    spec = charts.heatmap(frame, "meetings", "zh", 5).to_dict()
    points = frame["point"].nunique()
    assert spec["height"] == charts.HEATMAP_ROW * points
    encoding = spec["layer"][0]["encoding"]
    assert encoding["y"]["scale"]["domain"] == sorted(frame["point"].unique())
    assert encoding["y"]["axis"]["labelOverlap"] is False  # no name dropped
    assert all(re.fullmatch(r"20\d\d年\d{1,2}月", m)
               for m in encoding["x"]["scale"]["domain"])  # 2025年11月
    # a grey (suppressed) cell's tooltip says why, not "NaN"; a shown cell gives its value
    hidden, shown = spec["layer"]
    assert frame["suppressed"].any() and not frame["suppressed"].all()
    assert [tip["field"] for tip in hidden["encoding"]["tooltip"]] == ["point", "month", "status"]
    assert [tip["field"] for tip in shown["encoding"]["tooltip"]] == ["point", "month", "value"]


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
    assert any("请填写处理情况" in e.value for e in at.error)  # in the viewer's language
    assert key not in app_env.warning_states()


def test_response_monitor(app_env):
    at = open_page("app_pages/responses.py")
    assert any("个监测点" in m.value for m in at.markdown)
    # it opens on the month cadres are filling now, the one a leader chases
    assert at.selectbox[-1].value == periods.key_for("month", dt.date.today())
    table = at.dataframe[0].value
    assert len(table) == 60
    # the columns a phone must see come first
    assert list(table.columns[:5]) == ["监测点", "填报率", "已填", "应填", "逾期"]


def test_problem_chart_is_replaced_by_a_note_when_every_month_is_hidden(app_env):
    at = open_page("app_pages/problems.py")
    assert not at.get("vega_lite_chart")  # demo: a handful of reports, all months under k
    assert any("均少于 5 条" in i.value for i in at.info)
    assert list(at.dataframe[0].value.columns[:2]) == ["状态", "单位"]


def test_briefing_page_offers_both_files(app_env):
    at = open_page("app_pages/briefing.py", pref="南山市")
    assert "南山市基层减负监测简报" in at.subheader[0].value
    assert len(at.get("download_button")) == 2


def briefing_month(store):
    return trends.latest_complete(sorted(trends.series(store, Filter(), "meetings", "month", 5)
                                         ["bucket"]), "month")


def test_briefing_html_is_self_contained_chinese_and_formatted(app_env):
    rules, _ = load_rules()
    index, _ = load_index()
    month = briefing_month(app_env)
    page = briefing.html_report(app_env, Filter(prefecture="江北市"), month, 5, rules, index)
    assert page.startswith("<!doctype html>") and 'charset="utf-8"' in page
    assert f"江北市基层减负监测简报({month.year}年{month.month}月)" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert page.count("data:image/png;base64,") >= 4
    assert "@media print" in page and "size: A4" in page and "max-width: 480px" in page
    text = re.sub(r"<[^>]+>|data:image/png;base64,[A-Za-z0-9+/=]+", " ", page.split("</style>")[1])
    for raw in ("value", "suppressed", "county_dept", "township", "True", "False", "NaN", "None",
                "expected", "handler"):
        assert not re.search(rf"\b{raw}\b", text), raw
    # the figures as read: a share in percent with its change in points, a mean with one decimal
    _, rows, _ = trends.overview(app_env, Filter(prefecture="江北市"), "month", month, 5)
    rows = rows.set_index("indicator")
    # ... and a change within chance reads 无明显变化 (uncoloured), a clear one its number and
    # its 95 % range under it
    def shown(row, change):
        return "无明显变化" if row["change_clear"] is False else change

    sat = rows.loc["satisfaction"]
    assert f"<b>{sat['share']:.0%}</b>" in page
    assert shown(sat, f"{100 * (sat['share'] - sat['share_last_year']):+.1f}") in page
    docs = rows.loc["documents"]
    assert f"<b>{docs['mean']:.1f}</b>" in page and shown(docs, f"{docs['yoy']:+.1%}") in page
    assert {row["change_clear"] for _, row in rows.iterrows()} >= {True, False}
    clear = rows[rows["change_clear"] == True].iloc[0]  # noqa: E712
    assert f"{clear['change_low']:+.1%} ~ {clear['change_high']:+.1%}" in page or \
        f"{clear['change_low']:+.1f} 个百分点 ~ {clear['change_high']:+.1f} 个百分点" in page


def test_briefing_xlsx_stores_numbers_as_numbers(app_env):
    rules, _ = load_rules()
    month = briefing_month(app_env)
    flt = Filter(prefecture="江北市")
    workbook = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(app_env, flt, month, 5, rules)))
    assert workbook.sheetnames[:4] == ["主要指标", "预警", "填报进度", "近24个月"]
    assert workbook.sheetnames[-1] == "口径说明"
    first = workbook["主要指标"]
    header = [c.value for c in first[1]]
    assert header[:7] == ["主题", "指标", "口径", "本月", "同比", "环比", "人数"]
    assert first.freeze_panes == "A2" and first.column_dimensions["C"].width > 10
    _, rows, _ = trends.overview(app_env, flt, "month", month, 5)
    by_name = {r[1].value: r for r in first.iter_rows(min_row=2)}
    docs = by_name["收文数量"]
    assert isinstance(docs[3].value, float) and docs[3].number_format == "0.0"
    assert docs[3].value == pytest.approx(rows.set_index("indicator").loc["documents", "mean"],
                                          abs=1e-4)
    assert isinstance(docs[4].value, float) and docs[4].number_format.startswith("+0.0%")
    # each change has its verdict and its 95 % range (numbers, in the change's format)
    assert header[8:11] == ["同比判断", "同比95%区间下限", "同比95%区间上限"]
    assert docs[8].value in {"明显上升", "明显下降", "无明显变化"}
    assert isinstance(docs[9].value, float) and docs[9].number_format.startswith("+0.0%")
    assert docs[9].value <= docs[4].value <= docs[10].value
    sat = by_name["减负满意度"]
    assert sat[3].number_format == "0%" and 0 < sat[3].value < 1
    assert "个百分点" in sat[4].number_format  # a share's change: percentage points
    assert isinstance(docs[6].value, int)
    responses = workbook["填报进度"]
    assert [c.value for c in responses[1]][:3] == ["县/区", "监测点", "类型"]
    rate = responses.cell(2, 6)
    assert isinstance(rate.value, (int, float)) and rate.number_format == "0%"
    assert responses.cell(2, 3).value in {"村", "社区", "乡镇/街道", "县级部门", "学校", "医院",
                                          "国企/事业单位"}
    assert responses.cell(2, 7).value in ("是", "否")
    trend = workbook["近24个月"]
    cells = [c for row in trend.iter_rows(min_row=2, min_col=2) for c in row if c.value is not None]
    assert cells and all(isinstance(c.value, (int, float)) for c in cells)
    assert all(c.value == round(c.value, 4) for c in cells)  # no 51.26388888888889
    definitions = [r[0].value for r in workbook["口径说明"].iter_rows(min_row=2)]
    assert "小样本不显示" in definitions and "百分点" in definitions


def test_briefing_xlsx_leaves_hidden_figures_empty(tmp_path, monkeypatch):
    path = tmp_path / "k.duckdb"
    store = start(resolve({"SURVEY_DB": str(path), "SURVEY_CODE_KEY": "k" * 16})).store
    rules, _ = load_rules()
    flt = Filter(prefecture="江北市", county="清河县", township="城关镇", kinds=("township",))
    workbook = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(
        store, flt, briefing_month(store), 10, rules)))
    store.close()
    first = workbook["主要指标"]
    for row in first.iter_rows(min_row=2):
        assert row[3].value is None and row[4].value is None  # never a zero
        assert "样本少于 10 人" in row[7].value


def test_csv_and_png_downloads_keep_chinese(app_env):
    frame = trends.series(app_env, Filter(), "meetings", "month", 5)
    data = safe_files.csv_bytes(frame.assign(名称="会议"))
    assert data.startswith(b"\xef\xbb\xbf") and "会议".encode() in data
    png = charts.to_png(charts.trend(frame, "meetings", "zh"), "参加会议次数")
    assert png.startswith(b"\x89PNG")


def test_a_new_submission_shows_at_once(app_env, monkeypatch):
    """Figures are cached on the data version: a submission through the app's store is seen
    on the next rerun, without waiting for any cache to expire."""
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


def test_briefing_html_fits_a_phone_and_prints_on_a4(app_env, tmp_path):
    """In Chromium at 375 px nothing runs off the side; printed on A4 every chart is whole."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM_ARGS, require_chromium
    chromium = require_chromium()
    rules, _ = load_rules()
    index, _ = load_index()
    path = tmp_path / "briefing.html"
    path.write_text(briefing.html_report(app_env, Filter(prefecture="江北市"),
                                         briefing_month(app_env), 5, rules, index),
                    encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(path.as_uri())
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # no table cell squeezed to a character per line: the narrowest text cell holds 2+
        narrowest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('td')]
            .filter(td => td.offsetParent !== null && td.innerText.trim().length > 1)
            .map(td => td.clientWidth))""")  # (columns left out on a phone do not count)
        assert narrowest >= 30
        page.emulate_media(media="print")
        page.set_viewport_size({"width": 700, "height": 1000})  # A4 less margins, at 96 dpi
        heights = page.evaluate("[...document.images].map(i => i.getBoundingClientRect().height)")
        assert heights and max(heights) <= 105 / 25.4 * 96 + 1  # each chart fits half a page
        assert page.pdf(format="A4").startswith(b"%PDF")
        browser.close()


@pytest.mark.parametrize("lang, place", [("zh", "江北市东城区 · 学校"),
                                         ("en", "江北市东城区 · School")])
def test_briefing_names_the_kind_restriction_wherever_it_names_the_region(app_env, lang, place):
    """With 类型=学校 every figure is the schools' own: the title, the opening sentence and
    the workbook's 范围 say so, not just 东城区."""
    rules, _ = load_rules()
    month = briefing_month(app_env)
    flt = Filter(prefecture="江北市", county="东城区", kinds=("school",))
    assert briefing.region_name(flt, lang) == place
    page = briefing.html_report(app_env, flt, month, 5, rules, None, lang)
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)
    assert place in html.unescape(title)
    lead = re.search(r"<p class=lead>(.*?)</p>", page)
    assert lead and place in html.unescape(lead.group(1))
    workbook = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(app_env, flt, month, 5, rules,
                                                               lang)))
    definitions = workbook[workbook.sheetnames[-1]]
    assert place in [r[1].value for r in definitions.iter_rows(min_row=2)]
    assert place in workbook.properties.title
    levels = Filter(prefecture="江北市", levels=("village", "township"))
    assert briefing.region_name(levels, lang).count(" · ") == 1


def test_trends_sentence_names_the_kind_restriction(app_env):
    at = open_page("app_pages/trends.py", pref="江北市", county="东城区", kind="school")
    assert at.markdown[0].value.startswith("**") and "江北市东城区 · 学校" in at.markdown[0].value
    at = open_page("app_pages/briefing.py", pref="江北市", county="东城区", kind="school")
    assert "江北市东城区 · 学校 基层减负监测简报" in at.subheader[0].value


def test_briefing_xlsx_trend_sheet_keeps_names_in_view_in_reading_order(app_env):
    rules, _ = load_rules()
    workbook = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(
        app_env, Filter(prefecture="江北市"), briefing_month(app_env), 5, rules)))
    trend = workbook["近24个月"]
    assert trend.freeze_panes == "B2"  # header row and indicator column stay while scrolling
    names = [r[0].value for r in trend.iter_rows(min_row=2)]
    assert names == [trends.indicator_label(i, "zh") for i in trends.READING_ORDER]
    assert names == [r[1].value for r in workbook["主要指标"].iter_rows(min_row=2)]


def test_heatmap_phone_list_draws_sparklines_and_names_hidden_months(app_env):
    """Streamlit's LineChartColumn shows a list holding one missing value as raw text; the
    list keeps only shown months (never a zero) and names the hidden ones beside it."""
    at = open_page("app_pages/trends.py", view="heatmap", pref="江北市", county="清河县")
    table = next(d.value for d in at.dataframe if "近24个月" in d.value.columns)
    assert list(table.columns) == ["监测点", "最近一月", "近24个月", "隐藏的月份"]
    for line in table["近24个月"]:
        line = [None if v is None else float(v) for v in line]
        assert line and all(v is not None and v == v for v in line)  # no None, no NaN
    hidden = [h for h in table["隐藏的月份"] if h]
    assert hidden and all(re.fullmatch(r"(\d{4}年\d{1,2}月)(、\d{4}年\d{1,2}月)*", h)
                          for h in hidden)
    frame = trends.heatmap(app_env, Filter(prefecture="江北市", county="清河县"), "meetings", 5)
    for point, rows in frame.groupby("point"):
        row = table[table["监测点"] == point].iloc[0]
        assert len(row["近24个月"]) == rows["mean"].notna().sum()
        assert row["隐藏的月份"].count("年") == rows["mean"].isna().sum()
    assert any("不当作 0" in c.value for c in at.caption)


def test_every_briefing_table_fits_a_375_px_phone_in_both_languages(app_env, tmp_path):
    """No table wider than the box it sits in (a clipped 环比 column, '-3.3' losing its '%'),
    Chinese or English, for the whole network, a prefecture and a kind."""
    from playwright.sync_api import sync_playwright

    from tests.browser_support import CHROMIUM_ARGS, require_chromium
    rules, _ = load_rules()
    month = briefing_month(app_env)
    filters = [Filter(), Filter(prefecture="江北市"),
               Filter(prefecture="江北市", county="东城区", kinds=("school",))]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 375, "height": 800})
        for lang in ("zh", "en"):
            for n, flt in enumerate(filters):
                path = tmp_path / f"briefing_{lang}_{n}.html"
                path.write_text(briefing.html_report(app_env, flt, month, 5, rules, None, lang),
                                encoding="utf-8")
                page.goto(path.as_uri())
                widths = page.evaluate("""() => [...document.querySelectorAll('table')].map(
                    t => [t.scrollWidth, t.parentElement.clientWidth])""")
                assert len(widths) >= 2
                for table, box in widths:
                    assert table <= box, (lang, flt, widths)
                assert page.evaluate("document.documentElement.scrollWidth") <= 375
        # the columns left out on a phone come back on a PC
        page.set_viewport_size({"width": 1280, "height": 800})
        assert page.evaluate("[...document.querySelectorAll('th.wide')]"
                             ".every(th => th.offsetWidth > 0)")
        browser.close()


def test_warnings_and_problem_pages_speak_to_leaders_not_to_admins(app_env):
    at = open_page("app_pages/warnings.py")
    texts = [c.value for c in at.caption]
    assert not any("config/" in c or ".yaml" in c for c in texts)
    assert any("预警规则" in c for c in texts)
    at = open_page("app_pages/problems.py")
    problem_box = lambda: next(s for s in at.selectbox if s.label == "问题")  # noqa: E731
    seen = []
    for option in problem_box().options:
        problem_box().set_value(option.split(" · ")[0]).run()
        seen += [c.value for c in at.caption]
    assert seen
    assert not any(re.search(r"\bsystem\b", c) for c in seen)  # 系统 in the Chinese UI
    assert not any(c.rstrip().endswith("·") for c in seen)


def _svg(chart) -> str:
    import vl_convert
    return html.unescape(vl_convert.vegalite_to_svg(charts.themed(chart).to_dict()))


def test_chart_months_read_in_chinese_and_legends_are_whole(app_env):
    frame = trends.series(app_env, Filter(), "meetings", "month", 5)
    svg = _svg(charts.trend(frame, "meetings", "zh").properties(width=640))
    assert re.search(r">20\d\d年\d{1,2}月<", svg) and not re.search(r">20\d\d-\d\d<", svg)
    heat = charts.heatmap(trends.heatmap(app_env, Filter(prefecture="江北市", county="清河县"),
                                         "meetings", 5), "meetings", "zh", 5).to_dict()
    months = heat["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert all(re.fullmatch(r"20\d\d年\d{1,2}月", m) for m in months)
    assert months == sorted(months, key=lambda m: tuple(map(int, re.findall(r"\d+", m))))
    # the baseline of a warning has its legend entry; English legends are not cut short
    series = frame[["bucket", "mean"]].rename(columns={"mean": "value"}).assign(
        expected=frame["mean"] * 0.8, low=frame["mean"] * 0.6, high=frame["mean"])
    svg = _svg(charts.warning_evidence(series, "meetings", "zh", 7.5, "基线"))
    assert ">基线<" in svg and ">如无变化的范围<" in svg and ">按去年同期推算<" in svg
    public = trends.public_and_cadres(app_env, Filter(), 5)
    svg = _svg(charts.public_vs_cadres(public, "en").properties(width=340))
    for name in ("public_series", "cadre_series"):
        assert f">{charts.t(name, 'en')}<" in svg
    assert "…" not in svg


def test_public_and_cadres_are_compared_in_the_same_quarter(app_env):
    """The public's ratings lag a quarter: 最近一个季度 must not set their Q3 beside the
    cadres' Q4."""
    frame = trends.public_and_cadres(app_env, Filter(), 5)
    latest_each = frame[frame["share"].notna()].groupby("who")["bucket"].max()
    assert latest_each["cadres"] != latest_each["public"]  # the case the tester met
    at = open_page("app_pages/trends.py", view="public")
    table = at.dataframe[0].value
    assert len(table) == 2 and table["季度"].nunique() == 1
    assert table["季度"].iloc[0] == trends.bucket_label(latest_each.min(), "quarter", "zh")
    assert any("两者都有数据的最近一个季度" in c.value for c in at.caption)


def test_briefing_form_burden_is_a_small_table_not_a_joined_line(app_env):
    rules, _ = load_rules()
    month = briefing_month(app_env)
    built, extra = briefing.sheets(app_env, Filter(), month, 5, rules)
    assert extra["burden"] is not None  # the demo has timings for the month
    page = briefing.html_report(app_env, Filter(), month, 5, rules, None)
    section = page.split(f"<h2>{extra['burden'].title}</h2>")[1].split("<h2>")[0]
    assert "<table class=burden>" in section and "<li>" not in section
    assert "填报用时中位数(分钟)" in re.findall(r"<tr><td>(.*?)</td>", section)
    assert ";" not in re.sub(r"<[^>]+>", "", section.split("</table>")[0])


def test_months_read_as_2024年11月_across_the_chinese_ui(app_env):
    rules, _ = load_rules()
    workbook = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(
        app_env, Filter(prefecture="江北市"), briefing_month(app_env), 5, rules)))
    months = [c.value for c in workbook["近24个月"][1]][1:]
    assert len(months) == 24 and all(re.fullmatch(r"20\d\d年\d{1,2}月", m) for m in months)
    english = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(
        app_env, Filter(prefecture="江北市"), briefing_month(app_env), 5, rules, "en")))
    assert all(re.fullmatch(r"20\d\d-\d\d", c.value) for c in english.worksheets[3][1][1:])
    _, alerts, _ = trends.alerts(app_env, Filter(), rules, 5)
    facts = [trends.alert_facts(a, "zh") for a in alerts]
    assert facts and all(not re.search(r"20\d\d-\d\d", f) and "年" in f for f in facts)
    at = open_page("app_pages/trends.py", **{"from": "2025-01", "to": "2025-12"})
    assert any("2025年1月 – 2025年12月" in c.value for c in at.caption)
