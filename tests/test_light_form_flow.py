"""The form's flow on the light form (/f) over plain HTTP: what the Streamlit fill page's
tests asserted (tests/test_fill_page.py until issue 27's cutover) and tests/test_light_form.py
does not already: relevance, constraints and progress, a whole month from an empty form, the
one-step buttons after an edit, restored drafts, cleared and decimal numbers, soft checks
stored, a refused submit, a long paste, the receipt's revision, the database locked."""

import re
import subprocess
import sys

from survey import periods
from survey.store import Store
from tests.conftest import KEY, VILLAGE, complete_answers
from tests.test_light_form import (app_env, client, monthly_with_last_period, post,  # noqa: F401
                                   submit_unchanged, with_store)

SECTIONS = [
    {"documents": 40, "documents_action": 12, "meetings": 9, "meeting_hours": 6.5},
    {"forms": 14, "form_hours": 7.0, "duplicate_forms": 3},
    {"inspections": 2, "inspection_hours": 8.0},
    {"trace_demands": True, "trace_hours": 2.5, "apps": 6, "chat_groups": 15, "chat_pressure": True},
    {"burden_change": "2", "satisfaction": "4"},
]


def fresh_code(db) -> str:
    """A code of a point with nothing submitted yet (no last period to carry forward)."""
    from survey.bootstrap import publish_dir
    from tests.conftest import ROOT
    store = Store(db, KEY)
    try:
        publish_dir(store, ROOT / "questionnaires")
        store.add_points([VILLAGE])
        return store.issue_codes(VILLAGE.point_id, 1)[0]
    finally:
        store.close()


def typed(answers: dict) -> dict:
    """Answers as a browser posts them (a.<id>; yes/no as 1/0)."""
    return {f"a.{qid}": {True: "1", False: "0"}.get(v, v) if isinstance(v, bool) else
            "" if v is None else f"{v:g}" if isinstance(v, float) else str(v)
            for qid, v in answers.items()}


def answer(c, answers: dict, action: str = "save") -> str:
    """Type `answers` into the part on screen and post `action`; the page after the redirect.
    (A follow-up question appears once its trigger is saved: saved first, then answered.)"""
    post(c, c.get("/f?step=1").text, "save", **typed(answers))
    post(c, c.get("/f?step=1").text, action, **typed(answers))
    return c.get("/f?step=1").text


def part(page: str) -> str:
    return re.search(r"<h2>([^<]*)</h2>", page).group(1)


def signed_in(c, code: str, lang: str = "") -> str:
    assert c.get(f"/f?code={code}{lang}").status_code == 303
    return c.get("/f" + lang.replace("&", "?")).text


def to_confirmation(c) -> str:
    for answers in SECTIONS:
        page = answer(c, answers, "next")
    return page


def test_a_new_code_opens_the_first_part_with_nothing_to_keep(app_env):
    code = fresh_code(app_env)
    with client() as c:
        page = signed_in(c, code)
        assert "和平村" in page and part(page) == "文件与会议"
        assert "第 1/5 部分 · 已答 0/12 题" in page
        assert 'value="keep"' not in page  # no last period: nothing to keep


def test_relevance_constraints_and_progress_follow_the_answers(app_env):
    code = fresh_code(app_env)
    with client() as c:
        page = signed_in(c, code)
        assert 'name="a.documents_action"' not in page
        page = answer(c, {"documents": 5})
        assert 'name="a.documents_action"' in page  # now asked
        assert "已答 1/13 题" in page
        assert "已答 2/13 题" in answer(c, {"meetings": 3})
        page = answer(c, {"documents_action": 9, "meeting_hours": 95.0})
        assert "不能多于本月收文总数。" in page and "不能大于 80。" in page
        page = answer(c, {}, "next")  # refused: an answer is out of range
        assert part(page) == "文件与会议" and "不能大于 80。" in page


def test_a_whole_month_from_an_empty_form_to_the_receipt(app_env):
    code = fresh_code(app_env)
    with client() as c:
        signed_in(c, code)
        page = to_confirmation(c)
        assert "确认提交" in page and "共 16 项答案" in page
        post(c, page, "submit")
        page = c.get("/f?step=1").text
        assert "已提交,谢谢!" in page and "第 1 版" not in page  # a first submission
    rows = with_store(app_env, lambda s: s.query("SELECT submission_id, duration_s FROM submissions"))
    assert len(rows) == 1 and f"<code>{rows[0][0]}</code>" in page
    assert rows[0][1] is not None and rows[0][1] >= 0
    assert with_store(app_env, lambda s: s.submission_answers(rows[0][0])) == complete_answers()
    assert with_store(app_env, lambda s: s.query(
        "SELECT items_asked, confirmed_unchanged, soft_checks FROM form_flow")) == [(17, False, 0)]


def test_an_unchanged_month_is_recorded_as_confirmed_unchanged(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        signed_in(c, codes[0])
        submit_unchanged(c)
    assert with_store(app_env, lambda s: s.query("SELECT confirmed_unchanged FROM form_flow")) \
        == [(True,)]


def test_an_edit_then_keep_the_rest_from_another_visit_keeps_the_edit(app_env):
    codes, qn, period, previous = monthly_with_last_period(app_env, meetings=32)
    with client() as c:
        signed_in(c, codes[0])
        answer(c, {"meetings": 45})
    with client() as c:  # a reload on another phone: the draft
        page = signed_in(c, codes[0])
        assert 'name="a.meetings" value="45"' in page
        assert "其余保持上期,去提交" in page and "与上期相同,一键确认" not in page
        post(c, page, "keep")
        page = c.get("/f?step=1").text
        # a changed month says how it felt: straight to that question
        assert part(page) == "总体感受" and "还需回答 1 题:与上期相比,您的工作负担:" in page
        page = answer(c, {"burden_change": "4"}, "next")
        assert f"14 项与上期({previous})相同,2 项有变化:参加会议次数、负担变化感知。" in page
        post(c, page, "submit")
    kept = with_store(app_env, lambda s: s.kept(s.respondent(codes[0]), qn.id, period))[1]
    assert (kept["meetings"], kept["burden_change"], kept["documents"]) == (45, "4", 40)
    assert with_store(app_env, lambda s: s.query("SELECT confirmed_unchanged FROM form_flow")) \
        == [(False,)]


def test_a_restored_draft_says_where_the_cadre_stopped(app_env):
    code = fresh_code(app_env)
    with client() as c:
        signed_in(c, code)
        answer(c, SECTIONS[0], "next")
        answer(c, {"forms": 14})
    with client() as c:  # a new visit: closed tab, another device
        page = signed_in(c, code)
        assert part(page) == "填表报数" and 'name="a.forms" value="14"' in page
        assert re.search(r"已恢复 \d\d:\d\d 的草稿,续填“填表报数”。", page)


def test_a_draft_restored_at_the_confirmation_says_so(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        post(c, signed_in(c, codes[0]), "keep")
    with client() as c:
        page = signed_in(c, codes[0])
        assert "确认提交" in page and re.search(r"已恢复 \d\d:\d\d 的草稿。", page)


def test_a_decimal_in_a_whole_number_field_is_refused_not_rounded(app_env):
    code = fresh_code(app_env)
    with client() as c:
        signed_in(c, code)
        page = answer(c, {"documents": 3.7})
        assert "请输入整数。" in page and 'name="a.documents" value="3.7"' in page  # as typed
        page = answer(c, {"documents_action": 1, "meetings": 2, "meeting_hours": 1.0}, "next")
        assert part(page) == "文件与会议"  # not accepted as 3
        assert part(answer(c, {"documents": 4}, "next")) == "填表报数"


def test_a_cleared_field_is_unanswered_not_zero(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        before = int(re.search(r"已答 (\d+)/", signed_in(c, codes[0])).group(1))
        page = answer(c, {"meetings": None})
        assert f"已答 {before - 1}/" in page and 'name="a.meetings" value=""' in page
        post(c, page, "keep")  # a cleared answer is a change: it is not refilled
        page = c.get("/f?step=1").text
        assert part(page) == "文件与会议" and 'name="a.meetings" value=""' in page
        assert '<p class="err" id="err-meetings">请填写此项。</p>' in page


def test_a_soft_check_blocks_keep_the_rest_until_confirmed_and_is_stored(app_env):
    codes, qn, period, previous = monthly_with_last_period(app_env)
    with_store(app_env, lambda s: s.submit(s.respondent(codes[0]), qn,
                                           periods.previous("month", previous),
                                           complete_answers(), "before-last"))
    with client() as c:
        signed_in(c, codes[0])
        page = answer(c, {"meetings": 90}, "keep")  # the figure waits for its confirmation
        assert part(page) == "文件与会议"
        assert "与上期差异较大,请确认(近几期一般为 9次)。" in page
        post(c, page, "confirm:meetings")
        page = c.get("/f?step=1").text
        assert "与上期差异较大" not in page  # asked once: accepted
        post(c, page, "next")
        page = c.get("/f?step=1").text
        assert part(page) == "总体感受"  # only the perception item is left
        post(c, answer(c, {"burden_change": "5"}, "next"), "submit")
    assert with_store(app_env, lambda s: s.kept(s.respondent(codes[0]), qn.id, period))[1][
        "meetings"] == 90
    assert with_store(app_env, lambda s: s.query(
        "SELECT question_id, value, reference, confirmed FROM soft_checks")) == [
        ("meetings", 90.0, 9.0, True)]
    assert with_store(app_env, lambda s: s.query(
        "SELECT soft_checks, soft_checks_confirmed FROM form_flow")) == [(1, 1)]


def test_a_submit_refused_for_a_closed_period_keeps_the_answers_on_the_page(app_env):
    code = fresh_code(app_env)
    with client() as c:
        signed_in(c, code)
        page = to_confirmation(c)
        qn_period = with_store(app_env, lambda s: next(
            (q.id, s.open_periods(q)[0]) for q in s.current_questionnaires()
            if q.id == "burden_monthly"))
        with_store(app_env, lambda s: s.close_period(*qn_period, "admin"))  # while filling
        refused = post(c, page, "submit")
        assert "本期已关闭,不能再提交或修改。" in refused.text
        assert "确认提交" in refused.text and "<dd>40 件</dd>" in refused.text  # nothing lost
    assert with_store(app_env, lambda s: s.count("submissions")) == 0


def test_back_from_the_one_tap_confirmation_and_a_change_asks_the_burden_question(app_env):
    """"没有变化" came from the one-step button, not from the cadre: after a change it is asked."""
    codes, qn, period, _ = monthly_with_last_period(app_env, meetings=32)
    with client() as c:
        post(c, signed_in(c, codes[0]), "keep")
        post(c, c.get("/f?step=1").text, "back")
        page = answer(c, {"meetings": 45}, "next")  # to what is left: the burden question
        assert part(page) == "总体感受" and "还需回答 1 题:与上期相比,您的工作负担:" in page
        choices = re.findall(r'<input type="radio" name="a.burden_change"[^>]*>', page)
        assert choices and not any(" checked" in x for x in choices)  # unanswered
        post(c, answer(c, {"burden_change": "5"}, "next"), "submit")
    kept = with_store(app_env, lambda s: s.kept(s.respondent(codes[0]), qn.id, period))[1]
    assert (kept["meetings"], kept["burden_change"]) == (45, "5")


def test_a_long_paste_is_kept_with_the_length_message(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        post(c, signed_in(c, codes[0]), "keep")
        post(c, c.get("/f?step=1").text, "edit:4")
        pasted = "减" * 600
        page = answer(c, {"one_cut": pasted})
        assert f">{pasted}</textarea>" in page  # kept, not cut by the page
        assert "最多 500 个字(现在 600 个)。" in page


def test_the_receipt_of_a_first_submission_names_no_revision(app_env):
    codes, *_ = monthly_with_last_period(app_env)
    with client() as c:
        signed_in(c, codes[0], "&lang=en")
        post(c, c.get("/f?lang=en").text, "keep")
        post(c, c.get("/f?lang=en&step=1").text, "submit")
        page = c.get("/f?lang=en&step=1").text
        assert "Receipt:" in page and "revision" not in page.split("Receipt:")[1].split("</p>")[0]
        post(c, page, "revise")
        post(c, c.get("/f?lang=en&step=1").text, "keep")
        post(c, c.get("/f?lang=en&step=1").text, "submit")
        assert "(revision 2)" in c.get("/f?lang=en&step=1").text


def test_the_chosen_period_carries_over_a_language_switch(app_env):
    codes, qn, period, previous = monthly_with_last_period(app_env)
    with client() as c:
        signed_in(c, codes[0])
        moved = post(c, c.get("/f").text, f"go:{qn.id}|{previous}")
        switched = post(c, c.get(moved.headers["location"]).text, "lang:en")
        assert switched.headers["location"] == f"/f?lang=en&q={qn.id}&p={previous}&step=1"
        page = c.get(switched.headers["location"]).text
        assert f'value="go:{qn.id}|{previous}" aria-current="true"' in page
        assert f"{period} (current)" in page


def test_a_locked_database_shows_a_message_not_a_traceback(tmp_path, monkeypatch):
    """What to do for whoever is at the server; a cadre elsewhere learns no server details."""
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from ui import light_form
    db = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(120)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        monkeypatch.setenv("SURVEY_DB", str(db))
        monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
        with TestClient(Starlette(routes=light_form.ROUTES), client=("127.0.0.1", 5000)) as c:
            page = c.get("/f")
            english = c.get("/f?lang=en")
        assert page.status_code == 503
        assert "数据库暂时无法打开" in page.text and "is in use by another program" in page.text
        assert "The database cannot be opened" in english.text
        with client() as c:   # from another machine
            page = c.get("/f")
        assert page.status_code == 503 and "服务暂时无法使用,请稍后再试。" in page.text
        assert str(db) not in page.text
    finally:
        holder.kill()
        holder.wait()


