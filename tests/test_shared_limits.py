"""Attempt limits shared by every app server (issue 21): on one PostgreSQL, a code guesser who
spreads the guesses over two servers is slowed as on one, a valid code on another server does
not reset the count, the counts age out, a flood of keys stays bounded, and no address or code
is written down. The DuckDB file (one process) keeps them in memory."""

from __future__ import annotations

import pytest

from survey import signin, throttle
from survey.store import Store, attempts
from tests.conftest import KEY, VILLAGE


@pytest.fixture
def pg_store(pg_url):
    """Several app servers share PostgreSQL: that is where limits must be shared."""
    store = Store(pg_url, KEY)
    store.add_points([VILLAGE])
    yield store
    store.close()


def test_a_guesser_over_two_servers_is_slowed_as_on_one(pg_store):
    store = pg_store
    now = [1_000_000.0]
    servers = [throttle.Limits.for_store(store, KEY) for _ in range(2)]
    for limits in servers:
        limits.codes.clock = lambda: now[0]
    real = store.issue_codes(VILLAGE.point_id, 1)[0]
    tries = 0
    while now[0] < 1_000_000 + 600:  # ten minutes, alternating servers as fast as allowed
        limits = servers[tries % 2]
        outcome = signin.open_with_code(store, limits, "ZZZZ-ZZZZ", "203.0.113.9")
        if outcome.reason == "wait":
            now[0] += outcome.wait_s
            continue
        tries += 1
        now[0] += 1.0
    assert tries <= 10 + 12, tries  # as on one server: ten free, then about one a minute
    # the owner of a real code on the same address is slowed too, on either server; once it
    # is its turn, signing in works and does not reset the guesser's count
    signin.open_with_code(store, servers[1], "ZZZZ-ZZZZ", "203.0.113.9")  # one more guess
    assert signin.open_with_code(store, servers[0], real, "203.0.113.9").reason == "wait"
    now[0] += 900 + 1  # a quiet window: the counts age out
    assert signin.open_with_code(store, servers[1], real, "203.0.113.9").ok
    rows = store._rows("SELECT key FROM attempt_limit")
    assert rows and all("203.0.113.9" not in k and "ZZZZ" not in k for (k,) in rows)


def test_a_ceiling_counts_across_servers_and_the_table_stays_bounded(pg_store, monkeypatch):
    store = pg_store
    now = [2_000_000.0]
    a, b = (throttle.Limits.for_store(store, KEY) for _ in range(2))
    for limits in (a, b):
        limits.reports.clock = lambda: now[0]
    client = a.key("client", "198.51.100.7")
    assert client == b.key("client", "198.51.100.7")  # the servers' keys agree
    for n in range(10):
        (a if n % 2 else b).reports.record(client)
    assert a.reports.wait_s(client) > 0 and b.reports.wait_s(client) > 0
    now[0] += 3601
    assert b.reports.wait_s(client) == 0
    monkeypatch.setattr(attempts, "MAX_ROWS", 50)
    monkeypatch.setattr(attempts, "PRUNE_SHARE", 1.0)
    for n in range(200):
        a.codes.failed(a.key("client", f"10.0.{n // 250}.{n % 250}"))
    assert store._one("SELECT count(*) FROM attempt_limit")[0] <= 51


def test_the_embedded_file_keeps_limits_in_memory(store):
    limits = throttle.Limits.for_store(store, KEY)
    if store.dialect == "postgres":
        assert isinstance(limits.codes, throttle.SharedThrottle)
    else:
        assert isinstance(limits.codes, throttle.Throttle)
        signin.open_with_code(store, limits, "ZZZZ-ZZZZ", "203.0.113.9")
        assert store._one("SELECT count(*) FROM attempt_limit")[0] == 0
