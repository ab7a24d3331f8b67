"""Admin side: published questionnaire versions and the problems in files that were refused."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from survey import periods as period_keys
from survey.bootstrap import publish_dir
from ui.auth import require
from ui.context import startup, t, tr

viewer = require("admin_questionnaires")

app = startup()
st.title(t("nav_questionnaires"))
st.write(t("q_admin_intro"))
rows = [{t("col_id"): v["questionnaire_id"], t("col_version"): v["version"],
         t("col_title"): v["title_zh"], t("col_period"): v["period"],
         t("col_hash"): v["content_hash"][:12], t("col_published"): v["published_at"],
         t("col_retired"): v["retired_at"], t("col_submissions"): v["submissions"]}
        for v in app.store.questionnaire_versions()]
st.dataframe(rows, hide_index=True, width="stretch")
if app.problems:
    st.subheader(t("q_problems"))
    st.code("\n".join(app.problems), language=None)
else:
    st.success(t("q_no_problems"))


st.subheader(tr("发布与停用", "Publish and retire"))
if st.button(tr("重新读取问卷文件并发布新版本", "Re-read the files and publish new versions")):
    published, problems = publish_dir(app.store, app.config.questionnaire_dir, viewer.username)
    app.problems[:] = problems
    st.success(tr("已发布:", "Published: ") + (", ".join(published) or tr("无新版本", "nothing new")))
    st.rerun()
versions = [(v["questionnaire_id"], v["version"]) for v in app.store.questionnaire_versions()
            if v["retired_at"] is None]
if versions:
    retire = st.selectbox(tr("停用一个版本(已有提交保留)", "Retire a version (submissions stay)"),
                          versions, format_func=lambda v: f"{v[0]} v{v[1]}")
    if st.button(tr("停用", "Retire")):
        app.store.retire(retire[0], retire[1], viewer.username)
        st.rerun()

st.subheader(tr("期次", "Periods"))
usage = app.store.period_usage()
st.dataframe(pd.DataFrame(usage, columns=[tr("问卷", "Questionnaire"), tr("版本", "Version"),
                                          tr("期次", "Period"), tr("提交数", "Submissions"),
                                          tr("已关闭", "Closed")]),
             hide_index=True, width="stretch")
with st.form("period"):
    qid = st.selectbox(tr("问卷", "Questionnaire"), sorted({v[0] for v in versions}))
    key = st.text_input(tr("期次(如 2026-10)", "Period (e.g. 2026-10)"), max_chars=10)
    close, reopen = st.columns(2)
    do_close = close.form_submit_button(tr("关闭(不再接受提交和修改)", "Close (no more submissions)"))
    do_open = reopen.form_submit_button(tr("重新开放", "Reopen"))
    if do_close or do_open:
        kind = next(v["period"] for v in app.store.questionnaire_versions()
                    if v["questionnaire_id"] == qid)
        try:
            period_keys.bounds(kind, key.strip())
            if do_close:
                app.store.close_period(qid, key.strip(), viewer.username)
            else:
                app.store.reopen_period(qid, key.strip(), viewer.username)
            st.rerun()
        except period_keys.PeriodError as exc:
            st.error(str(exc))
