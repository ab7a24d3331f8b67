"""Return for correction (退回): the review queue (soft plausibility checks the respondent
confirmed), returning a submission with a reason, what happened to returns, and for admins the
returns per reviewer and region. A return changes no figure: only the respondent's revision."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey import answers as answer_rules
from survey import periods
from survey.errors import message
from survey.store import StoreError
from survey.store import reviews
from ui import place
from ui.auth import require
from ui.context import escape, lang, startup, t, tr

viewer = require("reviews")
store = startup().store
scope = viewer.region if viewer.role == "leader" else ()
STATE = {s: t(f"review_{s}") for s in reviews.STATES}
ACTION = {"submit": tr("提交", "Submitted"), "revise": tr("修改后提交", "Revised"),
          "return": tr("退回", "Returned"), "confirm": tr("答复数字无误", "Figures confirmed"),
          "withdraw": tr("撤销", "Withdrawn")}


def who(actor: str) -> str:
    return tr("填报人", "Respondent") if actor == reviews.RESPONDENT else actor

st.title(t("nav_reviews"))
st.info(tr("退回只请填报人核实,不会改变或隐藏任何数字;只有填报人修改后再次提交,统计才会变化。"
           "每次退回、撤销和回复都记录人员、原因和时间,并写入审计日志。",
           "A return asks the respondent to check; it changes or hides no figure. Figures change "
           "only when the respondent submits a revision. Every return, withdrawal and answer is "
           "kept with who, why and when, and audit-logged."))
questionnaires = [q for q in store.current_questionnaires() if q.audience == "cadre"]
if not questionnaires:
    st.info(t("no_questionnaire"))
    st.stop()

queue_tab, return_tab, done_tab, *admin_tab = place.tabs("reviews_tab",
    [tr("待审队列", "Review queue"), tr("退回一份填报", "Return a report"),
     tr("退回记录", "Returns")] + ([tr("按审核人统计", "By reviewer")] if viewer.role == "admin" else []))


def do_return(submission_id: str, reason: str) -> None:
    # the reason box keeps its text: a second tap sends the same return, which the store
    # records once (clearing it made a double tap arrive empty and lose the return)
    try:
        reviews.return_submission(store, submission_id, reason, viewer)
    except StoreError as exc:
        st.error(escape(message(exc, lang())))
    else:  # the records tab lists it at once; the message stays until the page is left
        place.keep("returned", tr("已退回,填报人下次打开填报页时会看到原因。",
                                  "Returned; the respondent sees the reason next time they open "
                                  "the form."), rerun=True)


with queue_tab:
    st.caption(tr("填报时系统提示“与近几个月差异较大”而填报人确认无误的填报,值得再看一眼。",
                  "Reports where the form said 'very different from recent months' and the "
                  "respondent confirmed the value: worth a second look."))
    queue = reviews.queue(store, scope)
    if queue.empty:
        st.success(tr("队列为空。", "The queue is empty."))
    else:
        st.dataframe(queue.rename(columns={
            "submission_id": tr("回执编号", "Receipt"), "point": t("col_point"),
            "county": t("col_county"), "questionnaire_id": t("questionnaire"),
            "period_key": t("period"), "question_id": tr("题目", "Question"),
            "value": tr("填报值", "Value"), "reference": tr("近月中位数", "Recent median")}).drop(
            columns=["point_id"]), hide_index=True, width="stretch", placeholder="—")

with return_tab:
    qn = st.selectbox(t("questionnaire"), questionnaires, format_func=lambda q: q.title.get(lang()))
    period = st.selectbox(t("period"), periods.recent(qn.period, dt.date.today(), 13), index=0)
    kept = reviews.kept_in_scope(store, qn.id, period, scope)
    if kept.empty:
        st.info(t("no_data"))
    else:
        labels = {row.submission_id: f"{row.point} · {row.submitted_at:%m-%d %H:%M} · "
                                     f"{tr(f'第{row.revision}版', f'rev. {row.revision}')} · {row.submission_id}"
                  for row in kept.itertuples()}
        chosen = st.selectbox(tr("填报", "Report"), list(labels), format_func=labels.get)
        answers = store.submission_answers(chosen)
        st.dataframe([{tr("题目", "Question"): q.label.get(lang()),
                       tr("答案", "Answer"): answer_rules.display(q, answers[q.id], lang())}
                      for q in qn.questions if q.id in answers],
                     hide_index=True, width="stretch", placeholder="—")
        with st.form("return"):
            reason = st.text_area(tr("退回原因(必填,填报人会看到)",
                                     "Reason (required; the respondent sees it)"),
                                  max_chars=reviews.MAX_REASON)
            if st.form_submit_button(tr("退回更正", "Return for correction"), type="primary"):
                do_return(chosen, reason)
    place.success("returned")

with done_tab:
    done = reviews.reviewed(store, scope)
    if done.empty:
        st.info(tr("还没有退回记录。", "No returns yet."))
    else:
        st.dataframe(done.assign(state=done["state"].map(STATE), actor=done["actor"].map(who))
                     .fillna("").rename(columns={
            "submission_id": tr("回执编号", "Receipt"), "point": t("col_point"),
            "county": t("col_county"), "period_key": t("period"), "revision": tr("版本", "Revision"),
            "state": tr("状态", "State"), "reason": tr("最近原因", "Latest reason"),
            "actor": tr("最近操作人", "Latest by"), "event_at": tr("时间", "When"),
            "returned_by": tr("退回人", "Returned by")})[[
            tr("回执编号", "Receipt"), t("col_point"), t("col_county"), t("period"),
            tr("状态", "State"), tr("最近原因", "Latest reason"), tr("最近操作人", "Latest by"),
            tr("时间", "When"), tr("退回人", "Returned by")]], hide_index=True, width="stretch", placeholder="—")
        chosen = st.selectbox(tr("查看历史", "History of"), list(done["submission_id"]),
                              key="history_of")
        history = reviews.history(store, chosen)
        st.dataframe(history.assign(state=history["state"].map(lambda s: STATE.get(s, "")),
                                    action=history["action"].map(ACTION),
                                    actor=history["actor"].map(who)).fillna("").rename(
            columns={"at": tr("时间", "When"), "action": tr("操作", "Action"),
                     "state": tr("之后状态", "State after"), "reason": tr("原因/说明", "Reason / note"),
                     "actor": tr("操作人", "By"), "submission_id": tr("回执编号", "Receipt")}),
            hide_index=True, width="stretch", placeholder="—")
        with st.form("withdraw", clear_on_submit=True):
            why = st.text_input(tr("撤销最近一次操作的原因(必填)",
                                   "Why the latest step is withdrawn (required)"),
                                max_chars=reviews.MAX_REASON)
            if st.form_submit_button(tr("撤销最近一次操作", "Withdraw the latest step")):
                try:
                    now_state = reviews.withdraw(store, chosen, why, viewer)
                    place.keep("withdrawn", tr("已撤销,现在状态:", "Withdrawn; the state is now: ")
                               + STATE[now_state], rerun=True)  # the history above shows it
                except StoreError as exc:
                    st.error(escape(message(exc, lang())))
        place.success("withdrawn")

if admin_tab:
    with admin_tab[0]:
        summary = reviews.by_reviewer(store)
        st.dataframe(summary.rename(columns={
            "reviewer": tr("退回人", "Reviewer"), "prefecture": t("prefecture"),
            "county": t("county"), "returns": tr("退回", "Returns"),
            "open": STATE["returned"], "revised": STATE["revised"],
            "confirmed": STATE["confirmed"], "withdrawn": tr("已撤销", "Withdrawn")}),
            hide_index=True, width="stretch", placeholder="—")
