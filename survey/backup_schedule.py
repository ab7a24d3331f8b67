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
import json
import logging
import os
import re
import socket
import threading
import time
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
        self.cli_requests = cli_request_path(config.db_path)  # `python -m survey backup`

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
        self._back_up(actor, scheduled=actor is None)

    def _back_up(self, actor: str | None, scheduled: bool) -> backup.BackupInfo | None:
        where = f"backup {socket.gethostname()} {self.folder.resolve()}"
        # several app servers on one PostgreSQL and one folder: one backs up at a time, and
        # the others then find today's backup there
        with self.store.engine.try_exclusive(where) as mine:
            if not mine or (scheduled and not self.due(self.clock())):
                return None
            self.busy = True
            try:
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                self.last = backup.make_backup(self.store, self.code_key, self.folder,
                                               self.passphrase, actor=actor, stop=self.stopped)
                gone = backup.prune(self.folder, self.keep)
                _log.warning("backup %s written (%.1f MB in %.1f s)%s", self.last.path.name,
                             self.last.bytes / 1e6, self.last.seconds,
                             f"; {len(gone)} older one(s) removed by retention" if gone else "")
                return self.last
            finally:
                self.busy = False

    def answer_cli_request(self) -> bool:
        """`python -m survey backup` run while this app holds the DuckDB file leaves a request
        beside it; the app makes the backup and leaves the answer there (the command copies
        the file where it was asked to). Whoever may write in the database's folder may read
        the database anyway: the folder's permissions are the authentication."""
        try:
            asked = json.loads(self.cli_requests.read_text(encoding="utf-8"))
            self.cli_requests.unlink()
        except FileNotFoundError:
            return False
        except (OSError, ValueError):
            self.cli_requests.unlink(missing_ok=True)  # half written or garbage: not a request
            return False
        request_id = str(asked.get("id", "")) if isinstance(asked, dict) else ""
        if not re.fullmatch(r"[0-9a-f]{16}", request_id):
            return False
        try:
            info = self._back_up(f"cli:{str(asked.get('user', ''))[:32]}", scheduled=False)
            answer = {"ok": True, "path": str(info.path), "bytes": info.bytes,
                      "rows": info.rows, "schema": info.schema, "engine": info.engine,
                      "seconds": info.seconds} if info else \
                {"ok": False, "en": "Another app server is making a backup now; try again in "
                 "a few minutes.", "zh": "另一台应用服务器正在备份,请几分钟后再试。"}
        except Exception as exc:  # noqa: BLE001 - the command must hear why
            answer = {"ok": False, "en": exc.en, "zh": exc.zh or exc.en} \
                if isinstance(exc, DomainError) else {"ok": False, "en": concise(exc)}
        done = cli_answer_path(self.cli_requests, request_id)
        partial = done.with_name(done.name + ".partial")
        partial.write_text(json.dumps(answer, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, done)
        return True

    def run(self) -> None:
        for leftover in self.folder.glob("*.zip.partial") if self.folder.is_dir() else ():
            leftover.unlink(missing_ok=True)  # a backup cut short by a stop or a crash
        next_round = 0.0
        while not self.stopped.is_set():
            try:
                self.answer_cli_request()  # looked for every second: one stat
                if self.requested_by or time.monotonic() >= next_round:
                    next_round = time.monotonic() + self.check_every
                    self.run_once()
                self.last_error = None
                self.failures.succeeded()
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any failure
                self.last_error = (exc.en, exc.zh or exc.en) if isinstance(exc, DomainError) \
                    else (concise(exc),) * 2
                self.last_error_at = self.clock()
                self.failures.failed(exc)
                next_round = time.monotonic() + self.failures.delay(self.check_every)
            self._wake.wait(min(1.0, self.check_every))
            self._wake.clear()


def cli_request_path(db_path: Path) -> Path:
    return Path(str(db_path) + ".backup-request")


def cli_answer_path(request: Path, request_id: str) -> Path:
    return request.with_name(f"{request.name}.{request_id}.answer")


def start(startup) -> BackupScheduler:
    """The app's backup scheduler (not started without a usable passphrase: `problem` says
    why, for the admin page)."""
    scheduler = BackupScheduler(startup.store, startup.config)
    if scheduler.problem is None:
        scheduler.start()
    return scheduler
