"""Single sign-on end to end (issue 25): a real OpenID Connect provider (oidc-provider-mock) on
127.0.0.1, the real app with an [auth] block in a secrets file of its own, real Chromium.

A leader whose account the admin created under their e-mail address (with a one-time
password) clicks 使用单位账号登录, signs in at the provider, and lands on the trends of their
region without being asked for a password; an unknown address and a disabled account each get
their message; signing out ends the app's session and goes through the provider's end-session
page. Then the admin requires single sign-on on the accounts page: the leader's password is
refused, the emergency admin's is not. The audit log has it all, with the methods."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from survey.bootstrap import start
from survey.config import resolve
from survey.store import Store
from tests.browser_support import (CHROMIUM_ARGS, free_port, require_chromium, running_app,
                                   settle)
from tests.conftest import KEY, STAFF_PASSWORD, add_staff

playwright = pytest.importorskip("playwright.sync_api")
if importlib.util.find_spec("oidc_provider_mock") is None:  # requirements-dev.txt
    if os.environ.get("CI"):
        raise RuntimeError("oidc-provider-mock is missing: pip install -r requirements-dev.txt")
    pytest.skip("oidc-provider-mock is not installed", allow_module_level=True)

LEADER = "li.leader@example.gov.cn"
LEADER_OTP = "one-time-Pw-4711"  # what the admin handed over; never changed
RETIRED = "old.hand@example.gov.cn"


@contextlib.contextmanager
def provider(log_path: Path):
    """oidc-provider-mock, as an operator would start it: its own process on 127.0.0.1."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--host",
                                 "127.0.0.1", "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    with urllib.request.urlopen(url + "/.well-known/openid-configuration",
                                                timeout=2) as answer:
                        json.load(answer)
                        break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("the provider did not start: "
                                           + log_path.read_text(errors="replace")[-2000:])
                    time.sleep(0.2)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def write_secrets(path: Path, app_port: int, provider_url: str) -> Path:
    """The [auth] block of docs/access.md, for this provider and this app's address."""
    path.write_text(f"""[auth]
redirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"
cookie_secret = "test-cookie-secret-{KEY.decode()}"
client_id = "survey-platform"
client_secret = "test-client-secret"
server_metadata_url = "{provider_url}/.well-known/openid-configuration"
""", encoding="utf-8")
    return path


@contextlib.contextmanager
def sso_deployment(tmp_path: Path):
    """The real app and a real provider; the database: demo data, an admin with a password,
    the leader created as an admin creates accounts (one-time password), a disabled account."""
    env = {"SURVEY_DB": str(tmp_path / "sso.duckdb"), "SURVEY_CODE_KEY": KEY.decode(),
           "SURVEY_SNAPSHOT_MINUTES": "0"}
    store = start(resolve(env)).store
    add_staff(store, "boss", "admin")
    store.create_account(LEADER, "李县长", "leader", ["江北市", "清河县"], LEADER_OTP, "boss")
    add_staff(store, RETIRED, "leader", ["南山市"])
    store.update_account(RETIRED, "boss", disabled=True)
    store.close()
    with provider(tmp_path / "provider.log") as provider_url:
        port = free_port()  # (once the provider holds its own)
        secrets = write_secrets(tmp_path / "secrets.toml", port, provider_url)
        with running_app(env, port=port, args=("--secrets.files", str(secrets))) as url:
            yield url, env


def sign_in_at_provider(page, url: str, email: str, lang: str = "zh") -> None:
    """使用单位账号登录 on the sign-in page, then the provider's own sign-in form."""
    page.goto(f"{url}/login" + ("?lang=en" if lang == "en" else ""))
    page.get_by_role("button", name={"zh": "使用单位账号登录",
                                     "en": "Sign in with your organisation account"}[lang]).click()
    page.wait_for_selector("input[name=sub]", timeout=30000)  # the provider's page
    page.fill("input[name=sub]", email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{url}/**", timeout=30000)
    page.wait_for_selector("[data-testid=stApp]", timeout=30000)
    settle(page)


def text(page) -> str:
    return page.locator("[data-testid=stApp]").inner_text()


def test_staff_sign_in_with_their_organisation_account(tmp_path):
    chromium = require_chromium()
    with sso_deployment(tmp_path) as (url, env), playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        # The leader, in another case than the admin typed the address.
        sign_in_at_provider(page, url, "Li.Leader@Example.gov.cn")
        page.get_by_text("退出登录").wait_for(timeout=30000)
        page.get_by_role("heading", name="减负趋势").wait_for(timeout=30000)
        settle(page)
        assert urlsplit(page.url).path == "/trends"
        shown = text(page)
        assert page.locator("input[type=password]").count() == 0
        assert "一次性密码" not in shown and "已登录:李县长(领导)" in shown
        assert "清河县" in shown and "南山市" not in shown and "平安县" not in shown
        page.reload()  # the app's own session cookie keeps them signed in
        page.get_by_role("heading", name="减负趋势").wait_for(timeout=30000)

        # Signing out ends the app's session and goes through the provider's end-session page.
        page.get_by_role("button", name="退出登录").click()
        page.get_by_role("button", name="End session").click(timeout=30000)
        page.wait_for_url(f"{url}/**", timeout=30000)
        page.goto(f"{url}/trends")
        page.wait_for_selector("input[type=password]", timeout=30000)
        assert "退出登录" not in text(page)
        assert not [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]

        # An address without an account, and a disabled account: told why, and whom to ask.
        sign_in_at_provider(page, url, "stranger@example.gov.cn")
        page.get_by_text("在本平台还没有账号").wait_for(timeout=30000)
        assert "请联系本平台的管理员" in text(page) and "退出登录" not in text(page)
        # ... and the refused sign-in is not kept for the next person at this computer
        for _ in range(60):
            if not [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]:
                break
            page.wait_for_timeout(250)
        assert not [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]

        # A callback that signs nobody in (replayed, broken, refused at the provider): the
        # sign-in page says so, not the respondents' form.
        page.goto(f"{url}/oauth2callback?code=forged&state=forged")
        page.get_by_text("单位账号登录没有完成").wait_for(timeout=30000)
        assert urlsplit(page.url).path == "/login"
        # (in English: the page keeps its language across the provider's round trip)
        sign_in_at_provider(page, url, RETIRED, lang="en")
        # (the address is shown as text: a word joiner before "@" keeps it from becoming a link)
        page.get_by_text("is disabled and cannot sign in").wait_for(timeout=30000)
        assert f"The account {RETIRED} is disabled" in text(page).replace("\u2060", "")
        assert "Sign out" not in text(page)

        # The admin (password) requires single sign-on, keeping themself as emergency admin.
        admin = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        admin.goto(f"{url}/admin_accounts")
        admin.get_by_label("用户名").fill("boss")
        admin.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
        admin.get_by_role("button", name="登录", exact=True).click()
        admin.get_by_text("要求工作人员使用单位账号登录").wait_for(timeout=30000)
        settle(admin)
        admin.get_by_text("要求工作人员使用单位账号登录").click()
        admin.get_by_role("button", name="保存", exact=True).last.click()
        admin.get_by_text("已保存。").wait_for(timeout=30000)

        # The leader's (one-time) password is refused; the emergency admin's is not.
        page.goto(f"{url}/login?lang=zh")
        page.get_by_text("应急管理员用本平台密码登录").click()
        page.get_by_label("用户名").fill(LEADER)
        page.get_by_label("密码", exact=True).fill(LEADER_OTP)
        page.get_by_role("button", name="登录", exact=True).click()
        page.get_by_text("本单位要求使用单位账号登录,本平台的密码已停用").wait_for(timeout=30000)
        assert page.locator("input[type=password]").count() == 1
        page.get_by_label("用户名").fill("boss")
        page.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
        page.get_by_role("button", name="登录", exact=True).click()
        page.get_by_role("button", name="退出登录").click(timeout=30000)  # signed in, and out
        page.get_by_role("button", name="使用单位账号登录").wait_for(timeout=30000)
        sign_in_at_provider(page, url, LEADER)  # single sign-on still works
        page.get_by_role("heading", name="减负趋势").wait_for(timeout=30000)
        browser.close()

    with Store(env["SURVEY_DB"], KEY) as store:  # the app has stopped
        audit = [(who, what, json.loads(detail or "{}"))
                 for _, who, what, _, detail in store.audit_log(limit=1000)]
    assert [detail for who, what, detail in audit if (who, what) == (LEADER, "login")][0][
        "method"] == "sso"
    assert (LEADER, "logout", {"method": "sso"}) in audit
    assert ("?", "login_failed", {"method": "sso", "reason": "unknown"}) in audit
    assert (RETIRED, "login_failed", {"method": "sso", "reason": "disabled"}) in audit
    assert (LEADER, "login_refused", {"method": "password", "reason": "sso_required"}) in audit
    assert ("boss", "change_setting", {"sso_required": "1", "sso_break_glass": "boss"}) in audit
    assert [(what, detail) for who, what, detail in audit if who == "boss"][:2] == [
        ("logout", {"method": "password"}), ("login", {"method": "password"})]  # emergency admin
    assert not any("stranger" in str(entry) for entry in audit)
