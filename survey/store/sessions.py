"""Server-side sessions for staff and cadres, and the one-time hand-off that puts a session's
cookie into the browser.

The browser holds a random token in an HttpOnly cookie; the database holds only its sha256, so
a copy of the database signs nobody in. A session ends on sign-out, password change, account
disable, after `idle_s` without activity, or at its absolute end, whichever comes first; ending
it here ends it in every tab and on every app server at the next interaction.

A sign-in happens inside a Streamlit run, which cannot set cookies. So the run asks for a
hand-off: a one-time value, valid for a minute, that the page presents to the server's
/auth/claim route, which answers with the Set-Cookie. The database keeps the hand-off's hash
and the token sealed with a key derived from the value, so neither can be read back from it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from survey.store.engine import lock_keys

STAFF, CADRE = "staff", "cadre"
HANDOFF_S = 60
_TOUCH_EVERY = dt.timedelta(seconds=60)  # last_seen is written at most this often


PASSWORD, SSO = "password", "sso"  # how a staff session was opened (table staff_sign_in)


@dataclass(frozen=True)
class Session:
    kind: str
    subject: str
    created_at: dt.datetime
    expires_at: dt.datetime
    method: str | None = None  # staff: PASSWORD or SSO; cadre: None


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("ascii", "replace")).hexdigest()


def _decode(token: str) -> bytes | None:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    return raw if len(raw) == 32 else None


def start(store, kind: str, subject: str, lifetime_s: float, method: str = PASSWORD,
          proof: str | None = None) -> str | None:
    """A new session; returns the token for the cookie (shown nowhere else). A staff session
    records how it was opened; `proof` (single sign-on: what identifies the provider's ID
    token) opens one session only: None when it has opened one before."""
    token = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    now = _now()
    proof_hash = _hash(proof) if proof else None

    def work(cur):
        if proof_hash:
            lock_keys(cur, [f"sso-proof:{proof_hash}"])  # two servers, one token: one wins
            if cur.execute("SELECT 1 FROM staff_sign_in WHERE proof_hash = ?",
                           [proof_hash]).fetchone():
                return None
        cur.execute("INSERT INTO web_session VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)",
                    [_hash(token), kind, subject, now, now, now + dt.timedelta(seconds=lifetime_s)])
        if kind == STAFF:
            cur.execute("INSERT INTO staff_sign_in VALUES (?, ?, ?)",
                        [_hash(token), method, proof_hash])
        return token
    return store._write(work)


def lookup(store, token: str | None, kind: str, idle_s: float) -> Session | None:
    """The live session of this kind for a token, or None (and an idle one is ended)."""
    if not token or _decode(token) is None:
        return None
    key = _hash(token)
    row = store._one("SELECT s.subject, s.created_at, s.expires_at, s.last_seen_at, m.method "
                     "FROM web_session s LEFT JOIN staff_sign_in m ON m.token_hash = s.token_hash "
                     "WHERE s.token_hash = ? AND s.kind = ? AND s.ended_at IS NULL", [key, kind])
    if row is None:
        return None
    subject, created, expires, last_seen, method = row
    now = _now()
    if now >= expires:
        end(store, token, "expired")
        return None
    if (now - last_seen).total_seconds() > idle_s:
        end(store, token, "idle")
        return None
    if now - last_seen >= _TOUCH_EVERY:
        store._write(lambda cur: cur.execute(
            "UPDATE web_session SET last_seen_at = ? WHERE token_hash = ?", [now, key]))
    # A staff session from before migration 019 was opened with a password.
    return Session(kind, subject, created, expires, method or (PASSWORD if kind == STAFF else None))


def why_ended(store, token: str | None) -> str | None:
    """"sign-out", "password", "disabled", "idle", "expired", ... or None."""
    if not token or _decode(token) is None:
        return None
    row = store._one("SELECT ended_why FROM web_session WHERE token_hash = ?", [_hash(token)])
    return row[0] if row else None


def end(store, token: str | None, why: str) -> None:
    if token:
        store._write(lambda cur: cur.execute(
            "UPDATE web_session SET ended_at = ?, ended_why = ? WHERE token_hash = ? AND "
            "ended_at IS NULL", [_now(), why, _hash(token)]))


def end_all(store, kind: str, subject: str, why: str) -> None:
    """End every session of an account or a respondent (password change, disable, revoke)."""
    store._write(lambda cur: cur.execute(
        "UPDATE web_session SET ended_at = ?, ended_why = ? WHERE kind = ? AND subject = ? AND "
        "ended_at IS NULL", [_now(), why, kind, subject]))


def end_everyone(store, why: str) -> int:
    """End every open session, staff and cadre, and drop pending hand-offs (a restore: a
    backup taken after a break-in must not bring the intruder's sessions back). Returns how
    many sessions were open."""
    def work(cur):
        ended = cur.execute("UPDATE web_session SET ended_at = ?, ended_why = ? WHERE ended_at "
                            "IS NULL RETURNING 1", [_now(), why]).fetchall()
        cur.execute("DELETE FROM session_handoff")
        return len(ended)
    return store._write(work)


def _seal_key(handoff: str) -> bytes:
    return hashlib.sha256(b"session-handoff-seal:" + handoff.encode("ascii")).digest()


def hand_off(store, token: str) -> str:
    """A one-time value that /auth/claim exchanges for this session's cookie within a minute."""
    raw = _decode(token)
    if raw is None:
        raise ValueError("not a session token")
    handoff = secrets.token_urlsafe(32)
    sealed = bytes(a ^ b for a, b in zip(raw, _seal_key(handoff)))
    store._write(lambda cur: cur.execute(
        "INSERT INTO session_handoff VALUES (?, ?, ?)",
        [_hash(handoff), sealed, _now() + dt.timedelta(seconds=HANDOFF_S)]))
    return handoff


def claim(store, handoff: str | None) -> str | None:
    """The session token for a hand-off value, once; None if unknown, used or too old."""
    if not handoff or len(handoff) > 100:
        return None
    key = _hash(handoff)

    def work(cur):
        # DELETE ... RETURNING: of two app servers claiming the same value at once, only the
        # one whose delete removed the row gets it (the other's delete waits, then finds none)
        row = cur.execute("DELETE FROM session_handoff WHERE handoff_hash = ? "
                          "RETURNING token_sealed, expires_at", [key]).fetchone()
        cur.execute("DELETE FROM session_handoff WHERE expires_at < ?", [_now()])
        return row
    row = store._write(work)
    if row is None or row[1] < _now():
        return None
    raw = bytes(a ^ b for a, b in zip(bytes(row[0]), _seal_key(handoff)))
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def purge(store, keep_days: int = 7) -> None:
    """Forget sessions that ended or expired more than `keep_days` ago, and stale hand-offs."""
    cutoff = _now() - dt.timedelta(days=keep_days)
    store._write(lambda cur: (
        cur.execute("DELETE FROM web_session WHERE coalesce(ended_at, expires_at) < ?", [cutoff]),
        # A proof outlives its ID token's freshness (minutes) by days before it goes.
        cur.execute("DELETE FROM staff_sign_in WHERE token_hash NOT IN "
                    "(SELECT token_hash FROM web_session)"),
        cur.execute("DELETE FROM session_handoff WHERE expires_at < ?", [_now()])))
