"""Reporting rounds: a round's deadline, each point's status (on time, late, missing), roll-ups
per township, county and prefecture, the on-time trend, and the 催报 list to print or export.
Counts of points and submissions only, within the viewer's region."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import altair as alt
import streamlit as st

from survey import periods, safe_files
from survey.rounds import Rule, weekday_label
from survey.store import rounds as round_store
from ui import place
from ui.auth import audit, require
from ui.context import escape, lang, startup, t, tr
from ui.holidays import estimated_warning, work_calendar

viewer = require("rounds")
store = startup().store
scope = viewer.region if viewer.role == "leader" else ()

st.title(t("nav_rounds"))
if scope:
    st.caption(tr("范围:", "Region: ") + escape(" / ".join(scope)))
questionnaires = [q for q in store.current_questionnaires() if q.audience == "cadre"]
if not questionnaires:
    st.info(t("no_questionnaire"))
    st.stop()
qn = st.selectbox(t("questionnaire"), questionnaires, format_func=lambda q: q.title.get(lang()))
rule = round_store.rule(store, qn.id)
if rule is None:
    rule = Rule(qn.id)
    st.info(tr(f"尚未设置截止规则,暂按默认:本期结束后第 {rule.deadline_days} 个工作日截止。"
               "管理员可在“催报与机器人”页设置。",
               f"No deadline rule yet; shown with the default: the {rule.deadline_days}th working "
               "day after the period ends. Admins set it on 'Reminders and robots'."))
keys = periods.recent(qn.period, dt.date.today(), 13)
period = st.selectbox(t("period"), keys, index=1 if len(keys) > 1 else 0)
calendar = work_calendar()
rnd = round_store.round_of(store, rule, period, calendar)
now = dt.datetime.now()

STATUS = {s: t(f"status_{s}") for s in ("on_time", "late", "missing", "pending")}


@st.cache_data(show_spinner=False, max_entries=64)
def on_time_trend(db: str, version: int, rule_: Rule, last: str, scope_: tuple, minute: dt.datetime,
                  _calendar):
    """12 rounds in one query (~1.4 s at 20,000 points): computed again only after new data
    (a change of a holiday schedule is new data too)."""
    return round_store.trend(store, rule_, last, 12, _calendar, scope_, minute)

ESTIMATED = tr("(估算)", " (estimated)")
mark = ESTIMATED if rnd.estimated else ""
st.markdown(tr(f"**截止:** {weekday_label(rnd.deadline, 'zh')} 24:00{mark} · **开始:** {rnd.opens:%Y-%m-%d}",
               f"**Deadline:** end of {weekday_label(rnd.deadline, 'en')}{mark} · **Opens:** {rnd.opens:%Y-%m-%d}"))
if rnd.estimated:
    estimated_warning(rnd, viewer)
status = round_store.point_status(store, rnd, scope, now)
if status.empty:
    st.info(t("no_data"))
    st.stop()
counts = status["status"].value_counts()
cols = st.columns(4)
for col, name in zip(cols, ("on_time", "late", "missing", "pending")):
    col.metric(STATUS[name], int(counts.get(name, 0)))
st.caption(tr(f"{len(status)} 个监测点;收到 {int(status['received'].sum())} 份(按时 "
              f"{int(status['on_time'].sum())} 份),尚缺 {int(status['missing'].sum())} 份。"
              "逾期提交照常接收并记为逾期;关闭期次另行操作。",
              f"{len(status)} points; {int(status['received'].sum())} reports received "
              f"({int(status['on_time'].sum())} on time), {int(status['missing'].sum())} still "
              "missing. Late reports are accepted and marked late; closing a period is separate."))

points_tab, levels_tab, trend_tab, chase_tab = place.tabs("rounds_tab",
    [tr("监测点", "Points"), tr("按层级汇总", "By level"), tr("按时率趋势", "On-time trend"),
     tr("催报名单", "Chase-up list")])
COLUMNS = {"name": t("col_point"), "status": tr("状态", "Status"),
           "received": tr("已报", "Reported"), "expected": tr("应报", "Expected"),
           "on_time": tr("按时", "On time"), "late": tr("逾期", "Late"),
           "first_at": tr("首次提交", "First report"), "county": t("col_county"),
           "township": tr("乡镇", "Township")}


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(status=frame["status"].map(STATUS))[list(COLUMNS)].rename(columns=COLUMNS)


with points_tab:
    st.dataframe(shown(status), hide_index=True, width="stretch", placeholder="—",
                 column_config={t("col_point"): st.column_config.TextColumn(pinned=True)})
with levels_tab:
    level = st.radio(tr("层级", "Level"), round_store.LEVELS, horizontal=True, index=1,
                     format_func=lambda v: {"prefecture": t("prefecture"), "county": t("county"),
                                            "township": tr("乡镇", "Township")}[v])
    table = round_store.rollup(status, level)
    names = {"prefecture": t("prefecture"), "county": t("county"), "township": tr("乡镇", "Township"),
             "points": tr("监测点", "Points"),
             "points_on_time": tr("按时(点)", "Points on time"),
             "points_late": tr("逾期(点)", "Points late"),
             "points_missing": tr("未报(点)", "Points missing"),
             "points_pending": tr("未到截止(点)", "Points before the deadline"), "submissions": tr("收到份数", "Reports"),
             "submissions_on_time": tr("按时份数", "Reports on time"),
             "codes_missing": tr("尚缺份数", "Still missing"),
             "on_time_rate": tr("按时率(监测点)", "On-time rate (points)")}
    st.dataframe(table.rename(columns=names), hide_index=True, width="stretch", placeholder="—",
                 column_config={names["on_time_rate"]: st.column_config.ProgressColumn(
                     format="percent", min_value=0, max_value=1)})
with trend_tab:
    history = on_time_trend(str(store.path), store.data_version, rule, period, tuple(scope),
                            now.replace(second=0, microsecond=0), calendar)
    # percent on a 0-100 % axis: a rate, not a 0.0-0.8 fraction that looks like a count
    st.altair_chart(alt.Chart(history).mark_line(point=True).encode(
        x=alt.X("period_key:O", title=t("period"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("on_time_rate:Q", title=tr("按时率", "On-time rate"),
                scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("period_key:O", title=t("period")),
                 alt.Tooltip("on_time_rate:Q", title=tr("按时率", "On-time rate"), format=".0%")]),
        width="stretch")
    st.caption(tr("按时率 = 按时报齐的监测点 / 已到截止的监测点。只看趋势,不做排名。",
                  "On-time rate = points complete on time / points past the deadline. A trend, "
                  "not a league table."))
with chase_tab:
    chase = status[status["missing"] > 0]
    if chase.empty:
        st.success(tr("所有监测点均已报齐。", "Every point has reported."))
    else:
        export = shown(chase).drop(columns=[COLUMNS["on_time"], COLUMNS["late"],
                                            COLUMNS["first_at"]])
        export.insert(2, tr("尚缺", "Missing"), chase["missing"].to_numpy())
        # the deadline travels with the list, and says when it is only an estimate
        export[tr("截止日", "Deadline")] = rnd.deadline.isoformat()
        export[tr("截止日为估算", "Deadline estimated")] = t("yes") if rnd.estimated else t("no")
        st.dataframe(export, hide_index=True, width="stretch", placeholder="—")
        name = f"催报_{qn.id}_{period}"
        left, right = st.columns(2)
        left.download_button(t("download_csv"), safe_files.csv_bytes(export), f"{name}.csv",
                             "text/csv", width="stretch", on_click=audit,
                             args=("download", f"{name}.csv"))
        right.download_button("XLSX", safe_files.xlsx_bytes({period: export}), f"{name}.xlsx",
                              width="stretch", on_click=audit, args=("download", f"{name}.xlsx"))
