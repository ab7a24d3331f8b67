"""The working-day calendar on pages: the app's WorkCalendar (built once per data version), the
admins' notice when a year's holiday schedule is missing, and the mark on estimated deadlines."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey.access import Account
from survey.rounds import Round
from survey.store import holidays
from survey.work_calendar import WorkCalendar
from ui.context import startup, tr

PAGE = "app_pages/holidays.py"


def work_calendar() -> WorkCalendar:
    return holidays.work_calendar(startup().store)


def missing_schedule_notice(account: Account | None, today: dt.date | None = None) -> None:
    """For admins: which year's schedule is missing (this year, and next year from 1 November,
    when neither the office nor chinesecalendar covers it), with the way to enter it."""
    if account is None or account.role != "admin":
        return
    years = work_calendar().missing_schedules(today or dt.date.today())
    if not years:
        return
    listed = "、".join(str(y) for y in years)
    # a year partly entered is still missing: its deadlines stay estimated until all seven festivals
    st.warning(tr(f"{listed} 年的节假日安排尚未录入或未录全(chinesecalendar 软件包也未收录),这些年份的截止日和"
                  "提醒日按周一至周五估算。国务院通常在 11 月公布下一年的安排,公布后请在“工作日历”页"
                  "录入或导入。",
                  f"The holiday schedule for {', '.join(str(y) for y in years)} is not (fully) "
                  "entered yet (nor in the chinesecalendar package): deadlines and reminder days there "
                  "are estimated on Monday to Friday. The State Council usually publishes next "
                  "year's schedule in November; enter or import it on 'Working-day calendar'."),
               icon=":material/event_busy:")
    year = years[-1]   # to the 工作日历 page on that year (a button: the menu's links stay the menu's)
    if st.button(tr(f"录入 {year} 年节假日安排", f"Enter the {year} holiday schedule"),
                 key="missing_schedule_go", icon=":material/calendar_month:", width="stretch"):
        st.switch_page(PAGE, query_params={"year": str(year)})


def estimated_warning(rnd: Round, account: Account | None) -> None:
    """Beside an estimated deadline: why, and how it gets corrected (not again for an admin
    who has the missing-schedule notice about the same years above the page)."""
    years = rnd.estimated_years
    if _notice_shown(account, years):
        return
    st.warning(tr(f"{'、'.join(map(str, years))} 年的节假日安排尚未录入或未录全,截止日暂按周一至周五计算,"
                  "只是估算;管理员在“工作日历”页录全国务院公布的安排(七个节日)后自动更正。",
                  f"The {', '.join(map(str, years))} holiday schedule is not (fully) entered yet, "
                  "so the deadline is counted on Monday to Friday, an estimate; it is corrected as "
                  "soon as an admin enters the State Council's schedule (all seven festivals) on "
                  "'Working-day calendar'."),
               icon=":material/event_busy:")


def _notice_shown(account: Account | None, years: tuple[int, ...]) -> bool:
    return account is not None and account.role == "admin" and \
        set(years) <= set(work_calendar().missing_schedules(dt.date.today()))
