"""万人评: the public rates a point's service, opened from the point's QR code or link
(`/rate?point=ID`). No login; one rating per browser, point and quarter."""

from __future__ import annotations

import datetime as dt
import uuid

import streamlit as st

from survey import answers as rules
from survey import periods, throttle
from survey.errors import message
from survey.store import AlreadySubmitted, PeriodClosed, Respondent, StoreError
from survey.store import clues
from ui import auth, browser, widgets
from ui.context import escape, lang, startup, t, tr

store = startup().store
point = store.point(st.query_params.get("point", ""))
public = [q for q in store.current_questionnaires() if q.audience == "public"]
if point is None or not point.active or not public or not public[0].is_for_kind(point.kind):
    st.title(tr("服务评价", "Rate the service"))
    st.info(tr("请扫描办事场所张贴的二维码进行评价。", "Please open this page from the QR code "
               "posted where you were served."))
    st.stop()
qn = public[0]
period = periods.key_for(qn.period, dt.date.today())
st.title(escape(qn.title.get(lang())))
st.caption(f"{escape(point.name)} · {period}")
if qn.description:
    st.caption(escape(qn.description.get(lang())))


key = browser.pseudonym(store.code_key, f"rate:{point.point_id}")
rater = Respondent(key, point)
if st.session_state.get("rated") == (point.point_id, period) or store.kept(rater, qn.id, period):
    st.success(tr("您本季度已评价过这里,谢谢您的参与!", "You have rated this place this quarter. "
                  "Thank you!"))
    st.stop()

answers = st.session_state.setdefault("rating", {})
token = st.session_state.setdefault("rating_token", uuid.uuid4().hex)
shown = rules.visibility(qn, answers)
for q in qn.questions:
    if shown[q.id]:
        answers[q.id] = widgets.question(q, f"rate:{q.id}", answers.get(q.id), lang(),
                                         (t("yes"), t("no")), t("choose"))
errors = rules.validate(qn, answers)
# Beyond one per browser: a few per address and point a day, whatever the cookies say.
client = throttle.key("client", auth.address() or "unknown")
client_at_point = throttle.key("client-point", f"{auth.address() or 'unknown'}|{point.point_id}")
if st.button(tr("提交评价", "Submit"), type="primary", width="stretch"):
    if errors:
        st.error(tr("请完成带 * 的题目。", "Please answer the questions marked *."))
    elif auth.limits().ratings.wait_s(client) > 0 \
            or auth.limits().ratings_point.wait_s(client_at_point) > 0:
        st.warning(tr("这台设备短时间内提交了较多评价,请稍后再试,谢谢理解。",
                      "Many ratings from this device in a short time; please try again later."))
    else:
        try:
            clues.register_public_rater(store, key, point.point_id)
            store.submit(rater, qn, period, answers, token, revisable=False)
            auth.limits().ratings.record(client)
            auth.limits().ratings_point.record(client_at_point)
            st.session_state["rated"] = (point.point_id, period)
            st.rerun()
        except AlreadySubmitted:
            st.session_state["rated"] = (point.point_id, period)
            st.rerun()
        except (PeriodClosed, StoreError) as exc:
            st.error(escape(message(exc, lang())))
