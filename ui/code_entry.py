"""The cadre's code screen: a typed code (or one that came in a QR link and was refused by the
server, ui/server.py) opens a cadre session; the code itself is never kept in the page."""

from __future__ import annotations

import streamlit as st

from ui import auth
from ui.context import escape, startup, t


def code_screen() -> None:
    st.title(t("app_title"))
    st.write(t("fill_intro"))
    # A QR link whose code the server refused comes back as ?code_error=... (never the code).
    refused = st.query_params.get("code_error")
    if refused:
        wait = float(st.query_params.get("code_wait") or 0)
        st.session_state["code_error"] = auth.code_message(refused, wait)
        for name in ("code_error", "code_wait"):
            st.query_params.pop(name, None)
    with st.form("code_form", border=False):
        code = st.text_input(t("code_label"), placeholder=t("code_placeholder"), max_chars=20)
        if st.form_submit_button(t("start"), type="primary", width="stretch"):
            problem = auth.cadre_sign_in(code)
            st.session_state["code_error"] = problem
            if problem is None:
                st.rerun()
    if problem := st.session_state.get("code_error"):
        st.error(problem)
    demo = startup().store.demo_codes()
    if demo:
        with st.expander(t("demo_codes")):
            for code, name in demo:
                st.code(code, language=None)
                st.caption(escape(name))
