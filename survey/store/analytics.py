"""The leaders' figures, computed in SQL over the analysts' views.

Every function returns aggregates only, never respondent-level rows, and applies small-group
suppression (survey.metrics.suppress) before returning: a figure from fewer than k distinct
respondents, or one that would let a reader subtract their way to such a figure, comes back
as None with suppressed=True. Only whitelisted SQL fragments are formatted into queries;
every value a person chooses is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pandas as pd

from survey import periods
from survey.metrics import DIMENSIONS, GRAINS, Cell, Filter, share_rule, suppress
from survey.store.core import Store

_BUCKET = {"month": "iv.period_start",
           "quarter": "CAST(date_trunc('quarter', iv.period_start) AS DATE)",
           "year": "CAST(date_trunc('year', iv.period_start) AS DATE)"}
STAT_COLUMNS = ("mean", "share", "total", "p10", "p25", "p50", "p75", "p90")


def _where(flt: Filter, indicators) -> tuple[str, list]:
    """WHERE clause over indicator_values iv joined to points p."""
    points_sql, points_params = _point_where(flt)
    clauses = ["iv.questionnaire_id = ?", f"iv.indicator IN ({', '.join('?' * len(indicators))})",
               points_sql]
    params: list = [flt.questionnaire_id, *indicators, *points_params]
    if flt.start:
        clauses.append("iv.period_start >= ?")
        params.append(flt.start)
    if flt.end:
        clauses.append("iv.period_start <= ?")
        params.append(flt.end)
    return " AND ".join(clauses), params


def aggregate(store: Store, flt: Filter, indicators, grain: str = "month",
              by: str | None = None, k: int = 5, quantiles: bool = False) -> pd.DataFrame:
    """One row per indicator, period bucket and group (group is None for the filtered total):
    n respondents, points, mean, share, total (and quantiles), suppressed, reason."""
    if grain not in GRAINS:
        raise ValueError(f"grain must be one of {GRAINS}")
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"cannot break down by {by!r}")
    indicators = list(indicators)
    where, params = _where(flt, indicators)
    rules = ", ".join("(?, ?)" for _ in indicators)
    rule_params = [v for ind in indicators for v in (ind, share_rule(ind))]
    group = f"CAST(p.{DIMENSIONS[by]} AS VARCHAR)" if by else "NULL::VARCHAR"
    q = ("quantile_cont(iv.value, [0.1, 0.25, 0.5, 0.75, 0.9])" if quantiles
         else "NULL::DOUBLE[]")
    sql = f"""
        SELECT iv.indicator, {_BUCKET[grain]} AS bucket, {group} AS grp,
               count(DISTINCT iv.respondent_key) AS n, count(DISTINCT iv.point_id) AS points,
               count(DISTINCT iv.period_start) AS months,
               avg(iv.value) AS mean,
               avg(CASE r.rule WHEN 'yes' THEN iv.value
                               WHEN 'low2' THEN CAST(iv.value <= 2 AS DOUBLE)
                               WHEN 'top2' THEN CAST(iv.value >= 4 AS DOUBLE) END) AS share,
               sum(iv.value) AS total, {q} AS q
        FROM indicator_values iv
        JOIN points p USING (point_id)
        JOIN (VALUES {rules}) AS r(indicator, rule) ON r.indicator = iv.indicator
        WHERE {where}
        GROUP BY ALL
        ORDER BY 1, 2, 3"""
    rows = store.query(sql, rule_params + params)
    cells: dict[tuple, list[Cell]] = defaultdict(list)
    extra: dict[int, tuple] = {}
    for indicator, bucket, grp, n, points_n, months, mean, share, total, qs in rows:
        values = {"mean": mean, "share": share if share_rule(indicator) != "none" else None,
                  "total": total}
        if quantiles:
            values.update(zip(("p10", "p25", "p50", "p75", "p90"), qs))
        cell = Cell(grp, n, values)
        cells[(indicator, bucket)].append(cell)
        extra[id(cell)] = (indicator, bucket, points_n, months)
    out = []
    for key, group_cells in cells.items():
        suppress(group_cells, k, total_shown=True)
        for cell in group_cells:
            indicator, bucket, points_n, months = extra[id(cell)]
            row = {"indicator": indicator, "bucket": bucket, "group": cell.group,
                   "n": None if cell.reason == "small" else cell.n,
                   "points": None if cell.suppressed else points_n, "months": months,
                   "suppressed": cell.suppressed, "reason": cell.reason}
            row.update({c: cell.values.get(c) for c in STAT_COLUMNS})
            out.append(row)
    frame = pd.DataFrame(out, columns=["indicator", "bucket", "group", "n", "points", "months",
                                       *STAT_COLUMNS,
                                       "suppressed", "reason"])
    return frame


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


def period_range(store: Store, questionnaire_id: str = "burden_monthly") -> tuple[dt.date, dt.date] | None:
    row = store.query("SELECT min(period_start), max(period_start) FROM submissions "
                      "WHERE questionnaire_id = ?", [questionnaire_id])[0]
    return None if row[0] is None else (row[0], row[1])


def point_names(store: Store) -> dict[str, str]:
    return dict(store.query("SELECT point_id, name FROM points"))


def responses(store: Store, flt: Filter, period_key: str, today: dt.date | None = None
              ) -> pd.DataFrame:
    """Response monitor for one period: per point, codes in use, respondents who submitted,
    response rate, and whether the point is overdue (period over, not everyone answered)."""
    start, end = periods.bounds("month", period_key)
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
    over = (today or dt.date.today()) > end
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
    """Network-wide means over a baseline window (for the burden index)."""
    rows = store.query("SELECT indicator, avg(value) FROM indicator_values WHERE "
                       "questionnaire_id = ? AND period_start BETWEEN ? AND ? AND indicator IN "
                       f"({', '.join('?' * len(indicators))}) GROUP BY indicator",
                       [questionnaire_id, first, last, *indicators])
    return dict(rows)
