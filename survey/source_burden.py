"""The leaders' 负担来源 (burden sources) figures and the findings a 提示函 is drafted from
(issue 20; docs/leaders.md, docs/sources.md).

Bodies are ranked here: that is the purpose. Points never are: every figure is a sum over
points of an area, and the store drops any row from fewer than k points
(survey/store/source_reports.py), so the page, its downloads and the letter show the same
suppressed figures. Changes are (new - old) / old, year on year (the same month a year
before), and only between two figures that are both shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from survey import domain
from survey.metrics import Filter, pct_change
from survey.sources import REASONS, TOPICS, Registry
from survey.store import bodies
from survey.store import source_reports

ALL_TOPICS = {**TOPICS, "inspections": {"zh": "督检考", "en": "Inspections"}}
UNITS = {"documents": ("件", "documents"), "meetings": ("次", "meetings"),
         "forms": ("份", "forms"), "inspections": ("次", "inspections")}


def label(table: dict, code: str, lang: str) -> str:
    return table.get(code, {}).get(lang, code)


def month_key(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def shift_month(month: str, months: int) -> str:
    year, number = int(month[:4]), int(month[5:7]) + months
    year, number = year + (number - 1) // 12, (number - 1) % 12 + 1
    return f"{year}-{number:02d}"


def month_text(month: str, lang: str) -> str:
    """2026年5月 / May 2026 (as the trends page writes months)."""
    day = dt.date(int(month[:4]), int(month[5:7]), 1)
    return f"{day.year}年{day.month}月" if lang == "zh" else f"{day:%b %Y}"


def window(flt: Filter, today: dt.date | None = None) -> tuple[str, str]:
    """The months the page covers: the filter's range, else the twelve months to last month."""
    today = today or dt.date.today()
    last = month_key(flt.end) if flt.end else shift_month(month_key(today), -1)
    first = month_key(flt.start) if flt.start else shift_month(last, -11)
    return first, last


def names(registry: Registry) -> dict[str, str]:
    """Each body's current short name (a merged body's own, for history)."""
    return {b: body.current.short_name for b, body in registry.bodies.items()}


@dataclass
class Sources:
    """Everything the page shows for one filter, from the suppressed reads."""
    first: str
    last: str
    burden: pd.DataFrame     # body_id, body, month, topic, amount, points
    off_plan: pd.DataFrame   # area, month, body_id, body, reason, inspections, points
    hidden: int              # rows left out for fewer than k points
    registry: Registry


def read(store, flt: Filter, k: int, today: dt.date | None = None) -> Sources:
    first, last = window(flt, today)
    registry = bodies.registry(store)
    named = names(registry)
    # a year before the first month too: the year-on-year change of every month shown
    burden, hidden_b = source_reports.burden(store, registry, flt, shift_month(first, -12),
                                             last, k)
    off, hidden_o = source_reports.off_plan(store, registry, flt, first, last, k)
    burden.insert(1, "body", burden["body_id"].map(named))
    off.insert(3, "body", [named.get(b, n) if b else n
                           for b, n in zip(off["body_id"], off["named"])])
    return Sources(first, last, burden, off.drop(columns=["named"]), hidden_b + hidden_o,
                   registry)


def by_body(src: Sources, month: str) -> pd.DataFrame:
    """One row per body with a figure shown in `month`: each topic's count attributed to it
    and its change on the same month a year before (None unless both are shown)."""
    frame = src.burden
    now = frame[frame["month"] == month]
    before = frame[frame["month"] == shift_month(month, -12)].set_index(["body_id", "topic"])
    rows = []
    for body_id, group in now.groupby("body_id"):
        row = {"body_id": body_id, "body": group["body"].iloc[0]}
        for topic in ALL_TOPICS:
            hit = group[group["topic"] == topic]
            value = float(hit["amount"].iloc[0]) if len(hit) else None
            old = before["amount"].get((body_id, topic))
            row[topic] = value
            row[f"{topic}_before"] = None if old is None else float(old)
            row[f"{topic}_change"] = pct_change(value, row[f"{topic}_before"])
            row[f"{topic}_points"] = int(hit["points"].iloc[0]) if len(hit) else None
        rows.append(row)
    columns = ["body_id", "body"] + [f"{t}{s}" for t in ALL_TOPICS
                                     for s in ("", "_before", "_change", "_points")]
    frame = pd.DataFrame(rows, columns=columns)
    figures = columns[2:]
    frame[figures] = frame[figures].astype("float64")  # a missing figure is NaN, never None
    return frame


def ranked(table: pd.DataFrame, topic: str) -> pd.DataFrame:
    """Bodies by the topic's count this month, most first (bodies without one last)."""
    return table.sort_values([topic, "body"], ascending=[False, True],
                             na_position="last").reset_index(drop=True)


def trend(src: Sources, topic: str, body_ids: list[str]) -> pd.DataFrame:
    """Month, body, amount of the chosen bodies over the window (months under k are absent:
    a gap, never a zero)."""
    frame = src.burden[(src.burden["topic"] == topic) & src.burden["body_id"].isin(body_ids)
                       & (src.burden["month"] >= src.first)]
    return frame[["month", "body_id", "body", "amount", "points"]].reset_index(drop=True)


def reason_label(reason: str, lang: str) -> str:
    return REASONS[reason][lang]


# -- findings: what a problem-list entry and a 提示函 say ----------------------------------------
@dataclass(frozen=True)
class Fact:
    month: str
    topic: str           # inspections | documents | meetings | forms
    figure: float        # this month's count (off plan: the off-plan inspections)
    points: int
    reason: str = ""     # off plan: not_filed | filed_late
    before: float | None = None   # rising: the same month a year before
    change: float | None = None


@dataclass(frozen=True)
class Finding:
    kind: str            # off_plan | rising
    body_id: str
    short_name: str
    full_name: str
    body_level: str      # the problem list's level of the body (clue_rules.BODY_LEVELS)
    area: tuple[str, ...]
    facts: tuple[Fact, ...]

    @property
    def category(self) -> str:
        """The problem list's kind (survey.clue_rules.CATEGORIES)."""
        if self.kind == "off_plan" or self.facts[0].topic == "inspections":
            return "inspections"
        return "meetings_documents" if self.facts[0].topic in ("documents", "meetings") \
            else "other"

    def as_json(self) -> dict:
        return {"kind": self.kind, "body": self.short_name, "area": "/".join(self.area),
                "facts": [f.__dict__ for f in self.facts]}


def _body(registry: Registry, body_id: str) -> tuple[str, str, str]:
    body = registry[body_id].current
    level = {1: "prefecture", 2: "county"}.get(len(body.region), "township")
    return body.short_name, body.full_name, level


def off_plan_finding(src: Sources, body_id: str, area: str) -> Finding:
    """A body's off-plan inspections in an area, every row the page shows, by month."""
    rows = src.off_plan[(src.off_plan["body_id"] == body_id) & (src.off_plan["area"] == area)]
    if rows.empty:
        raise ValueError(f"no off-plan inspections of {body_id} shown in {area}")
    short, full, level = _body(src.registry, body_id)
    facts = tuple(Fact(r.month, "inspections", float(r.inspections), int(r.points), r.reason)
                  for r in rows.sort_values("month").itertuples())
    return Finding("off_plan", body_id, short, full, level, tuple(area.split("/")), facts)


def rising_finding(src: Sources, body_id: str, topic: str, month: str,
                   area: tuple[str, ...]) -> Finding:
    """A body's count of a topic this month against the same month a year before, as shown."""
    row = by_body(src, month).set_index("body_id").loc[body_id]
    if row[f"{topic}_change"] is None or pd.isna(row[f"{topic}_change"]):
        raise ValueError(f"no year-on-year change of {topic} shown for {body_id}")
    short, full, level = _body(src.registry, body_id)
    fact = Fact(month, topic, float(row[topic]), int(row[f"{topic}_points"]), "",
                float(row[f"{topic}_before"]), float(row[f"{topic}_change"]))
    return Finding("rising", body_id, short, full, level, tuple(area), (fact,))


def rising(table: pd.DataFrame, topic: str) -> pd.DataFrame:
    """Bodies whose count of `topic` rose year on year (both months shown)."""
    change = table[f"{topic}_change"]
    return table[change.notna() & (change > 0)]


def kind_labels(lang: str) -> dict[str, str]:
    return {k: v[lang] for k, v in domain.ACTIVITIES.items()}


# -- acting on a finding ------------------------------------------------------------------------
REPLY_DAYS = 10  # working days a body is given to reply to a 提示函, unless the officer says


def reply_date(calendar, today: dt.date, days: int) -> tuple[dt.date, bool]:
    """The reply date, `days` working days after today on the office's calendar (survey
    .work_calendar), and whether it is estimated (a year no holiday schedule covers)."""
    day = calendar.shift(today, days)
    return day, bool(calendar.uncovered_years(today, day))


def problem_text(finding: Finding, lines: tuple[str, ...]) -> str:
    """What the problem-list entry says: where, which body, the figures (as the letter)."""
    what = "未备案督查检查考核" if finding.kind == "off_plan" else "负担同比上升"
    return (f"[监测发现] {finding.short_name}{what}({'/'.join(finding.area) or '全部监测点'}):"
            + "".join(lines))


def act(store, finding: Finding, lines: tuple[str, ...], reply_by: dt.date, days: int,
        estimated: bool, actor: str) -> tuple[str, str]:
    """One click: the problem-list entry and the letter kept (survey/store/source_reports.py);
    returns (problem_id, letter_id)."""
    return source_reports.act_on(
        store, finding.body_id, finding.area, finding.kind, finding.as_json(),
        finding.category, finding.body_level, finding.short_name, finding.facts[-1].month,
        problem_text(finding, lines), reply_by, days, estimated, actor)
