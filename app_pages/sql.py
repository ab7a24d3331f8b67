"""Analysts: read-only SQL on the analytics snapshot, with examples and the schema at hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from survey import exports, queries
from survey.indicators import INDICATORS
from survey.schema_doc import VIEWS
from survey.snapshots import refresh
from survey.store import StoreError
from survey.store.sandbox import QueryFailed, QueryRefused, Sandbox
from ui.auth import audit, require
from ui.context import lang, startup, t

viewer = require("sql")

FULL_RESULT_ROWS = 1_000_000
app = startup()
cfg = app.config
sandbox = Sandbox(cfg.snapshot, timeout_s=cfg.sql_timeout_s)
st.title(t("nav_sql"))
if cfg.snapshot.exists():
    taken = dt.datetime.fromtimestamp(cfg.snapshot.stat().st_mtime)
    st.caption(t("sql_intro", at=f"{taken:%Y-%m-%d %H:%M}", timeout=cfg.sql_timeout_s))
else:
    st.warning(t("sql_no_snapshot"))
if st.button(t("sql_refresh"), icon=":material/refresh:"):
    try:
        info = refresh(app.store, cfg.snapshot)
        st.success(t("sql_refreshed", mb=info.bytes / 1e6, s=info.seconds))
    except StoreError as exc:
        st.error(str(exc))

examples = queries.load()
with st.expander(t("sql_examples")):
    chosen = st.selectbox(t("sql_examples"), examples, format_func=lambda q: q.title_in(lang()),
                          label_visibility="collapsed")
    if chosen:
        st.caption(chosen.description_in(lang()))
        if st.button(t("sql_load")):
            st.session_state["sql"] = chosen.sql
            st.session_state.pop("sql_result", None)
with st.expander(t("sql_schema")):
    for view, (about, columns) in VIEWS.items():
        st.markdown(f"**`{view}`** — {about}")
        st.dataframe(pd.DataFrame([{t("col_column"): c, t("col_meaning"): m}
                                   for c, m in columns.items()]),
                     hide_index=True, width="stretch")
    st.dataframe(pd.DataFrame([{"indicator": i.key, "中文": i.zh, "English": i.en,
                                "unit": f"{i.unit_zh} / {i.unit_en}"} for i in INDICATORS.values()]),
                 hide_index=True, width="stretch")

st.session_state.setdefault("sql", examples[0].sql if examples else "SELECT * FROM points")
sql = st.text_area(t("sql_editor"), key="sql", height=220)
if st.button(t("sql_run"), type="primary", icon=":material/play_arrow:"):
    audit("sql_query", None, sql=sql[:2000])
    try:
        st.session_state["sql_result"] = (sql, sandbox.run(sql, cfg.sql_rows), None)
    except QueryRefused as exc:
        st.session_state["sql_result"] = (sql, None, t("sql_refused", reason=str(exc)))
    except QueryFailed as exc:
        st.session_state["sql_result"] = (sql, None, t("sql_failed", reason=str(exc)))

ran = st.session_state.get("sql_result")
if ran:
    ran_sql, result, error = ran
    if error:
        st.error(error)
    else:
        st.caption(t("sql_rows", n=result.table.num_rows, ms=result.seconds * 1000))
        if result.truncated:
            st.warning(t("sql_truncated", limit=cfg.sql_rows, max=FULL_RESULT_ROWS))
        st.dataframe(result.table, width="stretch", hide_index=True)

        def full():  # the same query again, without the display limit
            return sandbox.run(ran_sql, FULL_RESULT_ROWS).table

        table = result.table
        if result.truncated:
            st.caption(t("sql_full_result"))
        source = full if result.truncated else (lambda: table)
        a, b, c = st.columns(3)
        a.download_button(t("sql_download_csv"), lambda: exports.csv_bytes(source().to_pandas()),
                          file_name="query.csv", on_click=audit,
                          args=("download", "query.csv"), mime="text/csv", width="stretch")
        b.download_button(t("sql_download_parquet"), lambda: exports.parquet_bytes(source()),
                          file_name="query.parquet", on_click=audit,
                          args=("download", "query.parquet"), mime="application/octet-stream",
                          width="stretch")
        c.download_button(
            t("sql_download_xlsx"), lambda: exports.xlsx_bytes({"query": source().to_pandas()}),
            file_name="query.xlsx", on_click=audit,
                          args=("download", "query.xlsx"),
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            width="stretch")
