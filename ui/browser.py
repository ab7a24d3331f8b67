"""A per-browser pseudonym for the open channels (万人评, public questionnaires): a keyed hash
of the random token the public pages give the browser in a lasting cookie (ui/server.py,
PublicRaterMiddleware: 400 days), or, without it (a page reached inside the app), of
Streamlit's own random XSRF token, a session cookie. No fingerprint, nothing identifying;
clearing cookies gives a new one (the per-client limits bound that)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import streamlit as st


def _xsrf_token() -> str | None:
    raw = (getattr(st.context, "cookies", None) or {}).get("_streamlit_xsrf")
    if not isinstance(raw, str) or raw.count("|") != 3:
        return None
    _, mask, masked, _ = raw.split("|")
    try:  # Tornado's format 2: the token XOR a fresh mask each page load
        m, x = bytes.fromhex(mask), bytes.fromhex(masked)
    except ValueError:
        return None
    return bytes(b ^ m[i % len(m)] for i, b in enumerate(x)).hex()


RATER_COOKIE = "survey_rater"


def rater_token(value) -> str | None:
    """The rater cookie's random token, if the value is one (anything else is ignored)."""
    ok = isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)
    return value if ok else None


def _rater_token() -> str | None:
    return rater_token((getattr(st.context, "cookies", None) or {}).get(RATER_COOKIE))


def pseudonym(key: bytes, purpose: str) -> str:
    token = _rater_token() or _xsrf_token() or st.session_state.setdefault("browser_token", secrets.token_hex(16))
    return hmac.new(key, f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()[:32]
