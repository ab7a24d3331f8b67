"""Report a formalism problem anonymously (线索), and follow it with the receipt code."""

from __future__ import annotations

import streamlit as st

from survey import clue_rules as rules
from survey import fields
from survey.errors import message
from survey.store import StoreError
from survey.store import clues
from ui import auth, place
from ui.context import escape, lang, startup, tr

store = startup().store
st.title(tr("反映形式主义问题", "Report a formalism problem"))
report_tab, status_tab = place.tabs("clue_tab", [tr("反映问题", "Report"),
                                                 tr("查询进度", "Follow up")])


with report_tab:
    respondent = auth.cadre()  # a cadre whose code opened the form reports for their point
    point = respondent.point if respondent else None
    via = "code"
    if point is None and (pid := st.query_params.get("point")):
        point, via = store.point(pid), "public"
    if point is None or not point.active:
        st.info(tr("请先在“填报”页输入填报码,或扫描监测点的二维码后再反映问题。",
                   "Enter your respondent code on the Fill in page first, or open this page "
                   "from a point's QR code."))
    elif receipt := st.session_state.get("clue_receipt"):
        st.success(tr("已收到,谢谢!请保存回执码,用它查询处理进度:",
                      "Received, thank you. Keep this receipt code to follow it up:"))
        st.code(receipt, language=None)
        if st.button(tr("再反映一个问题", "Report another problem")):
            del st.session_state["clue_receipt"]
            st.rerun()
    else:
        st.caption(tr(f"监测点:{escape(point.name)}。匿名反映,不记录姓名、电话或设备信息;请勿在描述中写姓名。",
                      f"Point: {escape(point.name)}. Anonymous: no name, phone or device is recorded; "
                      "please do not name people in the description."))
        months = fields.clue_months()  # what the store accepts
        with st.form("clue", border=False):
            category = st.selectbox(tr("问题类型", "Kind of problem"), list(rules.CATEGORIES),
                                    format_func=lambda c: rules.label(rules.CATEGORIES, c, lang()))
            level = st.selectbox(tr("造成问题的单位层级", "Level of the body that caused it"),
                                 list(rules.BODY_LEVELS), index=2,
                                 format_func=lambda c: rules.label(rules.BODY_LEVELS, c, lang()))
            # the limits are said up front: a longer paste is not taken by the browser at all
            body = st.text_input(tr(f"单位名称(最多 {rules.MAX_BODY_NAME} 字)",
                                    f"Name of the body (at most {rules.MAX_BODY_NAME} characters)"),
                                 max_chars=rules.MAX_BODY_NAME,
                                 placeholder=tr("例如:县农业农村局", "e.g. county agriculture bureau"))
            when = st.selectbox(tr("发生时间", "When"), months)
            text = st.text_area(tr("具体情况", "What happened"), max_chars=rules.MAX_DESCRIPTION,
                                height=150)
            if st.form_submit_button(tr("提交", "Submit"), type="primary",
                                     width="stretch"):
                client = auth.limits().key("client", auth.address() or "unknown")
                if auth.limits().reports.wait_s(client) > 0:
                    st.warning(tr("短时间内提交较多,请稍后再试。", "Many reports in a short time; "
                                  "please try again later."))
                else:
                    try:
                        receipt = clues.report(store, point.point_id, via, category, level,
                                               body, when, text)
                        auth.limits().reports.record(client)
                        st.session_state["clue_receipt"] = receipt
                        st.rerun()
                    except StoreError as exc:
                        st.error(escape(message(exc, lang())))  # what was typed stays in the form

with status_tab:
    code = st.text_input(tr("回执码", "Receipt code"), max_chars=20,
                         placeholder="XS-XXXX-XXXX")
    client = auth.limits().key("client", auth.address() or "unknown")
    wait = auth.limits().receipts.wait_s(client) if code.strip() else 0
    found = clues.status(store, code) if code.strip() and wait == 0 else None
    if wait > 0:
        st.warning(tr(f"回执码多次输入有误,请 {round(wait)} 秒后再试。",
                      f"Several unknown receipt codes were tried; try again in {round(wait)} s."))
    elif code.strip():
        if found is None:
            if st.session_state.get("receipt_failed") != code:  # reruns don't count again
                auth.limits().receipts.failed(client)
                st.session_state["receipt_failed"] = code
            st.error(tr("没有找到这个回执码,请检查。", "No report has this receipt code."))
        else:
            state = rules.label(rules.STATUSES, found["status"], lang())
            st.success(tr(f"当前状态:{state}", f"Status: {state}"))
            st.caption(tr(f"同一问题共有 {found['voices']} 条反映。",
                          f"{found['voices']} report(s) about the same problem."))
            st.text(f"{found['reported_at']:%Y-%m-%d}  " + tr("收到反映", "reported"))
            for at, status in found["steps"]:
                st.text(f"{at:%Y-%m-%d}  {rules.label(rules.STATUSES, status, lang())}")
