"""The cadre's side of a return for correction (退回), shown above the form: which period was
returned and why, and the two answers: revise, or "the figures are right" (with a note).
Called once from app_pages/fill.py where the form of a period is shown."""

from __future__ import annotations

import streamlit as st

from survey.errors import message
from survey.store import StoreError
from survey.store import reviews
from ui.context import escape, lang, t


def notice(store, respondent, qn, period: str, flow, prefix: str) -> None:
    if st.session_state.pop(f"return_done:{prefix}", False):
        st.success(t("return_right_done"))
    try:
        waiting = reviews.open_returns(store, respondent, qn.id)
    except StoreError:
        return  # the form matters more than the notice; the page shows store errors itself
    if not waiting:
        return
    open_now = period in store.open_periods(qn)
    for item in waiting:
        with st.container(border=True):
            st.markdown(f":orange[**{escape(t('return_notice', period=item['period_key']))}**]")
            st.text(item["reason"])  # the reviewer's words, as typed
            if item["period_key"] != period:
                st.caption(t("return_other_period", period=item["period_key"]))
                continue
            if not open_now:
                st.warning(t("return_closed"))
                continue
            st.caption(t("return_rule"))
            _actions(store, respondent, qn, period, flow, prefix)


def _actions(store, respondent, qn, period, flow, prefix) -> None:
    revise, right = st.columns(2)
    if revise.button(t("return_revise"), type="primary", width="stretch",
                     key=f"return_revise:{prefix}"):
        if hasattr(flow, "revise"):
            flow.revise()
        for key in [k for k in st.session_state if str(k).startswith(prefix + ":")]:
            del st.session_state[key]  # the widgets show the flow's answers again
        st.rerun()
    note = st.text_input(t("return_right_note"), max_chars=500, key=f"return_note:{prefix}")
    if right.button(t("return_right"), width="stretch", key=f"return_right:{prefix}"):
        try:
            reviews.confirm(store, respondent, qn.id, period, note)
        except StoreError as exc:
            st.error(message(exc, lang()))
        else:
            st.session_state[f"return_done:{prefix}"] = True
            st.rerun()
