"""Single sign-on, the app's side (survey/sso.py, survey/signin.py sso_sign_in), on both
engines: which account a provider's ID token opens, once; what is refused and what is kept;
an office that requires single sign-on. The protocol itself runs in Chromium against a real
provider in tests/test_sso_browser.py."""

import time

import pytest
from streamlit.testing.v1 import AppTest

from survey import signin, sso, throttle
from survey.store import StoreError, sessions
from tests.conftest import ROOT, STAFF_PASSWORD, add_staff

EMAIL = "Li.Leader@Example.gov.cn"
_nonces = iter(range(10**6))


def claims(email=EMAIL, **more) -> dict:
    """An ID token's claims as st.user holds them after the provider's sign-in."""
    return {"iss": "https://sso.example.gov.cn", "sub": "u-1", "aud": ["survey"],
            "nonce": f"n{next(_nonces)}", "iat": int(time.time()), "email": email, **more}


def audit(store, action):
    return [(who, detail) for _, who, what, _, detail in store.audit_log() if what == action]


def test_the_account_of_the_providers_email_signs_in_once_with_its_role_and_no_password(store):
    # created by the admin with a one-time password, under the person's address in lower case
    store.create_account("li.leader@example.gov.cn", "李县长", "leader", ["江北市", "清河县"],
                         "one-time-pw-1234", "boss")
    token_claims = claims()
    outcome = signin.sso_sign_in(store, token_claims)
    assert outcome.ok and outcome.subject == "li.leader@example.gov.cn"
    found = sessions.lookup(store, outcome.token, sessions.STAFF, 1800)
    assert (found.subject, found.method) == ("li.leader@example.gov.cn", sessions.SSO)
    assert audit(store, "login") == [("li.leader@example.gov.cn",
                                      '{"method": "sso", "subject": "https://sso.example.gov.cn#u-1"}')]
    # The same ID token (Streamlit keeps it in a cookie for 30 days) opens nothing again ...
    assert signin.sso_sign_in(store, token_claims).reason == "stale"
    # ... nor does an old one.
    old = claims(iat=int(time.time()) - sso.FRESH_S - 5)
    assert signin.sso_sign_in(store, old).reason == "stale"
    assert len(audit(store, "login")) == 1


def test_an_unknown_address_is_refused_and_leaves_nothing_behind(store):
    sessions_before = store.query("SELECT count(*) FROM web_session")
    outcome = signin.sso_sign_in(store, claims("stranger@example.gov.cn"))
    assert not outcome.ok and outcome.reason == "unknown"
    assert store.query("SELECT count(*) FROM web_session") == sessions_before
    assert store.accounts_for_email("stranger@example.gov.cn") == []
    assert audit(store, "login_failed") == [("?", '{"method": "sso", "reason": "unknown"}')]
    everything = store.query("SELECT string_agg(actor || coalesce(target, '') || detail, ' ') "
                             "FROM audit_log")[0][0]
    assert "stranger" not in everything


def test_a_disabled_account_an_unverified_or_missing_address_are_refused(store):
    add_staff(store, EMAIL.lower(), "leader")
    store.update_account(EMAIL.lower(), "boss", disabled=True)
    assert signin.sso_sign_in(store, claims()).reason == "disabled"
    assert audit(store, "login_failed")[0][0] == EMAIL.lower()
    store.update_account(EMAIL.lower(), "boss", disabled=False)
    assert signin.sso_sign_in(store, claims(email_verified=False)).reason == "unverified"
    assert signin.sso_sign_in(store, claims(email=None)).reason == "no_email"
    assert signin.sso_sign_in(store, claims(email_verified=True)).ok


def test_user_names_are_unique_without_case(store):
    add_staff(store, "li@example.gov.cn", "leader")
    with pytest.raises(StoreError, match="li@example.gov.cn' is taken"):
        store.create_account("LI@example.gov.cn", "x", "leader", [], STAFF_PASSWORD, "boss")
    # ... so a password sign-in finds the account whatever the case (phones capitalise)
    found = signin.staff_sign_in(store, throttle.Limits(), "Li@Example.gov.cn", STAFF_PASSWORD,
                                 "10.0.0.1")
    assert found.ok and found.subject == "li@example.gov.cn"
    wrong = signin.staff_sign_in(store, throttle.Limits(), "li@example.gov.cn", "wrong", "10.0.0.1")
    assert wrong.reason == "failed"
    assert audit(store, "login_failed") == [("li@example.gov.cn", '{"method": "password"}')]


def test_a_claim_that_is_not_an_email_address_opens_no_account(store):
    """A provider that lets a person set their own "email" (a staff number, "admin") must not
    open the account of that user name: only an address is matched."""
    add_staff(store, "admin", "admin")
    add_staff(store, "boss", "admin")
    for value in ("admin", "ADMIN", "boss", "admin@", "@example.gov.cn", "a b@example.gov.cn",
                  "admin@localhost"):
        outcome = signin.sso_sign_in(store, claims(value))
        assert not outcome.ok and outcome.reason == "no_email", value
    assert not store.query("SELECT count(*) FROM web_session")[0][0]


def test_the_emergency_administrator_signs_in_with_a_password_only(store):
    add_staff(store, "it@example.gov.cn", "admin")
    sso.set_policy(store, True, "it@example.gov.cn", "it@example.gov.cn", provider_configured=True)
    outcome = signin.sso_sign_in(store, claims("IT@example.gov.cn"))
    assert not outcome.ok and outcome.reason == "break_glass"
    assert audit(store, "login_refused")[0] == (
        "it@example.gov.cn", '{"method": "sso", "reason": "break_glass", '
                             '"subject": "https://sso.example.gov.cn#u-1"}')
    assert signin.staff_sign_in(store, throttle.Limits(), "it@example.gov.cn", STAFF_PASSWORD,
                                "10.0.0.1").ok


def test_an_office_that_requires_single_sign_on_refuses_passwords_but_the_emergency_admins(store):
    add_staff(store, "boss", "admin")
    add_staff(store, EMAIL.lower(), "leader")
    limits = throttle.Limits()
    with pytest.raises(StoreError, match="not configured"):
        sso.set_policy(store, True, "boss", "boss", provider_configured=False)
    with pytest.raises(StoreError, match="enabled administrator"):
        sso.set_policy(store, True, EMAIL.lower(), "boss", provider_configured=True)
    assert not sso.policy(store).required
    sso.set_policy(store, True, "boss", "boss", provider_configured=True)
    assert sso.policy(store) == sso.Policy(True, "boss")
    refused = signin.staff_sign_in(store, limits, EMAIL.lower(), STAFF_PASSWORD, "10.0.0.1")
    assert not refused.ok and refused.reason == "sso_required"
    assert audit(store, "login_refused") == [
        (EMAIL.lower(), '{"method": "password", "reason": "sso_required"}')]
    emergency = signin.staff_sign_in(store, limits, "boss", STAFF_PASSWORD, "10.0.0.1")
    assert emergency.ok
    assert sessions.lookup(store, emergency.token, sessions.STAFF, 1800).method == "password"
    assert signin.sso_sign_in(store, claims()).ok
    assert ("boss", '{"sso_required": "1", "sso_break_glass": "boss"}') in \
        audit(store, "change_setting")
    sso.set_policy(store, False, None, "boss", provider_configured=False)  # always allowed
    assert signin.staff_sign_in(store, limits, EMAIL.lower(), STAFF_PASSWORD, "10.0.0.1").ok


def test_the_cli_requires_single_sign_on_and_makes_it_optional(tmp_path, monkeypatch, capsys):
    from survey import cli
    from survey.bootstrap import start
    from survey.config import resolve
    from tests.conftest import KEY
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "s.duckdb"))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    start(resolve()).store.close()
    monkeypatch.setattr("survey.config.read_secrets", lambda *a: {"auth": {"client_id": "x"}})
    assert cli.main(["sso", "require", "--break-glass", "admin"]) == 0
    assert "emergency administrator with a local password: admin" in capsys.readouterr().out
    assert cli.main(["admin", "create", "li", "--role", "leader"]) == 0
    assert "single sign-on is required" in capsys.readouterr().out
    assert cli.main(["sso", "require", "--break-glass", "li"]) == 2  # not an admin
    assert cli.main(["sso", "optional"]) == 0
    assert cli.main(["sso", "status"]) == 0
    assert "single sign-on optional" in capsys.readouterr().out


# -- the pages (AppTest), with sessions as the sign-in leaves them ----------------------------

@pytest.fixture
def app_store(tmp_path, monkeypatch):
    from survey.bootstrap import start
    from survey.config import resolve
    from tests.conftest import KEY
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "app.duckdb"))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    store = start(resolve()).store
    add_staff(store, "boss", "admin")
    store.create_account("li@example.gov.cn", "李县长", "leader", ["江北市"], "one-time-pw-1234",
                         "boss")  # must change it at a password sign-in
    return store


def open_page(store, username, method, page="trends") -> AppTest:
    at = AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60)
    at.session_state["staff_token"] = sessions.start(store, sessions.STAFF, username, 3600,
                                                     method=method)
    at.switch_page(f"app_pages/{page}.py")
    return at.run()


def page_text(at) -> str:
    return " ".join(str(x.value) for x in [*at.markdown, *at.warning, *at.info, *at.caption,
                                           *at.error, *at.success])


def test_a_one_time_password_account_signed_in_by_sso_is_not_asked_for_a_password(app_store):
    by_sso = open_page(app_store, "li@example.gov.cn", sessions.SSO)
    assert "一次性密码" not in page_text(by_sso) and not by_sso.exception
    assert by_sso.title[0].value != "工作人员登录"
    by_password = open_page(app_store, "li@example.gov.cn", sessions.PASSWORD)
    assert "这是一次性密码,请先设置新密码。" in page_text(by_password)
    login = open_page(app_store, "li@example.gov.cn", sessions.SSO, page="login")
    assert "无需本平台的密码" in page_text(login)
    assert not [x for x in login.text_input if "密码" in x.label]


def test_requiring_single_sign_on_ends_the_password_sessions_at_their_next_step(app_store):
    sso.set_policy(app_store, True, "boss", "boss", provider_configured=True)
    leader = open_page(app_store, "li@example.gov.cn", sessions.PASSWORD)
    assert "本单位已改为只允许单位账号登录" in page_text(leader)
    assert leader.title[0].value == "工作人员登录"
    emergency = open_page(app_store, "boss", sessions.PASSWORD)
    assert emergency.title[0].value != "工作人员登录"
    by_sso = open_page(app_store, "li@example.gov.cn", sessions.SSO)
    assert by_sso.title[0].value != "工作人员登录"
