"""Keeps the analytics snapshot fresh while the app runs: after data changed, at most every
`minutes` (a daemon thread; one per store). Writing is serialised with the snapshot button."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

from survey.background import Failures, concise, redact
from survey.store import StoreError, snapshot
from survey.store.core import Store

_log = logging.getLogger("survey.snapshots")
_locks: dict[Path, threading.Lock] = {}
_locks_guard = threading.Lock()


def lock_for(target: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(Path(target), threading.Lock())


def refresh(store: Store, target: Path, k: int = 5) -> snapshot.SnapshotInfo:
    """Write the snapshot now (one writer per target at a time). Any failure comes out as a
    StoreError with a message for people: queries running on the previous snapshot, even one
    spilling to disk, keep their copy (their spill folder is private to the SQL worker)."""
    # Several app servers on one PostgreSQL may share this machine and this path: one writes
    # at a time (the lock lives in the database; a no-op on the DuckDB file).
    where = f"snapshot {socket.gethostname()} {Path(target).resolve()}"
    with lock_for(target), store.engine.exclusive(where):
        try:
            return snapshot.write(store, target, k)
        except OSError as exc:
            raise StoreError(f"cannot write the snapshot: {exc.strerror or exc}",
                             f"无法写入分析快照:{exc.strerror or exc}") from exc


class SnapshotScheduler(threading.Thread):
    """Survives the database going away (PostgreSQL restarted): one log line per kind of
    failure, retries with back-off (check_every doubling, at most retry_cap_s), and writes the
    snapshot again as soon as the database answers."""

    def __init__(self, store: Store, target: Path, minutes: float, check_every: float = 10.0,
                 k: int = 5, retry_cap_s: float = 60.0):
        super().__init__(name="snapshot-scheduler", daemon=True)
        self.store, self.target, self.minutes, self.k = store, Path(target), minutes, k
        self.check_every = check_every
        self.last_version: int | None = None
        self.last_time = 0.0
        self.last_error: str | None = None
        self.failures = Failures(_log, "snapshot scheduler", retry_cap_s)
        self.stopped = threading.Event()

    def due(self) -> bool:
        changed = self.store.data_version != self.last_version or not self.target.exists()
        return changed and time.monotonic() - self.last_time >= self.minutes * 60

    def run_once(self) -> None:
        if self.due():
            version = self.store.data_version
            refresh(self.store, self.target, self.k)
            self.last_version, self.last_time = version, time.monotonic()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.run_once()
                self.last_error = None
                self.failures.succeeded()
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any failure
                self.last_error = redact(str(exc)) if isinstance(exc, StoreError) else concise(exc)
                self.failures.failed(exc)
            self.stopped.wait(self.failures.delay(self.check_every))
