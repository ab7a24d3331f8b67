"""Admin: load past periods from Excel/CSV (history), with a row-by-row error report first."""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from survey import safe_files
from survey.errors import message
from survey.interop import history_import, sample_history
from survey.interop.issues import issue_rows, message_column
from survey.store import StoreError
from survey.store import history as history_store
from ui.auth import require
from ui.context import escape, lang, startup, tr

viewer = require("admin_history")
app = startup()
store = app.store
st.title(tr("历史数据导入", "Import history"))
st.write(tr(
    "把以往在 Excel 中保存的月报数据导入平台,同比从第一个导入月份起即可计算。每行一个填报人一期:"
    "填报人编号(匿名,导入时加密,不保存原值)、监测点编号、期次(如 2025-03),以及每题一列"
    "(表头可用题目编号、指标名称如“收文数量”或中文题目)。支持 .xlsx、.xls 和 .csv(UTF-8 或 GBK),"
    "也可导入本平台导出的 Excel。每行按当期适用的问卷版本校验;有错误时不写入任何数据,"
    "除非您选择只导入无误的行。同一文件导入两次不会重复。",
    "Load monthly data kept in Excel so that year-on-year figures start from the first imported "
    "month. One row per respondent and period: the anonymous respondent number (hashed on "
    "import, never stored), the point id, the period (e.g. 2025-03), and one column per question "
    "(headed by its id, its indicator such as 收文数量, or its Chinese label). .xlsx, .xls and "
    ".csv (UTF-8 or GBK) are read, and so is this platform's own Excel export. Each row is "
    "checked against the questionnaire version in force then; nothing is written while there "
    "are errors unless you choose to load only the valid rows. Loading a file twice adds nothing."))

with st.expander(tr("示例文件(两年数据,含故意设置的错误)", "Sample files (two years, with seeded errors)")):
    st.caption(tr("先在“监测点与填报码”页面导入示例监测点,再上传示例历史数据。",
                  "Import the sample points on the points page first, then upload the sample."))
    a, b, c = st.columns(3)
    a.download_button(tr("示例监测点 CSV", "Sample points CSV"), sample_history.points_csv,
                      file_name="sample_points.csv", mime="text/csv", width="stretch")
    b.download_button(tr("示例历史数据 Excel", "Sample history Excel"),
                      lambda: sample_history.workbook()[0], file_name="history_2024_2025.xlsx",
                      mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                      width="stretch")
    c.download_button(tr("示例 GBK CSV", "Sample GBK CSV"), lambda: sample_history.gbk_csv()[0],
                      file_name="history_2024_2025_gbk.csv", mime="text/csv", width="stretch")

ids = sorted({v["questionnaire_id"] for v in store.questionnaire_versions()})
if not ids:
    st.warning(tr("尚未发布问卷,请先在问卷管理页面发布。", "No questionnaire is published yet; "
                  "publish one on the questionnaires page first."))
    st.stop()
questionnaire_id = st.selectbox(tr("问卷", "Questionnaire"), ids,
                                index=ids.index("burden_monthly") if "burden_monthly" in ids else 0)
upload = st.file_uploader(tr("历史数据文件", "History file"), type=["xlsx", "xls", "csv"],
                          key="history_upload")
if upload is not None:
    data = upload.getvalue()
    token = (hashlib.sha256(data).hexdigest(), questionnaire_id, store.data_version)
    if st.session_state.get("history_token") != token:
        with st.spinner(tr("正在逐行校验……", "Checking every row…")):
            st.session_state["history_report"] = history_import.read(
                store, data, upload.name, app.config.code_key, questionnaire_id)
        st.session_state["history_token"] = token
    report: history_import.HistoryReport = st.session_state["history_report"]
    span = report.periods()
    m1, m2, m3 = st.columns(3)
    m1.metric(tr("数据行", "Rows"), report.data_rows)
    m2.metric(tr("无误的行", "Valid rows"), len(report.rows))
    m3.metric(tr("有错误的行", "Rows with errors"), report.bad_rows)
    if span:
        st.caption(tr(f"期次:{span[0]} 至 {span[1]}", f"Periods: {span[0]} to {span[1]}"))
    for note in report.notes:
        st.caption(escape(note.text(lang())))  # may quote the file's headers
    if report.issues:
        st.error(tr(f"发现 {len(report.issues)} 处错误,列出如下(工作表、行号、列、问题及改法)。"
                    "请在文件中改正后重新上传。",
                    f"{len(report.issues)} error(s), listed below (sheet, row, column, what is "
                    "wrong and how to fix it). Correct the file and upload it again."))
        st.dataframe(pd.DataFrame(issue_rows(report.issues, lang())), hide_index=True,
                     width="stretch", row_height=90, column_config={
                         message_column(lang()): st.column_config.TextColumn(width=300)})
        st.download_button(tr("下载错误清单", "Download the error list"),
                           safe_files.csv_bytes(pd.DataFrame(issue_rows(report.issues, lang(),
                                                                     for_file=True))),
                           file_name="history_errors.csv", mime="text/csv")
    else:
        st.success(tr("文件无误,可以导入。", "The file is clean and can be loaded."))
    valid_only = False
    if report.issues and report.rows:
        valid_only = st.checkbox(tr(f"只导入无误的 {len(report.rows)} 行(有错误的行不导入)",
                                    f"Load only the {len(report.rows)} valid rows (rows with "
                                    "errors are left out)"))
    if report.rows and st.button(tr("导入", "Load"), type="primary",
                                 disabled=bool(report.issues) and not valid_only):
        try:
            summary = history_import.load(store, report, viewer.username, valid_only)
            st.session_state.pop("history_token", None)
            st.success(tr(f"已写入 {summary.written} 份提交(其中 {summary.revised} 份为修改),"
                          f"{summary.unchanged} 行此前已导入。",
                          f"Written: {summary.written} submission(s) ({summary.revised} "
                          f"revision(s)); {summary.unchanged} row(s) were already loaded."))
        except StoreError as exc:
            st.error(escape(message(exc, lang())))

st.subheader(tr("已导入的文件", "Files loaded"))
loaded = history_store.imports(store)
if loaded:
    st.dataframe(pd.DataFrame(loaded, columns=[
        tr("文件", "File"), "SHA-256", tr("现行提交", "Kept submissions"), tr("最早期次", "First"),
        tr("最晚期次", "Last"), tr("导入时间", "Loaded at")]).assign(
            **{"SHA-256": lambda f: f["SHA-256"].str[:12]}),
        hide_index=True, width="stretch")
else:
    st.caption(tr("尚未导入历史数据。", "No history has been loaded yet."))
