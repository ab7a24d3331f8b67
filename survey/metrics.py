"""Rules for the numbers leaders see: filters, changes, and small-group suppression.

Pure functions; the SQL that feeds them lives in survey.store.analytics.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from survey.indicators import INDICATORS

GRAINS = ("month", "quarter", "year")
# Dimensions a breakdown can group by, and the points-view column behind each.
DIMENSIONS = {"level": "level", "kind": "kind", "prefecture": "prefecture", "county": "county",
              "township": "township", "point": "point_id"}
# The burden indicators on the leaders' headline, in reading order.
HEADLINE = ("documents", "meetings", "meeting_hours", "forms", "form_hours", "duplicate_forms",
            "inspections", "inspection_hours", "trace_demands", "apps", "chat_groups",
            "burden_change", "satisfaction")


@dataclass(frozen=True)
class Filter:
    """Which monitoring points and periods a figure covers. Empty means 'all'."""

    prefecture: str | None = None
    county: str | None = None
    township: str | None = None
    levels: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    start: dt.date | None = None  # first day of the first period included
    end: dt.date | None = None  # first day of the last period included
    questionnaire_id: str = "burden_monthly"
    # The viewer's region (a county leader's county): applied to every query whatever else
    # the filter says, so a leader can never see outside it.
    scope: tuple[str, ...] = ()

    def narrowed(self, **changes) -> "Filter":
        return replace(self, **changes)

    @property
    def region(self) -> tuple[str, ...]:
        return tuple(x for x in (self.prefecture, self.county, self.township) if x)


def pct_change(new: float | None, old: float | None) -> float | None:
    """(new - old) / old; None when either is missing or the baseline is zero."""
    if new is None or old is None or old == 0:
        return None
    return (new - old) / old


def favourable(indicator: str, change: float | None) -> bool | None:
    """Is this change good news? A fall in burden is good; a rise in satisfaction is good."""
    if change is None or change == 0:
        return None
    lower_is_better = INDICATORS[indicator].lower_is_better
    return (change < 0) == lower_is_better


def share_rule(indicator: str) -> str:
    """How the 'share' column is computed for an indicator (see survey.store.analytics):
    yes: share answering yes; low2: share in the two lowest of five points (e.g. burden
    lighter); top2: share in the two highest (e.g. satisfied); none: no share."""
    info = INDICATORS[indicator]
    if info.aggregate == "share":
        return "yes"
    if info.aggregate == "likert":
        return "low2" if info.lower_is_better else "top2"
    return "none"


@dataclass
class Cell:
    """One aggregate figure: a group (or None for the total) in one period."""

    group: str | None
    n: int  # distinct respondents behind the figure
    values: dict = field(default_factory=dict)  # e.g. mean, share, total, quantiles
    suppressed: bool = False
    reason: str | None = None  # "small" (n < k) or "complement" (would reveal a small group)


def suppress(cells: list[Cell], k: int, total_shown: bool = True) -> list[Cell]:
    """Small-group suppression for one breakdown (groups that partition a total): the reference
    statement of the rule. Queries use suppressed_mask(), its vectorised form, which a test
    checks against this on random breakdowns.

    Primary: every cell with fewer than k respondents. Complementary: when the total (or the
    sum of the other cells) is visible, one hidden cell could be recovered by subtraction, and
    so could a hidden set whose respondents add up to fewer than k. So hide further cells,
    smallest first, until the hidden set is empty or has at least two cells and k respondents.
    """
    for cell in cells:
        if cell.n < k:
            _hide(cell, "small")
    if not total_shown:
        return cells
    hidden = [c for c in cells if c.suppressed]
    visible = sorted((c for c in cells if not c.suppressed), key=lambda c: (c.n, str(c.group)))
    while hidden and (len(hidden) < 2 or sum(c.n for c in hidden) < k) and visible:
        extra = visible.pop(0)
        _hide(extra, "complement")
        hidden.append(extra)
    return cells


def _hide(cell: Cell, reason: str) -> None:
    cell.suppressed = True
    cell.reason = reason
    cell.values = {key: None for key in cell.values}


def suppressed_mask(frame: pd.DataFrame, by: list[str], k: int) -> tuple[pd.Series, pd.Series]:
    """The same rule as suppress(), vectorised for large breakdowns (thousands of points x
    months). Cells are rows with columns n and group; `by` names the columns that identify
    one breakdown. Returns (suppressed, reason) aligned with frame."""
    if frame.empty:
        return pd.Series(dtype=bool), pd.Series(dtype=object)
    primary = frame["n"] < k
    keys = [frame[c] for c in by]
    hidden_cnt = primary.groupby(keys).transform("sum")
    hidden_n = frame["n"].where(primary, 0).groupby(keys).transform("sum")
    # visible cells in the order suppress() hides them: fewest respondents first, then name
    order = frame.assign(_visible=~primary, _name=frame["group"].astype(str)).sort_values(
        by + ["_visible", "n", "_name"])
    visible = order["_visible"]
    rank = visible.groupby([order[c] for c in by]).cumsum().where(visible, 0)
    cum_n = order["n"].where(visible, 0).groupby([order[c] for c in by]).cumsum()
    rank, cum_n = rank.reindex(frame.index), cum_n.reindex(frame.index)
    before_cnt = hidden_cnt + rank - 1
    before_n = hidden_n + cum_n - frame["n"]
    complement = ~primary & (hidden_cnt > 0) & ((before_cnt < 2) | (before_n < k))
    reason = pd.Series(np.select([primary, complement], ["small", "complement"], None),
                       index=frame.index, dtype=object)
    return primary | complement, reason
