"""One-time passwords expire: the first admin's (printed on the console at first start) and any
an admin sets on a reset stop working after SURVEY_ONE_TIME_HOURS (72 h by default), and the
sign-in page says so, in the viewer's language, with how to get a new one."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from survey import signin, throttle
from survey.bootstrap import start
from survey.cli import main as cli
from survey.config import resolve
from survey.store import Store
from tests.conftest import KEY, ROOT

ONE_TIME = "Temporary-Pass-4821"
OWN = "My-Own-Password-77"


def _age(store: Store, username: str, hours: float) -> None:
    """The password was set `hours` ago (what a wait of that long leaves in the database)."""
    when = dt.datetime.now().replace(microsecond=0) - dt.timedelta(hours=hours)
    store._write(lambda cur: cur.execute("UPDATE password_set SET set_at = ? WHERE username = ?",
                                         [when, username]))


def _sign_in(store, password: str, hours: float = 72.0, username: str = "li"):
    return signin.staff_sign_in(store, throttle.Limits(), username, password, "127.0.0.1",
                                one_time_hours=hours)


@pytest.fixture
def leader(store):
    store.create_account("li", "李县长", "leader", ("江北市", "清河县"), ONE_TIME, "test",
                         must_change=True)
    return store


def test_a_one_time_password_works_until_it_expires(leader):
    _age(leader, "li", 71)
    assert _sign_in(leader, ONE_TIME).ok
    _age(leader, "li", 73)
    expired = _sign_in(leader, ONE_TIME)
    assert not expired.ok and expired.token is None and expired.reason == "expired"
    assert "python -m survey admin reset-password li" in expired.problem.text("en")
    assert "72 hours" in expired.problem.text("en")
    assert "一次性密码已过期" in expired.problem.text("zh")
    assert "python -m survey admin reset-password li" in expired.problem.text("zh")
    assert [row[1] for row in leader.audit_log(action="login_expired")] == ["li"]
    # a wrong password is a wrong password: it does not learn that the account has one
    assert _sign_in(leader, "Not-The-Password-1").reason == "failed"
    # the operator's setting decides
    assert _sign_in(leader, ONE_TIME, hours=100).ok


def test_a_reset_starts_a_new_clock_and_an_own_password_never_expires(leader):
    _age(leader, "li", 500)
    assert _sign_in(leader, ONE_TIME).reason == "expired"
    leader.set_password("li", "Fresh-One-Time-93", "admin", must_change=True)
    assert _sign_in(leader, "Fresh-One-Time-93").ok
    leader.set_password("li", OWN, "li", must_change=False)
    _age(leader, "li", 10_000)
    assert _sign_in(leader, OWN).ok


def test_accounts_from_before_the_upgrade_count_from_the_upgrade(leader):
    """An account whose one-time password was set by an earlier release (no password_set row)
    gets the full validity from the migration that brought expiry, not an instant lock-out."""
    leader._write(lambda cur: cur.execute("DELETE FROM password_set WHERE username = 'li'"))

    def upgraded(hours_ago: float):
        when = dt.datetime.now().replace(microsecond=0) - dt.timedelta(hours=hours_ago)
        leader._write(lambda cur: cur.execute(
            "UPDATE schema_migrations SET applied_at = ? WHERE version = 15", [when]))
    upgraded(1)
    assert _sign_in(leader, ONE_TIME).ok
    upgraded(80)
    assert _sign_in(leader, ONE_TIME).reason == "expired"
    assert leader.one_time_expires_at("li") is not None
    leader.set_password("li", OWN, "li", must_change=False)
    assert leader.one_time_expires_at("li") is None


def test_first_admin_and_cli_say_how_long_and_the_cli_gives_a_new_one(tmp_path, monkeypatch,
                                                                      capsys):
    db = tmp_path / "first.duckdb"
    env = {"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0",
           "SURVEY_ONE_TIME_HOURS": "24"}
    startup = start(resolve(env))
    printed = capsys.readouterr().out
    assert "valid for 24 hours" in printed and "admin reset-password admin" in printed
    _age(startup.store, "admin", 25)
    assert _sign_in(startup.store, startup.first_admin_password, 24, "admin").reason == "expired"
    startup.store.close()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli(["admin", "reset-password", "admin"]) == 0
    out = capsys.readouterr().out
    assert "valid for 24 hours" in out
    new = out.split("one-time password ")[1].split()[0]
    with Store(db, KEY) as store:
        assert _sign_in(store, new, 24, "admin").ok
    monkeypatch.setenv("SURVEY_ONE_TIME_HOURS", "0.01")   # below the floor: said, not silent
    assert cli(["admin", "reset-password", "admin"]) == 0
    assert "valid for 1 hour; SURVEY_ONE_TIME_HOURS below 1 is raised to 1" in \
        capsys.readouterr().out


@pytest.mark.parametrize("lang, expected", [
    ("zh", "“admin”的一次性密码已过期(一次性密码 72 小时内有效)。请管理员在“账号”页面重置密码,"
           "或在服务器上运行:python -m survey admin reset-password admin"),
    ("en", "The one-time password of 'admin' has expired (one-time passwords are valid for 72 "
           "hours). Ask an administrator to reset your password (Accounts page), or on the "
           "server run: python -m survey admin reset-password admin")])
def test_the_sign_in_page_says_it_expired_and_what_to_do(tmp_path, monkeypatch, lang, expected):
    db = tmp_path / "first.duckdb"
    monkeypatch.setenv("SURVEY_DB", str(db))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    startup = start(resolve())
    _age(startup.store, "admin", 73)
    one_time = startup.first_admin_password
    startup.store.close()
    at = AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.switch_page("app_pages/login.py").run()
    at.text_input[0].input("admin")
    at.text_input[1].input(one_time)
    at.button[0].click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [expected]
    assert "staff_token" not in at.session_state
