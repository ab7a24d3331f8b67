"""Who may see and do what: roles, the pages each role uses, passwords (attempt limits:
survey/throttle.py).

Respondents have no account: a respondent code identifies a point and a pseudonymous
respondent, nothing else. Staff accounts have a role; a leader's view is scoped to a region.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("admin", "leader", "analyst")
ROLE_LABELS = {"admin": ("管理员", "Administrator"), "leader": ("领导", "Leader"),
               "analyst": ("分析人员", "Analyst")}
# Page id -> roles allowed; "public" pages need no account (the front page, login). The
# cadres' form is no page of these (ui/light_form.py, /f): a code opens it, not an account.
PAGES = {
    "home": {"public"},
    "clue": {"public"},
    "rate": {"public"},
    "login": {"public"},
    "trends": {"admin", "leader"},
    "warnings": {"admin", "leader"},
    "responses": {"admin", "leader"},
    "briefing": {"admin", "leader"},
    "problems": {"admin", "leader"},
    "sources": {"admin", "leader"},  # burden by body, off-plan inspections, 提示函 (docs/leaders.md)
    "sql": {"admin", "analyst"},
    "admin_points": {"admin"},
    "admin_bodies": {"admin"},  # where the burden comes from (docs/sources.md)
    "admin_plans": {"admin"},
    "admin_duties": {"admin"},
    "admin_questionnaires": {"admin"},
    "admin_history": {"admin"},  # history import (survey.interop)
    "admin_accounts": {"admin"},
    "audit": {"admin"},
    "rounds": {"admin", "leader"},
    "reviews": {"admin", "leader"},
    "reminders": {"admin"},
    "holidays": {"admin"},  # the office's holiday schedules (工作日历)
    "admin_operations": {"admin"},  # backups (docs/operations.md)
}
MIN_PASSWORD = 10
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    region: tuple[str, ...] = ()
    must_change: bool = False
    disabled: bool = False

    def may(self, page: str) -> bool:
        return may(self, page)


def may(account: Account | None, page: str) -> bool:
    allowed = PAGES[page]
    if "public" in allowed:
        return True
    return account is not None and not account.disabled and account.role in allowed


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, username: str = "") -> tuple[str, str] | None:
    """Why a new password is not acceptable (zh, en), or None."""
    if len(password) < MIN_PASSWORD:
        return (f"密码至少 {MIN_PASSWORD} 位。", f"Use at least {MIN_PASSWORD} characters.")
    if username and username.lower() in password.lower():
        return ("密码不能包含用户名。", "The password must not contain the user name.")
    if len(set(password)) < 5:
        return ("密码太简单。", "The password is too simple.")
    return None


def one_time_password() -> str:
    """Readable, random, for first login or a reset (must be changed at once)."""
    return secrets.token_urlsafe(12)
