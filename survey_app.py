"""Entry point: `streamlit run survey_app.py`. Navigation over the pages, language switch.

The page scripts live in app_pages/, not pages/: Streamlit 1.67 treats a folder named pages/
beside the entry script as an old-style automatic multipage app until a run happens to call
st.navigation, so a shared deep link opened first would lose this navigation for everyone."""

import streamlit as st

from ui.context import language_switch, startup, t

st.set_page_config(page_title="基层减负监测 · Burden monitoring", page_icon=":material/assignment:",
                   layout="centered")
language_switch()
startup()  # open the database once, before any page, so errors show in one place
pages = [
    st.Page("app_pages/fill.py", title=t("nav_fill"), icon=":material/edit_note:", default=True),
    st.Page("app_pages/trends.py", title=t("nav_trends"), icon=":material/trending_down:"),
    st.Page("app_pages/warnings.py", title=t("nav_warnings"), icon=":material/notification_important:"),
    st.Page("app_pages/responses.py", title=t("nav_responses"), icon=":material/task_alt:"),
    st.Page("app_pages/briefing.py", title=t("nav_briefing"), icon=":material/summarize:"),
    st.Page("app_pages/sql.py", title=t("nav_sql"), icon=":material/database:"),
    st.Page("app_pages/questionnaires.py", title=t("nav_questionnaires"), icon=":material/description:"),
]
st.navigation(pages).run()
