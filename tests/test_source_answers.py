"""The form's source blocks through the core and the store, on both engines (the `store`
fixture): what a FormFlow keeps, what submit stores (source_report, never answer rows), what
carries forward and what a revision reopens with. The light form over HTTP:
tests/test_light_form_sources.py."""

from __future__ import annotations

import datetime as dt

from survey import form_flow, periods
from survey import source_answers as sa
from survey.sources import OTHER
from survey.store import bodies, plans
from survey.store.bodies import BodyEntry
from survey.store.plans import PlanEntry
from tests.conftest import VILLAGE, complete_answers


def _setup(store, monthly):
    county = VILLAGE.region[:2]
    bodies.save_bodies(store, [
        BodyEntry("", county, "县教育局", "清河县教育局", "department", dt.date(2024, 1, 1)),
        BodyEntry("", county, "县民政局", "清河县民政局", "department", dt.date(2024, 1, 1))],
        "officer")
    ids = {b.current.short_name: b.body_id for b in bodies.registry(store).current()}
    period = store.open_periods(monthly)[0]
    previous = periods.previous("month", period)
    filed = periods.bounds("month", previous)[0] - dt.timedelta(days=5)
    plans.file_items(store, [PlanEntry(ids["县教育局"], "inspection", "双减督查", previous,
                                       county, filed_on=filed)], "officer")
    item = plans.current(store, int(previous[:4]))[0].item_id
    cadre = store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0])
    return ids, item, cadre, period, previous


def test_a_flow_s_sources_are_stored_as_a_report_never_as_answers(store, monthly):
    ids, item, cadre, period, previous = _setup(store, monthly)
    flow = form_flow.open_form(store, cadre, monthly, previous)
    for qid, value in complete_answers(documents=30).items():
        flow.set_answer(qid, value)
    flow.set_answer(sa.INSPECTIONS, {"came": [item], "others": [
        {"body": ids["县民政局"], "kind": ""}, {}]})
    assert flow.remaining() == ["inspections"]   # a half-filled row stops the form there
    flow.set_answer(sa.INSPECTIONS, {"came": [item], "others": [
        {"body": ids["县民政局"], "kind": "research"}, {}]})   # an empty row is no entry
    flow.set_answer(sa.mainly_key("documents"), [{"body": ids["县教育局"]},
                                                 {"body": OTHER, "text": "市委办"}])
    assert flow.remaining() == []
    flow.step = form_flow.CONFIRM
    receipt = form_flow.submit(store, cadre, flow)
    assert store.query("SELECT topic, how, body_id, other_text, kind, amount, off_plan "
                       "FROM source_report WHERE submission_id = ? ORDER BY entry",
                       [receipt.submission_id]) == [
        ("inspections", "came", ids["县教育局"], "", "inspection", 1.0, None),
        ("inspections", "other", ids["县民政局"], "", "research", 1.0, "not_filed"),
        ("documents", "mainly", ids["县教育局"], "", None, 15.0, None),
        ("documents", "mainly", None, "市委办", None, 15.0, None)]
    assert store.query("SELECT count(*) FROM answer WHERE submission_id = ? AND "
                       "question_id LIKE 'sources%'", [receipt.submission_id]) == [(0,)]
    assert not [k for k in store.kept(cadre, monthly.id, previous)[1] if k.startswith("sources")]

    # a revision reopens with what was reported; next month carries "mainly from" only
    again = form_flow.open_form(store, cadre, monthly, previous)
    assert again.answers[sa.INSPECTIONS] == {"came": [item], "others": [
        {"body": ids["县民政局"], "kind": "research"}]}
    nxt = form_flow.open_form(store, cadre, monthly, period)
    assert sa.INSPECTIONS not in nxt.answers
    assert nxt.answers[sa.mainly_key("documents")] == [{"body": ids["县教育局"]},
                                                       {"body": OTHER, "text": "市委办"}]
    assert nxt.is_carried(sa.mainly_key("documents"))

    # the unchanged month: nothing ticked, mainly-from kept, two steps
    nxt.keep_last_period()
    assert nxt.step == form_flow.CONFIRM
    second = form_flow.submit(store, cadre, nxt)
    assert store.query("SELECT topic, how, amount FROM source_report WHERE submission_id = ? "
                       "ORDER BY entry", [second.submission_id]) == [
        ("documents", "mainly", 15.0), ("documents", "mainly", 15.0)]
