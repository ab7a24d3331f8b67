"""Admin: the audit log (read and filter; it cannot be edited from the app)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from ui.auth import require
from survey.i18n import audit_action
from ui.context import lang, startup, tr

viewer = require("audit")
store = startup().store
st.title(tr("审计日志", "Audit log"))
st.caption(tr("记录谁在何时做了什么:登录、管理操作、导出和下载、预警处理。应用内不能修改。",
              "Who did what and when: sign-ins, admin actions, exports and downloads, warnings "
              "handled. It cannot be edited from the app."))
a, b, c = st.columns(3)
actor = a.text_input(tr("操作人", "Who"), max_chars=80)
action = b.selectbox(tr("操作", "Action"), ["", *store.audit_actions()],
                     format_func=lambda x: audit_action(x, lang()) if x else tr("全部", "all"))
since = c.date_input(tr("起始日期", "Since"), value=dt.date.today() - dt.timedelta(days=30))
rows = [(at, who, audit_action(what, lang()), target, detail)
        for at, who, what, target, detail in store.audit_log(actor.strip() or None,
                                                             action or None, since)]
st.dataframe(pd.DataFrame(rows, columns=[tr("时间", "When"), tr("操作人", "Who"),
                                         tr("操作", "Action"), tr("对象", "Target"),
                                         tr("详情", "Detail")]),
             hide_index=True, width="stretch", placeholder="—")
