"""Admins: the State Council's holiday schedule (节假日安排 and 调休上班日) for a year, entered
line by line or imported from a small CSV/XLSX the day it is published. An entry decides its
days (deadlines, reminder days), over chinesecalendar's verdict for the other days of the years
it covers; a year it does not cover stays estimated until all seven festivals are entered."""

from __future__ import annotations

import datetime as dt
from itertools import takewhile

import pandas as pd
import streamlit as st

from survey.errors import message
from survey.interop import holiday_file
from survey.rounds import Rule, coming, weekday_label
from survey.store import StoreError, holidays
from survey.store import rounds as round_store
from survey.work_calendar import (FESTIVAL_EN, HOLIDAY, WORKDAY, Entry, check,
                                  missing_festivals, package_entries, year_bounds)
from ui.auth import require
from ui.context import escape, lang, startup, t, tr
from ui.holidays import work_calendar

viewer = require("holidays")
store = startup().store
st.title(t("nav_holidays"))
st.caption(tr("报送截止日和提醒日按工作日计算。每年的法定节假日和调休上班日以国务院办公厅的通知为准:"
              "通知一公布(通常在 11 月),就在这里录入或导入该年的安排,当天生效。录入的每一天以本单位为准,"
              "其余日子用 chinesecalendar 软件包的数据(软件包收录的年份);软件包未收录的年份,录全七个"
              "节日(元旦、春节、清明节、劳动节、端午节、中秋节、国庆节)之前仍按周一至周五估算(已录入的"
              "日子照样生效),并在页面、催报消息和导出中标明“估算”。",
              "Deadlines and reminder days are counted in working days. Each year's holidays and "
              "adjusted working days are the State Council's notice: enter or import the year here "
              "as soon as it is published (usually in November), effective at once. Each day "
              "entered here follows the entry; other days follow the chinesecalendar package for "
              "the years it covers. A year the package does not cover stays estimated (Monday to "
              "Friday besides the days entered) until all seven festivals (New Year's Day, Spring "
              "Festival, Qingming, Labour Day, Dragon Boat, Mid-Autumn, National Day) are entered, "
              "and is marked 'estimated' on pages, in reminders and in exports."))

today = dt.date.today()
calendar = work_calendar()
choices = list(range(today.year - 1, today.year + 3))
wanted = st.query_params.get("year", "")
missing = calendar.missing_schedules(today)
if wanted.isdigit() and int(wanted) in choices:   # a link to a year (the admins' notice)
    st.session_state["holiday_year"] = int(wanted)
    del st.query_params["year"]                   # once: the box decides from then on
elif st.session_state.get("holiday_year") not in choices:
    st.session_state["holiday_year"] = missing[-1] if missing else today.year
KIND = {HOLIDAY: tr("放假", "Holiday"), WORKDAY: tr("调休上班", "Adjusted working day")}


def source_text(year: int) -> str:
    return message(calendar.describe(year, holidays.entries(store, year)), lang())


st.dataframe(pd.DataFrame({tr("年份", "Year"): [str(y) for y in choices],
                           tr("工作日依据", "Working days from"): [source_text(y) for y in choices]}),
             hide_index=True, width="stretch")
year = st.selectbox(tr("年份", "Year"), choices, key="holiday_year")
entries = holidays.entries(store, year)


def shown(items: list[Entry]) -> pd.DataFrame:
    return pd.DataFrame({
        tr("类型", "Kind"): [KIND[e.kind] for e in items],
        tr("名称", "Name"): [e.name for e in items],
        tr("开始", "First day"): [weekday_label(e.first, lang()) for e in items],
        tr("结束", "Last day"): [weekday_label(e.last, lang()) for e in items],
        tr("天数", "Days"): [e.length for e in items]})


def show_findings(findings) -> None:
    for f in findings:
        (st.error if f.error else st.warning)(escape(message(f.message, lang())))


def issue_lines(issues) -> str:
    """A file's problems as a list that wraps on a phone, each with its row first."""
    return "\n".join("- " + (tr(f"第 {i.row} 行:", f"Row {i.row}: ") if i.row else "")
                     + escape(i.zh if lang() == "zh" else i.en) for i in issues)


if entries:
    st.subheader(tr(f"{year} 年安排(本单位录入)", f"The {year} schedule (entered here)"))
    st.dataframe(shown(entries), hide_index=True, width="stretch")
    if calendar.partial(year):
        missing = missing_festivals(entries)
        st.warning(tr(f"{year} 年的安排还缺:{'、'.join(missing)}。已录入的日子已经生效,但七个节日录全"
                      "之前,该年的截止日和提醒日仍标明“估算”。",
                      f"The {year} schedule still lacks "
                      f"{', '.join(FESTIVAL_EN[m] for m in missing)}. The days entered count "
                      "already, but deadlines and reminder days in that year stay marked "
                      "'estimated' until all seven festivals are entered."),
                   icon=":material/event_busy:")
    elif calendar.package_year(year):
        st.info(tr(f"录入的日子以本单位为准,{year} 年其余日子仍用 chinesecalendar 软件包的数据。",
                   f"The days entered here follow the entries; {year}'s other days still follow "
                   "the chinesecalendar package."))
    # the year's missing festivals are said above (they only matter where the package is silent)
    show_findings([f for f in check(year, entries) if not f.error and f.index is not None])
elif calendar.package_year(year):
    st.info(tr(f"{year} 年的工作日来自 chinesecalendar 软件包。如国务院的通知与之不同,在下面录入不同的日子:"
               "录入的日子以本单位为准,其余日子仍按软件包。", f"{year}'s working days come from the chinesecalendar package. If the "
               "State Council's notice differs, enter the days that differ below: each day entered "
               "here wins, the other days keep the package's schedule."))
    with st.expander(tr("软件包中的安排(供核对)", "The package's schedule (to check against)")):
        st.dataframe(shown(package_entries(year, lang())), hide_index=True, width="stretch")
else:
    st.warning(tr(f"{year} 年的节假日安排尚未录入或未录全(七个节日都录入后才算完整),该年的截止日和"
                  "提醒日按周一至周五估算。",
                  f"The {year} holiday schedule is not entered yet or not complete (it is once "
                  "all seven festivals are in): deadlines and reminder days in that year are "
                  "estimated on Monday to Friday."), icon=":material/event_busy:")


def upcoming_deadlines(year: int) -> list[str]:
    """The rounds from the current period on whose deadlines fall in `year`, one line each:
    what an entry changes, so an admin sees the effect at once."""
    lines = []
    for qn in (q for q in store.current_questionnaires() if q.audience == "cadre"):
        rule = round_store.rule(store, qn.id) or Rule(qn.id)
        for rnd in takewhile(lambda r: r.deadline.year <= year,
                             coming(rule, qn.period, today, calendar)):
            if rnd.deadline.year == year:
                mark = tr("(估算)", " (estimated)") if rnd.estimated else ""
                title, key = escape(qn.title.get(lang())), rnd.period_key
                lines.append(tr(f"- {title} {key} 期:截止 {weekday_label(rnd.deadline, 'zh')}{mark}",
                                f"- {title} {key}: due {weekday_label(rnd.deadline, 'en')}{mark}"))
    return lines


add_tab, import_tab, remove_tab, effect_tab = st.tabs(
    [tr("逐条录入", "Enter"), tr("从文件导入", "Import a file"), tr("删除", "Remove"),
     tr(f"{year} 年截止日", f"Deadlines in {year}")])

with add_tab:
    # the fields' keys change after a save so they start empty; after an error they keep what
    # was typed
    generation = st.session_state.setdefault("holiday_form", 0)
    low, high = year_bounds(year)
    with st.form(f"holiday_entry_{year}"):
        kind = st.radio(tr("类型", "Kind"), (HOLIDAY, WORKDAY), format_func=KIND.get,
                        horizontal=True, key=f"holiday_kind_{year}_{generation}")
        name = st.text_input(tr("名称(按通知填写,例如 春节)", "Name (as in the notice, e.g. Spring Festival)"),
                             max_chars=40, key=f"holiday_name_{year}_{generation}")
        first = st.date_input(tr("开始日期", "First day"), value=None, min_value=low,
                              max_value=high, format="YYYY-MM-DD", key=f"holiday_first_{year}_{generation}")
        last = st.date_input(tr("结束日期(只有一天可不填)", "Last day (empty for one day)"),
                             value=None, min_value=low, max_value=high, format="YYYY-MM-DD",
                             key=f"holiday_last_{year}_{generation}")
        if st.form_submit_button(tr("添加", "Add"), type="primary"):
            if first is None:
                st.error(tr("请选择开始日期。", "Choose the first day."))
            else:
                try:
                    warnings = holidays.add_entry(store, year, Entry(kind, first, last or first,
                                                                     name), viewer.username)
                    st.session_state["holiday_form"] = generation + 1
                    st.session_state["holiday_saved"] = (
                        tr(f"已添加:{KIND[kind]} {escape(name.strip())} {first}" +
                           (f" 至 {last}" if last and last != first else ""),
                           f"Added: {KIND[kind]} {escape(name.strip())} {first}" +
                           (f" to {last}" if last and last != first else "")),
                        [message(w.message, lang()) for w in warnings if w.index is not None])
                    st.rerun()
                except holidays.ScheduleError as exc:
                    show_findings(exc.findings)
                except StoreError as exc:
                    st.error(message(exc, lang()))
    saved = st.session_state.pop("holiday_saved", None)
    if saved:
        st.success(saved[0])
        for text in saved[1]:
            st.warning(escape(text))
    st.caption(tr("放假:通知中的放假调休日期范围(含首尾两天)。调休上班:通知中写明“上班”的周六或周日。"
                  "元旦假期从上一年 12 月底开始的,也录入在本年。",
                  "Holiday: the notice's range of days off, both ends included. Adjusted working "
                  "day: a Saturday or Sunday the notice says is worked. A New Year's break "
                  "starting in late December belongs to the new year's schedule."))

with import_tab:
    st.markdown(tr("每行一个放假范围或调休上班日,第一行是表头 **类型, 名称, 开始, 结束**:类型写“放假”或"
                   "“上班”,日期写成 2027-02-05,只有一天时“结束”可空。导入会**替换**该年已录入的全部"
                   "条目;有任何一行出错都不会写入。",
                   "One row per holiday range or adjusted working day, under the header "
                   "**kind, name, first, last** (or the Chinese template's): holiday or "
                   "workday, dates as 2027-02-05, last empty for one day. An import "
                   "**replaces** everything entered for the year; nothing is written while any row "
                   "is wrong."))
    st.caption(tr("模板中的示例是国务院公布的 2026 年安排。", "The template's example rows are the "
                  "State Council's published 2026 schedule."))
    left, right = st.columns(2)
    stem = tr("节假日安排模板", "holiday_schedule_template")
    left.download_button(tr("下载模板(CSV)", "Template (CSV)"), holiday_file.template("csv", lang()),
                         f"{stem}.csv", "text/csv", width="stretch")
    right.download_button(tr("下载模板(Excel)", "Template (Excel)"),
                          holiday_file.template("xlsx", lang()), f"{stem}.xlsx", width="stretch")
    upload = st.file_uploader(tr(f"{year} 年安排文件(CSV 或 Excel)", f"The {year} schedule (CSV or Excel)"),
                              type=["csv", "xlsx"], key=f"holiday_upload_{year}")
    if upload is not None:
        read = holiday_file.read(upload.getvalue(), upload.name, year)
        if read.errors:
            st.error(tr("以下行有问题,请修改后重新上传(未写入任何数据):",
                        "These rows need fixing; nothing was written:") + "\n"
                     + issue_lines(read.errors))
        warnings = [i for i in read.issues if i.kind != "error"]
        if warnings:
            st.warning(issue_lines(warnings))
        if read.ok:
            st.dataframe(shown(read.entries), hide_index=True, width="stretch")
            if st.button(tr(f"导入,替换 {year} 年的 {len(entries)} 条已录入条目",
                            f"Import, replacing the {len(entries)} entries of {year}")
                         if entries else tr(f"导入 {year} 年安排({len(read.entries)} 条)",
                                            f"Import the {year} schedule ({len(read.entries)} entries)"),
                         type="primary"):
                try:
                    holidays.replace_year(store, year, read.entries, viewer.username, upload.name)
                    st.success(tr("已导入。", "Imported."))
                    st.rerun()
                except StoreError as exc:
                    st.error(message(exc, lang()))

with remove_tab:
    if not entries:
        st.info(tr(f"{year} 年没有本单位录入的条目。", f"Nothing is entered here for {year}."))
    else:
        labels = {i: f"{KIND[e.kind]} · {e.name} · {e.first}" + (f" – {e.last}" if e.last != e.first else "")
                  for i, e in enumerate(entries)}
        chosen = st.selectbox(tr("条目", "Entry"), list(labels), format_func=labels.get,
                              key=f"holiday_remove_{year}")
        if st.button(tr("删除该条", "Remove this entry"), key=f"holiday_remove_go_{year}"):
            try:
                holidays.remove_entry(store, year, entries[chosen], viewer.username)
                st.rerun()
            except StoreError as exc:
                st.error(message(exc, lang()))
        st.divider()
        sure = st.checkbox(tr(f"清除本单位录入的 {year} 年全部 {len(entries)} 条,改用软件包或估算",
                              f"Clear all {len(entries)} entries of {year} (the package or the "
                              "estimate applies again)"), key=f"holiday_clear_sure_{year}")
        if st.button(tr("清除整年", "Clear the year"), disabled=not sure, key=f"holiday_clear_{year}"):
            holidays.replace_year(store, year, [], viewer.username)
            st.rerun()

with effect_tab:
    deadlines = upcoming_deadlines(year)
    if not deadlines:
        st.info(tr(f"从本期起没有截止日落在 {year} 年的报送轮次。",
                   f"No round from the current period on has its deadline in {year}."))
    else:
        st.markdown("\n".join(deadlines))
        st.caption(tr("按各问卷的截止规则(“催报与机器人”页)和上面的安排计算;录入后立即更新。",
                      "Computed with each questionnaire's deadline rule (Reminders and robots) "
                      "and the schedule above; updated as soon as an entry is saved."))
