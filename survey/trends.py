"""What the leaders' pages show, composed from analytics (SQL) and the YAML definitions.

Every frame returned here is already suppressed for small groups; pages only format it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from survey import early_warning, periods
from survey.indicators import INDICATORS
from survey.leader_config import IndexDefinition, WarningRule
from survey.metrics import HEADLINE, Filter, favourable
from survey.store import Store
from survey.store import analytics


def latest_complete(buckets, grain: str, today: dt.date | None = None) -> dt.date | None:
    """The newest bucket that has ended (a month in progress is not a fair headline)."""
    today = today or dt.date.today()
    months = analytics.step(grain)["months"]
    done = [b for b in buckets if analytics.shift(b, -months) <= today]
    return max(done) if done else (max(buckets) if len(buckets) else None)


def headline(store: Store, flt: Filter, grain: str, bucket: dt.date | None, k: int,
             indicators=HEADLINE) -> tuple[dt.date | None, pd.DataFrame]:
    """One row per indicator for the chosen bucket: mean, share, n, changes and whether each
    change is good news. The filter's period range is widened to reach last year's figures."""
    wide = flt.narrowed(start=None, end=flt.end)
    frame = analytics.with_changes(analytics.aggregate(store, wide, indicators, grain, k=k), grain)
    if frame.empty:
        return None, frame
    bucket = bucket or latest_complete(sorted(frame["bucket"].unique()), grain)
    rows = frame[(frame["bucket"] == bucket) & frame["group"].isna()].copy()
    rows["good_pop"] = [favourable(i, c) for i, c in zip(rows["indicator"], rows["pop"])]
    rows["good_yoy"] = [favourable(i, c) for i, c in zip(rows["indicator"], rows["yoy"])]
    order = {key: i for i, key in enumerate(indicators)}
    return bucket, rows.sort_values("indicator", key=lambda s: s.map(order)).reset_index(drop=True)


def series(store: Store, flt: Filter, indicator: str, grain: str, k: int,
           by: str | None = None, quantiles: bool = False) -> pd.DataFrame:
    frame = analytics.aggregate(store, flt, [indicator], grain, by=by, k=k, quantiles=quantiles)
    frame = analytics.with_changes(frame, grain)
    if by:
        frame = frame[frame["group"].notna()]
    return frame.reset_index(drop=True)


def point_count(store: Store, flt: Filter) -> int:
    return analytics.point_count(store, flt)


def heatmap(store: Store, flt: Filter, indicator: str, k: int) -> pd.DataFrame:
    """Points x months for one indicator (cells under k respondents suppressed)."""
    frame = analytics.aggregate(store, flt, [indicator], "month", by="point", k=k)
    frame = frame[frame["group"].notna()].copy()
    names = analytics.point_names(store)
    frame["point"] = frame["group"].map(names)
    return frame.reset_index(drop=True)


def baseline_window(store: Store, definition: IndexDefinition, questionnaire_id: str
                    ) -> tuple[dt.date, dt.date] | None:
    if definition.baseline_from and definition.baseline_to:
        return (periods.bounds("month", definition.baseline_from)[0],
                periods.bounds("month", definition.baseline_to)[0])
    span = analytics.period_range(store, questionnaire_id)
    if span is None:
        return None
    return span[0], analytics.shift(span[0], -(definition.first_months - 1))


def burden_index(store: Store, flt: Filter, definition: IndexDefinition, grain: str, k: int,
                 by: str | None = None) -> pd.DataFrame:
    """The composite index per bucket (and group): 100 * sum(w * mean / base) / sum(w)."""
    window = baseline_window(store, definition, flt.questionnaire_id)
    indicators = [ind for ind, _ in definition.components]
    columns = ["bucket", "group", "index", "components", "suppressed"]
    if window is None:
        return pd.DataFrame(columns=columns)
    base = analytics.baseline_means(store, indicators, flt.questionnaire_id, *window)
    frame = analytics.aggregate(store, flt, indicators, grain, by=by, k=k)
    if by:
        frame = frame[frame["group"].notna()]
    weights = pd.Series(dict(definition.components))
    part = frame[frame["mean"].notna() & frame["indicator"].map(lambda i: bool(base.get(i)))]
    if part.empty:
        return pd.DataFrame(columns=columns)
    weight = part["indicator"].map(weights)
    part = part.assign(weighted=weight * part["mean"] / part["indicator"].map(base), weight=weight,
                       group=part["group"].fillna(""))
    sums = part.groupby(["bucket", "group"])[["weighted", "weight"]].sum()
    counts = part.groupby(["bucket", "group"]).size()
    out = pd.DataFrame({"bucket": [b for b, _ in sums.index],
                        "group": [g or None for _, g in sums.index],
                        "index": (100 * sums["weighted"] / sums["weight"]).to_numpy(),
                        "components": counts.to_numpy(), "suppressed": False})
    return out[columns].reset_index(drop=True)


def alerts(store: Store, flt: Filter, rules: list[WarningRule], k: int,
           today: dt.date | None = None) -> tuple[dt.date | None, list, pd.DataFrame]:
    """(month evaluated, alerts, evidence): evidence is the point x month means behind them,
    rows (point, indicator), for the last 24 months."""
    needed = sorted({i for r in rules for i in r.indicators} |
                    {r.formal for r in rules if r.formal})
    span = analytics.period_range(store, flt.questionnaire_id)
    if not needed or span is None:
        return None, [], pd.DataFrame()
    latest = latest_complete([span[1], analytics.shift(span[1], 1)], "month", today)
    latest = min(latest, flt.end or latest)
    earliest = analytics.shift(latest, 23)
    policies = [analytics.shift(r.policy_date.replace(day=1), r.baseline_months)
                for r in rules if r.policy_date]
    start = min([earliest] + policies)
    pivot = analytics.point_means(store, flt.narrowed(start=start, end=latest), needed, k)
    if pivot.empty:
        return None, [], pd.DataFrame()
    found = early_warning.evaluate_frame(rules, pivot, latest)
    evidence = pivot[[c for c in pivot.columns if c >= earliest]]
    return latest, found, evidence


PUBLIC_QUESTIONNAIRE = "public_rating"


def public_and_cadres(store: Store, flt: Filter, k: int) -> pd.DataFrame:
    """Per quarter: the public's rating of the points' service (万人评) beside the cadres' own
    satisfaction with burden reduction: mean, share satisfied (top two), raters."""
    cadres = analytics.aggregate(store, flt, ["satisfaction"], "quarter", k=k)
    public = analytics.aggregate(store, flt.narrowed(questionnaire_id=PUBLIC_QUESTIONNAIRE),
                                 ["public_satisfaction"], "quarter", k=k)
    frame = pd.concat([cadres.assign(who="cadres"), public.assign(who="public")])
    return frame[frame["group"].isna()].reset_index(drop=True)


def responses(store: Store, flt: Filter, period_key: str) -> pd.DataFrame:
    return analytics.responses(store, flt, period_key)


def indicator_label(key: str, lang: str) -> str:
    info = INDICATORS[key]
    return info.en if lang == "en" else info.zh


def indicator_unit(key: str, lang: str) -> str:
    info = INDICATORS[key]
    return info.unit_en if lang == "en" else info.unit_zh


def bucket_label(bucket: dt.date, grain: str) -> str:
    if grain == "month":
        return f"{bucket:%Y-%m}"
    if grain == "quarter":
        return f"{bucket.year}-Q{(bucket.month - 1) // 3 + 1}"
    return str(bucket.year)
