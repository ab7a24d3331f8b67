"""Early warnings of rebound (反弹回潮) with a known false-alarm rate.

Each rule asks one question of a point's recent months (its window) and answers it against
what the point's own history predicts (survey.rate_model): the level of the same months a year
before (one month more on either side, so the season is the same and the Spring Festival month
is inside it), times the respondents behind each month of the window, with the indicator's
dispersion pooled over all points evaluated. A rule fires only when the window's total is so
high that a point which had not changed would reach it with probability below the rule's alpha.
The rules' alphas add up to the configured false-alarm rate per point and month
(config/warnings.yaml `false_alarm`, split evenly over the rule x indicator tests: Bonferroni),
so a point that changed nothing is warned in a given month with at most that probability.

- yoy_rise: the window is up on the same months a year before (同比上升).
- above_baseline: up on a year before, and back at or above the level of the baseline months
  before the policy date (回升到新规前水平: cut, then added back).
- informal_shift: an informal channel (chat groups, apps) up on a year before while the formal
  one (documents) is down (明减暗增).

A point-month with fewer than k respondents is missing (the store never returns it): it is
never imputed; a window whose latest month is missing raises nothing. Pure functions over
numpy arrays of points x months, so thousands of points cost milliseconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from survey import rate_model
from survey.leader_config import WarningRule

SPREAD = 1  # reference: the window's months a year before and one month either side


def month(day: dt.date, back: int = 0) -> dt.date:
    total = day.year * 12 + day.month - 1 - back
    return dt.date(total // 12, total % 12 + 1, 1)


def window_months(latest: dt.date, window: int) -> list[dt.date]:
    return [month(latest, b) for b in range(window - 1, -1, -1)]


def reference_months(latest: dt.date, window: int) -> list[dt.date]:
    """The window a year before, widened by SPREAD months on each side."""
    return [month(latest, b) for b in range(12 + window - 1 + SPREAD, 12 - SPREAD - 1, -1)]


def baseline_months(rule: WarningRule) -> list[dt.date]:
    policy = month(rule.policy_date)
    return [month(policy, b) for b in range(rule.baseline_months, 0, -1)]


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


@dataclass
class Cells:
    """Respondents (n) and totals per point, indicator and month: arrays (points, indicators,
    months), NaN where a month has no figure, is suppressed (fewer than k) or was not read."""
    points: list[str]
    indicators: list[str]
    months: list[dt.date]
    n: np.ndarray
    total: np.ndarray
    _taken: dict = field(default_factory=dict, repr=False, compare=False)

    def take(self, indicator: str, months: list[dt.date]) -> tuple[np.ndarray, np.ndarray]:
        """(n, total) of one indicator for the months asked, (points, months); NaN = missing.
        Read-only views: the rules ask for the same months several times."""
        key = (indicator, tuple(months))
        if key not in self._taken:
            self._taken[key] = self._take(indicator, months)
            for array in self._taken[key]:
                array.flags.writeable = False
        return self._taken[key]

    def _take(self, indicator: str, months: list[dt.date]) -> tuple[np.ndarray, np.ndarray]:
        shape = (len(self.points), len(months))
        if indicator not in self.indicators:
            return np.full(shape, np.nan), np.full(shape, np.nan)
        i = self.indicators.index(indicator)
        where = {m: j for j, m in enumerate(self.months)}
        cols = [where.get(m, -1) for m in months]
        n = np.full(shape, np.nan)
        total = np.full(shape, np.nan)
        known = [j for j, c in enumerate(cols) if c >= 0]
        if known:
            picked = [cols[j] for j in known]
            n[:, known], total[:, known] = self.n[:, i, picked], self.total[:, i, picked]
        missing = ~(np.isfinite(total) & (n > 0))
        n[missing], total[missing] = np.nan, np.nan
        return n, total


def cells_from_series(series: dict[tuple[str, str], dict[dt.date, tuple[float, float]]]) -> Cells:
    """{(point, indicator): {month: (n, total)}} as Cells (the reference path and tests)."""
    points = sorted({p for p, _ in series})
    indicators = sorted({i for _, i in series})
    months = sorted({m for values in series.values() for m in values})
    n = np.full((len(points), len(indicators), len(months)), np.nan)
    total = n.copy()
    pi, ii, mi = ({x: j for j, x in enumerate(xs)} for xs in (points, indicators, months))
    for (point, indicator), values in series.items():
        for m, (count, value) in values.items():
            n[pi[point], ii[indicator], mi[m]] = count
            total[pi[point], ii[indicator], mi[m]] = value
    return Cells(points, indicators, months, n, total)


def false_alarm_rate(rules: list[WarningRule]) -> float:
    """At most this share of points that did not change is warned in a month (Bonferroni:
    the sum of the rule x indicator tests' alphas)."""
    return sum(rule.alpha * len(rule.indicators) for rule in rules)


def _evaluated(rule: WarningRule, latest: dt.date) -> bool:
    """above_baseline needs its year-before reference to lie after the policy took effect
    (before that, 'a year before' is itself the old level)."""
    if rule.kind != "above_baseline":
        return True
    return rule.policy_date is not None and \
        reference_months(latest, rule.window)[0] >= month(rule.policy_date)


CALIBRATION_WINDOW = 3


def calibration_months(latest: dt.date) -> list[dt.date]:
    """The months each indicator's dispersion is estimated from: a three-month window's
    reference a year before (five months), whatever the rules, so the dispersion (and with it
    the intervals of changes) does not depend on which rules are configured."""
    return reference_months(latest, CALIBRATION_WINDOW)


def cells_read(rules: list[WarningRule], latest: dt.date,
               calibrate: tuple[str, ...] = ()) -> dict[str, list[dt.date]]:
    """{indicator: months} that evaluate_cells reads at `latest` (the window, its reference a
    year before, the baseline months, the calibration months): nothing else can change what
    the rules say, so cells of only these months raise the same alerts as whole series.
    `calibrate`: indicators whose dispersion is wanted besides (the intervals of changes)."""
    cells: dict[str, set[dt.date]] = {}

    def add(indicators, months) -> None:
        for indicator in indicators:
            cells.setdefault(indicator, set()).update(months)

    add(set(calibrate) | rule_indicators(rules), calibration_months(latest))
    for rule in rules:
        if not _evaluated(rule, latest):
            continue
        both = window_months(latest, rule.window) + reference_months(latest, rule.window)
        add(rule.indicators, both)
        if rule.kind == "above_baseline":
            add(rule.indicators, baseline_months(rule))
        if rule.kind == "informal_shift":
            add((rule.formal,), both)
    return {indicator: sorted(months) for indicator, months in sorted(cells.items())}


def rule_indicators(rules: list[WarningRule]) -> set[str]:
    return {i for r in rules for i in r.indicators} | {r.formal for r in rules if r.formal}


def profile(cells: Cells, indicator: str, months: list[dt.date]) -> np.ndarray:
    """The mean per respondent over all points of `cells`, month by month: the season (and
    any month that was busy for everybody) as the network saw it. Only its shape within one
    reference span is used, so it never carries the window's own months into what is expected."""
    n, total = cells.take(indicator, months)
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = np.nansum(total, axis=0) / np.nansum(n, axis=0)
    good = np.isfinite(shape) & (shape > 0)
    return np.where(good, shape / (shape[good].mean() if good.any() else 1.0), 1.0)


def dispersions(cells: Cells, indicators, latest: dt.date) -> dict[str, rate_model.Dispersion]:
    """Each indicator's dispersion, pooled over all points of `cells`, from the calibration
    months, each month's respondents weighted by the network's profile (so the season is not
    taken for chance). trends.alerts passes every point of the leader's region, so the
    dispersion, and with it a point's warnings, is the same whichever narrower filter a page
    shows."""
    months = calibration_months(latest)
    out = {}
    for indicator in sorted(indicators):
        n, total = cells.take(indicator, months)
        seen = int(np.isfinite(total).any(axis=0).sum())
        out[indicator] = rate_model.estimate_dispersion(
            n * profile(cells, indicator, months), total, shared=max(seen - 1, 0))
    return out


@dataclass
class WindowTest:
    """The window against its reference a year before, one value per point."""
    valid: np.ndarray
    p: np.ndarray
    observed: np.ndarray  # mean per respondent over the window
    expected: np.ndarray  # what the same months a year before predict (mean per respondent)
    expected_total: np.ndarray
    variance: np.ndarray  # of the window's total if nothing changed
    respondents: np.ndarray
    change: np.ndarray  # observed / expected - 1


def window_test(cells: Cells, indicator: str, latest: dt.date, window: int,
                dispersion: rate_model.Dispersion, alpha: float) -> WindowTest:
    """The predictive test of the rate model. The point's level theta comes from its
    reference months, each month's respondents weighted by the network's profile f there;
    a window month m expects E_m = n_m x theta x f(m - 12 months) (the same calendar month a
    year before). Variance = the window's own (phi E + kappa sum E_m^2) + the level's
    uncertainty (E^2 Var(T_ref) / E_ref^2); p = P(total >= observed) under the negative
    binomial (counts) or gamma (hours) with that mean and variance."""
    ref_months = reference_months(latest, window)
    shape = profile(cells, indicator, ref_months)
    same = shape[[ref_months.index(month(m, 12)) for m in window_months(latest, window)]]
    n_w, t_w = cells.take(indicator, window_months(latest, window))
    n_r, t_r = cells.take(indicator, ref_months)
    present_w, present_r = np.isfinite(t_w), np.isfinite(t_r)
    big_nw, big_tw = np.nansum(n_w, axis=1), np.nansum(t_w, axis=1)
    exposure_r = np.where(present_r, n_r * shape, 0.0)
    exposure_w = np.where(present_w, n_w * same, 0.0)
    big_tr = np.nansum(t_r, axis=1)
    valid = present_w[:, -1] & (present_w.sum(axis=1) * 2 >= window) & \
        (present_r.sum(axis=1) >= 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = (big_tr + rate_model.PRIOR_TOTAL) / exposure_r.sum(axis=1)
        e_months, e_ref = exposure_w * level[:, None], exposure_r * level[:, None]
        expected_w, expected_r = e_months.sum(axis=1), e_ref.sum(axis=1)
        variance = dispersion.phi * expected_w + dispersion.kappa * np.square(e_months).sum(1)
        variance_ref = dispersion.phi * expected_r + dispersion.kappa * np.square(e_ref).sum(1)
        variance = variance + np.square(expected_w) * variance_ref / np.square(expected_r)
    p = np.ones(len(cells.points))
    above = valid & (big_tw > expected_w)  # at or below what is expected: p >= ~0.5
    if above.any():
        p[above] = rate_model.upper_p(big_tw[above], expected_w[above], variance[above],
                                      rate_model.is_count(indicator))
    with np.errstate(divide="ignore", invalid="ignore"):
        return WindowTest(valid, p, big_tw / big_nw, expected_w / big_nw, expected_w, variance,
                          big_nw, big_tw / expected_w - 1)


def evaluate(rules: list[WarningRule], series: dict, latest: dt.date,
             spread: dict[str, rate_model.Dispersion] | None = None) -> list[Alert]:
    """Every alert the rules raise at `latest` from whole series {(point, indicator): {month:
    (n, total)}}: the reference the fast path (only cells_read) must agree with."""
    return evaluate_cells(rules, cells_from_series(series), latest, spread)


def evaluate_cells(rules: list[WarningRule], cells: Cells, latest: dt.date,
                   spread: dict[str, rate_model.Dispersion] | None = None,
                   ranges: bool = True) -> list[Alert]:
    """The rules over all points of `cells` at once (dispersions estimated from them unless
    given). ranges=False leaves out each alert's range if nothing changed (low, high: a
    quantile search per alert; a page that only counts the alerts does not need it)."""
    alerts: list[Alert] = []
    if not cells.points:
        return alerts
    spread = spread or dispersions(cells, rule_indicators(rules), latest)
    for rule in rules:
        if not _evaluated(rule, latest):
            continue
        formal = None
        if rule.kind == "informal_shift":
            formal = window_test(cells, rule.formal, latest, rule.window,
                                 spread.get(rule.formal, rate_model.DEFAULT), rule.alpha)
        for indicator in rule.indicators:
            dispersion = spread.get(indicator, rate_model.DEFAULT)
            test = window_test(cells, indicator, latest, rule.window, dispersion, rule.alpha)
            fire = test.valid & (test.p < rule.alpha)
            extra: dict[str, np.ndarray] = {}
            if rule.kind == "above_baseline":
                n_b, t_b = cells.take(indicator, baseline_months(rule))
                present = np.isfinite(t_b).sum(axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    base = np.nansum(t_b, axis=1) / np.nansum(n_b, axis=1)
                fire &= (present * 2 >= rule.baseline_months) & (base > 0) & \
                    (test.observed >= base * (1 + rule.threshold))
                extra["baseline"] = base
            if formal is not None:
                fire &= np.isfinite(formal.change) & (formal.change < 0)
                extra["formal_change"] = formal.change
            alerts += _alerts(rule, indicator, cells.points, latest, test, fire, extra,
                              dispersion, ranges)
    return alerts


def _alerts(rule, indicator, points, latest, test: WindowTest, fire, extra, dispersion,
            ranges: bool):
    rows = np.flatnonzero(fire)
    window = window_months(latest, rule.window)
    reference = reference_months(latest, rule.window)
    # the range if nothing changed, for the fired points only (quantiles of a negative
    # binomial are a search: too slow for every point)
    low = high = np.full(len(rows), np.nan)
    if ranges:
        low, high = rate_model.limits(test.expected_total[rows], test.variance[rows],
                                      rule.alpha, rate_model.is_count(indicator))
        low, high = low / test.respondents[rows], high / test.respondents[rows]
    out = []
    for j, r in enumerate(rows):  # only the fired points: a handful
        facts = {"observed": float(test.observed[r]), "expected": float(test.expected[r]),
                 "low": float(low[j]), "high": float(high[j]),
                 "change": float(test.change[r]),
                 "p": float(test.p[r]), "alpha": rule.alpha,
                 "respondents": int(test.respondents[r]),
                 "window": (window[0], window[-1]), "reference": (reference[0], reference[-1]),
                 "dispersion": (dispersion.phi, dispersion.kappa), "since": None}
        facts.update({key: float(values[r]) for key, values in extra.items()})
        out.append(Alert(rule, points[r], indicator, latest, facts))
    return out


def expected_band(alert: Alert, n: dict[dt.date, float], total: dict[dt.date, float],
                  months: list[dt.date], network: dict[dt.date, float]) -> list[dict]:
    """Per month of the evidence: the figure, and what the point's same month a year before
    (one month either side, weighted by the network's profile `network` {month: mean}, as in
    window_test) predicts for it: the centre, and the range a single month stays within if
    nothing changed (the rule's alpha on each side). No band without a year-before reference."""
    phi, kappa = alert.facts["dispersion"]
    rows, banded, expected, variance = [], [], [], []
    for m in months:
        ref = [r for r in reference_months(m, 1) if r in n]
        rows.append({"month": m, "value": total[m] / n[m] if m in n else np.nan,
                     "expected": np.nan, "low": np.nan, "high": np.nan})
        scale = np.mean([network.get(r, np.nan) for r in reference_months(m, 1)])
        shape = {r: network.get(r, np.nan) / scale for r in ref}
        same = network.get(month(m, 12), np.nan) / scale
        if m not in n or len(ref) < 2 or not np.isfinite(same) or same <= 0 or \
                not all(np.isfinite(v) and v > 0 for v in shape.values()):
            continue
        exposure = {r: n[r] * shape[r] for r in ref}
        level = (sum(total[r] for r in ref) + rate_model.PRIOR_TOTAL) / sum(exposure.values())
        e, e_ref = n[m] * same * level, sum(exposure.values()) * level
        banded.append(len(rows) - 1)
        expected.append(e)
        variance.append(phi * e + kappa * e * e + e * e * (
            phi * e_ref + kappa * sum((x * level) ** 2 for x in exposure.values())) / e_ref ** 2)
    if banded:  # one vectorised quantile search per alert, not one per month
        low, high = rate_model.limits(np.array(expected), np.array(variance), alert.rule.alpha,
                                      rate_model.is_count(alert.indicator))
        for j, i in enumerate(banded):
            people = n[rows[i]["month"]]
            rows[i].update(expected=expected[j] / people, low=float(low[j]) / people,
                           high=float(high[j]) / people)
    return rows


def onset(alert: Alert, band: list[dict]) -> dt.date | None:
    """Since when: the first month of the run, ending at the alert's month, of months above
    what a year before predicts (missing months do not break the run)."""
    since = None
    for row in sorted(band, key=lambda r: r["month"], reverse=True):
        if row["month"] > alert.latest or np.isnan(row["value"]):
            continue
        if np.isnan(row["expected"]) or row["value"] <= row["expected"]:
            break
        since = row["month"]
    return since


def is_open(alert: Alert, states: dict) -> bool:
    """Open unless handled with evidence up to its latest month (it comes back when it fires
    again on newer data)."""
    state = states.get(alert.key)
    return state is None or state["through"] < alert.latest
