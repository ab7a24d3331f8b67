"""A cadre on a phone (375 x 800) fills and submits the monthly survey in real Chromium."""

import re

import pytest

from survey.store import Store
from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle
from tests.conftest import KEY, VILLAGE

playwright = pytest.importorskip("playwright.sync_api")


def fill_number(page, label: str, value) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    settle(page)


def choose(page, label: str, option: str) -> None:
    page.get_by_role("radiogroup", name=label).get_by_text(option, exact=True).click()
    settle(page)


def press(page, name: str) -> None:
    page.get_by_role("button", name=name).click()
    settle(page)


def test_cadre_fills_and_submits_on_a_phone(store, db_path, store_target, tmp_path):
    chromium = require_chromium()
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    store.close()  # the server process must be the only one holding the file
    env = {"SURVEY_DB": str(db_path), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0"}
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(f"{url}/?code={code}")
        page.wait_for_selector("[data-testid=stNumberInput]", timeout=30000)
        settle(page)
        page.get_by_text("和平村").wait_for(timeout=30000)

        fill_number(page, "本月收到上级文件、通知、便函共几件?(件) *", 40)
        fill_number(page, "其中需要落实反馈的几件?(件) *", 12)
        fill_number(page, "本月参加上级召开或要求参加的会议(含视频会、调度会)共几次?(次) *", 9)
        fill_number(page, "上一个完整工作周,参加会议(含路途、准备)约几小时?(小时) *", 95)
        page.get_by_text("不能大于 80。").wait_for(timeout=30000)  # validation next to the field
        fill_number(page, "上一个完整工作周,参加会议(含路途、准备)约几小时?(小时) *", 6.5)
        press(page, "下一步")

        fill_number(page, "本月填报上级要求的表格、报表、台账共几份?(份) *", 14)
        fill_number(page, "上一个完整工作周,用于填表、报数、整理材料约几小时?(小时) *", 7)
        fill_number(page, "其中与已报数据重复、或需向多个部门/系统重复录入的几份?(份) *", 3)
        press(page, "下一步")

        fill_number(page, "本月接受督查、检查、考核、调研共几次?(次) *", 0)
        assert page.get_by_label("本月为迎检准备材料约几小时?(小时) *").count() == 0  # relevance
        press(page, "下一步")

        choose(page, "上一个完整工作周,是否被要求拍照、签到、补台账以证明工作? *", "否")
        fill_number(page, "目前要求您登录、打卡或积分的政务APP/小程序有几个?(个) *", 6)
        fill_number(page, "您所在的工作群有几个?(个) *", 15)
        choose(page, "是否被要求在工作群即时回复或“晒”工作? *", "是")
        press(page, "下一步")

        choose(page, "与上期相比,您的工作负担: *", "有所减轻")
        choose(page, "您对本地区为基层减负成效的总体评价: *", "比较满意")
        text = page.get_by_label("您最希望减掉的一项负担是什么?(选填)")
        text.fill("<b>重复报表</b>'; DROP TABLE answer; --")
        text.press("Tab")
        settle(page)
        press(page, "检查答案")
        page.get_by_text("共 15 项答案。").wait_for(timeout=30000)  # the confirmation
        page.get_by_text("查看全部答案").click()  # every answer, one tap away
        settle(page)
        shown = page.get_by_text("<b>重复报表</b>'; DROP TABLE answer; --", exact=True)
        shown.wait_for(timeout=30000)  # shown verbatim: not bold, no smart dashes
        press(page, "提交")
        page.get_by_text("已提交,谢谢!").wait_for(timeout=20000)
        receipt = page.get_by_text(re.compile("回执编号")).inner_text()
        page.screenshot(path=str(tmp_path / "receipt.png"))
        browser.close()

    submission_id = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt)[0]
    with Store(store_target, KEY) as after:
        answers = after.submission_answers(submission_id)
        assert after.count("submissions") == 1
    assert answers["documents"] == 40 and answers["meeting_hours"] == 6.5
    assert answers["inspections"] == 0 and "inspection_hours" not in answers
    assert answers["trace_demands"] is False and answers["chat_pressure"] is True
    assert answers["satisfaction"] == "4"
    assert answers["one_cut"] == "<b>重复报表</b>'; DROP TABLE answer; --"


def sign_in_here(page, username: str, password: str) -> None:
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    settle(page)


def test_leader_opens_a_shared_trend_view(tmp_path):
    """A leader opens a shared link (region in the URL) first thing, signs in on that page and
    gets that view: real navigation, headline figures, charts drawn, Chinese rendered
    (screenshot kept for people to look at)."""
    from survey.bootstrap import start
    from survey.config import resolve
    from tests.conftest import STAFF_PASSWORD, add_staff
    chromium = require_chromium()
    db = tmp_path / "demo.duckdb"
    env = {"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode()}
    store = start(resolve(env)).store
    add_staff(store, "boss", "admin")
    store.close()
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.goto(f"{url}/trends?pref=%E6%B1%9F%E5%8C%97%E5%B8%82")
        page.wait_for_selector("input[type=password]", timeout=30000)
        assert page.locator("[data-testid=stMetric]").count() == 0  # nothing before sign-in
        sign_in_here(page, "boss", STAFF_PASSWORD)
        page.wait_for_selector("[data-testid=stMetric]", timeout=30000)
        page.wait_for_selector("[data-testid=stVegaLiteChart] canvas, "
                               "[data-testid=stVegaLiteChart] svg", timeout=30000)
        settle(page)
        # the primary indicators as tiles; four secondary ones fold away until asked for
        assert page.locator("[data-testid=stMetric]").count() >= 9
        assert page.get_by_text(re.compile(r"项负担指标中")).count() >= 1  # the opening sentence
        page.get_by_text("江北市", exact=False).first.wait_for(timeout=30000)
        menu = page.locator("[data-testid=stSidebar]").inner_text()
        assert "减负趋势" in menu and "SQL 工作台" in menu and "账号" in menu
        assert page.locator("[data-testid=stException]").count() == 0
        page.screenshot(path=str(tmp_path / "trends.png"), full_page=True)
        browser.close()


def test_admin_issues_codes_and_a_cadre_uses_one(tmp_path):
    """First start: the admin signs in with the one-time password, sets their own, issues codes
    for a point, opens the printable QR sheet; a cadre opens the form with one of the codes."""
    from survey.bootstrap import start
    from survey.config import resolve
    chromium = require_chromium()
    db = tmp_path / "fresh.duckdb"
    env = {"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode()}
    startup = start(resolve(env))
    one_time = startup.first_admin_password
    startup.store.close()
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1400}, accept_downloads=True)
        page.goto(f"{url}/admin_points")
        page.wait_for_selector("input[type=password]", timeout=30000)
        sign_in_here(page, "admin", one_time)
        page.get_by_text("这是一次性密码,请先设置新密码。").wait_for(timeout=20000)
        page.get_by_role("link", name="保存新密码").first.click()
        settle(page)
        page.get_by_label("新密码", exact=True).fill("Lotus-Pond-2026!")
        page.get_by_label("再次输入新密码").fill("Lotus-Pond-2026!")
        page.get_by_role("button", name="保存新密码").click()
        settle(page)
        page.get_by_role("link", name="监测点与填报码").click()
        settle(page)
        page.get_by_role("tab", name="填报码").click()
        settle(page)
        page.get_by_role("button", name="生成填报码").click()
        settle(page)
        codes = page.locator("[data-testid=stCode]").first.inner_text().split()
        assert len(codes) == 10
        with page.expect_download() as download:
            page.get_by_role("button", name="下载打印页(含二维码)").click()
        sheet = tmp_path / "sheet.html"
        download.value.save_as(sheet)
        viewer = browser.new_page(viewport={"width": 900, "height": 1200})
        viewer.goto(sheet.as_uri())
        assert viewer.locator("svg").count() == 10
        viewer.get_by_text(codes[0]).wait_for(timeout=30000)
        viewer.screenshot(path=str(tmp_path / "sheet.png"))

        cadre = browser.new_page(viewport={"width": 375, "height": 800})
        cadre.goto(f"{url}/?code={codes[0]}")
        cadre.wait_for_selector("[data-testid=stNumberInput]", timeout=30000)
        cadre.get_by_text("监测点:").wait_for(timeout=30000)
        browser.close()


def test_filing_a_clue_on_a_phone(tmp_path):
    """Someone scans a point's public QR code, reports a problem on a 375 px screen, keeps the
    receipt and follows the report up with it."""
    from survey.bootstrap import start
    from survey.config import resolve
    chromium = require_chromium()
    db = tmp_path / "demo.duckdb"
    env = {"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode()}
    store = start(resolve(env)).store
    point = next(p for p in store.points() if p.kind == "village")
    code = store.issue_codes(point.point_id, 1, "test")[0]
    store.close()
    text = "同一事项一个月来了四拨检查 <b>每次</b>都要重新准备材料"
    by_code = "考核要求每周在工作群打卡三次"
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(f"{url}/clue?point={point.point_id}")
        page.wait_for_selector("textarea", timeout=30000)
        settle(page)
        page.get_by_text(point.name, exact=False).first.wait_for(timeout=30000)
        page.get_by_label("单位名称").fill("县应急管理局")
        page.get_by_label("具体情况").fill(text)
        page.get_by_role("button", name="提交").click()
        settle(page)
        receipt = page.locator("[data-testid=stCode]").first.inner_text().strip()
        assert re.fullmatch(r"XS-[0-9A-Z]{4}-[0-9A-Z]{4}", receipt)
        page.screenshot(path=str(tmp_path / "clue.png"))
        page.get_by_role("tab", name="查询进度").click()
        box = page.get_by_label("回执码")
        box.fill(receipt)
        box.press("Enter")
        settle(page)
        page.get_by_text("当前状态:新线索").wait_for(timeout=20000)

        # A cadre whose code opened the form reports from the menu: their point, no QR code.
        cadre = browser.new_page(viewport={"width": 375, "height": 800})
        cadre.goto(f"{url}/?code={code}")
        cadre.wait_for_selector("[data-testid=stNumberInput]", timeout=30000)
        cadre.goto(f"{url}/clue")
        cadre.wait_for_selector("textarea", timeout=30000)
        settle(cadre)
        cadre.get_by_text(f"监测点:{point.name}", exact=False).first.wait_for(timeout=30000)
        cadre.get_by_label("单位名称").fill("乡镇党政办")
        cadre.get_by_label("具体情况").fill(by_code)
        cadre.get_by_role("button", name="提交").click()
        cadre.locator("[data-testid=stCode]").first.wait_for(timeout=30000)
        browser.close()
    with Store(db, KEY) as after:
        rows = after.query("SELECT c.body_name, c.description, c.via, p.status FROM clue c "
                           "JOIN problem p USING (problem_id) WHERE c.description IN (?, ?) "
                           "ORDER BY c.via", [text, by_code])
    assert rows == [("乡镇党政办", by_code, "code", "new"), ("县应急管理局", text, "public", "new")]
