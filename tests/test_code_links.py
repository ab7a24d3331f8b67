"""The server reads a respondent code from the app's bare address only (`/?code=...`, what the
QR sheets printed before the light form open) and sends it on to the light form (`/f`). Every
other route keeps its query: Streamlit's /oauth2callback carries the organisation's provider's
authorization `code`, which once was taken for a respondent code and dropped, so single
sign-on never completed (issue 25). The bare address without a staff session is the form's
code screen; staff get the Streamlit app."""

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from survey import bootstrap
from survey.store import Store
from tests.conftest import KEY, VILLAGE


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.setenv("SURVEY_DB", str(tmp_path / "s.duckdb"))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    yield tmp_path / "s.duckdb"
    bootstrap.stop_all()


@pytest.fixture
def client(db):
    from ui.server import CodeLinkMiddleware

    async def echo(request):  # what the app behind the middleware was asked for
        return PlainTextResponse(f"{request.url.path}?{request.url.query}")
    app = CodeLinkMiddleware(Starlette(routes=[Route("/{path:path}", echo)]))
    with TestClient(app, follow_redirects=False) as c:
        yield c


def test_the_providers_callback_keeps_its_code_and_state(client):
    answer = client.get("/oauth2callback?code=Sp1xAuthCode-42&state=abc123")
    assert answer.status_code == 200
    assert answer.text == "/oauth2callback?code=Sp1xAuthCode-42&state=abc123"


@pytest.mark.parametrize("address", ["/trends?code=K7QM-3XPA&view=map",
                                     "/auth/login?provider=x&code=y", "/clue?point=P1&code=z",
                                     "/login?lang=en"])
def test_other_pages_and_routes_keep_their_query(client, address):
    answer = client.get(address)
    assert (answer.status_code, answer.text) == (200, address)


def test_a_wrong_code_on_a_printed_sheets_address_goes_to_the_light_form(client):
    answer = client.get("/?code=AAAA-BBBB&lang=en")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/f?lang=en&code_error=unknown"
    assert answer.headers["cache-control"] == "no-store"


def test_a_printed_sheets_code_signs_in_and_opens_the_light_form(db, client):
    store = Store(db, KEY)
    store.add_points([VILLAGE])
    code = store.issue_codes(VILLAGE.point_id, 1)[0]
    store.close()
    answer = client.get(f"/?code={code}")
    assert (answer.status_code, answer.headers["location"]) == (303, "/f")  # never the code
    assert client.cookies.get("survey_cadre")
    assert client.get(f"/?code={code}&lang=en").headers["location"] == "/f?lang=en"


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_cadre_who_types_the_address_lands_on_the_forms_code_screen(client, method):
    for address, target in (("/", "/f"), ("/?lang=en", "/f?lang=en")):
        answer = client.request(method, address)
        assert (answer.status_code, answer.headers["location"]) == (303, target)


@pytest.mark.parametrize("cookie", ["survey_staff", "_streamlit_user"])
def test_staff_get_the_streamlit_app_at_the_bare_address(client, cookie):
    """Signed in, or back from the organisation's sign-in (the page signs them in)."""
    client.cookies.set(cookie, "x")
    assert (client.get("/").status_code, client.get("/?lang=en").text) == (200, "/?lang=en")


def test_the_bare_address_with_another_query_is_the_streamlit_app(client):
    assert client.get("/?sso=failed").text == "/?sso=failed"
