"""AppTest of the fill page against a real DuckDB file."""

import datetime as dt
import re

import pytest
from streamlit.testing.v1 import AppTest

from survey import periods
from survey.questionnaire import parse_file
from tests.conftest import KEY, ROOT, VILLAGE, add_staff, as_cadre, as_user, complete_answers

APP = str(ROOT / "survey_app.py")
PERIOD = periods.key_for("month", dt.date.today())
LAST = periods.previous("month", PERIOD)
VERSION = parse_file(ROOT / "questionnaires" / "burden_monthly.yaml")[0].version
PREFIX = f"burden_monthly:{VERSION}:{PERIOD}"
NOTHING_CHANGED = "与上期相同,一键确认"
KEEP_REST = "其余保持上期,去提交"


@pytest.fixture
def app_env(store, db_path, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    return store


@pytest.fixture
def code(app_env):
    return app_env.issue_codes(VILLAGE.point_id, 1)[0]


def open_app(code=None, lang=None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if lang:
        at.query_params["lang"] = lang
    at.run()
    if code:
        at.text_input[0].input(code)
        at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def field(at: AppTest, qid: str) -> str:
    """The widget key of a question's field (ui.widgets.field_key, in its current generation)."""
    generation = at.session_state[f"fields|{PREFIX}"] if f"fields|{PREFIX}" in \
        at.session_state else 0
    return f"{PREFIX}:{generation}:{qid}"


def set_answers(at: AppTest, answers: dict) -> AppTest:
    for qid, value in answers.items():
        key = field(at, qid)
        if value is None or isinstance(value, (int, float)) and not isinstance(value, bool):
            at.number_input(key=key).set_value(value)
        else:
            at.radio(key=key).set_value(value)
        at.run()
    assert not at.exception, at.exception
    return at


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def markdown(at: AppTest) -> list[str]:
    """Markdown as a person reads it (the page escapes markdown characters)."""
    return [m.value.replace("\\", "") for m in at.markdown]


def progress_text(at: AppTest) -> str:
    return at.get("progress")[0].proto.text


def submitted_last_month(app_env, monthly, code, **answers):
    respondent = app_env.respondent(code)
    app_env.submit(respondent, monthly, LAST, complete_answers(**answers), f"last-{LAST}")
    return respondent


SECTIONS = [
    {"documents": 40, "documents_action": 12, "meetings": 9, "meeting_hours": 6.5},
    {"forms": 14, "form_hours": 7.0, "duplicate_forms": 3},
    {"inspections": 2, "inspection_hours": 8.0},
    {"trace_demands": True, "trace_hours": 2.5, "apps": 6, "chat_groups": 15, "chat_pressure": True},
    {"burden_change": "2", "satisfaction": "4"},
]


def test_code_sign_in_shows_point_and_first_section(code):
    at = open_app(code)
    assert any("和平村" in m for m in markdown(at))
    assert at.subheader[0].value == "文件与会议"
    assert "第 1/5 部分" in progress_text(at)
    assert NOTHING_CHANGED not in labels(at)  # no last period: nothing to confirm


def test_unknown_code_is_refused_with_a_message(app_env):
    at = open_app("ABCD-EFGH")
    assert at.error[0].value == "未找到该填报码,请与填报码单核对,或联系发放人。"
    assert not at.number_input


def test_validation_message_next_to_the_field_and_relevance(code):
    at = open_app(code)
    assert not any(n.key == field(at, "documents_action") for n in at.number_input)
    set_answers(at, {"documents": 5, "meeting_hours": 95.0})
    assert any(n.key == field(at, "documents_action") for n in at.number_input)  # now asked
    assert [e.value for e in at.error] == ["不能大于 80。"]
    set_answers(at, {"documents_action": 9})
    assert "不能多于本月收文总数。" in [e.value for e in at.error]
    click(at, "下一步")  # refused: errors and required answers missing
    assert at.subheader[0].value == "文件与会议"
    assert "请填写此项。" in [e.value for e in at.error]


def test_fill_every_section_confirm_submit_and_receipt(code, app_env):
    at = open_app(code)
    for answers in SECTIONS:
        set_answers(at, answers)
        click(at, "下一步" if answers is not SECTIONS[-1] else "检查答案")
    assert at.subheader[0].value == "确认提交"
    assert any("共 16 项答案" in m for m in markdown(at))
    click(at, "提交")
    assert at.success[0].value == "已提交,谢谢!"
    receipt_text = next(m.value for m in at.markdown if "回执编号" in m.value)
    rows = app_env.query("SELECT submission_id, duration_s FROM submissions")
    assert len(rows) == 1 and rows[0][0] in receipt_text
    assert rows[0][1] is not None and rows[0][1] >= 0
    assert app_env.submission_answers(rows[0][0]) == complete_answers()
    flow = app_env.query("SELECT items_asked, confirmed_unchanged, soft_checks FROM form_flow")
    assert flow == [(17, False, 0)]


def test_unchanged_month_is_one_tap_then_submit(code, app_env, monthly):
    respondent = submitted_last_month(app_env, monthly, code, apps=11)
    at = open_app(code)
    assert at.number_input(key=field(at, "documents")).value == 40
    assert any("上期值" in c.value for c in at.caption)
    click(at, NOTHING_CHANGED)
    # Straight to the confirmation: everything carried, "compared with last period" = no change
    assert at.subheader[0].value == "确认提交"
    assert any(f"共 16 项答案,与上期({LAST})相同。" in m for m in markdown(at))
    click(at, "提交")
    assert at.success
    kept = app_env.kept(respondent, monthly.id, PERIOD)[1]
    assert kept == complete_answers(apps=11, burden_change="3")
    assert app_env.query("SELECT confirmed_unchanged FROM form_flow") == [(True,)]


def test_an_edit_then_the_one_step_button_keeps_the_edit(code, app_env, monthly):
    respondent = submitted_last_month(app_env, monthly, code, meetings=32)
    at = open_app(code)
    assert NOTHING_CHANGED in labels(at)
    set_answers(at, {"meetings": 45})
    assert NOTHING_CHANGED not in labels(at) and KEEP_REST in labels(at)
    click(at, KEEP_REST)
    # A changed month says how it felt: the page goes straight to that question
    assert at.subheader[0].value == "总体感受"
    assert "还需回答 1 题:与上期相比,您的工作负担:" in [i.value for i in at.info]
    set_answers(at, {"burden_change": "4"})  # the last missing answer: straight to confirm
    assert at.subheader[0].value == "确认提交"
    assert any("14 项与上期(" in m and "2 项有变化:参加会议次数、负担变化感知" in m
               for m in markdown(at))
    click(at, "提交")
    kept = app_env.kept(respondent, monthly.id, PERIOD)[1]
    assert kept["meetings"] == 45 and kept["burden_change"] == "4" and kept["documents"] == 40
    assert app_env.query("SELECT confirmed_unchanged FROM form_flow") == [(False,)]


def test_a_restored_draft_keeps_its_edits_under_the_one_step_button(code, app_env, monthly):
    submitted_last_month(app_env, monthly, code, meetings=32)
    at = open_app(code)
    set_answers(at, {"meetings": 45})
    again = open_app(code)  # reload / another device
    assert again.number_input(key=field(again, "meetings")).value == 45
    click(again, KEEP_REST)
    set_answers(again, {"burden_change": "3"})
    click(again, "提交")
    assert app_env.query("SELECT a.value_num FROM answers a WHERE question_id = 'meetings' "
                         "AND period_key = ?", [PERIOD]) == [(45.0,)]


def test_draft_restore_lands_in_the_section_where_the_cadre_stopped(code, app_env):
    at = open_app(code)
    set_answers(at, SECTIONS[0])
    click(at, "下一步")
    set_answers(at, {"forms": 14})
    assert at.subheader[0].value == "填表报数"
    again = open_app(code)  # a new session: reload, closed tab, another device
    assert again.subheader[0].value == "填表报数"
    assert again.number_input(key=field(again, "forms")).value == 14
    notice = [i.value for i in again.info]
    assert len(notice) == 1 and re.fullmatch(r"已恢复 \d\d:\d\d 的草稿,续填“填表报数”。", notice[0])


def test_a_decimal_in_a_whole_number_field_is_refused_not_rounded(code, app_env):
    at = open_app(code)
    set_answers(at, {"documents": 3.7})
    assert "请输入整数。" in [e.value for e in at.error]
    assert at.number_input(key=field(at, "documents")).value == 3.7  # kept as typed
    set_answers(at, {"documents_action": 1, "meetings": 2, "meeting_hours": 1.0})
    click(at, "下一步")
    assert at.subheader[0].value == "文件与会议"  # not accepted as 3
    set_answers(at, {"documents": 4})
    click(at, "下一步")
    assert at.subheader[0].value == "填表报数"


def test_a_cleared_field_is_unanswered_not_zero(code, app_env, monthly):
    submitted_last_month(app_env, monthly, code)
    at = open_app(code)
    before = progress_text(at)
    set_answers(at, {"meetings": None})
    assert "请填写此项。" in [e.value for e in at.error]  # at once, next to the field
    assert at.number_input(key=field(at, "meetings")).value is None
    answered = int(before.split("已答 ")[1].split("/")[0])
    assert f"已答 {answered - 1}/" in progress_text(at)
    click(at, KEEP_REST)  # a cleared answer is a change: it is not refilled
    assert at.subheader[0].value == "文件与会议"
    assert at.number_input(key=field(at, "meetings")).value is None


def test_progress_moves_with_the_answers_without_lag(code):
    at = open_app(code)
    assert "已答 0/12 题" in progress_text(at)
    set_answers(at, {"documents": 5})  # answered, and its follow-up is now asked
    assert "已答 1/13 题" in progress_text(at)
    set_answers(at, {"meetings": 3})
    assert "已答 2/13 题" in progress_text(at)


def test_soft_check_asks_once_and_the_confirmation_is_stored(code, app_env, monthly):
    respondent = app_env.respondent(code)
    for i, key in enumerate([LAST, periods.previous("month", LAST)]):
        app_env.submit(respondent, monthly, key, complete_answers(meetings=9), f"m{i}")
    at = open_app(code)
    set_answers(at, {"meetings": 90})
    warning = [w.value for w in at.warning]
    assert warning == ["与上期差异较大,请确认(近几期一般为 9次)。"]
    click(at, KEEP_REST)  # the figure still waits for its confirmation
    assert at.subheader[0].value == "文件与会议" and at.warning
    click(at, "确认无误")
    assert not at.warning  # asked once: accepted
    assert at.subheader[0].value == "文件与会议"
    click(at, "下一步")
    assert at.subheader[0].value == "总体感受"  # only the perception item is left
    set_answers(at, {"burden_change": "5"})  # the last missing answer: the confirmation
    click(at, "提交")
    assert app_env.kept(respondent, monthly.id, PERIOD)[1]["meetings"] == 90
    assert app_env.query("SELECT question_id, value, reference, confirmed FROM soft_checks") == [
        ("meetings", 90.0, 9.0, True)]
    assert app_env.query("SELECT soft_checks, soft_checks_confirmed FROM form_flow") == [(1, 1)]


def test_revise_after_submit_keeps_the_submitted_answers(code, app_env, monthly):
    respondent = app_env.respondent(code)
    app_env.submit(respondent, monthly, PERIOD, complete_answers(), "first")
    at = open_app(code)
    assert at.success[0].value == "已提交,谢谢!"
    click(at, "修改本期答案")
    assert at.number_input(key=field(at, "documents")).value == 40
    set_answers(at, {"documents": 41})
    click(at, "其余保持不变,去提交")
    assert at.subheader[0].value == "确认提交"
    click(at, "提交")
    assert app_env.query("SELECT revision FROM submissions") == [(2,)]
    assert app_env.kept(respondent, monthly.id, PERIOD)[1] == complete_answers(documents=41)


def test_english_interface(code, app_env, monthly):
    submitted_last_month(app_env, monthly, code)
    at = open_app(code, lang="en")
    assert at.subheader[0].value == "Documents and meetings"
    assert at.number_input[0].label.startswith("How many documents")
    click(at, "Nothing changed since last period")
    assert at.subheader[0].value == "Confirm and submit"
    assert any(f"16 answers, the same as last period ({LAST})." in m for m in markdown(at))


def test_qr_link_session_opens_the_form(code):
    at = as_cadre(AppTest.from_file(APP, default_timeout=30), code).run()
    assert not at.exception
    assert at.subheader[0].value == "文件与会议"


def test_questionnaire_admin_page_lists_versions_and_the_forms_burden(app_env, code, monthly):
    respondent = app_env.respondent(code)
    app_env.submit(respondent, monthly, LAST, complete_answers(), "first",
                   started_at=dt.datetime.now() - dt.timedelta(seconds=95))
    add_staff(app_env, "boss", "admin")
    at = as_user(AppTest.from_file(APP, default_timeout=30), "boss").run()
    at.switch_page("app_pages/questionnaires.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table.iloc[:, 0]) == {"burden_monthly", "public_rating"}
    assert at.success[0].value == "所有问卷文件均通过校验。"
    burden = next(d.value for d in at.dataframe if "中位用时(分钟)" in d.value.columns)
    row = burden.iloc[0]
    assert row["期次"] == LAST and row["提交数"] == 1
    assert 1.5 <= row["中位用时(分钟)"] <= 1.7


def test_refused_submit_keeps_the_answers_on_the_page(code, app_env, monthly):
    at = open_app(code)
    for answers in SECTIONS:
        set_answers(at, answers)
        click(at, "下一步" if answers is not SECTIONS[-1] else "检查答案")
    app_env.close_period(monthly.id, PERIOD, "admin")  # closed while the cadre was filling
    click(at, "提交")
    assert "本期已关闭,不能再提交或修改。" in [e.value for e in at.error]
    assert at.subheader[0].value == "确认提交"  # still there, nothing lost
    assert any(t.value == "40 件" for t in at.text)
    assert app_env.count("submissions") == 0


def test_locked_database_shows_a_message_not_a_traceback(tmp_path, monkeypatch):
    import subprocess
    import sys
    db = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(120)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        monkeypatch.setenv("SURVEY_DB", str(db))
        monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
        at = AppTest.from_file(APP, default_timeout=30).run()
        assert not at.exception
        assert "is in use by another program" in at.error[0].value
        assert "数据库暂时无法打开" in at.error[0].value
    finally:
        holder.kill()
        holder.wait()


def test_going_back_and_changing_a_value_drops_the_implied_no_change(code, app_env, monthly):
    """"没有变化" came from the one-step button, not from the cadre: after a change it is asked."""
    respondent = submitted_last_month(app_env, monthly, code, meetings=32)
    at = open_app(code)
    click(at, NOTHING_CHANGED)
    assert at.subheader[0].value == "确认提交"
    click(at, "上一步")
    set_answers(at, {"meetings": 45})
    click(at, "下一步")  # to what is left: the burden question, now unanswered
    assert at.subheader[0].value == "总体感受"
    assert at.radio(key=field(at, "burden_change")).value is None
    assert "还需回答 1 题:与上期相比,您的工作负担:" in [i.value for i in at.info]
    set_answers(at, {"burden_change": "5"})
    click(at, "提交")
    kept = app_env.kept(respondent, monthly.id, PERIOD)[1]
    assert kept["meetings"] == 45 and kept["burden_change"] == "5"


def test_a_revision_that_changes_something_asks_the_burden_question(code, app_env, monthly):
    respondent = submitted_last_month(app_env, monthly, code)
    at = open_app(code)
    click(at, NOTHING_CHANGED)
    click(at, "提交")
    click(at, "修改本期答案")
    set_answers(at, {"documents": 41})
    click(at, "其余保持不变,去提交")
    assert at.subheader[0].value == "总体感受"  # not straight to submit with the old 没有变化
    set_answers(at, {"burden_change": "4"})
    click(at, "提交")
    assert app_env.kept(respondent, monthly.id, PERIOD)[1] == complete_answers(
        documents=41, burden_change="4")


def test_a_long_paste_is_kept_with_the_length_message(code, app_env, monthly):
    submitted_last_month(app_env, monthly, code)
    at = open_app(code)
    click(at, NOTHING_CHANGED)
    at.button(key=f"edit:{PREFIX}:perception").click().run()
    pasted = "减" * 600
    at.text_area(key=field(at, "one_cut")).input(pasted).run()  # AppTest drops it as a browser
    assert at.text_area(key=field(at, "one_cut")).value == pasted  # would, past max_chars
    assert "最多 500 个字(现在 600 个)。" in [e.value for e in at.error]


def test_two_tabs_on_one_code_the_second_submission_asks_first(code, app_env, monthly):
    respondent = submitted_last_month(app_env, monthly, code)
    tab_a, tab_b = open_app(code), open_app(code)
    set_answers(tab_a, {"documents": 41})
    set_answers(tab_b, {"meetings": 20})
    click(tab_b, KEEP_REST)
    set_answers(tab_b, {"burden_change": "4"})
    click(tab_b, "提交")
    click(tab_a, KEEP_REST)
    set_answers(tab_a, {"burden_change": "4"})
    click(tab_a, "提交")
    warning = [w.value for w in tab_a.warning]
    assert any(w.startswith("本期已在其他页面或设备提交(第 1 版,") for w in warning), warning
    assert app_env.query("SELECT revision FROM submissions WHERE period_key = ?", [PERIOD]) == [
        (1,)]
    click(tab_a, "查看已提交的答案")
    assert tab_a.success[0].value == "已提交,谢谢!"  # B's answers, nothing reverted
    assert app_env.kept(respondent, monthly.id, PERIOD)[1]["meetings"] == 20


def test_a_draft_saved_in_another_tab_is_not_overwritten(code, app_env, monthly):
    """...and what the cadre types while the page asks is saved too (issue 19, fault 2)."""
    respondent = app_env.respondent(code)
    tab_a, tab_b = open_app(code), open_app(code)
    set_answers(tab_a, {"documents": 41})
    set_answers(tab_b, {"meetings": 20})
    assert any("保存了更新的草稿,本页的修改也已存入其中" in w.value for w in tab_b.warning)
    assert app_env.draft(respondent, monthly.id, PERIOD).answers == {"documents": 41,
                                                                     "meetings": 20}
    set_answers(tab_b, {"meeting_hours": 5.5})  # typed while the page asks
    assert any("保存了更新的草稿" in w.value for w in tab_b.warning)
    assert app_env.draft(respondent, monthly.id, PERIOD).answers == {
        "documents": 41, "meetings": 20, "meeting_hours": 5.5}
    click(tab_b, "保留本页答案")
    assert app_env.draft(respondent, monthly.id, PERIOD).answers == {"meetings": 20,
                                                                     "meeting_hours": 5.5}


def test_a_draft_restored_at_the_confirmation_says_so(code, app_env, monthly):
    submitted_last_month(app_env, monthly, code)
    at = open_app(code)
    click(at, NOTHING_CHANGED)
    again = open_app(code)  # closed at the confirmation, opened again
    assert again.subheader[0].value == "确认提交"
    assert [i.value for i in again.info] and re.fullmatch(
        r"已恢复 \d\d:\d\d 的草稿。", again.info[0].value)


def test_the_receipt_of_a_first_submission_names_no_revision(code, app_env, monthly):
    submitted_last_month(app_env, monthly, code)
    at = open_app(code, lang="en")
    click(at, "Nothing changed since last period")
    click(at, "Submit")
    receipt = [m.value for m in at.markdown if "Receipt:" in m.value]
    assert receipt and "revision" not in receipt[0]
    click(at, "Revise this period's answers")
    click(at, "Keep the rest as it is")
    click(at, "Submit")
    assert any("(revision 2)" in m.value for m in at.markdown)


def test_the_chosen_period_carries_over_a_language_switch(code, app_env):
    at = open_app(code)
    at.selectbox(key="period_pick|zh").set_value(LAST).run()
    at.sidebar.radio[0].set_value("en").run()
    assert not at.exception
    assert at.selectbox(key="period_pick|en").value == LAST
    assert at.selectbox(key="period_pick|en").options[0] == f"{PERIOD} (current)"
