"""period: year (the annual 减负 sample survey of cadres) and period: once with its window (a
2022 village survey, a 专项调查): keys, validation, open periods, filling, carry-forward and
exports (issue 26)."""

from __future__ import annotations

import datetime as dt

import pyarrow.csv as pa_csv
import pytest

from survey import bulk_export, periods
from survey.questionnaire import load, parse_text
from survey.store import PeriodClosed
from tests.conftest import VILLAGE

TODAY = dt.date.today()
OPENS, CLOSES = TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=30)
ONCE = periods.once_kind(OPENS, CLOSES)


def questionnaire(qid: str, period: str, extra: str = "") -> str:
    return f"""
id: {qid}
version: 1
title: {{zh: 年度调查 {qid}, en: Survey {qid}}}
period: {period}
{extra}
sections:
  - id: s
    title: 基本情况
    questions:
      - id: households
        type: integer
        label: 户籍户数
        min: 0
        carry_forward: true
      - id: founded
        type: integer
        label: 建村年份
        min: 1900
        max: 2100
"""


def test_year_keys_bounds_and_labels():
    assert periods.key_for("year", dt.date(2026, 11, 3)) == "2026"
    assert periods.bounds("year", "2026") == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert periods.previous("year", "2026") == "2025"
    assert periods.recent("year", dt.date(2026, 5, 1), 3) == ["2026", "2025", "2024"]
    assert periods.span("year", "2024", "2026") == ["2024", "2025", "2026"]
    assert (periods.label("year", "2026", "zh"), periods.label("year", "2026", "en")) == \
        ("2026年", "2026")
    with pytest.raises(periods.PeriodError):
        periods.bounds("year", "2026-Q4")


def test_an_administrator_reads_period_kinds_as_words():
    once = periods.once_kind(dt.date(2026, 1, 1), dt.date(2026, 2, 15))
    assert [periods.kind_label(k, "zh") for k in ("month", "quarter", "week", "year", once)] == \
        ["每月", "每季度", "每周", "每年", "一次性(2026-01-01 至 2026-02-15)"]
    assert [periods.kind_label(k, "en") for k in ("month", "quarter", "week", "year", once)] == \
        ["Monthly", "Quarterly", "Weekly", "Yearly", "One-off (2026-01-01 to 2026-02-15)"]


def test_a_one_off_window_has_one_period_keyed_by_its_opening_day():
    kind = periods.once_kind(dt.date(2022, 6, 1), dt.date(2022, 7, 15))
    assert kind == "once:2022-06-01..2022-07-15" and periods.base_kind(kind) == "once"
    assert periods.key_for(kind, dt.date(2022, 7, 15)) == "2022-06-01"
    with pytest.raises(periods.PeriodError, match="outside the survey's window"):
        periods.key_for(kind, dt.date(2022, 7, 16))
    assert periods.bounds(kind, "2022-06-01") == (dt.date(2022, 6, 1), dt.date(2022, 7, 15))
    assert periods.previous(kind, "2022-06-01") is None
    assert periods.recent(kind, dt.date(2026, 1, 1), 3) == ["2022-06-01"]
    assert periods.label(kind, "2022-06-01", "zh") == "2022-06-01 至 2022-07-15"
    # a later closes (a new version that extends the window) keeps the same period
    assert periods.key_for(periods.once_kind(dt.date(2022, 6, 1), dt.date(2022, 8, 31)),
                           dt.date(2022, 8, 1)) == "2022-06-01"


@pytest.mark.parametrize("extra, code, fragment", [
    ("period_x: 1", "Q102", "unknown key 'period_x'"),
    ("opens: 2022-06-01", "Q101", "period: once needs 'closes:'"),
    ("opens: 2022-06-01\ncloses: 2022-05-01", "Q111", "closes (2022-05-01) is before opens"),
    ("opens: 2022-06-01\ncloses: next week", "Q103", "closes must be a date written 2022-06-01"),
])
def test_a_one_off_survey_needs_its_dates(extra, code, fragment):
    _, problems = parse_text(questionnaire("x", "once", extra), "x.yaml")
    assert any(p.code == code and fragment in p.message for p in problems), problems


def test_dates_belong_to_once_only():
    _, problems = parse_text(questionnaire("x", "year", "opens: 2022-06-01"), "x.yaml")
    assert [(p.code, p.line) for p in problems] == [("Q115", 6)]
    assert "'opens' applies only to period: once" in problems[0].message


def test_a_yearly_survey_is_filled_carried_forward_and_exported(store, tmp_path):
    qn = load(questionnaire("annual_cadre", "year"), "annual_cadre.yaml")
    store.publish(qn)
    this_year, last_year = str(TODAY.year), str(TODAY.year - 1)
    assert store.open_periods(qn, TODAY) == [this_year, last_year, str(TODAY.year - 2)]
    respondent = store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0])
    store.submit(respondent, qn, last_year, {"households": 412, "founded": 1958}, "y1")
    store.submit(respondent, qn, this_year, {"households": 415, "founded": 1958}, "y2")
    assert store.recent_answers(respondent, qn, str(TODAY.year + 1))[0] == (
        this_year, {"households": 415, "founded": 1958})
    rows = store.query("SELECT period_key, period_start FROM submissions WHERE "
                       "questionnaire_id = 'annual_cadre' ORDER BY 1")
    assert rows == [(last_year, dt.date(TODAY.year - 1, 1, 1)),
                    (this_year, dt.date(TODAY.year, 1, 1))]
    written = bulk_export.export(store.raw_connection(), tmp_path, "csv",
                                 views=("submissions",), stream=open(tmp_path / "log", "w"))
    assert written["submissions"] >= 2
    exported = pa_csv.read_csv(tmp_path / "submissions.csv").to_pylist()
    assert {(r["period_key"], str(r["period_start"])) for r in exported
            if r["questionnaire_id"] == "annual_cadre"} == {
        (int(last_year), f"{last_year}-01-01"), (int(this_year), f"{this_year}-01-01")}


def test_a_one_off_survey_is_open_only_in_its_window_and_stored_with_its_dates(store):
    qn = load(questionnaire("village_2022", "once",
                            f"opens: {OPENS.isoformat()}\ncloses: {CLOSES.isoformat()}"),
              "village_2022.yaml")
    assert qn.period == ONCE
    store.publish(qn)
    key = OPENS.isoformat()
    assert store.open_periods(qn, TODAY) == [key]
    assert store.open_periods(qn, OPENS - dt.timedelta(days=1)) == []
    assert store.open_periods(qn, CLOSES + dt.timedelta(days=1)) == []
    assert store.current_open_period(qn, CLOSES) == key
    respondent = store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0])
    receipt = store.submit(respondent, qn, key, {"households": 88, "founded": 2022}, "o1")
    assert receipt.period_key == key
    assert store.query("SELECT period_key, period_start FROM submissions WHERE "
                       "questionnaire_id = 'village_2022'") == [(key, OPENS)]
    assert store.recent_answers(respondent, qn, key) == []  # nothing before a one-off survey
    with pytest.raises(PeriodClosed):
        store.submit(respondent, qn, key, {"households": 89}, "o2",
                     today=CLOSES + dt.timedelta(days=1))
    assert store.questionnaire_versions()[-1]["period"] == ONCE


def test_rounds_and_reminders_follow_the_period():
    from survey.rounds import Rule, coming, reminder_times, round_for
    from survey.work_calendar import WorkCalendar
    calendar = WorkCalendar()
    rule = Rule("q", deadline_days=5)
    # a year's round: the deadline is the 5th working day after 31 December
    year = round_for(rule, "year", "2025", calendar)
    assert (year.period_start, year.period_end) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert year.deadline == dt.date(2026, 1, 8)  # 1-3 Jan off, Sun 4 Jan worked: 4, 5, 6, 7, 8
    # a one-off survey: its window is the round, closes is the deadline, whatever the rule
    kind = periods.once_kind(dt.date(2026, 6, 1), dt.date(2026, 7, 15))
    one = round_for(rule, kind, "2026-06-01", calendar)
    assert (one.opens, one.deadline) == (dt.date(2026, 6, 1), dt.date(2026, 7, 15))
    assert [r.period_key for r in coming(rule, kind, dt.date(2026, 6, 20), calendar)] == \
        ["2026-06-01"]
    assert [t.date() for t in reminder_times(Rule("q", reminders=(-1, 0)), one, calendar)] == \
        [dt.date(2026, 7, 14), dt.date(2026, 7, 15)]


def test_the_response_monitor_and_the_rounds_page_count_a_one_off_survey(store):
    from survey.metrics import Filter
    from survey.rounds import ON_TIME, PENDING, Rule
    from survey.store import analytics
    from survey.store import rounds as round_store
    from survey.work_calendar import WorkCalendar
    qn = load(questionnaire("village_2022", "once",
                            f"opens: {OPENS.isoformat()}\ncloses: {CLOSES.isoformat()}"),
              "village_2022.yaml")
    store.publish(qn)
    key = OPENS.isoformat()
    codes = store.issue_codes(VILLAGE.point_id, 2)
    store.submit(store.respondent(codes[0]), qn, key, {"households": 88}, "m1")
    flt = Filter(questionnaire_id=qn.id, kinds=("village",))
    frame = analytics.responses(store, flt, key, kind=qn.period)
    [row] = frame.to_dict("records")
    assert (row["point_id"], row["expected"], row["received"], row["overdue"]) == \
        (VILLAGE.point_id, 2, 1, False)
    after = analytics.responses(store, flt, key, today=CLOSES + dt.timedelta(days=1),
                                kind=qn.period)
    assert after["overdue"].tolist() == [True]
    rnd = round_store.round_of(store, Rule(qn.id), key, WorkCalendar())
    assert rnd.deadline == CLOSES
    statuses = round_store.point_status(store, rnd)
    assert statuses.set_index("point_id").loc[VILLAGE.point_id, "status"] == PENDING
    store.submit(store.respondent(codes[1]), qn, key, {"households": 90}, "m2")
    statuses = round_store.point_status(store, rnd)
    assert statuses.set_index("point_id").loc[VILLAGE.point_id, "status"] == ON_TIME
    trend = round_store.trend(store, Rule(qn.id), key, 12, WorkCalendar())
    assert trend["period_key"].tolist() == [key]  # one round, not twelve


def test_an_export_of_months_takes_every_period_that_overlaps_them(store, tmp_path):
    yearly = load(questionnaire("annual_2022", "year"), "annual_2022.yaml")
    once = load(questionnaire("village_2022", "once", "opens: 2022-06-01\ncloses: 2022-07-15"),
                "village_2022.yaml")
    for qn, key, day in ((yearly, "2022", dt.date(2022, 11, 1)),
                         (once, "2022-06-01", dt.date(2022, 6, 10))):
        store.publish(qn)
        respondent = store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0])
        store.submit(respondent, qn, key, {"households": 90, "founded": 1990}, f"t-{key}",
                     today=day)
    kinds = {v["questionnaire_id"]: v["period"] for v in store.questionnaire_versions()}

    def exported(first, last):
        out = tmp_path / f"{first}-{last}"
        bulk_export.export(store.raw_connection(), out, "csv", first, last,
                           views=("submissions", "answers"), stream=open(tmp_path / "log", "w"),
                           kinds=kinds)
        return {view: {str(r["questionnaire_id"]) for r in
                       pa_csv.read_csv(out / f"{view}.csv").to_pylist()}
                for view in ("submissions", "answers")}

    # the year began in January and the survey in June: both overlap July to September
    assert exported("2022-07", "2022-09") == {"submissions": {"annual_2022", "village_2022"},
                                              "answers": {"annual_2022", "village_2022"}}
    assert exported("2022-08", None)["submissions"] == {"annual_2022"}  # closed on 15 July
    assert exported(None, "2022-05")["submissions"] == {"annual_2022"}  # opened on 1 June
    assert exported("2023-01", "2023-12")["submissions"] == set()
