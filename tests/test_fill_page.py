"""AppTest of the fill page against a real DuckDB file."""

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from survey import periods
from tests.conftest import KEY, ROOT, VILLAGE, add_staff, as_user, complete_answers

APP = str(ROOT / "survey_app.py")
PERIOD = periods.key_for("month", dt.date.today())
PREFIX = f"burden_monthly:1:{PERIOD}"


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


def set_answers(at: AppTest, answers: dict) -> AppTest:
    for qid, value in answers.items():
        key = f"{PREFIX}:{qid}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
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


SECTIONS = [
    {"documents": 40, "documents_action": 12, "meetings": 9, "meeting_hours": 6.5},
    {"forms": 14, "form_hours": 7.0, "duplicate_forms": 3},
    {"inspections": 2, "inspection_hours": 8.0},
    {"trace_demands": True, "trace_hours": 2.5, "apps": 6, "chat_groups": 15, "chat_pressure": True},
    {"burden_change": "2", "satisfaction": "4"},
]


def test_code_sign_in_shows_point_and_first_section(code):
    at = open_app(code)
    assert any("和平村" in m.value for m in at.markdown)
    assert at.subheader[0].value == "文件与会议"
    assert "第 1/5 部分" in at.get("progress")[0].proto.text


def test_unknown_code_is_refused_with_a_message(app_env):
    at = open_app("ABCD-EFGH")
    assert at.error[0].value == "未找到该填报码,请与填报码单核对,或联系发放人。"
    assert not at.number_input


def test_code_in_the_url_signs_in(code):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["code"] = code
    at.run()
    assert at.subheader[0].value == "文件与会议"


def test_validation_message_next_to_the_field_and_relevance(code):
    at = open_app(code)
    assert not any(n.key == f"{PREFIX}:documents_action" for n in at.number_input)
    set_answers(at, {"documents": 5, "meeting_hours": 95.0})
    assert any(n.key == f"{PREFIX}:documents_action" for n in at.number_input)  # now asked
    assert [e.value for e in at.error] == ["不能大于 80。"]
    set_answers(at, {"documents_action": 9})
    assert "不能多于本月收文总数。" in [e.value for e in at.error]
    click(at, "下一步")  # refused: errors and required answers missing
    assert at.subheader[0].value == "文件与会议"
    assert "请填写此项。" in [e.value for e in at.error]


def test_fill_every_section_review_submit_and_receipt(code, app_env):
    at = open_app(code)
    for answers in SECTIONS:
        set_answers(at, answers)
        click(at, "下一步" if answers is not SECTIONS[-1] else "检查答案")
    assert at.subheader[0].value == "请检查您的答案"
    click(at, "提交")
    assert at.success[0].value == "已提交,谢谢!"
    receipt_text = next(m.value for m in at.markdown if "回执编号" in m.value)
    rows = app_env.query("SELECT submission_id, duration_s FROM submissions")
    assert len(rows) == 1 and rows[0][0] in receipt_text
    assert rows[0][1] is not None and rows[0][1] >= 0
    stored = app_env.submission_answers(rows[0][0])
    assert stored == complete_answers()


def test_carry_forward_and_nothing_changed(code, app_env, monthly):
    respondent = app_env.respondent(code)
    app_env.submit(respondent, monthly, periods.previous("month", PERIOD),
                   complete_answers(apps=11), "last-month")
    at = open_app(code)
    assert at.number_input(key=f"{PREFIX}:documents").value == 40
    assert any("上期值" in c.value for c in at.caption)
    click(at, "与上期相同,一键确认")
    # Lands on the first part with something left to answer: last week's trace demands are
    # asked afresh (they are about the reference week), then the perception questions.
    assert at.subheader[0].value == "留痕与指尖负担"
    assert at.number_input(key=f"{PREFIX}:apps").value == 11
    set_answers(at, {"trace_demands": False})
    click(at, "下一步")
    assert at.subheader[0].value == "总体感受"
    set_answers(at, {"burden_change": "3", "satisfaction": "5"})
    click(at, "检查答案")
    click(at, "提交")
    assert at.success
    kept = app_env.kept(respondent, monthly.id, PERIOD)[1]
    assert kept["apps"] == 11 and kept["satisfaction"] == "5" and "trace_hours" not in kept


def test_draft_survives_a_reload(code, app_env):
    at = open_app(code)
    set_answers(at, {"documents": 33, "meetings": 4})
    again = open_app(code)  # a new session: closed tab, new browser
    assert again.number_input(key=f"{PREFIX}:documents").value == 33
    assert any("已恢复您" in i.value for i in again.info)


def test_revise_after_submit(code, app_env, monthly):
    respondent = app_env.respondent(code)
    app_env.submit(respondent, monthly, PERIOD, complete_answers(), "first")
    at = open_app(code)
    assert at.success[0].value == "已提交,谢谢!"
    click(at, "修改本期答案")
    assert at.number_input(key=f"{PREFIX}:documents").value == 40
    set_answers(at, {"documents": 41})
    for _ in SECTIONS[:-1]:
        click(at, "下一步")
    click(at, "检查答案")
    click(at, "提交")
    assert app_env.query("SELECT revision FROM submissions") == [(2,)]


def test_english_interface(code):
    at = open_app(code, lang="en")
    assert at.subheader[0].value == "Documents and meetings"
    assert at.number_input[0].label.startswith("How many documents")


def test_questionnaire_admin_page_lists_versions(app_env):
    add_staff(app_env, "boss", "admin")
    at = as_user(AppTest.from_file(APP, default_timeout=30), "boss").run()
    at.switch_page("app_pages/questionnaires.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table.iloc[:, 0]) == {"burden_monthly", "public_rating"}
    assert at.success[0].value == "所有问卷文件均通过校验。"


def test_refused_submit_keeps_the_answers_on_the_page(code, app_env, monthly):
    at = open_app(code)
    for answers in SECTIONS:
        set_answers(at, answers)
        click(at, "下一步" if answers is not SECTIONS[-1] else "检查答案")
    app_env.close_period(monthly.id, PERIOD, "admin")  # closed while the cadre was filling
    click(at, "提交")
    assert "本期已关闭,不能再提交或修改。" in [e.value for e in at.error]
    assert at.subheader[0].value == "请检查您的答案"  # still on the review, nothing lost
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
