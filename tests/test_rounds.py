"""Rounds: deadlines on China's working-day calendar (2026 Spring Festival and National Day with
their adjusted working weekends), on-time / late / missing per point, roll-ups and the trend."""

import datetime as dt

import pytest

from survey import rounds
from survey.rounds import LATE, MISSING, ON_TIME, PENDING, Rule, round_for
from survey.store import Point
from survey.store import rounds as round_store
from survey.work_calendar import WorkCalendar
from tests.conftest import SCHOOL, VILLAGE, complete_answers

D = dt.date


CAL = WorkCalendar()          # the package's data only (no office schedule)


def test_spring_festival_2026_deadline_skips_the_holiday_and_counts_the_working_saturday():
    # January 2026 ends on Sat 31; 5th working day after it: Feb 2, 3, 4, 5, 6 -> Fri Feb 6
    assert round_for(Rule("q", deadline_days=5), "month", "2026-01", CAL).deadline == D(2026, 2, 6)
    # The holiday runs Sun Feb 15 - Mon Feb 23; Sat Feb 14 and Sat Feb 28 are working days.
    assert CAL.is_working_day(D(2026, 2, 14)) and CAL.is_working_day(D(2026, 2, 28))
    assert not any(CAL.is_working_day(D(2026, 2, d)) for d in range(15, 24))
    # From Fri Feb 13: the 1st working day is the adjusted Saturday, the 2nd is after the holiday
    assert CAL.shift(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert CAL.shift(D(2026, 2, 13), 2) == D(2026, 2, 24)
    # A weekly round for the week before the holiday (Feb 9-15): 3rd working day after Sun Feb 15
    assert round_for(Rule("q", deadline_days=3), "week", "2026-W07", CAL).deadline == D(2026, 2, 26)
    # The deadline of February's round counts Sat Feb 28 as a working day: it is *not* in March
    feb = round_for(Rule("q", deadline_days=0), "month", "2026-02", CAL)
    assert feb.deadline == D(2026, 2, 28) and not feb.estimated


def test_national_day_2026_deadline():
    # September ends on Wed Sep 30; Oct 1-7 are holidays; Oct 8, 9, 10 (a working Saturday)
    rule = Rule("q", deadline_days=3)
    assert round_for(rule, "month", "2026-09", CAL).deadline == D(2026, 10, 10)
    assert CAL.is_working_day(D(2026, 9, 20))  # Sunday before, adjusted working day
    assert round_for(Rule("q", deadline_days=5), "month", "2026-09", CAL).deadline == D(2026, 10, 13)
    # a quarter: Q3 ends Sep 30 as well
    assert round_for(Rule("q", deadline_days=1), "quarter", "2026-Q3", CAL).deadline == D(2026, 10, 8)


def test_reminder_times_are_working_days_and_not_before_the_round_opens():
    rule = Rule("q", deadline_days=3, reminders=(-2, -1, 0, 1), remind_at=dt.time(9, 30),
                open_days=0)
    rnd = round_for(rule, "month", "2026-09", CAL)       # deadline Sat Oct 10 (a working day)
    times = rounds.reminder_times(rule, rnd, CAL)
    # -2: Oct 8, -1: Oct 9, 0: Oct 10, +1: Mon Oct 12 (Sun Oct 11 is off); never inside Oct 1-7
    assert times == [dt.datetime(2026, 10, d, 9, 30) for d in (8, 9, 10, 12)]
    early = Rule("q", deadline_days=1, reminders=(-10, 0), open_days=0)
    rnd = round_for(early, "month", "2026-09", CAL)       # opens Oct 1, deadline Oct 8
    assert rounds.reminder_times(early, rnd, CAL) == [dt.datetime(2026, 10, 8, 9, 30)]


def test_years_the_calendar_does_not_cover_fall_back_to_weekdays_and_say_so():
    rnd = round_for(Rule("q", deadline_days=5), "month", "2026-12", CAL)  # deadline in Jan 2027
    if CAL.covered(D(2027, 1, 4)):
        pytest.skip("the installed chinesecalendar already covers 2027")
    assert rnd.estimated and rnd.estimated_years == (2027,)
    assert all(CAL.is_working_day(D(2027, 1, d)) == (D(2027, 1, d).weekday() < 5)
               for d in range(1, 31))
    assert rnd.deadline == D(2027, 1, 7)  # Fri 1 (a holiday in reality), Mon 4 ... Thu 7
    assert "2027" in rounds.estimated_note(rnd, "zh") and "estimated" in \
        rounds.estimated_note(rnd, "en")


def test_rule_checks_and_offsets_parse_with_messages_in_both_languages():
    with pytest.raises(rounds.RuleError) as caught:
        Rule("q", deadline_days=-1).check()
    assert "工作日" in caught.value.text("zh") and "working days" in str(caught.value)
    assert rounds.parse_offsets("-1, 0,1 ,3") == (-1, 0, 1, 3)
    with pytest.raises(rounds.RuleError):
        rounds.parse_offsets("tomorrow")


def _submit(store, monthly, code, period, at):
    respondent = store.respondent(code)
    return store.submit(respondent, monthly, period, complete_answers(),
                        client_token=f"{code}-{period}-{at.isoformat()}", now=at,
                        today=periods_today(period))


def issued_on(store, when):
    """The codes were handed out before the rounds under test (codes issued after a deadline
    are not expected in that round)."""
    store._write(lambda cur: cur.execute("UPDATE respondent SET issued_at = ?", [when]))


def periods_today(period):
    from survey import periods
    return periods.bounds("month", period)[1]


def test_status_per_point_and_rollups(store, monthly):
    third = Point("P-VIL-2", "幸福村", "village", "village", ("江北市", "清河县", "河口镇"))
    other = Point("P-VIL-9", "远山村", "village", "village", ("江北市", "白水县", "山口镇"))
    store.add_points([third, other])
    codes = {p.point_id: store.issue_codes(p.point_id, 2) for p in (VILLAGE, SCHOOL, third, other)}
    issued_on(store, dt.datetime(2026, 8, 20))
    rule = Rule("burden_monthly", deadline_days=5)
    round_store.save_rule(store, rule, "admin")
    assert round_store.rule(store, "burden_monthly").deadline_days == 5
    rnd = round_store.round_of(store, rule, "2026-09", CAL)
    assert rnd.deadline == D(2026, 10, 13)
    on_time, late = dt.datetime(2026, 10, 13, 22, 0), dt.datetime(2026, 10, 14, 8, 0)
    for code in codes[VILLAGE.point_id]:        # both on time (the last evening of the deadline)
        _submit(store, monthly, code, "2026-09", on_time)
    _submit(store, monthly, codes[SCHOOL.point_id][0], "2026-09", on_time)
    _submit(store, monthly, codes[SCHOOL.point_id][1], "2026-09", late)
    _submit(store, monthly, codes[third.point_id][0], "2026-09", on_time)   # one code missing
    # a revision after the deadline does not make an on-time report late
    _submit(store, monthly, codes[VILLAGE.point_id][0], "2026-09", late + dt.timedelta(days=3))

    before = round_store.point_status(store, rnd, now=dt.datetime(2026, 10, 12))
    assert dict(zip(before["point_id"], before["status"]))[third.point_id] == PENDING
    status = round_store.point_status(store, rnd, now=dt.datetime(2026, 10, 20))
    by_point = dict(zip(status["point_id"], status["status"]))
    assert by_point == {VILLAGE.point_id: ON_TIME, SCHOOL.point_id: LATE,
                        third.point_id: MISSING, other.point_id: MISSING}
    row = status.set_index("point_id").loc[third.point_id]
    assert (row["expected"], row["received"], row["missing"]) == (2, 1, 1)

    # a county leader sees their county only
    county = round_store.point_status(store, rnd, ("江北市", "清河县"), dt.datetime(2026, 10, 20))
    assert set(county["point_id"]) == {VILLAGE.point_id, SCHOOL.point_id, third.point_id}

    by_county = round_store.rollup(status, "county").set_index("county")
    assert by_county.loc["清河县", "points_on_time"] == 1
    assert by_county.loc["清河县", "points_late"] == 1
    assert by_county.loc["清河县", "points_missing"] == 1
    assert by_county.loc["清河县", "on_time_rate"] == pytest.approx(1 / 3)
    assert by_county.loc["白水县", "on_time_rate"] == 0
    assert by_county.loc["清河县", "submissions"] == 5    # respondents, not revisions
    by_township = round_store.rollup(status, "township")
    assert len(by_township) == 4  # 城关镇, 河口镇, 山口镇, and the school's county level (—)
    by_pref = round_store.rollup(status, "prefecture").iloc[0]
    assert (by_pref["points"], by_pref["points_on_time"]) == (4, 1)

    # a code revoked is no longer expected in rounds whose deadline comes after the revocation
    store.revoke_code(codes[third.point_id][1])
    # revoked on 20 November, before the November round's deadline (the store writes the real
    # time: on 8 December, after that deadline, the test found the code still expected)
    store._write(lambda cur: cur.execute("UPDATE respondent SET revoked_at = ? WHERE "
                                         "revoked_at IS NOT NULL", [dt.datetime(2026, 11, 20)]))
    later = round_store.round_of(store, rule, "2026-11", CAL)
    _submit(store, monthly, codes[third.point_id][0], "2026-11", dt.datetime(2026, 12, 1))
    row = round_store.point_status(store, later, now=dt.datetime(2026, 12, 20)).set_index(
        "point_id").loc[third.point_id]
    assert (row["expected"], row["missing"], row["status"]) == (1, 0, ON_TIME)

    trend = round_store.trend(store, rule, "2026-09", 3, CAL, now=dt.datetime(2026, 10, 20))
    assert list(trend["period_key"]) == ["2026-07", "2026-08", "2026-09"]
    assert trend.iloc[-1]["on_time_rate"] == pytest.approx(0.25)
    assert trend.iloc[0]["points_on_time"] == 0


def test_channels_are_checked_and_secrets_masked(store):
    with pytest.raises(Exception) as caught:
        round_store.add_channel(store, "群", "dingtalk", "https://oapi.dingtalk.com/robot/send?"
                                "access_token=abc", "not-a-secret", (), None, "zh", "admin")
    assert "SEC" in str(caught.value)
    channel_id = round_store.add_channel(
        store, "清河县工作群", "wecom",
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693axxx6-7aoc-4bc4-97a0-0ec2sifa5aaa",
        None, ("江北市", "清河县"), None, "zh", "admin")
    shown = round_store.mask(round_store.channel(store, channel_id)["url"])
    assert shown.startswith("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693")
    assert "0ec2sifa5aaa" not in shown and "7aoc" not in shown
    assert round_store.mask("SECabcdef0123456789") == "SEC…789"
    # the audit log has no address and no secret
    assert "693axxx6" not in str(store.audit_log())


# -- the pages (AppTest) -----------------------------------------------------------------------
def _app_env(store, db_path, monkeypatch):
    from tests.conftest import KEY, add_staff
    add_staff(store, "boss", "admin")
    add_staff(store, "li", "leader", ("江北市", "清河县"))
    store.close()
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")


def _open(page, user, lang="zh"):
    from streamlit.testing.v1 import AppTest
    from tests.conftest import ROOT, as_user
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), user)
    if lang == "en":
        at.query_params["lang"] = "en"
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.embedded_only  # the app (AppTest) runs on the DuckDB file
def test_rounds_page_for_a_leader_shows_their_region_and_the_chase_list(store, db_path, monkeypatch):
    other = Point("P-VIL-9", "远山村", "village", "village", ("江北市", "白水县", "山口镇"))
    store.add_points([other])
    for p in (VILLAGE, SCHOOL, other):
        store.issue_codes(p.point_id, 1)
    issued_on(store, dt.datetime(2025, 1, 1))
    round_store.save_rule(store, Rule("burden_monthly", deadline_days=5), "boss")
    _app_env(store, db_path, monkeypatch)
    at = _open("app_pages/rounds.py", "li")
    assert [m.label for m in at.metric] == ["按时", "逾期", "未报", "未报齐(未到截止)"]
    table = at.dataframe[0].value
    assert set(table["监测点"]) == {"和平村", "清河县第一中学"}     # not the other county's village
    assert "截止" in at.markdown[0].value or any("截止" in m.value for m in at.markdown)
    en = _open("app_pages/rounds.py", "li", lang="en")
    assert [m.label for m in en.metric][0] == "On time"
    assert _open("app_pages/reminders.py", "li").error          # admins only


@pytest.mark.embedded_only  # the app (AppTest) runs on the DuckDB file
def test_reminders_page_shows_robot_secrets_masked(store, db_path, monkeypatch):
    round_store.add_channel(store, "清河县工作群", "dingtalk",
                            "https://oapi.dingtalk.com/robot/send?access_token=abcdef1234567890zz",
                            "SEC9f8e7d6c5b4a39281706f5e4d3c2b1a0", ("江北市", "清河县"), None, "zh",
                            "boss")
    _app_env(store, db_path, monkeypatch)
    at = _open("app_pages/reminders.py", "boss")
    shown = str(at.dataframe[1].value.to_dict()) if len(at.dataframe) > 1 else ""
    assert "清河县工作群" in shown
    everything = str([d.value.to_dict() for d in at.dataframe]) + str(at.markdown) + str(at.caption)
    assert "abcdef1234567890zz" not in everything and "9f8e7d6c5b4a39281706f5e4d3c2b1a0" not in everything
    assert "SEC…1a0" in shown


def test_a_point_is_overdue_after_the_rounds_deadline_not_the_months_end(store, monthly):
    """The briefing's response sheet called every incomplete point overdue the day after the
    month ended, while the round (5 working days by default, the office's rule when saved) was
    still open: a leader would chase points that are on time."""
    from survey import trends
    from survey.metrics import Filter
    store.issue_codes(VILLAGE.point_id, 2)
    issued_on(store, dt.datetime(2026, 8, 20))
    rule = Rule("burden_monthly", deadline_days=5)
    round_store.save_rule(store, rule, "admin")
    deadline = round_store.round_of(store, rule, "2026-09", CAL).deadline_end
    assert not round_store.deadline_passed(store, "burden_monthly", "2026-09",
                                           now=dt.datetime(2026, 10, 1, 9, 0))
    assert not round_store.deadline_passed(store, "burden_monthly", "2026-09",
                                           now=deadline - dt.timedelta(minutes=1))
    assert round_store.deadline_passed(store, "burden_monthly", "2026-09", now=deadline)
    assert round_store.deadline_passed(store, "unpublished", "2026-09") is None
    # what the briefing and the response page read: a month long past is overdue, this one not
    flt = Filter(kinds=("village",))
    past = trends.responses(store, flt, "2026-09")
    assert past.set_index("point_id").loc[VILLAGE.point_id, "overdue"]
    now = trends.responses(store, flt, f"{dt.date.today():%Y-%m}")
    assert not now.set_index("point_id").loc[VILLAGE.point_id, "overdue"]
