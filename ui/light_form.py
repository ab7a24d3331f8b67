"""The light respondent form (issue 27): plain HTML from the app's own HTTP routes, drawn on the
server from the same core as the Streamlit fill page (survey.form_flow's FormFlow, drafts,
carry-forward, soft checks, submit). No JavaScript needed: each part is a normal form post.

- GET  /f            the code screen, or the form of the signed-in cadre (a cadre session
                     cookie, the same as the Streamlit page's).
- GET  /f?code=...   what a QR code will open: the same code checks and attempt limits as
                     `/?code=...` (ui/server.py), then a 303 to /f without the code.
- POST /f            one step: the answers changed on the part on screen, then one action
                     (next, back, keep last period, confirm a soft check, edit a part, submit,
                     revise, leave).
                     The draft is saved on the server, then a 303 back to GET /f (a reload
                     never posts twice, and shows the draft).
- GET  /f/light-<version>.js   the page's small script (ui/light_offline.py): answers kept in
                     the browser until the server has them, steps by fetch, resent by itself
                     after a network or database failure. Everything works without it.

The server keeps no form in memory between requests: every request opens the form from the
database (form_flow.open_form: last periods, kept submission, draft with its position and
state), applies the post and saves the draft. `?lang=en` (kept in every link and form) gives
English; Chinese otherwise.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from survey import answers as rules
from survey import form_flow, form_text, periods, signin
from survey.errors import message
from survey.form_flow import CONFIRM, DONE, FILL
from survey.i18n import LANGS, t
from survey.store import CodeError, PeriodClosed, StoreError, sessions
from ui import light_offline
from ui.server import COOKIES, CodeLinkMiddleware, _address, _no_store, _same_origin, services

PATH = "/f"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
_log = logging.getLogger("survey.light_form")

# What a post may ask for (the value of its `action` button); confirm:<id> and edit:<i> too.
# SAVE (the page's script, as the cadre types) only gives the answers.
NEXT, BACK, KEEP, SUBMIT, REVISE, LEAVE = "next", "back", "keep", "submit", "revise", "leave"
SAVE = "save"


def _lang(request: Request, form=None) -> str:
    wanted = (form or {}).get("lang") or request.query_params.get("lang")
    return wanted if wanted in LANGS else "zh"


def _here(lang: str, **params) -> str:
    query = {**({"lang": lang} if lang != "zh" else {}), **params}
    return PATH + ("?" + urlencode(query) if query else "")


def _respondent(store, request: Request):
    """The cadre whose code opened this browser's session, or None (no cookie, an ended or idle
    session, a revoked code or a point no longer monitored)."""
    found = sessions.lookup(store, request.cookies.get(COOKIES[sessions.CADRE]), sessions.CADRE,
                            signin.CADRE_IDLE_S)
    if found is None:
        return None
    try:
        return store.respondent_by_key(found.subject)
    except CodeError:
        return None


def _page(request: Request, template: str, lang: str, status: int = 200, **values) -> Response:
    context = {"lang": lang, "html_lang": "en" if lang == "en" else "zh-CN",
               "script_url": light_offline.SCRIPT_URL,
               "t": lambda key, **v: t(key, lang, **v), "here": lambda **p: _here(lang, **p),
               **values}
    response = _no_store(TEMPLATES.TemplateResponse(request, template, context,
                                                     status_code=status))
    # Not no-referrer: with it Chromium sends its form posts with `Origin: null`, and the
    # same-origin check refuses them. No code is ever in this page's address.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


# -- opening -----------------------------------------------------------------------------------
async def show(request: Request) -> Response:
    if "code" in request.query_params:  # a QR code's link: the same checks as `/?code=...`
        return await run_in_threadpool(_open_with_code, request)
    return await run_in_threadpool(_show, request)


def _open_with_code(request: Request) -> Response:
    params = list(request.query_params.multi_items())
    code = request.query_params["code"]
    rest = [(n, v) for n, v in params if n not in ("code", "code_error", "code_wait")]
    try:
        startup = services()
        address = _address(request.scope.get("client"), request.headers,
                           startup.config.trusted_proxies)
        return CodeLinkMiddleware._hand_over(request, startup, code, rest, address)
    except StoreError as exc:
        _log.error("code link while the store is unavailable: %s", exc)
        return _no_store(RedirectResponse(_here(_lang(request)), status_code=303))


def _code_screen(request: Request, lang: str) -> Response:
    """A code the server refused comes back as ?code_error=...&code_wait=... (never the code)."""
    refused = request.query_params.get("code_error")
    try:
        wait = float(request.query_params.get("code_wait") or 0)
    except ValueError:
        wait = 0
    wait = wait if math.isfinite(wait) else 0
    problem = signin.code_refusal(refused, wait, lang) if refused else None
    return _page(request, "light_code.html", lang, problem=problem)


def _show(request: Request) -> Response:
    lang = _lang(request)
    try:
        store = services().store
        respondent = _respondent(store, request)
        if respondent is None:
            return _code_screen(request, lang)
        opened = _open(store, respondent)
    except StoreError as exc:
        return _page(request, "light_problem.html", lang, status=503,
                     problem=message(exc, lang))
    if isinstance(opened, str):
        return _page(request, "light_problem.html", lang, problem=t(opened, lang),
                     respondent=respondent)
    flow, open_now = opened
    if request.query_params.get("step"):
        # back from a post: the draft was just saved, nothing was "restored"
        flow.notice = flow.still_to_answer() if flow.finishing else None
    if request.query_params.get("received") and flow.step == DONE:
        flow.notice = ("submit_received", {})  # a submit sent again: the first one counts
    return _form_page(request, lang, respondent, flow, open_now)


def _open(store, respondent):
    """(flow, open_now) for the point's first questionnaire and its current period, or the
    interface key of why there is nothing to fill."""
    questionnaires = store.questionnaires_for(respondent.point)
    if not questionnaires:
        return "no_questionnaire"
    qn = questionnaires[0]
    open_periods = store.open_periods(qn)
    if not open_periods:
        return "no_open_period"
    return form_flow.open_form(store, respondent, qn, open_periods[0]), True


# -- one step ------------------------------------------------------------------------------------
async def step(request: Request) -> Response:
    form = await request.form()
    if not _same_origin(request):
        return _no_store(Response("bad request", status_code=400))
    return await run_in_threadpool(_step, request, form)


def _step(request: Request, form) -> Response:
    lang = _lang(request, form)
    action = str(form.get("action", ""))
    respondent = flow = None
    failed = False  # the database did not answer: 503, the page's script sends it again
    try:
        store = services().store
        if action == LEAVE:
            return _leave(store, request, lang)
        respondent = _respondent(store, request)
        if respondent is None:
            return _no_store(RedirectResponse(_here(lang), status_code=303))
        opened = _open(store, respondent)
        if isinstance(opened, str):
            return _no_store(RedirectResponse(_here(lang), status_code=303))
        flow, _ = opened
        key = light_offline.posted_key(form)
        if action == SUBMIT and key and form_flow.already_received(store, respondent, flow,
                                                                   key):
            return _no_store(RedirectResponse(_here(lang, step=1, received=1), status_code=303))
        # A post from a page that no longer matches the form (sent twice, an older tab) gives
        # its answers but not its action: "next" twice must not skip a part.
        same_place = form.get("at") == _place(flow)
        if flow.step == FILL:
            _take_answers(flow, form)
        problem = _act(store, respondent, flow, action, lang, key) if same_place else None
        form_flow.save(store, respondent, flow)
    except PeriodClosed:
        problem = t("period_closed", lang)
    except StoreError as exc:  # the page comes back with what was posted, and says so
        failed = True
        problem = t("save_failed" if action == SUBMIT else "draft_failed_light", lang,
                    error=message(exc, lang))
    if problem and flow is None:  # nothing opened: the page keeps the post to send again
        return _page(request, "light_problem.html", lang, status=503, problem=problem,
                     resend=[(n, v) for n, v in form.multi_items() if n != "action"],
                     action=action)
    if problem:  # said on the page itself; what was posted is in the flow drawn there
        return _form_page(request, lang, respondent, flow, True, problem=problem,
                          status=503 if failed else 200)
    return _no_store(RedirectResponse(_here(lang, step=1), status_code=303))


def _leave(store, request: Request, lang: str) -> Response:
    """退出 on a shared office PC: the session ends, the next person starts at the code screen."""
    sessions.end(store, request.cookies.get(COOKIES[sessions.CADRE]), "leave")
    response = RedirectResponse(_here(lang), status_code=303)
    response.delete_cookie(COOKIES[sessions.CADRE], path="/", httponly=True, samesite="lax")
    return _no_store(response)


def _place(flow) -> str:
    """Where the form is: the step, and the part while filling."""
    return f"{flow.step}:{flow.current.id}" if flow.step == FILL else flow.step


def _act(store, respondent, flow, action: str, lang: str, key: str | None = None
         ) -> str | None:
    """Apply one button; returns a problem to show, if any. A submit's key (minted with the
    confirmation page) is its client token: sent again, it cannot submit twice."""
    if action == NEXT and flow.step == FILL:
        flow.next()
    elif action == BACK and flow.step != DONE:
        flow.back()
    elif action == KEEP and flow.offer():
        flow.keep_last_period()
    elif action.startswith("confirm:") and action[8:] in flow.questions:
        flow.confirm(action[8:])
    elif action.startswith("edit:") and action[5:].isdigit() and flow.step == CONFIRM:
        flow.edit(min(int(action[5:]), len(flow.qn.sections) - 1))
    elif action == SUBMIT and flow.step == CONFIRM:
        flow.token = key or flow.token
        if form_flow.submit(store, respondent, flow) is None:   # submitted elsewhere meanwhile
            return t("submitted_elsewhere", lang, rev=flow.elsewhere.revision,
                     at=flow.elsewhere.at.strftime("%Y-%m-%d %H:%M"))
    elif action == REVISE and flow.step == DONE:
        flow.revise()
    return None


def _take_answers(flow, form) -> None:
    """The answers the cadre changed on the part that was on screen: a field whose posted value
    differs from the one the page drew (`drawn`, JSON). Only those are set: an unchanged field
    must not count as touched, and a page drawn before another tab saved must not put its old
    values back over that tab's (no silent last-writer-wins; the other tab's answers stay
    unless this page changed the same question). The page's script names the questions the
    cadre changed (`changed`): they are set whatever the page drew, as kept in the browser
    (from an older page too, after a reload)."""
    try:
        drawn = json.loads(form.get("drawn") or "{}")
    except ValueError:
        drawn = {}
    changed = set(form.getlist("changed"))
    for qid in form.getlist("shown"):
        q = flow.questions.get(qid)
        if q is None or qid not in drawn and qid not in changed:
            continue
        value = _read(q, form)
        if qid in changed or _differs(rules.from_input(q, value), drawn[qid]):
            flow.set_answer(qid, value)
        other = rules.other_key(qid)
        if q.other and (other in drawn or qid in changed):
            text = _text(form.get(f"a.{other}")) or None
            if qid in changed or text != drawn[other]:
                flow.set_answer(other, text)


def _differs(posted, drawn) -> bool:
    if isinstance(posted, list) and isinstance(drawn, list):  # ticked boxes: order is no change
        return sorted(map(str, posted)) != sorted(map(str, drawn))
    return posted != drawn


def _drawn(flow, questions) -> str:
    """What the page shows in its fields, for _take_answers to tell what the cadre changed."""
    shown = {}
    for q in questions:
        shown[q.id] = flow.answers.get(q.id)
        if q.other:
            shown[rules.other_key(q.id)] = flow.answers.get(rules.other_key(q.id))
    return json.dumps(shown, ensure_ascii=False, default=str)


def _text(value) -> str | None:
    # browsers send a text area's line breaks as CRLF: the cadre typed "\n"
    return None if value is None else str(value).replace("\r\n", "\n")


def _read(q, form):
    """One question's value from the post, as the core takes it (answers.from_input)."""
    name = f"a.{q.id}"
    if q.type in ("integer", "decimal"):
        return _number(form.get(name))
    if q.type == "multiple_choice":
        return [v for v in form.getlist(name)]
    if q.type == "yes_no":
        return {"1": True, "0": False}.get(form.get(name))
    if q.type == "matrix":
        rows = {r.id: form.get(f"{name}.{r.id}") for r in q.rows}
        return {k: v for k, v in rows.items() if v} or None
    return _text(form.get(name)) or None


def _number(raw) -> float | str | None:
    """A typed number; text that is no number is kept as typed (validation then asks for a
    number, and the cadre sees what they typed)."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


# -- drawing -------------------------------------------------------------------------------------
def _shown_value(q, value) -> str:
    """A number as typed (40, 6.5), text as text, nothing as empty."""
    if rules.is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _form_page(request: Request, lang: str, respondent, flow, open_now: bool,
               problem: str | None = None, status: int = 200) -> Response:
    values = {"respondent": respondent, "flow": flow, "open_now": open_now, "problem": problem,
              "form_id": light_offline.form_id(respondent, flow.qn.id, flow.period),
              "status_texts": light_offline.status_texts(lang),
              "at": _place(flow), "rules": rules, "value": _shown_value,
              "period_label": periods.label(flow.qn.period, flow.period, lang)}
    if flow.notice:
        values["notice"] = form_text.notice(flow, lang)
    if flow.step == FILL:
        answered, asked = flow.progress()
        shown = flow.shown_questions()
        values.update(answered=answered, asked=asked, offer=flow.offer(),
                      drawn=_drawn(flow, shown),
                      questions=[(q, flow.message(q.id), None if flow.message(q.id)
                                  else flow.soft_check(q.id)) for q in shown])
    elif flow.step == CONFIRM:
        values.update(summary=form_text.summary_line(flow, lang), shown=flow.visible(),
                      key=light_offline.new_key())
    else:
        r = flow.receipt
        values["receipt"] = t("receipt" if r.revision > 1 else "receipt_first", lang,
                              id=r.submission_id, at=r.submitted_at.strftime("%Y-%m-%d %H:%M"),
                              period=periods.label(flow.qn.period, r.period_key, lang),
                              rev=r.revision).replace("  \n", "\n")
    return _page(request, "light_form.html", lang, status=status, **values)


ROUTES = [Route(PATH, show, methods=["GET"]), Route(PATH, step, methods=["POST"]),
          *light_offline.ROUTES]
