"""What GET /metrics shows (Prometheus text format, through prometheus-client): counters the core
increments where each event happens, gauges read from the database when scraped, and the
library's process information (CPU, memory, open files, Python version).

Counters and the submit-time histogram live in this process's memory, from its start: with
several app servers each server is scraped and Prometheus adds them up (`sum by`). The gauges
that describe the database (reminder backlog, last backup, schema) are read at scrape time,
cheaply, in a thread given DATABASE_TIMEOUT_S: a scrape while the database is away still
answers at once, with survey_database_up 0 and without those gauges, and never piles up
reads (one at a time; a scrape finds the one still running).

The core imports only this module (never Streamlit or the server): `SUBMISSIONS.labels(
outcome="stored").inc()` at the place the submission is stored, and so on.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

from prometheus_client import (REGISTRY, Counter, Histogram, disable_created_metrics,
                               generate_latest)
from prometheus_client.core import GaugeMetricFamily

disable_created_metrics()  # no *_created sample beside every counter: rate() needs none

DATABASE_TIMEOUT_S = 2.0
LAST_BACKUP_SETTING = "last_backup_at"  # app_setting written after every backup (ISO time)

SUBMIT_OUTCOMES = ("stored", "revision", "duplicate", "invalid", "closed", "refused")
SUBMISSIONS = Counter(
    "survey_submissions", "Submissions by outcome: stored (a new report), revision (a report "
    "submitted again), duplicate (the same client token again: the first receipt returned), "
    "invalid (answers refused), closed (the period is closed), refused (any other error)",
    ["outcome"])
SUBMIT_SECONDS = Histogram(
    "survey_submit_seconds", "Time to store a submission (outcomes stored and revision), from "
    "the call to the receipt, group commit included",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
DRAFTS_SAVED = Counter("survey_drafts_saved", "Drafts saved on the server (the fill form)")
SIGN_IN_FAILURES = Counter(
    "survey_sign_in_failures", "Sign-ins refused. kind staff (passwords; reason failed, wait, "
    "expired) or code (respondent codes; reason format, unknown, revoked, inactive, wait)",
    ["kind", "reason"])
REMINDER_FAILURES = Counter(
    "survey_reminder_delivery_failures", "Failed attempts to post a reminder to a work-group "
    "robot (each is retried with back-off)")

for _outcome in SUBMIT_OUTCOMES:  # every series exists from the start, at 0
    SUBMISSIONS.labels(outcome=_outcome)
for _kind, _reasons in (("staff", ("failed", "wait", "expired")),
                        ("code", ("format", "unknown", "revoked", "inactive", "wait"))):
    for _reason in _reasons:
        SIGN_IN_FAILURES.labels(kind=_kind, reason=_reason)

GAUGES = {
    "survey_database_up": "1 when the database answered this scrape within "
                          f"{DATABASE_TIMEOUT_S:g} s, else 0",
    "survey_schema_version": "The database's schema version (highest migration applied)",
    "survey_outbox_pending": "Reminders waiting in the outbox to be delivered",
    "survey_outbox_failing": "Pending reminders whose last delivery attempt failed",
    "survey_last_backup_timestamp_seconds": "When the last backup finished (Unix time); 0: "
                                            "no backup recorded yet",
    "survey_last_backup_age_seconds": "Seconds since the last backup; +Inf: no backup yet",
    "survey_snapshot_age_seconds": "Seconds since this server last wrote the analytics "
                                   "snapshot; +Inf: none yet (it is rewritten only after data "
                                   "changed, so a quiet week ages it)",
    "survey_snapshot_failing": "1 when this server's last try to write the snapshot failed",
    "survey_db_pool_size": "PostgreSQL connections this server holds (open or opening)",
    "survey_db_pool_available": "PostgreSQL connections idle in this server's pool",
    "survey_db_pool_waiting": "Requests waiting for a PostgreSQL connection on this server",
}


def submitted(outcome: str, seconds: float | None = None) -> None:
    SUBMISSIONS.labels(outcome=outcome).inc()
    if seconds is not None:
        SUBMIT_SECONDS.observe(seconds)


def sign_in_failed(kind: str, reason: str | None) -> None:
    SIGN_IN_FAILURES.labels(kind=kind, reason=reason or "failed").inc()


# -- gauges ---------------------------------------------------------------------------------
def database_vitals(store, now: dt.datetime | None = None) -> dict[str, float]:
    """The gauges that describe the database: a few indexed counts and one setting."""
    from survey.store import outbox, settings
    now = now or dt.datetime.now()
    pending, failing = outbox.backlog(store)
    backup = last_backup(store)
    return {"survey_schema_version": store.schema_version(),
            "survey_outbox_pending": pending, "survey_outbox_failing": failing,
            "survey_last_backup_timestamp_seconds": backup.timestamp() if backup else 0,
            "survey_last_backup_age_seconds":
                max(0.0, (now.astimezone() - backup).total_seconds()) if backup else math.inf}


def last_backup(store) -> dt.datetime | None:
    """When the last backup of this database was made, by any server (aware), or None."""
    from survey.store import settings
    return _timestamp(settings.setting(store, LAST_BACKUP_SETTING))


def _timestamp(text: str | None) -> dt.datetime | None:
    """An ISO time as written by the backup; without a zone it is this machine's local time,
    as every time the app writes."""
    try:
        return dt.datetime.fromisoformat(text.strip()).astimezone() if text else None
    except ValueError:
        return None


def server_gauges(engine=None, snapshot: Path | None = None, scheduler=None) -> dict[str, float]:
    """What this server knows without asking the database: its pool, its snapshot file."""
    values: dict[str, float] = {}
    stats = getattr(engine, "pool_stats", None)
    if stats is not None:
        pool = stats()
        values.update(survey_db_pool_size=pool["size"], survey_db_pool_available=pool["available"],
                      survey_db_pool_waiting=pool["waiting"])
    if snapshot is not None:
        try:
            values["survey_snapshot_age_seconds"] = max(0.0, time.time() - snapshot.stat().st_mtime)
        except OSError:
            values["survey_snapshot_age_seconds"] = math.inf
    if scheduler is not None:
        values["survey_snapshot_failing"] = 1 if scheduler.last_error else 0
    return values


# -- the scrape -----------------------------------------------------------------------------
_read_lock = threading.Lock()
_reading: Future | None = None


def _read(read, timeout_s: float) -> dict | None:
    """read() in a thread of its own, at most one at a time; None when it failed or did not
    answer within timeout_s (it may go on, and the next scrape waits for it instead)."""
    global _reading
    with _read_lock:
        if _reading is None or _reading.done():
            _reading = _start(read)
        reading = _reading
    try:
        return reading.result(timeout=timeout_s)
    except FutureTimeout:
        return None
    except Exception:  # noqa: BLE001 - the database is away or broken: up = 0
        return None


def _start(read) -> Future:
    future: Future = Future()

    def run():
        try:
            future.set_result(read())
        except BaseException as exc:  # noqa: BLE001 - reported as down, not raised
            future.set_exception(exc)
    threading.Thread(target=run, name="metrics-database", daemon=True).start()
    return future


class _Gauges:
    def __init__(self, values: dict[str, float]):
        self.values = values

    def collect(self):
        for name, value in self.values.items():
            yield GaugeMetricFamily(name, GAUGES[name], value=value)


def exposition(read_database, server: dict[str, float],
               timeout_s: float = DATABASE_TIMEOUT_S) -> bytes:
    """The whole /metrics text: process-wide counters and process information, this server's
    gauges, and read_database()'s gauges when it answers in time."""
    database = _read(read_database, timeout_s)
    values = {"survey_database_up": 0 if database is None else 1, **server, **(database or {})}
    return generate_latest(REGISTRY) + generate_latest(_Gauges(values))
