"""Taps from the QR link to the receipt, counted in real Chromium on a phone (375 x 800, zh-CN).

An unchanged month: at most 2 taps and nothing typed. A month where one value changed: at most
4 taps plus the typing (3 measured: keep the rest, the burden choice, submit; and a reload on the way lands where the cadre was). The counts are asserted, so this fails if the form grows heavier.
Screenshots and per-tap timings go to the test's tmp folder (and SHOTS, when set)."""

import os
import shutil
import time

import pytest

from survey import periods
from survey.store import Store
from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle
from tests.conftest import KEY, VILLAGE, complete_answers

playwright = pytest.importorskip("playwright.sync_api")

WIDTH, HEIGHT = 375, 800


class Cadre:
    """A phone in one hand: every tap is counted and timed; typing is not a tap."""

    def __init__(self, page, shots):
        self.page, self.shots, self.taps, self.times = page, shots, 0, []

    def tap(self, locator) -> None:
        locator.wait_for(timeout=30000)
        started = time.perf_counter()
        locator.click()
        settle(self.page)
        self.taps += 1
        self.times.append(time.perf_counter() - started)

    def button(self, name: str) -> None:
        self.tap(self.page.get_by_role("button", name=name))

    def type_number(self, label: str, value) -> None:
        box = self.page.get_by_label(label, exact=True)
        box.fill(str(value))
        # Streamlit's English "Press Enter to apply" is hidden in the Chinese form
        assert not self.page.locator("[data-testid=InputInstructions]").first.is_visible()
        box.press("Enter")
        settle(self.page)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"))

    def visible_without_scrolling(self, name: str) -> bool:
        box = self.page.get_by_role("button", name=name).bounding_box()
        scrolled = self.page.evaluate("() => window.scrollY || document.querySelector("
                                      "'[data-testid=stMain]')?.scrollTop || 0")
        return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT \
            and scrolled == 0


def open_phone(browser, url: str, code: str, shots):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN")
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{url}/?code={code}")  # what the QR code on the code sheet opens
    page.wait_for_selector("[data-testid=stNumberInput]", timeout=60000)
    settle(page)
    return Cadre(page, shots), time.perf_counter() - started


def test_taps_from_the_qr_link_to_the_receipt(store, store_target, monthly, db_path, tmp_path):
    chromium = require_chromium()
    period = store.open_periods(monthly)[0]
    last = periods.previous("month", period)
    codes = store.issue_codes(VILLAGE.point_id, 2)
    for i, code in enumerate(codes):
        store.submit(store.respondent(code), monthly, last, complete_answers(meetings=32),
                     f"last-{i}")
    respondents = [store.respondent(code) for code in codes]
    store.close()  # the server process must be the only one holding the file
    env = {"SURVEY_DB": str(db_path), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0"}
    report = []
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)

        # An unchanged month: "nothing changed", then submit.
        cadre, loaded = open_phone(browser, url, codes[0], tmp_path)
        cadre.page.get_by_text("和平村").wait_for(timeout=30000)
        assert cadre.visible_without_scrolling("与上期相同,一键确认")
        cadre.shot("unchanged-1-opened")
        cadre.button("与上期相同,一键确认")
        cadre.page.get_by_text(f"共 16 项答案,与上期({last})相同。").wait_for(timeout=30000)
        assert cadre.visible_without_scrolling("提交")
        cadre.shot("unchanged-2-confirm")
        cadre.button("提交")
        cadre.page.get_by_text("已提交,谢谢!").wait_for(timeout=30000)
        assert "版" not in cadre.page.get_by_text("回执编号").inner_text()  # a first submission
        cadre.shot("unchanged-3-receipt")
        assert cadre.taps <= 2, cadre.taps
        report.append(("unchanged month", cadre.taps, loaded, cadre.times))

        # One value changed: type it, keep the rest, say how the month felt, submit.
        cadre, loaded = open_phone(browser, url, codes[1], tmp_path)
        cadre.type_number("本月参加上级召开或要求参加的会议(含视频会、调度会)共几次?(次) *", 45)
        cadre.shot("changed-1-typed")
        cadre.button("其余保持上期,去提交")
        cadre.page.get_by_text("还需回答 1 题:与上期相比,您的工作负担:").wait_for(timeout=30000)
        cadre.shot("changed-2-left-to-answer")
        cadre.page.reload()  # a reload (or a closed tab): the draft opens where the cadre was
        notice = cadre.page.get_by_text("的草稿,续填“总体感受”。")
        notice.wait_for(timeout=30000)
        settle(cadre.page)
        assert notice.bounding_box()["height"] < 30, notice.bounding_box()  # one line at 375 px
        assert cadre.page.get_by_label(
            "本月参加上级召开或要求参加的会议(含视频会、调度会)共几次?(次) *").count() == 0
        cadre.shot("changed-2b-after-reload")
        # the last missing answer goes straight to the confirmation: no "检查答案" tap
        cadre.tap(cadre.page.get_by_role("radiogroup", name="与上期相比,您的工作负担: *")
                  .get_by_text("有所加重", exact=True))
        cadre.page.get_by_text("2 项有变化:参加会议次数、负担变化感知").wait_for(timeout=30000)
        assert cadre.visible_without_scrolling("提交")
        cadre.shot("changed-3-confirm")
        cadre.button("提交")
        cadre.page.get_by_text("已提交,谢谢!").wait_for(timeout=30000)
        cadre.shot("changed-4-receipt")
        assert cadre.taps <= 3, cadre.taps  # the issue allows 4; fail if it grows again
        report.append(("one value changed", cadre.taps, loaded, cadre.times))
        browser.close()

    for name, taps, loaded, times in report:
        print(f"{name}: {taps} taps; link opened in {loaded:.1f} s; per tap (click to "
              f"settled) " + ", ".join(f"{t:.2f}" for t in times) + " s")
    log = db_path.with_suffix(".server.log").read_text(errors="replace")
    assert "will be removed" not in log  # no deprecated st.components.v1.html on the form
    if os.environ.get("SHOTS"):
        shutil.copytree(tmp_path, os.environ["SHOTS"], dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.duckdb*", "*.log", "*.key"))
    with Store(store_target, KEY) as after:  # the DuckDB file or the PostgreSQL database
        unchanged = after.kept(respondents[0], monthly.id, period)[1]
        changed = after.kept(respondents[1], monthly.id, period)[1]
        flows = after.query("SELECT confirmed_unchanged FROM form_flow")
    assert unchanged == complete_answers(meetings=32, burden_change="3")
    assert changed == complete_answers(meetings=45, burden_change="4")
    assert sorted(flows) == [(False,), (True,)]


CADRES = 6


def test_submit_tapped_at_once_after_nothing_changed(store, store_target, monthly, db_path):
    """A cadre taps 提交 the moment it shows after "与上期相同,一键确认" (no pause): before the
    fix the tap could arrive with the previous screen's number fields, whose stale values
    emptied 3 answers and sent the cadre back to section 1 (3 of 8 cadres in the report).
    Now every cadre gets a receipt and the kept answers are last month's."""
    chromium = require_chromium()
    period = store.open_periods(monthly)[0]
    last = periods.previous("month", period)
    codes = store.issue_codes(VILLAGE.point_id, CADRES)
    for i, code in enumerate(codes):
        store.submit(store.respondent(code), monthly, last, complete_answers(meetings=30 + i),
                     f"last-{i}")
    respondents = [store.respondent(code) for code in codes]
    store.close()
    env = {"SURVEY_DB": str(db_path), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0"}
    outcomes = []
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for code in codes:
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                          locale="zh-CN")
            page = context.new_page()
            page.goto(f"{url}/?code={code}")
            page.get_by_role("button", name="与上期相同,一键确认").click(timeout=60000)
            # the moment 提交 is visible and enabled (Playwright's actionability), no settling
            page.get_by_role("button", name="提交", exact=True).click(timeout=30000)
            done = page.get_by_text("已提交,谢谢!")
            lost = page.get_by_text("请填写此项")
            done.or_(lost).first.wait_for(timeout=30000)
            settle(page)
            text = page.locator("[data-testid=stMain]").inner_text()
            outcomes.append("receipt" if done.is_visible() else
                            f"section: {text[text.find('已答'):][:12]!r}" if "已答" in text
                            else text[:200])
            context.close()
        browser.close()
    assert outcomes == ["receipt"] * CADRES, outcomes
    with Store(store_target, KEY) as after:
        kept = [after.kept(r, monthly.id, period) for r in respondents]
    # last month's answers (the burden question implied by an unchanged month: "3", no change)
    assert [k[1] for k in kept] == [complete_answers(meetings=30 + i, burden_change="3")
                                    for i in range(CADRES)]
    assert all(k[0].revision == 1 for k in kept)


def test_the_period_picker_follows_a_language_switch(store, monthly, db_path):
    """The browser kept the old label of the chosen period: "2026-11 (本期)" in English."""
    chromium = require_chromium()
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    period = store.open_periods(monthly)[0]
    store.close()
    env = {"SURVEY_DB": str(db_path), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0"}
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 800},
                                   locale="zh-CN").new_page()
        page.goto(f"{url}/?code={code}")
        page.wait_for_selector("[data-testid=stNumberInput]", timeout=60000)
        settle(page)
        page.locator("[data-testid=stSidebar]").get_by_text("English").click()
        page.get_by_text("Period", exact=True).wait_for(timeout=30000)
        settle(page)
        shown = page.locator("[data-testid=stSelectbox] input").first.input_value()
        browser.close()
    assert shown == f"{period} (current)"


def test_leaving_while_an_answer_is_on_its_way_asks_first(store, monthly, db_path):
    """A number typed and not yet committed, or committed and not yet run by the server (a
    second on a loaded server): a reload lost it (CI, issue 19). Now the browser asks before
    leaving ("Leave site?"); staying keeps it on screen and it is saved; once saved, a reload
    asks nothing and shows it. A number left in its field when the page is hidden (the cadre
    switched apps) is committed then."""
    chromium = require_chromium()
    period = store.open_periods(monthly)[0]
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    store.submit(store.respondent(code), monthly, periods.previous("month", period),
                 complete_answers(meetings=30), "last")
    store.close()
    env = {"SURVEY_DB": str(db_path), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0"}
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        cadre, _ = open_phone(browser, url, code, None)
        page = cadre.page
        asked = []
        page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
        box = page.get_by_role("spinbutton").first
        box.fill("37")  # typed, the field still focused
        page.evaluate("() => location.reload()")  # the cadre reloads; the browser asks; stays
        assert asked == ["beforeunload"]
        assert box.input_value() == "37"
        box.press("Enter")
        settle(page)  # until the server has run the change (the page's own account)
        page.reload()  # nothing unsaved: no question
        page.wait_for_selector("[data-testid=stNumberInput]", timeout=60000)
        settle(page)
        assert asked == ["beforeunload"]
        assert page.get_by_role("spinbutton").first.input_value() == "37"
        # the cadre types and switches to WeChat, the cursor still in the field: committed
        # when the page is hidden (the phone may discard the tab later)
        page.get_by_role("spinbutton").first.fill("38")
        page.evaluate("() => { Object.defineProperty(document, 'visibilityState', "
                      "{value: 'hidden', configurable: true}); "
                      "document.dispatchEvent(new Event('visibilitychange')); }")
        page.wait_for_function("() => !window.__surveyUnsaved()", timeout=30000)
        page.reload()
        page.wait_for_selector("[data-testid=stNumberInput]", timeout=60000)
        settle(page)
        assert asked == ["beforeunload"]
        assert page.get_by_role("spinbutton").first.input_value() == "38"
        browser.close()
