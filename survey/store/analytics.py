"""The leaders' figures, computed in SQL over the analysts' views.

Every function returns aggregates only, never respondent-level rows, and applies small-group
suppression (survey.metrics.suppress) before returning: a figure from fewer than k distinct
respondents, or one that would let a reader subtract their way to such a figure, comes back
as None with suppressed=True. Only whitelisted SQL fragments are formatted into queries;
every value a person chooses is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import weakref

import numpy as np
import pandas as pd

from survey import periods
from survey.metrics import DIMENSIONS, GRAINS, Filter, share_rule, suppressed_mask
from survey.store.core import Store

_BUCKET = {"month": "iv.period_start",
           "quarter": "CAST(date_trunc('quarter', iv.period_start) AS DATE)",
           "year": "CAST(date_trunc('year', iv.period_start) AS DATE)"}
STAT_COLUMNS = ("mean", "share", "total", "p10", "p25", "p50", "p75", "p90")
# What the intervals of changes need (survey.rate_model), summed over the point-months of a
# figure: the respondents, the squared point-month totals and the binomial variance of the
# favourable counts. Hidden with the figure.
SPREAD_COLUMNS = ("responses", "total_sq", "favourable_var")


def _where(flt: Filter, indicators, table: str = "iv") -> tuple[str, list]:
    """WHERE clause over indicator_values (or the point_month rollup) joined to points p."""
    points_sql, points_params = _point_where(flt)
    clauses = [f"{table}.questionnaire_id = ?",
               f"{table}.indicator IN ({', '.join('?' * len(indicators))})", points_sql]
    params: list = [flt.questionnaire_id, *indicators, *points_params]
    if flt.start:
        clauses.append(f"{table}.period_start >= ?")
        params.append(flt.start)
    if flt.end:
        clauses.append(f"{table}.period_start <= ?")
        params.append(flt.end)
    return " AND ".join(clauses), params


def aggregate(store: Store, flt: Filter, indicators, grain: str = "month",
              by: str | None = None, k: int = 5, quantiles: bool = False,
              spread: bool = False) -> pd.DataFrame:
    """One row per indicator, period bucket and group (group is None for the filtered total):
    n respondents, points, months, mean, share, total (and quantiles), suppressed, reason;
    with spread=True also SPREAD_COLUMNS (what the intervals of changes need).

    Reads the point_month rollup (thousands of rows, not millions). For quarters and years,
    n is the largest monthly count in the bucket: a lower bound of the distinct respondents,
    so suppression errs on the side of hiding. Quantiles need the raw answers."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}")
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"cannot break down by {by!r}")
    indicators = list(indicators)
    frame = _raw_quantiles(store, flt, indicators, grain, by) if quantiles else \
        _from_rollup(store, flt, indicators, grain, by)
    columns = ["indicator", "bucket", "group", "n", "points", "months", *STAT_COLUMNS,
               *(SPREAD_COLUMNS if spread else ()), "suppressed", "reason"]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    no_share = frame["indicator"].isin([i for i in indicators if share_rule(i) == "none"])
    frame["share"] = frame["share"].astype("float64").where(~no_share)
    hidden, reason = suppressed_mask(frame, ["indicator", "bucket"], k)
    frame["suppressed"], frame["reason"] = hidden.astype(bool).to_numpy(), reason
    # hidden figures are NaN (missing), never a value
    for column in [c for c in STAT_COLUMNS + SPREAD_COLUMNS if c in frame] + ["points"]:
        frame[column] = frame[column].astype("float64").where(~frame["suppressed"])
    frame["n"] = frame["n"].astype("float64").where(frame["reason"] != "small")
    for column in STAT_COLUMNS + SPREAD_COLUMNS:
        if column not in frame:
            frame[column] = float("nan")
    return frame[columns].sort_values(["indicator", "bucket", "group"],
                                      na_position="first").reset_index(drop=True)


def _from_rollup(store, flt, indicators, grain, by) -> pd.DataFrame:
    where, params = _where(flt, indicators, table="pm")
    group = f"CAST(p.{DIMENSIONS[by]} AS VARCHAR)" if by else "NULL::VARCHAR"
    bucket = _BUCKET[grain].replace("iv.", "pm.")
    return store.frame(f"""
        WITH monthly AS (
            SELECT pm.indicator, {bucket} AS bucket, {group} AS grp, pm.period_start,
                   sum(pm.n) AS n, count(*) AS points, sum(pm.total) AS total,
                   sum(pm.favourable) AS favourable, sum(pm.total * pm.total) AS total_sq,
                   sum(pm.favourable * (1 - pm.favourable / pm.n)) AS favourable_var
            FROM point_month pm JOIN points p USING (point_id)
            WHERE {where} AND pm.n > 0
            GROUP BY ALL)
        SELECT indicator, bucket, grp AS "group", max(n) AS n, max(points) AS points,
               count(*) AS months, sum(total) / sum(n) AS mean, sum(favourable) / sum(n) AS share,
               sum(total) AS total, sum(n) AS responses, sum(total_sq) AS total_sq,
               sum(favourable_var) AS favourable_var
        FROM monthly GROUP BY ALL""", params).assign(
        bucket=lambda f: pd.to_datetime(f["bucket"]).dt.date)


def _raw_quantiles(store, flt, indicators, grain, by) -> pd.DataFrame:
    where, params = _where(flt, indicators)
    group = f"CAST(p.{DIMENSIONS[by]} AS VARCHAR)" if by else "NULL::VARCHAR"
    rows = store.query(f"""
        SELECT iv.indicator, {_BUCKET[grain]} AS bucket, {group} AS grp,
               count(DISTINCT iv.respondent_key), count(DISTINCT iv.point_id),
               count(DISTINCT iv.period_start), avg(iv.value), NULL::DOUBLE, sum(iv.value),
               quantile_cont(iv.value, [0.1, 0.25, 0.5, 0.75, 0.9])
        FROM indicator_values iv JOIN points p USING (point_id)
        WHERE {where} GROUP BY ALL""", params)
    frame = pd.DataFrame(rows, columns=["indicator", "bucket", "group", "n", "points", "months",
                                        "mean", "share", "total", "q"])
    for i, name in enumerate(("p10", "p25", "p50", "p75", "p90")):
        frame[name] = frame["q"].map(lambda q, i=i: q[i])
    return frame.drop(columns=["q"])


def point_means(store: Store, flt: Filter, indicators, k: int) -> pd.DataFrame:
    """Monthly means per point from the rollup, only where at least k respondents gave them
    (for early warnings: rows point, indicator; one column per month). Complementary
    suppression is not needed here: no page shows all points of a total at once, so no
    hidden point-month can be recovered by subtraction."""
    if flt.start is None or flt.end is None:
        raise ValueError("point_means needs a period range (start and end)")
    where, params = _where(flt, list(indicators), table="pm")
    months = [periods.bounds("month", key)[0].isoformat()
              for key in periods.span("month", f"{flt.start:%Y-%m}", f"{flt.end:%Y-%m}")]
    columns = ", ".join(f"'{m}'" for m in months)  # generated dates, not user input
    frame = store.frame(f"""
        PIVOT (SELECT pm.point_id AS point, pm.indicator,
                      strftime(pm.period_start, '%Y-%m-%d') AS month, pm.total / pm.n AS mean
               FROM point_month pm JOIN points p USING (point_id)
               WHERE {where} AND pm.n >= ?)
        ON month IN ({columns}) USING first(mean) GROUP BY point, indicator""", params + [k])
    if frame.empty:
        return pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["point", "indicator"]))
    frame = frame.set_index(["point", "indicator"])
    frame.columns = [dt.date.fromisoformat(c) for c in frame.columns]
    return frame[sorted(frame.columns)]


def point_counts(store: Store, flt: Filter, cells: dict[str, list[dt.date]], k: int,
                 points: list[str] | None = None
                 ) -> tuple[list[str], list[str], list[dt.date], np.ndarray, np.ndarray]:
    """Respondents and totals per point, only for the (indicator, month) cells asked and only
    where at least k respondents gave them (what the warning rules read: see point_means):
    (points, indicators, months, n, total), the arrays shaped (points, indicators, months),
    NaN where a cell was not asked, has no figure or is suppressed. Every point of the filter
    (or of `points`) has its row.

    One scan of point_month: the cells are a join, not a pivot, and the answer is three
    numeric columns (a cell number, n and the total) put in place with numpy, so no string per
    row crosses into Python. The points are fixed first and passed in, so a point added
    meanwhile cannot shift the numbering."""
    indicators = sorted(cells)
    months = sorted({m for ms in cells.values() for m in ms})
    if points is None:
        points = point_ids(store, flt)
    shape = (len(points), len(indicators), len(months))
    n, total = np.full(shape, np.nan), np.full(shape, np.nan)
    slots = [(indicator, m, i * len(months) + months.index(m))
             for i, indicator in enumerate(indicators) for m in cells[indicator]]
    if points and slots:
        rows = ", ".join("(?, CAST(? AS DATE), ?)" for _ in slots)
        sql = f"""
            WITH ids AS (SELECT point_id, i - 1 AS i FROM unnest(?::VARCHAR[])
                         WITH ORDINALITY AS t(point_id, i)),
                 cells(indicator, period_start, slot) AS (VALUES {rows})
            SELECT ids.i * {len(indicators) * len(months)} + cells.slot AS cell,
                   CAST(pm.n AS DOUBLE) AS n, pm.total
            FROM point_month pm JOIN cells USING (indicator, period_start)
                 JOIN ids USING (point_id)
            WHERE pm.questionnaire_id = ? AND pm.n >= ?"""
        with store.raw_cursor() as cur:
            found = cur.execute(sql, [points, *[x for slot in slots for x in slot],
                                      flt.questionnaire_id, k]).fetchnumpy()
        at = np.asarray(found["cell"], dtype=np.int64)
        for target, column in ((n, "n"), (total, "total")):
            target.reshape(-1)[at] = np.ma.filled(np.ma.asarray(found[column],
                                                                dtype=np.float64), np.nan)
    return points, indicators, months, n, total


def step(grain: str) -> dict:
    return {"month": {"months": 1}, "quarter": {"months": 3}, "year": {"months": 12}}[grain]


def shift(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 - months
    return dt.date(total // 12, total % 12 + 1, 1)


def with_changes(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Add previous-period and same-period-last-year values and their changes, (new-old)/old."""
    from survey.metrics import pct_change
    if frame.empty:
        return frame.assign(prev=None, last_year=None, pop=None, yoy=None)
    lookup = {(r.indicator, r.group, r.bucket): r.mean for r in frame.itertuples()}
    back = step(grain)["months"]
    prev = [lookup.get((r.indicator, r.group, shift(r.bucket, back))) for r in frame.itertuples()]
    last = [lookup.get((r.indicator, r.group, shift(r.bucket, 12))) for r in frame.itertuples()]
    frame = frame.assign(prev=prev, last_year=last)
    frame["pop"] = [pct_change(a, b) for a, b in zip(frame["mean"], frame["prev"])]
    frame["yoy"] = [pct_change(a, b) for a, b in zip(frame["mean"], frame["last_year"])]
    return frame


def regions(store: Store, scope: tuple[str, ...] = ()) -> dict:
    """The region tree of active points within a scope: {prefecture: {county: [townships]}}."""
    tree: dict = {}
    for pref, county, town in store.query(
            "SELECT DISTINCT prefecture, county, township FROM points WHERE active "
            "ORDER BY ALL"):
        if pref is None or any(a != b for a, b in zip(scope, (pref, county, town))):
            continue
        if len(scope) > 1 and county is None or len(scope) > 2 and town is None:
            continue
        counties = tree.setdefault(pref, {})
        if county is not None:
            towns = counties.setdefault(county, [])
            if town is not None and town not in towns:
                towns.append(town)
    return tree


# A full scan of point_month (85 ms at L) that a page asks for several times per view (the
# filters, the burden index, the warnings): once per store, questionnaire and data version.
_ranges: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def period_range(store: Store, questionnaire_id: str = "burden_monthly") -> tuple[dt.date, dt.date] | None:
    version = store.data_version
    known = _ranges.setdefault(store, {})
    if known.get(questionnaire_id, (None,))[0] != version:
        row = store.query("SELECT min(period_start), max(period_start) FROM point_month "
                          "WHERE questionnaire_id = ? AND n > 0", [questionnaire_id])[0]
        known[questionnaire_id] = (version, None if row[0] is None else (row[0], row[1]))
    return known[questionnaire_id][1]


def point_count(store: Store, flt: Filter) -> int:
    where, params = _point_where(flt)
    return store.query(f"SELECT count(*) FROM points p WHERE p.active AND {where}", params)[0][0]


def network_means(store: Store, flt: Filter, indicators, first: dt.date, last: dt.date,
                  k: int) -> dict[tuple[str, dt.date], float]:
    """{(indicator, month): mean per respondent} over the filter's points, counting only
    point-months with at least k respondents (the profile the warnings' expected bands are
    weighted by, as early_warning.profile computes it from the cells)."""
    where, params = _where(flt.narrowed(start=first, end=last), list(indicators), table="pm")
    rows = store.query(f"""
        SELECT pm.indicator, pm.period_start, sum(pm.total) / sum(pm.n)
        FROM point_month pm JOIN points p USING (point_id)
        WHERE {where} AND pm.n >= ? GROUP BY ALL""", params + [k])
    return {(indicator, day): float(mean) for indicator, day, mean in rows if mean is not None}


def point_ids(store: Store, flt: Filter) -> list[str]:
    """The points of a filter (active or not: their past figures count)."""
    where, params = _point_where(flt)
    return [p for (p,) in store.query(
        f"SELECT p.point_id FROM points p WHERE {where} ORDER BY p.point_id", params)]


def point_names(store: Store) -> dict[str, str]:
    return dict(store.query("SELECT point_id, name FROM points"))


def responses(store: Store, flt: Filter, period_key: str, today: dt.date | None = None,
              past_deadline: bool | None = None, kind: str = "month") -> pd.DataFrame:
    """Response monitor for one period of `flt.questionnaire_id` (whose period kind is `kind`:
    a month, a year, a one-off survey's window ...): per point, codes in use, respondents who
    submitted, response rate, and whether the point is overdue: not everyone answered and the
    round's deadline has passed (`past_deadline`, from survey.rounds; without it: the period
    is over)."""
    start, end = periods.bounds(kind, period_key)
    where, params = _point_where(flt)
    rows = store.query(f"""
        SELECT p.point_id, p.name, p.kind, p.county,
               (SELECT count(*) FROM respondent r WHERE r.point_id = p.point_id
                  AND CAST(r.issued_at AS DATE) <= ?
                  AND (r.revoked_at IS NULL OR CAST(r.revoked_at AS DATE) > ?)) AS expected,
               (SELECT count(DISTINCT s.respondent_key) FROM submissions s
                  WHERE s.point_id = p.point_id AND s.questionnaire_id = ?
                  AND s.period_key = ?) AS received
        FROM points p WHERE p.active AND {where} ORDER BY p.county, p.name""",
        [end, start, flt.questionnaire_id, period_key] + params)
    frame = pd.DataFrame(rows, columns=["point_id", "name", "kind", "county", "expected",
                                        "received"])
    frame["rate"] = [r / e if e else None for r, e in zip(frame["received"], frame["expected"])]
    over = past_deadline if past_deadline is not None else (today or dt.date.today()) > end
    frame["overdue"] = [over and r < e for r, e in zip(frame["received"], frame["expected"])]
    return frame


def _point_where(flt: Filter) -> tuple[str, list]:
    clauses, params = ["TRUE"], []
    if flt.scope:
        clauses.append(f"len(p.region) >= {len(flt.scope)} AND p.region[1:{len(flt.scope)}] = ?")
        params.append(list(flt.scope))
    for column in ("prefecture", "county", "township"):
        if getattr(flt, column):
            clauses.append(f"p.{column} = ?")
            params.append(getattr(flt, column))
    for column, values in (("level", flt.levels), ("kind", flt.kinds)):
        if values:
            clauses.append(f"p.{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    return " AND ".join(clauses), params


def baseline_means(store: Store, indicators, questionnaire_id: str, first: dt.date,
                   last: dt.date) -> dict[str, float]:
    """Network-wide means over a baseline window (for the burden index), from the rollup."""
    rows = store.query("SELECT indicator, sum(total) / sum(n) FROM point_month WHERE "
                       "questionnaire_id = ? AND period_start BETWEEN ? AND ? AND n > 0 AND "
                       f"indicator IN ({', '.join('?' * len(indicators))}) GROUP BY indicator",
                       [questionnaire_id, first, last, *indicators])
    return dict(rows)
