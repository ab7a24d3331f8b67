"""The two engines hold the same data the same way: the PostgreSQL schema matches the DuckDB one
column for column, and the submit rules hold when several app processes (here: several Store
objects, each with its own connections) write one PostgreSQL database at once."""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg
import pytest

from survey import periods
from survey.bootstrap import publish_dir
from survey.store import Store
from survey.store.engine import migrations
from tests.conftest import KEY, ROOT, VILLAGE, complete_answers

# DuckDB type -> the PostgreSQL type 001_schema.sql gives it
TYPES = {"VARCHAR": "text", "VARCHAR[]": "ARRAY", "DOUBLE": "double precision",
         "DOUBLE[]": "ARRAY", "BOOLEAN": "boolean", "DATE": "date", "BIGINT": "bigint",
         "INTEGER": "integer", "TIME": "time without time zone",
         "TIMESTAMP": "timestamp without time zone", "BLOB": "bytea"}


def test_postgres_schema_matches_the_duckdb_schema_column_for_column(tmp_path, pg_url):
    duck = Store(tmp_path / "s.duckdb", KEY)
    pg = Store(pg_url, KEY)
    duck_cols = duck.engine.rows(
        "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns() "
        "WHERE table_name IN (SELECT table_name FROM duckdb_tables()) "
        "ORDER BY table_name, column_index")
    pg_cols = pg.engine.rows(
        "SELECT table_name, column_name, data_type, is_nullable = 'YES' FROM "
        "information_schema.columns WHERE table_schema = 'public' AND table_name IN "
        "(SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
        "AND table_type = 'BASE TABLE') ORDER BY table_name, ordinal_position")
    assert [(t, c, TYPES[ty], n) for t, c, ty, n in duck_cols] == pg_cols
    assert duck.schema_version() == max(n for n, _, _ in migrations("duckdb"))
    assert pg.schema_version() == max(n for n, _, _ in migrations("postgres"))
    duck.close()
    pg.close()


def _ready(url) -> tuple[Store, object]:
    store = Store(url, KEY)
    publish_dir(store, ROOT / "questionnaires")
    monthly = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    return store, monthly


def test_two_processes_double_submitting_one_token_store_it_once(pg_url):
    first, monthly = _ready(pg_url)
    first.add_points([VILLAGE])
    code = first.issue_codes(VILLAGE.point_id, 1)[0]
    second, _ = _ready(pg_url)  # another app server on the same database
    period = periods.recent("month", dt.date.today(), 1)[0]
    receipts, errors = [], []

    def tap(store):
        try:
            receipts.append(store.submit(store.respondent(code), monthly, period,
                                         complete_answers(), "same-token"))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
    threads = [threading.Thread(target=tap, args=(s,)) for s in (first, second) * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({r.submission_id for r in receipts}) == 1
    assert first.query("SELECT count(*), max(revision) FROM submissions") == [(1, 1)]
    first.close()
    second.close()


def test_revisions_from_two_processes_stay_consecutive_with_one_kept(pg_url):
    first, monthly = _ready(pg_url)
    first.add_points([VILLAGE])
    code = first.issue_codes(VILLAGE.point_id, 1)[0]
    second, _ = _ready(pg_url)
    period = periods.recent("month", dt.date.today(), 1)[0]
    errors = []

    def revise(store, n):
        try:
            for i in range(5):
                store.submit(store.respondent(code), monthly, period,
                             complete_answers(meetings=n * 10 + i), f"t-{n}-{i}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=revise, args=(s, n))
               for n, s in enumerate((first, second, first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    revisions = [r[0] for r in first.engine.rows("SELECT revision FROM submission ORDER BY 1")]
    assert revisions == list(range(1, 21))
    kept = first.engine.rows("SELECT k.submission_id, s.revision FROM kept k JOIN submission s "
                             "USING (submission_id)")
    assert len(kept) == 1 and kept[0][1] == 20
    # the rollup counts the kept submission once, with its values
    kept_meetings = first.submission_answers(kept[0][0])["meetings"]
    assert first.engine.rows("SELECT n, total FROM point_month WHERE indicator = 'meetings'") \
        == [(1, float(kept_meetings))]
    first.close()
    second.close()


def test_several_servers_starting_together_migrate_once(pg_url):
    stores, errors = [], []

    def open_one():
        try:
            stores.append(Store(pg_url, KEY))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(stores) == 4
    with psycopg.connect(pg_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
    assert len(versions) == len(set(versions)) >= 1
    for s in stores:
        s.close()


def test_a_wrong_database_url_says_what_to_check(pg_cluster):
    from survey.store import StoreError
    with pytest.raises(StoreError) as info:
        Store(pg_cluster.url("no_such_database"), KEY)
    assert "SURVEY_DATABASE_URL" in str(info.value)


def test_page_runs_in_fresh_threads_do_not_pile_up_connections(pg_url):
    """Streamlit runs each page run in a new thread: connections come from a bounded pool."""
    store, _ = _ready(pg_url)
    store.add_points([VILLAGE])

    def page_run():
        assert store.point(VILLAGE.point_id) is not None
        store._write(lambda cur: cur.execute("UPDATE point SET name = name"))
    for _ in range(5):
        threads = [threading.Thread(target=page_run) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    with psycopg.connect(pg_url) as conn:
        open_now = conn.execute(  # this database's: other tests' stores use the cluster too
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'survey-app' "
            "AND datname = current_database()").fetchone()[0]
    assert 1 <= open_now <= 10
    store.close()


def test_a_big_batch_takes_a_bounded_number_of_locks(pg_url):
    """A history import writes tens of thousands of submissions in one transaction: its
    advisory locks must fit PostgreSQL's lock table (they go by hash bucket)."""
    from survey.store.engine import LOCK_BUCKETS, lock_keys
    store = Store(pg_url, KEY)

    def work(cur):
        lock_keys(cur, [f"token-{i}" for i in range(60_000)])
        return cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                           "pid = pg_backend_pid()").fetchone()[0]
    held = store._write(work)
    assert 0 < held <= LOCK_BUCKETS
    store.close()


def test_an_outage_says_so_in_both_languages_never_shows_the_password_and_is_survived():
    """PostgreSQL stops while the app runs: reads and writes fail with the outage message (the
    page shows the Chinese one), nothing in the error chain carries the URL's password, and the
    same Store works again once the server is back."""
    import traceback

    from survey.store import StoreError
    from tests.pg_support import Cluster
    cluster = Cluster()
    try:
        password = "s3cret-Pw'x"  # trust authentication: accepted, and must never be shown
        url = cluster.url().replace("postgres@", "postgres:s3cret-Pw%27x@")
        store = Store(url, KEY)
        store.migrate()
        assert store.query("SELECT count(*) FROM submissions") == [(0,)]  # attached
        fresh = Store(url, KEY)  # another process's store: attaches for the first time later
        cluster.pause()
        for attempt in (lambda: store.query("SELECT count(*) FROM submissions"),
                        lambda: fresh.query("SELECT count(*) FROM submissions"),
                        lambda: store.points()):
            with pytest.raises(StoreError) as info:
                attempt()
            assert info.value.zh == "数据库暂时没有响应。您填写的内容仍保留在本页,请稍后再试。"
            shown = "".join(traceback.format_exception(info.value))
            assert password not in shown and "s3cret" not in shown, shown
        cluster.resume()
        back = time.monotonic()
        while True:  # what a person pressing 重试 sees: working again within seconds
            try:
                assert store.points() is not None
                break
            except StoreError:
                assert time.monotonic() - back < 4, "not working again 4 s after the restart"
                time.sleep(0.2)
        assert store.query("SELECT count(*) FROM submissions") == [(0,)]
        assert fresh.query("SELECT count(*) FROM submissions") == [(0,)]
        store.close()
        fresh.close()
    finally:
        cluster.stop()


def test_a_server_with_another_code_key_refuses_to_start_and_changes_nothing(store_target):
    """Two servers on one database with different SURVEY_CODE_KEYs would each make codes the
    other cannot read: the second one stops with what to do, in both languages."""
    from survey.store import StoreError
    first = Store(store_target, KEY)
    first.add_points([VILLAGE])
    code = first.issue_codes(VILLAGE.point_id, 1)[0]
    first.close()
    with pytest.raises(StoreError) as info:
        Store(store_target, b"another key, not the first server's")
    assert "SURVEY_CODE_KEY" in str(info.value) and "SURVEY_CODE_KEY" in info.value.zh
    assert "同一密钥" in info.value.zh
    again = Store(store_target, KEY)  # the right key still opens it, and the code still works
    assert again.respondent(code).point.point_id == VILLAGE.point_id
    again.close()
