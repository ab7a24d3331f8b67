"""Admin: staff accounts (create, role and region, disable, reset password), and whether staff
must sign in with their organisation account."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from survey import access, fields
from survey.errors import message
from survey.store import StoreError, analytics
from ui import place
from ui.auth import require, sso_configured
from ui.context import escape, lang, startup, tr
from ui.sso_settings import sso_settings

viewer = require("admin_accounts")
store = startup().store
st.title(tr("账号", "Accounts"))
accounts = store.accounts()
hours = startup().config.one_time_hours
role_name = lambda r: access.ROLE_LABELS[r][1 if lang() == "en" else 0]  # noqa: E731


def status(a) -> str:
    if a.disabled:
        return tr("已停用", "disabled")
    if not a.must_change:
        return tr("正常", "active")
    expires = store.one_time_expires_at(a.username, hours)
    if expires is not None and expires < dt.datetime.now():
        return tr("一次性密码已过期,请重置密码", "one-time password expired: reset the password")
    return tr("待改密码", "must change password")


st.dataframe(pd.DataFrame([{
    tr("用户名", "User"): a.username, tr("姓名", "Name"): a.display_name,
    tr("角色", "Role"): role_name(a.role), tr("范围", "Scope"): "/".join(a.region) or tr("全部", "all"),
    tr("状态", "Status"): status(a)} for a in accounts]), hide_index=True, width="stretch")

regions = [""]
for pref, counties in analytics.regions(store).items():
    regions.append(pref)
    regions += [f"{pref}/{county}" for county in counties]

create, edit = place.tabs("admin_accounts_tab", [tr("新建", "Create"), tr("修改", "Change")])


def show_password(where: str) -> None:
    """A new one-time password stays in view, whatever reruns the page, until the admin
    hides it or leaves the page."""
    kept = place.kept("password")
    if kept and kept["where"] == where:
        st.success(tr(f"{escape(kept['username'])} 的一次性密码(只显示这一次,{hours:g} 小时内有效):",
                      f"One-time password for {escape(kept['username'])} (shown only now, "
                      f"valid for {hours:g} hours):"))
        st.code(kept["password"], language=None)
        if sso_configured():
            st.caption(tr("以单位账号登录的人不需要这个密码;它只用于本平台的密码登录。",
                          "Whoever signs in with their organisation account does not need this "
                          "password; it is only for signing in with a password of this platform."))
        place.dismiss_button("password", tr("已转交,不再显示", "Passed on; hide it"))


with create:
    # A new form (empty fields) after each account created; on a refusal the typed values stay.
    created = st.session_state.setdefault("accounts_created", 0)
    with st.form(f"create_account:{created}"):
        username = st.text_input(tr("用户名", "User name"), max_chars=fields.USERNAME.limit)
        name = st.text_input(tr("姓名或职务", "Name or post"), max_chars=fields.DISPLAY_NAME.limit)
        role = st.selectbox(tr("角色", "Role"), access.ROLES, format_func=role_name)
        region = st.selectbox(tr("范围(领导)", "Scope (leaders)"), regions,
                              format_func=lambda r: r or tr("全部", "everything"))
        if st.form_submit_button(tr("创建", "Create"), type="primary"):
            password = access.one_time_password()
            try:
                store.create_account(username.strip(), name.strip(), role,
                                     [x for x in region.split("/") if x], password, viewer.username)
                st.session_state["accounts_created"] = created + 1
                place.keep("password", {"where": "create", "username": username.strip(),
                                        "password": password}, rerun=True)  # listed above
            except StoreError as exc:
                st.error(escape(message(exc, lang())))
    show_password("create")
with edit:
    who = st.selectbox(tr("账号", "Account"), [a.username for a in accounts])
    target = store.account(who) if who else None
    if target:
        with st.form("edit_account"):
            role = st.selectbox(tr("角色", "Role"), access.ROLES, format_func=role_name,
                                index=access.ROLES.index(target.role))
            scope = "/".join(target.region)
            region = st.selectbox(tr("范围", "Scope"), regions if scope in regions else [scope, *regions],
                                  index=(regions if scope in regions else [scope, *regions]).index(scope),
                                  format_func=lambda r: r or tr("全部", "everything"))
            disabled = st.checkbox(tr("停用此账号", "Disable this account"), value=target.disabled)
            if st.form_submit_button(tr("保存", "Save")):
                try:  # the store refuses disabling or demoting oneself, and says so
                    store.update_account(target.username, viewer.username, role=role,
                                         region=[x for x in region.split("/") if x],
                                         disabled=disabled)
                    place.keep("saved", target.username, rerun=True)
                except StoreError as exc:
                    st.error(escape(message(exc, lang())))
        if place.kept("saved") == target.username:
            st.success(tr(f"已保存:{escape(target.username)}。", f"Saved: {escape(target.username)}."))
        # two steps: a reset ends the person's current password at once
        sure = st.checkbox(tr(f"确认重置 {escape(target.username)} 的密码(其现有密码立即失效)",
                              f"Yes, reset {escape(target.username)}'s password (the current "
                              "one stops working at once)"), key=f"reset_sure:{target.username}")
        if st.button(tr("重置密码", "Reset password"), disabled=not sure):
            password = access.one_time_password()
            store.set_password(target.username, password, viewer.username, must_change=True)
            place.keep("password", {"where": "reset", "username": target.username,
                                    "password": password}, rerun=True)  # listed: must change
        show_password("reset")
sso_settings(viewer)
