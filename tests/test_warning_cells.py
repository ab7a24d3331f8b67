"""The warnings' fast path (only the cells the rules read, one numeric scan of point_month)
says exactly what the reference evaluate() says over whole series, missing and suppressed
months included, on both engines."""

import datetime as dt
import random

import pandas as pd

from survey import early_warning, trends
from survey.early_warning import month
from survey.leader_config import WarningRule, load_rules
from survey.metrics import Filter
from survey.questionnaire.model import Text
from survey.store import Point
from survey.store.engine import insert_many

D = dt.date
INDICATORS = ("documents", "meetings", "meeting_hours", "forms", "form_hours", "inspections",
              "duplicate_forms", "chat_groups", "apps")


def random_rules(rng: random.Random) -> list[WarningRule]:
    pick = lambda: tuple(rng.sample(INDICATORS, rng.randint(1, 4)))  # noqa: E731
    return [
        WarningRule("yoy", "yoy_rise", Text("yoy"), pick(), threshold=rng.choice([0.0, 0.1, 0.2]),
                    periods=rng.randint(1, 3), min_increase=rng.choice([0.0, 1.0])),
        WarningRule("base", "above_baseline", Text("base"), pick(),
                    threshold=rng.choice([0.0, 0.1]),
                    policy_date=D(rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)),
                    baseline_months=rng.randint(1, 8), window=rng.randint(1, 4)),
        WarningRule("shift", "informal_shift", Text("shift"), pick(), threshold=0.15,
                    window=rng.randint(1, 4), formal=rng.choice(INDICATORS)),
    ]


def random_series(rng: random.Random, points, months) -> dict:
    """{(point, indicator): {month: mean}}: levels that jump about (so every rule fires
    somewhere), a month missing now and then, zeros sometimes (no change from zero)."""
    series = {}
    for point in points:
        for indicator in INDICATORS:
            level = rng.choice([0, 2, 5, 12, 40])
            series[(point, indicator)] = {
                m: float(round(level * rng.uniform(0.5, 1.8))) for m in months
                if rng.random() > 0.15}
    return series


def key(alert) -> tuple:
    return alert.rule.id, alert.point_id, alert.indicator, alert.latest, repr(alert.facts)


def test_the_cells_read_are_all_the_rules_need():
    """Random rules on random series: the pivot of only cells_read() raises the same alerts,
    with the same facts, as the whole series."""
    rng = random.Random(13)
    latest = D(2026, 10, 1)
    months = [month(latest, b) for b in range(40)]
    fired = set()
    for _ in range(60):
        rules = random_rules(rng)
        series = random_series(rng, [f"P{i}" for i in range(12)], months)
        cells = early_warning.cells_read(rules, latest)
        narrow = {(p, i): {m: v for m, v in values.items() if m in cells.get(i, ())}
                  for (p, i), values in series.items()}
        reference = early_warning.evaluate(rules, series, latest)
        fast = early_warning.evaluate_frame(rules, early_warning.to_pivot(narrow), latest)
        assert sorted(map(key, fast)) == sorted(map(key, reference))
        fired |= {a.rule.kind for a in reference}
    assert fired == {"yoy_rise", "above_baseline", "informal_shift"}


def test_store_fast_path_equals_reference_evaluate(store):
    """Random point-month figures written to the rollup (some below k: suppressed, some
    absent): trends.alerts through the store gives the reference's alerts and the evidence
    of each, on DuckDB and on PostgreSQL; a region filter keeps only its points."""
    rng = random.Random(2026)
    k = 5
    points = [Point(f"P-R-{i}", f"点{i}", "village", "village",
                    ("江北市" if i % 2 else "南山市", f"县{i % 3}", f"镇{i}")) for i in range(20)]
    store.add_points(points)
    latest = D(2026, 10, 1)
    months = [month(latest, b) for b in range(27)]
    rows, series = [], {}
    for point in points:
        for indicator in INDICATORS:
            level = rng.choice([0, 2, 5, 12, 40])
            rebound = rng.random() < 0.3  # up by half in the last two months
            shown = series.setdefault((point.point_id, indicator), {})
            for m in months:
                if rng.random() < 0.1:
                    continue  # nobody answered
                n = rng.choice([1, 3, 4]) if rng.random() < 0.15 else rng.randint(k, 10)
                up = 1.6 if rebound and m >= month(latest, 1) else 1.0
                total = float(round(level * up * rng.uniform(0.5, 1.8) * n))
                rows.append((point.point_id, "burden_monthly", indicator, m, n, total, 0.0))
                if n >= k:
                    shown[m] = total / n
    store._write(lambda cur: insert_many(cur, "point_month", rows))
    today = D(2026, 11, 15)
    for rules in (load_rules()[0], random_rules(rng)):
        for flt, only in ((Filter(), None), (Filter(prefecture="江北市"), "江北市")):
            chosen = {p.point_id for p in points if only in (None, p.region[0])}
            reference = early_warning.evaluate(
                rules, {pi: v for pi, v in series.items() if pi[0] in chosen}, latest)
            evaluated, found, evidence = trends.alerts(store, flt, rules, k, today=today)
            assert evaluated == latest and found
            assert sorted(map(key, found)) == sorted(map(key, reference))
            last24 = [month(latest, b) for b in range(23, -1, -1)]
            assert list(evidence.columns) == last24
            assert sorted(evidence.index) == sorted({(a.point_id, a.indicator) for a in found})
            for (point_id, indicator), row in evidence.iterrows():
                expected = pd.Series([series[(point_id, indicator)].get(m, float("nan"))
                                      for m in last24], index=last24)
                pd.testing.assert_series_equal(row, expected, check_names=False)
            counted = trends.alerts(store, flt, rules, k, today=today, evidence=False)
            assert sorted(map(key, counted[1])) == sorted(map(key, found))
    assert {a.rule.kind for a in trends.alerts(store, Filter(), load_rules()[0], k,
                                               today=today)[1]} == \
        {"yoy_rise", "above_baseline", "informal_shift"}


def test_no_figure_the_rules_read_still_says_the_month(store):
    """Figures only outside the cells the rules read: no alerts, but the month evaluated
    is still given (as before); no figures at all: nothing evaluated."""
    rules = load_rules()[0]
    assert trends.alerts(store, Filter(), rules, 5, today=D(2026, 11, 15))[0] is None
    row = ("P-VIL-1", "burden_monthly", "meetings", D(2026, 10, 1), 2, 8.0, 0.0)  # below k
    old = ("P-VIL-1", "burden_monthly", "meetings", D(2025, 12, 1), 6, 30.0, 0.0)
    store._write(lambda cur: insert_many(cur, "point_month", [row, old]))
    latest, found, evidence = trends.alerts(store, Filter(), rules, 5, today=D(2026, 11, 15))
    assert latest == D(2026, 10, 1) and found == [] and evidence.empty
