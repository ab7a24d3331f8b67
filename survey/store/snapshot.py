"""The analytics snapshot: a consistent copy of the database with the analysts' views, written
beside it and swapped in atomically, so DuckDB clients (CLI, Python, R, DBeaver) can open it
read-only while the app keeps the main file open for writing.

Written to `<target>.tmp` first and renamed over the target only when complete: a writer killed
halfway leaves the previous snapshot intact, and the next run starts again from scratch.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path

from survey.store.core import Store, StoreError

# Not for analysts: unfinished answers, demo codes in clear, the audit trail.
LEFT_OUT = ("draft", "demo_code", "audit_log")


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    created_at: dt.datetime
    seconds: float
    bytes: int
    data_version: int


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def write(store: Store, target: Path) -> SnapshotInfo:
    target = Path(target)
    tmp = target.with_name(target.name + ".tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    started = time.perf_counter()
    version = store.data_version
    created = dt.datetime.now().replace(microsecond=0)
    with store.raw_cursor() as cur:
        source = cur.execute("SELECT current_database()").fetchone()[0]
        cur.execute(f"ATTACH {_quote(tmp)} AS snapshot_out")
        try:
            cur.execute(f'COPY FROM DATABASE "{source}" TO snapshot_out')
            for table in LEFT_OUT:
                cur.execute(f"DROP TABLE IF EXISTS snapshot_out.{table}")
            cur.execute("CREATE TABLE snapshot_out.snapshot_info AS SELECT ? AS created_at, "
                        "? AS source_database, (SELECT max(version) FROM schema_migrations) "
                        "AS schema_version", [created, str(store.path)])
        finally:
            cur.execute("DETACH snapshot_out")
    try:
        os.replace(tmp, target)
    except OSError as exc:
        raise StoreError(f"cannot replace the snapshot {target}: {exc.strerror}") from exc
    return SnapshotInfo(target, created, time.perf_counter() - started, target.stat().st_size,
                        version)
