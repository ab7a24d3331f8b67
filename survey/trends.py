"""What the leaders' pages show, composed from analytics (SQL) and the YAML definitions.

Every frame returned here is already suppressed for small groups; pages only format it.
"""

from __future__ import annotations

import datetime as dt
import weakref

import numpy as np
import pandas as pd

from survey import early_warning, periods
from survey.i18n import t
from survey.indicators import INDICATORS
from survey.leader_config import IndexDefinition, WarningRule
from survey.metrics import HEADLINE, Filter, favourable, share_rule
from survey.store import Store
from survey.store import analytics
from survey.store import rounds as round_store


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
    frame = analytics.with_changes(analytics.aggregate(store, wide, indicators, grain, k=k,
                                                       spread=True), grain)
    if frame.empty:
        return None, frame
    frame = with_intervals(with_share_changes(frame, grain), grain, spreads(store, flt, k))
    bucket = bucket or latest_complete(sorted(frame["bucket"].unique()), grain)
    rows = frame[(frame["bucket"] == bucket) & frame["group"].isna()].copy()
    rows["good_pop"] = [favourable(i, c) for i, c in zip(rows["indicator"], rows["pop"])]
    rows["good_yoy"] = [favourable(i, c) for i, c in zip(rows["indicator"], rows["yoy"])]
    order = {key: i for i, key in enumerate(indicators)}
    return bucket, rows.sort_values("indicator", key=lambda s: s.map(order)).reset_index(drop=True)


# The headline indicators by theme, in reading order: (theme key in survey.i18n, the tiles
# always shown, the tiles folded away). Together they are exactly HEADLINE.
THEMES = (
    ("theme_documents", ("documents", "meetings"), ("meeting_hours",)),
    ("theme_forms", ("forms", "form_hours"), ("duplicate_forms",)),
    ("theme_inspections", ("inspections",), ("inspection_hours",)),
    ("theme_digital", ("trace_demands", "chat_groups"), ("apps",)),
    ("theme_perception", ("satisfaction", "burden_change"), ()),
)
READING_ORDER = tuple(i for _, first, more in THEMES for i in first + more)
PERCEPTION = ("satisfaction", "burden_change")  # not burden: what cadres feel about it
SPARK_BUCKETS = {"month": 24, "quarter": 8, "year": 5}


# Tile labels short enough for a 160 px tile (the full name is in the tile's help).
SHORT_LABELS = {
    "documents": ("收文数量", "Documents"), "meetings": ("参加会议次数", "Meetings"),
    "meeting_hours": ("会议时长", "Meeting hours"), "forms": ("填报报表份数", "Forms"),
    "form_hours": ("填表报数耗时", "Form hours"), "duplicate_forms": ("重复填报", "Duplicates"),
    "inspections": ("督检考次数", "Inspections"), "inspection_hours": ("迎检耗时", "Inspection prep"),
    "trace_demands": ("过度留痕", "Traces asked"), "apps": ("政务APP数量", "Apps"),
    "chat_groups": ("工作群数量", "Chat groups"), "burden_change": ("负担变化感知", "Burden lighter"),
    "satisfaction": ("减负满意度", "Satisfied"),
}


def short_label(indicator: str, lang: str) -> str:
    zh, en = SHORT_LABELS.get(indicator) or (indicator_label(indicator, "zh"),
                                             indicator_label(indicator, "en"))
    return en if lang == "en" else zh


def shown_as_share(indicator: str) -> bool:
    """Yes/no and five-point indicators are read as a share (percent); counts and hours as a
    mean. A share's change is given in percentage points, a mean's as (new - old) / old."""
    return share_rule(indicator) != "none"


def share_rises_well(indicator: str) -> bool:
    """Is a higher share good news? Yes for satisfied and for 'burden lighter' (the low two of
    burden_change); no for 'asked to leave traces'."""
    rule = share_rule(indicator)
    return rule in ("top2", "low2") or not INDICATORS[indicator].lower_is_better


def _pp(new, old) -> float | None:
    """A change of share in percentage points (0.42 -> 0.45 is +3.0)."""
    if new is None or old is None or pd.isna(new) or pd.isna(old):
        return None
    return 100 * (new - old)


def overview(store: Store, flt: Filter, grain: str, bucket: dt.date | None, k: int,
             rules: tuple = ()) -> tuple[dt.date | None, pd.DataFrame, dict[str, list]]:
    """The trends page's opening: (bucket, one row per headline indicator, sparklines).

    Rows add to headline(): `figure` (the value read: share or mean), `yoy_pp`/`pop_pp` (share
    changes in percentage points), `change`/`change_prev` (the change shown: pp for shares,
    relative for means), their 95 % intervals `change_low`/`change_high` and
    `change_prev_low`/`change_prev_high` and whether each is clear (`change_clear`,
    `change_prev_clear`: the interval excludes no change; False is shown as 无明显变化), and
    `good` (is a clear year-on-year change good news). `rules`: the warning rules the page
    evaluates too, so both read the cells once (rate_inputs). Sparklines are the shown figure
    over the last 24 months (8 quarters, 5 years) up to the bucket; hidden figures are None (a
    gap), never zero."""
    wide = flt.narrowed(start=None, end=flt.end)
    frame = analytics.with_changes(analytics.aggregate(store, wide, HEADLINE, grain, k=k,
                                                       spread=True), grain)
    if frame.empty:
        return None, frame, {}
    total = frame[frame["group"].isna()]
    bucket = bucket or latest_complete(sorted(total["bucket"].unique()), grain)
    back = analytics.step(grain)["months"]
    compared = total["bucket"].isin([bucket, analytics.shift(bucket, back),
                                     analytics.shift(bucket, 12)])  # all the tiles need
    total = pd.concat([with_intervals(total[compared], grain, spreads(store, flt, k, rules)),
                       total[~compared].drop(columns=list(analytics.SPREAD_COLUMNS))])
    shares = {(r.indicator, r.bucket): r.share for r in total.itertuples()}
    rows = total[total["bucket"] == bucket].copy()
    rows["share_prev"] = [shares.get((i, analytics.shift(bucket, back))) for i in rows["indicator"]]
    rows["share_last_year"] = [shares.get((i, analytics.shift(bucket, 12))) for i in rows["indicator"]]
    rows["pop_pp"] = [_pp(a, b) for a, b in zip(rows["share"], rows["share_prev"])]
    rows["yoy_pp"] = [_pp(a, b) for a, b in zip(rows["share"], rows["share_last_year"])]
    as_share = rows["indicator"].map(shown_as_share)
    rows["figure"] = rows["share"].where(as_share, rows["mean"])
    rows["change"] = rows["yoy_pp"].where(as_share, rows["yoy"])
    rows["change_prev"] = rows["pop_pp"].where(as_share, rows["pop"])
    for mine, theirs in (("change", "yoy"), ("change_prev", "pop")):
        for end in ("low", "high", "clear"):
            rows[f"{mine}_{end}"] = rows[f"{theirs}_{end}"]
    rows["good"] = [None if clear is False else _good(i, c)
                    for i, c, clear in zip(rows["indicator"], rows["change"], rows["change_clear"])]
    order = {key: i for i, key in enumerate(READING_ORDER)}
    rows = rows.sort_values("indicator", key=lambda s: s.map(order)).reset_index(drop=True)
    first = analytics.shift(bucket, back * (SPARK_BUCKETS[grain] - 1))
    window = total[(total["bucket"] >= first) & (total["bucket"] <= bucket)]
    shown = np.where(window["indicator"].map(shown_as_share).astype(bool),
                     window["share"].astype("float64"), window["mean"].astype("float64"))
    figures = dict(zip(zip(window["indicator"], window["bucket"]), shown))  # one pass
    sparks = {}
    for indicator in HEADLINE:
        values = [figures.get((indicator, b), np.nan) for b in _buckets(first, bucket, back)]
        sparks[indicator] = [None if np.isnan(v) else float(v) for v in values]
    return bucket, rows, sparks


def rises_well(indicator: str) -> bool:
    """Is a rise of the figure as shown (share or mean) good news?"""
    if shown_as_share(indicator):
        return share_rises_well(indicator)
    return not INDICATORS[indicator].lower_is_better


def with_share_changes(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Add yoy_pp and pop_pp: changes of the share in percentage points, per group."""
    lookup = {(r.indicator, r.group, r.bucket): r.share for r in frame.itertuples()}
    back = analytics.step(grain)["months"]
    frame = frame.copy()
    frame["pop_pp"] = [_pp(r.share, lookup.get((r.indicator, r.group, analytics.shift(r.bucket, back))))
                       for r in frame.itertuples()]
    frame["yoy_pp"] = [_pp(r.share, lookup.get((r.indicator, r.group, analytics.shift(r.bucket, 12))))
                       for r in frame.itertuples()]
    return frame


def _buckets(first: dt.date, last: dt.date, months: int) -> list[dt.date]:
    out, day = [], first
    while day <= last:
        out.append(day)
        day = analytics.shift(day, -months)
    return out


def _good(indicator: str, change) -> bool | None:
    if change is None or pd.isna(change) or change == 0:
        return None
    if shown_as_share(indicator):
        return (change > 0) == share_rises_well(indicator)
    return favourable(indicator, change)


def format_figure(indicator: str, value, lang: str = "zh") -> str:
    """A headline figure as read: shares as whole percents, means with one decimal."""
    if value is None or pd.isna(value):
        return "—"
    return f"{value:.0%}" if shown_as_share(indicator) else f"{value:.1f}"


def format_change(indicator: str, change, lang: str = "zh", clear=None) -> str | None:
    """A change as shown: '+3.1 个百分点' for a share, '-12.5%' for a mean, '无明显变化' when
    its interval spans no change (clear is False); None when there is no comparable figure."""
    if change is None or pd.isna(change):
        return None
    if clear is False:
        return t("no_clear_change", lang)
    if shown_as_share(indicator):
        return signed(change, ".1f") + (" 个百分点" if lang == "zh" else " pp")
    return signed(change, ".1%")


def signed(value: float, spec: str) -> str:
    """+3.1%, -12.5%, and 0.0% (not -0.0% or +0.0%) for what rounds to nothing."""
    text = format(value, spec)
    if not any(c in "123456789" for c in text):
        return text.lstrip("-")
    return text if text.startswith("-") else "+" + text


def _clear(rows: pd.DataFrame) -> pd.Series:
    """Is each row's year-on-year change clear (its interval excludes no change)? Rows without
    an interval count as clear (their change is all there is to say)."""
    if "change_clear" not in rows:
        return pd.Series(True, index=rows.index)
    return rows["change_clear"].map(lambda c: c is not False)


def summary_sentence(rows: pd.DataFrame, open_warnings: int | None, region: str,
                     period: str, lang: str = "zh") -> str:
    """One sentence a leader reads first: how many burden indicators clearly fell year on
    year and how many clearly rose (a change within chance is 无明显变化), which rose most,
    what cadres feel, how many warnings are open."""
    zh = lang == "zh"
    burden_rows = rows[~rows["indicator"].isin(PERCEPTION)]
    compared = burden_rows[burden_rows["yoy"].notna()]
    clear = _clear(compared)
    fell = compared[(compared["yoy"] < 0) & clear]
    rose = compared[(compared["yoy"] > 0) & clear]
    unclear = int((~clear).sum())
    if compared.empty:
        parts = [f"{period},{region}暂无可与去年同期比较的负担指标" if zh else
                 f"{period}, {region}: no burden figure can be compared with a year before"]
    else:
        parts = [f"{period},{region} {len(burden_rows)} 项负担指标中 {len(fell)} 项同比下降、"
                 f"{len(rose)} 项上升" + (f"、{unclear} 项无明显变化" if unclear else "")
                 if zh else
                 f"{period}, {region}: {len(fell)} of {len(burden_rows)} burden indicators fell "
                 f"year on year, {len(rose)} rose" +
                 (f", {unclear} showed no clear change" if unclear else "")]
        if not rose.empty:
            r = rose.sort_values("yoy", ascending=False).iloc[0]
            label, change = indicator_label(r["indicator"], lang), \
                format_change(r["indicator"], r["change"], lang)
            parts.append(f"上升最多的是{label}({change})" if zh else f"{label} rose most ({change})")
    sat = rows[rows["indicator"] == "satisfaction"]
    if not sat.empty and pd.notna(sat.iloc[0]["share"]):
        r = sat.iloc[0]
        change = format_change("satisfaction", r["change"], lang, r.get("change_clear"))
        if zh:
            parts.append(f"对减负满意的干部占 {r['share']:.0%}" + (f"(同比 {change})" if change else ""))
        else:
            parts.append(f"{r['share']:.0%} of cadres are satisfied with burden reduction"
                         + (f" ({change} year on year)" if change else ""))
    if open_warnings is not None:
        parts.append(f"未处理的反弹预警 {open_warnings} 条" if zh else
                     f"{open_warnings} rebound warning{'' if open_warnings == 1 else 's'} open")
    return ";".join(parts) + "。" if zh else "; ".join(parts) + "."


def alert_facts(alert, lang: str = "zh") -> str:
    """What made a warning fire, in a leader's words: the window's figure against what the
    point's same months a year before predict (with the range if nothing changed), since when,
    and the baseline or the formal channel where the rule asks about them."""
    f = alert.facts
    unit = indicator_unit(alert.indicator, lang)
    first, last = f["window"]
    months = (first.year - last.year) * -12 + last.month - first.month + 1
    when = t("fact_month", lang, month=month_label(last, lang)) if months == 1 else \
        t("fact_months", lang, n=months, first=month_label(first, lang),
          last=month_label(last, lang))
    parts = [t("fact_window", lang, when=when, label=indicator_label(alert.indicator, lang),
               unit=unit, observed=_number(f["observed"]), expected=_number(f["expected"]),
               low=_number(f["low"]), high=_number(f["high"]), change=f["change"],
               coverage=coverage(f["alpha"]))]
    if f.get("since") and f["since"] < first:
        parts.append(t("fact_since", lang, month=month_label(f["since"], lang)))
    if "baseline" in f:
        policy = alert.rule.policy_date
        parts.append(t("fact_baseline", lang, baseline=_number(f["baseline"]), unit=unit,
                       first=month_label(early_warning.baseline_months(alert.rule)[0], lang),
                       last=month_label(early_warning.month(policy, 1), lang)))
    if "formal_change" in f:  # the documents' fall, per person and with its range
        formal = alert.rule.formal
        parts.append(t("fact_shift", lang, formal=indicator_label(formal, lang),
                       observed=_number(f["formal_observed"]), unit=indicator_unit(formal, lang),
                       expected=_number(f["formal_expected"]), low=_number(f.get("formal_low")),
                       high=_number(f.get("formal_high")),
                       verdict=t("shift_clear_fall" if f.get("formal_clear")
                                 else "shift_within_chance", lang)))
    joiner = "" if lang == "zh" else " "
    return joiner.join(parts)


def chance_sentence(points: int, warned: int, rate: float, lang: str = "zh") -> str:
    """What the false-alarm rate means for the points a leader looks at, in whole numbers a
    leader can use: how often one unchanged point is warned by chance (1 check in 25), and how
    many of these points chance alone warns (about 2 a month, or 1 every 2 months), never
    "0.5 points may be false alarms"."""
    expected = points * rate
    if expected >= 1:
        more = t("chance_per_month", lang, n=points, count=round(expected))
    elif expected > 0:
        more = t("chance_every_months", lang, n=points, months=max(2, round(1 / expected)))
    else:
        more = ""
    return t("warnings_chance", lang, warned=warned, n=points, rate=percent(rate),
             every=one_in(rate), expected=more)


def one_in(rate: float) -> int | str:
    """A rate as "1 in N" (0.04: 25), for a leader who does not read percents of percents."""
    return round(1 / rate) if rate > 0 else "—"


def percent(share: float) -> str:
    """A probability as read: 99.3%, 95%, 0.3% (one decimal where it says something)."""
    text = f"{share:.1%}"
    return text.replace(".0%", "%")


def coverage(alpha: float) -> str:
    """How much of what chance gives a range with alpha on each side covers: 99.3%."""
    return percent(1 - 2 * alpha)


def _number(value: float) -> str:
    """A figure per person: one decimal (0.3, 7.9, 141.9)."""
    return "—" if value is None or not np.isfinite(value) else f"{value:.1f}"


def format_interval(indicator: str, low, high, lang: str = "zh", compact: bool = False
                    ) -> str | None:
    """A change's 95 % interval as shown, rounded as the change is: '+3.1% 至 +23.0%',
    '-1.0 至 +5.2 个百分点'; compact (a 160 px tile): '+3.1%~+23.0%', '-1.0~+5.2 个百分点'."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return None
    to = "~" if compact else (" 至 " if lang == "zh" else " to ")
    if shown_as_share(indicator):
        return f"{signed(low, '.1f')}{to}{signed(high, '.1f')} " + \
            ("个百分点" if lang == "zh" else "pp")
    return f"{signed(low, '.1%')}{to}{signed(high, '.1%')}"


def ranked(table: pd.DataFrame, value: str, indicator: str) -> tuple[pd.DataFrame, int]:
    """A breakdown sorted by its figure on a leader's explicit request: the groups whose
    figure is hidden (fewer than k respondents, or hidden with them so they cannot be worked
    out) take no place in it and are not listed at all: (the ranked rows, how many were left
    out)."""
    shown = table[table[value].notna()]
    order = shown.sort_values(value, ascending=not rises_well(indicator), kind="stable")
    return order.reset_index(drop=True), len(table) - len(shown)


def month_label(day: dt.date, lang: str = "zh") -> str:
    """A month for people: 2026年10月 / Oct 2026."""
    return f"{day.year}年{day.month}月" if lang == "zh" else f"{day:%b %Y}"


def series(store: Store, flt: Filter, indicator: str, grain: str, k: int,
           by: str | None = None, quantiles: bool = False) -> pd.DataFrame:
    """One indicator over time, for the region or by group; a breakdown (by) carries the
    intervals of its changes (with_intervals): its table shows them."""
    frame = analytics.aggregate(store, flt, [indicator], grain, by=by, k=k, quantiles=quantiles,
                                spread=bool(by))
    frame = with_share_changes(analytics.with_changes(frame, grain), grain)
    if by:
        frame = with_intervals(frame[frame["group"].notna()], grain, spreads(store, flt, k))
    return frame.reset_index(drop=True)


def with_intervals(frame: pd.DataFrame, grain: str, spread: dict) -> pd.DataFrame:
    """Add the 95 % interval of each row's year-on-year and period-on-period change (yoy_low,
    yoy_high, pop_low, pop_high) in the unit the change is shown in (percentage points for
    shares, (new - old) / old for means) and yoy_clear / pop_clear: True when the interval
    excludes no change, False when it spans it (shown as 无明显变化), None without an
    interval. Under the rate model (survey.rate_model): a figure's total over its point-months
    varies by phi x total + kappa x sum of squared point-month totals, its mean (the figure
    shown, total / respondents) by that over the respondents squared, and the interval is the
    one of the change of the means (rate_model.ratio_interval), so it contains the change
    shown; a share's favourable count varies binomially. The spread columns are dropped (they
    are not figures)."""
    from survey import rate_model
    frame = frame.copy()
    if frame.empty:
        for column in ("yoy", "pop"):
            frame[f"{column}_low"] = frame[f"{column}_high"] = frame[f"{column}_clear"] = None
        return frame.drop(columns=[c for c in analytics.SPREAD_COLUMNS if c in frame])
    phi = frame["indicator"].map(lambda i: spread[i].phi if i in spread and spread[i].cells
                                 else np.nan)
    kappa = frame["indicator"].map(lambda i: spread[i].kappa if i in spread else np.nan)
    # the variance of the mean: the total's (rate model) over the respondents squared
    frame["_var"] = (phi * frame["total"] + kappa * frame["total_sq"]) / \
        np.square(frame["responses"])
    keys = ["indicator", "group", "bucket"]
    base = frame[keys + ["mean", "_var", "responses", "share", "favourable_var"]]
    share = frame["indicator"].map(shown_as_share).astype(bool)
    for name, back in (("yoy", 12), ("pop", analytics.step(grain)["months"])):
        old = base.assign(bucket=[analytics.shift(b, -back) for b in base["bucket"]])
        joined = frame[keys].merge(old, on=keys, how="left", suffixes=("", "_old"))
        low_m, high_m = rate_model.ratio_interval(frame["mean"], frame["_var"],
                                                  joined["mean"], joined["_var"])
        low_s, high_s = rate_model.share_interval(
            frame["share"], frame["favourable_var"], frame["responses"], joined["share"],
            joined["favourable_var"], joined["responses"])
        low = np.where(share, low_s, low_m)
        high = np.where(share, high_s, high_m)
        frame[f"{name}_low"], frame[f"{name}_high"] = low, high
        known = np.isfinite(low) & np.isfinite(high)
        frame[f"{name}_clear"] = [bool(lo > 0 or hi < 0) if ok else None
                                  for lo, hi, ok in zip(low, high, known)]
    return frame.drop(columns=["_var", *analytics.SPREAD_COLUMNS])


def point_count(store: Store, flt: Filter) -> int:
    return analytics.point_count(store, flt)


def heatmap(store: Store, flt: Filter, indicator: str, k: int) -> pd.DataFrame:
    """Points x months for one indicator (cells under k respondents suppressed)."""
    frame = analytics.aggregate(store, flt, [indicator], "month", by="point", k=k)
    frame = frame[frame["group"].notna()].copy()
    names = analytics.point_names(store)
    frame["point"] = frame["group"].map(names)
    return frame.reset_index(drop=True)


def point_sparklines(frame: pd.DataFrame, value: str, lang: str = "zh") -> pd.DataFrame:
    """The heatmap as a list, a row per point: the latest figure (None when hidden), the line
    of its shown months, and which months are hidden. Streamlit's LineChartColumn cannot draw a
    gap (one missing value turns the whole cell into text), so a hidden month is left out of
    the line, which joins its neighbours, and named beside it; never drawn as zero."""
    scale = 100 if value == "share" else 1  # shares read as percents
    records = []
    for point, rows in frame.sort_values("bucket").groupby("point", sort=True):
        shown = rows[rows[value].notna()]
        last = rows.iloc[-1][value]
        records.append({
            "point": point,
            "latest": None if pd.isna(last) else float(last) * scale,
            "spark": [float(v) * scale for v in shown[value]],
            "hidden": ("、" if lang == "zh" else ", ").join(
                month_label(b, lang) for b in rows.loc[rows[value].isna(), "bucket"])})
    return pd.DataFrame(records, columns=["point", "latest", "spark", "hidden"])


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


# The mean-type headline indicators: their dispersion gives the intervals of changes.
CALIBRATED = tuple(i for i in HEADLINE if not shown_as_share(i))
_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def evaluation_month(store: Store, flt: Filter, today: dt.date | None = None
                     ) -> dt.date | None:
    """The month warnings are evaluated at: the newest complete one (or the filter's end)."""
    span = analytics.period_range(store, flt.questionnaire_id)
    if span is None:
        return None
    latest = latest_complete([span[1], analytics.shift(span[1], 1)], "month", today)
    return min(latest, flt.end or latest)


def network(flt: Filter) -> Filter:
    """Every point of the questionnaire, whoever looks: what the warnings and the intervals of
    changes are estimated over (rate_inputs)."""
    return Filter(questionnaire_id=flt.questionnaire_id)


def rate_inputs(store: Store, flt: Filter, rules: tuple, k: int, latest: dt.date
                ) -> tuple[early_warning.Cells, dict]:
    """The cells the rules read and every calibrated indicator's dispersion, for every point
    of the network, not only the viewer's region or the filter's: a point's warnings, their
    evidence and the intervals of changes are the same whoever looks (a county leader, the
    admin, a briefing forwarded upward) and whatever a page narrows to. The viewer's scope
    only narrows what is shown (alerts). One read per store, data version, questionnaire, k,
    month and rules, shared by every viewer (the trends page's tiles and warnings too)."""
    key = (store.data_version, flt.questionnaire_id, k, latest, tuple(rules))
    known = _models.setdefault(store, {})
    if key not in known:
        wanted = early_warning.cells_read(list(rules), latest, CALIBRATED)
        cells = early_warning.Cells(*analytics.point_counts(store, network(flt), wanted, k))
        spread = early_warning.dispersions(
            cells, set(CALIBRATED) | early_warning.rule_indicators(list(rules)), latest)
        for old in [old for old in known if old[0] != key[0]] + list(known)[:-3]:
            known.pop(old, None)  # an older data version is useless; keep a few others
        known[key] = (cells, spread)
    return known[key]


def spreads(store: Store, flt: Filter, k: int, rules: tuple = ()) -> dict:
    """The calibrated indicators' dispersions (for the intervals of changes): from the
    warnings' read when one is at hand for this month, else a read of the calibration
    months alone."""
    latest = evaluation_month(store, flt)
    if latest is None:
        return {}
    prefix = (store.data_version, flt.questionnaire_id, k, latest)
    for key, (_, spread) in list(_models.get(store, {}).items()):
        if key[:4] == prefix:
            return spread
    return rate_inputs(store, flt, tuple(rules), k, latest)[1]


def alerts(store: Store, flt: Filter, rules: list[WarningRule], k: int,
           today: dt.date | None = None, evidence: bool = True
           ) -> tuple[dt.date | None, list, pd.DataFrame]:
    """(month evaluated, alerts, evidence): evidence is one row per month of the last 24 for
    each alerted point and indicator (point, indicator, month, n, total, value = the mean,
    expected, low, high: what a year before predicts, survey.early_warning.expected_band), and
    each alert's facts get `since`; an empty frame with evidence=False (the trends page only
    counts them). The rules read only the cells they need (early_warning.cells_read), for
    every point of the network (rate_inputs), and the alerts are then narrowed to the filter
    and the viewer's region."""
    latest = evaluation_month(store, flt, today)
    if not early_warning.rule_indicators(rules) or latest is None:
        return None, [], pd.DataFrame()
    cells, spread = rate_inputs(store, flt, tuple(rules), k, latest)
    if not np.isfinite(cells.total).any():  # nothing the rules read: any figure in range?
        policies = [analytics.shift(r.policy_date.replace(day=1), r.baseline_months)
                    for r in rules if r.policy_date]
        start = min([analytics.shift(latest, 23)] + policies)
        needed = sorted(early_warning.rule_indicators(rules))
        if analytics.point_means(store, flt.narrowed(start=start, end=latest), needed, k).empty:
            return None, [], pd.DataFrame()
    found = early_warning.evaluate_cells(rules, cells, latest, spread, ranges=evidence)
    if flt.narrowed(start=None, end=None) != network(flt):
        mine = set(analytics.point_ids(store, flt))
        found = [a for a in found if a.point_id in mine]
    if not evidence:
        return latest, found, pd.DataFrame()
    return latest, found, _evidence(store, flt, found, latest, k)


EVIDENCE_COLUMNS = ["point", "indicator", "month", "n", "total", "value", "expected", "low",
                    "high", "suppressed"]


def _evidence(store: Store, flt: Filter, found: list, latest: dt.date, k: int) -> pd.DataFrame:
    """The last 24 months of each alerted point and indicator with the band a year before
    predicts; sets each alert's `since` and `band`. A month with fewer than k respondents is
    marked suppressed (a grey band on the chart, never a value): its figures are read only to
    tell it from a month nobody answered."""
    if not found:
        return pd.DataFrame(columns=EVIDENCE_COLUMNS)
    months = [analytics.shift(latest, back) for back in range(35, -1, -1)]  # +12: the band
    pairs = sorted({(a.point_id, a.indicator) for a in found})
    cells = early_warning.Cells(*analytics.point_counts(
        store, flt, {i: months for _, i in pairs}, 1, points=sorted({p for p, _ in pairs})))
    shown = months[12:]
    profile = analytics.network_means(store, network(flt), sorted({i for _, i in pairs}),
                                      months[0], latest, k)
    figures = {}
    for point, indicator in pairs:
        n, total = cells.take(indicator, months)
        row = cells.points.index(point)
        counted = {m: (n[row, j], total[row, j]) for j, m in enumerate(months)
                   if np.isfinite(total[row, j])}
        figures[point, indicator] = ({m: v for m, v in counted.items() if v[0] >= k},
                                     {m for m, v in counted.items() if v[0] < k})
    for alert in sorted(found, key=lambda a: (a.point_id, a.indicator, a.rule.id)):
        have, hidden = figures[alert.point_id, alert.indicator]
        band = early_warning.expected_band(
            alert, {m: v[0] for m, v in have.items()}, {m: v[1] for m, v in have.items()},
            shown, {m: v for (i, m), v in profile.items() if i == alert.indicator}, hidden)
        alert.facts["since"] = early_warning.onset(alert, band)
        alert.facts["band"] = band
    rows = []
    for point, indicator in pairs:
        have = figures[point, indicator][0]
        first = next(a for a in found if (a.point_id, a.indicator) == (point, indicator))
        for b in first.facts["band"]:
            n, total = have.get(b["month"], (np.nan, np.nan))
            rows.append((point, indicator, b["month"], n, total, b["value"], b["expected"],
                         b["low"], b["high"], b["suppressed"]))
    return pd.DataFrame(rows, columns=EVIDENCE_COLUMNS)


PUBLIC_QUESTIONNAIRE = "public_rating"


def public_and_cadres(store: Store, flt: Filter, k: int) -> pd.DataFrame:
    """Per quarter: the public's rating of the points' service (万人评) beside the cadres' own
    satisfaction with burden reduction: mean, share satisfied (top two), raters."""
    cadres = analytics.aggregate(store, flt, ["satisfaction"], "quarter", k=k)
    public = analytics.aggregate(store, flt.narrowed(questionnaire_id=PUBLIC_QUESTIONNAIRE),
                                 ["public_satisfaction"], "quarter", k=k)
    frame = pd.concat([cadres.assign(who="cadres"), public.assign(who="public")])
    return frame[frame["group"].isna()].reset_index(drop=True)


def latest_common_quarter(frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The rows of public_and_cadres to set side by side: the latest quarter both the public
    and the cadres have a shown figure for (the public's ratings often lag a quarter), and
    True; when they share none, each one's latest row and False."""
    shown = frame[frame["share"].notna()]
    both = shown.groupby("bucket")["who"].nunique()
    common = both[both == 2].index
    if len(common):
        return frame[frame["bucket"] == max(common)], True
    return frame.sort_values("bucket").groupby("who").tail(1), False


def responses(store: Store, flt: Filter, period_key: str, past_deadline: bool | None = None,
              kind: str = "month") -> pd.DataFrame:
    """Per point: expected, received, rate, overdue. Overdue once the round's deadline has
    passed (not the month's end: a round's deadline is days into the next month)."""
    if past_deadline is None and flt.questionnaire_id:
        past_deadline = round_store.deadline_passed(store, flt.questionnaire_id, period_key)
    return analytics.responses(store, flt, period_key, past_deadline=past_deadline, kind=kind)


def indicator_label(key: str, lang: str) -> str:
    info = INDICATORS[key]
    return info.en if lang == "en" else info.zh


def indicator_unit(key: str, lang: str) -> str:
    info = INDICATORS[key]
    return info.unit_en if lang == "en" else info.unit_zh


def bucket_label(bucket: dt.date, grain: str, lang: str | None = None) -> str:
    """A period: 2026-10, 2026-Q3, 2026 (ISO-like, the same in both languages), or with lang
    the reading form: 2026年10月 / Oct 2026, 2026年第3季度 / Q3 2026, 2026年 / 2026."""
    quarter = (bucket.month - 1) // 3 + 1
    if lang is None:
        if grain == "month":
            return f"{bucket:%Y-%m}"
        return f"{bucket.year}-Q{quarter}" if grain == "quarter" else str(bucket.year)
    if grain == "month":
        return month_label(bucket, lang)
    if grain == "quarter":
        return f"{bucket.year}年第{quarter}季度" if lang == "zh" else f"Q{quarter} {bucket.year}"
    return f"{bucket.year}年" if lang == "zh" else str(bucket.year)
