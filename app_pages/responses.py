"""Response monitor: who has reported this period (counts only, never answers)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey import domain, periods
from survey.rounds import Rule, weekday_label
from survey.store import StoreError
from survey.store import rounds as round_store
from survey.trends import month_label
from ui.auth import require
from ui import cached
from ui.context import lang, startup, t, tr
from ui.filters import leader_header
from ui.holidays import estimated_warning, work_calendar

viewer = require("responses")

app = startup()
flt, _ = leader_header("nav_responses", "responses_intro", viewer)
store = app.store
# the cadres' questionnaires (monthly, yearly, a one-off survey ...): each with its periods
asked = [q for q in store.current_questionnaires() if q.audience == "cadre"]
qn = next((q for q in asked if q.id == flt.questionnaire_id), asked[0] if asked else None)
if len(asked) > 1:
    qn = st.selectbox(t("questionnaire"), asked, index=asked.index(qn),
                      format_func=lambda q: q.title.get(lang()))
kind = qn.period if qn else "month"
if qn:
    flt = flt.narrowed(questionnaire_id=qn.id, kinds=flt.kinds or qn.point_kinds)
recent = periods.recent(kind, dt.date.today(), 13)
# Opens on the period cadres are filling now: the one to chase.
period = st.selectbox(t("period"), recent, index=0,
                      format_func=lambda key: month_label(periods.bounds("month", key)[0], lang())
                      if kind == "month" else periods.label(kind, key, lang()))
# overdue = the round's deadline (its rule on 催报与机器人, working days) has passed
rule = round_store.rule(store, flt.questionnaire_id) or Rule(flt.questionnaire_id)
try:
    rnd = round_store.round_of(store, rule, period, work_calendar())
except StoreError:  # the questionnaire is not published (yet): no round, no data either
    rnd = None
if rnd is not None:
    mark = tr("(估算)", " (estimated)") if rnd.estimated else ""
    st.caption(tr(f"截止:{weekday_label(rnd.deadline, 'zh')} 24:00{mark};截止后仍有人未填的监测点"
                  "记为逾期。", f"Deadline: end of {weekday_label(rnd.deadline, 'en')}{mark}; a "
                  "point not complete after it is overdue."))
    if rnd.estimated:
        estimated_warning(rnd, viewer)
frame = cached.figure("responses", flt, period,
                      None if rnd is None else dt.datetime.now() >= rnd.deadline_end, kind)
if frame.empty:
    st.info(t("no_data"))
    st.stop()
expected, received = int(frame["expected"].sum()), int(frame["received"].sum())
rate = f"{received / expected:.0%}" if expected else "—"
st.markdown(t("responses_summary", points=len(frame), expected=expected, received=received,
              rate=rate, overdue=int(frame["overdue"].sum())))
table = frame.assign(kind=frame["kind"].map(lambda c: domain.label(domain.POINT_KINDS, c, lang())),
                     overdue=frame["overdue"].map(lambda o: t("yes") if o else ""),
                     rate=frame["rate"].astype("float64") * 100)  # 71 (%), not 71.43%
# key columns first (a phone shows the point and two or three more); kind and county scroll
COLUMNS = {"name": t("col_point"), "rate": t("col_rate"), "received": t("col_received"),
           "expected": t("col_expected"), "overdue": t("col_overdue"), "county": t("col_county"),
           "kind": t("col_kind")}
st.dataframe(
    table[list(COLUMNS)].rename(columns=COLUMNS), hide_index=True, width="stretch",
    placeholder="—",
    column_config={t("col_point"): st.column_config.TextColumn(pinned=True, width="medium"),
                   t("col_rate"): st.column_config.ProgressColumn(format="%.0f%%", min_value=0,
                                                                 max_value=100, width="small"),
                   t("col_received"): st.column_config.NumberColumn(width="small"),
                   t("col_expected"): st.column_config.NumberColumn(width="small"),
                   t("col_overdue"): st.column_config.TextColumn(width="small")})
