"""Backups and restores: the whole database (every table) and the code key in one encrypted
file (survey/backup_file.py), made while the app runs, restored into an empty DuckDB file or
PostgreSQL database, across engines. docs/operations.md says how an operator uses them.

- make_backup(): one consistent read of every table (survey/store/dump.py), streamed into the
  file; written as NAME.partial and renamed when complete, so a folder never lists half a
  backup. Records app_setting last_backup_at (the /metrics "age of the last backup").
- restores: survey/restore.py.
- retention: which backups of a folder to keep (daily / weekly / monthly).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from survey import backup_file
from survey.backup_file import BackupError, Writer, passphrase_problem
from survey.config import PROJECT_ROOT
from survey.observability import LAST_BACKUP_SETTING as LAST_BACKUP_AT  # /metrics reads it
from survey.store import Store, dump, settings
from survey.store.respondents import key_fingerprint

NAME = re.compile(r"^survey-backup-(\d{8}T\d{6}Z)\.zip$")
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    created_at: dt.datetime | None  # aware (UTC)
    bytes: int
    schema: int | None
    engine: str | None
    seconds: float | None = None
    rows: int | None = None
    problem: BackupError | None = None  # a file in the folder that is no readable backup


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def app_version() -> dict:
    """The app's version and, in a git checkout, its commit (both recorded in a backup)."""
    version = None
    try:
        import tomllib
        with (PROJECT_ROOT / "pyproject.toml").open("rb") as fh:
            version = tomllib.load(fh)["project"]["version"]
    except (OSError, KeyError, ValueError):
        pass
    try:
        commit = subprocess.run(["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
                                capture_output=True, text=True, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"app_version": version, "app_commit": commit}


def backup_name(when: dt.datetime) -> str:
    return f"survey-backup-{when.astimezone(dt.timezone.utc).strftime(_STAMP)}.zip"


def _destination(dest: Path, when: dt.datetime) -> Path:
    """A folder gets a dated name inside."""
    if dest.is_dir():
        return dest / backup_name(when)
    if not dest.parent.is_dir():
        raise BackupError(f"The folder {dest.parent} does not exist: create it or give another "
                          "place for the backup.",
                          f"文件夹 {dest.parent} 不存在:请先创建,或换一个备份位置。")
    return dest


def make_backup(store: Store, code_key: bytes, dest: Path, passphrase: str | None,
                actor: str | None = None, stop=None) -> BackupInfo:
    """Back up the database and the code key to `dest` (a file, or a folder to put a dated file
    in) while the app keeps working. `actor`: the person who asked (audit-logged); None for
    the schedule. `stop`: an Event that ends the backup early (the app is stopping)."""
    problem = passphrase_problem(passphrase)
    if problem:
        raise problem
    started, created = time.perf_counter(), _utcnow()
    target = _destination(Path(dest), created)
    partial = target.with_name(target.name + ".partial")
    try:
        with dump.snapshot(store) as snap:
            level = snap.level()
            clear = {"created_at": created.isoformat(), "engine": store.dialect, "schema": level,
                     **app_version()}
            writer = Writer(partial, passphrase, clear)
            try:
                writer.add_bytes(backup_file.CODE_KEY, code_key)
                tables = {}
                for table in snap.tables:
                    record = writer.add_table(table.name, snap.batches(table), stop)
                    tables[table.name] = {"rows": record["rows"],
                                          "columns": [list(c) for c in table.columns]}
                first, last = snap.period_range()
                writer.finish({**clear, "tables": tables, "migrations": snap.migrations(),
                               "sequences": snap.sequences(), "periods": [first, last],
                               "source": store.engine.label,
                               "code_key_fingerprint": key_fingerprint(code_key)})
            except BaseException:
                writer.abort()
                raise
        with open(partial, "rb+") as fh:  # on disk before it is named complete
            os.fsync(fh.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    except OSError as exc:
        raise BackupError(f"Cannot write the backup {target}: {exc.strerror or exc}. Check that "
                          "the folder is writable and has room.",
                          f"无法写入备份 {target}:{exc.strerror or exc}。请检查该文件夹可写且空间"
                          "足够。") from exc
    finally:
        partial.unlink(missing_ok=True)
    info = BackupInfo(target, created, target.stat().st_size, level, store.dialect,
                      time.perf_counter() - started, sum(t["rows"] for t in tables.values()))
    if store.read_only:  # a database opened to read only (an old file kept as it is)
        return info
    settings.save_setting(store, LAST_BACKUP_AT, created.isoformat(), "system", audited=False)
    if actor:
        store.audit(actor, "backup", target.name, bytes=info.bytes, schema=level)
    return info


def describe(path: Path) -> BackupInfo:
    """A backup's time, size, schema and engine from its clear summary (no passphrase)."""
    size = path.stat().st_size
    try:
        clear = backup_file.read_clear(path)
    except BackupError as exc:
        return BackupInfo(path, None, size, None, None, problem=exc)
    return BackupInfo(path, dt.datetime.fromisoformat(clear["created_at"]), size,
                      clear.get("schema"), clear.get("engine"))


def list_backups(folder: Path) -> list[BackupInfo]:
    """The backups in a folder, newest first."""
    if not folder.is_dir():
        return []
    found = [describe(p) for p in folder.iterdir() if NAME.match(p.name) and p.is_file()]
    epoch = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return sorted(found, key=lambda b: (b.created_at or epoch, b.path.name), reverse=True)


def name_time(path: Path) -> dt.datetime | None:
    m = NAME.match(path.name)
    return dt.datetime.strptime(m[1], _STAMP).replace(tzinfo=dt.timezone.utc) if m else None


# -- retention ------------------------------------------------------------------------------

RECENT = dt.timedelta(hours=24)


def to_keep(times: list[dt.datetime], daily: int, weekly: int, monthly: int,
            tz=None, now: dt.datetime | None = None) -> set[dt.datetime]:
    """The newest backup of each of the last `daily` days, `weekly` ISO weeks and `monthly`
    months that have one (local time), every backup of the last 24 hours (a 立即备份 before an
    upgrade must not replace the morning's scheduled one), and always the newest of all."""
    now = now or _utcnow()
    keep: set[dt.datetime] = {t for t in times if now - t < RECENT}
    newest_first = sorted(times, reverse=True)
    for count, bucket in ((daily, lambda t: t.date()),
                          (weekly, lambda t: t.isocalendar()[:2]),
                          (monthly, lambda t: (t.year, t.month))):
        seen = []
        for when in newest_first:
            key = bucket(when.astimezone(tz))
            if key not in seen:
                seen.append(key)
                if len(seen) > count:
                    break
                keep.add(when)
    return keep | set(newest_first[:1])


def prune(folder: Path, keep: tuple[int, int, int]) -> list[Path]:
    """Delete the dated backups of a folder that retention does not keep (other files are
    left alone); returns what was deleted."""
    dated = {name_time(p): p for p in folder.iterdir() if NAME.match(p.name)}
    kept = to_keep(list(dated), *keep)
    gone = []
    for when, path in dated.items():
        if when not in kept:
            path.unlink(missing_ok=True)
            gone.append(path)
    return gone


def same_disk(folder: Path, db_path: Path) -> bool:
    """Whether the backups would be lost with the database's disk."""
    try:
        probe = folder if folder.exists() else folder.parent
        return probe.stat().st_dev == db_path.parent.stat().st_dev
    except OSError:
        return False
