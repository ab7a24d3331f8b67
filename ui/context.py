"""What every page needs: the started store (once per process and database), the language."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager

import streamlit as st

from survey import config as config_module
from survey.bootstrap import Startup, is_running, started
from survey.client_address import is_this_machine, proxy_headers
from survey.errors import message
from survey.i18n import LANGS
from survey.i18n import t as translate
from survey.store import StoreError
from survey.store.engine import NewerSchemaError
from ui.text import plain

LANG_NAMES = {"zh": "中文", "en": "English"}


@st.cache_resource(show_spinner=False)
def _startup(db_env: str | None) -> Startup:
    # Keyed on SURVEY_DB so that each database gets its own store (one per process). The
    # server's lifespan has usually started it already (ui/server.py); AppTest has no server.
    return started(config_module.resolve())


_log = logging.getLogger("survey.app")
_logged: set[str] = set()


def startup() -> Startup:
    try:
        running = _startup(os.environ.get("SURVEY_DB"))
        if not is_running(running):  # stopped since it was cached: start anew, never reuse
            _startup.clear()
            running = _startup(os.environ.get("SURVEY_DB"))
        return running
    except (StoreError, config_module.ConfigError) as exc:
        if str(exc) not in _logged:  # once per message, not once per page view
            _logged.add(str(exc))
            _log.error("the app cannot start: %s", exc)
        # What to do (a locked file, a wrong key, which server) is for the operator at this
        # machine; a cadre scanning a QR code gets no server details, only the situation.
        if _on_this_machine():
            key = "config_wrong" if isinstance(exc, config_module.ConfigError) else \
                "store_newer" if isinstance(exc, NewerSchemaError) else "store_unavailable"
            st.error(t(key, error=message(exc, lang())))
        else:
            st.error(t("store_unavailable_public"))
        st.stop()


def _on_this_machine() -> bool:
    peer = getattr(st.context, "ip_address", None)
    return is_this_machine(peer if isinstance(peer, str) else None,
                           proxy_headers(st.context.headers))


@contextmanager
def database_trouble_shown():
    """A page run the database failed (PostgreSQL away, a disk full) ends with the message in
    the viewer's language and a way to try again, not a traceback.

    The run ends normally, not by st.stop(): st.stop() cancels the reruns the browser asked
    for while this run was going, with the values they carried (a slow run during an outage,
    5 s, swallowed everything typed meanwhile; issue 19), and leaves the page's fragment (the
    form) registered, whose next rerun drew into a place the browser no longer had and crashed
    the page to a blank screen ("Bad delta path index 5"). Ending normally, those reruns run
    next and their values reach the form's callbacks; what was typed before lives in the
    page's own state."""
    try:
        yield
    except StoreError as exc:
        st.error(plain(message(exc, lang())), icon=":material/cloud_off:")
        st.button(t("try_again"), icon=":material/refresh:", key="database_trouble_retry")


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **values) -> str:
    return translate(key, lang(), **values)


# The language of a sign-in page that offered single sign-on: the provider sends the browser
# back to the bare address, without ?lang=, in a new page session (ui/auth.py).
SSO_LANG_COOKIE = "survey_sso_lang"
LANG_CHOICE = "lang_choice"  # survives page switches and sign-out


def language_switch() -> None:
    # The choice is kept under a key of our own: Streamlit may drop a widget's key when a run
    # switches page, and re-deriving it then would read the cookies of this tab's connection,
    # which can be older than the choice (a Chinese page turned English on signing in).
    if "lang" not in st.session_state:
        wanted = (st.session_state.get(LANG_CHOICE) or st.query_params.get("lang")
                  or (st.context.cookies or {}).get(SSO_LANG_COOKIE))
        st.session_state["lang"] = wanted if wanted in LANGS else "zh"
    st.sidebar.radio(translate("language"), LANGS, key="lang", horizontal=True,
                     format_func=LANG_NAMES.get)
    st.session_state[LANG_CHOICE] = st.session_state["lang"]
    if st.session_state["lang"] == "en":
        st.query_params["lang"] = "en"
    elif "lang" in st.query_params:
        del st.query_params["lang"]


def escape(text: str) -> str:
    """Show text a person typed exactly as typed: no markdown, links or HTML (ui/text.py)."""
    return plain(text)


def show_problems(lines: list[str]) -> None:
    """Validation messages as plain text (st.code: no markdown, nothing inserted), so that
    copying one gives exactly what is shown ("a2 == 1", not a word joiner from `escape`)."""
    if lines:
        st.error(tr(f"发现 {len(lines)} 处问题:", f"{len(lines)} problem(s) found:"))
        st.code("\n".join(lines), language=None, wrap_lines=True)


def tr(zh: str, en: str) -> str:
    """Page-local text in the current language (shared text lives in survey/i18n.py)."""
    return en if lang() == "en" else zh
