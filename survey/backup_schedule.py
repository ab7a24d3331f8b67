"""The app's own backups: the app process holds the DuckDB file, so it backs itself up. Every day
at SURVEY_BACKUP_TIME (local time) into SURVEY_BACKUP_DIR, keeping 7 daily, 4 weekly and 12
monthly backups (SURVEY_BACKUP_KEEP), and at once when an admin asks (运维 / Operations page).
Without a usable SURVEY_BACKUP_PASSPHRASE it does not run, and the page says what to set.

A backup missed while the app was down is made when it is up again (the day's time has passed
and the folder has none since). Like the snapshot scheduler (survey/background.py) it outlives
a database outage: one log line per kind of failure, retries with back-off (at most every
15 minutes: a backup is heavy), one line when it works again."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
from pathlib import Path

from survey import backup, observability
from survey.backup_file import passphrase_problem
from survey.background import Failures, concise
from survey.errors import DomainError

_log = logging.getLogger("survey.backups")


def _local_now() -> dt.datetime:
    return dt.datetime.now().astimezone()


class BackupScheduler(threading.Thread):

    def __init__(self, store, config, check_every: float = 30.0, clock=_local_now,
                 retry_cap_s: float = 900.0):
        super().__init__(name="backup-scheduler", daemon=True)
        self.store, self.code_key = store, config.code_key
        self.folder: Path = config.backups
        self.passphrase = config.backup_passphrase
        self.at, self.keep = config.backup_time, config.backup_keep
        self.problem = passphrase_problem(self.passphrase)  # set: the schedule does not run
        self.check_every, self.clock = check_every, clock
        self.failures = Failures(_log, "backup scheduler", retry_cap_s)
        self.requested_by: str | None = None  # an admin pressed "back up now"
        self.busy = False
        self.last: backup.BackupInfo | None = None
        self.last_error: tuple[str, str] | None = None  # (en, zh)
        self.last_error_at: dt.datetime | None = None
        self.stopped = threading.Event()
        self._wake = threading.Event()

    def slot(self, now: dt.datetime) -> dt.datetime:
        """Today's time for the daily backup."""
        return now.replace(hour=self.at.hour, minute=self.at.minute, second=0, microsecond=0)

    def next_run(self, now: dt.datetime) -> dt.datetime:
        if self.due(now):
            return now
        slot = self.slot(now)
        return slot if now < slot else slot + dt.timedelta(days=1)

    def due(self, now: dt.datetime) -> bool:
        slot = self.slot(now)
        if now < slot:
            return False
        newest = max((t for t in map(backup.name_time, self._files()) if t), default=None)
        # several app servers on one PostgreSQL, each with its own folder: the database's own
        # record of the last backup (any server's) counts too, so the day has one backup
        shared = observability.last_backup(self.store)
        newest = max((t for t in (newest, shared) if t is not None), default=None)
        return newest is None or newest < slot

    def _files(self) -> list[Path]:
        return list(self.folder.iterdir()) if self.folder.is_dir() else []

    def request(self, actor: str) -> None:
        """Back up as soon as the thread can (the admin page's button)."""
        self.requested_by = actor
        self._wake.set()

    def stop(self, timeout: float = 15) -> None:
        self.stopped.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    def run_once(self) -> None:
        actor, self.requested_by = self.requested_by, None
        if actor is None and not self.due(self.clock()):
            return
        where = f"backup {socket.gethostname()} {self.folder.resolve()}"
        # several app servers on one PostgreSQL and one folder: one backs up at a time, and
        # the others then find today's backup there
        with self.store.engine.try_exclusive(where) as mine:
            if not mine or (actor is None and not self.due(self.clock())):
                return
            self.busy = True
            try:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                self.last = backup.make_backup(self.store, self.code_key, self.folder,
                                               self.passphrase, actor=actor, stop=self.stopped)
                gone = backup.prune(self.folder, self.keep)
                _log.warning("backup %s written (%.1f MB in %.1f s)%s", self.last.path.name,
                             self.last.bytes / 1e6, self.last.seconds,
                             f"; {len(gone)} older one(s) removed by retention" if gone else "")
            finally:
                self.busy = False

    def run(self) -> None:
        for leftover in self.folder.glob("*.zip.partial") if self.folder.is_dir() else ():
            leftover.unlink(missing_ok=True)  # a backup cut short by a stop or a crash
        while not self.stopped.is_set():
            try:
                self.run_once()
                self.last_error = None
                self.failures.succeeded()
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any failure
                self.last_error = (exc.en, exc.zh or exc.en) if isinstance(exc, DomainError) \
                    else (concise(exc),) * 2
                self.last_error_at = self.clock()
                self.failures.failed(exc)
            self._wake.wait(self.failures.delay(self.check_every))
            self._wake.clear()


def start(startup) -> BackupScheduler:
    """The app's backup scheduler (not started without a usable passphrase: `problem` says
    why, for the admin page)."""
    scheduler = BackupScheduler(startup.store, startup.config)
    if scheduler.problem is None:
        scheduler.start()
    return scheduler
