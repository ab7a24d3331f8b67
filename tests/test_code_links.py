"""The server reads a respondent code from the form's own address only (`/?code=...`, what a
QR code opens). Every other route keeps its query: Streamlit's /oauth2callback carries the
organisation's provider's authorization `code`, which once was taken for a respondent code and
dropped, so single sign-on never completed (issue 25)."""

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from survey import bootstrap
from tests.conftest import KEY


@pytest.fixture
def client(tmp_path, monkeypatch):
    from ui.server import CodeLinkMiddleware
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "s.duckdb"))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")

    async def echo(request):  # what the app behind the middleware was asked for
        return PlainTextResponse(f"{request.url.path}?{request.url.query}")
    app = CodeLinkMiddleware(Starlette(routes=[Route("/{path:path}", echo)]))
    with TestClient(app, follow_redirects=False) as c:
        yield c
    bootstrap.stop_all()


def test_the_providers_callback_keeps_its_code_and_state(client):
    answer = client.get("/oauth2callback?code=Sp1xAuthCode-42&state=abc123")
    assert answer.status_code == 200
    assert answer.text == "/oauth2callback?code=Sp1xAuthCode-42&state=abc123"


@pytest.mark.parametrize("address", ["/trends?code=K7QM-3XPA&view=map",
                                     "/auth/login?provider=x&code=y", "/clue?point=P1&code=z"])
def test_other_pages_and_routes_keep_their_query(client, address):
    answer = client.get(address)
    assert (answer.status_code, answer.text) == (200, address)


def test_a_code_in_the_forms_address_is_still_taken_out_of_it(client):
    answer = client.get("/?code=AAAA-BBBB&lang=en")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/?lang=en&code_error=unknown"
