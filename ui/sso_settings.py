"""Admin control: whether staff must sign in with their organisation's account (survey/sso.py),
and which administrator keeps a local password for emergencies."""

from __future__ import annotations

import streamlit as st

from survey import sso
from survey.errors import message
from survey.store import StoreError
from ui import auth
from ui.context import lang, startup, tr


def sso_settings(viewer) -> None:
    store = startup().store
    st.subheader(tr("单位账号登录", "Signing in with the organisation account"))
    configured = auth.sso_configured()
    if configured:
        st.caption(tr("已配置单位身份平台。用户名为本人单位邮箱的账号可以用单位账号登录,角色和范围不变。",
                      "The organisation's sign-in is configured. An account whose user name is "
                      "its owner's organisation e-mail address can sign in with it, with the "
                      "same role and region."))
    else:
        st.caption(tr("尚未配置:在 `.streamlit/secrets.toml` 中加入 `[auth]` 并重启后才能使用"
                      "(`docs/access.md`)。",
                      "Not configured: add the `[auth]` block to `.streamlit/secrets.toml` and "
                      "restart first (`docs/access.md`)."))
    current = sso.policy(store)
    admins = [a.username for a in store.accounts() if a.role == "admin" and not a.disabled]
    chosen = current.break_glass if current.break_glass in admins else viewer.username
    with st.form("sso_policy"):
        required = st.checkbox(tr("要求工作人员使用单位账号登录(本平台密码停用)",
                                  "Staff must sign in with their organisation account "
                                  "(passwords of this platform are switched off)"),
                               value=current.required,
                               disabled=not configured and not current.required)
        break_glass = st.selectbox(
            tr("应急管理员(仍可用本平台密码登录)",
               "Emergency administrator (keeps a password of this platform)"),
            admins, index=admins.index(chosen) if chosen in admins else 0)
        st.caption(tr("应急管理员的密码可在服务器上重置:`python -m survey admin reset-password 用户名`。"
                      "保存后,其他用密码登录的人在下一次操作时退出,需改用单位账号登录。",
                      "The emergency administrator's password can be reset on the server: "
                      "`python -m survey admin reset-password NAME`. Once saved, everyone else "
                      "signed in with a password is signed out at their next step and signs in "
                      "with their organisation account."))
        if st.form_submit_button(tr("保存", "Save")):
            try:
                sso.set_policy(store, required, break_glass, viewer.username, configured)
                st.success(tr("已保存。", "Saved."))
            except StoreError as exc:
                st.error(message(exc, lang()))
