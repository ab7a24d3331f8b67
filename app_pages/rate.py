"""Public questionnaires (audience: public), opened from a point's QR code or link:
`/rate?point=ID&q=QUESTIONNAIRE` (without q: the 万人评 rating, or the point's first public
questionnaire if it has no 万人评). No sign-in and nothing identifying stored: the rater is a keyed pseudonym of
this browser at this point; one answer per browser, point, questionnaire and period, and a
few per client address and point a day (survey.throttle)."""

from __future__ import annotations

import uuid

import streamlit as st

from survey import answers as rules
from survey import code_sheet, periods
from survey.errors import message
from survey.store import AlreadySubmitted, PeriodClosed, Respondent, StoreError
from survey.store import clues
from ui import auth, browser, widgets
from ui.context import escape, lang, startup, t, tr

store = startup().store
point = store.point(st.query_params.get("point", ""))
public = store.questionnaires_for(point, "public") if point is not None and point.active else []
qn = code_sheet.opened_by_link(public, st.query_params.get("q"))
if qn is None:
    st.title(tr("服务评价", "Rate the service"))
    st.info(tr("请扫描办事场所张贴的二维码进行评价。", "Please open this page from the QR code "
               "posted where you were served."))
    st.stop()
period = store.current_open_period(qn)
st.title(escape(qn.title.get(lang())))
st.caption(f"{escape(point.name)}" + (f" · {periods.label(qn.period, period, lang())}"
                                      if period else ""))
if qn.description:
    st.caption(escape(qn.description.get(lang())))
if period is None:
    st.info(tr("本问卷当前不在填写时间内,谢谢关注。", "This questionnaire is not open now. "
               "Thank you for your interest."))
    st.stop()

key = browser.pseudonym(store.code_key, f"rate:{point.point_id}")
rater = Respondent(key, point)
done = (point.point_id, qn.id, period)
if st.session_state.get("rated") == done:  # just now, in this visit
    st.success(tr("已提交,谢谢您的参与!", "Submitted. Thank you for taking part!"))
    st.stop()
if store.kept(rater, qn.id, period):  # this browser answered before, in an earlier visit
    st.success(tr("您本期已填写过,谢谢您的参与!", "You have already answered for this period. "
                  "Thank you!"))
    st.stop()

# Beyond one per browser: a few per address and point a day, whatever the cookies say. Said
# before the form, not after it is filled (a service hall's shared Wi-Fi reaches it first).
client = auth.limits().key("client", auth.address() or "unknown")
client_at_point = auth.limits().key("client-point", f"{auth.address() or 'unknown'}|{point.point_id}")


def too_many() -> bool:
    return auth.limits().ratings.wait_s(client) > 0 \
        or auth.limits().ratings_point.wait_s(client_at_point) > 0


TOO_MANY = tr("这台设备(或同一网络)短时间内提交了较多评价,请稍后再试,谢谢理解。",
              "Many answers from this device (or this network) in a short time; please try "
              "again later. Thank you.")
if too_many():
    st.warning(TOO_MANY)
    st.stop()

answers = st.session_state.setdefault("rating", {}).setdefault(qn.id, {})
token = st.session_state.setdefault("rating_tokens", {}).setdefault(qn.id, uuid.uuid4().hex)
tried = st.session_state.setdefault("rating_tried", set())
# A change reaches `answers` before the rerun (on_change), so a follow-up it makes relevant
# (visits >= 2) is asked in the same run, not one tap later; so does a tap on Submit (on_click),
# so that the messages beside the fields show in the run that says there are some.
shown = rules.visibility(qn, answers)
messages = rules.field_messages(qn, answers, qn.id in tried)
for section in qn.sections:
    if not any(shown[q.id] for q in section.questions):
        continue
    st.subheader(escape(section.title.get(lang())))
    for q in (q for q in section.questions if shown[q.id]):
        answers[q.id] = widgets.question(q, f"rate:{qn.id}:{q.id}", answers.get(q.id), lang(),
                                         (t("yes"), t("no")), t("choose"),
                                         on_change=answers.__setitem__,
                                         other=answers.get(rules.other_key(q.id)))
        if q.hint:  # e.g. 万人评's "请勿填写姓名、电话。"
            st.caption(escape(q.hint.get(lang())))
        if q.id in messages:
            st.error(escape(messages[q.id].get(lang())), icon=":material/warning:")
errors = rules.validate(qn, answers)
if st.button(tr("提交", "Submit"), type="primary", width="stretch", on_click=tried.add,
             args=(qn.id,)):
    if errors:
        st.error(t("fix_first", n=len(errors)))
    elif too_many():
        st.warning(TOO_MANY)
    else:
        try:
            clues.register_public_rater(store, key, point.point_id)
            store.submit(rater, qn, period, answers, token, revisable=False)
            auth.limits().ratings.record(client)
            auth.limits().ratings_point.record(client_at_point)
            st.session_state["rated"] = done
            st.rerun()
        except AlreadySubmitted:
            st.session_state["rated"] = done
            st.rerun()
        except (PeriodClosed, StoreError) as exc:
            st.error(escape(message(exc, lang())))
