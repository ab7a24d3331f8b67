"""Return for correction: a reason is required, leaders review only within their region, every
change is reversible and kept with who and why, and a return never moves a figure: only the
respondent's revision does."""

import datetime as dt

import pytest

from survey.access import Account
from survey.metrics import Filter
from survey.store import StoreError
from survey.store import analytics
from survey.store import reviews
from tests.conftest import SCHOOL, VILLAGE, complete_answers

ADMIN = Account("admin", "管理员", "admin")
COUNTY = Account("li", "李县长", "leader", ("江北市", "清河县"))
OTHER_COUNTY = Account("wang", "王县长", "leader", ("江北市", "白水县"))


def figure(store):
    """The leaders' mean of 'forms' for the month, as the trend pages compute it."""
    frame = analytics.aggregate(store, Filter(start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 1)),
                                ["forms"], k=1)
    return frame.iloc[0]["mean"]


@pytest.fixture
def submitted(store, monthly):
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    respondent = store.respondent(code)
    receipt = store.submit(respondent, monthly, "2026-10", complete_answers(forms=140),
                           client_token="t1", today=dt.date(2026, 10, 31))
    return respondent, receipt


def test_a_return_needs_a_reason_and_changes_no_figure(store, monthly, submitted):
    respondent, receipt = submitted
    before = figure(store)
    assert before == 140
    with pytest.raises(StoreError) as caught:
        reviews.return_submission(store, receipt.submission_id, "   ", COUNTY)
    assert "原因" in caught.value.text("zh") and "reason" in str(caught.value)
    reviews.return_submission(store, receipt.submission_id, "140 份表格?上月只有 14 份,请核实", COUNTY)
    assert reviews.state(store, respondent, "burden_monthly", "2026-10") == reviews.RETURNED
    assert figure(store) == before                       # the return moved nothing
    assert store.count("submissions") == 1
    opened = reviews.open_returns(store, respondent, "burden_monthly")
    assert [r["reason"] for r in opened] == ["140 份表格?上月只有 14 份,请核实"]

    # only the respondent's revision changes the figure
    store.submit(respondent, monthly, "2026-10", complete_answers(forms=14), client_token="t2",
                 today=dt.date(2026, 10, 31))
    assert figure(store) == 14
    assert reviews.state(store, respondent, "burden_monthly", "2026-10") == reviews.REVISED
    assert reviews.open_returns(store, respondent, "burden_monthly") == []
    history = reviews.history(store, store.kept(respondent, "burden_monthly", "2026-10")[0]
                              .submission_id)
    assert list(history["action"]) == ["submit", "return", "revise"]
    assert history.iloc[1]["actor"] == "li" and history.iloc[2]["actor"] == "respondent"
    audit = [row for row in store.audit_log() if row[2] == "review_return"]
    assert audit and audit[0][1] == "li" and "140 份表格" in audit[0][4]


def test_the_figure_is_right_and_every_step_can_be_undone(store, monthly, submitted):
    respondent, receipt = submitted
    reviews.return_submission(store, receipt.submission_id, "请核实表格数", ADMIN)
    with pytest.raises(StoreError):                      # already waiting for an answer
        reviews.return_submission(store, receipt.submission_id, "again", ADMIN)
    reviews.confirm(store, respondent, "burden_monthly", "2026-10", "本月确有专项统计,数字无误")
    assert reviews.state(store, respondent, "burden_monthly", "2026-10") == reviews.CONFIRMED
    with pytest.raises(StoreError):                      # nothing is waiting any more
        reviews.confirm(store, respondent, "burden_monthly", "2026-10", "")
    # the cadre's answer is theirs: a reviewer cannot withdraw it, only return the report again
    with pytest.raises(StoreError) as caught:
        reviews.withdraw(store, receipt.submission_id, "点错了", ADMIN)
    assert "数字无误" in caught.value.text("zh") and "again" in str(caught.value)
    assert reviews.state(store, respondent, "burden_monthly", "2026-10") == reviews.CONFIRMED
    reviews.return_submission(store, receipt.submission_id, "请再核实一次", ADMIN)
    # the reviewer's own step can be withdrawn: back to the cadre's confirmation
    assert reviews.withdraw(store, receipt.submission_id, "误退回", ADMIN) == reviews.CONFIRMED
    with pytest.raises(StoreError):
        reviews.withdraw(store, receipt.submission_id, "再撤", ADMIN)   # the cadre's step again
    history = reviews.history(store, receipt.submission_id)
    assert list(history["action"]) == ["submit", "return", "confirm", "return", "withdraw"]
    assert list(history["reason"].iloc[1:]) == ["请核实表格数", "本月确有专项统计,数字无误",
                                                "请再核实一次", "误退回"]
    assert reviews.state(store, respondent, "burden_monthly", "2026-10") == reviews.CONFIRMED
    assert figure(store) == 140                           # nothing of this touched the figure
    summary = reviews.by_reviewer(store)
    assert summary.iloc[0]["reviewer"] == "admin" and summary.iloc[0]["returns"] == 1   # one report returned


def test_the_same_return_twice_records_it_once(store, monthly, submitted):
    respondent, receipt = submitted
    assert reviews.return_submission(store, receipt.submission_id, "请核实", COUNTY) is True
    assert reviews.return_submission(store, receipt.submission_id, "请核实", COUNTY) is False
    assert list(reviews.history(store, receipt.submission_id)["action"]) == ["submit", "return"]
    with pytest.raises(StoreError):                      # a different return is still refused
        reviews.return_submission(store, receipt.submission_id, "另一个原因", COUNTY)


def test_the_same_return_from_two_app_servers_at_once_records_it_once(pg_url):
    """A double tap that a load balancer sends to two app processes on one PostgreSQL."""
    from concurrent.futures import ThreadPoolExecutor

    from survey.bootstrap import publish_dir
    from survey.store import Store
    from tests.conftest import KEY, ROOT
    servers = [Store(pg_url, KEY), Store(pg_url, KEY)]
    try:
        first = servers[0]
        assert not publish_dir(first, ROOT / "questionnaires")[1]
        first.add_points([VILLAGE])
        monthly = next(q for q in first.current_questionnaires() if q.id == "burden_monthly")
        receipts = [first.submit(first.respondent(code), monthly, "2026-10", complete_answers(),
                                 client_token=code, today=dt.date(2026, 10, 31))
                    for code in first.issue_codes(VILLAGE.point_id, 8)]
        with ThreadPoolExecutor(2) as pool:
            for receipt in receipts:
                done = list(pool.map(lambda s, r=receipt: reviews.return_submission(
                    s, r.submission_id, "请核实", COUNTY), servers))
                assert sorted(done) == [False, True]
                assert list(reviews.history(first, receipt.submission_id)["action"]) == [
                    "submit", "return"]
    finally:
        for s in servers:
            s.close()


def test_withdrawing_without_a_reason_asks_for_the_withdrawal_reason(store, monthly, submitted):
    respondent, receipt = submitted
    reviews.return_submission(store, receipt.submission_id, "请核实", COUNTY)
    with pytest.raises(StoreError) as caught:
        reviews.withdraw(store, receipt.submission_id, " ", COUNTY)
    zh = caught.value.text("zh")
    assert "撤销原因" in zh and "退回原因" not in zh and "填报人会看到" not in zh
    assert "withdraw" in str(caught.value)


def test_withdrawing_a_return_goes_back_to_received(store, monthly, submitted):
    respondent, receipt = submitted
    reviews.return_submission(store, receipt.submission_id, "请核实", COUNTY)
    assert reviews.withdraw(store, receipt.submission_id, "误退回,撤销", COUNTY) == reviews.RECEIVED
    assert reviews.open_returns(store, respondent, "burden_monthly") == []
    reviews.return_submission(store, receipt.submission_id, "再次核实", COUNTY)   # and again
    assert reviews.state(store, respondent, "burden_monthly", "2026-10") == reviews.RETURNED


def test_leaders_review_only_within_their_region_and_closed_periods_are_refused(
        store, monthly, submitted):
    respondent, receipt = submitted
    with pytest.raises(StoreError) as caught:
        reviews.return_submission(store, receipt.submission_id, "核实", OTHER_COUNTY)
    assert "辖区" in caught.value.text("zh")
    assert not reviews.may_review(Account("a", "a", "analyst"), VILLAGE.region)
    assert reviews.reviewed(store, ("江北市", "白水县")).empty
    store.close_period("burden_monthly", "2026-10", "admin")
    with pytest.raises(StoreError) as caught:
        reviews.return_submission(store, receipt.submission_id, "核实", ADMIN)
    assert "重新开放" in caught.value.text("zh")


def test_soft_checks_confirmed_are_offered_as_a_review_queue(store, monthly):
    from survey.store import forms
    code = store.issue_codes(SCHOOL.point_id, 1)[0]
    respondent = store.respondent(code)
    forms.record_flow(store, "soft-1", 16, False, [("forms", 140, 14, True)])
    receipt = store.submit(respondent, monthly, "2026-10", complete_answers(forms=140),
                           client_token="soft-1", today=dt.date(2026, 10, 31))
    queue = reviews.queue(store, ("江北市", "清河县"))
    assert list(queue["submission_id"]) == [receipt.submission_id]
    assert (queue.iloc[0]["value"], queue.iloc[0]["reference"]) == (140, 14)
    reviews.return_submission(store, receipt.submission_id, "请核实", COUNTY)
    assert reviews.queue(store).empty                      # reviewed: out of the queue


@pytest.mark.embedded_only  # the app (AppTest) runs on the DuckDB file
def test_the_review_page_returns_with_a_reason_only(store, monthly, submitted, db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from tests.conftest import KEY, ROOT, add_staff, as_user
    respondent, receipt = submitted
    add_staff(store, "li", "leader", ("江北市", "清河县"))
    store.close()
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), "li")
    at.switch_page("app_pages/reviews.py").run()
    assert not at.exception, at.exception
    period = next(s for s in at.selectbox if s.label == "填报期")
    period.set_value("2026-10").run()
    report = next(s for s in at.selectbox if s.label == "填报")
    assert " · 第1版 · " in report.options[0]                  # not "第1 版"
    at.button(key="FormSubmitter:return-退回更正").click().run()
    assert any("请填写退回原因" in e.value for e in at.error)
    at.text_area[0].input("表格数是否多写了一个 0?")
    at.button(key="FormSubmitter:return-退回更正").click().run()
    assert any("已退回" in s.value for s in at.success), [e.value for e in at.error]
    at.button(key="FormSubmitter:return-退回更正").click().run()     # a double tap
    assert not at.error, [e.value for e in at.error]
    assert any("已退回" in s.value for s in at.success)
    from survey.bootstrap import started
    from survey.config import resolve
    live = started(resolve()).store
    assert reviews.state(live, respondent, "burden_monthly", "2026-10") == reviews.RETURNED
    assert reviews.open_returns(live, respondent, "burden_monthly")[0]["reason"] == \
        "表格数是否多写了一个 0?"
    assert list(reviews.history(live, receipt.submission_id)["action"]) == ["submit", "return"]
