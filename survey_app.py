"""Entry point: `streamlit run survey_app.py`. Navigation over the pages, language switch."""

import streamlit as st

from ui.context import language_switch, startup, t

st.set_page_config(page_title="基层减负监测 · Burden monitoring", page_icon="📋",
                   layout="centered")
language_switch()
startup()  # open the database once, before any page, so errors show in one place
pages = [
    st.Page("pages/fill.py", title=t("nav_fill"), icon="📝", default=True),
    st.Page("pages/questionnaires.py", title=t("nav_questionnaires"), icon="🗂️"),
]
st.navigation(pages).run()
