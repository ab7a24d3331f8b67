"""region_month: the point_month rollup summed per region and kind (migration 014), so the
leaders' province and county figures read a few hundred thousand rows without a join instead
of millions joined to the points (the leader's first view at 1.7 M submissions).

It holds, per questionnaire, indicator, month, prefecture, county, level and kind, the same
sums the figures take from point_month (n, point-months with n > 0, total, favourable): sums
of sums, so any figure grouped by or filtered on those columns is the same either way
(tests/test_region_rollup.py). Township filters and breakdowns, points and quantiles still
read point_month / the answers.

Kept right by fingerprints rather than by trust: region_month_state records a fingerprint of
point_month and of the points' regions and kinds it was built from. `usable(store)` compares
them with the current ones (once per data version in a process) and rebuilds when they
differ: a write that changes point_month or the points (a submission, a bulk load, a point
edit) costs one rebuild at the next figure read, never a wrong figure.
"""

from __future__ import annotations

import threading

from survey.store.engine import is_postgres_cursor

# The filters and breakdowns region_month can answer (survey.metrics.DIMENSIONS keys).
DIMENSIONS = (None, "level", "kind", "prefecture", "county")

# The source analytics reads the figures from, with what it counts as "points".
POINT_SOURCE = ("point_month pm JOIN points p USING (point_id)", "count(*)")
# region_month is both the rollup (pm) and the attributes the filters read as p.<column>: a
# struct column named p (a lateral join of the row to itself costs 4x more at M).
REGION_SOURCE = ("(SELECT *, {'region': region, 'prefecture': prefecture, 'county': county, "
                 "'level': level, 'kind': kind} AS p FROM region_month) pm", "sum(pm.points)")

_GROUP_COLUMNS = "p.region[1:2], p.region[1], p.region[2], p.level, p.kind"
_BUILD = f"""
    INSERT INTO region_month
    SELECT pm.questionnaire_id, pm.indicator, pm.period_start, {_GROUP_COLUMNS},
           sum(pm.n), count(*), sum(pm.total), sum(pm.favourable)
    FROM point_month pm JOIN point p ON p.point_id = pm.point_id
    WHERE pm.n > 0 {{extra}}
    GROUP BY pm.questionnaire_id, pm.indicator, pm.period_start, {_GROUP_COLUMNS}"""

# Fingerprints: a row count and a sum of row hashes (any changed row changes it), in each
# engine's own SQL.
_FINGERPRINT = {
    "duckdb": {
        "point_month": "SELECT count(*) || ':' || coalesce(sum(hash(point_id, questionnaire_id, "
                       "indicator, period_start, n, total, favourable)), 0) FROM point_month",
        "point": "SELECT count(*) || ':' || coalesce(sum(hash(point_id, region[1], region[2], "
                 "level, kind)), 0) FROM point"},
    "postgres": {
        "point_month": "SELECT count(*) || ':' || coalesce(sum(hashtextextended(concat_ws('|', "
                       "point_id, questionnaire_id, indicator, period_start, n, total, "
                       "favourable), 0)), 0) FROM point_month",
        "point": "SELECT count(*) || ':' || coalesce(sum(hashtextextended(concat_ws('|', "
                 "point_id, region[1], region[2], level, kind), 0)), 0) FROM point"},
}

_checked: dict[str, tuple[int, bool]] = {}  # engine label -> (data version, usable)
_checked_lock = threading.Lock()


def covers(flt, by: str | None) -> bool:
    """Can region_month answer a figure with this filter and breakdown?"""
    return by in DIMENSIONS and not flt.township and len(flt.scope) <= 2


def source(store, flt, by: str | None) -> tuple[str, str]:
    """(FROM clause, points expression) for analytics._from_rollup."""
    if covers(flt, by) and usable(store):
        return REGION_SOURCE
    return POINT_SOURCE


def fingerprints(cur, dialect: str) -> dict[str, str]:
    return {name: str(cur.execute(sql).fetchone()[0])
            for name, sql in _FINGERPRINT[dialect].items()}


def _stored(cur) -> dict[str, str]:
    return dict(cur.execute("SELECT source, fingerprint FROM region_month_state").fetchall())


def usable(store) -> bool:
    """Does region_month agree with point_month and the points? Rebuilds it when not (where
    this process may write); checked once per data version."""
    version = store.data_version
    with _checked_lock:
        seen = _checked.get(store.engine.label)
    if seen and seen[0] == version:
        return seen[1]
    current = fingerprints(store._cursor(), store.dialect)
    ok = _stored(store._cursor()) == current
    if not ok and not store.read_only:
        with store.engine.try_exclusive("region_month rebuild") as mine:
            if mine:
                store._write(rebuild)
                ok = True
        version = store.data_version
    with _checked_lock:
        _checked[store.engine.label] = (version, ok)
    return ok


def rebuild(cur) -> None:
    """region_month from point_month and the points, and the fingerprints it was built from."""
    cur.execute("DELETE FROM region_month")
    cur.execute(_BUILD.format(extra=""))
    _stamp(cur)


def _stamp(cur) -> None:
    dialect = "postgres" if is_postgres_cursor(cur) else "duckdb"
    cur.execute("DELETE FROM region_month_state")
    for name, value in fingerprints(cur, dialect).items():
        cur.execute("INSERT INTO region_month_state VALUES (?, ?)", [name, value])
