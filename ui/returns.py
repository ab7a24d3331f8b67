"""The cadre's side of a return for correction (退回), shown above the form: which period was
returned and why, and the two answers: revise, or "the figures are right" (with a note).
Called once from app_pages/fill.py where the form of a period is shown.

While the cadre revises, the notice refreshes itself every few seconds (a fragment): the form
below submits in its own fragment, so without this the notice would still ask for a revision
that has just been sent. Only a session that is revising a returned report polls.
"""

from __future__ import annotations

import streamlit as st

from survey import fields
from survey.errors import message
from survey.form_flow import DONE
from survey.store import StoreError
from survey.store import reviews
from ui.context import escape, lang, t

REFRESH_S = 3


def notice(store, respondent, qn, period: str, flow, prefix: str) -> None:
    if st.session_state.pop(f"return_done:{prefix}", False):
        st.success(t("return_right_done"))
    waiting = _waiting(store, respondent, qn)
    if any(item["period_key"] == period for item in waiting) and _revising(flow):
        _while_revising(store, respondent, qn, period)
        waiting = [item for item in waiting if item["period_key"] != period]
    open_now = period in store.open_periods(qn) if waiting else False
    for item in waiting:
        with _box(item):
            if item["period_key"] != period:
                st.caption(t("return_other_period", period=item["period_key"]))
            elif not open_now:
                st.warning(t("return_closed"))
            else:
                st.caption(t("return_rule"))
                _actions(store, respondent, qn, period, flow, prefix)


def _revising(flow) -> bool:
    return bool(getattr(flow, "revision", False)) and getattr(flow, "step", DONE) != DONE


def _waiting(store, respondent, qn) -> list[dict]:
    try:
        return reviews.open_returns(store, respondent, qn.id)
    except StoreError:
        return []  # the form matters more than the notice; the page shows store errors itself


def _box(item: dict):
    box = st.container(border=True)
    box.markdown(f":orange[**{escape(t('return_notice', period=item['period_key']))}**]")
    box.text(item["reason"])  # the reviewer's words, as typed
    return box


@st.fragment(run_every=REFRESH_S)
def _while_revising(store, respondent, qn, period: str) -> None:
    """The reason stays in view while the form is being revised; once the revision is in,
    a thank-you instead (until the next full run, which no longer calls this)."""
    item = next((i for i in _waiting(store, respondent, qn) if i["period_key"] == period), None)
    if item is not None:
        with _box(item):
            st.caption(t("return_rule"))
    elif reviews.state(store, respondent, qn.id, period) == reviews.REVISED:
        st.success(t("return_revised_done"))


def _actions(store, respondent, qn, period, flow, prefix) -> None:
    revise, right = st.columns(2)
    if revise.button(t("return_revise"), type="primary", width="stretch",
                     key=f"return_revise:{prefix}"):
        if hasattr(flow, "revise"):
            flow.revise()
        for key in [k for k in st.session_state if str(k).startswith(prefix + ":")]:
            del st.session_state[key]  # the widgets show the flow's answers again
        st.rerun()
    note = st.text_input(t("return_right_note"), max_chars=fields.RESPONDENT_NOTE.limit,
                         key=f"return_note:{prefix}")
    if right.button(t("return_right"), width="stretch", key=f"return_right:{prefix}"):
        try:
            reviews.confirm(store, respondent, qn.id, period, note)
        except StoreError as exc:
            st.error(message(exc, lang()))
        else:
            st.session_state[f"return_done:{prefix}"] = True
            st.rerun()
