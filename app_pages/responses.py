"""Response monitor: who has reported this period (counts only, never answers)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey import domain, periods
from ui.auth import require
from ui import cached
from ui.context import lang, startup, t
from ui.filters import leader_header

viewer = require("responses")

app = startup()
flt, _ = leader_header("nav_responses", "responses_intro", viewer)
recent = periods.recent("month", dt.date.today(), 13)
period = st.selectbox(t("period"), recent, index=1 if len(recent) > 1 else 0)
frame = cached.figure("responses", flt, period)
if frame.empty:
    st.info(t("no_data"))
    st.stop()
expected, received = int(frame["expected"].sum()), int(frame["received"].sum())
rate = f"{received / expected:.0%}" if expected else "—"
st.markdown(t("responses_summary", points=len(frame), expected=expected, received=received,
              rate=rate, overdue=int(frame["overdue"].sum())))
table = frame.assign(kind=frame["kind"].map(lambda c: domain.label(domain.POINT_KINDS, c, lang())))
st.dataframe(
    table[["name", "kind", "county", "expected", "received", "rate", "overdue"]].rename(columns={
        "name": t("col_point"), "kind": t("col_kind"), "county": t("col_county"),
        "expected": t("col_expected"), "received": t("col_received"), "rate": t("col_rate"),
        "overdue": t("col_overdue")}),
    hide_index=True, width="stretch",
    column_config={t("col_rate"): st.column_config.ProgressColumn(format="percent", min_value=0,
                                                                  max_value=1)})
