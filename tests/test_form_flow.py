"""The fill flow in the core (survey.form_flow), without Streamlit, on the real questionnaires
and a real DuckDB store; the form's own burden (survey.form_burden)."""

import datetime as dt
import re

import pytest

from survey import form_flow, periods
from survey.form_burden import form_burden
from survey.form_flow import CONFIRM, DONE, FILL, KEEP_AS_IS, KEEP_REST, NOTHING_CHANGED, FormFlow
from survey.questionnaire import load
from survey.questionnaire.model import Plausibility
from tests.conftest import ROOT, VILLAGE, complete_answers

TODAY = dt.date.today()
PERIOD = periods.key_for("month", TODAY)  # open now: form_flow.submit checks the real date
LAST = periods.previous("month", PERIOD)
BEFORE = periods.previous("month", LAST)


def docs_example():
    """The example of "An unchanged month and soft checks" in docs/questionnaire-format.md."""
    text = (ROOT / "docs" / "questionnaire-format.md").read_text(encoding="utf-8")
    section = text.split("## An unchanged month and soft checks", 1)[1]
    return load(re.search(r"```yaml\n(.*?)```", section, re.S)[1], "questionnaire-format.md")


def flow_after(monthly, **last):
    return FormFlow.open(monthly, PERIOD, [(LAST, complete_answers(**last))])


@pytest.fixture
def respondent(store):
    return store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0])


def test_unchanged_month_confirms_everything_in_one_step(monthly):
    flow = flow_after(monthly)
    assert flow.offer() == NOTHING_CHANGED and flow.step == FILL
    flow.keep_last_period()
    assert flow.step == CONFIRM
    assert flow.answers == complete_answers(burden_change="3")  # implied: 没有变化
    assert flow.summary().changed == () and flow.summary().answers == 16
    assert flow.record() == {"items_asked": 17, "confirmed_unchanged": True, "soft_checks": []}


def test_an_edit_is_kept_and_the_rest_taken_from_last_period(monthly):
    flow = flow_after(monthly, meetings=32)
    flow.set_answer("meetings", 45.0)  # the number field gives a float
    assert flow.answers["meetings"] == 45 and flow.offer() == KEEP_REST
    flow.keep_last_period()
    assert flow.answers["meetings"] == 45 and flow.answers["documents"] == 40
    # a changed month is not "no change": the perception item is asked, and the page goes there
    assert flow.step == FILL and flow.current.id == "perception"
    assert flow.remaining() == ["burden_change"]
    key, params = flow.notice
    assert key == "still_to_answer" and [t.zh for t in params["questions"]] == [
        "与上期相比,您的工作负担:"]
    flow.set_answer("burden_change", "4")
    assert flow.leads_to_confirm()
    assert flow.next() and flow.step == CONFIRM
    assert flow.summary().changed == ("meetings", "burden_change")
    assert flow.record()["confirmed_unchanged"] is False


def test_an_emptied_field_is_unanswered_and_never_refilled(monthly):
    flow = flow_after(monthly)
    flow.set_answer("meetings", None)
    assert flow.answers["meetings"] is None
    assert flow.message("meetings").zh == "请填写此项。"  # shown at once, not only after "next"
    assert flow.progress() == (14, 17)  # 15 carried, one emptied
    flow.keep_last_period()
    assert flow.answers["meetings"] is None and flow.current.id == "documents_meetings"


def test_a_decimal_in_a_whole_number_question_is_refused(monthly):
    flow = FormFlow.open(monthly, PERIOD)
    flow.set_answer("documents", 3.7)
    assert flow.answers["documents"] == 3.7
    assert flow.message("documents").zh == "请输入整数。"
    assert not flow.next()


def test_progress_counts_asked_questions_as_they_are_answered(monthly):
    flow = FormFlow.open(monthly, PERIOD)
    assert flow.progress() == (0, 12)
    flow.set_answer("documents", 5.0)
    assert flow.progress() == (1, 13)  # its follow-up is now asked
    flow.set_answer("documents_action", 3.7)  # refused: a whole number is asked
    assert flow.progress() == (1, 13)
    flow.set_answer("documents_action", 3.0)
    assert flow.progress() == (2, 13)


def test_draft_restore_opens_where_the_cadre_stopped(store, monthly, respondent):
    store.submit(respondent, monthly, LAST, complete_answers(), "last", today=TODAY)
    flow = form_flow.open_form(store, respondent, monthly, PERIOD)
    assert not flow.needs_saving()  # nothing typed yet: nothing written
    flow.set_answer("meetings", None)  # emptied on purpose
    assert flow.next() is False  # refused: it is required
    flow.set_answer("meetings", 12.0)
    flow.next()
    flow.set_answer("forms", 20.0)
    form_flow.save(store, respondent, flow)
    again = form_flow.open_form(store, respondent, monthly, PERIOD)  # reload, another device
    assert again.current.id == "forms" and again.answers["forms"] == 20
    key, params = again.notice
    assert key == "draft_restored_short" and params["section"].zh == "填表报数"
    assert again.offer() == KEEP_REST
    again.keep_last_period()
    assert again.answers["meetings"] == 12 and again.answers["forms"] == 20


def test_draft_restore_at_the_confirmation(store, monthly, respondent):
    store.submit(respondent, monthly, LAST, complete_answers(), "last", today=TODAY)
    flow = form_flow.open_form(store, respondent, monthly, PERIOD)
    flow.set_answer("apps", 7.0)
    flow.keep_last_period()
    flow.set_answer("burden_change", "3")
    flow.next()
    assert flow.step == CONFIRM
    form_flow.save(store, respondent, flow)
    again = form_flow.open_form(store, respondent, monthly, PERIOD)
    assert again.step == CONFIRM and again.notice[0] == "draft_restored_short"


@pytest.mark.parametrize("value, recent, asks", [
    (90, [9, 9, 8], True),      # ten times the usual meetings
    (30, [9, 9, 8], False),     # more, but not out of line
    (0, [40, 42, 38], True),    # a drop to a tenth is a second look too
    (15, [0, 0], True),         # from none to many
    (8, [0, 0], False),         # small absolute changes never ask
    (90, [], False),            # no history, nothing to compare
    (90, [90] * 6 + [9], False),  # usual within the last `months` (newest first)
])
def test_implausible(value, recent, asks):
    rule = Plausibility(factor=10, min_change=10, months=6)
    assert (form_flow.implausible(rule, value, recent) is not None) == asks


def test_soft_check_asks_once_and_a_correction_is_recorded_as_such(monthly):
    recent = [(LAST, complete_answers(meetings=9)), (BEFORE, complete_answers(meetings=8))]
    flow = FormFlow.open(monthly, PERIOD, recent)
    flow.set_answer("meetings", 90.0)
    check = flow.soft_check("meetings")
    assert check.reference == 8.5
    assert check.message(monthly.question("meetings")).zh == \
        "与上期差异较大,请确认(近几期一般为 9次)。"  # a whole-number question: no 8.5次
    assert "meetings" in flow.remaining() and not flow.next()
    flow.confirm("meetings")
    assert flow.soft_check("meetings") is None and flow.next()
    assert flow.record()["soft_checks"] == [("meetings", 90.0, 8.5, True)]
    flow.set_answer("meetings", 9.0)  # corrected after all
    assert flow.record()["soft_checks"] == [("meetings", 90.0, 8.5, False)]


def test_the_documented_example_carries_implies_and_goes_to_what_cannot_carry():
    qn = docs_example()
    assert qn.question("burden_change").unchanged == "3"
    assert qn.question("meetings").plausibility == Plausibility(5, 3, 6)
    last = {"meetings": 4, "trace_demands": False, "burden_change": "2", "heaviest": "台账"}
    flow = FormFlow.open(qn, PERIOD, [(LAST, last), (BEFORE, {"meetings": 4})])
    assert flow.answers == {"meetings": 4, "trace_demands": False}
    flow.keep_last_period()
    assert flow.answers["burden_change"] == "3"
    assert flow.current.id == "views" and flow.remaining() == ["heaviest"]
    assert [t.zh for t in flow.notice[1]["questions"]] == ["本月最重的一项负担"]
    flow.set_answer("heaviest", "迎检材料")
    assert flow.next() and flow.step == CONFIRM
    flow.back()
    flow.edit(0)
    flow.set_answer("meetings", 20.0)  # five times the usual 4
    assert flow.soft_check("meetings").reference == 4


def test_revision_keeps_the_submitted_answers(monthly):
    flow = FormFlow.open(monthly, PERIOD, [(LAST, complete_answers())],
                         kept=("receipt", complete_answers(documents=50)))
    assert flow.step == DONE and not flow.needs_saving()
    flow.revise()
    assert flow.offer() == KEEP_AS_IS
    flow.set_answer("apps", 9.0)
    flow.keep_last_period()
    assert flow.step == CONFIRM
    assert flow.answers == complete_answers(documents=50, apps=9)


def test_a_revision_in_progress_survives_a_reload(store, monthly, respondent):
    store.submit(respondent, monthly, PERIOD, complete_answers(), "first", today=TODAY)
    flow = form_flow.open_form(store, respondent, monthly, PERIOD)
    assert flow.step == DONE
    flow.revise()
    flow.next()
    flow.set_answer("forms", 30.0)
    form_flow.save(store, respondent, flow)
    again = form_flow.open_form(store, respondent, monthly, PERIOD)
    assert again.step == FILL and again.revision and again.current.id == "forms"
    assert again.answers["forms"] == 30 and again.offer() == KEEP_AS_IS
    again.keep_last_period()
    receipt = form_flow.submit(store, respondent, again)
    assert receipt.revision == 2
    assert form_flow.open_form(store, respondent, monthly, PERIOD).step == DONE


def test_submission_stores_the_fill_record_for_analysts(store, monthly, respondent):
    store.submit(respondent, monthly, LAST, complete_answers(meetings=9), "last", today=TODAY)
    flow = form_flow.open_form(store, respondent, monthly, PERIOD)
    flow.set_answer("meetings", 90.0)
    flow.confirm("meetings")
    flow.keep_last_period()
    flow.set_answer("burden_change", "5")
    flow.next()
    assert flow.step == CONFIRM
    flow.started_at = dt.datetime.now() - dt.timedelta(seconds=80)
    receipt = form_flow.submit(store, respondent, flow)
    assert flow.step == DONE and flow.receipt == receipt
    assert store.query("SELECT submission_id, items_asked, confirmed_unchanged, soft_checks, "
                       "soft_checks_confirmed FROM form_flow") == [
        (receipt.submission_id, 17, False, 1, 1)]
    assert store.query("SELECT question_id, value, reference, confirmed FROM soft_checks") == [
        ("meetings", 90.0, 9.0, True)]
    # the draft and its position are gone with the submission
    assert form_flow.open_form(store, respondent, monthly, PERIOD).step == DONE


def test_form_burden_per_version_and_period(store, monthly):
    now = dt.datetime.now().replace(microsecond=0)
    codes = store.issue_codes(VILLAGE.point_id, 4)
    for i, (seconds, unchanged) in enumerate([(30, True), (60, True), (90, False), (300, False)]):
        respondent = store.respondent(codes[i])
        flow = FormFlow.open(monthly, PERIOD, [(LAST, complete_answers())])
        if unchanged:
            flow.keep_last_period()
        else:
            flow.set_answer("meetings", 90.0)  # asks; the first confirms, the second corrects
            if seconds == 90:
                flow.confirm("meetings")
            else:
                flow.set_answer("meetings", 10.0)
            flow.keep_last_period()
            flow.set_answer("burden_change", "4")
        from survey.store import forms
        record = flow.record()
        forms.record_flow(store, f"t{i}", record["items_asked"], record["confirmed_unchanged"],
                          record["soft_checks"])
        store.submit(respondent, monthly, PERIOD, flow.answers, f"t{i}", today=TODAY, now=now,
                     started_at=now - dt.timedelta(seconds=seconds))
    [row] = form_burden(store, "burden_monthly")
    assert (row.questionnaire_id, row.version, row.period_key, row.submissions) == (
        "burden_monthly", monthly.version, PERIOD, 4)
    assert row.median_s == 75 and row.p90_s == pytest.approx(237)
    assert row.items_asked == 17 and row.recorded == 4
    assert row.unchanged_share == 0.5
    assert (row.soft_checks, row.soft_confirmed_share) == (2, 0.5)
    assert row.meets_target is True


def test_an_implied_answer_goes_once_anything_differs(monthly):
    """"没有变化" set by the one-step button is not the cadre's answer: after going back and
    changing a value, the burden question is asked again (tester, issue 11)."""
    flow = flow_after(monthly, meetings=32)
    flow.keep_last_period()
    assert flow.step == CONFIRM and flow.answers["burden_change"] == "3"
    flow.back()
    assert flow.set_answer("meetings", 45.0) == ["burden_change"]  # the page forgets its widget
    assert "burden_change" not in flow.answers and flow.remaining() == ["burden_change"]
    assert flow.summary().changed == ("meetings",)
    assert flow.next() is False or flow.current.id == "perception"
    # the cadre's own "没有变化" stays, whatever else changes
    flow.set_answer("burden_change", "3")
    flow.set_answer("documents", 41.0)
    assert flow.answers["burden_change"] == "3"


def test_an_implied_answer_goes_after_a_change_in_a_restored_draft(store, monthly, respondent):
    store.submit(respondent, monthly, LAST, complete_answers(), "last", today=TODAY)
    flow = form_flow.open_form(store, respondent, monthly, PERIOD)
    flow.keep_last_period()
    assert flow.step == CONFIRM
    form_flow.save(store, respondent, flow)
    again = form_flow.open_form(store, respondent, monthly, PERIOD)  # closed and reopened
    assert again.answers["burden_change"] == "3"
    again.back()
    again.set_answer("apps", 9.0)
    assert "burden_change" not in again.answers
    again.next()
    assert again.step == FILL and again.current.id == "perception"


def test_an_implied_answer_goes_when_a_revision_changes_something(monthly):
    flow = FormFlow.open(monthly, PERIOD, [(LAST, complete_answers())],
                         kept=("receipt", complete_answers(burden_change="3")))
    flow.revise()
    flow.set_answer("meetings", 45.0)
    flow.keep_last_period()  # "其余保持不变,去提交"
    assert flow.step == FILL and flow.remaining() == ["burden_change"]
    # a revision of a month that already differed keeps the cadre's own answer
    flow = FormFlow.open(monthly, PERIOD, [(LAST, complete_answers())],
                         kept=("receipt", complete_answers(apps=9, burden_change="3")))
    flow.revise()
    flow.set_answer("meetings", 45.0)
    flow.keep_last_period()
    assert flow.step == CONFIRM and flow.answers["burden_change"] == "3"


def test_the_last_missing_answer_goes_straight_to_the_confirmation(monthly):
    """Tap budget: type -> keep the rest -> the burden choice -> 提交 (no 检查答案 tap)."""
    flow = flow_after(monthly, meetings=32)
    flow.set_answer("meetings", 45.0)
    flow.keep_last_period()
    assert flow.step == FILL and flow.remaining() == ["burden_change"]
    flow.set_answer("burden_change", "4")
    assert flow.step == CONFIRM
    # without the one-step button an answer never jumps ahead
    flow = flow_after(monthly)
    flow.set_answer("meetings", None)
    flow.set_answer("meetings", 12.0)
    assert flow.step == FILL


def test_a_submission_from_another_tab_is_not_overwritten_blindly(store, monthly, respondent):
    """Tab A edits documents, tab B edits meetings and submits, then A submits."""
    store.submit(respondent, monthly, LAST, complete_answers(), "last", today=TODAY)
    tab_a = form_flow.open_form(store, respondent, monthly, PERIOD)
    tab_b = form_flow.open_form(store, respondent, monthly, PERIOD)
    tab_a.set_answer("documents", 41.0)
    tab_b.set_answer("meetings", 20.0)
    for tab in (tab_b, tab_a):
        tab.keep_last_period()
        tab.set_answer("burden_change", "4")
        assert tab.step == CONFIRM
    first = form_flow.submit(store, respondent, tab_b)
    assert form_flow.submit(store, respondent, tab_a) is None  # not blindly
    assert tab_a.step == CONFIRM and tab_a.elsewhere == form_flow.Elsewhere(
        form_flow.SUBMITTED_ELSEWHERE, first.submitted_at, 1)
    assert store.kept(respondent, monthly.id, PERIOD)[1]["meetings"] == 20
    # the cadre chose to submit these answers as a revision
    assert form_flow.submit(store, respondent, tab_a, overwrite=True).revision == 2
    # the form that submitted revision 2 may revise it without a question
    tab_a.revise()
    tab_a.set_answer("apps", 8.0)
    tab_a.keep_last_period()
    assert form_flow.submit(store, respondent, tab_a).revision == 3


def test_a_draft_from_another_tab_is_not_overwritten_silently(store, monthly, respondent):
    tab_a = form_flow.open_form(store, respondent, monthly, PERIOD)
    tab_b = form_flow.open_form(store, respondent, monthly, PERIOD)
    tab_a.set_answer("documents", 41.0)
    form_flow.save(store, respondent, tab_a)
    tab_a.set_answer("documents_action", 5.0)
    form_flow.save(store, respondent, tab_a)  # its own draft: saved
    tab_b.set_answer("meetings", 20.0)
    form_flow.save(store, respondent, tab_b)
    assert tab_b.elsewhere.kind == form_flow.DRAFT_ELSEWHERE
    stored = store.draft(respondent, monthly.id, PERIOD).answers
    # A's answers are intact; B's change is kept beside them while B's page asks
    assert stored == {"documents": 41, "documents_action": 5, "meetings": 20}
    form_flow.save(store, respondent, tab_b, overwrite=True)  # B chose to keep its page
    assert tab_b.elsewhere is None
    assert store.draft(respondent, monthly.id, PERIOD).answers == {"meetings": 20}
    tab_a.set_answer("forms", 3.0)
    form_flow.save(store, respondent, tab_a)
    assert tab_a.elsewhere is not None  # and now A is told


def test_edits_made_while_the_page_asks_about_another_tabs_draft_are_kept(store, monthly,
                                                                          respondent):
    """Issue 19, fault 2: while a tab showed "another page saved a newer draft", nothing typed
    in it was saved; closing it lost those edits. Now they go into the draft, beside the other
    tab's answers, until the cadre chooses."""
    tab_a = form_flow.open_form(store, respondent, monthly, PERIOD)
    tab_b = form_flow.open_form(store, respondent, monthly, PERIOD)
    tab_a.set_answer("documents", 41.0)
    form_flow.save(store, respondent, tab_a)
    tab_b.set_answer("meetings", 20.0)
    form_flow.save(store, respondent, tab_b)  # the page now asks
    tab_b.set_answer("forms", 3.0)
    tab_b.set_answer("meetings", 21.0)
    form_flow.save(store, respondent, tab_b)  # still asking
    assert tab_b.elsewhere.kind == form_flow.DRAFT_ELSEWHERE
    tab_a.set_answer("apps", 4.0)
    form_flow.save(store, respondent, tab_a)  # A is asked too; its change is kept as well
    assert tab_a.elsewhere.kind == form_flow.DRAFT_ELSEWHERE
    # both pages closed without choosing: a new one opens with everything typed on either
    reopened = form_flow.open_form(store, respondent, monthly, PERIOD)
    assert reopened.answers == {"documents": 41, "meetings": 21, "forms": 3, "apps": 4}
    assert {"documents", "meetings", "forms", "apps"} <= reopened.touched


def test_a_page_drawn_before_another_tab_saved_merges_field_by_field(monthly):
    """What a page changed against what it drew; only a question both sides changed, to
    different answers, is left for the cadre to decide (the light form asks)."""
    flow = flow_after(monthly)                   # as the older page was drawn: 40, 9, 6.5
    drawn = {"documents": 40, "meetings": 9, "meeting_hours": 6.5}
    flow.set_answer("documents", 41.0)           # the other tab, saved since
    flow.set_answer("meeting_hours", 7.0)
    posted = {"documents": 45.0, "meetings": 10.0, "meeting_hours": 7.0}
    changes = flow.page_changes({**posted, "documents_action": 12.0}, drawn)
    assert changes == posted                     # documents_action was not drawn: not posted
    assert flow.take_changes(changes, drawn) == ["documents"]
    assert (flow.answers["documents"], flow.answers["meetings"], flow.answers["meeting_hours"]
            ) == (41, 10, 7.0)                   # the same change on both sides is no clash
    assert flow.page_changes({"meetings": 9.0}, drawn) == {}  # left as drawn: no change


def test_the_forms_clock_starts_when_the_page_was_drawn_if_nothing_was_saved(monthly):
    now = dt.datetime.now().replace(microsecond=0)
    flow = FormFlow.open(monthly, PERIOD, [(LAST, complete_answers())], now=now)
    flow.page_opened_at(now + dt.timedelta(minutes=5))      # in the future: not taken
    flow.page_opened_at(now - dt.timedelta(hours=3))        # older than a session: not taken
    assert flow.started_at == now
    flow.page_opened_at(now - dt.timedelta(seconds=70))
    assert flow.started_at == now - dt.timedelta(seconds=70)


REVEALS = """
id: village_skip
version: 1
title: 村级调查
sections:
  - id: a
    title: A 村庄属性
    questions:
      - {id: a1, type: integer, label: A1 户数, required: true, min: 0}
      - id: a2
        type: single_choice
        label: A2 行政村属性
        required: true
        choices: [{value: 1, label: 脱贫村}, {value: 2, label: 其他村}]
      - {id: a3, type: integer, label: A3 出列年份, required: true, relevant: a2 == 1}
  - id: b
    title: B
    questions:
      - {id: b1, type: integer, label: B1, min: 0}
"""


def test_next_shows_a_question_an_answer_on_the_part_revealed_before_asking_for_it():
    """A3 appears when A2 = 1: the 下一步 that reveals it shows it without "请填写此项" (the
    respondent has not seen it yet); the next 下一步 with it empty asks for it."""
    flow = FormFlow.open(load(REVEALS, "v.yaml"), PERIOD, [])
    drawn = {"a1": None, "a2": None}              # the light form drew A1 and A2
    flow.take_changes(flow.page_changes({"a1": 12.0, "a2": "1"}, drawn), drawn)
    assert flow.next() is False and flow.current.id == "a"  # A3 to answer, on this part
    assert [flow.message(q) for q in ("a1", "a2", "a3")] == [None, None, None]
    assert flow.state()["fresh"] == ["a3"]        # kept with the draft for the page drawn next
    drawn = {"a1": 12, "a2": "1", "a3": None}
    flow.take_changes(flow.page_changes({"a1": 12.0, "a2": "1", "a3": None}, drawn), drawn)
    assert flow.next() is False
    assert flow.message("a3") is not None and flow.message("a3").zh  # now it was seen: asked


def test_a_revealed_question_is_not_flagged_with_one_that_was_left_empty():
    flow = FormFlow.open(load(REVEALS, "v.yaml"), PERIOD, [])
    drawn = {"a1": None, "a2": None}
    flow.take_changes(flow.page_changes({"a1": "", "a2": "1"}, drawn), drawn)
    assert flow.next() is False
    assert flow.message("a1") is not None and flow.message("a3") is None
