"""Analysts: read-only SQL on the analytics snapshot, with examples and the schema at hand.

Queries run in a separate worker process (survey.store.sandbox): a crash or a runaway query
ends that worker, never the app, and results and downloads are bounded in rows and bytes."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from survey import queries, safe_files
from survey.errors import message
from survey.indicators import INDICATORS
from survey.schema_doc import view_meanings
from survey.snapshot_schedule import refresh
from survey.store import StoreError
from survey.store.sandbox import (DISPLAY_BYTES, DOWNLOAD_BYTES, DOWNLOAD_ROWS,
                                  DOWNLOAD_TIME_FACTOR, QueryFailed, QueryRefused, Sandbox)
from ui.auth import audit, require
from ui.context import escape, lang, startup, t, tr

viewer = require("sql")

app = startup()
cfg = app.config
sandbox = Sandbox(cfg.snapshot, timeout_s=cfg.sql_timeout_s)
MIME = {"csv": "text/csv", "parquet": "application/octet-stream",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def failure_message(exc: Exception, timeout_s: float = cfg.sql_timeout_s) -> str:
    """What went wrong, in the reader's language, and how to narrow the query."""
    if isinstance(exc, QueryRefused):
        return t("sql_refused", reason=escape(message(exc, lang())))
    kind = getattr(exc, "kind", "failed")
    if kind == "timeout":
        return t("sql_timeout", timeout=timeout_s)
    if kind in ("memory", "crashed", "busy", "no_snapshot"):
        return t("sql_no_snapshot_run" if kind == "no_snapshot" else f"sql_{kind}")
    return t("sql_failed", reason=escape(str(exc)))  # may quote the query


st.title(t("nav_sql"))
if cfg.snapshot.exists():
    taken = dt.datetime.fromtimestamp(cfg.snapshot.stat().st_mtime)
    st.caption(t("sql_intro", at=f"{taken:%Y-%m-%d %H:%M}", timeout=cfg.sql_timeout_s))
else:
    st.warning(t("sql_no_snapshot"))
if st.button(t("sql_refresh"), icon=":material/refresh:"):
    try:
        info = refresh(app.store, cfg.snapshot, cfg.k_anonymity)
        st.success(t("sql_refreshed", mb=info.bytes / 1e6, s=info.seconds))
    except StoreError as exc:
        st.error(t("sql_refresh_failed", reason=escape(message(exc, lang()))))

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
    for view, (about, columns) in view_meanings(lang()).items():
        st.markdown(f"**`{view}`** — {about}")
        st.dataframe(pd.DataFrame([{t("col_column"): c, t("col_meaning"): m}
                                   for c, m in columns.items()]),
                     hide_index=True, width="stretch")
    st.dataframe(pd.DataFrame([{tr("指标代码", "Indicator key"): i.key,
                                tr("中文名称", "Chinese name"): i.zh,
                                tr("英文名称", "English name"): i.en,
                                tr("单位", "Unit"): i.unit_zh if lang() == "zh" else i.unit_en}
                               for i in INDICATORS.values()]),
                 hide_index=True, width="stretch")

st.session_state.setdefault("sql", examples[0].sql if examples else "SELECT * FROM points")
sql = st.text_area(t("sql_editor"), key="sql", height=220)
if st.button(t("sql_run"), type="primary", icon=":material/play_arrow:"):
    audit("sql_query", None, sql=sql[:2000])
    st.session_state.pop("sql_download", None)
    try:
        st.session_state["sql_result"] = (sql, sandbox.run(sql, cfg.sql_rows), None)
    except (QueryRefused, QueryFailed) as exc:
        st.session_state["sql_result"] = (sql, None, failure_message(exc))

ran = st.session_state.get("sql_result")
if ran:
    ran_sql, result, error = ran
    if error:
        st.error(error)
    else:
        st.caption(t("sql_rows", n=result.table.num_rows, ms=result.seconds * 1000))
        if result.cut_by == "rows":
            st.warning(t("sql_cut_rows", limit=cfg.sql_rows))
        elif result.cut_by == "bytes":
            st.warning(t("sql_cut_bytes", n=result.table.num_rows, mb=DISPLAY_BYTES // 2 ** 20))
        # an empty cell shows empty, not Streamlit's "None"
        st.dataframe(result.table, width="stretch", hide_index=True, placeholder="")

        columns = st.columns(3)
        formats = {"csv": t("sql_download_csv"), "parquet": t("sql_download_parquet"),
                   "xlsx": t("sql_download_xlsx")}
        if not result.truncated:  # the whole result is here already: no second run
            table = result.table
            makers = {"csv": lambda: safe_files.csv_bytes(safe_files.spreadsheet_frame(table)),
                      "parquet": lambda: safe_files.parquet_bytes(table),
                      "xlsx": lambda: safe_files.xlsx_bytes(
                          {"query": safe_files.spreadsheet_frame(table)})}
            for column, (fmt, label) in zip(columns, formats.items()):
                column.download_button(label, makers[fmt], file_name=f"query.{fmt}",
                                       mime=MIME[fmt], on_click=audit,
                                       args=("download", f"query.{fmt}"), width="stretch")
        else:  # a bounded second run in the worker, prepared on request
            st.caption(t("sql_download_bounded", mb=DOWNLOAD_BYTES // 2 ** 20))
            for column, (fmt, label) in zip(columns, formats.items()):
                if column.button(t("sql_prepare", fmt=label, rows=DOWNLOAD_ROWS[fmt]),
                                 key=f"prepare_{fmt}", width="stretch"):
                    try:
                        made = sandbox.download(ran_sql, fmt)
                        st.session_state["sql_download"] = (fmt, made, None)
                    except (QueryRefused, QueryFailed) as exc:
                        st.session_state["sql_download"] = (fmt, None, failure_message(
                            exc, cfg.sql_timeout_s * DOWNLOAD_TIME_FACTOR))
            prepared = st.session_state.get("sql_download")
            if prepared:
                fmt, made, error = prepared
                if error:
                    st.error(error)
                else:
                    if made.cut_by:
                        st.warning(t(f"sql_download_cut_{made.cut_by}", n=made.rows,
                                     rows=DOWNLOAD_ROWS[fmt], mb=DOWNLOAD_BYTES // 2 ** 20))
                    st.download_button(t("sql_download_ready", fmt=formats[fmt], n=made.rows),
                                       made.data, file_name=f"query.{fmt}", mime=MIME[fmt],
                                       on_click=audit, args=("download", f"query.{fmt}"),
                                       type="primary", icon=":material/download:")

# (room for further download formats, e.g. SPSS/Stata, below this line)
from survey.interop import stat_files  # noqa: E402
from survey.store import stat_pivot  # noqa: E402

with st.expander("SPSS / Stata 文件(含变量标签与取值标签)" if lang() == "zh" else
                 "SPSS / Stata files (with variable and value labels)"):
    def stat_file(qid: str, fmt: str, labels: str) -> bytes:  # built when clicked
        con = app.store.raw_connection()
        try:
            return stat_files.file_bytes(con, app.store.questionnaire, qid, fmt, labels)
        finally:
            con.close()

    stat_con = app.store.raw_connection()
    stat_ids = stat_pivot.questionnaire_ids(stat_con)
    stat_con.close()
    if stat_ids:
        stat_qid = st.selectbox("问卷" if lang() == "zh" else "Questionnaire", stat_ids,
                                key="stat_qid")
        stat_lang = st.radio("标签语言" if lang() == "zh" else "Label language", ["zh", "en"],
                             horizontal=True, key="stat_lang")
        st.caption("每份现行提交一行,每题一个变量;选项为取值标签。" if lang() == "zh" else
                   "One row per kept submission, one variable per question; choices as value "
                   "labels.")
        s1, s2 = st.columns(2)
        for column, fmt, mime in ((s1, "sav", "application/x-spss-sav"),
                                  (s2, "dta", "application/x-stata-dta")):
            column.download_button(
                "SPSS (.sav)" if fmt == "sav" else "Stata (.dta)",
                lambda fmt=fmt: stat_file(stat_qid, fmt, stat_lang),
                file_name=f"{stat_qid}.{fmt}", mime=mime, on_click=audit,
                args=("download", f"{stat_qid}.{fmt}"), width="stretch")
