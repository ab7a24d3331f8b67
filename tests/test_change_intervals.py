"""The intervals of changes (rate model, analytical) against a bootstrap over respondents:
the same width where the model holds, never narrower for shares."""

import numpy as np

from survey import rate_model
from survey.metrics import Filter
from survey.store import Point
from survey import trends
from tests.conftest import VILLAGE
from tests.test_trends import submit_month


def panel(rng, points=60, people=(6, 14), months=7, person_cv=0.3, noise=1.0):
    """Respondents with their own level (fixed over time) answering every month; counts
    Poisson (noise 1) or negative binomial (variance noise x mean). Returns per point an
    array (people, months)."""
    out = []
    for _ in range(points):
        size = rng.integers(*people)
        level = rng.uniform(3, 12) * rng.gamma(1 / person_cv ** 2, person_cv ** 2, size)
        mean = np.repeat(level[:, None], months, axis=1)
        out.append(rng.poisson(mean) if noise == 1.0 else
                   rng.negative_binomial(mean / (noise - 1), 1 / noise))
    return out


def analytic_se(data, calibration, old, new) -> float:
    n = np.array([[len(p)] * len(calibration) for p in data], dtype=float)
    t = np.array([[p[:, m].sum() for m in calibration] for p in data], dtype=float)
    spread = rate_model.estimate_dispersion(n, t)
    totals = {m: np.array([p[:, m].sum() for p in data], dtype=float) for m in (old, new)}
    var = {m: spread.phi * totals[m].sum() + spread.kappa * np.square(totals[m]).sum()
           for m in (old, new)}
    return float(np.sqrt(var[new] / totals[new].sum() ** 2 + var[old] / totals[old].sum() ** 2))


def bootstrap_se(rng, data, old, new, runs=1500) -> float:
    """Respondents resampled within their point (the points are the region's own), each
    keeping both months (the same cadres answer both)."""
    logs = []
    for _ in range(runs):
        picks = [p[rng.integers(0, len(p), len(p))] for p in data]
        logs.append(np.log(sum(x[:, new].sum() for x in picks) /
                           sum(x[:, old].sum() for x in picks)))
    return float(np.std(logs))


def test_mean_change_interval_matches_a_respondent_bootstrap():
    rng = np.random.default_rng(11)
    for noise in (1.0, 1.6):
        data = panel(rng, noise=noise)
        ratio = analytic_se(data, range(5), 5, 6) / bootstrap_se(rng, data, 5, 6)
        assert 0.85 < ratio < 1.18, (noise, ratio)


def test_share_change_interval_is_never_narrower_than_the_bootstrap():
    rng = np.random.default_rng(12)
    data = []
    for _ in range(60):
        p = rng.beta(2, 3, rng.integers(6, 14))
        data.append((rng.random((len(p), 2)) < p[:, None]).astype(float))
    f = {m: np.array([x[:, m].sum() for x in data]) for m in (0, 1)}
    n = np.array([len(x) for x in data], dtype=float)
    var = {m: np.sum(f[m] * (1 - f[m] / n)) for m in (0, 1)}
    low, high = rate_model.share_interval(f[1].sum() / n.sum(), var[1], n.sum(),
                                          f[0].sum() / n.sum(), var[0], n.sum())
    analytic = (high - low) / 2 / rate_model.Z95 / 100
    boot = []
    for _ in range(1500):
        picks = [x[rng.integers(0, len(x), len(x))] for x in data]
        boot.append(sum(x[:, 1].sum() - x[:, 0].sum() for x in picks) / n.sum())
    assert analytic >= 0.95 * np.std(boot)


def test_a_change_within_chance_reads_no_clear_change_and_a_large_one_does_not(store, monthly):
    """Through the store (both engines): the breakdown's changes carry intervals; with few
    cadres a +20 % change of meetings spans zero, a doubling does not."""
    rng = np.random.default_rng(3)
    others = [Point(f"P-VIL-{i}", f"村{i}", "village", "village", ("江北市", "清河县", "城关镇"))
              for i in range(2, 6)]
    store.add_points(others)
    for point in [VILLAGE, *others]:  # five months a year before: six cadres, ~5 meetings
        for period in ("2025-08", "2025-09", "2025-10", "2025-11", "2025-12"):
            submit_month(store, monthly, point, period,
                         [{"meetings": int(m)} for m in rng.poisson(5, 6)])
    submit_month(store, monthly, VILLAGE, "2026-10", [{"meetings": m} for m in (5, 7, 6, 6, 8, 4)])
    frame = trends.series(store, Filter(), "meetings", "month", 5, by="point")
    frame = frame[frame["group"] == VILLAGE.point_id]
    row = frame[frame["bucket"] == frame["bucket"].max()].iloc[0]
    assert row["yoy"] > 0.1 and row["yoy_clear"] is False
    assert row["yoy_low"] < 0 < row["yoy_high"]
    submit_month(store, monthly, VILLAGE, "2026-11", [{"meetings": m} for m in (9, 12, 10, 11,
                                                                               13, 8)])
    frame = trends.series(store, Filter(), "meetings", "month", 5, by="point")
    frame = frame[frame["group"] == VILLAGE.point_id]
    row = frame[frame["bucket"] == frame["bucket"].max()].iloc[0]
    assert row["yoy"] > 0.9 and row["yoy_clear"] is True and row["yoy_low"] > 0
