"""The warnings' fast path (only the cells the rules read, one numeric scan of point_month)
says exactly what the reference evaluate() says over whole series, missing and suppressed
months included, on both engines."""

import datetime as dt
import math
import random

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
    alpha = rng.choice([0.003, 0.01, 0.05])
    return [
        WarningRule("yoy", "yoy_rise", Text("yoy"), pick(), window=rng.randint(1, 3),
                    alpha=alpha),
        WarningRule("base", "above_baseline", Text("base"), pick(),
                    threshold=rng.choice([0.0, 0.1]),
                    policy_date=D(rng.choice([2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)),
                    baseline_months=rng.randint(1, 8), window=rng.randint(1, 4), alpha=alpha),
        WarningRule("shift", "informal_shift", Text("shift"), pick(), window=rng.randint(1, 4),
                    formal=rng.choice(INDICATORS), alpha=alpha),
    ]


def random_series(rng: random.Random, points, months, latest, k: int = 5) -> dict:
    """{(point, indicator): {month: (n, total)}}: Poisson-like totals around a level, a third
    of the series up by 60-150 % in the last months (so every rule fires somewhere), formal
    channels sometimes down, a month missing now and then, zeros sometimes."""
    series = {}
    for point in points:
        for indicator in INDICATORS:
            level = rng.choice([0, 2, 5, 12, 40])
            rise = 1 + rng.uniform(0.6, 1.5) if rng.random() < 0.35 else rng.choice([1, 1, 0.6])
            values = series.setdefault((point, indicator), {})
            for m in months:
                if rng.random() < 0.1:
                    continue
                n = rng.randint(k, 12)
                up = rise if m >= month(latest, 3) else 1.0
                mean = level * up * n
                values[m] = (float(n), float(max(0, round(rng.gauss(mean, math.sqrt(mean + 1))))))
    return series


def key(alert) -> tuple:
    facts = {k: v for k, v in alert.facts.items() if k not in ("since", "band", "low", "high")}
    return alert.rule.id, alert.point_id, alert.indicator, alert.latest, repr(facts)


def test_the_cells_read_are_all_the_rules_need():
    """Random rules on random series: only the cells of cells_read() raise the same alerts,
    with the same facts, as the whole series."""
    rng = random.Random(13)
    latest = D(2026, 10, 1)
    months = [month(latest, b) for b in range(40)]
    fired = set()
    for _ in range(40):
        rules = random_rules(rng)
        series = random_series(rng, [f"P{i}" for i in range(12)], months, latest)
        cells = early_warning.cells_read(rules, latest)
        narrow = {(p, i): {m: v for m, v in values.items() if m in cells.get(i, ())}
                  for (p, i), values in series.items()}
        reference = early_warning.evaluate(rules, series, latest)
        fast = early_warning.evaluate(rules, narrow, latest)
        assert sorted(map(key, fast)) == sorted(map(key, reference))
        fired |= {a.rule.kind for a in reference}
    assert fired == {"yoy_rise", "above_baseline", "informal_shift"}


def test_store_fast_path_equals_reference_evaluate(store):
    """Random point-month figures written to the rollup (some below k: suppressed, some
    absent): trends.alerts through the store gives the reference's alerts (over the whole
    region: a narrower filter keeps its points' alerts, unchanged) and the evidence of each,
    on DuckDB and on PostgreSQL."""
    rng = random.Random(2026)
    k = 5
    points = [Point(f"P-R-{i}", f"点{i}", "village", "village",
                    ("江北市" if i % 2 else "南山市", f"县{i % 3}", f"镇{i}")) for i in range(24)]
    store.add_points(points)
    latest = D(2026, 10, 1)
    months = [month(latest, b) for b in range(36)]
    series = random_series(rng, [p.point_id for p in points], months, latest)
    rows, shown = [], {}
    for (point, indicator), values in series.items():
        for m, (n, total) in values.items():
            if rng.random() < 0.08:
                n = float(rng.choice([1, 3, 4]))  # below k: suppressed, never a warning
            rows.append((point, "burden_monthly", indicator, m, int(n), total, 0.0))
            if n >= k:
                shown.setdefault((point, indicator), {})[m] = (n, total)
    store._write(lambda cur: insert_many(cur, "point_month", rows))
    today = D(2026, 11, 15)
    policy_rules = [WarningRule("base", "above_baseline", Text("base"), ("meetings", "forms"),
                                policy_date=D(2025, 3, 1), alpha=0.01)]
    for rules in (load_rules()[0], random_rules(rng), policy_rules):
        reference = early_warning.evaluate(rules, shown, latest)
        for flt, only in ((Filter(), None), (Filter(prefecture="江北市"), "江北市")):
            chosen = {p.point_id for p in points if only in (None, p.region[0])}
            evaluated, found, evidence = trends.alerts(store, flt, rules, k, today=today)
            assert evaluated == latest
            assert sorted(map(key, found)) == \
                sorted(key(a) for a in reference if a.point_id in chosen)
            last24 = [month(latest, b) for b in range(23, -1, -1)]
            pairs = {(a.point_id, a.indicator) for a in found}
            assert set(zip(evidence["point"], evidence["indicator"])) == pairs
            for (point, indicator), rows_here in evidence.groupby(["point", "indicator"]):
                assert list(rows_here["month"]) == last24
                for m, value in zip(rows_here["month"], rows_here["value"]):
                    n_total = shown[(point, indicator)].get(m)
                    assert (math.isnan(value) if n_total is None
                            else math.isclose(value, n_total[1] / n_total[0]))
            for alert in found:  # the band's last month is the evaluated one, with its figure
                assert alert.facts["band"][-1]["month"] == latest
                assert alert.facts["since"] is None or alert.facts["since"] <= latest
            counted = trends.alerts(store, flt, rules, k, today=today, evidence=False)
            assert sorted(map(key, counted[1])) == sorted(map(key, found))
    assert {a.rule.kind for a in early_warning.evaluate(load_rules()[0], shown, latest)} == \
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
