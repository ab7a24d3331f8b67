"""The HTTP side of the app (Streamlit 1.67's st.App, discovered by `streamlit run`): start-up
at server start, a health route, and the routes and middleware that give sessions a real
HttpOnly cookie, which a Streamlit run cannot set itself.

- lifespan: opens the database, runs migrations, prints the first admin's one-time password and
  starts the snapshot scheduler when the server starts, before any browser visits.
- GET /healthz: 200 only while the store answers.
- GET /metrics: Prometheus text format (survey/observability.py), for this machine, or the
  networks in SURVEY_METRICS_FROM, or a bearer SURVEY_METRICS_TOKEN; 403 for anyone else.
- a respondent code in the app's bare address (`/?code=K7QM-3XPA`, what the QR sheets printed
  before the light form open; no other address) is checked here, before any page loads: a
  valid code gets a cadre session cookie and a 303 to the light form (`/f`) without the code,
  so the code never stays in the address bar, the history or a Referer. The bare address
  itself, typed by a cadre (no staff session on the browser), is a 303 to `/f` too.
- POST /session/claim: a page that has just signed someone in presents a one-time hand-off
  value (survey/store/sessions.py); the answer sets the session cookie.
- POST /session/end: clears the cookie after sign-out (the session itself already ended in the
  database, so a cookie that survives is useless anyway); kind=identity clears Streamlit's
  record of the provider's sign-in after the app refused it.
- /oauth2callback (Streamlit's own route): a sign-in at the provider that did not complete
  (refused there, a replayed or broken callback) goes to the sign-in page with a message,
  not silently to the respondents' form.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from contextlib import asynccontextmanager
from urllib.parse import parse_qsl, urlencode

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool
from streamlit import config as st_config
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from survey import config as config_module
from survey import bootstrap, observability, signin
from survey.bootstrap import started
from survey.client_address import (is_this_machine, is_trusted, proxied_clients, proxy_headers,
                                   request_client)
from survey.errors import message
from survey.i18n import t
from survey.store import StoreError, sessions
from survey.store.engine import NewerSchemaError
from ui.browser import RATER_COOKIE, rater_token

COOKIES = {sessions.STAFF: "survey_staff", sessions.CADRE: "survey_cadre"}
# "This browser signed in as X before" (signin.device_token): outlives sessions and sign-out.
DEVICE_COOKIES = {sessions.STAFF: "survey_known_staff", sessions.CADRE: "survey_known_cadre"}
IDENTITY = "identity"  # /session/end: Streamlit's cookies of a provider sign-in
LIFETIMES = {sessions.STAFF: signin.STAFF_LIFETIME_S, sessions.CADRE: signin.CADRE_LIFETIME_S}
_log = logging.getLogger("survey.server")


def services():
    return started(config_module.resolve())


def services_for(request: Request):
    """services() for a page of these routes (the light form): when the app cannot start, a
    StoreError in both languages with what this visitor may know, as the Streamlit pages say
    it (ui/context.startup): what to do on the server itself, only the situation elsewhere."""
    try:
        return services()
    except (StoreError, config_module.ConfigError) as exc:
        local = request.client is not None and is_this_machine(
            request.client.host, proxy_headers(request.headers))
        key = "store_unavailable_public" if not local else "config_wrong" if isinstance(
            exc, config_module.ConfigError) else "store_newer" if isinstance(
            exc, NewerSchemaError) else "store_unavailable"
        raise StoreError(*(t(key, lang, error=message(exc, lang)) for lang in ("en", "zh"))) \
            from exc


def _address(scope_client, headers, trusted) -> str | None:
    peer = scope_client[0] if scope_client else None
    return request_client(peer, headers, trusted)


def _is_https(request: Request, trusted) -> bool:
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return forwarded == "https" and is_trusted(peer, trusted)


def _set_cookie(response: Response, request: Request, kind: str, token: str, trusted,
                device: str | None = None) -> None:
    secure = _is_https(request, trusted)
    response.set_cookie(COOKIES[kind], token, max_age=int(LIFETIMES[kind]), path="/",
                        httponly=True, samesite="lax", secure=secure)
    if device:
        response.set_cookie(DEVICE_COOKIES[kind], device, max_age=signin.DEVICE_LIFETIME_S,
                            path="/", httponly=True, samesite="lax", secure=secure)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def health(request: Request) -> Response:
    try:
        version = await run_in_threadpool(lambda: services().store.schema_version())
    except (StoreError, config_module.ConfigError, OSError) as exc:
        # The reason (file, key fingerprint, server) for a probe on this machine only; the
        # log has it too.
        local = request.client is not None and is_this_machine(
            request.client.host, proxy_headers(request.headers))
        return JSONResponse({"status": "unavailable", **({"error": str(exc)} if local else {})},
                            status_code=503)
    return JSONResponse({"status": "ok", "schema": version})


def _metrics_refusal(request: Request) -> str | None:
    """None when the request may read /metrics: this machine always (like /healthz's reasons);
    others only from SURVEY_METRICS_FROM's networks (behind a trusted proxy: every client
    address its proxy headers give) or with SURVEY_METRICS_TOKEN as a bearer token. Otherwise
    the 403's text, with what is wrong with those settings (they are then not used)."""
    peer = request.client.host if request.client else None
    if is_this_machine(peer, proxy_headers(request.headers)):
        return None
    try:
        cfg = config_module.resolve()
    except config_module.ConfigError as exc:
        return f"forbidden: the configuration is wrong ({exc})"
    given = request.headers.get("authorization", "")
    if cfg.metrics_token and hmac.compare_digest(given.encode(),
                                                 f"Bearer {cfg.metrics_token}".encode()):
        return None
    clients = proxied_clients(peer, request.headers, cfg.trusted_proxies)
    if clients is None:   # no proxy header, or one from a peer that is no trusted proxy
        clients = [peer] if peer and not proxy_headers(request.headers) else []
    if clients and cfg.metrics_from and all(is_trusted(a, cfg.metrics_from) for a in clients):
        return None
    return "\n".join(["forbidden"] + [f"{p} / {p.text('zh')}" for p in cfg.metrics_problems])


def _scrape() -> bytes:
    try:
        cfg = config_module.resolve()
    except config_module.ConfigError:
        cfg = None
    server = {}
    if cfg is not None:
        startup = bootstrap.running(cfg)  # never waits for a start-up in progress
        server = observability.server_gauges(
            startup.store.engine if startup else None,
            cfg.snapshot if cfg.snapshot_minutes > 0 else None,
            startup.scheduler if startup else None)
    return observability.exposition(lambda: observability.database_vitals(services().store),
                                    server)


async def metrics(request: Request) -> Response:
    """Prometheus text format (survey/observability.py); no data for anyone else."""
    refusal = await run_in_threadpool(_metrics_refusal, request)
    if refusal is not None:
        return PlainTextResponse(refusal, status_code=403)
    body = await run_in_threadpool(_scrape)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _same_origin(request: Request) -> bool:
    """The claim must come from a page of this app (no login CSRF from another site)."""
    origin = request.headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == request.headers.get("host")


async def claim(request: Request) -> Response:
    form = await request.form()
    kind = str(form.get("kind", ""))
    if kind not in COOKIES or not _same_origin(request):
        return _no_store(PlainTextResponse("bad request", status_code=400))
    startup = await run_in_threadpool(services)
    token = await run_in_threadpool(sessions.claim, startup.store, str(form.get("h", "")))
    if token is None:
        return _no_store(PlainTextResponse("expired", status_code=410))
    found = await run_in_threadpool(sessions.lookup, startup.store, token, kind, float("inf"))
    device = signin.device_token(startup.store.code_key, kind, found.subject) if found else None
    response = Response(status_code=204)
    _set_cookie(response, request, kind, token, startup.config.trusted_proxies, device)
    return _no_store(response)


async def end(request: Request) -> Response:
    form = await request.form()
    if not _same_origin(request):
        return _no_store(PlainTextResponse("bad request", status_code=400))
    response = Response(status_code=204)
    for kind in (str(form.get("kind", "")),):
        if kind in COOKIES:
            response.delete_cookie(COOKIES[kind], path="/", httponly=True, samesite="lax")
        elif kind == IDENTITY:  # a provider sign-in this app refused: nothing is kept
            from streamlit.web.server.starlette.starlette_auth_routes import _clear_auth_cookie
            _clear_auth_cookie(response, request)
    return _no_store(response)


def _base() -> str:
    base = (st_config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


class SsoCallbackMiddleware:
    """Streamlit answers every callback with a redirect to the app's front page, the
    respondents' form; one that signed nobody in (refused at the provider, a replayed or
    broken callback) goes to the sign-in page instead, which says so (`?sso=failed`)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].rstrip("/") != f"{_base()}/oauth2callback":
            await self.app(scope, receive, send)
            return

        async def send_rewritten(message):
            if message["type"] == "http.response.start" and message["status"] in (302, 303, 307):
                headers = list(message.get("headers", []))
                if not _signs_in(headers):
                    target = f"{_base()}/login?sso=failed".encode("latin-1")
                    headers = [(k, target if k.lower() == b"location" else v) for k, v in headers]
                    message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_rewritten)


def _signs_in(headers: list) -> bool:
    """The callback's answer sets Streamlit's identity cookie (not merely clears it)."""
    return any(key.lower() == b"set-cookie" and value.startswith(b"_streamlit_user=")
               and b"max-age=0" not in value.lower() for key, value in headers)


LIGHT_FORM = "/f"   # the respondents' form (ui/light_form.py's route)
# Streamlit's record of a single sign-on (its callback lands on the bare address, signed in
# here only by the page's first run)
STREAMLIT_IDENTITY_COOKIE = "_streamlit_user"


def _is_form_address(path: str) -> bool:
    """The bare address (under server.baseUrlPath, if set): what printed QR codes open."""
    return path.rstrip("/") == _base()


def _to_light_form(rest: list) -> str:
    return LIGHT_FORM + ("?" + urlencode(rest) if rest else "")


class CodeLinkMiddleware:
    """The bare address for respondents. `?code=...` there becomes a cadre session and a 303 to
    the light form without the code (the printed QR sheets); only there: on /oauth2callback
    `code` is the sign-in provider's authorization code, and other pages and routes keep their
    query as it is. The bare address without a staff session (a cadre who typed the address)
    is a 303 to the form's code screen; staff get the Streamlit app."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") \
                and _is_form_address(scope["path"]):
            params = parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                               keep_blank_values=True)
            if any(name == "code" for name, _ in params):
                request = Request(scope)
                response = await run_in_threadpool(self._open, request, params)
                await response(scope, receive, send)
                return
            if all(name == "lang" for name, _ in params) and not self._staff(Request(scope)):
                await _no_store(RedirectResponse(_to_light_form(params), status_code=303))(
                    scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _staff(request: Request) -> bool:
        """A staff member's browser (signed in, or back from single sign-on): the Streamlit
        app, which checks the session itself."""
        return bool(request.cookies.get(COOKIES[sessions.STAFF])
                    or request.cookies.get(STREAMLIT_IDENTITY_COOKIE))

    @staticmethod
    def _open(request: Request, params: list) -> Response:
        code = next(value for name, value in params if name == "code")
        rest = [(n, v) for n, v in params if n == "lang"]   # what the light form reads of it
        try:
            startup = services()
        except (StoreError, config_module.ConfigError) as exc:
            _log.error("code link while the store is unavailable: %s", exc)
            return _no_store(RedirectResponse(_to_light_form(rest), status_code=303))
        trusted = startup.config.trusted_proxies
        address = _address(request.scope.get("client"), request.headers, trusted)
        try:
            return CodeLinkMiddleware._hand_over(request, startup, code, rest, address)
        except StoreError as exc:  # the database is away: the form says so, in its language
            _log.error("code link while the store is unavailable: %s", exc)
            return _no_store(RedirectResponse(_to_light_form(rest), status_code=303))

    @staticmethod
    def _hand_over(request: Request, startup, code: str, rest: list, address) -> Response:
        trusted = startup.config.trusted_proxies
        outcome = signin.open_with_code(startup.store, startup.limits, code[:64], address,
                                        request.cookies.get(DEVICE_COOKIES[sessions.CADRE]))
        if not outcome.ok:
            rest += [("code_error", outcome.reason)]
            if outcome.reason == "wait":
                rest += [("code_wait", str(max(1, round(outcome.wait_s))))]
        response = RedirectResponse(_to_light_form(rest), status_code=303)
        # A new QR code means a new person: the session of whoever used this browser before
        # ends here, whether or not the new code is valid (a shared office PC).
        previous = request.cookies.get(COOKIES[sessions.CADRE])
        if previous:
            sessions.end(startup.store, previous, "another code")
        if outcome.ok:
            _set_cookie(response, request, sessions.CADRE, outcome.token, trusted,
                        signin.device_token(startup.store.code_key, sessions.CADRE,
                                            outcome.subject))
        elif previous:
            response.delete_cookie(COOKIES[sessions.CADRE], path="/", httponly=True,
                                   samesite="lax")
        return _no_store(response)


RATER_LIFETIME_S = 400 * 24 * 3600  # browsers cap a cookie's life at 400 days
_RATER_PAGES = ("rate", "clue")


class PublicRaterMiddleware:
    """A public page opened from a poster's QR code (/rate, /clue) gives the browser a random
    token in a lasting cookie, so that "one answer per browser, point, questionnaire and
    period" holds when the browser is closed and opened again (Streamlit's own cookie, used
    before, lasts only the browser session). Random, not derived from anything about the
    person; the pages key it with the code key (ui/browser.py)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") \
                or scope["path"].rstrip("/") not in (f"{_base()}/{p}" for p in _RATER_PAGES) \
                or rater_token(Request(scope).cookies.get(RATER_COOKIE)):
            await self.app(scope, receive, send)
            return
        cookie = Response()
        trusted = await run_in_threadpool(lambda: services().config.trusted_proxies)
        cookie.set_cookie(RATER_COOKIE, secrets.token_hex(16), max_age=RATER_LIFETIME_S,
                          path="/", httponly=True, samesite="lax",
                          secure=_is_https(Request(scope), trusted))
        extra = [h for h in cookie.raw_headers if h[0] == b"set-cookie"]

        async def send_with_cookie(message):
            if message["type"] == "http.response.start":
                message = dict(message, headers=list(message.get("headers", [])) + extra)
            await send(message)

        await self.app(scope, receive, send_with_cookie)


@asynccontextmanager
async def lifespan(app):
    """Start-up work once, when the server starts (not on the first page view)."""
    try:
        cfg = config_module.resolve()
        for problem in cfg.metrics_problems:   # the app serves; only /metrics stays local
            _log.error("monitoring setting ignored: %s", problem)
        startup = await run_in_threadpool(services)
        await run_in_threadpool(sessions.purge, startup.store)
    except config_module.ConfigError as exc:
        _log.error("configuration error at start-up: %s", exc)
    except StoreError as exc:
        # The pages show the same message; the health route answers 503 meanwhile.
        _log.error("the database could not be opened at start-up: %s", exc)
    yield
    # Shutting down: background threads finish their round and the stores close (a thread
    # still inside DuckDB at interpreter exit aborts the process).
    await run_in_threadpool(bootstrap.stop_all)


ROUTES = [Route("/healthz", health, methods=["GET"]),
          Route("/metrics", metrics, methods=["GET"]),
          Route("/session/claim", claim, methods=["POST"]),
          Route("/session/end", end, methods=["POST"])]
