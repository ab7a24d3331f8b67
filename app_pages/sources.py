"""Leaders: where the burden comes from (负担来源): burden by upper-level body, its trend,
off-plan inspections by area, and one click from a finding to the problem list and a 提示函.
Figures from survey/source_burden.py (k rule in the store); no SQL, no rules here."""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from survey import charts, fields, reminder_letter
from survey import source_burden as sb
from survey.store import StoreError, holidays, source_reports
from survey.errors import message
from ui.auth import require
from ui.context import lang, startup, t, tr
from ui.filters import leader_header

viewer = require("sources")
app = startup()
k = app.config.k_anonymity
flt, _ = leader_header("nav_sources", "sources_intro", viewer, k=k)
src = sb.read(app.store, flt, k)
language = lang()
topic_name = {topic: sb.label(sb.ALL_TOPICS, topic, language) for topic in sb.ALL_TOPICS}
hidden_note = tr(f"少于 {k} 个监测点报告的数字不显示(本页共 {src.hidden} 项)。",
                 f"Figures reported by fewer than {k} points are not shown ({src.hidden} here).")

shown_months = sorted(m for m in src.burden["month"].unique() if m >= src.first)
if not shown_months and src.off_plan.empty:
    st.info(tr("所选范围内还没有可显示的来源报告。", "No source reports to show in this view yet.")
            + " " + hidden_note)
    st.stop()

# -- burden by body -----------------------------------------------------------------------------
st.subheader(tr("按上级单位", "By upper-level body"))
table = pd.DataFrame()
month = None
if shown_months:
    a, b = st.columns(2)
    month = a.selectbox(tr("月份", "Month"), shown_months[::-1],
                        format_func=lambda m, lg=language: sb.month_text(m, lg))
    rank_by = b.radio(tr("按以下数量排序", "Rank by"), list(sb.ALL_TOPICS), horizontal=True,
                      format_func=topic_name.get, index=3)
    table = sb.ranked(sb.by_body(src, month), rank_by)
    shown = pd.DataFrame({tr("单位", "Body"): table["body"]})
    for topic in sb.ALL_TOPICS:
        shown[topic_name[topic]] = table[topic].round(1)
        shown[topic_name[topic] + tr(" 同比", " YoY")] = table[f"{topic}_change"].map(
            lambda c: "" if c is None or pd.isna(c) else f"{c:+.1%}")
    st.dataframe(shown, hide_index=True, width="stretch", placeholder="—", column_config={
        tr("单位", "Body"): st.column_config.TextColumn(pinned=True)})
    st.caption(tr("文件、会议、报表:干部报告的当月数量按其所选“主要来自”的单位平均分摊后合计;督检考:各监测点报告的次数"
                  "(同一监测点多名干部报告同一单位的,取其中最多者)。同比 = (本月 − 上年同月) / 上年同月。",
                  "Documents, meetings, forms: each cadre's count for the month split evenly over "
                  "the bodies they say it mainly came from, summed; inspections: the visits each "
                  "point reported (several cadres of one point: the most any of them reported). "
                  "Year on year = (this month − same month last year) / same month last year.")
               + " " + hidden_note)

    # -- each body's trend ----------------------------------------------------------------------
    leaders = list(table.dropna(subset=[rank_by])["body_id"][:5])
    data = sb.trend(src, rank_by, leaders)
    if not data.empty:
        data["label"] = data["month"].map(lambda m, lg=language: sb.month_text(m, lg))
        order = [sb.month_text(m, language) for m in sorted(data["month"].unique())]
        chart = alt.Chart(data).mark_line(point=True).encode(
            x=alt.X("label:O", sort=order, title=tr("月份", "Month"),
                    axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("amount:Q", title=topic_name[rank_by]),
            color=alt.Color("body:N", title=tr("单位", "Body"),
                            legend=alt.Legend(orient="bottom", columns=3)),
            tooltip=[alt.Tooltip("label:O", title=tr("月份", "Month")),
                     alt.Tooltip("body:N", title=tr("单位", "Body")),
                     alt.Tooltip("amount:Q", title=topic_name[rank_by], format=".1f"),
                     alt.Tooltip("points:Q", title=tr("监测点数", "Points"))])
        st.altair_chart(charts.themed(chart, tr(f"{topic_name[rank_by]}最多的单位:逐月趋势",
                                                f"{topic_name[rank_by]}: the top bodies by month")),
                        width="stretch")

# -- off-plan inspections -----------------------------------------------------------------------
st.subheader(tr("未备案督检考", "Inspections outside the filed plan"))
off = src.off_plan
if off.empty:
    st.success(tr("所选范围内没有可显示的未备案督检考。", "No off-plan inspections to show here."))
else:
    st.dataframe(pd.DataFrame({
        tr("地区", "Area"): off["area"],
        tr("月份", "Month"): off["month"].map(lambda m, lg=language: sb.month_text(m, lg)),
        tr("单位", "Body"): off["body"],
        tr("情形", "Finding"): off["reason"].map(lambda r, lg=language: sb.reason_label(r, lg)),
        tr("次数", "Inspections"): off["inspections"].astype(int),
        tr("报告的监测点数", "Points reporting"): off["points"].astype(int)}),
        hide_index=True, width="stretch")
    st.caption(tr("按报告地区(县/区)合计,不显示监测点。", "Counted by reporting area (county), never "
                  "by point.") + " " + hidden_note)

# -- from finding to action ---------------------------------------------------------------------
st.subheader(tr("从发现到行动", "From finding to action"))
choices = [("off_plan", b, area) for b, area in
           off[off["body_id"].notna()][["body_id", "area"]].drop_duplicates().itertuples(index=False)]
if month is not None:
    for topic in sb.ALL_TOPICS:
        choices += [("rising", b, topic) for b in sb.rising(table, topic)["body_id"]]
names = sb.names(src.registry)


def describe(choice) -> str:
    kind, body_id, what = choice
    if kind == "off_plan":
        return tr(f"{names[body_id]} · 未备案督检考 · {what}", f"{names[body_id]} · off-plan "
                  f"inspections · {what}")
    return tr(f"{names[body_id]} · {topic_name[what]}同比上升", f"{names[body_id]} · "
              f"{topic_name[what].lower()} rising year on year")


if not choices:
    st.caption(tr("目前没有可据以行动的发现(未备案督检考或同比上升)。",
                  "No finding to act on (off-plan inspections or a rise year on year)."))
else:
    chosen = st.selectbox(tr("发现", "Finding"), choices, format_func=describe)
    area = tuple(flt.region or flt.scope)
    finding = (sb.off_plan_finding(src, chosen[1], chosen[2]) if chosen[0] == "off_plan" else
               sb.rising_finding(src, chosen[1], chosen[2], month, area))
    with st.form("act"):
        a, b = st.columns(2)
        days = a.number_input(tr("答复期限(工作日)", "Reply within (working days)"), 1, 60,
                              sb.REPLY_DAYS)
        sender = b.text_input(tr("发函单位", "Sent by"), max_chars=fields.OTHER_BODY.limit,
                              value=f"{finding.area[-1] if finding.area else ''}减负办")
        go = st.form_submit_button(tr("列入问题清单并起草提示函", "Add to the problem list and "
                                      "draft a reminder letter"), type="primary")
    if go:
        today = dt.date.today()
        reply_by, estimated = sb.reply_date(holidays.work_calendar(app.store), today, int(days))
        lines = reminder_letter.fact_lines(finding, "zh")
        try:
            problem_id, letter_id = sb.act(app.store, finding, lines, reply_by, int(days),
                                           estimated, viewer.username if viewer else "admin")
        except StoreError as exc:
            st.error(message(exc, language))
        else:
            st.session_state["letter"] = (finding, letter_id, problem_id, reply_by, estimated,
                                          sender.strip(), today)
    drafted = st.session_state.get("letter")
    if drafted and drafted[0] == finding:
        finding, letter_id, problem_id, reply_by, estimated, sender, today = drafted
        day = f"{reply_by:%Y-%m-%d}" + (tr("(估算)", " (estimated)") if estimated else "")
        st.success(tr(f"已列入问题清单({problem_id}),提示函 {letter_id} 已起草,答复期限 {day}。",
                      f"Added to the problem list ({problem_id}); reminder letter {letter_id} "
                      f"drafted, reply by {day}."))
        letter = reminder_letter.compose(finding, letter_id, reply_by, sender, today, language)
        left, right = st.columns(2)
        left.download_button(tr("下载提示函 (DOCX)", "Download the letter (DOCX)"),
                             reminder_letter.docx(letter), file_name=f"{letter_id}.docx",
                             mime="application/vnd.openxmlformats-officedocument."
                                  "wordprocessingml.document", width="stretch")
        right.download_button(tr("下载提示函 (PDF)", "Download the letter (PDF)"),
                              lambda: reminder_letter.pdf(letter), file_name=f"{letter_id}.pdf",
                              mime="application/pdf", width="stretch")

sent = source_reports.letters(app.store, tuple(flt.scope))
if not sent.empty:
    st.caption(tr("已起草的提示函", "Reminder letters drafted"))
    st.dataframe(pd.DataFrame({
        tr("编号", "No."): sent["letter_id"],
        tr("单位", "Body"): sent["body_id"].map(names),
        tr("答复期限", "Reply by"): pd.to_datetime(sent["reply_by"]).dt.strftime("%Y-%m-%d"),
        tr("问题编号", "Problem"): sent["problem_id"]}), hide_index=True, width="stretch")
