"""The analytics snapshot: a new DuckDB file holding the analysts' views and nothing else,
written beside the database and swapped in atomically, so DuckDB clients (CLI, Python, R,
DBeaver) can open it read-only while the app keeps the main file open for writing.

Built from an allow-list (survey.analyst_views), never as a copy with tables dropped
afterwards: each allowed name becomes a table filled from the view (or anonymising query) of
that name, all in one read transaction so the tables agree with each other. Accounts,
sessions, drafts, the audit log, codes, limiter state, keys and any table added later are
never read. Written to `<target>.writing` first and renamed over the target only when
complete: a writer killed halfway leaves the previous snapshot intact, and the next run starts
again from scratch.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from survey.analyst_views import ANALYST_VIEWS
from survey.store.core import Store, StoreError

# Problem reports stay anonymous: no description (free text can name its writer), the month
# instead of the moment, the county only when it has at least k points, and the reporting
# point only when at least k reports came from it.
PROBLEM_REPORTS = """
WITH county_points AS (
    SELECT region[1] AS prefecture, region[2] AS county, count(*) AS n_points
    FROM point GROUP BY ALL),
point_reports AS (SELECT point_id, count(*) AS n_reports FROM clue GROUP BY ALL)
SELECT c.problem_id, c.category, c.body_level, c.body_name, c.via,
       CAST(date_trunc('month', c.reported_at) AS DATE) AS reported_month, c.happened,
       pr.status AS problem_status, p.region[1] AS prefecture,
       CASE WHEN cp.n_points >= $k THEN p.region[2] END AS county,
       CASE WHEN r.n_reports >= $k THEN c.point_id END AS point_id,
       p.is_demo
FROM clue c
JOIN point p USING (point_id)
JOIN problem pr USING (problem_id)
JOIN point_reports r USING (point_id)
LEFT JOIN county_points cp ON cp.prefecture = p.region[1] AND cp.county = p.region[2]
"""
# Response rates need the codes in use per point: counts, never the codes or their keys.
POINT_CODES = """
SELECT point_id, count(*) AS codes_issued, count(*) FILTER (revoked_at IS NULL) AS codes_active
FROM respondent GROUP BY point_id
"""
# Where the burden comes from (docs/sources.md): the kept submissions' source rows summed per
# county, month and body, never a point, and only rows from at least k points. Bodies are
# counted as the body they were merged into (their latest version's merged_into). The same
# text, with public. tables and the k setting, is analyst.source_burden and
# analyst.off_plan_findings on PostgreSQL (migrations_pg/026_source_reports.sql).
_SOURCE_ROWS = """
WITH merged AS (
    SELECT v.body_id, v.merged_into FROM body_version v
    WHERE v.revision = (SELECT max(w.revision) FROM body_version w WHERE w.body_id = v.body_id)),
cur AS (
    SELECT r.submission_id, r.point_id, r.month, r.topic, r.off_plan, r.amount,
           CASE WHEN r.body_id IS NULL THEN r.other_text ELSE '' END AS named,
           coalesce(m.merged_into, r.body_id) AS body_id,
           p.region[1] AS prefecture, p.region[2] AS county, p.is_demo
    FROM source_report r
    JOIN kept k USING (submission_id)
    JOIN point p ON p.point_id = r.point_id
    LEFT JOIN merged m ON m.body_id = r.body_id)"""
SOURCE_BURDEN = _SOURCE_ROWS + """,
per_submission AS (
    SELECT prefecture, county, is_demo, body_id, month, topic, point_id, submission_id,
           sum(amount) AS amount
    FROM cur WHERE body_id IS NOT NULL
    GROUP BY prefecture, county, is_demo, body_id, month, topic, point_id, submission_id),
per_point AS (
    SELECT prefecture, county, is_demo, body_id, month, topic, point_id,
           CASE WHEN topic = 'inspections' THEN max(amount) ELSE sum(amount) END AS amount
    FROM per_submission GROUP BY prefecture, county, is_demo, body_id, month, topic, point_id)
SELECT prefecture, county, month, body_id, topic, sum(amount) AS amount, count(*) AS points,
       is_demo
FROM per_point GROUP BY prefecture, county, month, body_id, topic, is_demo
HAVING count(*) >= $k
"""
OFF_PLAN_FINDINGS = _SOURCE_ROWS + """,
per_submission AS (
    SELECT prefecture, county, is_demo, month, body_id, named, off_plan, point_id,
           submission_id, count(*) AS n
    FROM cur WHERE topic = 'inspections' AND off_plan IS NOT NULL
    GROUP BY prefecture, county, is_demo, month, body_id, named, off_plan, point_id,
             submission_id),
per_point AS (
    SELECT prefecture, county, is_demo, month, body_id, named, off_plan, point_id, max(n) AS n
    FROM per_submission
    GROUP BY prefecture, county, is_demo, month, body_id, named, off_plan, point_id)
SELECT prefecture, county, month, body_id, named AS body_named, off_plan AS reason,
       sum(n) AS inspections, count(*) AS points, is_demo
FROM per_point GROUP BY prefecture, county, month, body_id, named, off_plan, is_demo
HAVING count(*) >= $k
"""
_DERIVED = {"problem_reports": PROBLEM_REPORTS, "point_codes": POINT_CODES,
            "source_burden": SOURCE_BURDEN, "off_plan_findings": OFF_PLAN_FINDINGS}


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    created_at: dt.datetime
    seconds: float
    bytes: int
    data_version: int


def partial_path(target: Path) -> Path:
    """Where a snapshot is written before it is swapped in. Not `<target>.tmp`: that is the
    folder a DuckDB client opening the snapshot spills to."""
    return Path(target).with_name(Path(target).name + ".writing")


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def source_sql(name: str) -> str:
    """The query one allowed relation is written from ($k: the small-group threshold)."""
    if name not in ANALYST_VIEWS:
        raise StoreError(f"{name!r} is not on the analysts' allow-list (survey.analyst_views)")
    return _DERIVED.get(name) or f'SELECT * FROM main."{name}"'


def columns(store: Store) -> dict[str, list[tuple[str, str]]]:
    """Column names and types of every allowed relation, as the snapshot will hold them."""
    out = {}
    for name in ANALYST_VIEWS:
        sql = source_sql(name).replace("$k", "5")
        out[name] = [(row[0], row[1]) for row in store.query(f"DESCRIBE {sql}")]
    return out


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def write(store: Store, target: Path, k: int = 5) -> SnapshotInfo:
    target = Path(target)
    tmp = partial_path(target)
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        _remove(leftover)
    started = time.perf_counter()
    version = store.data_version
    created = dt.datetime.now().replace(microsecond=0)
    with store.raw_cursor() as cur:
        cur.execute(f"ATTACH {_quote(tmp)} AS snapshot_out")
        try:
            cur.execute("BEGIN TRANSACTION")  # one consistent read of every view
            try:
                _fill(cur, created, k)
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        finally:
            cur.execute("DETACH snapshot_out")
    try:
        os.chmod(tmp, 0o600)  # readable by the service account only; grant analysts deliberately
        os.replace(tmp, target)
    except OSError as exc:
        raise StoreError(f"cannot replace the snapshot {target.name}: {exc.strerror}") from exc
    return SnapshotInfo(target, created, time.perf_counter() - started, target.stat().st_size,
                        version)


def _fill(cur, created: dt.datetime, k: int) -> None:
    for name in ANALYST_VIEWS:
        sql = source_sql(name)
        cur.execute(f'CREATE TABLE snapshot_out.main."{name}" AS {sql}',
                    {"k": k} if "$k" in sql else None)
    cur.execute("CREATE TABLE snapshot_out.main.snapshot_info AS SELECT "
                "CAST($created AS TIMESTAMP) AS created_at, (SELECT max(version) FROM "
                "schema_migrations) AS schema_version, CAST($k AS INTEGER) AS k_anonymity",
                {"created": created, "k": k})
