"""The light respondent form (issue 27): plain HTML from the app's own HTTP routes, drawn on the
server from the core (survey.form_flow's FormFlow, drafts,
carry-forward, soft checks, submit, returns). No JavaScript needed: each part is a form post.

- GET  /f            the code screen, or the form of the signed-in cadre (a cadre session
                     cookie; the printed sheets' `/?code=...` is sent here: ui/server.py).
- GET  /f?code=...   what a QR code will open: the same code checks and attempt limits as
                     `/?code=...` (ui/server.py), then a 303 to /f without the code.
- POST /f            the code screen's typed code (a post: never in the address or history),
                     or one step: the answers changed on the part on screen, then one action
                     (next, back, keep last period, confirm a soft check, edit a part, submit,
                     revise, a return's answer, another questionnaire or period, language or
                     text size, leave). The draft is saved on the server, then a 303 back to
                     GET /f (a reload never posts twice, and shows the draft).
- GET  /f/light-<version>.js   the page's small script (ui/light_offline.py): answers kept in
                     the browser until the server has them, steps by fetch, resent by itself
                     after a network or database failure. Everything works without it.

The server keeps no form in memory between requests: every request opens the form from the
database (form_flow.open_form: last periods, kept submission, draft with its position and
state), applies the post and saves the draft. What the page shows rides in its address and
posts: `lang=en` (English; Chinese otherwise), `q` and `p` (the questionnaire and period, when
the point has more than one open). The larger-text mode is a cookie (this phone's choice).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlencode

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from survey import answers as rules
from survey import fields, form_flow, form_text, periods, signin
from survey.errors import message
from survey.form_flow import CONFIRM, DONE, FILL
from survey.i18n import LANGS, t
from survey.store import CodeError, PeriodClosed, StoreError, reviews, sessions
from ui import light_fields, light_offline, light_sources
from ui.server import COOKIES, CodeLinkMiddleware, _address, _no_store, _same_origin, services_for

PATH = "/f"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
TEXT_COOKIE = "survey_text"   # "large": this phone reads the form in larger text
TEXT_LIFETIME_S = 400 * 24 * 3600
_log = logging.getLogger("survey.light_form")

# What a post may ask for (the value of its `action` button); confirm:<id>, edit:<i>,
# go:<questionnaire>|<period>, lang:<lang> and text:<size> too.
NEXT, BACK, KEEP, SUBMIT, REVISE, LEAVE, CODE = "next", "back", "keep", "submit", "revise", \
    "leave", "code"
MINE, MINE_AS_REVISION = "mine", "mine_as_revision"   # this page's answers, after a clash
RETURN_REVISE, RETURN_RIGHT = "return_revise", "return_right"
SAVE = "save"   # the page's script, as the cadre types: only the answers


@dataclass(frozen=True)
class View:
    """What the page shows besides the form's own state: language, questionnaire, period."""

    lang: str = "zh"
    qid: str | None = None
    period: str | None = None

    @classmethod
    def of(cls, request: Request, form=None) -> "View":
        given = form if form is not None else request.query_params
        lang = given.get("lang") or request.query_params.get("lang")
        return cls(lang if lang in LANGS else "zh", given.get("q") or None,
                   given.get("p") or None)

    def here(self, **params) -> str:
        query = {**({"lang": self.lang} if self.lang != "zh" else {}),
                 **({"q": self.qid} if self.qid else {}),
                 **({"p": self.period} if self.period else {}), **params}
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


def _page(request: Request, template: str, view: View, status: int = 200, **values) -> Response:
    lang = view.lang
    context = {"lang": lang, "html_lang": "en" if lang == "en" else "zh-CN", "view": view,
               "large": request.cookies.get(TEXT_COOKIE) == "large",
               "lang_href": replace(view, lang="zh" if lang == "en" else "en").here(),
               "script_url": light_offline.SCRIPT_URL,
               "t": lambda key, **v: t(key, lang, **v), "here": view.here, **values}
    response = _no_store(TEMPLATES.TemplateResponse(request, template, context,
                                                     status_code=status))
    # Not no-referrer: with it Chromium sends its form posts with `Origin: null`, and the
    # same-origin check refuses them. No code is ever in this page's address.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _redirect(target: str) -> Response:
    return _no_store(RedirectResponse(target, status_code=303))


# -- opening -----------------------------------------------------------------------------------
async def show(request: Request) -> Response:
    if "code" in request.query_params:  # a QR code's link: the same checks as `/?code=...`
        return await run_in_threadpool(_open_with_code, request)
    if request.query_params.get("text") in ("large", "normal"):  # the code screen's switch
        return _text_size(View.of(request).here(), request.query_params["text"])
    return await run_in_threadpool(_show, request)


def _open_with_code(request: Request, code: str | None = None, rest=None) -> Response:
    """A code from a QR link (GET) or typed (POST): signed in, or back with why not."""
    if code is None:
        code = request.query_params["code"]
        rest = [(n, v) for n, v in request.query_params.multi_items()
                if n not in ("code", "code_error", "code_wait")]
    try:
        startup = services_for(request)
        address = _address(request.scope.get("client"), request.headers,
                           startup.config.trusted_proxies)
        return CodeLinkMiddleware._hand_over(request, startup, code, rest, address)
    except StoreError as exc:
        _log.error("code while the store is unavailable: %s", exc)
        return _redirect(View.of(request).here())


def _code_screen(request: Request, view: View, store) -> Response:
    """A code the server refused comes back as ?code_error=...&code_wait=... (never the code)."""
    refused = request.query_params.get("code_error")
    try:
        wait = float(request.query_params.get("code_wait") or 0)
    except ValueError:
        wait = 0
    wait = wait if math.isfinite(wait) else 0
    problem = signin.code_refusal(refused, wait, view.lang) if refused else None
    return _page(request, "light_code.html", view, problem=problem, demo=store.demo_codes())


def _show(request: Request) -> Response:
    view = View.of(request)
    try:
        store = services_for(request).store
        respondent = _respondent(store, request)
        if respondent is None:
            return _code_screen(request, view, store)
        opened = _open(store, respondent, view)
        if isinstance(opened, str):
            return _page(request, "light_problem.html", view, problem=t(opened, view.lang),
                         respondent=respondent)
        if request.query_params.get("step"):
            # back from a post: the draft was just saved, nothing was "restored"
            opened.flow.notice = opened.flow.still_to_answer() if opened.flow.finishing else None
        if request.query_params.get("received") and opened.flow.step == DONE:
            opened.flow.notice = ("submit_received", {})  # a submit sent again: the first counts
        return _form_page(request, view, store, respondent, opened,
                          done=request.query_params.get("done"))
    except StoreError as exc:
        return _page(request, "light_problem.html", view, status=503,
                     problem=message(exc, view.lang))


@dataclass
class Opened:
    """The form on screen, and what the page offers to switch to."""

    flow: form_flow.FormFlow
    open_now: bool
    questionnaires: list
    periods: list[str]         # the questionnaire's open periods (and a closed one chosen)
    current: str | None        # its current period


def _open(store, respondent, view: View, posted_period: str | None = None):
    """The form of the questionnaire and period the view asks for (the point's first one and
    its current period otherwise), or the interface key of why there is nothing to fill. A
    closed period opens only to show what was submitted for it, or for a post from a page of
    it (`posted_period`) with a draft: a period closed while the cadre filled it stays on their screen
    and says so, rather than a post landing in another period."""
    questionnaires = store.questionnaires_for(respondent.point)
    if not questionnaires:
        return "no_questionnaire"
    qn = next((q for q in questionnaires if q.id == view.qid), questionnaires[0])
    open_periods = store.open_periods(qn)
    period = view.period if view.period in open_periods else None
    choices = list(open_periods)
    if period is None and view.period and store.kept(respondent, qn.id, view.period):
        period = view.period
        choices.append(period)
    if period is None and posted_period and posted_period not in open_periods \
            and store.draft(respondent, qn.id, posted_period):
        period = posted_period
        choices.append(period)
    if period is None and not open_periods:
        return "no_open_period"
    period = period or open_periods[0]
    return Opened(form_flow.open_form(store, respondent, qn, period), period in open_periods,
                  questionnaires, choices, open_periods[0] if open_periods else None)


# -- one step ------------------------------------------------------------------------------------
async def step(request: Request) -> Response:
    form = await request.form()
    if not _same_origin(request):
        return _no_store(Response("bad request", status_code=400))
    return await run_in_threadpool(_step, request, form)


def _step(request: Request, form) -> Response:
    view = View.of(request, form)
    action = str(form.get("action", ""))
    if action == CODE:
        return _open_with_code(request, str(form.get("code") or ""),
                               [(n, v) for n, v in (("lang", view.lang),) if v != "zh"])
    respondent = opened = None
    failed = False  # the database did not answer: 503, the page's script sends it again
    try:
        store = services_for(request).store
        if action == LEAVE:
            return _leave(store, request, view)
        respondent = _respondent(store, request)
        if respondent is None:
            return _redirect(view.here())
        opened = _open(store, respondent, view, form.get("period") or None)
        if isinstance(opened, str):
            return _redirect(view.here())
        flow = opened.flow
        key = light_offline.posted_key(form)
        if action == SUBMIT and key and form_flow.already_received(store, respondent, flow, key):
            return _redirect(view.here(step=1, received=1))
        flow.page_opened_at(light_fields.opened_at(form))   # the form's own burden: from here
        answered = _take_answers(request, view, store, respondent, opened, form, action)
        if answered is not None:   # the page asks which side's answers to keep
            return answered
        # A post from a page that no longer matches the form (sent twice, an older tab) gives
        # its answers but not its action: "next" twice must not skip a part.
        same_place = form.get("at") == _place(flow)
        done = None
        if same_place or action.partition(":")[0] in ("go", "lang", "text", MINE):
            done = _act(store, respondent, opened, view, action, form)
        form_flow.save(store, respondent, flow)
    except PeriodClosed:
        done = Problem(t("period_closed", view.lang))
    except StoreError as exc:  # the page comes back with what was posted, and says so
        failed = True
        done = Problem(t("save_failed" if action == SUBMIT else "draft_failed_light", view.lang,
                         error=message(exc, view.lang)))
    if isinstance(done, Problem) and not isinstance(opened, Opened):
        # nothing opened: the page keeps the post to send again
        return _page(request, "light_problem.html", view, status=503, problem=done.text,
                     resend=[(n, v) for n, v in form.multi_items() if n != "action"],
                     action=action)
    if isinstance(done, Problem):  # said on the page itself; what was posted is in the flow
        return _form_page(request, view, store, respondent, opened, problem=done.text,
                          status=503 if failed else 200)
    if isinstance(done, Response):
        return done
    return _redirect(view.here(step=1, **({"done": done} if done else {})))


@dataclass(frozen=True)
class Problem:
    text: str


def _take_answers(request, view, store, respondent, opened: Opened, form, action: str):
    """The answers the cadre changed on the page, set on the form as it is in the database now.
    None when taken; otherwise the page that asks (saving what could be taken): a question
    changed differently in another tab or device since this page was drawn, or the period was
    submitted there meanwhile."""
    flow = opened.flow
    drawn = light_fields.drawn_of(form)
    # the page's script names the questions the cadre changed: taken whatever the page drew
    # (kept in the browser and put back after a reload, or changed and changed back)
    # the page's script names the questions the cadre changed: taken whatever the page drew
    # (kept in the browser and put back after a reload, or changed and changed back)
    changes = flow.page_changes(light_fields.posted(flow, form), drawn,
                                marked=set(form.getlist("changed")))
    if not changes:
        return None
    if flow.step == DONE and action == MINE_AS_REVISION and opened.open_now:
        flow.revise()
    if flow.step == DONE:   # submitted elsewhere since this page was drawn
        return _clash(request, view, store, respondent, opened, form, sorted(changes), drawn,
                      submitted=True)
    clashes = flow.take_changes(changes, drawn)
    if not clashes:
        return None
    form_flow.save(store, respondent, flow)   # what only one side typed is kept now
    return _clash(request, view, store, respondent, opened, form, clashes, drawn,
                  submitted=False)


def _clash(request, view, store, respondent, opened: Opened, form, keys, drawn, submitted):
    """The page that says the answers differ from what another tab or device saved (or
    submitted) since this page was drawn, and offers to keep this page's or take the newer."""
    flow = opened.flow
    mine = {**flow.answers, **{key: _typed(flow, key, value) for key, value in
                               light_fields.posted(flow, form).items() if key in keys}}
    ids = sorted({key.removesuffix(rules.OTHER_SUFFIX) if key not in flow.questions else key
                  for key in keys})
    rows = []
    for qid in ids:
        if qid not in flow.questions:  # a source block (ui/light_sources.py)
            rows.append(light_sources.clash_row(store, flow, qid, mine.get(qid),
                                                flow.answers.get(qid), view.lang))
            continue
        q = flow.questions[qid]
        rows.append((q.label.get(view.lang),) + tuple(
            rules.display(q, answers.get(qid), view.lang, rules.other_text(q, answers)) or "—"
            for answers in (mine, flow.answers)))
    values = {"flow": flow, "rows": rows, "submitted": submitted, "shown_ids": ids,
              "fields": light_fields.raw_fields(form, keys), "at": _place(flow),
              "drawn": light_fields.as_json({key: flow.answers.get(key) for key in keys}),
              "open_now": opened.open_now}
    if submitted:
        values["elsewhere"] = t("submitted_elsewhere", view.lang, rev=flow.receipt.revision,
                                at=flow.receipt.submitted_at.strftime("%Y-%m-%d %H:%M"))
    return _page(request, "light_clash.html", view, status=409, respondent=respondent, **values)


def _typed(flow, key: str, value):
    q = flow.questions.get(key)
    return rules.from_input(q, value) if q else value


def _leave(store, request: Request, view: View) -> Response:
    """退出 on a shared office PC: the session ends, the next person starts at the code screen."""
    sessions.end(store, request.cookies.get(COOKIES[sessions.CADRE]), "leave")
    response = RedirectResponse(View(view.lang).here(), status_code=303)
    response.delete_cookie(COOKIES[sessions.CADRE], path="/", httponly=True, samesite="lax")
    return _no_store(response)


def _text_size(target: str, size: str) -> Response:
    response = _redirect(target)
    response.set_cookie(TEXT_COOKIE, size, max_age=TEXT_LIFETIME_S, path=PATH, httponly=True,
                        samesite="lax")
    return response


def _place(flow) -> str:
    """Where the form is: the step, and the part while filling."""
    return f"{flow.step}:{flow.current.id}" if flow.step == FILL else flow.step


def _act(store, respondent, opened: Opened, view: View, action: str, form):
    """Apply one button. Returns a Problem to show, a Response (another view), a flash key for
    the page after the redirect (`done`), or None."""
    flow = opened.flow
    name, _, arg = action.partition(":")
    if action == NEXT and flow.step == FILL:
        # unanswered questions the post's answers brought into this part are shown first, not
        # skipped (the Streamlit page showed them as the cadre answered)
        brought = {q.id for q in flow.shown_questions()} - set(form.getlist("shown"))
        if all(not rules.is_blank(flow.answers.get(qid)) for qid in brought):
            flow.next()
    elif action == BACK and flow.step != DONE:
        flow.back()
    elif action == KEEP and flow.offer():
        flow.keep_last_period()
    elif name == "sources_row" and flow.step == FILL:   # 有一项不在清单上: one row more
        light_sources.add_row(flow, arg)
    elif name == "confirm" and arg in flow.questions:
        flow.confirm(arg)
    elif name == "edit" and arg.isdigit() and flow.step == CONFIRM:
        flow.edit(min(int(arg), len(flow.qn.sections) - 1))
    elif action == SUBMIT and flow.step == CONFIRM:
        # the key minted with the confirmation page is the client token: sent again, it
        # cannot submit twice
        flow.token = light_offline.posted_key(form) or flow.token
        returned = _returned(store, respondent, flow)
        if form_flow.submit(store, respondent, flow) is None:   # submitted elsewhere meanwhile
            return Problem(t("submitted_elsewhere", view.lang, rev=flow.elsewhere.revision,
                             at=flow.elsewhere.at.strftime("%Y-%m-%d %H:%M")))
        return "revised" if returned else None
    elif action in (REVISE, RETURN_REVISE) and flow.step == DONE and opened.open_now:
        flow.revise()
    elif action == RETURN_RIGHT:
        reviews.confirm(store, respondent, flow.qn.id, flow.period, str(form.get("note") or ""))
        return "right"
    elif name == "go":   # another questionnaire or period (after this page's answers are saved)
        qid, _, period = arg.partition("|")
        form_flow.save(store, respondent, flow)
        return _redirect(replace(view, qid=qid or None, period=period or None).here())
    elif name == "lang" and arg in LANGS:
        form_flow.save(store, respondent, flow)
        return _redirect(replace(view, lang=arg).here(step=1))
    elif name == "text" and arg in ("large", "normal"):
        form_flow.save(store, respondent, flow)
        return _text_size(view.here(step=1), arg)
    return None


def _returned(store, respondent, flow) -> bool:
    """This period waits for a revision after a return (the submit then answers it)."""
    return flow.revision and any(item["period_key"] == flow.period
                                 for item in reviews.open_returns(store, respondent, flow.qn.id))


# -- drawing -------------------------------------------------------------------------------------
def _returns(store, respondent, opened: Opened) -> list[dict]:
    """The returns for correction waiting for this cadre:
    each with how the page offers to answer it."""
    flow = opened.flow
    try:
        waiting = reviews.open_returns(store, respondent, flow.qn.id)
    except StoreError:
        return []  # the form matters more than the notice
    shown = []
    for item in waiting:
        if item["period_key"] != flow.period:
            kind = "other"
        elif flow.revision and flow.step != DONE:
            kind = "revising"
        else:
            kind = "answer" if opened.open_now else "closed"
        shown.append({**item, "kind": kind})
    return shown


def _form_page(request: Request, view: View, store, respondent, opened: Opened,
               problem: str | None = None, done: str | None = None, status: int = 200
               ) -> Response:
    flow = opened.flow
    lang = view.lang
    values = {"respondent": respondent, "flow": flow, "open_now": opened.open_now,
              "step_form": True,
              "problem": problem, "at": _place(flow), "rules": rules,
              "value": light_fields.shown_value, "opened": form_flow._now().isoformat(),
              "period_label": periods.label(flow.qn.period, flow.period, lang),
              "returns": _returns(store, respondent, opened),
              "done": {"right": "return_right_done", "revised": "return_revised_done"}.get(done),
              "questionnaires": opened.questionnaires if len(opened.questionnaires) > 1 else [],
              "periods": [(p, periods.label(flow.qn.period, p, lang), p == opened.current)
                          for p in opened.periods] if len(opened.periods) > 1 else [],
              "note_limit": fields.RESPONDENT_NOTE.limit,
              "form_id": light_offline.form_id(respondent, flow.qn.id, flow.period),
              "status_texts": light_offline.status_texts(lang)}
    if flow.notice:
        values["notice"] = form_text.notice(flow, lang)
    if flow.step == FILL:
        answered, asked = flow.progress()
        shown = flow.shown_questions()
        values.update(answered=answered, asked=asked, offer=flow.offer(),
                      drawn=light_fields.drawn(flow, shown),
                      sources=light_sources.blocks(store, respondent, flow, lang),
                      questions=[(q, flow.message(q.id), None if flow.message(q.id)
                                  else flow.soft_check(q.id)) for q in shown])
    elif flow.step == CONFIRM:
        values.update(summary=form_text.summary_line(flow, lang), shown=flow.visible(),
                      sources_summary=light_sources.summary(store, respondent, flow, lang),
                      key=light_offline.new_key())
    else:
        r = flow.receipt
        values["receipt"] = Markup(t(
            "receipt" if r.revision > 1 else "receipt_first", lang,
            id=Markup("<code>%s</code>") % r.submission_id,
            at=r.submitted_at.strftime("%Y-%m-%d %H:%M"),
            period=escape(periods.label(flow.qn.period, r.period_key, lang)),
            rev=r.revision).replace("  \n", "<br>"))
    return _page(request, "light_form.html", view, status=status, **values)


ROUTES = [Route(PATH, show, methods=["GET"]), Route(PATH, step, methods=["POST"]),
          *light_offline.ROUTES]
