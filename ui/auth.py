"""Who is at the keyboard: the signed-in staff account or the cadre whose code opened the form,
kept in a server-side session behind an HttpOnly cookie (survey/store/sessions.py, ui/server.py),
so a reload, a second tab or a shared link keeps them signed in. Plus the guard each page calls,
and single sign-on: Streamlit's st.login signs the person in at their organisation's provider,
then finish_sso opens the app's own session for their account (survey/sso.py).

A new browser tab starts a new Streamlit session: it finds the cookie in st.context.cookies.
A sign-in inside a run cannot set a cookie, so the run hands the session over once through
POST /session/claim (a one-time value; the browser's fetch stores the HttpOnly cookie).
"""

from __future__ import annotations

import dataclasses
import json
import logging

import streamlit as st
from streamlit.errors import StreamlitAuthError

from survey import access, signin, sso
from survey.client_address import request_client
from survey.store import CodeError, Respondent, sessions
from survey.errors import message
from ui.context import LANG_CHOICE, SSO_LANG_COOKIE, escape, lang, startup, t
from ui.server import COOKIES, DEVICE_COOKIES, IDENTITY

_TOKENS = {sessions.STAFF: "staff_token", sessions.CADRE: "cadre_token"}
_log = logging.getLogger("survey.auth")


def address() -> str | None:
    """The client's address for rate limits (behind a trusted proxy: its proxy headers)."""
    peer = getattr(st.context, "ip_address", None)
    return request_client(peer if isinstance(peer, str) else None, st.context.headers,
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
        sign_out(t("account_disabled_now"))
        return None
    if found.method == sessions.SSO:
        # Their organisation vouched for them: no one-time password to replace, no local one.
        return dataclasses.replace(account, must_change=False)
    if sso.policy(startup().store).refuses_password(account.username):
        sign_out(t("sso_required_now"))  # the office switched to single sign-on meanwhile
        return None
    return account


def signed_in_by_sso() -> bool:
    found = _session(sessions.STAFF, startup().config.idle_minutes * 60)
    return found is not None and found.method == sessions.SSO


def sign_in(username: str, password: str) -> str | None:
    """None on success, else the message to show."""
    outcome = signin.staff_sign_in(startup().store, limits(), username, password, address(),
                                   _device(sessions.STAFF), startup().config.one_time_hours)
    if outcome.reason == "wait":
        return t("login_wait", seconds=max(1, round(outcome.wait_s)))
    if outcome.reason == "expired":  # what to do instead, in the viewer's language
        return message(outcome.problem, lang())
    if outcome.reason == "sso_required":
        return t("sso_required")
    if not outcome.ok:
        return t("login_failed")
    _start(sessions.STAFF, outcome.token)
    return None


def sign_out(reason: str | None = None, at_provider: bool = False) -> None:
    """End the session everywhere (every tab, every server), then forget this browser's cookie.
    `at_provider` (the person's own sign-out): a session opened by single sign-on also ends
    Streamlit's identity and, where the provider offers it, the provider's session (st.logout
    takes the browser there and back to the app's front page)."""
    token = _token(sessions.STAFF)
    found = sessions.lookup(startup().store, token, sessions.STAFF, float("inf")) if token else None
    if found is not None:
        startup().store.audit(found.subject, "logout", method=found.method)
        sessions.end(startup().store, token, "sign-out")
    for key in list(st.session_state):
        if key not in ("lang", LANG_CHOICE, "cookie_jobs") and not key.startswith("dead_"):
            del st.session_state[key]
    _forget_cookie(sessions.STAFF)
    if reason:
        st.session_state["signed_out_because"] = reason
    if at_provider and found is not None and found.method == sessions.SSO and sso_configured():
        deliver_cookies()
        st.logout()
        st.stop()


def renew(username: str) -> None:
    """A fresh session for this tab after the account's own password change (which ended all
    of its sessions, so other tabs and devices must sign in with the new password)."""
    _start(sessions.STAFF, sessions.start(startup().store, sessions.STAFF, username,
                                          signin.STAFF_LIFETIME_S))


def sign_in_choices(key: str = "login") -> None:
    """The ways in: the organisation's account (when configured) and this app's password.
    When the office requires single sign-on, the password form is for the emergency
    administrator only and opens with a switch."""
    if problem := st.session_state.pop("sso_problem", None):
        st.error(problem)
    if st.query_params.get("sso") == "failed":  # back from the provider, nobody signed in
        del st.query_params["sso"]
        st.session_state["sso_failed"] = True
    if st.session_state.pop("sso_failed", False) and sso_configured():
        st.warning(t("sso_incomplete"))
    if not sso_configured():
        login_form(key)
        return
    # Back from the provider (a new page session at the bare address), the page keeps this
    # one's language: a preference cookie, set now, long before the button is pressed.
    st.html(f"<script>document.cookie = '{SSO_LANG_COOKIE}={lang()}; path=/; max-age=900; "
            f"samesite=lax'</script>", unsafe_allow_javascript=True)
    if st.button(t("sso"), type="primary", width="stretch", key=f"{key}:sso",
                 icon=":material/badge:"):
        try:
            st.login()
        except StreamlitAuthError as exc:  # no Authlib, an incomplete [auth] block
            _log.error("single sign-on cannot start: %s", exc)
            st.error(t("sso_broken"))
    if sso.policy(startup().store).required:
        if st.toggle(t("sso_break_glass_form"), key=f"{key}:emergency"):
            login_form(key)
    else:
        st.caption(t("sso_or_password"))
        login_form(key)


def sso_configured() -> bool:
    """Whether Streamlit found an [auth] block in its secrets (what st.login needs)."""
    return bool(st.secrets.load_if_toml_exists() and "auth" in st.secrets)


SSO_MESSAGES = {"no_email": "sso_no_email", "unverified": "sso_unverified",
                "unknown": "sso_unknown", "ambiguous": "sso_ambiguous",
                "disabled": "sso_disabled", "break_glass": "sso_break_glass"}


def finish_sso() -> str | None:
    """The browser came back from the organisation's provider (st.user is signed in) and this
    tab has no staff session yet: open one for the account of the provider's e-mail. Returns
    "home" (signed in: go on to the first page), "login" (refused: the sign-in page says why)
    or None (nothing new: no provider, or a sign-in that is old or already used)."""
    if not sso_configured() or not st.user.is_logged_in:
        return None
    claims = {name: st.user[name] for name in st.user if name != "tokens"}
    proof = sso.proof(claims)
    if proof is None or st.session_state.get("sso_seen") == proof:
        return None
    st.session_state["sso_seen"] = proof  # once per tab, whatever the outcome
    outcome = signin.sso_sign_in(startup().store, claims)
    if outcome.ok:
        _start(sessions.STAFF, outcome.token)
        return "home"
    if outcome.reason not in SSO_MESSAGES:
        return None
    st.session_state["sso_problem"] = t(SSO_MESSAGES[outcome.reason],
                                        email=escape(sso.email(claims)))  # data, not markdown
    # Streamlit keeps the provider's sign-in in a cookie for 30 days: a refused one must not
    # wait there for the next person at this computer (or for an account created later).
    st.session_state.setdefault("cookie_jobs", []).append({"url": "/session/end",
                                                           "kind": IDENTITY})
    return "login"


def login_form(key: str = "login") -> None:
    """User name and password; on success the page reruns signed in (same address, same
    filters, so a shared link opens the view it points to)."""
    with st.form(key, border=False):
        username = st.text_input(t("username"), max_chars=80, autocomplete="username")
        password = st.text_input(t("password"), type="password", max_chars=200,
                                 autocomplete="current-password")
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
        if account is not None and account.must_change and page not in ("home", "login"):
            st.warning(t("must_change"))
            st.page_link("app_pages/login.py", label=t("save_password"), icon=":material/key:")
            st.stop()
        return account
    if account is None:
        st.title(t("nav_login"))
        if reason := st.session_state.pop("signed_out_because", None):
            st.info(reason)
        st.caption(t("login_intro"))
        sign_in_choices(f"login:{page}")
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


def cadre_leave() -> None:
    token = _token(sessions.CADRE)
    if token:
        sessions.end(startup().store, token, "leave")
    st.session_state.pop(_TOKENS[sessions.CADRE], None)
    _forget_cookie(sessions.CADRE)
