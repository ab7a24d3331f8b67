"""Leaders' numbers against hand-computed fixtures, on real DuckDB files."""

import datetime as dt

import pandas as pd
import pytest

from survey import early_warning, trends
from survey.leader_config import WarningRule, load_index, load_rules
from survey.metrics import Cell, Filter, pct_change, suppress
from survey.questionnaire.model import Text
from survey.rate_model import Dispersion
from survey.store import Point, analytics
from tests.conftest import SCHOOL, VILLAGE, complete_answers

HOSPITAL = Point("P-HOS-1", "清河县人民医院", "county", "hospital", ("江北市", "清河县"))
OTHER_COUNTY = Point("P-VIL-9", "石桥村", "village", "village", ("南山市", "石桥县", "石桥镇"))
D = dt.date


def submit_month(store, monthly, point, period, values: list[dict]):
    """One respondent per dict, each submitting for `period`."""
    today = dt.date.fromisoformat(period + "-15")
    for i, overrides in enumerate(values):
        respondent = store.respondent(store.issue_codes(point.point_id, 1)[0])
        store.submit(respondent, monthly, period, complete_answers(**overrides),
                     f"{point.point_id}-{period}-{i}-{id(values)}", today=today)


def test_change_is_new_minus_old_over_old():
    assert round(pct_change(95, 145), 3) == -0.345
    assert pct_change(95, 0) is None and pct_change(None, 3) is None and pct_change(3, None) is None
    assert pct_change(0, 4) == -1.0


def test_headline_changes_on_hand_computed_data(store, monthly):
    submit_month(store, monthly, VILLAGE, "2025-10", [{"meetings": 29}] * 5)  # 145 in all
    submit_month(store, monthly, VILLAGE, "2026-09", [{"meetings": 20}] * 5)
    submit_month(store, monthly, VILLAGE, "2026-10", [{"meetings": 19}] * 5)  # 95 in all
    bucket, rows = trends.headline(store, Filter(), "month", D(2026, 10, 1), k=5,
                                   indicators=("meetings", "satisfaction"))
    meetings = rows.set_index("indicator").loc["meetings"]
    assert meetings["total"] == 95 and meetings["n"] == 5
    assert round(meetings["yoy"], 4) == round((95 - 145) / 145, 4) == -0.3448
    assert round(meetings["pop"], 4) == -0.05  # (19 - 20) / 20
    assert meetings["good_yoy"] is True  # fewer meetings is good news
    satisfaction = rows.set_index("indicator").loc["satisfaction"]
    assert satisfaction["share"] == 1.0  # everyone answered 4 (satisfied): top two


def test_zero_or_missing_baseline_gives_no_change(store, monthly):
    submit_month(store, monthly, VILLAGE, "2026-09", [{"inspections": 0, "inspection_hours": None}] * 5)
    submit_month(store, monthly, VILLAGE, "2026-10", [{"inspections": 2}] * 5)
    _, rows = trends.headline(store, Filter(), "month", D(2026, 10, 1), k=5,
                              indicators=("inspections",))
    row = rows.iloc[0]
    assert row["mean"] == 2 and row["prev"] == 0
    assert pd.isna(row["pop"]) and pd.isna(row["yoy"])  # zero, and no baseline last year


def test_suppression_at_k_minus_one_and_k(store, monthly):
    submit_month(store, monthly, VILLAGE, "2026-09", [{"meetings": 3}] * 4)
    submit_month(store, monthly, VILLAGE, "2026-10", [{"meetings": 3}] * 5)
    frame = trends.series(store, Filter(), "meetings", "month", k=5)
    by_month = frame.set_index("bucket")
    assert by_month.loc[D(2026, 9, 1), "suppressed"]
    assert pd.isna(by_month.loc[D(2026, 9, 1), "mean"])
    assert pd.isna(by_month.loc[D(2026, 9, 1), "n"])  # not even the exact small count
    assert not by_month.loc[D(2026, 10, 1), "suppressed"]
    assert by_month.loc[D(2026, 10, 1), "mean"] == 3
    assert pd.isna(by_month.loc[D(2026, 10, 1), "pop"])  # change against a hidden figure: none


def test_breakdown_hides_a_second_group_so_subtraction_reveals_nothing(store, monthly):
    store.add_points([HOSPITAL])
    submit_month(store, monthly, VILLAGE, "2026-10", [{"meetings": 10}] * 6)
    submit_month(store, monthly, SCHOOL, "2026-10", [{"meetings": 40}] * 4)  # small group
    submit_month(store, monthly, HOSPITAL, "2026-10", [{"meetings": 20}] * 7)
    frame = trends.series(store, Filter(), "meetings", "month", k=5, by="kind")
    cells = frame.set_index("group")
    assert cells.loc["school", "reason"] == "small"
    assert cells.loc["village", "reason"] == "complement"  # the smallest other group
    assert not cells.loc["hospital", "suppressed"] and cells.loc["hospital", "mean"] == 20
    _, total = trends.headline(store, Filter(), "month", D(2026, 10, 1), k=5,
                               indicators=("meetings",))
    assert total.iloc[0]["n"] == 17  # the total stays; school alone cannot be recovered


def test_filters_region_level_kind(store, monthly):
    store.add_points([OTHER_COUNTY])
    submit_month(store, monthly, VILLAGE, "2026-10", [{"meetings": 10}] * 5)
    submit_month(store, monthly, OTHER_COUNTY, "2026-10", [{"meetings": 30}] * 5)
    mean = lambda flt: trends.series(store, flt, "meetings", "month", k=5)["mean"].tolist()  # noqa
    assert mean(Filter()) == [20]
    assert mean(Filter(prefecture="南山市")) == [30]
    assert mean(Filter(prefecture="江北市", county="清河县", township="城关镇")) == [10]
    assert mean(Filter(kinds=("school",))) == []
    assert mean(Filter(levels=("village",), start=D(2026, 11, 1))) == []


def test_quantiles_for_the_distribution(store, monthly):
    submit_month(store, monthly, VILLAGE, "2026-10", [{"meetings": m} for m in (1, 2, 3, 4, 5)])
    row = trends.series(store, Filter(), "meetings", "month", k=5, quantiles=True).iloc[0]
    assert row["p50"] == 3 and row["p25"] == 2 and row["p75"] == 4


def test_burden_index_is_100_at_baseline_and_follows_the_load(store, monthly):
    definition, problems = load_index()
    assert problems == []
    base = dict(meetings=10, forms=14, inspections=2, apps=6, meeting_hours=6.0, form_hours=7.0,
                duplicate_forms=2)
    half = dict(meetings=5, forms=7, inspections=1, apps=3, meeting_hours=3.0, form_hours=3.5,
                duplicate_forms=1)
    submit_month(store, monthly, VILLAGE, "2026-03", [base] * 5)  # baseline: Mar-Aug
    submit_month(store, monthly, VILLAGE, "2026-10", [half] * 5)
    frame = trends.burden_index(store, Filter(), definition, "month", k=5).set_index("bucket")
    assert round(frame.loc[D(2026, 3, 1), "index"], 6) == 100.0
    # 95% of the weight halves, trace_demands (5%, everyone yes) stays: 100 * (0.95/2 + 0.05)
    assert round(frame.loc[D(2026, 10, 1), "index"], 6) == 52.5


def rule(kind, **kw):
    return WarningRule(id=kind, kind=kind, title=Text(kind), **kw)


POISSON = {i: Dispersion(1.0, 0.0, 0) for i in ("meetings", "forms", "documents",
                                                   "chat_groups")}


def monthly(totals: dict, n: int = 10) -> dict:
    return {m: (float(n), float(total)) for m, total in totals.items()}


def test_yoy_rule_fires_on_a_rise_beyond_chance():
    """Two months against the same months a year before (one either side): expected total =
    level x respondents, variance = Poisson + the level's own uncertainty; the p-value is the
    negative binomial's tail with that mean and variance, computed here by hand."""
    from scipy import stats
    yoy = rule("yoy_rise", indicators=("meetings",), window=2, alpha=0.003)
    before = {D(2025, m, 1): 100 for m in (8, 9, 10, 11)}  # 10 respondents, 10 meetings each
    up = {**before, D(2026, 9, 1): 150, D(2026, 10, 1): 160}
    noise = {**before, D(2026, 9, 1): 110, D(2026, 10, 1): 105}
    gap = {**before, D(2026, 9, 1): 150}  # the latest month missing: never a warning
    alerts = early_warning.evaluate(
        [yoy], {("A", "meetings"): monthly(up), ("B", "meetings"): monthly(noise),
                ("C", "meetings"): monthly(gap)}, D(2026, 10, 1), POISSON)
    assert [a.point_id for a in alerts] == ["A"]
    level = (400 + 0.5) / 40
    expected = 20 * level
    variance = expected + expected ** 2 * (40 * level) / (40 * level) ** 2
    size, p = expected ** 2 / (variance - expected), expected / variance
    facts = alerts[0].facts
    assert facts["observed"] == 15.5 and round(facts["expected"], 6) == round(level, 6)
    assert facts["p"] == pytest.approx(stats.nbinom.sf(309, size, p))
    assert facts["high"] == pytest.approx(stats.nbinom.isf(0.003, size, p) / 20)
    assert facts["window"] == (D(2026, 9, 1), D(2026, 10, 1))
    assert facts["reference"] == (D(2025, 8, 1), D(2025, 11, 1))
    quiet = stats.nbinom.sf(214, size, p)  # B: +7.5 %, well within chance
    assert quiet > 0.1


def test_above_baseline_and_informal_shift_rules():
    """Back at the level before the rules: clearly up on a year before AND at least the
    baseline; clearly up but still below the baseline is not a return (C). Informal shift:
    chat groups clearly up while documents fall."""
    above = rule("above_baseline", indicators=("forms",), policy_date=D(2025, 7, 1),
                 baseline_months=6, window=3, alpha=0.003)
    before = {D(2025, m, 1): 200 for m in range(1, 7)}  # baseline: 20 forms each
    cut = {D(2025, m, 1): 120 for m in range(7, 12)}  # a year before the window: 12 each
    recent = [D(2026, 8, 1), D(2026, 9, 1), D(2026, 10, 1)]
    series = {(p, "forms"): monthly({**before, **cut, **dict(zip(recent, totals))})
              for p, totals in (("A", (190, 210, 220)), ("B", (130, 125, 140)),
                                ("C", (170, 180, 175)))}
    found = early_warning.evaluate([above], series, D(2026, 10, 1), POISSON)
    assert [(a.point_id, round(a.facts["baseline"])) for a in found] == [("A", 20)]
    shift = rule("informal_shift", formal="documents", indicators=("chat_groups",), window=3,
                 alpha=0.003)
    year_before = [D(2025, m, 1) for m in range(7, 12)]
    series = {}
    for point, documents, groups in (("A", 400, 150), ("B", 400, 105), ("C", 520, 150)):
        series[(point, "documents")] = monthly({**{m: 500 for m in year_before},
                                                **{m: documents for m in recent}})
        series[(point, "chat_groups")] = monthly({**{m: 100 for m in year_before},
                                                  **{m: groups for m in recent}})
    found = early_warning.evaluate([shift], series, D(2026, 10, 1), POISSON)
    assert [(a.point_id, a.indicator, round(a.facts["formal_change"], 2)) for a in found] == \
        [("A", "chat_groups", -0.2)]


def test_handled_warning_stays_handled_until_it_fires_on_newer_data(store):
    alert = early_warning.Alert(rule("yoy_rise", indicators=("meetings",)), "P", "meetings",
                                D(2026, 9, 1))
    assert early_warning.is_open(alert, store.warning_states())
    with pytest.raises(Exception):
        store.handle_warning(alert.key, alert.latest, "张三", "  ")  # a note is required
    store.handle_warning(alert.key, alert.latest, "张三", "已发提示函")
    assert not early_warning.is_open(alert, store.warning_states())
    newer = early_warning.Alert(alert.rule, "P", "meetings", D(2026, 10, 1))
    assert early_warning.is_open(newer, store.warning_states())  # it comes back
    logged = store.query("SELECT actor, target FROM audit_log WHERE action = 'handle_warning'")
    assert logged == [("张三", alert.key)]


def test_default_rules_and_index_load(tmp_path):
    rules, problems = load_rules()
    assert problems == [] and {r.kind for r in rules} == {"yoy_rise", "above_baseline",
                                                          "informal_shift"}
    broken = tmp_path / "w.yaml"
    broken.write_text("rules:\n  - id: x\n    kind: yoy_rise\n    title: 甲\n"
                      "    indicators: [meeting]\n")
    rules, problems = load_rules(broken)
    assert rules == [] and str(problems[0]).startswith(f"{broken}:5:18: C002 unknown indicator "
                                                       "'meeting'; did you mean 'meetings'?")


def test_demo_data_raises_rebound_warnings(tmp_path):
    from survey.bootstrap import start
    from survey.config import resolve
    s = start(resolve({"SURVEY_DB": str(tmp_path / "d.duckdb"), "SURVEY_CODE_KEY": "k"})).store
    rules, _ = load_rules()
    latest, found, _ = trends.alerts(s, Filter(), rules, k=5)
    assert found, "the demo's rebound points should raise warnings"
    assert {a.point_id for a in found} <= {p.point_id for p in s.points()}
    # every point that really changes is warned, and few others (the false-alarm rate)
    import random
    from survey import demo
    rebound, shifting = demo.changed_points(random.Random(demo.SEED), demo.demo_points())
    warned = {a.point_id for a in found}
    assert rebound | shifting <= warned and len(warned - rebound - shifting) <= 3
    assert {a.point_id for a in found if a.rule.kind == "informal_shift"} <= shifting
    for alert in found:  # each with its expected band over the months it tested
        tested = [row for row in alert.facts["band"] if row["month"] >= alert.facts["window"][0]]
        assert tested and all(row["low"] <= row["expected"] <= row["high"] for row in tested)
        assert alert.facts["low"] < alert.facts["expected"] < alert.facts["high"] < \
            alert.facts["observed"]
    s.close()


def test_suppress_keeps_hidden_set_at_least_k():
    cells = [Cell("a", 2, {"mean": 1}), Cell("b", 2, {"mean": 1}), Cell("c", 3, {"mean": 1}),
             Cell("d", 9, {"mean": 1})]
    suppress(cells, 5)
    assert [c.suppressed for c in cells] == [True, True, True, False]  # 2+2 < 5: c too
    alone = [Cell("a", 9, {"mean": 1})]
    assert not suppress(alone, 5)[0].suppressed


def test_vectorised_suppression_matches_the_reference_rule():
    import random

    from survey.metrics import suppressed_mask
    rng = random.Random(7)
    for _ in range(300):
        cells = [Cell(f"g{i}", rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 20]), {"mean": 1.0})
                 for i in range(rng.randint(1, 8))]
        frame = pd.DataFrame({"indicator": "x", "bucket": 1, "group": [c.group for c in cells],
                              "n": [c.n for c in cells]})
        hidden, reason = suppressed_mask(frame, ["indicator", "bucket"], 5)
        suppress(cells, 5)
        assert list(hidden) == [c.suppressed for c in cells]
        assert list(reason) == [c.reason for c in cells]


def test_rollup_stays_equal_to_a_rebuild_after_revisions(store, monthly):
    submit_month(store, monthly, VILLAGE, "2026-09", [{"meetings": 3}, {"meetings": 5}] * 3)
    respondent = store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0])
    today = D(2026, 10, 15)
    store.submit(respondent, monthly, "2026-10", complete_answers(meetings=9, trace_demands=False,
                                                                   trace_hours=None), "a", today=today)
    store.submit(respondent, monthly, "2026-10", complete_answers(meetings=2), "b", today=today)
    live = store.query("SELECT * FROM point_month ORDER BY ALL")
    store._write(store.rebuild_rollups)
    assert store.query("SELECT * FROM point_month ORDER BY ALL") == live
    october = dict(store.query("SELECT indicator, total FROM point_month WHERE period_start = "
                               "DATE '2026-10-01'"))
    assert october["meetings"] == 2 and october["trace_hours"] == 2.5  # the revision counts


def test_overview_gives_share_changes_in_points_and_gaps_for_hidden_months(store, monthly):
    submit_month(store, monthly, VILLAGE, "2025-10", [{"satisfaction": "4"}] * 2 +
                 [{"satisfaction": "2"}] * 3)  # 40% satisfied
    submit_month(store, monthly, VILLAGE, "2026-08", [{"meetings": 5}] * 5)
    submit_month(store, monthly, VILLAGE, "2026-09", [{"meetings": 5}] * 3)  # hidden (3 < k)
    submit_month(store, monthly, VILLAGE, "2026-10", [{"satisfaction": "5"}] * 3 +
                 [{"satisfaction": "1"}] * 2)  # 60% satisfied
    bucket, rows, sparks = trends.overview(store, Filter(), "month", D(2026, 10, 1), k=5)
    assert bucket == D(2026, 10, 1)
    sat = rows.set_index("indicator").loc["satisfaction"]
    assert round(sat["figure"], 6) == 0.6 and round(sat["change"], 6) == 20.0  # +20 points
    assert round(sat["yoy"], 4) == round((3.4 - 2.8) / 2.8, 4)  # the mean's change stays relative
    assert trends.format_change("satisfaction", sat["change"]) == "+20.0 个百分点"
    assert trends.format_change("meetings", -0.345) == "-34.5%"
    # but five cadres a month: +20 points is well within chance, so it reads 无明显变化
    assert sat["change_clear"] is False and sat["change_low"] < 0 < sat["change_high"]
    assert trends.format_change("satisfaction", sat["change"], "zh", False) == "无明显变化"
    assert sat["good"] is None
    meetings = sparks["meetings"]
    assert len(meetings) == 24 and meetings[-3:] == [5.0, None, 9.0]  # hidden month: a gap
    assert list(rows["indicator"]) == list(trends.READING_ORDER)
    sentence = trends.summary_sentence(rows, 2, "全部监测点", "2026年10月")
    assert "对减负满意的干部占 60%(同比 无明显变化)" in sentence
    assert "未处理的反弹预警 2 条" in sentence


def test_summary_sentence_counts_falls_and_names_the_largest_rise():
    rows = pd.DataFrame([
        {"indicator": "documents", "yoy": -0.1, "change": -0.1, "share": None},
        {"indicator": "meetings", "yoy": 0.3, "change": 0.3, "share": None},
        {"indicator": "forms", "yoy": 0.05, "change": 0.05, "share": None},
        {"indicator": "apps", "yoy": None, "change": None, "share": None},
        {"indicator": "satisfaction", "yoy": 0.5, "change": 4.0, "share": 0.7}])
    zh = trends.summary_sentence(rows, 0, "江北市", "2026年10月")
    assert zh.startswith("2026年10月,江北市 4 项负担指标中 1 项同比下降、2 项上升")
    assert "上升最多的是参加会议次数(+30.0%)" in zh
    en = trends.summary_sentence(rows, 1, "Jiangbei", "Oct 2026", "en")
    assert "1 of 4 burden indicators fell" in en and "1 rebound warning open" in en


def test_trend_chart_draws_hidden_months_as_bands_not_zero(store, monthly):
    from survey import charts
    submit_month(store, monthly, VILLAGE, "2026-08", [{"meetings": 5}] * 5)
    submit_month(store, monthly, VILLAGE, "2026-09", [{"meetings": 5}] * 3)
    submit_month(store, monthly, VILLAGE, "2026-10", [{"meetings": 7}] * 5)
    frame = trends.series(store, Filter(), "meetings", "month", k=5)
    spec = charts.trend(frame, "meetings", "zh", "month", "mean", 5).to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
             for layer in spec["layer"]]
    assert marks == ["rect", "line"]  # the hidden month is a band; no tick at zero
    datasets = spec["datasets"]
    line_rows = datasets[spec["layer"][1]["data"]["name"]]
    assert [r["value"] for r in line_rows] == [5.0, 7.0]
    assert len({r["segment"] for r in line_rows}) == 2  # the line breaks over the gap
    band = datasets[spec["layer"][0]["data"]["name"]]
    assert len(band) == 1 and "value" not in band[0]


def test_period_labels_in_each_language():
    assert trends.bucket_label(D(2026, 10, 1), "month", "zh") == "2026年10月"
    assert trends.bucket_label(D(2026, 10, 1), "month", "en") == "Oct 2026"
    assert trends.bucket_label(D(2026, 7, 1), "quarter", "zh") == "2026年第3季度"
    assert trends.bucket_label(D(2026, 7, 1), "quarter") == "2026-Q3"


def test_the_period_range_follows_a_new_month_at_once(store, monthly):
    """The range is read once per data version: a submission for a later month moves it on
    the next read, with no cache to expire."""
    submit_month(store, monthly, VILLAGE, "2026-01", [complete_answers()])
    assert analytics.period_range(store) == (dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    assert analytics.period_range(store) == (dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    submit_month(store, monthly, VILLAGE, "2026-03", [complete_answers()])
    assert analytics.period_range(store) == (dt.date(2026, 1, 1), dt.date(2026, 3, 1))
