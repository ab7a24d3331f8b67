"""Who is at the keyboard: the signed-in staff account or the cadre whose code opened the form,
kept in a server-side session behind an HttpOnly cookie (survey/store/sessions.py, ui/server.py),
so a reload, a second tab or a shared link keeps them signed in. Plus the guard each page calls.

A new browser tab starts a new Streamlit session: it finds the cookie in st.context.cookies.
A sign-in inside a run cannot set a cookie, so the run hands the session over once through
POST /session/claim (a one-time value; the browser's fetch stores the HttpOnly cookie).
"""

from __future__ import annotations

import json

import streamlit as st

from survey import access, signin
from survey.client_address import client_address
from survey.store import CodeError, Respondent, sessions
from ui.context import startup, t
from ui.server import COOKIES, DEVICE_COOKIES

_TOKENS = {sessions.STAFF: "staff_token", sessions.CADRE: "cadre_token"}


def address() -> str | None:
    """The client's address for rate limits (behind a trusted proxy: X-Forwarded-For)."""
    peer = getattr(st.context, "ip_address", None)
    forwarded = (st.context.headers or {}).get("X-Forwarded-For")
    return client_address(peer if isinstance(peer, str) else None, forwarded,
                          startup().config.trusted_proxies)


def _device(kind: str) -> str | None:
    """This browser's known-device cookie (survey.signin.device_token), if any."""
    return (st.context.cookies or {}).get(DEVICE_COOKIES[kind])


def limits():
    return startup().limits


def _token(kind: str) -> str | None:
    token = st.session_state.get(_TOKENS[kind])
    if token is None:
        token = (st.context.cookies or {}).get(COOKIES[kind])
        if token is not None and token == st.session_state.get(f"dead_{kind}"):
            return None  # this tab's connection still sends a cookie that has ended
    return token


def _session(kind: str, idle_s: float) -> sessions.Session | None:
    token = _token(kind)
    if token is None:
        return None
    found = sessions.lookup(startup().store, token, kind, idle_s)
    if found is None:
        ended = st.session_state.pop(_TOKENS[kind], None) is not None
        if ended and kind == sessions.STAFF:
            why = sessions.why_ended(startup().store, token)
            st.session_state["signed_out_because"] = t(
                "session_expired" if why in ("idle", "expired") else "session_ended")
        _forget_cookie(kind)
        return None
    st.session_state[_TOKENS[kind]] = token
    return found


def _start(kind: str, token: str) -> None:
    """This run is signed in at once; the browser gets the cookie on the next render."""
    st.session_state[_TOKENS[kind]] = token
    st.session_state.setdefault("cookie_jobs", []).append(
        {"url": "/session/claim", "kind": kind, "h": sessions.hand_off(startup().store, token)})


def _forget_cookie(kind: str) -> None:
    """Ask the browser to drop the cookie (once per tab: the cookie this tab's connection sent
    stays in st.context.cookies, so remember it as ended)."""
    cookie = (st.context.cookies or {}).get(COOKIES[kind])
    if cookie and st.session_state.get(f"dead_{kind}") != cookie:
        st.session_state[f"dead_{kind}"] = cookie
        st.session_state.setdefault("cookie_jobs", []).append({"url": "/session/end", "kind": kind})


def deliver_cookies() -> None:
    """Called once per run by the entry script, last in the sidebar (a script drawn for one
    run moves nothing there): send pending cookie changes to the browser."""
    jobs = st.session_state.pop("cookie_jobs", None)
    if not jobs:
        return
    calls = "".join(
        f"fetch({json.dumps(job['url'])},{{method:'POST',credentials:'same-origin',"
        f"body:new URLSearchParams({json.dumps({k: v for k, v in job.items() if k != 'url'})})}});"
        for job in jobs)
    st.html(f"<script>{calls}</script>", unsafe_allow_javascript=True)


# -- staff ------------------------------------------------------------------------------------
def current() -> access.Account | None:
    """The signed-in account, re-read each run: a disabled account or an ended session (sign-out
    in another tab, password change, idle timeout) is out at once."""
    found = _session(sessions.STAFF, startup().config.idle_minutes * 60)
    if found is None:
        return None
    account = startup().store.account(found.subject)
    if account is None or account.disabled:
        sign_out()
        return None
    return account


def sign_in(username: str, password: str) -> str | None:
    """None on success, else the message to show."""
    outcome = signin.staff_sign_in(startup().store, limits(), username, password, address(),
                                   _device(sessions.STAFF))
    if outcome.reason == "wait":
        return t("login_wait", seconds=max(1, round(outcome.wait_s)))
    if not outcome.ok:
        return t("login_failed")
    _start(sessions.STAFF, outcome.token)
    return None


def sign_out(reason: str | None = None) -> None:
    """End the session everywhere (every tab, every server), then forget this browser's cookie."""
    token = _token(sessions.STAFF)
    found = sessions.lookup(startup().store, token, sessions.STAFF, float("inf")) if token else None
    if found is not None:
        startup().store.audit(found.subject, "logout")
        sessions.end(startup().store, token, "sign-out")
    for key in list(st.session_state):
        if key not in ("lang", "cookie_jobs") and not key.startswith("dead_"):
            del st.session_state[key]
    _forget_cookie(sessions.STAFF)
    if reason:
        st.session_state["signed_out_because"] = reason


def renew(username: str) -> None:
    """A fresh session for this tab after the account's own password change (which ended all
    of its sessions, so other tabs and devices must sign in with the new password)."""
    _start(sessions.STAFF, sessions.start(startup().store, sessions.STAFF, username,
                                          signin.STAFF_LIFETIME_S))


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
                st.session_state["just_signed_in"] = True
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
    account = current()
    startup().store.audit(account.username if account else "anonymous", action, target, **detail)


# -- cadres -----------------------------------------------------------------------------------
def cadre() -> Respondent | None:
    """The respondent whose code opened this browser's session (QR link or typed code), or None.
    A revoked code or a deactivated point ends the session."""
    found = _session(sessions.CADRE, signin.CADRE_IDLE_S)
    if found is None:
        return None
    try:
        return startup().store.respondent_by_key(found.subject)
    except CodeError:
        cadre_leave()
        return None


def cadre_sign_in(code: str) -> str | None:
    """None when the code opened a session, else the message to show."""
    outcome = signin.open_with_code(startup().store, limits(), code, address(),
                                    _device(sessions.CADRE))
    if outcome.ok:
        _start(sessions.CADRE, outcome.token)
        return None
    return code_message(outcome.reason, outcome.wait_s)


def code_message(reason: str, wait_s: float = 0) -> str:
    if reason == "wait":
        return t("code_wait", seconds=max(1, round(wait_s)))
    return t(f"code_error_{reason}") if reason in ("format", "unknown", "revoked", "inactive") \
        else t("code_error_unknown")


def cadre_leave() -> None:
    token = _token(sessions.CADRE)
    if token:
        sessions.end(startup().store, token, "leave")
    st.session_state.pop(_TOKENS[sessions.CADRE], None)
    _forget_cookie(sessions.CADRE)
