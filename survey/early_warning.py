"""Early warnings of rebound (反弹回潮): rules from config/warnings.yaml applied to monthly
point series. Pure functions: the series come from survey.store.analytics (already
suppressed, so a point-month with fewer than k respondents is simply missing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from survey.leader_config import WarningRule

Series = dict[dt.date, float]  # month start -> mean


def month(day: dt.date, back: int = 0) -> dt.date:
    total = day.year * 12 + day.month - 1 - back
    return dt.date(total // 12, total % 12 + 1, 1)


@dataclass(frozen=True)
class Alert:
    rule: WarningRule
    point_id: str
    indicator: str
    latest: dt.date  # the newest month of evidence; a handled alert returns when this moves on
    facts: dict = field(default_factory=dict, compare=False)

    @property
    def key(self) -> str:
        return f"{self.rule.id}:{self.point_id}:{self.indicator}"


def evaluate(rules: list[WarningRule], series: dict[tuple[str, str], Series],
             latest: dt.date) -> list[Alert]:
    """Every alert the rules raise at the month `latest` ({(point, indicator): {month: mean}})."""
    return evaluate_frame(rules, to_pivot(series), latest)


def to_pivot(series: dict[tuple[str, str], Series]) -> pd.DataFrame:
    """Rows (point, indicator), one column per month start, NaN where there is no figure."""
    if not series:
        return pd.DataFrame(index=pd.MultiIndex.from_tuples([], names=["point", "indicator"]))
    frame = pd.DataFrame.from_dict({key: pd.Series(values) for key, values in series.items()},
                                   orient="index")
    frame.index = pd.MultiIndex.from_tuples(frame.index, names=["point", "indicator"])
    return frame


def _col(pivot: pd.DataFrame, month_start: dt.date) -> pd.Series:
    return pivot[month_start] if month_start in pivot.columns else \
        pd.Series(float("nan"), index=pivot.index)


def _mean(pivot: pd.DataFrame, months: list[dt.date]) -> tuple[pd.Series, pd.Series]:
    """Mean over the months present, and how many were present, per row."""
    present = [m for m in months if m in pivot.columns]
    if not present:
        empty = pd.Series(float("nan"), index=pivot.index)
        return empty, empty.fillna(0)
    block = pivot[present]
    return block.mean(axis=1), block.notna().sum(axis=1)


def cells_read(rules: list[WarningRule], latest: dt.date) -> dict[str, list[dt.date]]:
    """{indicator: months} that evaluate_frame reads at `latest`: nothing else can change what
    the rules say, so a pivot of only these cells (NaN or absent elsewhere) raises the same
    alerts as one of every month (the store reads 73 cells per point instead of 24 months x 9
    indicators). Kept next to evaluate_frame: a rule that reads a new month must say so here."""
    cells: dict[str, set[dt.date]] = {}

    def add(indicators, months) -> None:
        for indicator in indicators:
            cells.setdefault(indicator, set()).update(months)

    for rule in rules:
        if rule.kind == "yoy_rise":
            recent = [month(latest, back) for back in range(rule.periods)]
            add(rule.indicators, recent + [month(m, 12) for m in recent])
        elif rule.kind == "above_baseline":
            if rule.policy_date is None or latest < month(rule.policy_date, -rule.window):
                continue
            policy = month(rule.policy_date)
            add(rule.indicators, [month(policy, b) for b in range(1, rule.baseline_months + 1)] +
                [month(latest, b) for b in range(rule.window)])
        elif rule.kind == "informal_shift":
            add((rule.formal, *rule.indicators),
                [month(latest, b + shift) for b in range(rule.window) for shift in (0, 12)])
    return {indicator: sorted(months) for indicator, months in sorted(cells.items())}


def evaluate_frame(rules: list[WarningRule], pivot: pd.DataFrame, latest: dt.date) -> list[Alert]:
    """The same rules, computed column-wise over all points at once. Rows whose cells are
    all missing raise nothing, so the pivot may hold every point of the filter."""
    alerts: list[Alert] = []
    if pivot.empty:
        return alerts
    indicators = pivot.index.get_level_values("indicator")
    for rule in rules:
        if rule.kind == "yoy_rise":
            rows = pivot[indicators.isin(rule.indicators)]
            fire = pd.Series(True, index=rows.index)
            changes = []
            for back in range(rule.periods):
                m = month(latest, back)
                new, old = _col(rows, m), _col(rows, month(m, 12))
                change = (new - old) / old.where(old != 0)
                fire &= (change >= rule.threshold) & (new - old >= rule.min_increase)
                changes.append((m, change))
            fired = [(m, c[fire].tolist()) for m, c in changes[::-1]]  # no lookup per alert
            for row, key in enumerate(fire[fire].index):
                facts = {"changes": [(m, values[row]) for m, values in fired]}
                alerts.append(Alert(rule, key[0], key[1], latest, facts))
        elif rule.kind == "above_baseline":
            if rule.policy_date is None or latest < month(rule.policy_date, -rule.window):
                continue
            rows = pivot[indicators.isin(rule.indicators)]
            policy = month(rule.policy_date)
            baseline, present = _mean(rows, [month(policy, b)
                                             for b in range(1, rule.baseline_months + 1)])
            recent, seen = _mean(rows, [month(latest, b) for b in range(rule.window)])
            fire = (present * 2 >= rule.baseline_months) & (seen > 0) & (baseline > 0) & \
                (recent >= baseline * (1 + rule.threshold))
            for key, base, now in zip(fire[fire].index, baseline[fire].tolist(),
                                      recent[fire].tolist()):
                alerts.append(Alert(rule, key[0], key[1], latest,
                                    {"baseline": base, "recent": now}))
        elif rule.kind == "informal_shift":
            recent_months = [month(latest, b) for b in range(rule.window)]
            before_months = [month(latest, b + 12) for b in range(rule.window)]

            def change(indicator: str) -> pd.Series:
                rows = pivot[indicators == indicator].droplevel("indicator")
                recent, _ = _mean(rows, recent_months)
                before, _ = _mean(rows, before_months)
                return (recent - before) / before.where(before != 0)

            formal = change(rule.formal)
            falling = formal[formal < 0]
            for indicator in rule.indicators:
                informal = change(indicator).reindex(falling.index)
                up = informal >= rule.threshold
                for point, formal_change, informal_change in zip(
                        informal[up].index, falling[up].tolist(), informal[up].tolist()):
                    alerts.append(Alert(rule, point, indicator, latest,
                                        {"formal_change": formal_change,
                                         "informal_change": informal_change}))
    return alerts


def is_open(alert: Alert, states: dict) -> bool:
    """Open unless handled with evidence up to its latest month (it comes back when it fires
    again on newer data)."""
    state = states.get(alert.key)
    return state is None or state["through"] < alert.latest
