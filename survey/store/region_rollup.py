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
differ: a write that changes point_month or the points without maintaining region_month (a
bulk load, a point edit) costs one rebuild at the next figure read, never a wrong figure.
`refresh(cur, deltas)`, called by submit right after it upserts point_month, keeps the rows
and the fingerprint current in the same transaction, so submissions need no rebuild.
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


# One point_month row's hash, as in the fingerprint, from the row's values (n, total, favourable
# given as expressions: the row before a delta is the row now minus the delta).
_ROW_HASH = {
    "duckdb": "hash(pm.point_id, pm.questionnaire_id, pm.indicator, pm.period_start, "
              "CAST({n} AS INTEGER), {total}, {favourable})",
    "postgres": "hashtextextended(concat_ws('|', pm.point_id, pm.questionnaire_id, pm.indicator, "
                "pm.period_start, CAST({n} AS integer), CAST({total} AS float8), "
                "CAST({favourable} AS float8)), 0)"}
_GROUP_KEY = ("coalesce({p}region[1], '~') || '|' || coalesce({p}region[2], '~') || '|' || "
              "coalesce({p}level, '~') || '|' || coalesce({p}kind, '~')")


def refresh(cur, deltas: dict) -> None:
    """Keep region_month current inside the submit transaction, right after point_month took
    `deltas` ({(point, questionnaire, indicator, period start): [n, total, favourable]}, as
    submissions._write_wave builds them): recompute the region_month rows of those points'
    regions and kinds in those months, and move the stored point_month fingerprint by the rows
    that changed, so the next figure read needs no rebuild. If region_month was stale before,
    it stays marked stale (both sides move by the same amount) and the next read rebuilds."""
    if not deltas:
        return
    from survey.store.engine import lock_keys
    dialect = "postgres" if is_postgres_cursor(cur) else "duckdb"
    lock_keys(cur, ["region_month"])  # PostgreSQL: app processes move the fingerprint in turn
    rows = [(*key, *value) for key, value in sorted(deltas.items())]
    row_hash = _ROW_HASH[dialect]
    new, old, added = cur.execute(f"""
        SELECT coalesce(sum({row_hash.format(n='pm.n', total='pm.total',
                                             favourable='pm.favourable')}), 0),
               coalesce(sum(CASE WHEN pm.n <> d.dn OR pm.total <> d.dt OR pm.favourable <> d.df
                            THEN {row_hash.format(n='pm.n - d.dn', total='pm.total - d.dt',
                                                  favourable='pm.favourable - d.df')} END), 0),
               count(*) FILTER (WHERE pm.n = d.dn AND pm.total = d.dt AND pm.favourable = d.df)
        FROM point_month pm JOIN (VALUES {', '.join(['(?, ?, ?, CAST(? AS DATE), ?, ?, ?)'] * len(rows))})
             AS d(point_id, questionnaire_id, indicator, period_start, dn, dt, df)
          ON pm.point_id = d.point_id AND pm.questionnaire_id = d.questionnaire_id
         AND pm.indicator = d.indicator AND pm.period_start = d.period_start""",
        [x for row in rows for x in row]).fetchone()
    stored = _stored(cur).get("point_month")
    if stored is not None:
        count, total = (int(x) for x in stored.split(":"))
        cur.execute("UPDATE region_month_state SET fingerprint = ? WHERE source = 'point_month'",
                    [f"{count + int(added)}:{total + int(new) - int(old)}"])
    points = sorted({key[0] for key in deltas})
    qids = sorted({key[1] for key in deltas})
    months = sorted({key[3] for key in deltas})
    where = (f"IN ({', '.join('?' * len(qids))}) AND {{month}} IN ({', '.join('?' * len(months))}) "
             f"AND {{group}} IN (SELECT {_GROUP_KEY.format(p='')} FROM point "
             f"WHERE point_id IN ({', '.join('?' * len(points))}))")
    params = [*qids, *months, *points]
    cur.execute("DELETE FROM region_month WHERE questionnaire_id " +
                where.format(month="period_start", group=_GROUP_KEY.format(p="")), params)
    cur.execute(_BUILD.format(extra="AND pm.questionnaire_id " + where.format(
        month="pm.period_start", group=_GROUP_KEY.format(p="p."))), params)
