"""Reporting periods: keys like 2026-11 (month), 2026-Q4 (quarter), 2026-W47 (ISO week), 2026
(year), and 2022-06-01 for a one-off survey (the day its window opens).

A period kind is `month`, `quarter`, `week` or `year`, or for a one-off survey (a 2022 village
survey, a 专项调查) `once:OPENS..CLOSES` with its window's dates (`once_kind`): one period, whose
key is the opening day, so extending the window (a later `closes:` in a new version) keeps the
answers in the same period. A one-off period has no previous one (`previous` gives None).
"""

from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_YEAR = re.compile(r"^(\d{4})$")
_ONCE = re.compile(r"^once:(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")
ONCE = "once"


class PeriodError(ValueError):
    pass


def once_kind(opens: dt.date, closes: dt.date) -> str:
    """The period kind of a one-off survey open from `opens` to `closes` (both included)."""
    return f"{ONCE}:{opens.isoformat()}..{closes.isoformat()}"


def base_kind(kind: str) -> str:
    """month, quarter, week, year or once."""
    return ONCE if kind.startswith(ONCE + ":") else kind


def window(kind: str) -> tuple[dt.date, dt.date] | None:
    """A one-off survey's first and last day, None for the recurring kinds."""
    m = _ONCE.match(kind)
    if not m:
        return None
    try:
        return dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
    except ValueError as exc:
        raise PeriodError(f"'{kind}' has no valid dates") from exc


def key_for(kind: str, day: dt.date) -> str:
    if kind == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    if kind == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if kind == "year":
        return f"{day.year:04d}"
    if (span_ := window(kind)) is not None:
        if not span_[0] <= day <= span_[1]:
            raise PeriodError(f"{day.isoformat()} is outside the survey's window "
                              f"{span_[0].isoformat()} .. {span_[1].isoformat()}")
        return span_[0].isoformat()
    raise PeriodError(f"unknown period kind '{kind}'")


def bounds(kind: str, key: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period."""
    if kind == "month" and (m := _MONTH.match(key)) and 1 <= int(m[2]) <= 12:
        start = dt.date(int(m[1]), int(m[2]), 1)
        return start, _next_month(start) - dt.timedelta(days=1)
    if kind == "quarter" and (m := _QUARTER.match(key)):
        start = dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
        return start, _next_month(_next_month(_next_month(start))) - dt.timedelta(days=1)
    if kind == "week" and (m := _WEEK.match(key)):
        try:
            start = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError as exc:
            raise PeriodError(f"'{key}' is not a week") from exc
        return start, start + dt.timedelta(days=6)
    if kind == "year" and (m := _YEAR.match(key)) and int(m[1]) >= 1:
        return dt.date(int(m[1]), 1, 1), dt.date(int(m[1]), 12, 31)
    if (span_ := window(kind)) is not None:
        if key != span_[0].isoformat():
            raise PeriodError(f"'{key}' is not the period of this one-off survey; its period is "
                              f"{span_[0].isoformat()} (open {span_[0].isoformat()} .. "
                              f"{span_[1].isoformat()})")
        return span_
    raise PeriodError(f"'{key}' is not a {base_kind(kind)} period (examples: 2026-11, 2026-Q4, "
                      "2026-W47, 2026)")


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def current(kind: str, day: dt.date) -> str:
    """The period in progress on `day`; a one-off survey's only period, whatever the day."""
    span_ = window(kind)
    return span_[0].isoformat() if span_ else key_for(kind, day)


def previous(kind: str, key: str) -> str | None:
    """The period before; None for a one-off survey (it has one period)."""
    start, _ = bounds(kind, key)
    if window(kind) is not None:
        return None
    return key_for(kind, start - dt.timedelta(days=1))


def following(kind: str, key: str) -> str | None:
    """The period after; None for a one-off survey."""
    _, end = bounds(kind, key)
    if window(kind) is not None:
        return None
    return key_for(kind, end + dt.timedelta(days=1))


def recent(kind: str, today: dt.date, count: int) -> list[str]:
    """The current period and the ones before it, newest first (a one-off survey: its one)."""
    keys = [current(kind, today)]
    while len(keys) < count and (before := previous(kind, keys[-1])) is not None:
        keys.append(before)
    return keys


def span(kind: str, first: str, last: str) -> list[str]:
    """Every period from first to last inclusive, oldest first."""
    keys = [last]
    first_start = bounds(kind, first)[0]
    while bounds(kind, keys[-1])[0] > first_start:
        keys.append(previous(kind, keys[-1]))
    return keys[::-1]


def label(kind: str, key: str, lang: str) -> str:
    """A period as respondents read it: 2026-10, 2026-Q4, 2026-W40, 2026年 / 2026, and a one-off
    survey's window, 2022-06-01 至 2022-07-15 / 2022-06-01 to 2022-07-15."""
    if base_kind(kind) == "year":
        return f"{key}年" if lang == "zh" else key
    span_ = window(kind)
    if span_ is not None and key == span_[0].isoformat():
        joiner = " 至 " if lang == "zh" else " to "
        return span_[0].isoformat() + joiner + span_[1].isoformat()
    return key


_KIND_LABELS = {"month": ("每月", "Monthly"), "quarter": ("每季度", "Quarterly"),
                "week": ("每周", "Weekly"), "year": ("每年", "Yearly")}


def kind_label(kind: str, lang: str) -> str:
    """A period kind as an administrator reads it: 每月 / Monthly ..., a one-off survey
    一次性(2022-06-01 至 2022-07-15) / One-off (2022-06-01 to 2022-07-15)."""
    span_ = window(kind)
    if span_ is not None:
        dates = label(kind, span_[0].isoformat(), lang)
        return f"一次性({dates})" if lang == "zh" else f"One-off ({dates})"
    zh, en = _KIND_LABELS.get(kind, (kind, kind))
    return zh if lang == "zh" else en


def key_bounds(key: str, kind: str | None = None) -> tuple[dt.date, dt.date]:
    """A stored period's first and last day. A recurring kind reads from the key's shape; a
    one-off period's key is its opening day, and it ends on its kind's closing day (kind not
    known: the day it opened)."""
    if kind is not None and window(kind) is not None:
        try:
            return bounds(kind, key)
        except PeriodError:  # another version's window: its opening day at least
            pass
    for recurring in ("month", "quarter", "week", "year"):
        try:
            return bounds(recurring, key)
        except PeriodError:
            continue
    day = dt.date.fromisoformat(key)
    return day, day


def in_months(key: str, kind: str | None, first: str | None, last: str | None) -> bool:
    """Whether a period overlaps the months first..last (keys such as 2026-03; either may be
    None): a year, a quarter or a one-off survey counts in every month it covers, not only
    the month it starts in."""
    start, end = key_bounds(key, kind)
    return (first is None or end >= bounds("month", first)[0]) and \
        (last is None or start <= bounds("month", last)[1])
