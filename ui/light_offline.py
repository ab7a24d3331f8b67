"""What the light form (ui/light_form.py) needs for "nothing typed is lost, even offline":
its small script (ui/static/light_form.js), served under a versioned address with a long
cache lifetime, the opaque id under which the page keeps unconfirmed answers in the browser,
and the key a submit carries so that sending it again never submits twice.

The script is progressive: without it every step is a plain form post (docs/access.md, "The
light form")."""

from __future__ import annotations

import hashlib
import re
import uuid
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from survey.i18n import t

_SCRIPT = (Path(__file__).parent / "static" / "light_form.js").read_bytes()
_VERSION = hashlib.sha256(_SCRIPT).hexdigest()[:10]
SCRIPT_URL = f"/f/light-{_VERSION}.js"  # a new file is a new address: cached for a year
_KEY = re.compile(r"[0-9a-f]{32}")

# The status line's words, one per state of the page's unconfirmed answers (i18n keys).
STATUS_TEXTS = {"saving": "lf_saving", "saved": "lf_saved", "offline": "lf_offline",
                "down": "lf_down"}


def form_id(respondent, qn_id: str, period: str) -> str:
    """The browser's name for one cadre's form of one period: a digest of the respondent key
    (itself a keyed digest of the code), so never the code, and nothing about the person.
    The same on every visit, so answers kept offline come back when the link is reopened."""
    return hashlib.sha256(f"{respondent.key}|{qn_id}|{period}".encode()).hexdigest()[:20]


def new_key() -> str:
    """A submit's idempotency key, minted when the confirmation is drawn (the submission's
    client token: the store returns the first receipt for a token it has seen)."""
    return uuid.uuid4().hex


def posted_key(form) -> str | None:
    key = str(form.get("key") or "")
    return key if _KEY.fullmatch(key) else None


def status_texts(lang: str) -> dict[str, str]:
    return {state: t(key, lang) for state, key in STATUS_TEXTS.items()}


async def script(request: Request) -> Response:
    if request.path_params["version"] != _VERSION:  # an old page after a release: the new file
        return Response(status_code=404)
    return Response(_SCRIPT, media_type="text/javascript", headers={
        "Cache-Control": "public, max-age=31536000, immutable"})


ROUTES = [Route("/f/light-{version}.js", script, methods=["GET"])]
