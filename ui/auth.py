"""Signed-in staff, the idle timeout, attempt limits, and the guard each page calls first."""

from __future__ import annotations

import hashlib
import os
import time

import streamlit as st

from survey import access
from ui.context import startup, t

_SALT = os.urandom(16)  # per process: client keys can't be linked across restarts


@st.cache_resource
def limiter() -> access.AttemptLimiter:
    """One limiter per process, shared by all sessions (kept in memory only)."""
    return access.AttemptLimiter()


@st.cache_resource
def report_limiter() -> access.AttemptLimiter:
    """At most 10 problem reports an hour from one client (counts reports, in memory)."""
    return access.AttemptLimiter(limit=10, window_s=3600, lock_s=3600)


@st.cache_resource
def rating_limiter() -> access.AttemptLimiter:
    """At most 20 public ratings an hour from one client (counts ratings, in memory)."""
    return access.AttemptLimiter(limit=20, window_s=3600, lock_s=3600)


def client_key() -> str:
    """A salted hash of the client's address, for rate limits only; never stored."""
    address = getattr(st.context, "ip_address", None)
    if not isinstance(address, str) or not address:
        address = "unknown"  # tests, or a proxy that hides the client
    return client_key_for(address)


def client_key_for(address: str) -> str:
    return "client:" + hashlib.sha256(_SALT + address.encode()).hexdigest()[:16]


def idle_minutes() -> float:
    return float(os.environ.get("SURVEY_IDLE_MINUTES") or 30)


def current() -> access.Account | None:
    """The signed-in account, re-read each run (a disabled account is out at once), or None
    after the idle timeout."""
    username = st.session_state.get("account")
    if not username:
        return None
    last = st.session_state.get("last_active", 0)
    if time.time() - last > idle_minutes() * 60:
        sign_out(reason=t("session_expired"))
        return None
    account = startup().store.account(username)
    if account is None or account.disabled:
        sign_out()
        return None
    st.session_state["last_active"] = time.time()
    return account


def sign_in(username: str, password: str) -> str | None:
    """None on success, else the message to show."""
    store = startup().store
    keys = (f"user:{username.strip().lower()}", client_key())
    wait = limiter().locked_for(*keys)
    if wait > 0:
        store.audit(username or "?", "login_locked")
        return t("locked", minutes=max(1, round(wait / 60)))
    account = store.check_login(username.strip(), password)
    if account is None:
        limiter().failed(*keys)
        store.audit(username or "?", "login_failed")
        return t("login_failed")
    limiter().succeeded(*keys)
    store.audit(account.username, "login")
    st.session_state["account"] = account.username
    st.session_state["last_active"] = time.time()
    return None


def sign_out(reason: str | None = None) -> None:
    username = st.session_state.get("account")
    if username:
        startup().store.audit(username, "logout" if reason is None else "session_expired")
    for key in list(st.session_state):
        if key != "lang":
            del st.session_state[key]
    if reason:
        st.session_state["signed_out_because"] = reason


def login_form(key: str = "login") -> None:
    """User name and password; on success the page reruns signed in (same address, same
    filters, so a shared link opens the view it points to)."""
    with st.form(key, border=False):
        username = st.text_input(t("username"), max_chars=80)
        password = st.text_input(t("password"), type="password", max_chars=200)
        if st.form_submit_button(t("sign_in"), type="primary", width="stretch"):
            problem = sign_in(username, password)
            if problem:
                st.error(problem)
            else:
                st.rerun()


def require(page: str) -> access.Account | None:
    """Stop the page unless the current viewer may use it: signed out, show the sign-in form
    here; signed in with the wrong role, say so; first sign-in, ask for a new password."""
    account = current()
    if access.may(account, page):
        if account is not None and account.must_change and page not in ("fill", "login"):
            st.warning(t("must_change"))
            st.page_link("app_pages/login.py", label=t("save_password"), icon=":material/key:")
            st.stop()
        return account
    if account is None:
        st.title(t("nav_login"))
        if reason := st.session_state.pop("signed_out_because", None):
            st.info(reason)
        st.caption(t("login_intro"))
        login_form(f"login:{page}")
    else:
        st.error(t("not_allowed"))
    st.stop()


def audit(action: str, target: str | None = None, **detail) -> None:
    """Record an action of the signed-in account (downloads, exports ...)."""
    startup().store.audit(st.session_state.get("account") or "anonymous", action, target, **detail)
