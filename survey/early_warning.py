"""Early warnings of rebound (反弹回潮): rules from config/warnings.yaml applied to monthly
point series. Pure functions: the series come from survey.store.analytics (already
suppressed, so a point-month with fewer than k respondents is simply missing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from survey.leader_config import WarningRule
from survey.metrics import pct_change

Series = dict[dt.date, float]  # month start -> mean


def month(day: dt.date, back: int = 0) -> dt.date:
    total = day.year * 12 + day.month - 1 - back
    return dt.date(total // 12, total % 12 + 1, 1)


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


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
    """Every alert the rules raise at the month `latest`."""
    points = sorted({p for p, _ in series})
    alerts: list[Alert] = []
    for rule in rules:
        for point in points:
            get = lambda indicator: series.get((point, indicator), {})  # noqa: E731
            if rule.kind == "yoy_rise":
                alerts += [a for ind in rule.indicators
                           if (a := _yoy_rise(rule, point, ind, get(ind), latest))]
            elif rule.kind == "above_baseline":
                alerts += [a for ind in rule.indicators
                           if (a := _above_baseline(rule, point, ind, get(ind), latest))]
            elif rule.kind == "informal_shift":
                alerts += _informal_shift(rule, point, get, latest)
    return alerts


def _yoy_rise(rule, point, indicator, s: Series, latest) -> Alert | None:
    changes = []
    for back in range(rule.periods):
        m = month(latest, back)
        change = pct_change(s.get(m), s.get(month(m, 12)))
        if change is None or change < rule.threshold:
            return None
        changes.append((m, change))
    return Alert(rule, point, indicator, latest, {"changes": changes[::-1]})


def _above_baseline(rule, point, indicator, s: Series, latest) -> Alert | None:
    if rule.policy_date is None or latest < month(rule.policy_date, -rule.window):
        return None
    policy = month(rule.policy_date)
    baseline_months = [month(policy, b) for b in range(1, rule.baseline_months + 1)]
    present = [s[m] for m in baseline_months if m in s]
    if len(present) * 2 < len(baseline_months):
        return None  # too little baseline to compare with
    baseline = _mean(present)
    recent = _mean(s.get(month(latest, b)) for b in range(rule.window))
    if recent is None or not baseline or recent < baseline * (1 + rule.threshold):
        return None
    return Alert(rule, point, indicator, latest, {"baseline": baseline, "recent": recent})


def _window_change(s: Series, latest, window) -> float | None:
    recent = _mean(s.get(month(latest, b)) for b in range(window))
    before = _mean(s.get(month(latest, b + 12)) for b in range(window))
    return pct_change(recent, before)


def _informal_shift(rule, point, get, latest) -> list[Alert]:
    formal = _window_change(get(rule.formal), latest, rule.window)
    if formal is None or formal >= 0:
        return []
    alerts = []
    for indicator in rule.indicators:
        informal = _window_change(get(indicator), latest, rule.window)
        if informal is not None and informal >= rule.threshold:
            alerts.append(Alert(rule, point, indicator, latest,
                                {"formal_change": formal, "informal_change": informal}))
    return alerts


def is_open(alert: Alert, states: dict) -> bool:
    """Open unless handled with evidence up to its latest month (it comes back when it fires
    again on newer data)."""
    state = states.get(alert.key)
    return state is None or state["through"] < alert.latest
