"""The cadres' fill page: code -> questionnaire and period -> sections -> review -> receipt."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid

import streamlit as st

from survey import answers as rules
from survey import codes
from survey.store import CodeError, PeriodClosed, StoreError
from ui import auth, widgets
from ui.context import escape, lang, startup, t

store = startup().store


def sign_in(code: str) -> None:
    """Open the form for a code; wrong codes are limited per code and per client."""
    keys = ("code:" + hashlib.sha256((codes.normalize(code) or code).encode()).hexdigest()[:16],
            auth.client_key())
    wait = auth.limiter().locked_for(*keys)
    if wait > 0:
        st.session_state["code_error"] = ("locked", max(1, round(wait / 60)))
        return
    try:
        st.session_state["respondent"] = store.respondent(code)
        auth.limiter().succeeded(*keys)
    except CodeError as exc:
        auth.limiter().failed(*keys)
        st.session_state["code_error"] = (exc.reason, 0)


def code_screen() -> None:
    st.title(t("app_title"))
    st.write(t("fill_intro"))
    from_url = st.query_params.get("code")
    if from_url:
        del st.query_params["code"]
        sign_in(from_url)
        if "respondent" in st.session_state:
            st.rerun()
    with st.form("code_form", border=False):
        code = st.text_input(t("code_label"), placeholder=t("code_placeholder"), max_chars=20)
        if st.form_submit_button(t("start"), type="primary", width="stretch"):
            st.session_state.pop("code_error", None)
            sign_in(code)
            if "respondent" in st.session_state:
                st.rerun()
    if problem := st.session_state.get("code_error"):
        reason, minutes = problem
        st.error(t("code_locked", minutes=minutes) if reason == "locked" else
                 t(f"code_error_{reason}"))
    demo = store.demo_codes()
    if demo:
        with st.expander(t("demo_codes")):
            for code, name in demo:
                st.code(code, language=None)
                st.caption(name)


def new_form(respondent, qn, period: str) -> dict:
    form = {"answers": {}, "carried": {}, "carried_from": None, "section": 0, "step": "fill",
            "show_required": [], "token": uuid.uuid4().hex, "receipt": None, "notice": None,
            "started_at": dt.datetime.now().replace(microsecond=0), "saved": None}
    previous = store.previous_answers(respondent, qn, period)
    if previous:
        form["carried_from"], last = previous
        form["carried"] = rules.carried_forward(qn, last)
    kept = store.kept(respondent, qn.id, period)
    if kept:
        form["step"], form["receipt"] = "done", kept[0]
        form["answers"] = kept[1]
        return form
    draft = store.draft(respondent, qn.id, period)
    if draft:
        form["answers"], form["started_at"] = dict(draft.answers), draft.started_at
        form["saved"] = json.dumps(draft.answers, sort_keys=True, ensure_ascii=False)
        form["notice"] = t("draft_restored", at=draft.updated_at.strftime("%Y-%m-%d %H:%M"))
    elif form["carried"]:
        form["answers"] = dict(form["carried"])
        form["notice"] = t("carried_notice", period=form["carried_from"])
        # Nothing to save until the respondent changes something.
        form["saved"] = json.dumps(form["answers"], sort_keys=True, ensure_ascii=False)
    return form


def save_draft(respondent, qn, period: str, form: dict) -> None:
    text = json.dumps(form["answers"], sort_keys=True, ensure_ascii=False)
    if text == form["saved"]:
        return
    try:
        store.save_draft(respondent, qn, period, form["answers"], form["started_at"])
        form["saved"] = text
    except StoreError as exc:
        st.warning(t("draft_failed", error=str(exc)))


def fill_section(respondent, qn, period: str, form: dict, prefix: str) -> None:
    sections = qn.sections
    index = min(form["section"], len(sections) - 1)
    section = sections[index]
    answered, asked = rules.progress(qn, form["answers"])
    st.progress(answered / asked if asked else 1.0,
                text=f"{t('section_of', i=index + 1, n=len(sections))} · "
                     f"{t('answered_of', a=answered, n=asked)}")
    if form["notice"]:
        st.info(form["notice"])
    if index == 0 and form["carried"]:
        if st.button(t("nothing_changed"), help=t("nothing_changed_help"),
                     width="stretch"):
            form["answers"].update(form["carried"])
            form["section"], form["step"] = first_open_section(qn, form["answers"])
            form["notice"] = None
            st.rerun()
    st.subheader(section.title.get(lang()))
    for q in section.questions:
        if not rules.visibility(qn, form["answers"])[q.id]:
            continue
        key = f"{prefix}:{q.id}"
        form["answers"][q.id] = widgets.question(q, key, form["answers"].get(q.id), lang(),
                                                 (t("yes"), t("no")), t("choose"))
        if q.hint:
            st.caption(q.hint.get(lang()))
        value = form["answers"][q.id]
        if q.id in form["carried"] and value == form["carried"][q.id]:
            st.caption(f"↺ {t('carried_marker')} ({form['carried_from']})")
        problem = rules.validate(qn, form["answers"]).get(q.id)
        if problem and (problem is not rules.REQUIRED or section.id in form["show_required"]):
            st.error(problem.get(lang()), icon=":material/warning:")
    save_draft(respondent, qn, period, form)
    back, forward = st.columns(2)
    if index > 0 and back.button(t("back"), width="stretch"):
        form["section"] = index - 1
        st.rerun()
    last = index == len(sections) - 1
    if forward.button(t("review") if last else t("next"), type="primary",
                      width="stretch"):
        errors = rules.validate(qn, form["answers"])
        if any(q.id in errors for q in section.questions):
            form["show_required"].append(section.id)
            st.rerun()
        if last:
            form["step"] = "review"
        form["section"] = index + 1 if not last else index
        form["notice"] = None
        st.rerun()


def first_open_section(qn, answers: dict) -> tuple[int, str]:
    """Where a respondent still has something to do: (section index, step)."""
    errors = rules.validate(qn, answers)
    for i, section in enumerate(qn.sections):
        if any(q.id in errors for q in section.questions):
            return i, "fill"
    return len(qn.sections) - 1, "review"


def review(respondent, qn, period: str, form: dict) -> None:
    st.subheader(t("review_title"))
    errors = rules.validate(qn, form["answers"])
    shown = rules.visibility(qn, form["answers"])
    for i, section in enumerate(qn.sections):
        st.markdown(f"**{section.title.get(lang())}**")
        for q in section.questions:
            if not shown[q.id]:
                continue
            value = rules.display(q, form["answers"].get(q.id), lang()) or t("not_asked")
            st.caption(q.label.get(lang()))
            st.text(value)  # typed text is shown as typed: no markdown, no HTML
            if q.id in errors:
                st.error(errors[q.id].get(lang()), icon=":material/warning:")
        if st.button(t("edit_section"), key=f"edit:{section.id}"):
            form["section"], form["step"] = i, "fill"
            st.rerun()
    if errors:
        st.warning(t("fix_first", n=len(errors)))
    back, send = st.columns(2)
    if back.button(t("back"), width="stretch"):
        form["step"] = "fill"
        st.rerun()
    if send.button(t("submit"), type="primary", width="stretch", disabled=bool(errors)):
        try:
            form["receipt"] = store.submit(respondent, qn, period, form["answers"], form["token"],
                                           started_at=form["started_at"])
        except PeriodClosed:
            st.error(t("period_closed"))
            return
        except StoreError as exc:
            st.error(t("save_failed", error=str(exc)))
            return
        form["step"], form["saved"] = "done", None
        st.rerun()


def receipt(qn, period: str, form: dict, prefix: str, open_now: bool) -> None:
    r = form["receipt"]
    st.success(t("submitted"))
    st.markdown(t("receipt", id=f"`{r.submission_id}`", at=r.submitted_at.strftime("%Y-%m-%d %H:%M"),
                  period=r.period_key, rev=r.revision))
    if not open_now:
        st.info(t("period_closed"))
        return
    st.caption(t("revise_until"))
    if st.button(t("revise")):
        for key in [k for k in st.session_state if str(k).startswith(prefix + ":")]:
            del st.session_state[key]
        form.update(step="fill", section=0, token=uuid.uuid4().hex, notice=None, show_required=[],
                    started_at=dt.datetime.now().replace(microsecond=0))
        st.rerun()


def main() -> None:
    respondent = st.session_state.get("respondent")
    if respondent is None:
        code_screen()
        return
    head, leave = st.columns([4, 1], vertical_alignment="bottom")
    head.markdown(f"**{t('point')}:** {escape(respondent.point.name)}")
    if leave.button(t("leave")):
        for key in list(st.session_state):
            if key != "lang":
                del st.session_state[key]
        st.rerun()
    questionnaires = store.questionnaires_for(respondent.point)
    if not questionnaires:
        st.info(t("no_questionnaire"))
        return
    qn = questionnaires[0]
    if len(questionnaires) > 1:
        qn = st.selectbox(t("questionnaire"), questionnaires,
                          format_func=lambda q: q.title.get(lang()))
    st.header(qn.title.get(lang()))
    if qn.description:
        st.caption(qn.description.get(lang()))
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
    period = st.selectbox(t("period"), options, key="period_choice", format_func=lambda p: (
        f"{p} ({t('current_period')})" if p == current else p))
    prefix = f"{qn.id}:{qn.version}:{period}"
    if period not in open_periods and forms[prefix]["step"] != "done":
        st.warning(t("period_closed"))
    if prefix not in forms:
        forms[prefix] = new_form(respondent, qn, period)
    form = forms[prefix]
    if form["step"] == "done":
        receipt(qn, period, form, prefix, period in open_periods)
    elif form["step"] == "review":
        review(respondent, qn, period, form)
    else:
        fill_section(respondent, qn, period, form, prefix)


main()
