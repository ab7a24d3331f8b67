"""The holiday schedule end to end in real Chromium: an admin sees next year's deadlines marked
estimated, enters the Spring Festival on the 工作日历 page (a range off and a worked Saturday),
the last of the seven festivals, and the January round's deadline moves past the holiday and
loses its 'estimated' mark; on a phone and in English too.

The dates are an EXAMPLE, not the State Council's (its 2027 notice was not published when this
was written): the holiday starts on the day Monday to Friday would give January's deadline and
lasts nine days; for 2027 that is Fri 5 to Sat 13 Feb, worked Sat 20 Feb, as in docs/rounds.md."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from survey import periods
from survey.rounds import Rule, round_for, weekday_label
from survey.work_calendar import HOLIDAY, WORKDAY, Entry, WorkCalendar
from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle, sign_in
from tests.conftest import KEY, STAFF_PASSWORD, VILLAGE, add_staff

playwright = pytest.importorskip("playwright.sync_api")
RULE = Rule("burden_monthly")   # the default: the 5th working day after the period


def example_spring_festival(year: int) -> tuple[Entry, Entry]:
    estimated = round_for(RULE, "month", f"{year}-01", WorkCalendar()).deadline
    holiday = Entry(HOLIDAY, estimated, estimated + dt.timedelta(days=8), "春节")
    saturday = holiday.last + dt.timedelta(days=(5 - holiday.last.weekday()) % 7 or 7)
    return holiday, Entry(WORKDAY, saturday, saturday, "春节")


def example_other_festivals(year: int) -> list[Entry]:
    """The six festivals besides the Spring Festival (examples): with them the year's schedule
    is complete once the Spring Festival is entered, so its deadlines stop being estimates."""
    return [Entry(HOLIDAY, dt.date(year, m, d), dt.date(year, m, d + days), name)
            for name, m, d, days in (("元旦", 1, 1, 0), ("清明节", 4, 5, 0), ("劳动节", 5, 1, 4),
                                     ("端午节", 6, 10, 0), ("中秋节", 9, 20, 0), ("国庆节", 10, 1, 6))]


def type_date(page, label: str, day: dt.date) -> None:
    """Streamlit's date field is three spin buttons (year, month, day) that advance as typed."""
    page.get_by_role("spinbutton", name=f"year, {label}").click()
    page.keyboard.type(day.strftime("%Y%m%d"))
    page.keyboard.press("Escape")   # Tab would open the calendar over the next field
    settle(page)


def deadline_line(page, year: int, lang: str = "zh") -> str:
    tab = f"{year} 年截止日" if lang == "zh" else f"Deadlines in {year}"
    page.get_by_role("tab", name=tab).click()
    settle(page)
    pattern = rf"{year}-01 期:截止 [^\n]*" if lang == "zh" else rf"{year}-01: due [^\n]*"
    line = page.get_by_role("listitem").filter(has_text=re.compile(pattern)).first
    line.wait_for(timeout=30000)
    return line.inner_text()


@pytest.mark.embedded_only  # one browser run is enough: the store tests cover both engines
def test_an_admin_enters_the_spring_festival_and_the_deadline_moves_past_it(store, db_path,
                                                                           tmp_path):
    chromium = require_chromium()
    today = dt.date.today()
    year = today.year + 1
    if WorkCalendar().source(year) is not None:
        pytest.skip(f"the installed chinesecalendar covers {year}")
    holiday, worked = example_spring_festival(year)
    before = round_for(RULE, "month", f"{year}-01", WorkCalendar())
    others = example_other_festivals(year)
    after = round_for(RULE, "month", f"{year}-01", WorkCalendar({year: others + [holiday, worked]}))
    assert after.deadline > holiday.last and not after.estimated and before.estimated
    from survey.store import holidays
    holidays.replace_year(store, year, others, "boss")   # six of seven: still estimated
    store.issue_codes(VILLAGE.point_id, 1)
    add_staff(store, "boss", "admin")
    store.close()
    env = {"SURVEY_DB": str(db_path), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0"}
    current = periods.key_for("month", today)
    december = today.month == 12   # this month's deadline then falls in next year
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1600}).new_page()
            sign_in(page, url, "/rounds", "boss", STAFF_PASSWORD)
            # the admins' notice: next year's schedule is missing (from 1 November)
            page.get_by_text(f"{year} 年的节假日安排尚未录入").first.wait_for(timeout=30000)
            if december:
                box = page.locator("[data-testid=stSelectbox]").filter(
                    has=page.get_by_text("填报期", exact=True))
                box.click()
                page.get_by_role("option", name=current, exact=True).click()
                settle(page)
                page.get_by_text(re.compile(r"截止:.*24:00\(估算\)")).wait_for(timeout=30000)
                page.screenshot(path=str(tmp_path / "rounds-estimated.png"))
            page.get_by_role("button", name=f"录入 {year} 年节假日安排").first.click()
            settle(page)
            page.get_by_role("heading", name="工作日历").wait_for(timeout=30000)
            year_box = page.locator("[data-testid=stSelectbox]").filter(
                has=page.get_by_text("年份", exact=True))
            assert year_box.locator("input").input_value() == str(year)   # the button's year
            assert deadline_line(page, year).endswith(
                f"{year}-01 期:截止 {weekday_label(before.deadline, 'zh')}(估算)")

            page.get_by_role("tab", name="逐条录入").click()
            page.get_by_label("名称(按通知填写,例如 春节)").fill("春节")
            type_date(page, "开始日期", holiday.first)
            type_date(page, "结束日期(只有一天可不填)", holiday.last)
            page.get_by_role("button", name="添加").click()
            settle(page)
            page.get_by_text(f"已添加:放假 春节 {holiday.first} 至 {holiday.last}").wait_for(
                timeout=30000)
            page.get_by_text("调休上班", exact=True).last.click()   # a rerun may leave the old form a moment
            page.get_by_label("名称(按通知填写,例如 春节)").fill("春节")
            type_date(page, "开始日期", worked.first)
            page.get_by_role("button", name="添加").click()
            settle(page)
            page.get_by_text(f"已添加:调休上班 春节 {worked.first}").wait_for(timeout=30000)
            page.screenshot(path=str(tmp_path / "holidays-zh-1280.png"))

            moved = deadline_line(page, year)
            assert moved.endswith(f"{year}-01 期:截止 {weekday_label(after.deadline, 'zh')}")
            assert "估算" not in moved
            page.screenshot(path=str(tmp_path / "deadlines-zh-1280.png"))

            if december:   # the rounds page: this month's deadline is exact now
                page.goto(f"{url}/rounds")
                box = page.locator("[data-testid=stSelectbox]").filter(
                    has=page.get_by_text("填报期", exact=True))
                box.wait_for(timeout=30000)
                box.click()
                page.get_by_role("option", name=current, exact=True).click()
                settle(page)
                page.get_by_text(re.compile(r"截止:.*24:00 · ")).wait_for(timeout=30000)
                assert page.get_by_text("(估算)").count() == 0
                assert page.get_by_text(f"{year} 年的节假日安排尚未录入").count() == 0
                page.screenshot(path=str(tmp_path / "rounds-exact.png"))

            # a phone, in English: the year's schedule and the moved deadline
            phone = browser.new_context(viewport={"width": 375, "height": 1400}).new_page()
            sign_in(phone, url, "/holidays", "boss", STAFF_PASSWORD)
            phone.goto(f"{url}/holidays?year={year}&lang=en")
            phone.get_by_role("heading", name="Working-day calendar").wait_for(timeout=30000)
            settle(phone)
            phone.screenshot(path=str(tmp_path / "holidays-en-375.png"))
            line = deadline_line(phone, year, "en")
            assert line.endswith(f"{year}-01: due {weekday_label(after.deadline, 'en')}")
            phone.screenshot(path=str(tmp_path / "deadlines-en-375.png"))
        finally:
            browser.close()
