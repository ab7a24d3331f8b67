"""Leaders: the problem list (问题清单) from clues, worked through verification, rectification
and closing, within the viewer's region."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from survey import charts, fields
from survey import clue_rules as rules
from survey.errors import message
from survey.metrics import Filter
from survey.store import StoreError
from survey.store import clues
from ui.auth import require
from ui.context import escape, lang, startup, t, tr
from ui.filters import viewer_scope

viewer = require("problems")
app = startup()
k = app.config.k_anonymity
st.title(tr("问题清单", "Problem list"))
st.caption(tr("匿名反映的形式主义问题,同一单位、同一类型的反映合并为一个问题。核查、整改、销号每一步都需填写说明,并记入审计日志。",
              "Anonymous reports of formalism; reports about the same body and kind are one "
              "problem with many voices. Each step (verify, rectify, close) needs a note and is "
              "audit-logged."))
flt = Filter(scope=viewer_scope(viewer))
frame = clues.problems(app.store, flt)
if frame.empty:
    st.info(tr("目前没有反映的问题。", "No problems reported."))
    st.stop()

a, b, c = st.columns(3)
status = a.multiselect(tr("状态", "Status"), list(rules.STATUSES), default=list(rules.OPEN_STATUSES),
                       format_func=lambda s: rules.label(rules.STATUSES, s, lang()),
                       placeholder=tr("全部", "All"))
category = b.multiselect(tr("类型", "Kind"), list(rules.CATEGORIES), placeholder=tr("全部", "All"),
                         format_func=lambda s: rules.label(rules.CATEGORIES, s, lang()))
body = c.text_input(tr("单位", "Body"), max_chars=50)
shown = frame[(frame["status"].isin(status) if status else True)
              & (frame["category"].isin(category) if category else True)
              & (frame["body_name"].str.contains(body.strip(), regex=False) if body.strip() else True)]
table = shown.assign(
    category=shown["category"].map(lambda x: rules.label(rules.CATEGORIES, x, lang())),
    status=shown["status"].map(lambda x: rules.label(rules.STATUSES, x, lang())),
    created_at=pd.to_datetime(shown["created_at"]).dt.strftime("%Y-%m-%d"))
# key columns first (a phone shows two or three): status, body, kind, voices; the rest scroll
COLUMNS = {"status": tr("状态", "Status"), "body_name": tr("单位", "Body"),
           "category": tr("类型", "Kind"), "voices": tr("反映数", "Voices"),
           "county": tr("县/区", "County"), "created_at": tr("首次反映", "First reported"),
           "days_to_close": tr("办结天数", "Days to close"), "problem_id": tr("编号", "No.")}
st.dataframe(table[list(COLUMNS)].rename(columns=COLUMNS), hide_index=True, width="stretch",
             placeholder="—", column_config={
                 COLUMNS["status"]: st.column_config.TextColumn(pinned=True),
                 COLUMNS["voices"]: st.column_config.NumberColumn(format="%d"),
                 COLUMNS["days_to_close"]: st.column_config.NumberColumn(format="%d")})

left, right = st.columns(2)
with left:
    counts = clues.counts_by_month(app.store, flt, k)
    visible = counts[~counts["suppressed"]].copy()
    if visible.empty:  # every month is under k: no chart (an empty frame would look like zero)
        st.info(t("problem_chart_hidden", k=k))
    else:
        visible["kind"] = visible["category"].map(lambda x: rules.label(rules.CATEGORIES, x, lang()))
        visible["month"] = pd.to_datetime(visible["month"]).dt.strftime("%Y-%m")
        chart = alt.Chart(visible).mark_bar().encode(
            x=alt.X("month:O", title=tr("月份", "Month"), axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("clues:Q", title=tr("反映数", "Reports"),
                    axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color("kind:N", title=None, legend=alt.Legend(orient="bottom", columns=2)),
            tooltip=[alt.Tooltip("month:O", title=tr("月份", "Month")),
                     alt.Tooltip("kind:N", title=tr("类型", "Kind")),
                     alt.Tooltip("clues:Q", title=tr("反映数", "Reports"))])
        st.altair_chart(charts.themed(chart, tr("每月反映数", "Reports per month")),
                        width="stretch")
        if counts["suppressed"].any():
            st.caption(tr(f"少于 {k} 条的月份和类型不单独显示。", f"Months and kinds with fewer "
                          f"than {k} reports are not shown separately."))
with right:
    speed = rules.median_days_to_close(frame)
    if not speed.empty:
        speed["kind"] = speed["category"].map(lambda x: rules.label(rules.CATEGORIES, x, lang()))
        st.dataframe(speed[["kind", "days_to_close"]].rename(columns={
            "kind": tr("类型", "Kind"), "days_to_close": tr("办结天数(中位数)", "Median days to close")}),
            hide_index=True, width="stretch", placeholder="—",
            column_config={tr("办结天数(中位数)", "Median days to close"):
                           st.column_config.NumberColumn(format="%.1f")})

st.subheader(tr("处理", "Work on a problem"))
chosen = st.selectbox(tr("问题", "Problem"), list(shown["problem_id"]),
                      format_func=lambda pid: f"{pid} · {frame.set_index('problem_id').loc[pid, 'body_name']}")
if chosen:
    found = clues.detail(app.store, chosen, flt)
    if found:
        reports, events = found
        for reported_at, happened, body_name, description in reports:
            with st.container(border=True):
                st.caption(" · ".join(x for x in (f"{reported_at:%Y-%m-%d}", escape(body_name),
                                                  escape(str(happened or ""))) if x))
                st.text(description)  # as written: no markdown, no HTML
        for at, actor, before, after, note in events:
            who = t("actor_system") if actor == "system" else escape(actor)
            st.caption(f"{at:%Y-%m-%d %H:%M} {who}: {rules.label(rules.STATUSES, before, lang())}"
                       f" → {rules.label(rules.STATUSES, after, lang())}")
            st.text(note)
        current = frame.set_index("problem_id").loc[chosen, "status"]
        steps = rules.TRANSITIONS[current]
        if steps:
            with st.form(f"step:{chosen}"):
                target = st.radio(tr("下一步", "Next step"), steps, horizontal=True,
                                  format_func=lambda s: rules.label(rules.STATUSES, s, lang()))
                note = st.text_area(tr("说明(必填)", "Note (required)"),
                                    max_chars=fields.STEP_NOTE.limit)
                if st.form_submit_button(tr("确认", "Confirm"), type="primary"):
                    try:
                        clues.transition(app.store, chosen, target, viewer.username, note,
                                         viewer_scope(viewer))
                        st.rerun()
                    except (StoreError, rules.WorkflowError) as exc:
                        st.error(message(exc, lang()))
