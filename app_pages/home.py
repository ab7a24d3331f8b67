"""The app's front page (its bare address). Browsers without a staff session never see it: the
server sends them on to the respondents' form (/f, ui/server.py). A signed-in staff member goes
on to their first own page (a first sign-in to the password change); anyone else (a session
that has ended) gets the way to the form and to sign in."""

from __future__ import annotations

import html

import streamlit as st

from ui import auth
from ui.context import lang, t

HERE = "app_pages/home.py"

if auth.current() is not None and st.session_state.get("home_script", HERE) != HERE:
    st.switch_page(st.session_state["home_script"])
st.title(t("app_title"))
suffix = "?lang=en" if lang() == "en" else ""
# plain links in this tab (Streamlit's markdown links open a new tab); /f is no Streamlit page
st.html(f'<p style="font-size:1.1rem"><a href="/f{suffix}">{html.escape(t("nav_fill"))}</a>'
        f' · {html.escape(t("fill_intro"))}</p>')
st.page_link("app_pages/login.py", label=t("nav_login"), icon=":material/login:")
