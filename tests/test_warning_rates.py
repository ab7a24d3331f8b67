"""The warnings' false-alarm rate and detection, measured on seeded simulated history written
to the store (both engines), as the issue measured the old rules: 120 stable points and 40
whose meetings rise by 40 % (the issue had 20; 40 halve the sampling error of the share
caught), about 8 respondents a point and month, Poisson counts with a calendar season, no
other change at any date."""

import numpy as np
import pytest

from bench import warnings as sim
from survey import early_warning, rate_model, trends
from survey.early_warning import month
from survey.leader_config import load_rules
from survey.metrics import Filter
from survey.store import Point
from survey.store.engine import insert_many

K = 5


def load_world(store, world) -> None:
    store.add_points([Point(p, p, "village", "village", ("模拟市", "模拟县", "模拟镇"))
                      for p in world.cells.points])
    cells, rows = world.cells, []
    for (p, i, m) in zip(*np.nonzero(np.isfinite(cells.total))):
        rows.append((cells.points[p], "burden_monthly", cells.indicators[i], cells.months[m],
                     int(cells.n[p, i, m]), float(cells.total[p, i, m]), 0.0))
    store._write(lambda cur: insert_many(cur, "point_month", rows))


def test_stable_points_are_rarely_warned_and_a_real_rise_is_caught(store):
    rules = load_rules()[0]
    world = sim.simulate(120, 40, seed=2028, model="poisson", sizes=(8, 9), rises=(0.4,),
                         targets=("meetings",))
    load_world(store, world)
    evaluated = [month(sim.LATEST, b) for b in range(11, -1, -1)]
    fired = {}
    for m in evaluated:
        latest, found, _ = trends.alerts(store, Filter(end=m), rules, K, evidence=False)
        assert latest == m
        fired[m] = found
    stable = [p for p in world.cells.points if p not in world.change]
    months = len(evaluated)
    any_rate = np.mean([len({a.point_id for a in found} & set(stable)) / len(stable)
                        for found in fired.values()])
    assert 0 < any_rate <= 0.05  # at most 5 % of stable points warned in a month
    for rule in rules:  # each rule within its set rate, give or take its sampling error
        rate = np.mean([len({a.point_id for a in found if a.rule.id == rule.id} & set(stable))
                        / len(stable) for found in fired.values()])
        nominal = rule.alpha * len(rule.indicators)
        assert rate <= nominal + 3 * np.sqrt(nominal * (1 - nominal) / (len(stable) * months))
    # the rise starts two months before the last month: caught within three months
    risen = set(world.change)
    caught = {a.point_id for found in list(fired.values())[-3:] for a in found
              if a.point_id in risen and a.indicator == "meetings"}
    assert len(caught) >= 0.8 * len(risen)


def test_dispersion_matches_a_quasi_poisson_glm():
    """The pooled dispersion (phi) on quasi-Poisson counts equals statsmodels' Pearson
    estimate of a Poisson GLM with one level per point and respondents as exposure (the model
    the vectorised estimate stands for), and finds no month shocks where there are none."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(7)
    points, months = 150, 7
    n = rng.integers(5, 25, (points, months)).astype(float)
    level = rng.uniform(2, 15, (points, 1))
    mean = n * level
    total = rng.negative_binomial(mean / 1.0, 0.5).astype(float)  # variance = 2 x mean
    mine = rate_model.estimate_dispersion(n, total)
    point = np.repeat(np.arange(points), months)
    design = np.eye(points)[point]
    glm = sm.GLM(total.reshape(-1), design, family=sm.families.Poisson(),
                 offset=np.log(n.reshape(-1))).fit(scale="X2")
    assert mine.phi == pytest.approx(glm.scale, rel=0.1)
    assert mine.phi == pytest.approx(2.0, rel=0.15) and mine.kappa < 0.002
    shocked = total * rng.gamma(1 / 0.04, 0.04, total.shape)  # 20 % month shocks
    assert rate_model.estimate_dispersion(n, shocked).kappa == pytest.approx(0.04, rel=0.5)


def test_a_missing_latest_month_or_a_small_one_is_never_a_warning():
    rules = load_rules()[0]
    world = sim.simulate(60, 10, seed=5, sizes=(8, 9), rises=(1.0,), targets=("meetings",))
    cells = world.cells
    latest = sim.LATEST
    risen = [i for i, p in enumerate(cells.points) if p in world.change]
    found = early_warning.evaluate_cells(rules, cells, latest)
    assert {a.point_id for a in found if a.indicator == "meetings"} >= \
        {cells.points[i] for i in risen[:5]}  # +100 %: caught
    last = cells.months.index(latest)
    meetings = cells.indicators.index("meetings")
    cells = early_warning.Cells(cells.points, cells.indicators, cells.months, cells.n.copy(),
                                cells.total.copy())
    cells.n[risen, meetings, last] = np.nan  # suppressed (below k) or nobody answered
    cells.total[risen, meetings, last] = np.nan
    found = early_warning.evaluate_cells(rules, cells, latest)
    assert not {a.point_id for a in found if a.indicator == "meetings"} & set(world.change)
