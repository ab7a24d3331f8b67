"""Real Chromium: a cadre on a phone (375 x 800) fills and submits the monthly survey on the light\nform; a leader opens a shared view; an admin issues codes; a problem report on a phone."""

import re

import pytest

from survey.store import Store
from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle
from tests.conftest import KEY, VILLAGE

playwright = pytest.importorskip("playwright.sync_api")


HOSTILE = "<b>重复报表</b>'; DROP TABLE answer; --"
# The month by part, as a cadre types it (yes/no as the form's 1/0); a follow-up question
# appears once the part is sent with its trigger (relevance is the server's: tapped 下一步).
MONTH = [{"documents": 40, "documents_action": 12, "meetings": 9, "meeting_hours": 6.5},
         {"forms": 14, "form_hours": 7, "duplicate_forms": 3},
         {"inspections": 0},
         {"trace_demands": "0", "apps": 6, "chat_groups": 15, "chat_pressure": "1"},
         {"burden_change": "2", "satisfaction": "4", "one_cut": HOSTILE}]


def part(page) -> str:
    return page.locator("main h2").first.inner_text()


def type_part(page, answers: dict) -> None:
    for qid, value in answers.items():
        choice = page.locator(f'input[type=radio][name="a.{qid}"][value="{value}"]')
        if choice.count():
            choice.check()
        elif page.locator(f"#f-{qid}").count():
            page.locator(f"#f-{qid}").fill(str(value))


def next_part(page, answers: dict, name: str = "下一步") -> None:
    """Type the part's answers and go on; a follow-up question the answers made relevant comes
    back on the same part (relevance is the server's), to be answered before going on."""
    before = part(page)
    for _ in range(2):
        type_part(page, answers)
        page.evaluate("() => { window.drawnPage = document.documentElement; }")
        page.get_by_role("button", name=name, exact=True).click()
        # the script replaces the page with the server's answer
        page.wait_for_function("() => document.documentElement !== window.drawnPage",
                               timeout=30000)
        page.wait_for_load_state("networkidle")
        if part(page) != before:
            return
    raise AssertionError(page.inner_text("main"))


def test_cadre_fills_and_submits_on_a_phone(store, db_path, store_target, tmp_path):
    """The light form (/f) with its script, from the printed sheet's link to the receipt."""
    chromium = require_chromium()
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    store.close()  # the server process must be the only one holding the file
    env = {"SURVEY_DB": str(db_path), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0"}
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 375, "height": 800})
        page.goto(f"{url}/?code={code}")  # a sheet printed before the light form
        page.locator("#f-documents").wait_for(timeout=30000)
        assert page.url == f"{url}/f" and "和平村" in page.inner_text("body")
        type_part(page, {**MONTH[0], "meeting_hours": 95})
        page.get_by_role("button", name="下一步", exact=True).click()
        page.get_by_text("不能大于 80。").wait_for(timeout=30000)  # next to the field
        assert page.locator("#f-meeting_hours").get_attribute("aria-describedby") == \
            "err-meeting_hours"
        next_part(page, MONTH[0])
        for answers in MONTH[1:-1]:
            next_part(page, answers)
            if answers.get("inspections") == 0:
                assert page.locator("#f-inspection_hours").count() == 0  # relevance
        type_part(page, MONTH[-1])
        page.get_by_role("button", name="检查答案").click()
        page.get_by_text("共 15 项答案。").wait_for(timeout=30000)  # the confirmation
        page.get_by_text("查看全部答案").click()  # every answer, one tap away
        shown = page.get_by_text(HOSTILE, exact=True)
        shown.wait_for(timeout=30000)  # shown verbatim: not bold, no smart dashes
        page.get_by_role("button", name="提交").click()
        page.get_by_text("已提交,谢谢!").wait_for(timeout=20000)
        receipt = page.locator(".receipt").inner_text()
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
    assert answers["one_cut"] == HOSTILE


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
        cadre.goto(f"{url}/f?code={codes[0]}")  # what the new sheet's QR code opens
        cadre.locator("#f-documents").wait_for(timeout=30000)
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
        cadre.goto(f"{url}/f?code={code}")
        cadre.locator("#f-documents").wait_for(timeout=30000)
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
