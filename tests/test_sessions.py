"""Server-side sessions, the cookie hand-off and client addresses, on both engines."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from survey.client_address import client_address, is_this_machine, parse_trusted
from survey.store import sessions
from survey.store import Store
from tests.conftest import KEY, STAFF_PASSWORD, add_staff


def test_a_session_lives_until_it_ends_and_only_its_hash_is_stored(store):
    token = sessions.start(store, sessions.STAFF, "li", 3600)
    found = sessions.lookup(store, token, sessions.STAFF, idle_s=1800)
    assert found.subject == "li"
    assert sessions.lookup(store, token, sessions.CADRE, idle_s=1800) is None  # kinds apart
    assert store.query("SELECT count(*) FROM web_session WHERE token_hash = ?", [token]) == [(0,)]
    sessions.end(store, token, "sign-out")
    assert sessions.lookup(store, token, sessions.STAFF, idle_s=1800) is None


def test_idle_and_expired_sessions_end(store):
    idle = sessions.start(store, sessions.STAFF, "li", 3600)
    old = sessions.start(store, sessions.CADRE, "r1", 3600)
    now = dt.datetime.now()
    store._write(lambda cur: cur.execute("UPDATE web_session SET last_seen_at = ?",
                                         [now - dt.timedelta(minutes=31)]))
    assert sessions.lookup(store, idle, sessions.STAFF, idle_s=1800) is None
    store._write(lambda cur: cur.execute(
        "UPDATE web_session SET last_seen_at = ?, expires_at = ? WHERE kind = 'cadre'",
        [now, now - dt.timedelta(seconds=1)]))
    assert sessions.lookup(store, old, sessions.CADRE, idle_s=1e9) is None
    assert store.query("SELECT count(*) FROM web_session WHERE ended_at IS NULL") == [(0,)]


def test_a_password_change_or_a_disabled_account_ends_every_session(store):
    add_staff(store, "li", "leader")
    tabs = [sessions.start(store, sessions.STAFF, "li", 3600) for _ in range(2)]
    store.set_password("li", STAFF_PASSWORD + "2", "li", must_change=False)
    assert all(sessions.lookup(store, t, sessions.STAFF, 1800) is None for t in tabs)
    again = sessions.start(store, sessions.STAFF, "li", 3600)
    store.update_account("li", "boss", disabled=True)
    assert sessions.lookup(store, again, sessions.STAFF, 1800) is None


def test_a_hand_off_gives_the_token_once_and_only_within_a_minute(store):
    token = sessions.start(store, sessions.STAFF, "li", 3600)
    value = sessions.hand_off(store, token)
    stored = store.query("SELECT token_sealed FROM session_handoff")[0][0]
    assert token.encode() not in bytes(stored)
    assert sessions.claim(store, value) == token
    assert sessions.claim(store, value) is None  # used
    late = sessions.hand_off(store, token)
    store._write(lambda cur: cur.execute("UPDATE session_handoff SET expires_at = ?",
                                         [dt.datetime.now() - dt.timedelta(seconds=1)]))
    assert sessions.claim(store, late) is None
    assert sessions.claim(store, "x" * 5000) is None and sessions.claim(store, "") is None


def test_a_hand_off_raced_by_two_app_servers_gives_the_token_once(store, store_target,
                                                                  engine_name):
    """A double-tapped link (or a replayed one) reaching two app servers at the same moment:
    one of them sets the cookie, the other answers as for a used value."""
    second = Store(store_target, KEY) if engine_name == "postgres" else store
    try:
        token = sessions.start(store, sessions.STAFF, "li", 3600)
        for _ in range(5):
            value = sessions.hand_off(store, token)
            gate = threading.Barrier(8)

            def claim(s):
                gate.wait()
                return sessions.claim(s, value)
            with ThreadPoolExecutor(8) as pool:
                got = list(pool.map(claim, (store, second) * 4))
            assert got.count(token) == 1 and got.count(None) == 7
    finally:
        if second is not store:
            second.close()


def test_forged_or_garbled_tokens_find_nothing(store):
    for token in ("", "abc", "'; DROP TABLE web_session; --", "A" * 43, "é" * 43):
        assert sessions.lookup(store, token, sessions.STAFF, 1800) is None


def test_client_address_believes_forwarded_for_only_from_trusted_proxies():
    trusted = parse_trusted("127.0.0.1, 10.0.0.0/8")
    assert client_address("203.0.113.9", "1.2.3.4", trusted) == "203.0.113.9"  # forged header
    assert client_address("10.0.0.5", "198.51.100.7, 10.0.0.2", trusted) == "198.51.100.7"
    assert client_address("127.0.0.1", "6.6.6.6, 198.51.100.7", trusted) == "198.51.100.7"
    assert client_address("127.0.0.1", None, trusted) == "127.0.0.1"
    assert client_address("10.0.0.5", "1.2.3.4", ()) == "10.0.0.5"  # no proxies configured
    assert client_address(None, "1.2.3.4", trusted) is None
    try:
        parse_trusted("10.0.0.0/8, proxy.local")
    except ValueError as exc:
        assert "proxy.local" in str(exc)
    else:
        raise AssertionError("a host name is not a network")


def test_a_guesser_on_the_office_address_does_not_keep_a_known_phone_out(store):
    """OWASP device cookies: the colleague's phone has used its code before, so a guesser who
    keeps the shared address waiting does not keep that phone out."""
    from survey import signin, throttle
    limits = throttle.Limits()
    code = store.issue_codes("P-VIL-1", 1)[0]
    first = signin.open_with_code(store, limits, code, "198.51.100.7")
    device = signin.device_token(store.code_key, sessions.CADRE, first.subject)
    for n in range(40):  # the guesser, as fast as answers come
        signin.open_with_code(store, limits, f"ZZZZ-ZZ{n % 10}Z", "198.51.100.7")
    assert signin.open_with_code(store, limits, code, "198.51.100.7").reason == "wait"
    assert signin.open_with_code(store, limits, code, "198.51.100.7", device).ok
    # a device cookie helps only with its own code, and cannot be made up
    other = store.issue_codes("P-VIL-1", 1)[0]
    assert signin.open_with_code(store, limits, other, "198.51.100.7", device).reason == "wait"
    assert signin.open_with_code(store, limits, code, "198.51.100.7", "0" * 40).reason == "wait"


def test_a_guesser_cannot_keep_the_account_owner_out(store):
    from survey import signin, throttle
    add_staff(store, "admin2", "admin")
    limits = throttle.Limits()
    owner = signin.staff_sign_in(store, limits, "admin2", STAFF_PASSWORD, "10.1.1.1")
    device = signin.device_token(store.code_key, sessions.STAFF, owner.subject)
    for _ in range(6):
        signin.staff_sign_in(store, limits, "admin2", "guess", "192.0.2.2")
    assert signin.staff_sign_in(store, limits, "admin2", STAFF_PASSWORD, "10.1.1.1").reason \
        == "wait"  # a new browser waits like the guesser
    assert signin.staff_sign_in(store, limits, "admin2", STAFF_PASSWORD, "10.1.1.1", device).ok
    assert signin.staff_sign_in(store, limits, "admin2", "guess", "192.0.2.2", device).reason \
        == "failed"  # the cookie is no password


@pytest.mark.parametrize("peer,forwarded,expected", [
    (None, None, True),                    # Streamlit's way of saying localhost
    ("127.0.0.1", None, True), ("::1", None, True),
    ("::ffff:127.0.0.1", None, True),      # IPv4 on a dual-stack socket (multi_server.sh)
    ("127.0.0.1", "203.0.113.9", False),   # a proxy on this machine: the visitor is elsewhere
    ("192.0.2.2", None, False), ("::ffff:192.0.2.2", None, False), ("nonsense", None, False)])
def test_only_a_browser_on_the_server_itself_counts_as_this_machine(peer, forwarded, expected):
    assert is_this_machine(peer, forwarded) is expected
