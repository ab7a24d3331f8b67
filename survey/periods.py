"""Reporting periods: keys like 2026-11 (month), 2026-Q4 (quarter), 2026-W47 (ISO week)."""

from __future__ import annotations

import datetime as dt
import re

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class PeriodError(ValueError):
    pass


def key_for(kind: str, day: dt.date) -> str:
    if kind == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    if kind == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
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
    raise PeriodError(f"'{key}' is not a {kind} period (examples: 2026-11, 2026-Q4, 2026-W47)")


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def previous(kind: str, key: str) -> str:
    start, _ = bounds(kind, key)
    return key_for(kind, start - dt.timedelta(days=1))


def following(kind: str, key: str) -> str:
    _, end = bounds(kind, key)
    return key_for(kind, end + dt.timedelta(days=1))


def recent(kind: str, today: dt.date, count: int) -> list[str]:
    """The current period and the ones before it, newest first."""
    keys = [key_for(kind, today)]
    while len(keys) < count:
        keys.append(previous(kind, keys[-1]))
    return keys


def span(kind: str, first: str, last: str) -> list[str]:
    """Every period from first to last inclusive, oldest first."""
    keys = [last]
    first_start = bounds(kind, first)[0]
    while bounds(kind, keys[-1])[0] > first_start:
        keys.append(previous(kind, keys[-1]))
    return keys[::-1]
