"""Signing in: a respondent code or a staff password, checked against the attempt limits, or
the organisation's single sign-on (survey/sso.py), ends in a server-side session
(survey/store/sessions.py). Used by the pages (typed code, password form, the provider's
answer) and by the server's middleware (a code in a QR link), so all follow the same rules.

A cadre session lasts hours, not weeks; a staff session ends after the idle timeout and at most
after a working day. Wrong codes, wrong passwords, reports and ratings each have their own
limiter (survey/throttle.py), so one never blocks another.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from survey import access, codes, observability, sso, throttle
from survey.store import CodeError, sessions
from survey.store.accounts import ONE_TIME_HOURS, OneTimePasswordExpired

CADRE_LIFETIME_S = 8 * 3600
CADRE_IDLE_S = 2 * 3600
STAFF_LIFETIME_S = 12 * 3600


@dataclass(frozen=True)
class Outcome:
    token: str | None = None      # the new session's token (set it as the cookie)
    reason: str | None = None     # why not: format, unknown, revoked, inactive, wait, failed,
                                  # expired (a right one-time password, too late)
    #                               sso_required; single sign-on: stale, no_email, unverified,
    #                               unknown, ambiguous, disabled (sso_sign_in)
    wait_s: float = 0.0           # with reason "wait": how long to wait
    subject: str | None = None    # user name or respondent pseudonym
    problem: object = None        # with reason "expired": the message (DomainError) to show

    @property
    def ok(self) -> bool:
        return self.token is not None


DEVICE_LIFETIME_S = 180 * 86400


def device_token(secret: bytes, kind: str, subject: str) -> str:
    """A "known device" cookie (OWASP: slow down online guessing with device cookies): proof
    that this browser once signed in as `subject`. Its owner keeps their own way in while a
    guesser elsewhere has slowed down the account or the office's address."""
    mac = hmac.new(secret, f"device|{kind}|{subject}".encode(), hashlib.sha256).hexdigest()
    return mac[:40]


def _known_device(secret: bytes, kind: str, subject: str | None, token: str | None) -> bool:
    return bool(subject and token) and hmac.compare_digest(
        device_token(secret, kind, subject), token)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return access.hash_password("not-an-account-" + access.one_time_password())


def _client(limits: throttle.Limits, address: str | None) -> str:
    return limits.key("client", address or "unknown")


def open_with_code(store, limits: throttle.Limits, code: str, address: str | None,
                   device: str | None = None) -> Outcome:
    """A cadre session for a valid code. Wrong codes slow the client (and the code) down, and
    never clear the count. A phone that has used this very code before (its device cookie)
    is not held up by a guesser on the same office address."""
    normal = codes.normalize(code or "")
    keys = (_client(limits, address), limits.key("code", normal or (code or "")[:40]))
    subject = codes.pseudonym(normal, store.code_key) if normal else None
    if _known_device(store.code_key, sessions.CADRE, subject, device):
        keys = (limits.key("device", device),)
    wait = limits.codes.wait_s(*keys)
    if wait > 0:
        observability.sign_in_failed("code", "wait")
        return Outcome(reason="wait", wait_s=wait)
    try:
        respondent = store.respondent(code or "")
    except CodeError as exc:
        limits.codes.failed(*keys)
        observability.sign_in_failed("code", exc.reason)
        return Outcome(reason=exc.reason)
    token = sessions.start(store, sessions.CADRE, respondent.key, CADRE_LIFETIME_S)
    return Outcome(token=token, subject=respondent.key)


def staff_sign_in(store, limits: throttle.Limits, username: str, password: str,
                  address: str | None, device: str | None = None,
                  one_time_hours: float = ONE_TIME_HOURS) -> Outcome:
    """A staff session for the right password. Each account slows down after a few wrong
    passwords (doubling delay, never a lock-out); each client has a generous ceiling. The
    account's own browser (its device cookie) counts on its own, so a guesser who keeps the
    account slowed down does not keep its owner out."""
    username = (username or "").strip()[:80]
    # User names are unique without case (accounts.create refuses a case-only twin): a phone
    # that capitalises the first letter signs in as well.
    same = store.accounts_for_email(username) if username else []
    username = same[0].username if len(same) == 1 else username
    account_key = limits.key("user", username.lower())
    client = _client(limits, address)
    if _known_device(store.code_key, sessions.STAFF, username, device):
        account_key, client = limits.key("device", device), None
    wait = max(limits.staff.wait_s(account_key), limits.staff_client.wait_s(client))
    known = store.account(username) is not None if username else False
    # A user name that is not an account is not written down: it may be a mistyped password.
    actor = username if known else "?"
    if sso.policy(store).refuses_password(username):  # no password is even checked
        store.audit(actor, "login_refused", method=sessions.PASSWORD, reason="sso_required")
        return Outcome(reason="sso_required")
    if wait > 0:
        store.audit(actor, "login_locked")
        observability.sign_in_failed("staff", "wait")
        return Outcome(reason="wait", wait_s=wait)
    if known:
        try:
            account = store.check_login(username, password or "", one_time_hours)
        except OneTimePasswordExpired as expired:
            # The password was right: no guess to slow down, but no session either.
            store.audit(username, "login_expired")
            observability.sign_in_failed("staff", "expired")
            return Outcome(reason="expired", problem=expired)
    else:  # as slow as a real check, so timing does not tell which user names exist
        access.verify_password(_dummy_hash(), password or "")
        account = None
    if account is None:
        limits.staff.failed(account_key)
        limits.staff_client.record(client)
        store.audit(actor, "login_failed", method=sessions.PASSWORD)
        observability.sign_in_failed("staff", "failed")
        return Outcome(reason="failed")
    store.audit(account.username, "login", method=sessions.PASSWORD)
    token = sessions.start(store, sessions.STAFF, account.username, STAFF_LIFETIME_S)
    return Outcome(token=token, subject=account.username)


def sso_sign_in(store, claims: Mapping, now: float | None = None) -> Outcome:
    """A staff session for the account whose user name is the e-mail address the organisation's
    provider vouches for (compared without case), with that account's role and region, from a
    fresh ID token and once only. No local password is involved or asked for afterwards.

    `stale` (an ID token issued long ago or used before: Streamlit keeps it in a cookie for
    30 days) is nothing to tell anyone: the person signs in at the provider again. An unknown
    address leaves nothing behind but an audit entry without it."""
    proof = sso.proof(claims)
    if proof is None or not sso.fresh(claims, time.time() if now is None else now):
        return Outcome(reason="stale")
    email = sso.email(claims)
    found = store.accounts_for_email(email) if email else []
    reason = ("no_email" if not email else "unverified" if sso.unverified(claims)
              else "unknown" if not found else "ambiguous" if len(found) > 1
              else "disabled" if found[0].disabled else None)
    if reason:
        actor = found[0].username if reason == "disabled" else "?"
        store.audit(actor, "login_failed", method=sessions.SSO, reason=reason)
        return Outcome(reason=reason)
    if found[0].username == sso.policy(store).break_glass:
        # The emergency administrator is for when single sign-on fails: their own password only.
        store.audit(found[0].username, "login_refused", method=sessions.SSO, reason="break_glass",
                    subject=sso.subject(claims))
        return Outcome(reason="break_glass")
    username = found[0].username
    token = sessions.start(store, sessions.STAFF, username, STAFF_LIFETIME_S,
                           method=sessions.SSO, proof=proof)
    if token is None:
        return Outcome(reason="stale")
    store.signed_in(username)
    store.audit(username, "login", method=sessions.SSO, subject=sso.subject(claims))
    return Outcome(token=token, subject=username)


def code_refusal(reason: str, wait_s: float, lang: str) -> str:
    """What a refused code (Outcome.reason) means for the cadre, in their language."""
    from survey.i18n import t
    if reason == "wait":
        return t("code_wait", lang, seconds=max(1, round(wait_s)))
    return t(f"code_error_{reason}" if reason in ("format", "unknown", "revoked", "inactive")
             else "code_error_unknown", lang)
