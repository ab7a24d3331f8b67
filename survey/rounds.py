"""Reporting rounds: when a period's round opens, its deadline on China's working-day calendar,
and whether a report came in on time, late, or not at all.

Working days come from a WorkCalendar (survey/work_calendar.py: the office's entered holiday
schedules, else the chinesecalendar package, else Monday to Friday), passed in by the caller.
A round computed across a year no schedule covers says so (`estimated`), so pages, reminders
and exports can mark it; entering that year's schedule corrects it at the next computation,
since deadlines are computed, never stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterator

from survey import fields, periods
from survey.errors import DomainError
from survey.work_calendar import WorkCalendar

ON_TIME, LATE, MISSING, PENDING = "on_time", "late", "missing", "pending"
STATUSES = (ON_TIME, LATE, MISSING, PENDING)


class RuleError(DomainError):
    pass


@dataclass(frozen=True)
class Rule:
    """A questionnaire's round rule. The deadline is the `deadline_days`-th working day after
    the period ends (0: the period's last day, moved to the next working day if it is off).
    The round opens `open_days` working days before the period ends (None: on its first day).
    Reminders go out at `remind_at` on the working days `reminders` away from the deadline day
    (-2: two working days before, 0: the deadline day, 1: the working day after it)."""

    questionnaire_id: str
    deadline_days: int = 5
    open_days: int | None = None
    reminders: tuple[int, ...] = (-1, 0, 1, 3)
    remind_at: dt.time = dt.time(9, 30)
    updated_by: str = "system"
    updated_at: dt.datetime | None = field(default=None, compare=False)

    def check(self) -> None:
        if not 0 <= self.deadline_days <= 60:
            raise RuleError("the deadline must be 0 to 60 working days after the period ends",
                            "截止日须为本期结束后第 0 至 60 个工作日。")
        if self.open_days is not None and not 0 <= self.open_days <= 60:
            raise RuleError("the round opens 0 to 60 working days before the period ends",
                            "开始时间须为本期结束前 0 至 60 个工作日。")
        if any(not -20 <= r <= 20 for r in self.reminders):
            raise RuleError("reminders are -20 to 20 working days from the deadline",
                            "提醒时间须为截止日前后 20 个工作日以内。")


@dataclass(frozen=True)
class Round:
    questionnaire_id: str
    period_key: str
    period_start: dt.date
    period_end: dt.date
    opens: dt.date
    deadline: dt.date          # the last day that counts as on time (the whole day)
    # years between the period's start and the deadline that no holiday schedule covers: the
    # dates were counted on Monday to Friday there
    estimated_years: tuple[int, ...] = ()

    @property
    def estimated(self) -> bool:
        return bool(self.estimated_years)

    @property
    def deadline_end(self) -> dt.datetime:
        """Submissions up to this moment are on time."""
        return dt.datetime.combine(self.deadline + dt.timedelta(days=1), dt.time())

    def status(self, first_submitted: dt.datetime | None, now: dt.datetime) -> str:
        if first_submitted is not None:
            return ON_TIME if first_submitted < self.deadline_end else LATE
        return MISSING if now >= self.deadline_end else PENDING


def round_for(rule: Rule, period_kind: str, period_key: str, calendar: WorkCalendar) -> Round:
    """A period's round. A one-off survey's (period: once) opens and ends with its window: the
    form closes on its `closes:` day, so that day is the deadline whatever the rule says."""
    start, end = periods.bounds(period_kind, period_key)
    if periods.window(period_kind) is not None:
        return Round(rule.questionnaire_id, period_key, start, end, start, end,
                     calendar.uncovered_years(start, end))
    deadline = calendar.shift(end, rule.deadline_days)
    if rule.open_days is None:
        opens = start
    elif rule.open_days == 0:  # right after the period (a report about a finished month)
        opens = end + dt.timedelta(days=1)
    else:
        opens = max(start, calendar.shift(end + dt.timedelta(days=1), -rule.open_days))
    return Round(rule.questionnaire_id, period_key, start, end, opens, deadline,
                 calendar.uncovered_years(start, deadline))


def coming(rule: Rule, period_kind: str, today: dt.date, calendar: WorkCalendar
           ) -> Iterator[Round]:
    """The rounds from the current period on, endlessly (the caller stops); a one-off survey
    has its one."""
    key = periods.current(period_kind, today)
    while key is not None:
        yield round_for(rule, period_kind, key, calendar)
        key = periods.following(period_kind, key)


def reminder_times(rule: Rule, rnd: Round, calendar: WorkCalendar) -> list[dt.datetime]:
    """When reminders for a round go out: working days only, never before the round opens."""
    times = set()
    for offset in rule.reminders:
        day = calendar.shift(rnd.deadline, offset)
        if day >= rnd.opens:
            times.add(dt.datetime.combine(day, rule.remind_at))
    return sorted(times)


def parse_offsets(text: str) -> tuple[int, ...]:
    """'-1, 0, 1, 3' -> (-1, 0, 1, 3), with a message people can act on."""
    if problem := fields.REMINDER_DAYS.problem(text):
        raise RuleError(*problem)
    try:
        values = tuple(sorted({int(part) for part in text.replace(",", " ").replace(",", " ")
                               .split()}))
    except ValueError as exc:
        raise RuleError("write reminder days as whole numbers separated by commas, e.g. -1, 0, 1, 3",
                        "提醒日请写整数,用逗号分隔,例如 -1, 0, 1, 3。") from exc
    return values


def weekday_label(day: dt.date, lang: str) -> str:
    names = ("周一", "周二", "周三", "周四", "周五", "周六", "周日") if lang == "zh" else \
        ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    return f"{day:%Y-%m-%d} ({names[day.weekday()]})"


def estimated_note(rnd: Round, lang: str) -> str:
    """Why a round's dates are estimated, short enough for a reminder message."""
    years = "、".join(str(y) for y in rnd.estimated_years) if lang == "zh" else \
        ", ".join(str(y) for y in rnd.estimated_years)
    if lang == "zh":
        return f"估算:{years} 年节假日安排尚未录入或未录全,按周一至周五计算"
    return (f"estimated: the {years} holiday schedule is not entered yet or not complete, "
            "counted Monday to Friday")
