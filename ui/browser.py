"""A per-browser pseudonym for the open channels (万人评): a keyed hash of Streamlit's own
random XSRF token, which the browser keeps as a session cookie. No fingerprint, nothing
identifying; a browser restarted gets a new one (the per-client limit bounds that)."""

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


def pseudonym(key: bytes, purpose: str) -> str:
    token = _xsrf_token() or st.session_state.setdefault("browser_token", secrets.token_hex(16))
    return hmac.new(key, f"{purpose}:{token}".encode(), hashlib.sha256).hexdigest()[:32]
