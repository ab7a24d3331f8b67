"""Tabbed pages keep their place (issue 29), in real Chromium: a staff member signs in on the
page and at once acts in a tab other than the first (upload, generate, reset, return, add);
afterwards that tab and its result are still on screen. The run right after a sign-in used to
draw the cookie hand-off above the page, once, so the next run drew the tabs anew on the first
one and the result (codes shown only once, a one-time password, an import preview) was out of
sight. One server (shared with the hostile-text sweep) and one browser; a new browser context
(no cookies) per sign-in."""

from __future__ import annotations

import pytest

from tests.browser_support import settle
from tests.hostile_support import chromium, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(scope="module")
def app(hostile_app):
    """The server of tests/hostile_support.py (these pages hold hostile text too), a browser."""
    with chromium() as browser:
        yield {**hostile_app, "browser": browser}


def signed_in_on(app, path: str, width: int = 1280):
    """A new browser (no cookies) opens the page and signs in there as an admin."""
    context = app["browser"].new_context(viewport={"width": width, "height": 1000},
                                         locale="zh-CN")
    page = context.new_page()
    sign_in(page, app["url"] + path)
    return page


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    settle(page)


def selected_tab(page) -> str:
    return page.locator("[role=tab][aria-selected=true]").first.inner_text().strip()


def visible(page, text: str) -> bool:
    """The text is on screen (in the selected tab), not only in a hidden one."""
    return page.get_by_text(text, exact=False).first.is_visible()


def test_points_import_after_signing_in_keeps_the_tab_the_preview_and_the_lists(app):
    page = signed_in_on(app, "/admin_points")
    open_tab(page, "导入导出")
    csv = app["tmp"] / "new_points.csv"
    csv.write_text("point_id,name,level,kind,prefecture,county,township,active\n"
                   "NEW-TAB-1,新导入村,village,village,江北市,清河县,城关镇,1\n", encoding="utf-8")
    page.locator("[data-testid=stFileUploaderDropzoneInput]").set_input_files(str(csv))
    settle(page, 1.0)
    assert selected_tab(page) == "导入导出"
    page.get_by_role("button", name="确认导入").wait_for(state="visible", timeout=20000)
    assert visible(page, "将新增 1 个、更新 0 个监测点。")

    page.get_by_role("button", name="确认导入").click()
    settle(page, 0.5)
    assert selected_tab(page) == "导入导出"
    page.get_by_text("已新增 1 个,更新 0 个。").wait_for(state="visible", timeout=20000)
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)  # not twice by mistake

    open_tab(page, "填报码")  # lists the point imported a moment ago, without a reload
    picker = page.get_by_role("combobox", name="监测点", exact=True)
    picker.click()
    picker.fill("新导入村")
    page.get_by_role("option", name="新导入村", exact=False).first.wait_for(timeout=10000)
    page.keyboard.press("Escape")

    page.locator("[data-testid=stSidebar]").get_by_text("English").click()  # a language switch
    settle(page)
    assert selected_tab(page) == "Codes"  # the same tab, in the other language
    page.context.close()


def test_codes_issued_at_once_after_signing_in_stay_in_view(app):
    page = signed_in_on(app, "/admin_points")
    open_tab(page, "填报码")
    page.get_by_role("button", name="生成填报码").click()
    settle(page)
    assert selected_tab(page) == "填报码"
    codes = page.locator("[data-testid=stCode]").first
    codes.wait_for(state="visible", timeout=20000)
    issued = codes.inner_text().split()
    assert len(issued) == 10
    open_tab(page, "列表")  # looking elsewhere on the page and back: still there
    open_tab(page, "填报码")
    assert page.locator("[data-testid=stCode]").first.inner_text().split() == issued
    page.get_by_role("button", name="已保存,不再显示").click()
    settle(page)
    expect(page.locator("[data-testid=stCode]")).to_have_count(0)

    page.get_by_role("button", name="生成填报码").click()  # shown until the page is left
    settle(page)
    assert len(page.locator("[data-testid=stCode]").first.inner_text().split()) == 10
    sidebar = page.locator("[data-testid=stSidebar]")
    sidebar.get_by_role("link", name="账号").click()
    settle(page)
    sidebar.get_by_role("link", name="监测点与填报码").click()
    settle(page)
    open_tab(page, "填报码")
    page.get_by_role("button", name="生成填报码").wait_for(state="visible")
    expect(page.locator("[data-testid=stCode]")).to_have_count(0)  # not kept for the next visit
    page.context.close()


def test_a_password_reset_at_once_after_signing_in_stays_in_view(app):
    page = signed_in_on(app, "/admin_accounts")
    open_tab(page, "修改")
    page.get_by_role("combobox", name="账号", exact=True).click()
    page.get_by_role("option", name="li", exact=True).click()
    settle(page)
    assert page.get_by_role("button", name="重置密码").is_disabled()  # asks first
    page.get_by_text("确认重置 li 的密码").click()
    settle(page)
    page.get_by_role("button", name="重置密码").click()
    settle(page)
    assert selected_tab(page) == "修改"
    page.get_by_text("li 的一次性密码(只显示这一次,72 小时内有效):").wait_for(state="visible", timeout=20000)
    password = page.locator("[data-testid=stCode]").first.inner_text().strip()
    assert len(password) >= 12
    open_tab(page, "新建")  # another tab and back: the password is still there to pass on
    open_tab(page, "修改")
    assert page.locator("[data-testid=stCode]").first.inner_text().strip() == password
    page.context.close()


def test_a_return_at_once_after_signing_in_stays_in_view(app):
    page = signed_in_on(app, "/reviews")
    open_tab(page, "退回一份填报")
    return_tab = page.get_by_role("tabpanel")
    return_tab.get_by_role("combobox", name="问卷", exact=True).click()
    page.get_by_role("option", name="基层减负监测月报").click()
    settle(page)
    return_tab.get_by_role("combobox", name="填报期", exact=True).click()
    page.get_by_role("option", name=app["period"], exact=True).click()  # reported last month
    settle(page)
    page.get_by_label("退回原因(必填,填报人会看到)").fill("会议次数与上月差别较大,请核实。")
    page.get_by_role("button", name="退回更正").click()
    settle(page)
    assert selected_tab(page) == "退回一份填报"
    page.get_by_text("已退回,填报人下次打开填报页时会看到原因。").wait_for(state="visible",
                                                                timeout=20000)
    page.context.close()


def test_a_robot_added_at_once_after_signing_in_stays_in_view(app):
    page = signed_in_on(app, "/reminders")
    open_tab(page, "群机器人")
    page.get_by_label("群名称").fill("清河县减负工作群")
    page.get_by_label("推送地址(机器人设置中复制)").fill(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=0000")
    page.get_by_role("button", name="添加").click()
    settle(page)
    assert selected_tab(page) == "群机器人"
    page.get_by_text("已添加。").wait_for(state="visible", timeout=20000)
    page.context.close()


def test_the_rounds_level_view_keeps_its_tab(app):
    page = signed_in_on(app, "/rounds")
    open_tab(page, "按层级汇总")
    page.get_by_role("radiogroup", name="层级").get_by_text("乡镇", exact=True).click()
    settle(page)
    assert selected_tab(page) == "按层级汇总"
    page.context.close()


def test_a_follow_up_keeps_its_tab_and_answer(app):
    """The public page: someone checks a receipt in the second tab."""
    context = app["browser"].new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{app['url']}/clue?point={app['village'].point_id}")
    page.wait_for_selector("textarea", timeout=30000)
    settle(page)
    page.get_by_label("单位名称").fill("县应急管理局")
    page.get_by_label("具体情况").fill("一个月来了四拨检查")
    page.get_by_role("button", name="提交").click()
    settle(page)
    receipt = page.locator("[data-testid=stCode]").first.inner_text().strip()
    open_tab(page, "查询进度")
    box = page.get_by_label("回执码")
    box.fill(receipt)
    box.press("Enter")
    settle(page)
    assert selected_tab(page) == "查询进度"
    page.get_by_text("当前状态:新线索").wait_for(state="visible", timeout=20000)
    context.close()
