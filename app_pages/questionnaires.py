"""Admin side: published questionnaire versions and the problems in files that were refused."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from survey import form_burden, periods
from survey.bootstrap import publish_dir, publish_file
from survey.domain import PERIOD_KINDS
from survey.errors import message
from survey.questionnaire import parse_bytes
from ui.auth import require
from ui import place
from ui.context import escape, lang, show_problems, startup, t, tr

viewer = require("admin_questionnaires")

app = startup()
st.title(t("nav_questionnaires"))
st.write(t("q_admin_intro"))
rows = [{t("col_id"): v["questionnaire_id"], t("col_version"): v["version"],
         t("col_title"): v["title_zh"], t("col_period"): periods.kind_label(v["period"], lang()),
         t("col_hash"): v["content_hash"][:12], t("col_published"): v["published_at"],
         t("col_retired"): v["retired_at"], t("col_submissions"): v["submissions"]}
        for v in app.store.questionnaire_versions()]
st.dataframe(rows, hide_index=True, width="stretch", placeholder="—")
if app.problems:
    st.subheader(t("q_problems"))
    st.code("\n".join(message(p, lang()) for p in app.problems), language=None)
else:
    st.success(t("q_no_problems"))


st.subheader(tr("发布与停用", "Publish and retire"))
if st.button(tr("重新读取问卷文件并发布新版本", "Re-read the files and publish new versions")):
    published, problems = publish_dir(app.store, app.config.questionnaire_dir, viewer.username)
    app.problems[:] = problems
    place.keep("published", tr("已发布:", "Published: ")  # kept through the rerun that lists them
               + escape(", ".join(published) or tr("无新版本", "nothing new")), rerun=True)
place.success("published")
versions = [(v["questionnaire_id"], v["version"]) for v in app.store.questionnaire_versions()
            if v["retired_at"] is None]
if versions:
    retire = st.selectbox(tr("停用一个版本(已有提交保留)", "Retire a version (submissions stay)"),
                          versions, format_func=lambda v: f"{v[0]} v{v[1]}")
    if st.button(tr("停用", "Retire")):
        app.store.retire(retire[0], retire[1], viewer.username)
        st.rerun()

# -- a questionnaire file from the author's computer: checked, then published as the CLI does --
st.subheader(tr("上传问卷 YAML 文件", "Upload a questionnaire YAML file"))
st.caption(tr("按问卷格式说明编写的问卷文件(.yaml 或 .yml)。先逐项校验(行号、列号、问题及改法),"
              "无误后可发布。",
              "A questionnaire file written as docs/questionnaire-format.md describes (.yaml or "
              ".yml). It is checked first (line, column, what is wrong and how to fix it); a "
              "valid file can then be published."))
yaml_file = st.file_uploader(tr("问卷文件", "Questionnaire file"), key="yaml_upload",
                             type=["yaml", "yml"])
if yaml_file is not None:
    checked, found = parse_bytes(yaml_file.getvalue(), yaml_file.name)
    show_problems([problem.text(lang()) for problem in found])
    if checked is not None:
        st.success(tr(f"校验通过:{escape(checked.ref)},{len(checked.questions)} 道题",
                      f"Valid: {escape(checked.ref)}, {len(checked.questions)} questions"))
        if st.button(tr("发布该问卷", "Publish it"), key="yaml_publish"):
            published, refused = publish_file(app.store, yaml_file.getvalue(), yaml_file.name,
                                              viewer.username)
            show_problems([message(problem, lang()) for problem in refused])
            if not refused:  # rerun: the table above lists the new version
                place.keep("yaml_published", tr("已发布:", "Published: ") + escape(
                    ", ".join(published)) if published else tr(
                        "该版本已发布,内容相同", "Already published, same content"), rerun=True)
    place.success("yaml_published")

# -- XLSForm in and out (survey.interop; docs/interop.md) -------------------------------------
from survey.interop import xlsform_export, xlsform_import  # noqa: E402
from survey.interop.issues import issue_rows, message_column  # noqa: E402
from survey.store import StoreError  # noqa: E402

st.subheader(tr("从 XLSForm 导入(ODK / KoboToolbox)", "Import an XLSForm (ODK / KoboToolbox)"))
st.caption(tr("上传 XLSForm(.xlsx、.xls、.csv 或 .md),转换为本平台问卷。无法转换的题目逐项列出"
              "(工作表、行号、原因及改法),其余照常导入。发布前请检查预览。",
              "Upload an XLSForm (.xlsx, .xls, .csv or .md) to turn it into a questionnaire here. "
              "What cannot map is listed item by item (sheet, row, why, what to do); the rest "
              "is imported. Check the preview before publishing."))
form_file = st.file_uploader(tr("XLSForm 文件", "XLSForm file"), key="xlsform_upload",
                             type=["xlsx", "xls", "csv", "md"])
one_off = tr("一次性(填写起止日期)", "One-off (with dates)")
kind = st.selectbox(tr("填报周期", "Period"), PERIOD_KINDS, key="xlsform_period",
                    # bound to this run's language: the widget of the run before keeps its own
                    format_func=lambda k, lang_=lang(): one_off if k == "once"
                    else periods.kind_label(k, lang_))
opens = closes = None
if kind == "once":
    left, right = st.columns(2)
    opens = left.date_input(tr("开始日期", "Opens"), key="xlsform_opens")
    closes = right.date_input(tr("结束日期", "Closes"), key="xlsform_closes",
                              value=dt.date.today() + dt.timedelta(days=30))
if form_file is not None:
    imported = xlsform_import.import_xlsform(form_file.getvalue(), form_file.name, kind,
                                             opens, closes)
    lost = len(imported.lost)
    if imported.questionnaire is None:
        st.warning(tr(f"未能导入,{lost} 项问题:", f"Not imported: {lost} problem(s):"))
    elif lost:
        st.warning(tr(f"{lost} 项未能完整转换:", f"{lost} item(s) did not map completely:"))
    if imported.issues:
        st.dataframe(pd.DataFrame(issue_rows(imported.issues, lang())), hide_index=True,
                     width="stretch", row_height=90, column_config={
                         message_column(lang()): st.column_config.TextColumn(width=300)})
    if imported.questionnaire is not None:
        qn = imported.questionnaire
        st.success(tr(f"已转换 {imported.imported} 道题:{escape(qn.ref)}", f"{imported.imported} "
                      f"question(s) converted: {escape(qn.ref)}"))
        # the file's leading comment is English; the Chinese page shows the YAML without it
        st.code(imported.yaml_text if lang() == "en"
                else xlsform_import.without_header(imported.yaml_text), language="yaml")
        left, right = st.columns(2)
        left.download_button(tr("下载问卷 YAML", "Download the YAML"), imported.yaml_text,
                             file_name=f"{qn.id}.yaml", mime="text/yaml", width="stretch")
        if right.button(tr("发布该问卷", "Publish it"), width="stretch", key="xlsform_publish"):
            try:
                outcome = app.store.publish(qn, viewer.username)
                st.success(tr("已发布", "Published") if outcome == "published"
                           else tr("该版本已发布,内容相同", "Already published, same content"))
            except StoreError as exc:
                st.error(escape(message(exc, lang())))
current = app.store.current_questionnaires()
if current:
    chosen = st.selectbox(tr("导出为 XLSForm(供 ODK Collect / KoboCollect 离线采集)",
                             "Export as an XLSForm (for offline collection with ODK Collect / "
                             "KoboCollect)"), current, format_func=lambda q: q.ref,
                          key="xlsform_export")
    st.download_button(tr("下载 XLSForm", "Download the XLSForm"),
                       lambda: xlsform_export.to_xlsform(chosen), file_name=f"{chosen.id}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

st.subheader(tr("期次", "Periods"))
usage = app.store.period_usage()
st.dataframe(pd.DataFrame(usage, columns=[tr("问卷", "Questionnaire"), tr("版本", "Version"),
                                          tr("期次", "Period"), tr("提交数", "Submissions"),
                                          tr("已关闭", "Closed")]),
             hide_index=True, width="stretch", placeholder="—")
with st.form("period"):
    qid = st.selectbox(tr("问卷", "Questionnaire"), sorted({v[0] for v in versions}))
    key = st.text_input(tr("期次(如 2026-10)", "Period (e.g. 2026-10)"), max_chars=10)
    close, reopen = st.columns(2)
    do_close = close.form_submit_button(tr("关闭(不再接受提交和修改)", "Close (no more submissions)"))
    do_open = reopen.form_submit_button(tr("重新开放", "Reopen"))
    if do_close or do_open:
        try:  # the store refuses a key that is not a period of this questionnaire
            if do_close:
                app.store.close_period(qid, key.strip(), viewer.username)
            else:
                app.store.reopen_period(qid, key.strip(), viewer.username)
            st.rerun()
        except StoreError as exc:
            st.error(escape(message(exc, lang())))

st.subheader(t("form_burden_title"))
st.caption(t("form_burden_intro"))
burden = form_burden.form_burden(app.store)
if burden:
    minutes = lambda s: None if s is None else round(s / 60, 1)  # noqa: E731
    share = lambda x: None if x is None else round(100 * x)  # noqa: E731
    st.dataframe(pd.DataFrame(
        [(b.questionnaire_id, b.version, b.period_key, b.submissions, minutes(b.median_s),
          minutes(b.p90_s), b.items_asked, share(b.unchanged_share), b.soft_checks,
          share(b.soft_confirmed_share)) for b in burden],
        columns=[tr("问卷", "Questionnaire"), tr("版本", "Version"), tr("期次", "Period"),
                 tr("提交数", "Submissions"), tr("中位用时(分钟)", "Median (minutes)"),
                 tr("P90 用时(分钟)", "P90 (minutes)"), tr("题数(中位)", "Items asked (median)"),
                 tr("确认无变化(%)", "Confirmed unchanged (%)"),
                 tr("核对提示数", "Soft checks asked"),
                 tr("核对后确认(%)", "Soft checks confirmed (%)")]),
        hide_index=True, width="stretch", placeholder="—")
