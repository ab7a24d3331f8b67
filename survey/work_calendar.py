"""China's working days, as one object that deadlines and reminders are computed with.

Day by day:
1. an office entry decides its days: the State Council's 节假日安排 as an admin entered or
   imported it (survey/store/holidays.py); its holidays (放假) are off, its adjusted working
   days (调休上班) on. An office can enter a year the day the notice is published (usually
   November), without waiting for a package release;
2. other days of a year the chinesecalendar package covers (2004-2026 in 1.11.0) keep the
   package's verdict: office entries overlay the package, they never blank out its holidays;
3. other days are Monday to Friday.
A year is exact when the package covers it or the office has entered all seven festivals
(FESTIVALS); otherwise every date computed across it is *estimated*, partial entries or not.

A WorkCalendar is built once from the office's entries (the store caches it per data version)
and passed to the functions that need it: nothing here reads a database.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Mapping

import chinese_calendar
from chinese_calendar.constants import Holiday

from survey.errors import Bilingual

HOLIDAY, WORKDAY = "holiday", "workday"
KINDS = (HOLIDAY, WORKDAY)
OFFICE, PACKAGE = "office", "package"
ONE_DAY = dt.timedelta(days=1)
LONG_RANGE_DAYS = 15        # the longest official break so far is 9 days (Spring Festival 2026)
REMIND_FROM_MONTH = 11      # the State Council publishes next year's schedule around November

# The seven statutory festivals a year's notice lists: the whole names people (and
# chinesecalendar) write, zh and en, lower case. A name may list two ("国庆节、中秋节").
FESTIVALS = {
    "元旦": ("元旦", "元旦节", "new year", "new year's day", "new years day"),
    "春节": ("春节", "spring festival", "chinese new year", "lunar new year"),
    "清明节": ("清明节", "清明", "qingming", "qingming festival", "tomb-sweeping day",
             "tomb sweeping day"),
    "劳动节": ("劳动节", "五一", "五一劳动节", "国际劳动节", "labour day", "labor day", "may day"),
    "端午节": ("端午节", "端午", "dragon boat festival", "dragon boat"),
    "中秋节": ("中秋节", "中秋", "mid-autumn festival", "mid autumn festival", "mid-autumn"),
    "国庆节": ("国庆节", "国庆", "national day"),
}
_NAME_PARTS = re.compile(r"\s*(?:[、,，/&+;；及和]|\band\b)\s*")
FESTIVAL_EN = {"元旦": "New Year's Day", "春节": "Spring Festival", "清明节": "Qingming",
               "劳动节": "Labour Day", "端午节": "Dragon Boat Festival",
               "中秋节": "Mid-Autumn Festival", "国庆节": "National Day"}


@dataclass(frozen=True)
class Entry:
    """One line of a year's schedule: a holiday (放假) or adjusted working day (调休上班) range,
    both ends included, with the festival it belongs to as the notice names it."""

    kind: str
    first: dt.date
    last: dt.date
    name: str

    def days(self) -> Iterator[dt.date]:
        day = self.first
        while day <= self.last:
            yield day
            day += ONE_DAY

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class Finding:
    """A problem with one entry (`index` into the entries checked; None: the year as a whole).
    Errors stop a save; warnings are shown and the entry is kept."""

    index: int | None
    error: bool
    message: Bilingual


def weekday_name(day: dt.date, lang: str) -> str:
    names = ("周一", "周二", "周三", "周四", "周五", "周六", "周日") if lang == "zh" else \
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return names[day.weekday()]


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """The days a year's notice may list: the year, and December before it (元旦 has started
    on 31 December: the 2023 notice gave 2022-12-31 to 2023-01-02)."""
    return dt.date(year - 1, 12, 1), dt.date(year, 12, 31)


def check(year: int, entries: list[Entry],
          refs: list[tuple[str, str]] | None = None) -> list[Finding]:
    """What is wrong with a year's schedule, entry by entry, in both languages: a reversed
    range, a day outside the year, a day both off and on (errors); an adjusted working day on
    a weekday, a very long range, overlapping ranges, festivals not listed (warnings).
    `refs` names each entry in messages about another one ("row 5", "第 5 行"; default
    "entry 1", "第 1 条")."""
    refs = refs or [(f"entry {i + 1}", f"第 {i + 1} 条") for i in range(len(entries))]
    findings: list[Finding] = []
    low, high = year_bounds(year)
    seen: dict[tuple[str, dt.date], int] = {}
    by_day: dict[dt.date, tuple[str, int]] = {}

    def add(index, error, en, zh):
        findings.append(Finding(index, error, Bilingual(en, zh)))

    for i, e in enumerate(entries):
        if not e.name.strip():
            add(i, True, "give the festival's name as the notice does, e.g. Spring Festival",
                "请填写节日名称(按通知写,例如“春节”)。")
        elif name_problem(e.name):
            add(i, True, f"the name {e.name.strip()[:20]!r} {name_problem(e.name)[0]}; write the "
                "festival's name only, e.g. 春节",
                f"名称“{e.name.strip()[:20]}”{name_problem(e.name)[1]};请只写节日名称,例如“春节”。")
        if e.first > e.last:
            add(i, True, f"the range is reversed: {e.first} is after {e.last}; put the first day "
                f"first", f"日期范围颠倒:{e.first} 晚于 {e.last},请把开始日期写在前面。")
            continue
        outside = [d for d in (e.first, e.last) if not low <= d <= high]
        if outside:
            add(i, True, f"{outside[0]} is not in {year}: a schedule for {year} lists days from "
                f"{low} to {high} (New Year's Day may start in late December); check the year "
                "of the date",
                f"{outside[0]} 不在 {year} 年:{year} 年的安排只含 {low} 至 {high} 的日期"
                f"(元旦可能从上一年 12 月底开始),请检查日期中的年份。")
            continue
        if (e.kind, e.first) in seen:
            other = refs[seen[(e.kind, e.first)]]
            add(i, True, f"this {_kind_en(e.kind)} starting {e.first} is entered twice (see "
                f"{other[0]}); remove one",
                f"从 {e.first} 开始的{_kind_zh(e.kind)}重复录入(另见{other[1]}),请删去一条。")
            continue
        seen[(e.kind, e.first)] = i
        if e.length > LONG_RANGE_DAYS:
            add(i, False, f"{e.first} to {e.last} is {e.length} days; check the last day",
                f"{e.first} 至 {e.last} 共 {e.length} 天,请核对结束日期。")
        if e.kind == WORKDAY:
            weekdays = [d for d in e.days() if d.weekday() < 5]
            if weekdays:
                add(i, False, f"{weekdays[0]} is a {weekday_name(weekdays[0], 'en')}, a working day "
                    "anyway; adjusted working days are Saturdays or Sundays: check the date",
                    f"{weekdays[0]} 是{weekday_name(weekdays[0], 'zh')},本来就上班;调休上班日通常是"
                    "周六或周日,请核对日期。")
        clash = overlap = None
        for day in e.days():
            if day in by_day:
                kind, j = by_day[day]
                if kind != e.kind and clash is None:
                    clash = (day, j)
                elif kind == e.kind and overlap is None:
                    overlap = (day, j)
            else:
                by_day[day] = (e.kind, i)
        if clash:
            day, j = clash
            add(i, True, f"{day} is both a holiday and an adjusted working day (see {refs[j][0]}); "
                "a day is one or the other: fix one of them",
                f"{day} 既是放假日又是调休上班日(另见{refs[j][1]}),一天只能是其中一种,请改正其一。")
        elif overlap:
            day, j = overlap
            add(i, False, f"overlaps {refs[j][0]} (from {day}); enter each day once",
                f"与{refs[j][1]}重叠(从 {day} 起),每天录入一次即可。")
    missing = missing_festivals(entries)
    if entries and missing:
        add(None, False, f"the {year} schedule does not list "
            f"{', '.join(FESTIVAL_EN[m] for m in missing)} yet: a State Council notice has all "
            "seven festivals; enter the rest when you have the notice",
            f"{year} 年的安排中还没有:{'、'.join(missing)}。国务院通知列出全部七个节日,请对照"
            "通知补全。")
    return findings


def name_problem(name: str) -> tuple[str, str] | None:
    """Why a festival's name cannot be stored (en, zh): text a spreadsheet would run as a
    formula (= + - @ first) or control characters; None when it is fine."""
    text = name.strip()
    if text.startswith(("=", "+", "-", "@")):
        return (f"starts with '{text[0]}', which spreadsheets run as a formula",
                f"以“{text[0]}”开头,电子表格会把它当作公式执行")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name):
        return "contains control characters (a line break, a tab)", "含有控制字符(换行、制表符等)"
    return None


def festivals_named(name: str) -> set[str]:
    """The festivals a holiday's name is, matched on whole names ("春节", "国庆节、中秋节"),
    never on part of one ("春节前" is not the Spring Festival)."""
    parts = {" ".join(p.split()) for p in _NAME_PARTS.split(name.strip().lower()) if p.strip()}
    return {f for f, aliases in FESTIVALS.items() if parts & set(aliases)}


def missing_festivals(entries: Iterable[Entry]) -> list[str]:
    named = set().union(*(festivals_named(e.name) for e in entries if e.kind == HOLIDAY))
    return [f for f in FESTIVALS if f not in named]


def _kind_en(kind: str) -> str:
    return "holiday" if kind == HOLIDAY else "adjusted working day"


def _kind_zh(kind: str) -> str:
    return "放假" if kind == HOLIDAY else "调休上班"


@lru_cache(maxsize=None)
def package_covers(year: int) -> bool:
    """Whether the installed chinesecalendar knows this year's schedule."""
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def package_entries(year: int, lang: str = "zh") -> list[Entry]:
    """The package's schedule for a year it covers, as entries (shown for reference), the
    festivals named in Chinese or English."""
    if not package_covers(year):
        return []
    out: list[Entry] = []
    day = dt.date(year, 1, 1)
    while day.year == year:
        off, holiday = chinese_calendar.get_holiday_detail(day)
        kind = HOLIDAY if off and holiday else WORKDAY if not off and day.weekday() >= 5 else None
        if kind:
            name = _package_name(holiday, lang)
            last = out[-1] if out else None
            if last and last.kind == kind and last.name == name and last.last + ONE_DAY == day:
                out[-1] = Entry(kind, last.first, day, name)
            else:
                out.append(Entry(kind, day, day, name))
        day += ONE_DAY
    return out


def _package_name(value: str | None, lang: str) -> str:
    for holiday in Holiday:
        if holiday.value == value:
            return holiday.chinese if lang == "zh" else holiday.value
    return value or ""


class WorkCalendar:
    """Working days: the office's entries day by day, over chinesecalendar for the years it
    covers, else Monday to Friday (see the module's docstring for when a year is estimated).
    Immutable; build one per change of the office's data."""

    def __init__(self, office: Mapping[int, Iterable[Entry]] | None = None,
                 use_package: bool = True):
        schedules = {year: list(entries) for year, entries in (office or {}).items()}
        self.office_years = frozenset(year for year, entries in schedules.items() if entries)
        # years the office entered in full: all seven festivals, so the year is exact
        self.complete_years = frozenset(year for year, entries in schedules.items()
                                        if entries and not missing_festivals(entries))
        self._days: dict[dt.date, Entry] = {}
        for entries in schedules.values():
            for entry in entries:
                for day in entry.days():
                    self._days[day] = entry
        self.use_package = use_package

    def package_year(self, year: int) -> bool:
        return self.use_package and package_covers(year)

    def source(self, year: int) -> str | None:
        """OFFICE (entries here: over the package's year, or all seven festivals of a year it
        does not cover), PACKAGE, or None: estimated on Monday to Friday, with any partial
        entries of the year applied to their days."""
        if year in self.office_years and (self.package_year(year) or year in self.complete_years):
            return OFFICE
        if self.package_year(year):
            return PACKAGE
        return None

    def partial(self, year: int) -> bool:
        """The office entered some of a year the package does not cover, not yet all seven
        festivals: the year stays estimated."""
        return year in self.office_years and self.source(year) is None

    def covered(self, day: dt.date) -> bool:
        return self.source(day.year) is not None

    def is_working_day(self, day: dt.date) -> bool:
        entry = self._days.get(day)   # an office entry is a fact about its day, whatever the year
        if entry is not None:
            return entry.kind == WORKDAY
        if self.package_year(day.year):
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def shift(self, day: dt.date, n: int) -> dt.date:
        """The n-th working day after `day` (n > 0), before it (n < 0); n = 0: `day` itself if
        it is a working day, else the next working day."""
        if n == 0:
            while not self.is_working_day(day):
                day += ONE_DAY
            return day
        step = ONE_DAY if n > 0 else -ONE_DAY
        count = 0
        while count < abs(n):
            day += step
            if self.is_working_day(day):
                count += 1
        return day

    def uncovered_years(self, first: dt.date, last: dt.date) -> tuple[int, ...]:
        """Years from `first` to `last` that no schedule covers: dates computed across them
        are estimated."""
        return tuple(y for y in range(min(first, last).year, max(first, last).year + 1)
                     if self.source(y) is None)

    def missing_schedules(self, today: dt.date) -> tuple[int, ...]:
        """Years an admin should enter now: this year if nothing covers it, and from
        1 November next year too."""
        years = [today.year] + ([today.year + 1] if today.month >= REMIND_FROM_MONTH else [])
        return tuple(y for y in years if self.source(y) is None)

    def describe(self, year: int, entries: list[Entry]) -> Bilingual:
        """Where a year's working days come from, for the page and `calendar status`
        (`entries`: the office's for the year)."""
        n = len(entries)
        if self.partial(year):
            missing = missing_festivals(entries)
            return Bilingual(
                f"entered here ({n} entries), estimated until all seven festivals are entered; "
                f"missing: {', '.join(missing)}",
                f"本单位录入({n} 条),七个节日录全前仍为估算;还缺:{'、'.join(missing)}")
        source = self.source(year)
        if source == OFFICE and self.package_year(year):
            return Bilingual(f"chinesecalendar package, with {n} entries entered here winning on "
                             "their days", f"chinesecalendar 软件包,其中 {n} 条按本单位录入(逐日优先)")
        if source == OFFICE:
            return Bilingual(f"entered here ({n} entries)", f"本单位录入({n} 条)")
        if source == PACKAGE:
            return Bilingual("chinesecalendar package", "chinesecalendar 软件包")
        return Bilingual("not covered: estimated on Monday to Friday", "未覆盖:按周一至周五估算")
