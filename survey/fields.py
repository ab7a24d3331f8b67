"""What each field a person fills accepts: one rule for the pages and the core.

A page draws the limits (max_chars from `Text.limit`, the choices it offers); the core refuses
anything else with the same message, so a second front end, the command line or a script gets
the same rules as the page. Each check returns the problem as (en, zh), or None: callers raise
their own error with it (StoreError(*problem) in the store).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from survey import periods
from survey.domain import LEVELS, POINT_KINDS

Problem = tuple[str, str]  # (English, Chinese)


@dataclass(frozen=True)
class Text:
    """A typed text field: its name in both languages, its length limit, whether required."""
    en: str
    zh: str
    limit: int
    required: bool = True

    def problem(self, value) -> Problem | None:
        if not isinstance(value, str):
            return (f"{self.en} must be text", f"{self.zh}应为文字。")
        if self.required and not value.strip():
            return (f"{self.en} is required", f"请填写{self.zh}。")
        if len(value) > self.limit:
            return (f"{self.en} is longer than {self.limit} characters ({len(value)}); shorten it",
                    f"{self.zh}超过 {self.limit} 字(现在 {len(value)} 字),请缩短。")
        return None


POINT_ID = Text("the point's ID", "监测点编号", 40)
POINT_NAME = Text("the point's name", "监测点名称", 100)
REGION = Text("the region", "所属地区", 200)
USERNAME = Text("the user name", "用户名", 80)
DISPLAY_NAME = Text("the name or post", "姓名或职务", 80, required=False)
STEP_NOTE = Text("the note", "说明", 2000, required=False)  # required: clue_rules
RESPONDENT_NOTE = Text("the note", "说明", 500, required=False)
WARNING_NOTE = Text("the note on what was done", "处理情况", 1000, required=False)
CHANNEL_LABEL = Text("the group's name", "群名称", 80, required=False)  # required: rounds
WEBHOOK = Text("the webhook address", "推送地址", 500, required=False)
SECRET = Text("the signing secret", "加签密钥", 200, required=False)
REMINDER_DAYS = Text("the reminder days", "提醒日", 60, required=False)
PUBLIC_URL = Text("the address", "地址", 200)
MAX_CODES = 200  # codes issued at once (a printed sheet)
REGION_LEVELS = 3  # prefecture / county / township
CLUE_MONTHS = 12  # a problem report names one of the last 12 months


def region_problem(region, required: bool = True) -> Problem | None:
    """A region as a tuple of names, prefecture first."""
    parts = tuple(region or ())
    if not parts:
        return ("the region is required (prefecture/county/township)",
                "请填写所属地区(市/县/乡镇)。") if required else None
    if len(parts) > REGION_LEVELS:
        return (f"a region has at most {REGION_LEVELS} levels (prefecture/county/township)",
                f"地区最多 {REGION_LEVELS} 级(市/县/乡镇)。")
    if any(not isinstance(p, str) or not p.strip() or p != p.strip() or "/" in p for p in parts):
        return ("each level of the region needs a name without / or spaces around it",
                "地区的每一级都要填写名称(不含 /,前后不留空格)。")
    return REGION.problem("/".join(parts))


def point_problem(point) -> Problem | None:
    """A monitoring point as the points page, an import and the store accept it."""
    return next(filter(None, (
        POINT_ID.problem(point.point_id), POINT_NAME.problem(point.name),
        choice_problem(point.level, LEVELS, "level", "层级"),
        choice_problem(point.kind, POINT_KINDS, "kind", "类型"),
        region_problem(point.region))), None)


def choice_problem(value, options, en: str, zh: str) -> Problem | None:
    """One of the options a page offers (codes of a vocabulary)."""
    if value in options:
        return None
    return (f"{en} '{value}' is not one of {', '.join(map(str, options))}",
            f"{zh}“{value}”不在可选范围内:{'、'.join(map(str, options))}。")


def count_problem(count, low: int, high: int, en: str, zh: str) -> Problem | None:
    """A whole number in [low, high]."""
    if isinstance(count, bool) or not isinstance(count, int) or not low <= count <= high:
        return (f"{en} must be a whole number from {low} to {high}",
                f"{zh}须为 {low} 至 {high} 的整数。")
    return None


def clue_months(today: dt.date | None = None) -> list[str]:
    """The months a problem report may name, newest first (the page's list)."""
    return periods.recent("month", today or dt.date.today(), CLUE_MONTHS)


def month_problem(month, today: dt.date | None = None) -> Problem | None:
    if month is None or month in clue_months(today):
        return None
    return (f"choose the month it happened, one of the last {CLUE_MONTHS} months "
            "(e.g. 2026-10)", f"请选择发生时间:近 {CLUE_MONTHS} 个月中的一个月份(如 2026-10)。")


def period_problem(kind: str, key) -> Problem | None:
    """A period key of a questionnaire's kind (month 2026-11, quarter 2026-Q4, week 2026-W47,
    year 2026, a one-off survey's opening day 2022-06-01)."""
    try:
        periods.bounds(kind, str(key).strip())
    except periods.PeriodError:
        return (f"'{str(key).strip()}' is not a period of this questionnaire, e.g. 2026-11 "
                "(month), 2026-Q4 (quarter), 2026-W47 (week), 2026 (year), or a one-off "
                "survey's opening day (2022-06-01).",
                f"“{str(key).strip()}”不是该问卷的期次,例如 2026-11(月)、2026-Q4(季)、"
                "2026-W47(周)、2026(年),一次性调查为其开始日期(如 2022-06-01)。")
    return None


# Bodies, filed plans and duty lists (survey/sources.py, docs/sources.md)
BODY_ID = Text("the body's ID", "单位编号", 40)
BODY_SHORT = Text("the short name", "简称", 40)
BODY_FULL = Text("the full name", "全称", 100)
PLAN_SUBJECT = Text("what is inspected", "督检考事项", 200)
PLAN_NOTE = Text("the reason for the change", "变更原因", 500, required=False)
DUTY_TASK = Text("the task", "事项", 200)
DUTY_BASIS = Text("the basis", "依据", 200, required=False)
OTHER_BODY = Text("the body's name", "单位名称", 100)  # a report's 其他 + text
