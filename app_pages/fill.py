"""The cadres' fill page: code -> questionnaire and period -> the form -> receipt.

The form's state and rules live in survey.form_flow (FormFlow); this page draws it and passes
taps and edits to it. The form runs as a fragment: a tap reruns the form, not the whole page.
"""

from __future__ import annotations

import time

import streamlit as st
from streamlit.errors import StreamlitAPIException

from survey import answers as rules
from survey import form_flow, form_text, periods
from survey.form_flow import CONFIRM, DONE, KEEP_REST, NOTHING_CHANGED, SUBMITTED_ELSEWHERE
from survey.errors import message
from survey.store import PeriodClosed, StoreError
from ui import auth, code_entry, returns, unsaved_guard, widgets
from ui.context import escape, lang, startup, t

store = startup().store


# -- the respondent (a cadre session: QR link or typed code, see ui/code_entry.py) ------------
def ui_code_entry():
    """The signed-in respondent, or None after drawing the code screen."""
    respondent = auth.cadre()
    if respondent is None:
        code_entry.code_screen()
    return respondent


# -- the form --------------------------------------------------------------------------------
def rerun_form() -> None:
    """Rerun the form alone after a tap (the page above it stays as it is); a full run when
    the tap arrived in one (a fragment-only rerun is allowed only from a fragment rerun)."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()


def answer_callback(flow, prefix: str, key: str):
    """A field's change goes to the flow (see widgets.FormFields for which changes count).

    A tap that reaches the server before the browser has drawn the last run's screen carries
    the fields of the screen before it (the browser re-sends every field it holds). Those are
    taken: they hold what the browser showed, the answer or what the cadre typed there last.
    A field drawn before an action replaced the answers on screen (one-step keep, revise)
    counts only with a value typed there since: its re-sent value would undo the action.
    (Until issue 19 a change from another screen was ignored, and a field drawn while the
    browser lacked it was mounted empty, then taken as emptied.)"""
    drawn_in = widgets.generation(prefix)

    def changed(qid: str, value) -> None:
        new = widgets.typed(prefix, key, value)
        if widgets.generation(prefix) != drawn_in:
            if not new:
                return
            widgets.send_again(prefix, qid)  # typed after the action: the cadre's latest
        if flow.set_answer(qid, value):  # implied answers dropped: show the questions empty
            widgets.new_fields_after_callbacks(prefix)
    return changed


def notice_text(flow) -> str:
    return form_text.notice(flow, lang(), escape)


def section_step(flow, prefix: str, fields) -> None:
    section = flow.current
    answered, asked = flow.progress()
    st.progress(answered / asked if asked else 1.0,
                text=f"{t('section_of', i=flow.section + 1, n=len(flow.qn.sections))} · "
                     f"{t('answered_of', a=answered, n=asked)}")
    if flow.notice:
        st.info(notice_text(flow))
    offer = flow.offer()
    if offer and st.button(t(offer), type="primary" if offer == NOTHING_CHANGED else "secondary",
                           width="stretch", key=f"keep:{prefix}",
                           help=t("nothing_changed_help") if offer == NOTHING_CHANGED else
                           t("keep_rest_help") if offer == KEEP_REST else None):
        flow.keep_last_period()
        widgets.new_fields(prefix)
        rerun_form()
    st.subheader(escape(section.title.get(lang())))
    for q in flow.shown_questions():
        key, fresh = fields.draw(q.id, flow.answers.get(q.id))
        other = flow.answers.get(rules.other_key(q.id))
        # the 其他(请注明) box is a field of its own (drawn only while 其他 is picked)
        other_fresh = bool(q.other) and rules.other_chosen(q, flow.answers.get(q.id)) \
            and fields.draw(rules.other_key(q.id), other)[1]
        widgets.question(q, key, flow.answers.get(q.id), lang(), (t("yes"), t("no")),
                         t("choose"), on_change=answer_callback(flow, prefix, key), fresh=fresh,
                         other=other, other_fresh=other_fresh,
                         other_change=answer_callback(flow, prefix, key + rules.OTHER_SUFFIX))
        if q.hint:
            st.caption(escape(q.hint.get(lang())))
        if flow.is_carried(q.id):
            st.caption(f"↺ {t('carried_marker')} ({flow.carried_from})")
        message = flow.message(q.id)
        check = None if message else flow.soft_check(q.id)
        if message:
            st.error(escape(message.get(lang())), icon=":material/warning:")
        elif check:
            st.warning(escape(check.message(q).get(lang())), icon=":material/help:")
            if st.button(t("soft_confirm"), key=f"soft:{prefix}:{q.id}"):
                flow.confirm(q.id)
                rerun_form()
    back, forward = st.columns(2)
    if flow.section > 0 and back.button(t("back"), width="stretch", key=f"back:{prefix}"):
        flow.back()
        rerun_form()
    if forward.button(t("review") if flow.leads_to_confirm() else t("next"), type="primary",
                      width="stretch", key=f"next:{prefix}"):
        flow.next()
        rerun_form()


def store_then_rerun(action) -> None:
    """Submit or save; a refusal is said on the page (the answers stay), success reruns."""
    try:
        action()
    except PeriodClosed:
        st.error(t("period_closed"))
    except StoreError as exc:
        st.error(t("save_failed", error=message(exc, lang())))
    else:
        rerun_form()


def confirm_step(respondent, flow, prefix: str) -> None:
    """One line about what will be submitted and the submit button, visible without scrolling;
    every answer one tap away in the expander."""
    st.subheader(t("confirm_title"))
    if flow.notice:
        st.info(notice_text(flow))
    st.markdown(escape(form_text.summary_line(flow, lang())))
    if st.button(t("submit"), type="primary", width="stretch", key=f"submit:{prefix}"):
        store_then_rerun(lambda: form_flow.submit(store, respondent, flow))
    if st.button(t("back"), width="stretch", key=f"back:{prefix}"):
        flow.back()
        rerun_form()
    with st.expander(t("show_all_answers")):
        shown = flow.visible()
        for i, section in enumerate(flow.qn.sections):
            st.markdown(f"**{escape(section.title.get(lang()))}**")
            for q in section.questions:
                if shown[q.id]:
                    st.caption(escape(q.label.get(lang())))
                    # typed text is shown as typed: no markdown, no HTML
                    st.text(rules.display(q, flow.answers.get(q.id), lang(),
                                          rules.other_text(q, flow.answers)) or t("not_asked"))
            if st.button(t("edit_section"), key=f"edit:{prefix}:{section.id}"):
                flow.edit(i)
                rerun_form()


def receipt_step(flow, prefix: str, open_now: bool) -> None:
    r = flow.receipt
    st.success(t("submitted"))
    st.markdown(t("receipt" if r.revision > 1 else "receipt_first", id=f"`{r.submission_id}`", at=r.submitted_at.strftime("%Y-%m-%d %H:%M"),
                  period=periods.label(flow.qn.period, r.period_key, lang()), rev=r.revision))
    if not open_now:
        st.info(t("period_closed"))
        return
    st.caption(t("revise_until"))
    if st.button(t("revise"), key=f"revise:{prefix}"):
        flow.revise()
        widgets.new_fields(prefix)
        rerun_form()


def to_top_on_a_new_step(flow, prefix: str) -> None:
    """A new section, the confirmation or the receipt starts at the top of the screen, as a new
    page would (a fragment rerun keeps the scroll position of the last one)."""
    where = (flow.step, flow.section)
    seen = st.session_state.get(f"where|{prefix}")
    st.session_state[f"where|{prefix}"] = where
    # st.html (not iframed; st.components.v1.html is deprecated): the comment makes each
    # step's script new, so it runs once per step. Drawn on every run (a no-op but on a new
    # step): drawn only then, it moved the form down one gap for that run.
    scroll = "document.querySelector('[data-testid=stMain]')?.scrollTo(0, 0); " \
        "window.scrollTo(0, 0);" if seen is not None and seen != where else ""
    st.html(f"<script>/* {where} */ {scroll}</script>", unsafe_allow_javascript=True)


def elsewhere_step(respondent, flow, prefix: str) -> None:
    """Another tab or device submitted this period or saved a newer draft since this form
    opened: say so and let the cadre take the newer answers or keep this page's."""
    other = flow.elsewhere
    at = other.at.strftime("%Y-%m-%d %H:%M")
    submitted = other.kind == SUBMITTED_ELSEWHERE
    st.warning(t("submitted_elsewhere", rev=other.revision, at=at) if submitted else
               t("draft_elsewhere", at=at), icon=":material/devices:")
    newer, mine = st.columns(2)
    if newer.button(t("see_newer") if submitted else t("load_newer_draft"), width="stretch",
                    key=f"newer:{prefix}"):
        st.session_state["forms"][prefix] = form_flow.open_form(store, respondent, flow.qn,
                                                                flow.period)
        widgets.new_fields(prefix)
        rerun_form()
    if mine.button(t("submit_as_revision") if submitted else t("keep_this_page"),
                   width="stretch", key=f"mine:{prefix}"):
        keep = form_flow.submit if submitted else form_flow.save
        store_then_rerun(lambda: keep(store, respondent, flow, overwrite=True))


DRAFT_RETRY_S = 5
# The draft notice stays in view (under Streamlit's header) while the cadre scrolls the form.
# (Sticky on the wrapper Streamlit puts around the container: the container fills it exactly.)
STICKY_NOTICE = ("<style>[data-testid=stLayoutWrapper]:has(> .st-key-draft_notice) "
                 "{position: sticky; top: 3.75rem; z-index: 10;}</style>")


def keep_draft(respondent, flow, prefix: str) -> None:
    """Save the draft; when the server cannot take it, say so in view and try again."""
    told = flow.elsewhere
    try:
        form_flow.save(store, respondent, flow)
    except StoreError as exc:
        st.session_state[f"draft_error|{prefix}"] = exc
        draft_not_saved(respondent, prefix, time.monotonic())
    if flow.elsewhere and not told:
        rerun_form()  # another tab saved a newer draft: ask at the top now


@st.fragment(run_every=DRAFT_RETRY_S)
def draft_not_saved(respondent, prefix: str, failed_at: float) -> None:
    """The notice that the draft is not on the server yet, which tries again by itself every
    few seconds and goes once the draft is saved: the cadre need not tap anything when the
    database is back, and may then close the page. (Drawn only while a save failed: the
    form's next run leaves it out once a save succeeds, and its timer stops.)"""
    flow = st.session_state["forms"][prefix]
    if time.monotonic() - failed_at > DRAFT_RETRY_S / 2:  # a timed run, not the form's own
        try:
            form_flow.save(store, respondent, flow)
        except StoreError as exc:
            st.session_state[f"draft_error|{prefix}"] = exc
        else:
            if flow.elsewhere:
                st.rerun()  # another tab saved a newer draft meanwhile: the form asks
            return
    if flow.needs_saving():
        error = st.session_state.get(f"draft_error|{prefix}")
        # keyed: while it shows, leaving the page asks first (ui/unsaved_guard.py)
        st.container(key="draft_unsaved").warning(
            t("draft_failed", error=message(error, lang()) if error else ""),
            icon=":material/cloud_off:")


@st.fragment
def form(respondent, prefix: str, open_now: bool) -> None:
    flow = st.session_state["forms"][prefix]
    fields = widgets.FormFields(prefix)
    # The form's first element, at the top where a new step starts, and sticky; filled after
    # the save. First, so that nothing drawn on some runs only can move it: the notice of the
    # last failed save (a fragment of its own) then stays in place and in view while a run
    # draws the next section, until this run's save replaces or removes it. (The scroll
    # script above it, drawn on a new step only, moved it: 下一步 during an outage showed the
    # new section without the notice until its save had failed, 0.5-5 s; issue 19.)
    notice = st.container(key="draft_notice")
    to_top_on_a_new_step(flow, prefix)
    if flow.elsewhere and flow.step != DONE:
        elsewhere_step(respondent, flow, prefix)
    if flow.step == DONE:
        receipt_step(flow, prefix, open_now)
        return
    if flow.step == CONFIRM:
        confirm_step(respondent, flow, prefix)
    else:
        section_step(flow, prefix, fields)
    with notice:
        keep_draft(respondent, flow, prefix)


def questionnaires_for(respondent):
    """The point's questionnaires, read once per session."""
    cached = st.session_state.get("fill_questionnaires")
    if cached is None or cached[0] != respondent.point.point_id:
        cached = (respondent.point.point_id, store.questionnaires_for(respondent.point))
        st.session_state["fill_questionnaires"] = cached
    return cached[1]


# Streamlit's "Press Enter to apply" is English only; the form saves on every change anyway.
HIDE_INPUT_INSTRUCTIONS = "<style>[data-testid=InputInstructions] {display: none;}</style>"


def main() -> None:
    st.html(HIDE_INPUT_INSTRUCTIONS + STICKY_NOTICE + unsaved_guard.SCRIPT,
            unsafe_allow_javascript=True)
    respondent = ui_code_entry()
    if respondent is None:
        return
    head, leave = st.columns([4, 1], vertical_alignment="bottom")
    head.markdown(f"**{t('point')}:** {escape(respondent.point.name)}")
    if leave.button(t("leave")):
        auth.cadre_leave()
        for key in list(st.session_state):  # the forms and their widgets (keys with a colon)
            if key in ("forms", "fill_questionnaires", "period_choice") or ":" in str(key) \
                    or str(key).startswith("period_pick|"):
                del st.session_state[key]
        st.rerun()
    questionnaires = questionnaires_for(respondent)
    if not questionnaires:
        st.info(t("no_questionnaire"))
        return
    qn = questionnaires[0]
    if len(questionnaires) > 1:
        qn = st.selectbox(t("questionnaire"), questionnaires,
                          format_func=lambda q: q.title.get(lang()))
    st.header(escape(qn.title.get(lang())))
    if qn.description:
        st.caption(escape(qn.description.get(lang())))
    open_periods = store.open_periods(qn)
    if not open_periods:
        st.info(t("no_open_period"))
        return
    current = open_periods[0]
    forms = st.session_state.setdefault("forms", {})
    # A period that closes while someone is filling it stays on screen (with a notice), so
    # the page never jumps to another period's form under their hands.
    chosen = st.session_state.get("period_choice")
    options = open_periods + [chosen] if chosen and chosen not in open_periods and \
        f"{qn.id}:{qn.version}:{chosen}" in forms else open_periods
    names = {p: periods.label(qn.period, p, lang()) + (f" ({t('current_period')})"
                                                       if p == current else "") for p in options}
    # One picker per language: after a language switch the browser keeps showing the old
    # label of the chosen option ("2026-11 (本期)" in English); the choice itself carries over.
    pick = f"period_pick|{lang()}"
    if pick not in st.session_state and chosen in options:
        st.session_state[pick] = chosen
    period = st.selectbox(t("period"), options, key=pick, format_func=names.get)
    st.session_state["period_choice"] = period
    prefix = f"{qn.id}:{qn.version}:{period}"
    if prefix not in forms:
        forms[prefix] = form_flow.open_form(store, respondent, qn, period)
    if period not in open_periods and forms[prefix].step != DONE:
        st.warning(t("period_closed"))
    returns.notice(store, respondent, qn, period, forms[prefix], prefix)  # 退回 (issue 14)
    form(respondent, prefix, period in open_periods)


main()
