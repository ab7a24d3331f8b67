"""The region-month rollup gives the leaders the same figures as point_month, on both engines,
and stays right after submissions and point edits that do not maintain it."""

import datetime as dt

import pandas as pd
import pytest

from survey.metrics import Filter
from survey.store import Point, analytics, region_rollup
from tests.conftest import complete_answers

HOSPITAL = Point("P-HOS-1", "清河县人民医院", "county", "hospital", ("江北市", "清河县"))
OTHER = Point("P-VIL-9", "石桥村", "village", "village", ("南山市", "石桥县", "石桥镇"))
TOWNSHIP = Point("P-TWN-1", "城关镇政府", "township", "township", ("江北市", "清河县", "城关镇"))
INDICATORS = ["meetings", "documents", "trace_demands", "satisfaction", "burden_change"]
FILTERS = [Filter(), Filter(prefecture="江北市"), Filter(prefecture="江北市", county="清河县"),
           Filter(kinds=("village", "school")), Filter(levels=("county",)),
           Filter(scope=("江北市",)), Filter(scope=("江北市", "清河县"), kinds=("hospital",)),
           Filter(start=dt.date(2026, 8, 1), end=dt.date(2026, 9, 1))]
BREAKDOWNS = [None, "kind", "level", "prefecture", "county"]


def fill(store, monthly) -> None:
    """Respondents at five points in three prefecture/county/kind groups, over four months,
    with values that differ by point, month and respondent."""
    store.add_points([HOSPITAL, OTHER, TOWNSHIP])
    points = ["P-VIL-1", "P-SCH-1", HOSPITAL.point_id, OTHER.point_id, TOWNSHIP.point_id]
    for p, point in enumerate(points):
        codes = store.issue_codes(point, 3 + p % 2)
        for m, period in enumerate(("2026-07", "2026-08", "2026-09", "2026-10")):
            for r, code in enumerate(codes):
                if (p + m + r) % 5 == 4:
                    continue  # not everyone answers every month
                answers = complete_answers(meetings=3 + p * 2 + m + r, documents=20 * (p + 1) + r,
                                           satisfaction=1 + (p + m + r) % 5,
                                           burden_change=1 + (p * m + r) % 5)
                store.submit(store.respondent(code), monthly, period, answers,
                             f"{point}-{period}-{r}", today=dt.date.fromisoformat(period + "-20"))


def both_ways(store, monkeypatch, flt, by, grain="month", k=1):
    """The figures through region_month, and the same straight from point_month."""
    assert region_rollup.source(store, flt, by) == region_rollup.REGION_SOURCE
    rolled = analytics.aggregate(store, flt, INDICATORS, grain, by=by, k=k)
    with monkeypatch.context() as m:
        m.setattr(region_rollup, "covers", lambda flt, by: False)
        assert region_rollup.source(store, flt, by) == region_rollup.POINT_SOURCE
        direct = analytics.aggregate(store, flt, INDICATORS, grain, by=by, k=k)
    return rolled, direct


def assert_same(rolled: pd.DataFrame, direct: pd.DataFrame) -> None:
    assert not direct.empty
    pd.testing.assert_frame_equal(rolled, direct, check_dtype=False, rtol=1e-12)


def test_every_region_filter_and_breakdown_equals_point_month(store, monthly, monkeypatch):
    fill(store, monthly)
    for flt in FILTERS:
        for by in BREAKDOWNS:
            rolled, direct = both_ways(store, monkeypatch, flt, by)
            try:
                assert_same(rolled, direct)
            except AssertionError as exc:
                raise AssertionError(f"{flt} by {by}: {exc}") from exc
    for grain in ("quarter", "year"):
        assert_same(*both_ways(store, monkeypatch, Filter(), "county", grain))
    # small-group suppression sees the same counts either way
    assert_same(*both_ways(store, monkeypatch, Filter(prefecture="江北市"), "kind", k=5))


def test_rollup_is_rebuilt_after_a_submission_and_a_point_edit(store, monthly, monkeypatch):
    fill(store, monthly)
    assert_same(*both_ways(store, monkeypatch, Filter(), "kind"))
    code = store.issue_codes(OTHER.point_id, 1)[0]
    store.submit(store.respondent(code), monthly, "2026-10", complete_answers(meetings=90),
                 "late", today=dt.date(2026, 10, 25))
    rolled, direct = both_ways(store, monkeypatch, Filter(), "prefecture")
    assert_same(rolled, direct)
    south = rolled[(rolled["group"] == "南山市") & (rolled["indicator"] == "meetings") &
                   (rolled["bucket"] == dt.date(2026, 10, 1))]
    assert south["total"].iloc[0] == direct.loc[south.index, "total"].iloc[0]
    assert 90 <= south["total"].iloc[0]
    # a school moved to another county and made a village: its months move with it
    store.update_point("P-SCH-1", "admin", kind="village", region=("南山市", "石桥县"))
    for by in ("kind", "county"):
        assert_same(*both_ways(store, monkeypatch, Filter(), by))


def test_township_and_point_views_keep_reading_point_month(store):
    assert region_rollup.source(store, Filter(township="城关镇"), None) == region_rollup.POINT_SOURCE
    assert region_rollup.source(store, Filter(), "township") == region_rollup.POINT_SOURCE
    assert region_rollup.source(store, Filter(), "point") == region_rollup.POINT_SOURCE
    assert region_rollup.source(store, Filter(scope=("江北市", "清河县", "城关镇")), None) == \
        region_rollup.POINT_SOURCE


@pytest.mark.parametrize("by", [None, "county"])
def test_an_empty_database_gives_no_figures(store, by):
    assert analytics.aggregate(store, Filter(), INDICATORS, "month", by=by).empty


def test_submit_can_keep_it_current_without_a_rebuild(store, monthly, monkeypatch):
    """region_rollup.refresh called where submit upserts point_month (the one call the submit
    path needs), for new submissions and a revision: the rollup agrees with point_month
    without a rebuild."""
    from survey.store import submissions
    fill(store, monthly)
    assert region_rollup.usable(store)
    plain = submissions._insert_many

    def with_refresh(cur, head, rows, tail=""):
        plain(cur, head, rows, tail)
        if head.startswith("INSERT INTO point_month"):
            region_rollup.refresh(cur, {row[:4]: list(row[4:]) for row in rows})

    monkeypatch.setattr(submissions, "_insert_many", with_refresh)
    code = store.issue_codes(HOSPITAL.point_id, 1)[0]
    for token, meetings in (("first", 40), ("revised", 7)):  # the second replaces the first
        store.submit(store.respondent(code), monthly, "2026-09", complete_answers(meetings=meetings),
                     token, today=dt.date(2026, 9, 25))
    store.submit(store.respondent(store.issue_codes(OTHER.point_id, 1)[0]), monthly, "2026-11",
                 complete_answers(meetings=5), "new month", today=dt.date(2026, 11, 25))
    assert region_rollup._stored(store._cursor()) == \
        region_rollup.fingerprints(store._cursor(), store.dialect)
    monkeypatch.setattr(region_rollup, "rebuild", lambda cur: pytest.fail("rebuilt"))
    for by in ("county", "kind"):
        assert_same(*both_ways(store, monkeypatch, Filter(), by))
