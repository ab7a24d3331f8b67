"""The light respondent form (ui/light_form.py, issue 27) over plain HTTP, as a browser with
JavaScript off would use it: form posts and 303s, on a real DuckDB file. The browser test is
tests/test_browser_light_form.py."""

import html
import re

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from survey import bootstrap, periods
from survey.bootstrap import publish_dir
from survey.store import Store
from tests.conftest import KEY, ROOT, VILLAGE, complete_answers


def monthly_with_last_period(db_path, codes=1, **last):
    """A point with `codes` respondent codes, each with last month submitted."""
    store = Store(db_path, KEY)
    assert not publish_dir(store, ROOT / "questionnaires")[1]
    store.add_points([VILLAGE])
    qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    period = store.open_periods(qn)[0]
    previous = periods.previous("month", period)
    issued = store.issue_codes(VILLAGE.point_id, codes)
    for i, code in enumerate(issued):
        store.submit(store.respondent(code), qn, previous, complete_answers(**last), f"last-{i}")
    store.close()  # the app opens the file itself
    return issued, qn, period, previous


@pytest.fixture
def app_env(tmp_path, monkeypatch):
    db = tmp_path / "survey.duckdb"
    monkeypatch.setenv("SURVEY_DB", str(db))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    yield db
    bootstrap.stop_all()


def client():
    from ui import light_form
    return TestClient(Starlette(routes=light_form.ROUTES), follow_redirects=False)


def fields(page: str) -> list[tuple[str, str]]:
    """What the browser would post from the page's form (hidden fields, filled boxes, ticked
    choices), as a JavaScript-off browser sends it."""
    found = []
    for tag in re.findall(r"<input[^>]*>", page):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        if "name" not in attrs or attrs.get("type") in ("radio", "checkbox") \
                and " checked" not in tag:
            continue
        found.append((attrs["name"], html.unescape(attrs.get("value", ""))))
    return found


def post(c, page: str, action: str, **changes):
    data = {}
    for name, value in [(k, v) for k, v in fields(page) if k not in changes] + \
            list(changes.items()) + [("action", action)]:
        data.setdefault(name, []).append(value)
    return c.post("/f", data=data)


def with_store(db, work):
    store = Store(db, KEY)
    try:
        return work(store)
    finally:
        store.close()


def submit_unchanged(c) -> None:
    """The unchanged month from the opened form: 与上期相同 then 提交."""
    post(c, c.get("/f").text, "keep")
    post(c, c.get("/f?step=1").text, "submit")


def test_code_then_unchanged_month_in_two_posts(app_env):
    codes, qn, period, previous = monthly_with_last_period(app_env)
    with client() as c:
        assert "填报码" in c.get("/f").text  # no session yet: the code screen
        opened = c.get(f"/f?code={codes[0]}")
        assert (opened.status_code, opened.headers["location"]) == (303, "/f")
        page = c.get("/f").text
        assert "与上期相同,一键确认" in page and f"上期值 ({previous})" in page
        assert codes[0] not in page  # the code never shows again
        done = post(c, page, "keep")
        assert (done.status_code, done.headers["location"]) == (303, "/f?step=1")
        page = c.get("/f?step=1").text
        assert f"共 16 项答案,与上期({previous})相同。" in page
        post(c, page, "submit")
        page = c.get("/f?step=1").text
        assert "已提交,谢谢!" in page and "回执编号" in page
    store = Store(app_env, KEY)
    try:
        kept = store.kept(store.respondent(codes[0]), qn.id, period)
        # last month's answers, and what an unchanged month implies ("no change in burden")
        implied = next(q.unchanged for q in qn.questions if q.id == "burden_change")
        assert kept[1] == complete_answers(burden_change=implied)
    finally:
        store.close()


def test_a_wrong_code_is_refused_in_the_cadres_language(app_env):
    monthly_with_last_period(app_env)
    with client() as c:
        answer = c.get("/f?code=AAAA-BBBB&lang=en")
        assert answer.headers["location"] == "/f?lang=en&code_error=unknown"
        page = c.get(answer.headers["location"]).text
        assert 'lang="en"' in page and "This code is not known." in page
        assert 'aria-describedby="code-err"' in page
        assert '<a href="/login?lang=en">Staff sign-in</a>' in page  # staff who typed / land here
        for wait in ("30", "x", "nan", "inf"):  # an address edited by hand is no crash
            page = c.get(f"/f?code_error=wait&code_wait={wait}")
            assert page.status_code == 200 and "秒" in page.text


def test_a_changed_number_is_kept_as_a_draft_and_checked_on_next(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        page = c.get("/f").text
        # a number that is no number: kept as typed, with the core's message, at its field
        post(c, page, "next", **{"a.documents": "4o"})
        page = c.get("/f?step=1").text
        assert 'value="4o"' in page and "请输入数字。" in page
        assert 'id="f-documents" name="a.documents" value="4o" inputmode="numeric" ' \
               'autocomplete="off" aria-invalid="true" aria-describedby="err-documents"' in page
        post(c, page, "next", **{"a.documents": "41"})
    with client() as c:  # a new visit (cookie kept): the draft, with the change
        c.get(f"/f?code={codes[0]}")
        page = c.get("/f").text
        assert "已恢复" in page and "第 2/" in page  # where the cadre was
        post(c, page, "back")
        page = c.get("/f?step=1").text
        assert 'value="41"' in page
        assert "其余保持上期,去提交" in page  # something changed: keep the rest, not "nothing"


def test_a_post_sent_twice_does_not_skip_a_part(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        page = c.get("/f").text
        post(c, page, "next")
        post(c, page, "next")  # the same page posted again (a double tap, a resend)
        assert "第 2/" in c.get("/f?step=1").text


def test_no_session_no_post(app_env):
    monthly_with_last_period(app_env)
    with client() as c:
        answer = c.post("/f", data={"action": "submit", "lang": "en"})
        assert (answer.status_code, answer.headers["location"]) == (303, "/f?lang=en")


def test_a_post_from_another_site_is_refused(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        page = c.get("/f").text
        data = dict(fields(page), action="keep")
        assert c.post("/f", data=data, headers={"origin": "https://evil.example"}
                      ).status_code == 400
        # Chromium sends `Origin: null` under a no-referrer policy: the page must not set it
        assert c.get("/f").headers["referrer-policy"] == "same-origin"
        assert "与上期相同,一键确认" in c.get("/f").text  # nothing was done


def test_the_form_in_english(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}&lang=en")
        page = c.get("/f?lang=en").text
        assert '<html lang="en">' in page and "Nothing changed since last period" in page
        assert "How many documents, notices and informal letters" in page
        post(c, page, "keep")  # the language rides along with the post
        assert "the same as last period" in c.get("/f?lang=en&step=1").text


def test_leave_ends_the_session_on_a_shared_pc(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        token = c.cookies["survey_cadre"]
        assert "与上期相同" in c.get("/f").text
        left = c.post("/f", data={"action": "leave"})
        assert (left.status_code, left.headers["location"]) == (303, "/f")
        assert "survey_cadre" not in c.cookies and "填报码" in c.get("/f").text
        c.cookies.set("survey_cadre", token)  # a copy of the cookie kept elsewhere: useless
        assert "填报码" in c.get("/f").text


def test_an_older_tab_does_not_put_its_values_back(app_env):
    """Two tabs of one cadre: the newer one changed a number and went on; the older page,
    posted afterwards, keeps its own changes but does not undo the other's."""
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        older = c.get("/f").text
        newer = c.get("/f").text
        post(c, newer, "next", **{"a.documents": "41"})
        post(c, older, "next", **{"a.meetings": "10"})  # the older tab: 40 documents on it
        page = c.get("/f?step=1").text
        assert "第 2/" in page  # one "next" each: the older page's did not count twice
        post(c, page, "back")
        page = c.get("/f?step=1").text
        assert 'name="a.documents" value="41"' in page and 'name="a.meetings" value="10"' in page


def test_next_with_an_answer_missing_says_which_after_the_redirect(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        page = c.get("/f").text
        while "检查答案" not in page:  # to the last part (the carried ones pass)
            post(c, page, "next")
            page = c.get("/f?step=1").text
        assert "请填写此项。" not in page  # not before the cadre tried to go on
        post(c, page, "next")
        page = c.get("/f?step=1").text
        assert "检查答案" in page  # still here
        assert '<p class="err" id="err-burden_change">请填写此项。</p>' in page
        assert 'aria-invalid="true" aria-describedby="err-burden_change"' in page


def test_a_soft_check_is_asked_once_and_confirmed_with_a_post(app_env):
    codes, *_ = monthly_with_last_period(app_env)  # 6.5 meeting hours last month
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        post(c, c.get("/f").text, "next", **{"a.meeting_hours": "60"})
        page = c.get("/f?step=1").text
        assert "第 1/" in page and "与上期差异较大,请确认(近几期一般为 6.5小时)。" in page
        post(c, page, "confirm:meeting_hours")
        page = c.get("/f?step=1").text
        assert "与上期差异较大" not in page and 'value="60"' in page
        post(c, page, "next")
        assert "第 2/" in c.get("/f?step=1").text


def test_a_submitted_month_is_revised_through_the_form(app_env):
    codes, qn, period, _ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        submit_unchanged(c)
        post(c, c.get("/f?step=1").text, "revise")
        page = c.get("/f?step=1").text
        assert "其余保持不变,去提交" in page  # a revision: the rest stays as submitted
        post(c, page, "keep", **{"a.documents": "44"})
        page = c.get("/f?step=1").text
        # a changed month: "no change in burden" is no longer implied, so it is asked
        assert "还需回答 1 题:与上期相比,您的工作负担" in page
        post(c, page, "next", **{"a.burden_change": "4"})
        post(c, c.get("/f?step=1").text, "submit")
        assert "第 2 版" in c.get("/f?step=1").text
    store = Store(app_env, KEY)
    try:
        receipt, answers = store.kept(store.respondent(codes[0]), qn.id, period)
        assert (receipt.revision, answers["documents"], answers["burden_change"]) == (2, 44, "4")
    finally:
        store.close()



def test_a_typed_code_is_posted_never_put_in_the_address(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        page = c.get("/f").text
        assert '<form method="post" action="/f">' in page and 'value="code"' in page
        assert '<a href="/login">工作人员登录</a>' in page
        wrong = c.post("/f", data={"code": "AAAA-BBBB", "action": "code", "lang": "en"})
        assert wrong.headers["location"] == "/f?lang=en&code_error=unknown"
        signed = c.post("/f", data={"code": codes[0], "action": "code", "lang": "zh"})
        assert (signed.status_code, signed.headers["location"]) == (303, "/f")
        assert codes[0] not in signed.headers["location"]
        assert "与上期相同,一键确认" in c.get("/f").text


def test_two_tabs_typed_differently_the_page_asks_and_loses_nothing(app_env):
    """The newer tab changed documents; the older page changed documents (differently) and
    meetings: meetings is taken at once, documents is asked, either side can win."""
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        older = c.get("/f").text
        post(c, c.get("/f").text, "next", **{"a.documents": "41"})
        asked = post(c, older, "next", **{"a.documents": "45", "a.meetings": "10"})
        assert asked.status_code == 409
        assert "下面几题两边填得不同" in asked.text and "本页" in asked.text
        assert "<dd>45 件</dd>" in asked.text and "<dd>41 件</dd>" in asked.text
        page = c.get("/f?step=1").text   # 载入那边的答案: the newer documents, and meetings kept
        post(c, page, "back")
        page = c.get("/f?step=1").text
        assert 'name="a.documents" value="41"' in page and 'name="a.meetings" value="10"' in page
        post(c, asked.text, "mine")   # 保留本页答案
        page = c.get("/f?step=1").text
        assert 'name="a.documents" value="45"' in page and 'name="a.meetings" value="10"' in page


def test_an_older_page_posted_after_a_submission_elsewhere_offers_a_revision(app_env):
    codes, qn, period, _ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        older = c.get("/f").text
        submit_unchanged(c)   # another tab submitted revision 1
        asked = post(c, older, "next", **{"a.documents": "44"})
        assert asked.status_code == 409 and "本期已在其他页面或设备提交(第 1 版" in asked.text
        assert "<dd>44 件</dd>" in asked.text and "<dd>40 件</dd>" in asked.text
        post(c, asked.text, "mine_as_revision")
        page = c.get("/f?step=1").text
        assert "其余保持不变,去提交" in page and 'name="a.documents" value="44"' in page


def test_the_forms_own_burden_counts_from_when_the_page_opened(app_env):
    """Nothing is kept on the server until the first post: the page says when it was drawn."""
    import datetime as dt

    from survey.form_burden import form_burden
    codes, qn, period, _ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        page = c.get("/f").text
        drawn_at = re.search(r'name="opened" value="([^"]+)"', page).group(1)
        ninety_ago = (dt.datetime.fromisoformat(drawn_at) - dt.timedelta(seconds=90)).isoformat()
        post(c, page, "keep", opened=ninety_ago)  # as if the cadre had read for 90 s
        post(c, c.get("/f?step=1").text, "submit")
    burden = with_store(app_env, lambda s: next(b for b in form_burden(s, qn.id)
                                                 if b.period_key == period))
    assert 90 <= burden.median_s < 120


def test_a_return_is_seen_with_its_reason_and_answered_by_a_revision(app_env):
    from survey.access import Account
    from survey.store import reviews
    codes, qn, period, _ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        submit_unchanged(c)
    reason = "会议 9 次?<b>请核实</b>"
    with_store(app_env, lambda s: reviews.return_submission(
        s, s.kept(s.respondent(codes[0]), qn.id, period)[0].submission_id, reason,
        Account("boss", "boss", "admin", ())))
    with client() as c:
        c.get(f"/f?code={codes[0]}&lang=en")
        page = c.get("/f?lang=en").text
        assert f"Your report for {period} was returned for correction" in page
        assert html.escape(reason) in page   # the reviewer's words, as text
        post(c, page, "return_revise")
        page = c.get("/f?lang=en&step=1").text
        assert "A return changes or hides no figure" in page and "Keep the rest" in page
        post(c, page, "keep", **{"a.meetings": "8"})
        post(c, c.get("/f?lang=en&step=1").text, "next", **{"a.burden_change": "3"})
        done = post(c, c.get("/f?lang=en&step=1").text, "submit")
        assert done.headers["location"] == "/f?lang=en&step=1&done=revised"
        page = c.get(done.headers["location"]).text
        assert "the return is answered" in page and "revision 2" in page
        assert "was returned for correction" not in page
    assert with_store(app_env, lambda s: reviews.state(s, s.respondent(codes[0]), qn.id,
                                                       period)) == reviews.REVISED


def test_a_return_answered_the_figures_are_right_with_a_note(app_env):
    from survey.access import Account
    from survey.store import reviews
    codes, qn, period, _ = monthly_with_last_period(app_env)
    with_store(app_env, lambda s: s.submit(s.respondent(codes[0]), qn, period,
                                           complete_answers(), "first"))
    with_store(app_env, lambda s: reviews.return_submission(
        s, s.kept(s.respondent(codes[0]), qn.id, period)[0].submission_id, "请核实",
        Account("boss", "boss", "admin", ())))
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        page = c.get("/f").text
        assert 'for="return-note"' in page
        done = post(c, page, "return_right", note="本月确有专项检查")
        page = c.get(done.headers["location"]).text
        assert "已告知审核人:数字无误。" in page and "被退回更正" not in page
    assert with_store(app_env, lambda s: reviews.state(s, s.respondent(codes[0]), qn.id,
                                                       period)) == reviews.CONFIRMED


def test_another_period_is_chosen_with_the_typed_answers_saved(app_env):
    codes, qn, period, previous = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        page = c.get("/f").text
        assert f'value="go:{qn.id}|{previous}"' in page and "(本期)" in page
        moved = post(c, page, f"go:{qn.id}|{previous}", **{"a.documents": "42"})
        assert moved.headers["location"] == f"/f?q={qn.id}&p={previous}"
        page = c.get(moved.headers["location"]).text
        assert "已提交,谢谢!" in page and f"填报期:{previous}" in page  # last month's receipt
        back = post(c, page, f"go:{qn.id}|{period}")
        assert 'name="a.documents" value="42"' in c.get(back.headers["location"]).text


def test_language_and_larger_text_switches_keep_what_was_typed(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        c.get(f"/f?code={codes[0]}")
        switched = post(c, c.get("/f").text, "lang:en", **{"a.documents": "43"})
        assert switched.headers["location"] == "/f?lang=en&step=1"
        larger = post(c, c.get(switched.headers["location"]).text, "text:large")
        assert c.cookies["survey_text"] == "large"
        page = c.get(larger.headers["location"]).text
        assert '<html lang="en" class="large">' in page and 'value="43"' in page
        assert "Normal text" in page
