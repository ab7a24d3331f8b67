"""Return for correction end to end in real Chromium: a county leader returns a report with a
reason, the cadre sees the reason on their phone and revises, and the leader's figure changes
only after the revision (never with the return)."""

import datetime as dt
import re
import time

import pytest

from survey import periods
from tests.browser_support import CHROMIUM_ARGS, light_tap, require_chromium, running_app, settle
from tests.conftest import KEY, STAFF_PASSWORD, VILLAGE, add_staff, complete_answers

playwright = pytest.importorskip("playwright.sync_api")
REASON = "表格 140 份?是否多写了一个 0,请核实。"


def leader_figure(page, url) -> str:
    """The leader's tile for forms filled (mean per cadre) on the trends page."""
    page.goto(f"{url}/trends")
    tile = page.get_by_test_id("stMetric").filter(has_text="填报报表份数").first
    tile.wait_for(timeout=60000)
    settle(page)
    return tile.get_by_test_id("stMetricValue").inner_text()


def test_leader_returns_cadre_revises_and_only_the_revision_moves_the_figure(store, monthly,
                                                                             db_path, tmp_path):
    chromium = require_chromium()
    period = periods.key_for("month", dt.date.today())
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    store.submit(store.respondent(code), monthly, period, complete_answers(forms=140),
                 client_token="first")
    add_staff(store, "li", "leader", ("江北市", "清河县"))
    store.close()
    env = {"SURVEY_DB": str(db_path), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0",
           "SURVEY_K": "1"}
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            leader = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
            leader.goto(f"{url}/reviews")
            leader.wait_for_selector("input[type=password]", timeout=30000)
            leader.get_by_label("用户名").fill("li")
            leader.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
            leader.get_by_role("button", name="登录").click()
            settle(leader)
            leader.get_by_text("退出登录").wait_for(timeout=30000)
            for _ in range(100):  # the session cookie arrives through the page's fetch
                if any(c["name"] == "survey_staff" for c in leader.context.cookies()):
                    break
                time.sleep(0.1)
            assert re.match(r"^140(\.0)?$", leader_figure(leader, url))

            # the return, with a reason (an empty one is refused with a message)
            leader.goto(f"{url}/reviews")
            leader.get_by_role("tab", name="退回一份填报").click()
            settle(leader)
            leader.get_by_role("button", name="退回更正").click()
            settle(leader)
            leader.get_by_text("请填写退回原因").first.wait_for(timeout=30000)
            leader.get_by_label("退回原因(必填,填报人会看到)").fill(REASON)
            leader.get_by_role("button", name="退回更正").dblclick()   # a double tap records once
            settle(leader)
            leader.get_by_text("已退回").first.wait_for(timeout=30000)
            settle(leader)
            assert leader.get_by_text("请填写退回原因").count() == 0
            assert leader.get_by_label("退回原因(必填,填报人会看到)").input_value() == REASON
            assert re.match(r"^140(\.0)?$", leader_figure(leader, url))   # the return moved nothing

            # the cadre opens the form on a phone: the reason is there; they revise
            cadre = browser.new_context(viewport={"width": 375, "height": 800}).new_page()
            cadre.goto(f"{url}/f?code={code}")
            cadre.get_by_text(REASON).wait_for(timeout=60000)
            cadre.get_by_text(f"{period} 期的填报被退回更正").wait_for(timeout=30000)
            cadre.screenshot(path=str(tmp_path / "return-notice.png"), full_page=True)
            light_tap(cadre, cadre.get_by_role("button", name="修改答案"))
            box = cadre.locator("#f-forms")
            for _ in range(6):      # through the parts until the forms question shows
                if box.count():
                    break
                light_tap(cadre, cadre.get_by_role("button", name="下一步", exact=True))
            assert box.input_value() == "140"                         # the answers are kept
            box.fill("14")
            cadre.wait_for_timeout(2000)   # the page's script saves the draft as the cadre types
            cadre.wait_for_load_state("networkidle")
            cadre.screenshot(path=str(tmp_path / "revising.png"), full_page=True)
            assert re.match(r"^140(\.0)?$", leader_figure(leader, url))  # an edit is not a figure
            for _ in range(8):
                if cadre.get_by_role("button", name="提交", exact=True).count():
                    break
                name = "检查答案" if cadre.get_by_role("button", name="检查答案").count() else "下一步"
                light_tap(cadre, cadre.get_by_role("button", name=name, exact=True))
            light_tap(cadre, cadre.get_by_role("button", name="提交", exact=True))
            cadre.get_by_text("已提交,谢谢!").wait_for(timeout=30000)
            assert "第 2 版" in cadre.locator("div.receipt").inner_text()
            # the notice above the form notices the revision by itself (no stale request)
            cadre.get_by_text("已收到您修改后的答案").wait_for(timeout=30000)
            assert cadre.get_by_text(REASON).count() == 0

            deadline = time.monotonic() + 30
            while not re.match(r"^14(\.0)?$", figure := leader_figure(leader, url)):
                assert time.monotonic() < deadline, figure
            leader.goto(f"{url}/reviews")
            leader.get_by_role("tab", name="退回记录").click()
            settle(leader)
            leader.screenshot(path=str(tmp_path / "returns.png"), full_page=True)
        finally:
            browser.close()
