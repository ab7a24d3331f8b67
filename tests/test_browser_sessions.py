"""Sessions in a real browser: staff stay signed in across reloads and tabs until they sign out
anywhere; a cadre's QR link leaves no code in the address bar or history and a reload keeps the
form; start-up happens when the server starts."""

import re
import time
import urllib.request

import pytest

from survey.bootstrap import start
from survey.config import resolve
from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle
from tests.conftest import KEY, STAFF_PASSWORD, add_staff

playwright = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def demo_env(tmp_path):
    env = {"SURVEY_DB": str(tmp_path / "demo.duckdb"), "SURVEY_CODE_KEY": KEY.decode(),
           "SURVEY_SNAPSHOT_MINUTES": "0"}
    store = start(resolve(env)).store
    add_staff(store, "boss", "admin")
    code = store.demo_codes()[0][0]  # a respondent with last period's answers to carry
    store.close()
    return env, code


def signed_in(page) -> bool:
    return page.locator("input[type=password]").count() == 0 and \
        "退出登录" in page.locator("[data-testid=stSidebar]").inner_text()


def test_staff_stay_signed_in_across_reloads_and_tabs_until_signing_out(demo_env):
    env, _ = demo_env
    chromium = require_chromium()
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        first = context.new_page()
        first.goto(f"{url}/warnings")
        first.wait_for_selector("input[type=password]", timeout=30000)
        first.get_by_label("用户名").fill("boss")
        first.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
        first.get_by_role("button", name="登录").click()
        settle(first)
        first.get_by_text("退出登录").wait_for(timeout=30000)
        for _ in range(50):  # the cookie arrives through the page's fetch of /session/claim
            cookies = {c["name"]: c for c in context.cookies()}
            if "survey_staff" in cookies:
                break
            time.sleep(0.1)
        cookie = cookies["survey_staff"]
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
        assert first.evaluate("document.cookie").find("survey_staff") == -1  # not for scripts

        first.reload()
        first.get_by_text("退出登录").wait_for(timeout=30000)
        settle(first)
        assert signed_in(first) and "/warnings" in first.url

        second = context.new_page()  # a second tab, or a shared link opened in this browser
        second.goto(f"{url}/trends")
        second.get_by_text("退出登录").wait_for(timeout=30000)
        settle(second)
        assert signed_in(second)

        first.get_by_role("button", name="退出登录").click()
        settle(first)
        first.wait_for_selector("input[type=password]", timeout=30000)
        # The other tab is out at its next interaction, without a reload ...
        second.locator("[data-testid=stSidebar]").get_by_role("link", name="预警").click()
        second.wait_for_selector("input[type=password]", timeout=30000)
        # ... and a reload finds no session either.
        second.reload()
        second.wait_for_selector("input[type=password]", timeout=30000)
        assert not signed_in(second)
        browser.close()


def test_a_qr_link_leaves_no_code_behind_and_a_reload_keeps_the_form(demo_env):
    env, code = demo_env
    chromium = require_chromium()
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{url}/?code={code}")
        page.get_by_text("监测点:").wait_for(timeout=30000)
        settle(page)
        assert code not in page.url and "code=" not in page.url
        history = context.new_cdp_session(page).send("Page.getNavigationHistory")
        assert not [e for e in history["entries"] if code in e["url"]], history

        assert page.url == f"{url}/f"  # the printed sheet's link opens the light form
        page.get_by_role("button", name="下一步").first.click()  # on to part 2 (carried values)
        page.get_by_text(re.compile(r"第 2/\d+ 部分")).wait_for(timeout=30000)
        box = page.locator("main input[inputmode]").first
        box.fill("37")
        page.wait_for_timeout(2000)  # the page's script saves 1.5 s after typing stops
        page.wait_for_load_state("networkidle")
        section = page.get_by_text(re.compile(r"第 \d+/\d+ 部分")).first.inner_text()
        assert section.startswith("第 2/")

        page.reload()
        page.get_by_text("监测点:").wait_for(timeout=30000)
        settle(page)
        assert page.locator("main input[inputmode]").first.input_value() == "37"
        assert page.get_by_text(section).count() >= 1
        assert "code=" not in page.url

        # The next person scans a wrong or revoked code on this phone: never the last form.
        page.goto(f"{url}/?code=AAAA-BBBB")
        page.get_by_text("未找到该填报码").wait_for(timeout=30000)
        assert page.get_by_text("监测点:").count() == 0
        page.goto(f"{url}/?code={code}")  # the right code opens the form again
        page.get_by_text("监测点:").wait_for(timeout=30000)
        settle(page)

        page.get_by_role("button", name="退出").click()  # a shared office PC: leave
        settle(page)
        page.get_by_label("填报码").wait_for(timeout=30000)
        page.reload()
        page.get_by_label("填报码").wait_for(timeout=30000)  # the next person starts over
        browser.close()


def test_start_up_work_happens_when_the_server_starts(tmp_path):
    """The one-time password is on the console before any browser visits; /healthz answers."""
    env = {"SURVEY_DB": str(tmp_path / "fresh.duckdb"), "SURVEY_CODE_KEY": KEY.decode(),
           "SURVEY_DEMO": "0", "SURVEY_SNAPSHOT_MINUTES": "0"}
    with running_app(env) as url:
        log = (tmp_path / "fresh.server.log")
        deadline = time.monotonic() + 20
        while "one-time password" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert re.search(r"one-time password \S{12,}", log.read_text())
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            assert response.status == 200 and b'"ok"' in response.read()
    assert (tmp_path / "fresh.duckdb").stat().st_mode & 0o077 == 0  # owner-only


def test_the_menu_closes_after_choosing_a_page_on_a_phone(demo_env):
    env, _ = demo_env
    chromium = require_chromium()
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 375, "height": 800}, has_touch=True,
                                   locale="zh-CN").new_page()
        page.goto(f"{url}/login")
        page.get_by_label("用户名").fill("boss")
        page.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
        page.get_by_role("button", name="登录").click()
        settle(page)
        sidebar = page.locator("[data-testid=stSidebar]")
        shown = "() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect()"
        page.locator("[data-testid=stExpandSidebarButton]").first.click()
        page.wait_for_function(shown + ".right > 200", timeout=10000)  # the menu is open
        sidebar.get_by_role("link", name="预警").click()
        page.wait_for_url(re.compile(r"/warnings"), timeout=10000)
        page.wait_for_function(shown + ".right <= 0", timeout=10000)  # and closes by itself
        browser.close()
