"""The office's holiday schedules (table holiday_schedule): each year's State Council notice as
entered or imported on the 工作日历 page, and the WorkCalendar built from them.

A year with entries here is the office's; survey/work_calendar.py says what that means for
working days. Every change is checked (survey.work_calendar.check) and audit-logged in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref

from survey.work_calendar import Entry, WorkCalendar, check
from survey.store.core import Store, StoreError

COLUMNS = "kind, first_day, last_day, name"


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class ScheduleError(StoreError):
    """A schedule that cannot be saved; `findings` says what is wrong with which entry."""

    def __init__(self, en: str, zh: str, findings=()):
        super().__init__(en, zh)
        self.findings = list(findings)


# -- reads -----------------------------------------------------------------------------------
def entries(store: Store, year: int) -> list[Entry]:
    """A year's entries in date order."""
    return [Entry(k, f, l, n) for k, f, l, n in store._rows(
        f"SELECT {COLUMNS} FROM holiday_schedule WHERE year = ? ORDER BY first_day, kind",
        [year])]


def years(store: Store) -> dict[int, dict]:
    """The years the office has entered: entries, holidays, working days, last change."""
    rows = store._rows("SELECT year, count(*), count(*) FILTER (WHERE kind = 'holiday'), "
                       "max(entered_at) FROM holiday_schedule GROUP BY year ORDER BY year")
    return {y: {"entries": n, "holidays": h, "changed_at": at} for y, n, h, at in rows}


def load(store: Store) -> WorkCalendar:
    """The calendar from the database as it is now (one small read)."""
    office: dict[int, list[Entry]] = {}
    for year, kind, first, last, name in store._rows(
            f"SELECT year, {COLUMNS} FROM holiday_schedule ORDER BY year, first_day"):
        office.setdefault(year, []).append(Entry(kind, first, last, name))
    return WorkCalendar(office)


_cache: "weakref.WeakKeyDictionary[Store, tuple[int, WorkCalendar]]" = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


def work_calendar(store: Store) -> WorkCalendar:
    """The calendar, built once per data version of the store (pages and the reminder thread
    ask on every run; a change of any schedule is a new data version)."""
    version = store.data_version
    cached = _cache.get(store)
    if cached is not None and cached[0] == version:
        return cached[1]
    calendar = load(store)
    with _cache_lock:
        _cache[store] = (version, calendar)
    return calendar


# -- writes ----------------------------------------------------------------------------------
def _refuse_errors(year: int, schedule: list[Entry], only: int | None = None) -> list:
    """The findings for a schedule; raise ScheduleError if any is an error (about entry `only`,
    when given: the one being added)."""
    findings = check(year, schedule)
    errors = [f for f in findings if f.error and (only is None or f.index == only)]
    if errors:
        first = errors[0].message
        raise ScheduleError(str(first), first.text("zh"), errors)
    return [f for f in findings if not f.error]


def add_entry(store: Store, year: int, entry: Entry, actor: str) -> list:
    """Add one entry to a year's schedule (the year becomes the office's). Returns the year's
    warnings; raises ScheduleError, writing nothing, when the entry is wrong."""
    entry = Entry(entry.kind, entry.first, entry.last, entry.name.strip())

    def work(cur):
        current = [Entry(*r) for r in cur.execute(
            f"SELECT {COLUMNS} FROM holiday_schedule WHERE year = ? ORDER BY first_day, kind",
            [year]).fetchall()]
        warnings = _refuse_errors(year, current + [entry], only=len(current))
        cur.execute("INSERT INTO holiday_schedule VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [year, entry.kind, entry.first, entry.last, entry.name, _now(), actor])
        store._audit(cur, actor, "add_holiday_entry", str(year), _detail(entry))
        return warnings
    return store._write(work)


def remove_entry(store: Store, year: int, entry: Entry, actor: str) -> None:
    def work(cur):
        gone = cur.execute("DELETE FROM holiday_schedule WHERE year = ? AND kind = ? AND "
                           "first_day = ? RETURNING 1", [year, entry.kind, entry.first]).fetchall()
        if not gone:
            raise StoreError("that entry is no longer there (someone else removed it); the page "
                             "shows the schedule as it is now", "该条已不存在(可能已被他人删除),"
                             "页面显示的是当前的安排。")
        store._audit(cur, actor, "remove_holiday_entry", str(year), _detail(entry))
    store._write(work)


def replace_year(store: Store, year: int, schedule: list[Entry], actor: str,
                 source: str = "") -> list:
    """The year's schedule becomes exactly `schedule` (an import); an empty one gives the year
    back to the package. Returns the warnings; raises ScheduleError, writing nothing, on errors."""
    schedule = [Entry(e.kind, e.first, e.last, e.name.strip()) for e in schedule]
    warnings = _refuse_errors(year, schedule) if schedule else []

    def work(cur):
        before = cur.execute("SELECT count(*) FROM holiday_schedule WHERE year = ?",
                             [year]).fetchall()[0][0]
        cur.execute("DELETE FROM holiday_schedule WHERE year = ?", [year])
        now = _now()
        for e in schedule:
            cur.execute("INSERT INTO holiday_schedule VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [year, e.kind, e.first, e.last, e.name, now, actor])
        store._audit(cur, actor, "replace_holiday_schedule" if schedule else
                     "clear_holiday_schedule", str(year),
                     {"entries_before": before, "entries": [_detail(e) for e in schedule],
                      "source": source})
    store._write(work)
    return warnings


def _detail(entry: Entry) -> dict:
    return {"kind": entry.kind, "first": entry.first.isoformat(), "last": entry.last.isoformat(),
            "name": entry.name}
