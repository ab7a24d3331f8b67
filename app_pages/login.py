"""Staff sign-in (and first-login password change). Respondents never sign in."""

from __future__ import annotations

import streamlit as st

from survey import access
from ui import auth
from ui.context import escape, lang, startup, t

store = startup().store
account = auth.current()
st.title(t("nav_login"))
if reason := st.session_state.pop("signed_out_because", None):
    st.info(reason)

if account is None:
    st.caption(t("login_intro"))
    auth.sign_in_choices()
    st.stop()

if st.session_state.pop("just_signed_in", False) and not account.must_change \
        and st.session_state.get("home_script", "app_pages/login.py") != "app_pages/login.py":
    st.switch_page(st.session_state["home_script"])  # signed in here: go on to the first page
role = access.ROLE_LABELS[account.role][1 if lang() == "en" else 0]
st.success(t("signed_in_as", name=escape(account.display_name), role=role))
if account.region:
    st.caption(t("scope", region=escape(" / ".join(account.region))))
if auth.signed_in_by_sso():  # no password of this app to set or change
    st.caption(t("sso_signed_in"))
    st.page_link(st.session_state.get("home_script", "app_pages/home.py"), label=t("continue"),
                 icon=":material/arrow_forward:")
    st.stop()
if account.must_change:
    st.warning(t("must_change"))
with st.form("change_password", border=False):
    new = st.text_input(t("new_password"), type="password", max_chars=200)
    again = st.text_input(t("repeat_password"), type="password", max_chars=200)
    if st.form_submit_button(t("save_password"), type="primary"):
        problem = access.password_problem(new, account.username)
        if new != again:
            st.error(t("passwords_differ"))
        elif problem:
            st.error(problem[1 if lang() == "en" else 0])
        else:
            store.set_password(account.username, new, account.username, must_change=False)
            auth.renew(account.username)
            st.session_state["password_flash"] = True
            st.rerun()
if st.session_state.pop("password_flash", False):
    st.success(t("password_saved"))
    st.page_link(st.session_state.get("home_script", "app_pages/home.py"), label=t("continue"),
                 icon=":material/arrow_forward:")
