"""The monthly briefing for a region: self-contained HTML and the same tables as Excel."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey import briefing, periods
from survey.early_warning import is_open
from survey.trends import month_label, summary_sentence
from ui.auth import audit, require
from ui import cached
from ui.context import escape, lang, startup, t
from ui.filters import leader_header

viewer = require("briefing")

app = startup()
k = app.config.k_anonymity
flt, _ = leader_header("nav_briefing", "briefing_intro", viewer)
_, span, _, _ = cached.meta()
if span is None:
    st.info(t("no_data"))
    st.stop()
months = periods.span("month", f"{span[0]:%Y-%m}", f"{span[1]:%Y-%m}")[::-1]
default = 1 if len(months) > 1 and months[0] == f"{dt.date.today():%Y-%m}" else 0
month_key = st.selectbox(t("briefing_month"), months, index=default,
                         format_func=lambda key: month_label(periods.bounds("month", key)[0],
                                                             lang()))
month = periods.bounds("month", month_key)[0]
rules, _ = cached.rules()
index, _ = cached.index_definition()
region = briefing.region_name(flt, lang())
st.subheader(escape(briefing.briefing_title(flt, month, lang())))
_, rows, _ = cached.figure("overview", flt, "month", month, k)
if not rows.empty:  # what the briefing opens with
    _, alerts, _ = cached.figure("alerts", flt.narrowed(end=month), rules, k,
                                 briefing.evaluation_day(month))
    states = app.store.warning_states()
    st.markdown(escape(summary_sentence(rows, sum(is_open(a, states) for a in alerts), region,
                                        month_label(month, lang()), lang())))
name = f"briefing_{region.replace(' · ', '_').replace(' ', '')}_{month_key}"
store, language = app.store, lang()
left, right = st.columns(2)
left.download_button(
    t("briefing_html"), lambda: briefing.html_report(store, flt, month, k, rules, index, language),
    file_name=f"{name}.html", mime="text/html", width="stretch", type="primary",
    on_click=audit, args=("download", f"{name}.html"))
right.download_button(
    t("briefing_xlsx"), lambda: briefing.xlsx(store, flt, month, k, rules, language),
    file_name=f"{name}.xlsx",
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    width="stretch", on_click=audit, args=("download", f"{name}.xlsx"))
