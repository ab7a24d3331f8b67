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
        WarningRule("base", "back_above_baseline", Text("base"), pick(),
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
    ranges = ("low", "high", "formal_low", "formal_high", "formal_clear")  # evidence only
    facts = {k: v for k, v in alert.facts.items() if k not in ("since", "band") + ranges}
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
    assert fired == {"yoy_rise", "back_above_baseline", "informal_shift"}


def random_points(store, rng: random.Random, latest: dt.date, k: int):
    """24 points in two prefectures and three counties with random_series figures written to
    the rollup (some below k: suppressed, some absent): (points, the figures shown)."""
    points = [Point(f"P-R-{i}", f"点{i}", "village", "village",
                    ("江北市" if i % 2 else "南山市", f"县{i % 3}", f"镇{i}")) for i in range(24)]
    store.add_points(points)
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
    return points, shown


def test_store_fast_path_equals_reference_evaluate(store):
    """Random point-month figures written to the rollup (some below k: suppressed, some
    absent): trends.alerts through the store gives the reference's alerts (over the whole
    region: a narrower filter keeps its points' alerts, unchanged) and the evidence of each,
    on DuckDB and on PostgreSQL."""
    rng = random.Random(2026)
    k = 5
    latest = D(2026, 10, 1)
    points, shown = random_points(store, rng, latest, k)
    today = D(2026, 11, 15)
    policy_rules = [WarningRule("base", "back_above_baseline", Text("base"), ("meetings", "forms"),
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
        {"yoy_rise", "back_above_baseline", "informal_shift"}


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


def test_a_point_warning_and_its_evidence_are_the_same_whoever_looks(store):
    """A county leader (scope: the county), the admin looking at that county, and the admin
    over the whole network see, for the county's points, the same warnings with the same
    evidence (expected level, range, since when, the monthly band), and the leader sees no
    other point: the rate model is estimated over the network, not the viewer's region."""
    rng = random.Random(7)
    points, _ = random_points(store, rng, D(2026, 10, 1), 5)
    county = ("江北市", "县1")
    mine = {p.point_id for p in points if p.region[:2] == county}
    rules = load_rules()[0]
    seen = {}
    for name, flt in (("leader", Filter(scope=county)),
                      ("admin, the county", Filter(prefecture=county[0], county=county[1])),
                      ("admin, network", Filter())):
        trends._models.clear()  # each as the first viewer of the process
        _, found, evidence = trends.alerts(store, flt, rules, 5, today=D(2026, 11, 15))
        seen[name] = (sorted((a.key, repr(a.facts)) for a in found if a.point_id in mine),
                      evidence[evidence["point"].isin(mine)].reset_index(drop=True))
        if name == "leader":
            assert {a.point_id for a in found} <= mine
    alerts, evidence = seen["leader"]
    assert len(alerts) >= 3
    for name in ("admin, the county", "admin, network"):
        assert seen[name][0] == alerts, name
        assert seen[name][1].equals(evidence), name


def test_the_warning_chart_shows_what_the_rule_tested_and_the_hidden_months(store):
    """A point whose meetings doubled in the last two months, with one month answered by only
    three cadres: the evidence marks that month suppressed (no figure, no n, no total) and a
    month nobody answered is only missing; the chart draws the hidden month as a grey band with
    its legend entry, and shows the window the rule tested, its figure and its range, with the
    numbers of the sentence, which says how much a range covers (99.3 % at the rule's alpha)."""
    import html
    import vl_convert
    from survey import charts
    rng = random.Random(3)
    points = [Point(f"P-C-{i}", f"点{i}", "village", "village", ("江北市", "县1", f"镇{i}"))
              for i in range(8)]
    store.add_points(points)
    latest = D(2026, 10, 1)
    hidden, absent = month(latest, 5), month(latest, 7)
    rows = []
    for point in points:
        for back in range(36):
            m = month(latest, back)
            riser = point.point_id == "P-C-0"
            if riser and m == absent:
                continue
            n = 3 if riser and m == hidden else 10
            level = 8 * (2 if riser and back < 2 else 1)
            rows.append((point.point_id, "burden_monthly", "meetings", m, n,
                         float(sum(rng.randint(level - 3, level + 3) for _ in range(n))), 0.0))
    store._write(lambda cur: insert_many(cur, "point_month", rows))
    rule = WarningRule("yoy_rise", "yoy_rise", Text("同比上升"), ("meetings",), window=2,
                       alpha=0.04 / 12)
    _, found, evidence = trends.alerts(store, Filter(), [rule], 5, today=D(2026, 11, 15))
    alert = next(a for a in found if a.point_id == "P-C-0")
    mine = evidence[evidence["point"] == "P-C-0"].set_index("month")
    assert mine.loc[hidden, "suppressed"] and math.isnan(mine.loc[hidden, "value"])
    assert math.isnan(mine.loc[hidden, "n"]) and math.isnan(mine.loc[hidden, "total"])
    assert not mine.loc[absent, "suppressed"] and math.isnan(mine.loc[absent, "value"])
    assert mine.drop(index=[hidden, absent])["value"].notna().all()
    f = alert.facts
    sentence = trends.alert_facts(alert, "zh")
    numbers = [f"{f[key]:.1f}" for key in ("observed", "low", "high")]
    assert f"{numbers[0]} 次/月" in sentence and f"99.3% 的可能在 {numbers[1]}–{numbers[2]}" \
        in sentence
    window = charts.Window(*f["window"], f["observed"], f["low"], f["high"])
    series = mine.reset_index().rename(columns={"month": "bucket"})
    chart = charts.warning_evidence(series, "meetings", "zh", window=window, k=5)
    svg = html.unescape(vl_convert.vegalite_to_svg(charts.themed(chart).properties(
        width=600).to_dict()))
    assert f">近2个月平均:{numbers[0]}<" in svg
    assert f">近2个月如无变化的范围:{numbers[1]}–{numbers[2]}<" in svg
    assert ">样本少于 5 人,不显示<" in svg
    spec = chart.to_dict()
    rects = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rect"]
    hidden_band = next(r for r in rects if "end" in str(r["encoding"]["x2"]) and
                       r["encoding"].get("y") is None)
    assert len(spec["datasets"][hidden_band["data"]["name"]]) == 1  # the hidden month only
    assert charts.evidence_height(chart) >= 220 + 6 * charts.LEGEND_ROW
