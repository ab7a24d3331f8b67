"""Staff accounts: roles, regions, argon2 password hashes (never shown to anyone), sign-in checks."""

from __future__ import annotations

from survey import fields
from survey.store.engine import StoreError, refuse
from survey.store.model import _now

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
        if cur.execute("SELECT 1 FROM account WHERE username = ?", [username]).fetchone():
            raise StoreError(f"the user name '{username}' is taken",
                             f"用户名“{username}”已被使用,请换一个。")
        cur.execute("INSERT INTO account VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
                    [username, display_name or username, role, list(region or ()),
                     hash_password(password), must_change, _now()])
        store._audit(cur, actor, "create_account", username,
                    {"role": role, "region": list(region or ())})
    store._write(work)


def accounts(store) -> list:
    from survey.access import Account
    return [Account(u, d, r, tuple(g or ()), m, x)
            for u, d, r, g, m, x in store._rows(_ACCOUNT_SQL + " ORDER BY username")]


def account(store, username: str):
    from survey.access import Account
    row = store._one(_ACCOUNT_SQL + " WHERE username = ?", [username])
    return Account(row[0], row[1], row[2], tuple(row[3] or ()), row[4], row[5]) if row else None


def has_admin(store) -> bool:
    return store._one("SELECT count(*) FROM account WHERE role = 'admin' AND disabled_at "
                     "IS NULL")[0] > 0


def check_login(store, username: str, password: str):
    """The account if the password is right and the account is enabled, else None
    (the caller audit-logs and rate-limits)."""
    from survey.access import verify_password
    row = store._one("SELECT password_hash, disabled_at FROM account WHERE username = ?",
                    [username])
    if row is None or row[1] is not None or not verify_password(row[0], password):
        return None
    store._write(lambda cur: cur.execute("UPDATE account SET last_login_at = ? WHERE "
                                        "username = ?", [_now(), username]))
    return store.account(username)


def set_password(store, username: str, password: str, actor: str, must_change: bool) -> None:
    from survey.access import hash_password, password_problem
    if problem := password_problem(password, username):
        zh, en = problem
        raise StoreError(en, zh)
    store._write(lambda cur: (cur.execute(
        "UPDATE account SET password_hash = ?, must_change = ? WHERE username = ?",
        [hash_password(password), must_change, username]),
        store._end_staff_sessions(cur, username, "password"),
        store._audit(cur, actor, "reset_password" if must_change else "change_password",
                    username, {})))


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
