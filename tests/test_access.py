"""Who may see and do what: the role matrix, regional scope, codes, lockout, secrets."""

import datetime as dt
import io
import subprocess
import time

import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from survey import access, briefing, periods, trends
from survey.bootstrap import start
from survey.config import resolve
from survey.leader_config import load_rules
from survey.metrics import Filter
from survey.store import CodeError, Respondent
from tests.conftest import (KEY, ROOT, SCHOOL, STAFF_PASSWORD, VILLAGE, add_staff, as_user,
                            complete_answers)

APP = str(ROOT / "survey_app.py")
SCRIPTS = {"home": "app_pages/home.py", "login": "app_pages/login.py",
           "clue": "app_pages/clue.py", "rate": "app_pages/rate.py",
           "problems": "app_pages/problems.py",
           "trends": "app_pages/trends.py", "warnings": "app_pages/warnings.py",
           "responses": "app_pages/responses.py", "briefing": "app_pages/briefing.py",
           "sql": "app_pages/sql.py", "admin_points": "app_pages/admin_points.py",
           "admin_questionnaires": "app_pages/questionnaires.py",
           "admin_accounts": "app_pages/admin_accounts.py", "audit": "app_pages/audit.py",
           "rounds": "app_pages/rounds.py", "reviews": "app_pages/reviews.py",
           "reminders": "app_pages/reminders.py", "holidays": "app_pages/holidays.py",
           "admin_history": "app_pages/admin_history.py",
           "admin_operations": "app_pages/admin_operations.py",
           "admin_bodies": "app_pages/admin_bodies.py", "admin_plans": "app_pages/admin_plans.py",
           "admin_duties": "app_pages/admin_duties.py", "sources": "app_pages/sources.py"}
COUNTY = ("江北市", "清河县")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("access") / "demo.duckdb"
    store = start(resolve({"SURVEY_DB": str(path), "SURVEY_CODE_KEY": KEY.decode()})).store
    add_staff(store, "boss", "admin")
    add_staff(store, "county", "leader", COUNTY)
    add_staff(store, "ana", "analyst")
    yield path, store
    store.close()


@pytest.fixture
def app_env(demo, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(demo[0]))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    return demo[1]


def open_as(user, page: str, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if user:
        as_user(at, user)
    for key, value in params.items():
        at.query_params[key] = value
    at.switch_page(SCRIPTS[page]).run()
    assert not at.exception, at.exception
    return at


def shows_login(at) -> bool:
    return any(t.value == "工作人员登录" for t in at.title) and any(
        x.label == "密码" for x in at.text_input)


@pytest.mark.parametrize("user", [None, "boss", "county", "ana"])
def test_role_matrix(app_env, user):
    role = app_env.account(user).role if user else None
    for page, script in SCRIPTS.items():
        at = open_as(user, page)
        allowed = access.may(app_env.account(user) if user else None, page)
        if allowed:
            assert not shows_login(at) or page == "login", (user, page)
            assert not any(e.value == "您没有权限查看此页面。" for e in at.error), (user, page)
        elif user is None:
            assert shows_login(at), page  # signed out: the sign-in form, nothing else
            assert not at.metric and not at.dataframe, page
        else:
            assert [e.value for e in at.error] == ["您没有权限查看此页面。"], (user, page)
            assert not at.metric and not at.dataframe, (user, page)
        menu = {link.label for link in at.get("page_link")}
        # rating opens from a point's QR code, not the menu; staff pass through the front page
        expected = {p for p in SCRIPTS if access.may(app_env.account(user) if user else None, p)
                    and p != "rate" and not (p == "home" and user)}
        assert len(menu) == len(expected), (role, menu)


@pytest.mark.parametrize("user,home", [(None, "home"), ("boss", "trends"),
                                       ("county", "trends"), ("ana", "sql")])
def test_a_sign_in_continues_on_the_roles_own_first_page(app_env, user, home):
    """Staff continue on their work after signing in, not on the public's 反映问题 page."""
    at = AppTest.from_file(APP, default_timeout=60)
    if user:
        as_user(at, user)
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["home_script"] == SCRIPTS[home]
    assert not any(t.value == "反映形式主义问题" for t in at.title)


def test_the_front_page_sends_staff_on_and_shows_anyone_else_the_form_and_sign_in(app_env):
    """Browsers without a staff session never see it (the server sends them to /f: tests/
    test_code_links.py); one whose session ended finds the way to the form and to sign in."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    assert any('<a href="/f">填报</a>' in h.proto.body for h in at.get("html"))
    assert "工作人员登录" in [link.label for link in at.main.get("page_link")]
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    assert any('<a href="/f?lang=en">Fill in</a>' in h.proto.body for h in at.run().get("html"))
    signed_in = as_user(AppTest.from_file(APP, default_timeout=60), "ana").run()
    assert not signed_in.exception and signed_in.title[0].value != "基层减负监测"
    assert signed_in.session_state["home_script"] == "app_pages/sql.py"
    assert not any('<a href="/f">' in h.proto.body for h in signed_in.get("html"))
    app_env.create_account("first", "first", "admin", (), STAFF_PASSWORD, "test",
                           must_change=True)
    first = as_user(AppTest.from_file(APP, default_timeout=60), "first").run()
    assert first.session_state["home_script"] == "app_pages/login.py"
    assert "这是一次性密码,请先设置新密码。" in [w.value for w in first.warning]  # on login


def test_first_login_must_change_password(tmp_path, monkeypatch):
    path = tmp_path / "first.duckdb"
    startup = start(resolve({"SURVEY_DB": str(path), "SURVEY_CODE_KEY": "k", "SURVEY_DEMO": "0"}))
    one_time = startup.first_admin_password
    assert one_time and startup.store.account("admin").must_change
    monkeypatch.setenv("SURVEY_DB", str(path))
    monkeypatch.setenv("SURVEY_CODE_KEY", "k")
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/trends.py").run()
    at.text_input[0].input("admin")
    at.text_input[1].input(one_time)
    at.button[0].click().run()
    assert at.warning[0].value == "这是一次性密码,请先设置新密码。"  # no figures before that
    at.switch_page("app_pages/login.py").run()
    new = [x for x in at.text_input if x.label in ("新密码", "再次输入新密码")]
    new[0].input("short")
    new[1].input("short")
    next(b for b in at.button if b.label == "保存新密码").click().run()
    assert "密码至少 10 位。" in [e.value for e in at.error]
    new = [x for x in at.text_input if x.label in ("新密码", "再次输入新密码")]
    new[0].input("Lotus-Pond-2026!")
    new[1].input("Lotus-Pond-2026!")
    next(b for b in at.button if b.label == "保存新密码").click().run()
    assert not startup.store.account("admin").must_change
    assert startup.store.check_login("admin", "Lotus-Pond-2026!") is not None
    assert startup.store.check_login("admin", one_time) is None
    startup.store.close()


def test_county_leader_sees_only_the_county(app_env):
    at = open_as("county", "trends", pref="南山市")  # a link to another prefecture
    _, mine = trends.headline(app_env, Filter(scope=COUNTY), "month", None, 5)
    assert at.metric[0].value == f"{mine.iloc[0]['mean']:.1f}"
    _, whole = trends.headline(app_env, Filter(), "month", None, 5)
    assert at.metric[0].value != f"{whole.iloc[0]['mean']:.1f}"
    selects = {s.label: s.value for s in at.selectbox if s.label in ("市", "县/区")}
    assert selects == {"市": "江北市", "县/区": "清河县"}
    responses = open_as("county", "responses")
    table = responses.dataframe[0].value
    county_points = {p.name for p in app_env.points() if p.region[:2] == COUNTY}
    assert set(table["监测点"]) == county_points
    warnings = open_as("county", "warnings")
    shown = "".join(m.value for m in warnings.markdown)
    assert not any(p.name in shown for p in app_env.points() if p.region[:2] != COUNTY)


def test_scope_holds_in_downloads_and_briefing(app_env):
    month = periods.bounds("month", periods.previous("month", f"{dt.date.today():%Y-%m}"))[0]
    rules, _ = load_rules()
    book = openpyxl.load_workbook(io.BytesIO(briefing.xlsx(app_env, Filter(scope=COUNTY), month,
                                                           5, rules)))
    rows = list(book["填报进度"].iter_rows(values_only=True))
    column = rows[0].index("县/区")  # the briefing's Chinese header
    counties = {row[column] for row in rows[1:]}
    assert counties == {"清河县"}
    # asking for another region from inside a scope gives nothing, never the other region
    outside = trends.series(app_env, Filter(prefecture="南山市", scope=COUNTY), "meetings",
                            "month", 5)
    assert outside.empty
    inside = trends.series(app_env, Filter(scope=COUNTY), "meetings", "month", 5)
    assert not inside.empty


def test_a_code_cannot_submit_for_another_point(store, monthly):
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    real = store.respondent(code)
    forged = Respondent(real.key, SCHOOL)
    period = periods.key_for("month", dt.date.today())
    with pytest.raises(CodeError):
        store.submit(forged, monthly, period, complete_answers(), "forged")
    store.revoke_code(code)
    with pytest.raises(CodeError) as info:
        store.submit(real, monthly, period, complete_answers(), "after-revoke")
    assert info.value.reason == "revoked"
    assert store.count("submissions") == 0


def test_replaced_code_takes_over_history_and_drafts(store, monthly):
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    old = store.respondent(code)
    period = periods.key_for("month", dt.date.today())
    store.submit(old, monthly, periods.previous("month", period), complete_answers(apps=9), "x",
                 today=dt.date.today())
    store.save_draft(old, monthly, period, {"documents": 3}, dt.datetime.now())
    new_code = store.replace_code(code, "boss", take_over=True)
    new = store.respondent(new_code)
    assert store.previous_answers(new, monthly, period)[1]["apps"] == 9
    assert store.draft(new, monthly.id, period).answers == {"documents": 3}
    with pytest.raises(CodeError):
        store.respondent(code)


def test_wrong_codes_slow_the_client_but_never_block_a_valid_code(app_env):
    """Six wrong codes from one client (a township office behind one address), then a staff
    sign-in and a different, valid code from the same client: both accepted."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from ui import light_form
    code = app_env.issue_codes(app_env.points()[0].point_id, 1)[0]
    cadre = TestClient(Starlette(routes=light_form.ROUTES), follow_redirects=False)
    for _ in range(6):  # typed on the form's code screen (/f), as a cadre does
        wrong = cadre.post("/f", data={"code": "ZZZZ-ZZZZ", "action": "code"})
        assert wrong.headers["location"] == "/f?code_error=unknown"
        assert "未找到该填报码" in cadre.get(wrong.headers["location"]).text
    staff = AppTest.from_file(APP, default_timeout=60)
    staff.switch_page("app_pages/login.py").run()
    staff.text_input[0].input("ana")
    staff.text_input[1].input(STAFF_PASSWORD)
    staff.button[0].click().run()
    assert staff.session_state["staff_token"] and not staff.error
    signed = cadre.post("/f", data={"code": code, "action": "code"})
    assert signed.headers["location"] == "/f" and "survey_cadre" in signed.cookies


def test_a_guesser_waits_and_a_valid_code_never_resets_the_count():
    from survey.throttle import Limits
    clock = [0.0]
    limits = Limits(clock=lambda: clock[0])
    client = "client:a"
    tries = 0
    while clock[0] < 600:  # ten minutes of guessing as fast as the limiter lets one
        wait = limits.codes.wait_s(client)
        clock[0] += max(wait, 1.0)
        limits.codes.failed(client)
        tries += 1
    assert tries <= 10 + 12, tries  # ten free, then about one a minute at most
    before = limits.codes.failures(client)
    # A valid code in between changes nothing for the guesser (no success() resets it) ...
    assert limits.codes.failures(client) == before
    # ... and wrong codes never touch the staff limiter.
    assert limits.staff.wait_s("user:x") == 0
    clock[0] += 901
    assert limits.codes.wait_s(client) == 0  # counts age out


def test_limiter_state_is_bounded():
    from survey.throttle import Throttle
    throttle = Throttle(free=1, base_delay_s=1, max_delay_s=1, window_s=900, max_keys=1000)
    for n in range(100_000):
        throttle.failed(f"client:{n}")
    assert len(throttle) == 1000


def test_staff_slow_down_and_audit(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/login.py").run()
    for _ in range(3):
        at.text_input[0].input("ana")
        at.text_input[1].input("wrong password")
        at.button[0].click().run()
        assert at.error[0].value == "用户名或密码不正确。"
    at.text_input[0].input("ana")
    at.text_input[1].input(STAFF_PASSWORD)
    at.button[0].click().run()
    assert at.error[0].value.startswith("尝试次数过多") and "秒后再试" in at.error[0].value
    actions = [r[2] for r in app_env.audit_log(actor="ana")]
    assert actions.count("login_failed") == 3 and "login_locked" in actions


def test_a_failed_sign_in_never_stores_what_was_typed_as_a_user_name(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/login.py").run()
    at.text_input[0].input("My-Secret-Passw0rd")  # typed into the wrong box
    at.text_input[1].input("x")
    at.button[0].click().run()
    assert at.error[0].value == "用户名或密码不正确。"
    logged = app_env.query("SELECT count(*) FROM audit_log WHERE actor LIKE '%Secret%' OR "
                           "detail LIKE '%Secret%'")[0][0]
    assert logged == 0


def test_idle_session_ends(app_env):
    at = as_user(AppTest.from_file(APP, default_timeout=60), "boss")  # idle limit: 30 minutes
    app_env.query("UPDATE web_session SET last_seen_at = last_seen_at - INTERVAL 31 MINUTE")
    at.switch_page("app_pages/trends.py").run()
    assert shows_login(at)
    assert "长时间未操作,已自动退出,请重新登录。" in [i.value for i in at.info]


def test_passwords_use_a_real_kdf(store):
    add_staff(store, "kdf", "analyst")
    stored = store.query("SELECT password_hash FROM account WHERE username = 'kdf'")[0][0]
    assert stored.startswith("$" + "argon2id" + "$") and STAFF_PASSWORD not in stored
    assert access.verify_password(stored, STAFF_PASSWORD)
    assert not access.verify_password(stored, STAFF_PASSWORD + "x")
    assert store.query("SELECT count(*) FROM audit_log WHERE detail LIKE ?",
                       [f"%{STAFF_PASSWORD}%"]) == [(0,)]


def test_an_admin_changes_the_public_address_and_the_audit_log_keeps_each_change(store):
    from survey.store import settings
    assert settings.setting(store, settings.PUBLIC_URL) is None
    settings.save_setting(store, settings.PUBLIC_URL, "https://a.example.cn", "boss")
    settings.save_setting(store, settings.PUBLIC_URL, "https://b.example.cn", "boss")
    assert settings.setting(store, settings.PUBLIC_URL) == "https://b.example.cn"
    assert store.query("SELECT count(*) FROM audit_log WHERE action = 'change_setting'") \
        == [(2,)]


def test_no_secret_in_the_repository():
    import re
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert not [f for f in tracked if f.endswith((".key", ".duckdb", ".wal", "secrets.toml"))]
    looks_secret = re.compile(r"\$argon2id?\$|-----BEGIN [A-Z ]*PRIVATE KEY|\b[0-9a-f]{64}\b")
    for name in tracked:
        path = ROOT / name
        if path.suffix in (".py", ".toml", ".yaml", ".yml", ".md", ".sql", ".txt", ".cfg", ""):
            text = path.read_text(encoding="utf-8", errors="ignore")
            assert not looks_secret.search(text), name


def test_admin_imports_points_with_a_preview_and_row_errors(app_env):
    at = open_as("boss", "admin_points")
    bad = ("point_id,name,level,kind,prefecture,county,township,active\n"
           "NEW-1,新村,village,village,江北市,清河县,城关镇,1\n"
           "NEW-2,,village,villige,江北市,清河县,城关镇,1\n").encode("utf-8")
    from survey import points_io
    result = points_io.preview(points_io.read_table(bad, "p.csv"), {})
    assert not result.ok and result.errors[0][0] == 3
    assert "name is empty" in result.errors[0][1] and "kind 'villige'" in result.errors[0][1]
    before = app_env.count("points")
    assert at.tabs  # the page renders for an admin
    assert app_env.count("points") == before  # a preview writes nothing


def test_admin_issues_codes_and_gets_a_qr_sheet(app_env):
    at = open_as("boss", "admin_points")
    point_id = app_env.points()[0].point_id
    at.selectbox(key="code_point").set_value(point_id).run()
    next(b for b in at.button if b.label == "生成填报码").click().run()
    codes = at.code[0].value.split()
    assert len(codes) == 10 and all(app_env.respondent(c).point.point_id == point_id
                                    for c in codes)
    from survey import code_sheet
    sheet = code_sheet.render("和平村", codes[:2], "http://survey.example")
    assert sheet.count("<svg") == 2 and "?code=" not in sheet  # QR only
    # new sheets open the light form (old ones, /?code=..., are sent there: test_code_links)
    assert code_sheet.fill_link("http://survey.example/", codes[0]) == \
        f"http://survey.example/f?code={codes[0]}"
    logged = [r[2] for r in app_env.audit_log(actor="boss")]
    assert "issue_codes" in logged


def test_admin_creates_an_account_and_the_audit_log_shows_it(app_env):
    at = open_as("boss", "admin_accounts")
    at.text_input[0].input("newleader")
    at.text_input[1].input("新领导")
    next(b for b in at.button if b.label == "创建").click().run()
    assert any("一次性密码" in s.value for s in at.success)
    assert app_env.account("newleader").must_change
    log = open_as("boss", "audit")
    table = log.dataframe[0].value
    assert "新建账号" in set(table["操作"])  # the action in the viewer's language


def test_signing_in_on_the_sign_in_page_goes_on_to_the_first_page(app_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/login.py").run()
    at.text_input[0].input("county")
    at.text_input[1].input(STAFF_PASSWORD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert not any(x.label == "新密码" for x in at.text_input)  # not left on the account page
    assert at.title[0].value != "工作人员登录"
