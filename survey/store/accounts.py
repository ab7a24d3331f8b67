"""Staff accounts: roles, regions, argon2 password hashes (never shown to anyone), sign-in checks,
and one-time passwords that expire (table password_set, migration 015)."""

from __future__ import annotations

import datetime as dt

from survey import fields
from survey.store.engine import StoreError, refuse
from survey.store.model import _now

ONE_TIME_HOURS = 72.0  # default validity of a one-time password (SURVEY_ONE_TIME_HOURS)
# An account with no password_set row got its password before migration 015: its one-time
# password counts from when that migration ran.
_PASSWORD_SET_MIGRATION = 15


def hours_en(hours: float) -> str:
    return f"{hours:g} hour" + ("" if hours == 1 else "s")


class OneTimePasswordExpired(StoreError):
    """The right one-time password, too late: the account needs a new one."""

    def __init__(self, username: str, hours: float):
        super().__init__(
            f"The one-time password of '{username}' has expired (one-time passwords are valid "
            f"for {hours_en(hours)}). Ask an administrator to reset your password (Accounts "
            f"page), or on the server run: python -m survey admin reset-password {username}",
            f"“{username}”的一次性密码已过期(一次性密码 {hours:g} 小时内有效)。请管理员在"
            f"“账号”页面重置密码,或在服务器上运行:python -m survey admin reset-password "
            f"{username}")
        self.username = username

_ACCOUNT_SQL = ("SELECT username, display_name, role, region, must_change, "
                "disabled_at IS NOT NULL FROM account")


def create_account(store, username: str, display_name: str, role: str, region, password: str,
                   actor: str, must_change: bool = True) -> None:
    from survey.access import ROLES, hash_password
    if role not in ROLES:
        raise StoreError(f"unknown role '{role}'; use one of {', '.join(ROLES)}",
                         f"没有“{role}”这个角色,请选择:{'、'.join(ROLES)}")
    if not username.strip():
        raise StoreError("a user name is required", "请填写用户名。")
    refuse(fields.USERNAME.problem(username), fields.DISPLAY_NAME.problem(display_name or ""),
           fields.region_problem(region, required=False))

    def work(cur):
        # Without case: single sign-on finds an account by e-mail, whatever its case.
        taken = cur.execute("SELECT username FROM account WHERE lower(username) = lower(?)",
                            [username]).fetchone()
        if taken:
            raise StoreError(f"the user name '{taken[0]}' is taken",
                             f"用户名“{taken[0]}”已被使用,请换一个。")
        now = _now()
        cur.execute("INSERT INTO account VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
                    [username, display_name or username, role, list(region or ()),
                     hash_password(password), must_change, now])
        _password_set(cur, username, now)
        store._audit(cur, actor, "create_account", username,
                    {"role": role, "region": list(region or ())})
    store._write(work)


def _account(row):
    from survey.access import Account
    username, display_name, role, region, must_change, disabled = row
    return Account(username, display_name, role, tuple(region or ()), must_change, disabled)


def accounts(store) -> list:
    return [_account(row) for row in store._rows(_ACCOUNT_SQL + " ORDER BY username")]


def account(store, username: str):
    row = store._one(_ACCOUNT_SQL + " WHERE username = ?", [username])
    return _account(row) if row else None


def accounts_for_email(store, email: str) -> list:
    """The accounts whose user name is this e-mail address, compared without case (single
    sign-on); more than one only if they were created before names were compared so."""
    return [_account(row) for row in store._rows(
        _ACCOUNT_SQL + " WHERE lower(username) = lower(?) ORDER BY username", [email.strip()])]


def signed_in(store, username: str) -> None:
    """Note a sign-in that did not go through check_login (single sign-on)."""
    store._write(lambda cur: cur.execute("UPDATE account SET last_login_at = ? WHERE "
                                        "username = ?", [_now(), username]))


def has_admin(store) -> bool:
    return store._one("SELECT count(*) FROM account WHERE role = 'admin' AND disabled_at "
                     "IS NULL")[0] > 0


def check_login(store, username: str, password: str,
                one_time_hours: float | None = ONE_TIME_HOURS):
    """The account if the password is right and the account is enabled, else None
    (the caller audit-logs and rate-limits). A right one-time password set more than
    `one_time_hours` ago raises OneTimePasswordExpired (None: it never expires)."""
    from survey.access import verify_password
    row = store._one("SELECT password_hash, disabled_at FROM account WHERE username = ?",
                     [username])
    if row is None or row[1] is not None or not verify_password(row[0], password):
        return None
    expires = one_time_expires_at(store, username, one_time_hours) \
        if one_time_hours is not None else None
    if expires is not None and _now() > expires:
        raise OneTimePasswordExpired(username, one_time_hours)
    store._write(lambda cur: cur.execute("UPDATE account SET last_login_at = ? WHERE "
                                        "username = ?", [_now(), username]))
    return store.account(username)


def one_time_expires_at(store, username: str, hours: float = ONE_TIME_HOURS):
    """When the account's one-time password stops working, or None when it has none."""
    row = store._one("SELECT a.must_change, coalesce(p.set_at, (SELECT applied_at FROM "
                     "schema_migrations WHERE version = ?)) FROM account a LEFT JOIN "
                     "password_set p USING (username) WHERE a.username = ?",
                     [_PASSWORD_SET_MIGRATION, username])
    if row is None or not row[0] or row[1] is None:
        return None
    return row[1] + dt.timedelta(hours=hours)


def set_password(store, username: str, password: str, actor: str, must_change: bool) -> None:
    from survey.access import hash_password, password_problem
    if problem := password_problem(password, username):
        zh, en = problem
        raise StoreError(en, zh)
    store._write(lambda cur: (cur.execute(
        "UPDATE account SET password_hash = ?, must_change = ? WHERE username = ?",
        [hash_password(password), must_change, username]),
        _password_set(cur, username, _now()),
        store._end_staff_sessions(cur, username, "password"),
        store._audit(cur, actor, "reset_password" if must_change else "change_password",
                    username, {})))


def _password_set(cur, username: str, when: dt.datetime) -> None:
    """A new password (one-time or own) starts its clock."""
    cur.execute("INSERT INTO password_set VALUES (?, ?) ON CONFLICT (username) DO UPDATE SET "
                "set_at = excluded.set_at", [username, when])


def _end_staff_sessions(cur, username: str, why: str) -> None:
    """A new password or a disabled account ends every session of it, on every server."""
    cur.execute("UPDATE web_session SET ended_at = ?, ended_why = ? WHERE kind = 'staff' "
                "AND subject = ? AND ended_at IS NULL", [_now(), why, username])


def update_account(store, username: str, actor: str, role: str | None = None,
                   region=None, display_name: str | None = None,
                   disabled: bool | None = None) -> None:
    from survey.access import ROLES
    if role is not None and role not in ROLES:
        raise StoreError(f"unknown role '{role}'", f"没有“{role}”这个角色。")
    if username == actor and (disabled or (role is not None and role != "admin")):
        raise StoreError("you cannot disable or demote yourself", "不能停用或降级自己的账号。")
    refuse(None if display_name is None else fields.DISPLAY_NAME.problem(display_name),
           None if region is None else fields.region_problem(region, required=False))

    def work(cur):
        if role is not None:
            cur.execute("UPDATE account SET role = ? WHERE username = ?", [role, username])
        if region is not None:
            cur.execute("UPDATE account SET region = ? WHERE username = ?",
                        [list(region), username])
        if display_name is not None:
            cur.execute("UPDATE account SET display_name = ? WHERE username = ?",
                        [display_name, username])
        if disabled is not None:
            cur.execute("UPDATE account SET disabled_at = ? WHERE username = ?",
                        [_now() if disabled else None, username])
            if disabled:
                store._end_staff_sessions(cur, username, "disabled")
        store._audit(cur, actor, "update_account", username,
                    {"role": role, "region": None if region is None else list(region),
                     "disabled": disabled})
    store._write(work)
