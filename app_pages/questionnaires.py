"""Admin side: published questionnaire versions and the problems in files that were refused."""

from __future__ import annotations

import streamlit as st

from ui.context import startup, t

app = startup()
st.title(t("nav_questionnaires"))
st.write(t("q_admin_intro"))
rows = [{t("col_id"): v["questionnaire_id"], t("col_version"): v["version"],
         t("col_title"): v["title_zh"], t("col_period"): v["period"],
         t("col_hash"): v["content_hash"][:12], t("col_published"): v["published_at"],
         t("col_retired"): v["retired_at"], t("col_submissions"): v["submissions"]}
        for v in app.store.questionnaire_versions()]
st.dataframe(rows, hide_index=True, use_container_width=True)
if app.problems:
    st.subheader(t("q_problems"))
    st.code("\n".join(app.problems), language=None)
else:
    st.success(t("q_no_problems"))
