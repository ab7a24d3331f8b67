"""The app's background threads outlive a PostgreSQL outage, for real: the snapshot scheduler
and reminder delivery run against a PostgreSQL cluster of this test's own (the session's
cluster serves other tests), PostgreSQL is stopped for 10 s and started again, and both
threads are still alive, logged one line per kind of failure (no traceback every tick, never
the URL's password; psycopg's pool one reconnection warning, not one a second), and did their work after the restart: a snapshot holding a submission
made after the restart, a reminder delivered to the group robot."""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import time

import duckdb
import psycopg
import pytest

from survey import reminders
from survey.background import UNAVAILABLE, concise, failure_kind
from survey.bootstrap import publish_dir
from survey.snapshot_schedule import SnapshotScheduler
from survey.store import Store
from tests.conftest import KEY, ROOT, SCHOOL, VILLAGE
from tests.pg_support import Cluster
from tests.test_reminders import AFTER, setup_round, submit
from tests.webhook_support import Robot

pytestmark = pytest.mark.timeout(240)

OUTAGE_S = 10
PASSWORD = "Outage-Secret-9f3k"
BEFORE = dt.datetime(2026, 10, 9, 10)   # before September's deadline: nobody to remind yet


class RestartableCluster(Cluster):
    """A cluster of this test's own, stopped and started again on the same port and data."""

    def app_url(self) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE ROLE survey_app LOGIN PASSWORD '{PASSWORD}'")
            conn.execute("CREATE DATABASE survey OWNER survey_app")
        return f"postgresql://survey_app:{PASSWORD}@127.0.0.1:{self.port}/survey"

    def pause(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")


@pytest.fixture
def cluster():
    c = RestartableCluster()
    yield c
    if (c.data / "postmaster.pid").exists():
        c.stop()
    else:  # a test failed while it was stopped
        shutil.rmtree(c.root, ignore_errors=True)


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return
        except Exception:  # noqa: BLE001 - the database may still be coming back
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def snapshot_submissions(target) -> int:
    con = duckdb.connect(str(target), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM submissions").fetchone()[0]
    finally:
        con.close()


def test_snapshots_and_reminders_survive_a_postgresql_outage(cluster, tmp_path, monkeypatch,
                                                             caplog):
    monkeypatch.setenv("SURVEY_WEBHOOK_HOSTS", "127.0.0.1")   # the stand-in robot's address
    caplog.set_level(logging.INFO)
    store = Store(cluster.app_url(), KEY)
    robot = Robot()
    scheduler = delivery = None
    try:
        assert not publish_dir(store, ROOT / "questionnaires")[1]
        store.add_points([VILLAGE, SCHOOL])
        monthly = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        codes = setup_round(store, monthly, robot.url, dingtalk=False)
        now = [BEFORE]
        target = tmp_path / "analytics.duckdb"
        scheduler = SnapshotScheduler(store, target, minutes=0, check_every=0.2,
                                      retry_cap_s=1.0)
        delivery = reminders.Delivery(store, tick=0.2, clock=lambda: now[0], retry_cap_s=1.0)
        scheduler.start()
        delivery.start()
        wait_for(target.exists, 30, "the first snapshot")
        assert snapshot_submissions(target) == 0

        cluster.pause()
        time.sleep(OUTAGE_S)
        assert scheduler.is_alive() and delivery.is_alive()
        # both kept trying, backing off (0.2 s doubling to 1 s, each try waiting up to the
        # pool's 5 s for a connection: 1 to 12 tries in 10 s, not one every 0.2 s)
        tries = (scheduler.failures.count, delivery.failures.count)
        assert all(1 <= n <= 12 for n in tries), tries
        assert "did not answer" in (scheduler.last_error or "") + (delivery.last_error or "") \
            or "connection" in (scheduler.last_error or "") + (delivery.last_error or "")

        cluster.resume()
        back = time.monotonic()
        # new work after the restart: a submission (the snapshot must show it) and the
        # reminder time passing (the robot must get the reminder), neither woken by the test
        wait_for(lambda: submit(store, monthly, codes[VILLAGE.point_id][0],
                                dt.datetime(2026, 10, 9, 11)) is None, 30, "a submission")
        now[0] = AFTER
        wait_for(lambda: snapshot_submissions(target) == 1, 30, "a snapshot after the restart")
        snapshot_after = time.monotonic() - back
        wait_for(lambda: len(robot.accepted) == 1, 30, "a reminder after the restart")
        reminder_after = time.monotonic() - back
        assert "清河县第一中学" in robot.texts()[0]   # the late school, reminded
        assert scheduler.failures.count == 0 and delivery.failures.count == 0
        assert scheduler.last_error is None and delivery.last_error is None
        print(f"failed tries during {OUTAGE_S} s: {tries}; after the restart: snapshot in "
              f"{snapshot_after:.1f} s, reminder in {reminder_after:.1f} s")
    finally:
        for thread in (scheduler, delivery):
            if thread is not None:
                thread.stopped.set()
        if delivery is not None:
            delivery.stop()
        if scheduler is not None:
            scheduler.join(10)
        robot.close()
        store.close()

    for name, what in (("survey.snapshots", "snapshot scheduler"),
                       ("survey.reminders", "reminder delivery")):
        lines = [r.getMessage() for r in caplog.records if r.name == name]
        # one line when the database went away, one when the work went through again
        assert len(lines) == 2, lines
        assert lines[0].startswith(f"{what}: {UNAVAILABLE} (") and "retrying" in lines[0]
        assert lines[1].startswith(f"{what}: working again after ")
        assert all(r.exc_info is None for r in caplog.records if r.name == name)
    assert PASSWORD not in caplog.text   # every logger, psycopg's pool included
    # psycopg's pool warns at each reconnection attempt (about 15 in this outage): one line
    # per distinct message shows ('shutting down', 'Connection refused', and as the timing
    # falls 'server closed the connection', 'starting up', a failed reconnection attempt)
    pool = [r.getMessage() for r in caplog.records if r.name == "psycopg.pool"]
    assert len(pool) == len(set(pool)) <= 6 and all("\n" not in line for line in pool), pool


def test_a_failure_line_names_the_kind_and_hides_passwords():
    dsn_error = duckdb.IOException(
        f"IO Error: Unable to connect to Postgres at \"host=db port=5432 user=survey_app "
        f"password={PASSWORD} dbname=survey\": connection refused")
    url_error = RuntimeError(f"cannot open postgresql://survey_app:{PASSWORD}@db:5432/survey\n"
                             "second line")
    assert failure_kind(dsn_error) == UNAVAILABLE
    assert failure_kind(url_error) == "RuntimeError"
    for exc in (dsn_error, url_error):
        assert PASSWORD not in concise(exc) and "\n" not in concise(exc)
    assert "survey_app:***@db:5432" in concise(url_error)
