"""The rate model behind the warnings and the uncertainty of changes.

A point-month of an indicator is a total t over n respondents (the rollup point_month). With a
point's level lambda (per respondent), the total has

    E[t] = n * lambda,    Var[t] = phi * E[t] + kappa * E[t]**2

phi is the quasi-Poisson dispersion (how much single answers vary: 1 for Poisson counts, in the
indicator's unit for hours) and kappa the share of month-to-month variation that hits a whole
point at once (a busy month for everybody); both are pooled per indicator over many points
(estimate_dispersion). Everything here is vectorised over numpy arrays (points x months), so
the detector costs milliseconds for thousands of points; distributions come from scipy.stats
(negative binomial for counts, gamma for hours), not from hand-written formulas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from survey.indicators import INDICATORS

# Reference totals get half a unit added: a point with no meetings at all a year before still
# has an expected level (a little above zero), not a division by zero.
PRIOR_TOTAL = 0.5
MIN_CELLS = 20  # fewer cells than this: too little to estimate kappa; phi alone


def is_count(indicator: str) -> bool:
    """Whole numbers (documents, meetings ...) use the negative binomial; hours the gamma."""
    info = INDICATORS.get(indicator)
    return info is not None and info.aggregate == "mean" and "hour" not in info.unit_en


@dataclass(frozen=True)
class Dispersion:
    phi: float  # variance per unit of expected total
    kappa: float  # variance per squared expected total (whole-point month shocks)
    cells: int  # reference cells it was estimated from (0: a default)

    def variance(self, expected):
        return self.phi * expected + self.kappa * np.square(expected)


DEFAULT = Dispersion(1.0, 0.0, 0)


def estimate_dispersion(n: np.ndarray, t: np.ndarray, shared: int = 0) -> Dispersion:
    """phi and kappa of one indicator from reference cells: n, t are (points, months) arrays
    (NaN where a month is missing or suppressed; n may be weighted by a season profile).
    Within each point the level is the ratio of its sums. phi alone is the Pearson statistic
    over its degrees of freedom (what a quasi-Poisson GLM with a level per point and the
    respondents as exposure estimates). kappa is kept only where the data show it: the squared
    residuals, corrected for the level being estimated from the same cells (leverage
    h = n / N), are regressed on the expected totals, r**2 / (1 - h) / E = phi + kappa * E
    (weighted least squares, two passes), and kappa counts when it is more than twice its
    standard error. `shared`: parameters fitted across the points (a month profile estimated
    from these same cells: months - 1), taken off the degrees of freedom; none left: the
    default (no estimate, cells = 0)."""
    n = np.where(np.isfinite(t) & (n > 0), n, 0.0)
    t = np.where(n > 0, t, 0.0)
    cells = (n > 0).sum(axis=1)
    big_n, big_t = n.sum(axis=1), t.sum(axis=1)
    rows = (cells >= 2) & (big_t > 0)
    if not rows.any():
        return DEFAULT
    n, t, big_n, big_t = n[rows], t[rows], big_n[rows, None], big_t[rows, None]
    present = n > 0
    level = big_t / big_n
    expected = (n * level)[present]
    leverage = (n / big_n)[present]
    pearson = np.square((t - n * level)[present]) / expected
    df = len(pearson) - int(rows.sum()) - shared
    if df <= 0:
        return DEFAULT
    phi0 = max(float(pearson.sum() / df), 1e-6)
    if len(pearson) < MIN_CELLS:
        return Dispersion(phi0, 0.0, len(pearson))
    y = pearson / (1 - leverage)
    phi, kappa = phi0, 0.0
    for _ in range(2):  # weighted least squares of y on (1, E): the 2 x 2 normal equations
        w = 1 / np.square(max(phi, phi0 / 10) + max(kappa, 0.0) * expected)
        sw, swx, swxx = w.sum(), (w * expected).sum(), (w * expected * expected).sum()
        swy, swxy = (w * y).sum(), (w * expected * y).sum()
        det = sw * swxx - swx * swx
        if det <= 0:
            return Dispersion(phi0, 0.0, len(pearson))
        phi, kappa = (swxx * swy - swx * swxy) / det, (sw * swxy - swx * swy) / det
    residual = y - phi - kappa * expected
    sigma2 = float((w * residual * residual).sum()) / max(len(y) - 2, 1)
    if kappa <= 2 * np.sqrt(sigma2 * sw / det) or phi <= 0:
        return Dispersion(phi0, 0.0, len(pearson))
    return Dispersion(float(phi), float(kappa), len(pearson))


def _distribution(expected, variance, count: bool):
    """The predictive distribution of a total: negative binomial (counts) with the given mean
    and variance, Poisson where the variance is not above the mean, gamma for hours."""
    expected = np.asarray(expected, dtype=float)
    variance = np.maximum(np.asarray(variance, dtype=float), 1e-12)
    if not count:
        return stats.gamma(np.square(expected) / variance, scale=variance / expected)
    over = variance > expected * (1 + 1e-9)
    size = np.where(over, np.square(expected) / np.where(over, variance - expected, 1), 1.0)
    return over, stats.nbinom(size, np.where(over, expected / variance, 0.5)), \
        stats.poisson(expected)


def upper_p(observed, expected, variance, count: bool) -> np.ndarray:
    """P(a total at least as high as observed | nothing changed)."""
    observed = np.asarray(observed, dtype=float)
    if not count:
        return _distribution(expected, variance, False).sf(observed)
    expected = np.asarray(expected, dtype=float)
    variance = np.asarray(variance, dtype=float)
    at_least = np.ceil(observed - 1e-9) - 1  # P(X >= k) = sf(k - 1)
    over = variance > expected * (1 + 1e-9)
    p = np.empty_like(expected)
    e, v = expected[over], variance[over]
    p[over] = stats.nbinom.sf(at_least[over], np.square(e) / (v - e), e / v)
    p[~over] = stats.poisson.sf(at_least[~over], expected[~over])
    return p


def limits(expected, variance, alpha: float, count: bool) -> tuple[np.ndarray, np.ndarray]:
    """The range a total stays within if nothing changed, except with probability alpha on
    each side: a total above `high` fires a warning at the rate alpha."""
    if not count:
        dist = _distribution(expected, variance, False)
        return dist.ppf(alpha), dist.isf(alpha)
    over, nb, poisson = _distribution(expected, variance, True)
    return (np.where(over, nb.ppf(alpha), poisson.ppf(alpha)),
            np.where(over, nb.isf(alpha), poisson.isf(alpha)))


Z95 = float(stats.norm.isf(0.025))


def ratio_interval(total_new, var_new, total_old, var_old, z: float = Z95):
    """The interval of a change of means (new - old) / old, from the totals of both periods
    and their variances under the rate model (delta method on the log of the ratio:
    Var log T = Var T / T**2; the respondent counts are fixed). NaN where a total is 0."""
    total_new, total_old = np.asarray(total_new, float), np.asarray(total_old, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.asarray(var_new, float) / np.square(total_new) +
                     np.asarray(var_old, float) / np.square(total_old))
        ok = (total_new > 0) & (total_old > 0)
        centre = np.log(np.where(ok, total_new, 1) / np.where(ok, total_old, 1))
    return np.where(ok, np.expm1(centre - z * se), np.nan), \
        np.where(ok, np.expm1(centre + z * se), np.nan)


def share_interval(share_new, var_new, n_new, share_old, var_old, n_old, z: float = Z95):
    """The interval of a change of shares in percentage points (normal approximation on the
    difference; var_* are the variances of the favourable counts)."""
    n_new, n_old = np.asarray(n_new, float), np.asarray(n_old, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.asarray(var_new, float) / np.square(n_new) +
                     np.asarray(var_old, float) / np.square(n_old))
    diff = 100 * (np.asarray(share_new, float) - np.asarray(share_old, float))
    return diff - 100 * z * se, diff + 100 * z * se
