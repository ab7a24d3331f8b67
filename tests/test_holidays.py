"""The holiday schedule as data: a year the office enters (line by line or from a file) makes
its deadlines exact and beats chinesecalendar; a wrong line or file row is refused with what to
do, naming the row, and writes nothing; estimates stay marked in the robots' text.

The 2027 dates here are an EXAMPLE, not the State Council's schedule (not published when this
was written): the Spring Festival (Lunar New Year's Day is Sat 6 Feb 2027) off from Fri 5 to
Sat 13 Feb, Sat 20 Feb worked. docs/rounds.md uses the same labelled example."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pandas as pd
import pytest

from survey import reminders
from survey.interop import holiday_file
from survey.rounds import Rule, round_for
from survey.store import holidays, outbox
from survey.store import rounds as round_store
from survey.work_calendar import FESTIVALS, HOLIDAY, OFFICE, PACKAGE, WORKDAY, Entry, WorkCalendar
from tests.conftest import KEY, VILLAGE

D = dt.date
SPRING_2027 = Entry(HOLIDAY, D(2027, 2, 5), D(2027, 2, 13), "春节")      # example, not official
WORKED_2027 = Entry(WORKDAY, D(2027, 2, 20), D(2027, 2, 20), "春节")     # example, not official
# the other six festivals, after February (examples too): with them a 2027 schedule is complete
REST_OF_2027 = [Entry(HOLIDAY, D(2027, 4, 3), D(2027, 4, 5), "清明节"),
                Entry(HOLIDAY, D(2027, 5, 1), D(2027, 5, 5), "劳动节"),
                Entry(HOLIDAY, D(2027, 6, 9), D(2027, 6, 11), "端午节"),
                Entry(HOLIDAY, D(2027, 9, 15), D(2027, 9, 17), "中秋节"),
                Entry(HOLIDAY, D(2027, 10, 1), D(2027, 10, 7), "国庆节")]
NEW_YEAR_2027 = Entry(HOLIDAY, D(2027, 1, 1), D(2027, 1, 3), "元旦")
MONTHLY = Rule("burden_monthly", deadline_days=5)


@pytest.fixture(autouse=True)
def package_without_2027():
    if WorkCalendar().source(2027) is not None:
        pytest.skip("the installed chinesecalendar covers 2027: these tests are about a year "
                    "it does not")


def test_entering_a_year_makes_its_deadlines_exact(store):
    before = holidays.work_calendar(store)
    january = round_store.round_of(store, MONTHLY, "2027-01", before)
    # Monday to Friday: Feb 1, 2, 3, 4, 5 -> Fri 5 Feb, and said to be a guess
    assert (january.deadline, january.estimated_years) == (D(2027, 2, 5), (2027,))
    assert round_store.round_of(store, MONTHLY, "2026-12", before).estimated

    warnings = holidays.add_entry(store, 2027, SPRING_2027, "boss")
    # saved, with a reminder that a notice lists seven festivals
    assert any("清明节" in w.message.text("zh") and "Qingming" in str(w.message) for w in warnings)
    holidays.add_entry(store, 2027, WORKED_2027, "boss")

    partial = holidays.work_calendar(store)
    # the entered days count at once, but a partial schedule does not pass for the official one
    assert partial.source(2027) is None and partial.partial(2027)
    january = round_store.round_of(store, MONTHLY, "2027-01", partial)
    assert (january.deadline, january.estimated_years) == (D(2027, 2, 15), (2027,))

    for entry in [NEW_YEAR_2027] + REST_OF_2027:
        warnings = holidays.add_entry(store, 2027, entry, "boss")
    assert not [w for w in warnings if w.index is None]     # all seven festivals listed
    after = holidays.work_calendar(store)
    assert after is not partial and after.source(2027) == OFFICE and not after.partial(2027)
    january = round_store.round_of(store, MONTHLY, "2027-01", after)
    # Feb 1-4 are working days, the Spring Festival is off, then Sun 14: the 5th is Mon 15 Feb
    assert january.deadline == D(2027, 2, 15) and not january.estimated
    assert round_store.round_of(store, MONTHLY, "2026-12", after).estimated_years == ()
    assert after.shift(D(2027, 2, 19), 1) == D(2027, 2, 20)   # the worked Saturday counts
    assert holidays.work_calendar(store) is after              # cached while nothing changes
    log = store.audit_log(action="add_holiday_entry")
    assert len(log) == 8 and {row[1] for row in log} == {"boss"} and "春节" in log[-1][4]
    assert [e.first for e in holidays.entries(store, 2027)][:3] == [D(2027, 1, 1), D(2027, 2, 5),
                                                                   D(2027, 2, 20)]


def test_office_entries_overlay_the_package_day_by_day_and_clearing_gives_the_year_back(store):
    national = Rule("burden_monthly", deadline_days=3)
    package = holidays.work_calendar(store)
    assert package.source(2026) == PACKAGE
    # the package: Oct 8, 9 and the worked Saturday Oct 10
    assert round_store.round_of(store, national, "2026-09", package).deadline == D(2026, 10, 10)
    # one entry (元旦) does not blank out the rest of the package's year: National Day stays off
    holidays.replace_year(store, 2026, [Entry(HOLIDAY, D(2026, 1, 1), D(2026, 1, 3), "元旦")],
                          "boss", "one line")
    one = holidays.work_calendar(store)
    assert one.source(2026) == OFFICE and not one.partial(2026)
    assert round_store.round_of(store, national, "2026-09", one).deadline == D(2026, 10, 10)
    assert not one.is_working_day(D(2026, 2, 16)) and not one.is_working_day(D(2026, 10, 7))
    assert not round_store.round_of(store, national, "2026-09", one).estimated
    # an entry wins on its days: Oct 8 worked (a package holiday), Sat Oct 10 off (a package
    # make-up workday): Oct 8, 9, 12
    holidays.replace_year(store, 2026, [Entry(WORKDAY, D(2026, 10, 8), D(2026, 10, 8), "国庆节"),
                                        Entry(HOLIDAY, D(2026, 10, 10), D(2026, 10, 10), "国庆节")],
                          "boss", "a different notice")
    office = holidays.work_calendar(store)
    assert office.is_working_day(D(2026, 10, 8)) and not office.is_working_day(D(2026, 10, 10))
    assert not office.is_working_day(D(2026, 10, 7))        # the package's day, no entry
    assert round_store.round_of(store, national, "2026-09", office).deadline == D(2026, 10, 12)
    holidays.replace_year(store, 2026, [], "boss")
    cleared = holidays.work_calendar(store)
    assert cleared.source(2026) == PACKAGE
    assert round_store.round_of(store, national, "2026-09", cleared).deadline == D(2026, 10, 10)
    assert [row[2] for row in store.audit_log()][:3] == ["clear_holiday_schedule",
                                                          "replace_holiday_schedule",
                                                          "replace_holiday_schedule"]


def test_festival_names_match_whole_names():
    from survey.work_calendar import missing_festivals
    assert missing_festivals([Entry(HOLIDAY, D(2027, 1, 1), D(2027, 1, 1), "春节前")]) == \
        list(FESTIVALS)
    named = [Entry(HOLIDAY, D(2027, 1, 1), D(2027, 1, 1), n) for n in
             ("New Year's Day", "Spring Festival", "清明", "五一劳动节", "Dragon Boat Festival",
              "国庆节、中秋节")]
    assert missing_festivals(named) == []
    # a workday entry does not count as the festival's holiday
    assert missing_festivals([Entry(WORKDAY, D(2027, 2, 20), D(2027, 2, 20), "春节")])[1] == "春节"


def test_a_wrong_entry_is_refused_saying_what_to_do_and_nothing_is_written(store):
    def refused(entry) -> holidays.ScheduleError:
        with pytest.raises(holidays.ScheduleError) as caught:
            holidays.add_entry(store, 2027, entry, "boss")
        return caught.value

    reversed_ = refused(Entry(HOLIDAY, D(2027, 2, 13), D(2027, 2, 5), "春节"))
    assert "reversed" in str(reversed_) and "颠倒" in reversed_.text("zh")
    outside = refused(Entry(HOLIDAY, D(2028, 1, 1), D(2028, 1, 1), "元旦"))
    assert "not in 2027" in str(outside) and "不在 2027 年" in outside.text("zh")
    assert refused(Entry(HOLIDAY, D(2027, 5, 1), D(2027, 5, 5), "  ")).text("zh").startswith("请填写节日名称")
    assert holidays.entries(store, 2027) == [] and holidays.work_calendar(store).source(2027) is None

    holidays.add_entry(store, 2027, SPRING_2027, "boss")
    both = refused(Entry(WORKDAY, D(2027, 2, 7), D(2027, 2, 7), "春节"))
    assert "2027-02-07 is both a holiday and an adjusted working day" in str(both)
    assert "既是放假日又是调休上班日" in both.text("zh")
    twice = refused(Entry(HOLIDAY, D(2027, 2, 5), D(2027, 2, 6), "春节"))
    assert "twice" in str(twice)
    assert holidays.entries(store, 2027) == [SPRING_2027]

    # a worked weekday is kept with a warning; 元旦 starting on 31 December belongs to 2027
    warnings = holidays.add_entry(store, 2027, Entry(WORKDAY, D(2027, 2, 17), D(2027, 2, 17),
                                                     "春节"), "boss")
    assert any("周三" in w.message.text("zh") and w.index is not None for w in warnings)
    holidays.add_entry(store, 2027, Entry(HOLIDAY, D(2026, 12, 31), D(2027, 1, 2), "元旦"), "boss")
    assert not holidays.work_calendar(store).is_working_day(D(2026, 12, 31))


SCHEDULE_CSV = ("类型,名称,开始,结束,备注\n"
                "放假,元旦,2027-01-01,2027-01-03,示例\n"
                "放假,春节,2027/2/5,2027年2月13日,示例\n"
                "上班,春节,2027-02-20,,示例\n")


def test_an_imported_file_replaces_the_year_and_bad_rows_are_named(store):
    good = holiday_file.read(SCHEDULE_CSV.encode("gb18030"), "2027.csv")  # Excel's GBK CSV
    assert good.ok and good.year == 2027 and len(good.entries) == 3
    assert [i.kind for i in good.issues] == ["warning"]   # Qingming ... not listed yet
    holidays.add_entry(store, 2027, Entry(HOLIDAY, D(2027, 10, 1), D(2027, 10, 7), "国庆节"), "boss")
    holidays.replace_year(store, 2027, good.entries, "boss", "2027.csv")
    assert holidays.entries(store, 2027) == [Entry(HOLIDAY, D(2027, 1, 1), D(2027, 1, 3), "元旦"),
                                             SPRING_2027, WORKED_2027]

    bad = ("kind,name,first,last\n"
           "holiday,Spring Festival,2027-02-05,2027-02-13\n"
           "holiday,Qingming,2027-04-31,\n"          # row 3: no 31 April
           "rest,Labour Day,2027-05-01,2027-05-05\n"  # row 4: neither holiday nor workday
           "workday,Spring Festival,2027-02-07,\n"    # row 5: inside the holiday
           "holiday,Dragon Boat,2027-06-11,2027-06-09\n")  # row 6: reversed
    result = holiday_file.read(bad.encode(), "bad.csv", 2027)
    errors = {i.row: i for i in result.errors}
    assert set(errors) == {3, 4, 5, 6}    # every problem in one go
    assert "write it as 2027-02-05" in errors[3].en and errors[3].item == "开始"
    assert "请写成 2027-02-05" in errors[3].zh
    assert "放假" in errors[4].zh and "上班" in errors[4].zh
    assert "row 2" in errors[5].en and "第 2 行" in errors[5].zh   # the clash names both rows
    assert "reversed" in errors[6].en
    assert not result.ok and result.entries == []
    fixed = bad.replace("2027-04-31", "2027-04-03").replace("rest,", "holiday,") \
        .replace("2027-02-07", "2027-02-20").replace("06-11,2027-06-09", "06-09,2027-06-11")
    result = holiday_file.read(fixed.encode(), "bad.csv", 2027)
    assert result.ok and len(result.entries) == 5

    unknown = holiday_file.read("类型,名称,开始,结数\n放假,春节,2027-02-05,\n".encode(), "u.csv")
    assert [(i.row, i.item) for i in unknown.errors] == [(1, "结数")]
    assert "rename or delete it" in unknown.errors[0].en
    # an Excel file: a real date cell and a typed one; a mistyped date names its row
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["类型", "名称", "开始", "结束"])
    sheet.append(["放假", "春节", dt.datetime(2027, 2, 5), dt.datetime(2027, 2, 13)])
    sheet.append(["上班", "春节", "2027-2-20", None])
    sheet.append(["放假", "清明节", "4月3日", None])
    data = io.BytesIO()
    book.save(data)
    read = holiday_file.read(data.getvalue(), "2027.xlsx", 2027)
    assert [(i.row, i.item) for i in read.errors] == [(4, "开始")]
    assert holidays.entries(store, 2027)[1] == SPRING_2027   # nothing written by a bad file
    # the template (the official 2026 schedule) reads back as it is and is refused for 2027
    template = holiday_file.read(holiday_file.template("xlsx"), "t.xlsx")
    assert template.ok and template.year == 2026 and len(template.entries) == 13
    english = holiday_file.read(holiday_file.template("csv", "en"), "t.csv")
    assert english.ok and english.entries[3] == Entry(HOLIDAY, D(2026, 2, 15), D(2026, 2, 23),
                                                      "Spring Festival")
    assert holiday_file.template("csv", "en").decode("utf-8-sig").startswith("kind,name,first,last")
    assert holiday_file.read(holiday_file.template("csv"), "t.csv", 2027).errors


def test_missing_schedules_from_the_first_of_november():
    calendar = WorkCalendar()
    assert calendar.missing_schedules(D(2026, 10, 31)) == ()
    assert calendar.missing_schedules(D(2026, 11, 1)) == (2027,)
    assert calendar.missing_schedules(D(2027, 3, 1)) == (2027,)
    partial = WorkCalendar({2027: [SPRING_2027]})
    assert partial.missing_schedules(D(2026, 12, 7)) == (2027,)    # six festivals still to enter
    entered = WorkCalendar({2027: [NEW_YEAR_2027, SPRING_2027] + REST_OF_2027})
    assert entered.missing_schedules(D(2026, 12, 7)) == ()
    assert entered.missing_schedules(D(2027, 11, 2)) == (2028,)


def test_the_delivery_thread_follows_the_office_schedule_and_marks_estimates(store, monkeypatch):
    from tests.webhook_support import Robot
    monkeypatch.setenv("SURVEY_WEBHOOK_HOSTS", "127.0.0.1")
    robot = Robot()
    try:
        store.issue_codes(VILLAGE.point_id, 1)
        store._write(lambda cur: cur.execute("UPDATE respondent SET issued_at = ?",
                                             [dt.datetime(2026, 11, 1)]))
        round_store.save_rule(store, Rule("burden_monthly", deadline_days=5, reminders=(0,)),
                              "boss")
        round_store.add_channel(store, "江北市工作群", "wecom",
                                f"{robot.url}/cgi-bin/webhook/send?key=k", None, ("江北市",),
                                None, "zh", "boss")
        # December 2026's deadline on Monday to Friday: Jan 1, 4, 5, 6, 7 -> Thu 7 Jan, a guess
        reminders.Delivery(store, clock=lambda: dt.datetime(2027, 1, 7, 9, 30)).run_once()
        assert len(robot.texts()) == 1
        assert "2027-01-07 (周四)(估算:2027 年节假日安排尚未录入或未录全,按周一至周五计算)" in robot.texts()[0]
        # the office enters the year (example), 元旦 Jan 1-3: Jan 4-8, the deadline is Fri 8
        # Jan, exact
        holidays.replace_year(store, 2027, [NEW_YEAR_2027, SPRING_2027] + REST_OF_2027, "boss")
        reminders.Delivery(store, clock=lambda: dt.datetime(2027, 1, 8, 9, 30)).run_once()
        assert len(robot.texts()) == 2
        assert "2027-01-08 (周五)。" in robot.texts()[1] and "估算" not in robot.texts()[1]
        assert set(outbox.listing(store)["state"]) == {"sent"}
    finally:
        robot.close()


def test_the_reminder_text_in_english_says_estimated():
    rnd = round_for(MONTHLY, "month", "2026-12", WorkCalendar())
    late = pd.DataFrame([{"name": "和平村", "received": 0, "expected": 2}])
    text = reminders.reminder_text(rnd, late, "Monthly", "en", dt.datetime(2027, 1, 4))
    assert "due by 2027-01-07 (Thu) (estimated: the 2027 holiday schedule is not entered yet or not complete" in text


def test_cli_imports_a_year_and_refuses_a_bad_file(tmp_path, monkeypatch, capsys):
    from survey.cli import main
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    monkeypatch.delenv("SURVEY_DATABASE_URL", raising=False)
    bad = tmp_path / "bad.csv"
    bad.write_text("类型,名称,开始,结束\n放假,春节,2027-02-05,2027-02-13\n放假,清明节,2027-13-01,\n",
                   encoding="utf-8")
    assert main(["calendar", "import", str(bad), "--lang", "zh"]) == 1
    err = capsys.readouterr().err
    assert "bad.csv:bad:3" in err and "2027-13-01" in err and "nothing written" in err
    good = tmp_path / "good.csv"
    good.write_text(SCHEDULE_CSV, encoding="utf-8")
    assert main(["calendar", "import", str(good)]) == 0
    assert "2027: imported 3 entries (replacing 0)" in capsys.readouterr().out
    assert main(["init"]) == 0     # publishes the questionnaires: rounds to show deadlines of
    capsys.readouterr()
    import argparse
    from survey import config
    from survey.calendar_cli import cmd_status
    assert cmd_status(argparse.Namespace(year=None), config.resolve(), today=D(2026, 12, 7)) == 0
    out = capsys.readouterr().out
    # three of seven festivals: the entries count, the year stays estimated
    assert "2026: chinesecalendar package\n2027: entered here (3 entries), estimated until all " \
        "seven festivals are entered; missing: 清明节, 劳动节, 端午节, 中秋节, 国庆节" in out
    assert "burden_monthly 2026-12: 2027-01-08 (Fri) (estimated)\n" in out   # after 元旦
    assert "burden_monthly 2027-01: 2027-02-15 (Mon) (estimated)\n" in out   # after the Spring Festival


# -- the pages (AppTest) -----------------------------------------------------------------------
def _page(db_path, monkeypatch, user="boss", lang="zh", year=None, script="app_pages/holidays.py"):
    from streamlit.testing.v1 import AppTest
    from tests.conftest import ROOT, as_user
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), user)
    if lang == "en":
        at.query_params["lang"] = "en"
    if year:
        at.query_params["year"] = str(year)
    at.switch_page(script).run()
    assert not at.exception, at.exception
    return at


@pytest.mark.embedded_only  # the app (AppTest) runs on the DuckDB file
def test_the_page_keeps_what_was_typed_after_an_error_and_saves_a_good_entry(store, db_path,
                                                                            monkeypatch):
    from tests.conftest import add_staff
    add_staff(store, "boss", "admin")
    add_staff(store, "li", "leader", ("江北市",))
    store.close()
    at = _page(db_path, monkeypatch, year=2027)
    assert any("2027 年的节假日安排尚未录入" in w.value for w in at.warning)
    at.text_input[0].input("春节")
    at.date_input[0].set_value(D(2027, 2, 13))
    at.date_input[1].set_value(D(2027, 2, 5))
    next(b for b in at.button if b.label == "添加").click().run()
    assert any("日期范围颠倒" in e.value for e in at.error)
    assert at.text_input[0].value == "春节" and at.date_input[0].value == D(2027, 2, 13)
    at.date_input[0].set_value(D(2027, 2, 5))
    at.date_input[1].set_value(D(2027, 2, 13))
    next(b for b in at.button if b.label == "添加").click().run()
    assert not at.exception, at.exception
    assert any(s.value.startswith("已添加:放假 春节 2027-02-05") for s in at.success)
    assert at.text_input[0].value == ""                      # a fresh form for the next line
    table = at.dataframe[1].value
    assert list(table["名称"]) == ["春节"] and list(table["天数"]) == [9]
    shown = " ".join(m.value for m in at.markdown)
    if dt.date.today() < D(2027, 2, 1):   # the January round is still to come: its deadline
        # moves past the entered days, still marked: one festival of seven is not the notice
        assert "2027-01 期:截止 2027-02-15 (周一)(估算)\n" in shown + "\n"
    assert any("2027 年的安排还缺:元旦、清明节、劳动节、端午节、中秋节、国庆节" in w.value
               for w in at.warning)
    years = at.dataframe[0].value
    assert "本单位录入(1 条),七个节日录全前仍为估算" in years[years["年份"] == "2027"]["工作日依据"].iloc[0]
    en = _page(db_path, monkeypatch, lang="en", year=2027)
    assert en.title[0].value == "Working-day calendar"
    assert list(en.dataframe[1].value["Kind"]) == ["Holiday"]
    leader = _page(db_path, monkeypatch, user="li")
    assert [e.value for e in leader.error] == ["您没有权限查看此页面。"]


@pytest.mark.embedded_only  # the app (AppTest) runs on the DuckDB file
def test_the_chase_list_says_whether_its_deadline_is_estimated(store, db_path, monkeypatch):
    from survey import periods
    from tests.conftest import add_staff
    store.issue_codes(VILLAGE.point_id, 1)
    add_staff(store, "boss", "admin")
    current = periods.key_for("month", dt.date.today())
    # this month's deadline falls in a year the pinned package does not cover (2027 or later)
    deadline_year = round_for(MONTHLY, "month", current, WorkCalendar()).deadline.year
    store.close()

    def chase_list():
        at = _page(db_path, monkeypatch, script="app_pages/rounds.py")
        next(s for s in at.selectbox if s.label == "填报期").select(current).run()
        assert not at.exception, at.exception
        return at, next(d.value for d in at.dataframe if "截止日为估算" in d.value.columns)

    at, table = chase_list()
    assert set(table["截止日为估算"]) == {"是"}
    assert any("(估算)" in m.value for m in at.markdown)
    from survey.store import Store
    with Store(db_path, KEY) as reopened:
        holidays.add_entry(reopened, deadline_year, Entry(HOLIDAY, D(deadline_year, 10, 1),
                                                          D(deadline_year, 10, 7), "国庆节"), "boss")
    at, table = chase_list()
    assert set(table["截止日为估算"]) == {"是"}    # one festival of seven: still an estimate
    with Store(db_path, KEY) as reopened:
        for name, month in (("元旦", 1), ("春节", 2), ("清明节", 4), ("劳动节", 5), ("端午节", 6),
                            ("中秋节", 9)):   # examples: the days do not matter here
            holidays.add_entry(reopened, deadline_year, Entry(HOLIDAY, D(deadline_year, month, 28),
                                                              D(deadline_year, month, 28), name),
                               "boss")
    at, table = chase_list()
    assert set(table["截止日为估算"]) == {"否"}
    assert not any("(估算)" in m.value for m in at.markdown)


def test_formula_text_and_control_characters_are_refused_as_names(store):
    for name in ('=HYPERLINK("http://x","春节")', "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)",
                 "+1", "春节\n国庆节"):
        with pytest.raises(holidays.ScheduleError) as caught:
            holidays.add_entry(store, 2027, Entry(HOLIDAY, D(2027, 2, 5), D(2027, 2, 13), name),
                               "boss")
        assert "festival's name only" in str(caught.value)
        assert "请只写节日名称" in caught.value.text("zh")
    assert holidays.entries(store, 2027) == []
    bad = ("类型,名称,开始,结束\n"
           "放假,春节,2027-02-05,2027-02-13\n"
           '放假,"=HYPERLINK(""http://x"",""清明"")",2027-04-03,\n'
           "放假,@SUM(1),2027-05-01,\n")
    result = holiday_file.read(bad.encode(), "f.csv", 2027)
    assert {i.row for i in result.errors} == {3, 4} and not result.entries
    assert "formula" in result.errors[0].en and "公式" in result.errors[0].zh


def test_a_date_formula_cell_says_formulas_are_not_read():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["类型", "名称", "开始", "结束"])
    sheet.append(["放假", "春节", "=DATE(2027,2,5)", None])   # no computed value: not saved by Excel
    data = io.BytesIO()
    book.save(data)
    read = holiday_file.read(data.getvalue(), "2027.xlsx", 2027)
    assert [(i.row, i.item) for i in read.errors] == [(2, "开始")]
    assert "formulas are not read" in read.errors[0].en and "公式不会被读取" in read.errors[0].zh


def test_a_file_of_random_bytes_is_refused_in_plain_chinese():
    import os
    import re
    for name in ("2027.csv", "2027.xlsx"):
        refused = holiday_file.read(os.urandom(4000), name, 2027).errors[0]
        assert refused.zh.startswith(("该 CSV 文件", "无法读取该文件"))
        assert not re.search(r"[A-Za-z]{4,}", refused.zh.replace("Excel", "").replace("UTF", "")
                             .replace("CSV", "")), refused.zh   # no English exception inside
