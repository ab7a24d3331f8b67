"""Single sign-on with the organisation's OpenID Connect provider (统一身份认证): the core side.

Streamlit's st.login does the protocol (Authlib: authorization code with PKCE, state, nonce,
the ID token's signature, issuer and audience) and leaves the ID token's claims in st.user,
kept for 30 days in a signed cookie. What they open here is decided by survey.signin.sso_sign_in:
the account whose user name is the provider's e-mail address, compared without case, and only
for a fresh ID token, once (see `proof`), so that the app's own session rules (idle timeout,
sign-out, a disabled account) are not undone by Streamlit's long-lived cookie.

An office may require single sign-on for staff (Policy): local passwords are then refused,
except for one administrator kept for emergencies (the break-glass account), whose password
`python -m survey admin reset-password NAME` can always reset on the server.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from survey.store import StoreError
from survey.store import settings

# An ID token opens a session within this many seconds of being issued (the browser comes
# straight back from the provider; the allowance is for clocks that differ).
FRESH_S = 300


@dataclass(frozen=True)
class Policy:
    required: bool = False          # staff must sign in by their organisation
    break_glass: str | None = None  # ... except this administrator, with a local password

    def refuses_password(self, username: str) -> bool:
        return self.required and username != self.break_glass


def policy(store) -> Policy:
    return Policy(settings.setting(store, settings.SSO_REQUIRED) == "1",
                  settings.setting(store, settings.SSO_BREAK_GLASS) or None)


def set_policy(store, required: bool, break_glass: str | None, actor: str,
               provider_configured: bool) -> Policy:
    """Require single sign-on for staff (or not), audit-logged. Requiring it needs a provider
    and an enabled administrator account as the break-glass account, so nobody is locked out."""
    if required and not provider_configured:
        raise StoreError(
            "single sign-on is not configured: add the [auth] block to .streamlit/secrets.toml "
            "and restart the app first (docs/access.md, 'Single sign-on')",
            "尚未配置单位账号登录:请先在 .streamlit/secrets.toml 中加入 [auth] 配置并重启应用"
            "(见 docs/access.md“单点登录”)。")
    if required:
        account = store.account(break_glass or "")
        if account is None or account.role != "admin" or account.disabled:
            raise StoreError(
                f"the emergency account must be an enabled administrator account; "
                f"'{break_glass or ''}' is not",
                f"应急账号必须是未停用的管理员账号,“{break_glass or ''}”不是。")
    chosen = Policy(required, break_glass if required else None)
    settings.save_settings(store, {settings.SSO_REQUIRED: "1" if required else "0",
                                   settings.SSO_BREAK_GLASS: chosen.break_glass or ""}, actor)
    return chosen


# An address: one "@", something before it, a dotted domain after it, no spaces. A claim that
# is not one (a staff number, "admin") must never be matched against user names.
_ADDRESS = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


def email(claims: Mapping) -> str:
    """The provider's e-mail claim when it is an e-mail address, else ""."""
    value = claims.get("email")
    value = value.strip()[:200] if isinstance(value, str) else ""
    return value if _ADDRESS.fullmatch(value) else ""


def subject(claims: Mapping) -> str:
    """Who the provider says signed in (issuer and subject), for the audit log."""
    return f"{claims.get('iss', '')}#{claims.get('sub', '')}"[:300]


def unverified(claims: Mapping) -> bool:
    """The provider says the address is not verified (a provider that says nothing about it
    is trusted to give only its own users' addresses)."""
    return claims.get("email_verified") in (False, "false")


def proof(claims: Mapping) -> str | None:
    """What identifies one sign-in at the provider (its ID token): issuer, subject, nonce and
    time of issue. None without a time of issue."""
    if not isinstance(claims.get("iat"), (int, float)):
        return None
    parts = [str(claims.get(name, "")) for name in ("iss", "sub", "nonce", "iat")]
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def fresh(claims: Mapping, now: float) -> bool:
    issued = claims.get("iat")
    return isinstance(issued, (int, float)) and abs(now - issued) <= FRESH_S
