"""Problem clues (线索) with their workflow, and the public rating (万人评)."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from streamlit.testing.v1 import AppTest

from survey import clue_rules as rules
from survey import fields, periods, trends
from survey.bootstrap import start
from survey.config import resolve
from survey.metrics import Filter
from survey.store import AlreadySubmitted, Point, Respondent, Store, StoreError
from survey.store import clues
from tests.conftest import KEY, ROOT, SCHOOL, VILLAGE, add_staff, as_user, rate_page

APP = str(ROOT / "survey_app.py")
OTHER = Point("P-OTHER", "石桥村", "village", "village", ("南山市", "石桥县", "石桥镇"))


def report(store, point=VILLAGE, category="digital", body="县政务服务中心", text="每天打卡三个APP"):
    return clues.report(store, point.point_id, "public", category, "county", body,
                        fields.clue_months()[1], text)


def test_report_and_follow_up_by_receipt(store):
    receipt = report(store, text="<script>alert(1)</script> 每天打卡")
    assert receipt.startswith("XS-")
    state = clues.status(store, receipt)
    assert state["status"] == "new" and state["voices"] == 1 and state["steps"] == []
    assert clues.status(store, "XS-AAAA-BBBB") is None
    assert clues.status(store, receipt.lower()) is not None  # typed in lower case
    stored = store.query("SELECT receipt_hash, description FROM clue")[0]
    assert receipt not in stored[0] and stored[1] == "<script>alert(1)</script> 每天打卡"
    # anonymous: nothing ties a clue to a respondent
    columns = {r[0] for r in store.query("SELECT column_name FROM information_schema.columns "
                                         "WHERE table_name = 'clue'")}
    assert "respondent_key" not in columns


def test_every_workflow_step_and_the_refused_ones(store):
    receipt = report(store)
    pid = store.query("SELECT problem_id FROM problem")[0][0]
    with pytest.raises(rules.WorkflowError):
        clues.transition(store, pid, "closed", "boss", "跳过核查")  # no skipping
    with pytest.raises(rules.WorkflowError):
        clues.transition(store, pid, "verifying", "boss", "  ")  # a note is required
    clues.transition(store, pid, "verifying", "boss", "转县减负办核查")
    clues.transition(store, pid, "rectifying", "boss", "属实,已发提示函")
    with pytest.raises(rules.WorkflowError) as info:
        clues.transition(store, pid, "closed", "boss", "")
    assert "every step needs one" in str(info.value)
    clues.transition(store, pid, "closed", "boss", "APP 已整合为一个,销号")
    with pytest.raises(rules.WorkflowError):
        clues.transition(store, pid, "verifying", "boss", "再看看")  # closed is final
    state = clues.status(store, receipt)
    assert state["status"] == "closed"
    assert [s for _, s in state["steps"]] == ["verifying", "rectifying", "closed"]
    audit = [r[2] for r in store.audit_log(actor="boss")]
    assert audit[:3] == ["problem_closed", "problem_rectifying", "problem_verifying"]
    other = report(store, category="plaques", body="镇综治办")
    pid2 = next(p for (p,) in store.query("SELECT problem_id FROM problem WHERE status = 'new'"))
    with pytest.raises(rules.WorkflowError):
        clues.transition(store, pid2, "dismissed", "boss", "")  # dismissing needs a reason
    clues.transition(store, pid2, "dismissed", "boss", "不属于形式主义问题")
    assert clues.status(store, other)["status"] == "dismissed"


def test_reports_about_the_same_body_are_one_problem(store):
    report(store, body="县政务服务中心")
    report(store, body=" 县政务 服务中心。")  # spacing and punctuation differ
    report(store, category="traces", body="县政务服务中心")  # another kind: another problem
    frame = clues.problems(store, Filter())
    voices = dict(zip(frame["category"], frame["voices"]))
    assert voices == {"digital": 2, "traces": 1}
    pid = frame.set_index("category").loc["digital", "problem_id"]
    for step, note in (("verifying", "a"), ("rectifying", "b"), ("closed", "c")):
        clues.transition(store, pid, step, "boss", note)
    report(store, body="县政务服务中心")  # it came back after closing: a new problem
    assert len(clues.problems(store, Filter())) == 3


def test_reports_on_two_app_servers_at_once_are_one_problem_with_a_receipt_each(
        store, store_target, engine_name):
    second = Store(store_target, KEY) if engine_name == "postgres" else store
    gate = threading.Barrier(8)

    def file(s):
        gate.wait()
        return report(s)
    try:
        with ThreadPoolExecutor(8) as pool:
            receipts = list(pool.map(file, (store, second) * 4))
        assert store.query("SELECT count(*) FROM problem") == [(1,)]
        assert len(set(receipts)) == 8
        assert {clues.status(store, r)["voices"] for r in receipts} == {8}
        # two leaders taking the same step at once: it is taken once, the other is refused
        pid = store.query("SELECT problem_id FROM problem")[0][0]
        gate = threading.Barrier(2)

        def step(s):
            gate.wait()
            try:
                clues.transition(s, pid, "verifying", "boss", "核实")
                return "done"
            except rules.WorkflowError:
                return "refused"
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(step, (store, second)))
        assert sorted(outcomes) == ["done", "refused"]
        assert store.query("SELECT count(*) FROM problem_event") == [(1,)]
    finally:
        if second is not store:
            second.close()


def test_problem_list_and_steps_stay_in_the_leaders_region(store):
    store.add_points([OTHER])
    report(store, point=VILLAGE, body="县农业农村局")
    report(store, point=OTHER, body="县农业农村局")
    mine = clues.problems(store, Filter(scope=("江北市", "清河县")))
    assert list(mine["county"]) == ["清河县"]
    theirs = clues.problems(store, Filter()).set_index("county").loc["石桥县", "problem_id"]
    with pytest.raises(StoreError):
        clues.transition(store, theirs, "verifying", "county", "越权", scope=("江北市", "清河县"))
    assert clues.detail(store, theirs, Filter(scope=("江北市", "清河县"))) is None
    assert clues.problems(store, Filter(prefecture="南山市", scope=("江北市", "清河县"))).empty


def test_counts_by_month_hide_small_cells(store):
    for _ in range(4):
        report(store)
    frame = clues.counts_by_month(store, Filter(), k=5)
    assert frame["suppressed"].all() and frame["clues"].isna().all()
    report(store)
    assert clues.counts_by_month(store, Filter(), k=5)["clues"].tolist() == [5]


def test_one_public_rating_per_browser_point_and_quarter(store):
    qn = next(q for q in store.current_questionnaires() if q.id == "public_rating")
    key = "browser-pseudonym-1"
    clues.register_public_rater(store, key, VILLAGE.point_id)
    rater = Respondent(key, VILLAGE)
    period = periods.key_for("quarter", dt.date.today())
    answers = {"overall": "4", "aspects": {"efficiency": "3", "attitude": "5"}, "visits": 1}
    store.submit(rater, qn, period, answers, "r1", revisable=False)
    with pytest.raises(AlreadySubmitted):
        store.submit(rater, qn, period, answers, "r2", revisable=False)
    assert store.query("SELECT count(*) FROM submission WHERE questionnaire_id = "
                       "'public_rating'") == [(1,)]
    with pytest.raises(StoreError):  # the same browser pseudonym cannot rate another point
        store.submit(Respondent(key, SCHOOL), qn, period, answers, "r3", revisable=False)
    responses = store.query("SELECT count(*) FROM respondent")[0][0]
    assert responses == 0  # raters are not counted as expected respondents


@pytest.fixture
def demo_app(tmp_path, monkeypatch):
    path = tmp_path / "demo.duckdb"
    store = start(resolve({"SURVEY_DB": str(path), "SURVEY_CODE_KEY": KEY.decode()})).store
    add_staff(store, "boss", "admin")
    add_staff(store, "county", "leader", ("江北市", "清河县"))
    monkeypatch.setenv("SURVEY_DB", str(path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    yield store
    store.close()


def rate(at: AppTest) -> AppTest:
    at.radio(key="rate:public_rating:overall").set_value("4").run()
    at.radio(key="rate:public_rating:aspects:efficiency").set_value("3").run()
    at.radio(key="rate:public_rating:aspects:attitude").set_value("5").run()
    next(b for b in at.button if b.label == "提交").click().run()
    assert not at.exception
    return at


def test_rating_page_once_per_browser_then_a_polite_message(demo_app):
    point = next(p for p in demo_app.points() if p.kind == "village")
    before = demo_app.query("SELECT count(*) FROM submissions WHERE questionnaire_id = "
                            "'public_rating'")[0][0]
    at = rate(rate_page(point.point_id))
    assert at.success[0].value == "已提交,谢谢您的参与!"
    at.run()  # the same browser comes back: no form, the same thanks
    assert not [r for r in at.radio if str(r.key).startswith("rate:")] and at.success
    after = demo_app.query("SELECT count(*) FROM submissions WHERE questionnaire_id = "
                           "'public_rating'")[0][0]
    assert after == before + 1


def test_rating_rate_limit_per_client(demo_app):
    from survey import config, throttle
    from survey.bootstrap import started
    limits = started(config.resolve()).limits
    for _ in range(20):  # this client (AppTest has no address) already rated 20 times
        limits.ratings.record(throttle.key("client", "unknown"))
    point = next(p for p in demo_app.points() if p.kind == "hospital")
    before = demo_app.count("submissions")
    at = rate_page(point.point_id)
    # said before the form, not after someone has filled it all in
    assert at.warning[0].value.startswith("这台设备(或同一网络)短时间内提交了较多评价")
    assert not [r for r in at.radio if str(r.key).startswith("rate:")]
    assert demo_app.count("submissions") == before


def test_rating_needs_a_point_link(demo_app):
    at = rate_page("NO-SUCH-POINT")
    assert at.info[0].value.startswith("请扫描办事场所张贴的二维码")


def test_clue_page_with_a_public_link_and_follow_up(demo_app):
    point = next(p for p in demo_app.points() if p.kind == "village")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["point"] = point.point_id
    at.switch_page("app_pages/clue.py").run()
    at.text_input[0].input("县应急管理局")
    at.text_area[0].input("一个月四次检查,每次都要求重新准备材料。")
    next(b for b in at.button if b.label == "提交").click().run()
    receipt = at.code[0].value
    assert receipt.startswith("XS-")
    status_box = next(x for x in at.text_input if x.label == "回执码")
    status_box.input(receipt).run()
    assert at.success[-1].value == "当前状态:新线索"


def test_problem_page_for_a_county_leader(demo_app):
    at = as_user(AppTest.from_file(APP, default_timeout=60), "county")
    at.switch_page("app_pages/problems.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["县/区"]) <= {"清河县"} and len(table) >= 1


def test_public_rating_is_on_the_trend_page(demo_app):
    frame = trends.public_and_cadres(demo_app, Filter(), 5)
    assert set(frame["who"]) == {"public", "cadres"}
    public = frame[(frame["who"] == "public") & ~frame["suppressed"]]
    assert ((public["mean"] >= 1) & (public["mean"] <= 5)).all() and public["n"].min() >= 5
    at = as_user(AppTest.from_file(APP, default_timeout=60), "boss")
    at.query_params["view"] = "public"
    at.switch_page("app_pages/trends.py").run()
    assert not at.exception and at.get("vega_lite_chart")
    assert any(c.value.startswith("群众对监测点服务的评价") for c in at.caption)
