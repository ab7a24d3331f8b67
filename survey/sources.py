"""Where the burden comes from (issue 20, docs/sources.md): the upper-level bodies and their
versions, filed plan items, and which reported inspections were never filed (未备案督检考).

Pure functions over the records the store reads (survey/store/bodies.py, survey/store/plans.py):
the form asks `planned_for` what to list, and the leaders' page and the 提示函 ask `off_plan`.

The rules, in one place:
- A body keeps its id for life. A rename is a new version of the same body; a merge is a
  version of the merged body naming the body that took it over. Reports and plans are matched
  on the body a body ends up in (`Registry.canonical`), so a body renamed or merged mid-year
  is the same body before and after.
- A plan item counts as filed for month M in the version that was in force when M began:
  the latest revision whose effective_at (the filing time for revision 1, the time of the
  change for later ones) is before the first day of M, 00:00. A change during or after the
  month (an item added, moved into the month, or widened to more points) never makes that
  month's inspection filed: 备案在先, filing comes first. A withdrawn version covers nothing.
- An inspection a cadre confirms from the month's list is on plan. One the cadre adds as
  "not on this list" is on plan only if a filed item of the same body for that month and
  point, not already confirmed in the same report, is left (same kind first, then any kind:
  cadres cannot always tell a 督查 from a 检查; the body did file a visit). Otherwise it is
  off plan: `filed_late` when a version covering it was filed only after the month began,
  else `not_filed`.
- A body given as 其他 + text is matched to the registry by any of its names, past or
  present, in the point's area; if no body or more than one matches, the inspection is off
  plan with the text as the body.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from survey import fields
from survey.domain import ACTIVITIES
from survey.errors import DomainError

OTHER = "其他"  # a report's body not in the picklist: the cadre types its name


@dataclass(frozen=True)
class BodyVersion:
    body_id: str
    revision: int
    valid_from: dt.date
    region: tuple[str, ...]
    short_name: str
    full_name: str
    kind: str
    merged_into: str | None = None


@dataclass(frozen=True)
class Body:
    body_id: str
    versions: tuple[BodyVersion, ...]  # in the order they took effect

    @property
    def current(self) -> BodyVersion:
        return self.versions[-1]

    def on(self, day: dt.date) -> BodyVersion:
        """The version in effect on `day` (the first one before the body existed)."""
        return next((v for v in reversed(self.versions) if v.valid_from <= day), self.versions[0])

    @property
    def names(self) -> set[str]:
        return {normal(n) for v in self.versions for n in (v.short_name, v.full_name)}


def normal(name: str) -> str:
    """A name as compared: full-width and half-width alike, no spaces."""
    return "".join(unicodedata.normalize("NFKC", name or "").split())


def in_region(region: Iterable[str], area: Iterable[str]) -> bool:
    """Whether `region` lies in `area` (an area is a region prefix: () is everywhere)."""
    region, area = tuple(region), tuple(area)
    return region[:len(area)] == area


class Registry:
    """The bodies with their histories, as the store holds them."""

    def __init__(self, versions: Iterable[BodyVersion]):
        grouped: dict[str, list[BodyVersion]] = {}
        for v in versions:
            grouped.setdefault(v.body_id, []).append(v)
        self.bodies = {b: Body(b, tuple(sorted(vs, key=lambda v: (v.valid_from, v.revision))))
                       for b, vs in grouped.items()}

    def __contains__(self, body_id) -> bool:
        return body_id in self.bodies

    def __getitem__(self, body_id: str) -> Body:
        return self.bodies[body_id]

    def canonical(self, body_id: str) -> str:
        """The body this one ends up in after its merges (itself when never merged)."""
        seen = set()
        while body_id in self.bodies and self.bodies[body_id].current.merged_into \
                and body_id not in seen:
            seen.add(body_id)
            body_id = self.bodies[body_id].current.merged_into
        return body_id

    def current(self) -> list[Body]:
        """Bodies not merged into another, by region and short name."""
        return sorted((b for b in self.bodies.values() if not b.current.merged_into),
                      key=lambda b: (b.current.region, b.current.short_name))

    def picklist(self, point_region: Iterable[str]) -> list[Body]:
        """The bodies a cadre at a point in `point_region` picks from: current bodies whose
        region contains the point (a county's and its prefecture's bodies, the point's own
        township)."""
        return [b for b in self.current() if in_region(point_region, b.current.region)]

    def named(self, name: str, area: Iterable[str] = ()) -> list[str]:
        """Ids of bodies that were ever called `name` (short or full) and whose region lies in
        `area` or contains it."""
        key, area = normal(name), tuple(area)
        return [b.body_id for b in self.bodies.values() if key in b.names
                and any(in_region(v.region, area) or in_region(area, v.region)
                        for v in b.versions)]

    def resolve(self, name: str, area: Iterable[str] = ()) -> str | None:
        """The one body (after merges) a typed name means in `area`, or None."""
        found = {self.canonical(b) for b in self.named(name, area)}
        return found.pop() if len(found) == 1 else None


@dataclass(frozen=True)
class PlanVersion:
    item_id: str
    year: int
    revision: int
    body_id: str
    activity: str
    subject: str
    month: str
    scope_region: tuple[str, ...]
    scope_points: tuple[str, ...]
    withdrawn: bool
    effective_at: dt.datetime
    recorded_at: dt.datetime | None = None
    recorded_by: str = ""
    note: str = ""

    def covers(self, point_id: str, region: Iterable[str]) -> bool:
        if self.withdrawn:
            return False
        if self.scope_points:
            return point_id in self.scope_points
        return in_region(region, self.scope_region)


def month_start(month: str) -> dt.datetime:
    year, number = month.split("-")
    return dt.datetime(int(year), int(number), 1)


def in_force(versions: Iterable[PlanVersion], at: dt.datetime) -> dict[str, PlanVersion]:
    """Each item's version in force at `at`: its latest revision filed before then."""
    out: dict[str, PlanVersion] = {}
    for v in versions:
        if v.effective_at < at and (v.item_id not in out or v.revision > out[v.item_id].revision):
            out[v.item_id] = v
    return out


def planned_for(versions: Iterable[PlanVersion], point_id: str, region: Iterable[str],
                month: str) -> list[PlanVersion]:
    """The items filed for `month` that go to the point: what the form lists to confirm."""
    region = tuple(region)
    return sorted((v for v in in_force(versions, month_start(month)).values()
                   if v.month == month and v.covers(point_id, region)),
                  key=lambda v: (v.body_id, v.activity, v.item_id))


# -- what the form answers -----------------------------------------------------------------------
@dataclass(frozen=True)
class OtherInspection:
    """One inspection "not on this list": a body from the picklist, or 其他 with its name."""
    kind: str
    body_id: str | None = None
    text: str = ""


@dataclass(frozen=True)
class InspectionReport:
    """A point's sources answer for a month: planned items that came, and the others."""
    point_id: str
    region: tuple[str, ...]
    month: str
    came: tuple[str, ...] = ()
    others: tuple[OtherInspection, ...] = ()

    def answer(self) -> dict:
        """The answer value as the form stores it (docs/sources.md)."""
        return {"came": list(self.came), "others": [
            {"body": o.body_id, "kind": o.kind} if o.body_id else
            {"body": OTHER, "text": o.text, "kind": o.kind} for o in self.others]}


def read_answer(point_id: str, region: Iterable[str], month: str, value: dict
                ) -> InspectionReport:
    """The form's answer value back as a report; a malformed one raises a DomainError that
    names the entry and says what to fix."""
    if not isinstance(value, dict):
        raise DomainError("the sources answer must be {came: [...], others: [...]}",
                          "来源答案应为 {came: [...], others: [...]}。")
    came = value.get("came") or []
    if not isinstance(came, list) or not all(isinstance(c, str) and c for c in came):
        raise DomainError("'came' must list plan item ids", "came 应为计划事项编号的列表。")
    others = []
    for n, entry in enumerate(value.get("others") or [], start=1):
        kind = entry.get("kind") if isinstance(entry, dict) else None
        if kind not in ACTIVITIES:
            raise DomainError(f"inspection {n} not on the list: choose its kind, one of "
                              f"{', '.join(ACTIVITIES)}",
                              f"第 {n} 项清单外督检考:请选择类型(督查、检查、考核或调研)。")
        body = entry.get("body")
        if body == OTHER:
            text = entry.get("text") or ""
            problem = fields.OTHER_BODY.problem(text)
            if problem:
                raise DomainError(f"inspection {n} not on the list: {problem[0]}",
                                  f"第 {n} 项清单外督检考:{problem[1]}")
            others.append(OtherInspection(kind, None, text.strip()))
        elif isinstance(body, str) and body:
            others.append(OtherInspection(kind, body))
        else:
            raise DomainError(f"inspection {n} not on the list: choose the body that came, or "
                              f"{OTHER} and type its name",
                              f"第 {n} 项清单外督检考:请选择来检查的单位,或选“{OTHER}”并填写名称。")
    return InspectionReport(point_id, tuple(region), month, tuple(dict.fromkeys(came)),
                            tuple(others))


# -- off plan ----------------------------------------------------------------------------------
REASONS = {
    "not_filed": {"zh": "未备案", "en": "not in the filed plan"},
    "filed_late": {"zh": "事后补备案或变更", "en": "filed or changed only after the month began"},
}


@dataclass(frozen=True)
class OffPlan:
    """One inspection a point reported that the filed plan did not cover."""
    point_id: str
    region: tuple[str, ...]
    month: str
    kind: str
    body_id: str | None       # after merges; None: a typed name no registry body matches
    text: str                 # the typed name (其他), else ''
    reason: str               # not_filed | filed_late (REASONS)
    item_id: str | None = None  # the item filed late, or the confirmed one that was not filed


@dataclass
class Plan:
    """A plan's versions with the registry, indexed for assessing many reports."""
    registry: Registry
    versions: list[PlanVersion]
    by_item: dict[str, list[PlanVersion]] = field(default_factory=dict)

    def __post_init__(self):
        for v in self.versions:
            self.by_item.setdefault(v.item_id, []).append(v)

    def late(self, body: str, month: str, point_id: str, region, kind: str | None
             ) -> PlanVersion | None:
        """A version for this body, month and point filed only once the month had begun."""
        start = month_start(month)
        return next((v for v in sorted(self.versions, key=lambda v: v.effective_at)
                     if v.effective_at >= start and v.month == month
                     and self.registry.canonical(v.body_id) == body
                     and (kind is None or v.activity == kind) and v.covers(point_id, region)),
                    None)


@dataclass(frozen=True)
class Assessed:
    """One inspection of a report with its verdict: what the store keeps per entry."""
    how: str                  # came (confirmed from the list) | other (not on the list)
    kind: str
    body_id: str | None       # after merges; None: a typed name no registry body matches
    text: str                 # the typed name (其他), else ''
    reason: str | None        # None: on plan; not_filed | filed_late (REASONS)
    item_id: str | None = None  # came: the item confirmed; other: the item it was matched to
                                # on plan, or the one filed late


def assess(registry: Registry, versions: Iterable[PlanVersion], report: InspectionReport
           ) -> list[Assessed]:
    """Every inspection of one report with its verdict, by the rules above (a confirmed id
    the plan never had is left out: nothing to attribute)."""
    plan = Plan(registry, list(versions))
    return assess_in(plan, report)


def assess_in(plan: Plan, report: InspectionReport) -> list[Assessed]:
    registry = plan.registry
    listed = {v.item_id: v for v in planned_for(plan.versions, report.point_id,
                                                report.region, report.month)}
    used, out = set(), []
    for item_id in report.came:
        if item_id in listed:
            used.add(item_id)
            out.append(Assessed("came", listed[item_id].activity,
                                registry.canonical(listed[item_id].body_id), "", None, item_id))
            continue
        # confirmed, yet not filed for this month and point before it began
        latest = max(plan.by_item.get(item_id, []), key=lambda v: v.revision, default=None)
        if latest is None:
            continue  # an id the plan never had: nothing to attribute
        body = registry.canonical(latest.body_id)
        late = plan.late(body, report.month, report.point_id, report.region, None)
        out.append(Assessed("came", latest.activity, body, "",
                            "filed_late" if late else "not_filed", item_id))
    for other in report.others:
        body = (registry.canonical(other.body_id) if other.body_id
                else registry.resolve(other.text, report.region))
        text = "" if other.body_id else other.text
        if body is None:
            out.append(Assessed("other", other.kind, None, other.text, "not_filed"))
            continue
        left = sorted((v for i, v in listed.items() if i not in used
                       and registry.canonical(v.body_id) == body),
                      key=lambda v: (v.activity != other.kind, v.item_id))
        if left:
            used.add(left[0].item_id)
            out.append(Assessed("other", other.kind, body, text, None, left[0].item_id))
            continue
        late = plan.late(body, report.month, report.point_id, report.region, other.kind) \
            or plan.late(body, report.month, report.point_id, report.region, None)
        out.append(Assessed("other", other.kind, body, text,
                            "filed_late" if late else "not_filed",
                            late.item_id if late else None))
    return out


def off_plan(registry: Registry, versions: Iterable[PlanVersion],
             reports: Iterable[InspectionReport]) -> list[OffPlan]:
    """The reported inspections that no filed plan item covered, by the rules above."""
    plan = Plan(registry, list(versions))
    return [OffPlan(report.point_id, report.region, report.month, a.kind, a.body_id, a.text,
                    a.reason, a.item_id)
            for report in reports for a in assess_in(plan, report) if a.reason]


# -- 'mainly from' (documents, meetings, forms) -----------------------------------------------
TOPICS = {  # a topic is also the indicator whose count is attributed to the bodies picked
    "documents": {"zh": "文件", "en": "Documents"},
    "meetings": {"zh": "会议", "en": "Meetings"},
    "forms": {"zh": "报表", "en": "Forms"},
}
MAX_PICKS = 3


@dataclass(frozen=True)
class BodyPick:
    """A body a cadre says much of a topic came from: a registry body or 其他 with its name."""
    body_id: str | None
    text: str = ""


def read_mainly_from(value) -> dict[str, tuple[BodyPick, ...]]:
    """The 'mainly from' answer value back as picks per topic (docs/sources.md); a malformed
    one raises a DomainError naming the topic and the entry."""
    if value in (None, {}):
        return {}
    if not isinstance(value, dict) or set(value) - set(TOPICS):
        raise DomainError("the 'mainly from' answer must be {documents: [...], meetings: [...], "
                          "forms: [...]}",
                          "“主要来自”答案应为 {documents: [...], meetings: [...], forms: [...]}。")
    out = {}
    for topic, entries in value.items():
        zh = TOPICS[topic]["zh"]
        if not isinstance(entries, list):
            raise DomainError(f"'{topic}' must list the bodies picked",
                              f"{zh}的来源应为所选单位的列表。")
        if len(entries) > MAX_PICKS:
            raise DomainError(f"{topic}: pick at most {MAX_PICKS} bodies",
                              f"{zh}主要来自:最多选 {MAX_PICKS} 个单位。")
        picks = []
        for n, entry in enumerate(entries, start=1):
            body = entry.get("body") if isinstance(entry, dict) else None
            if body == OTHER:
                text = entry.get("text") or ""
                problem = fields.OTHER_BODY.problem(text)
                if problem:
                    raise DomainError(f"{topic}, body {n}: {problem[0]}",
                                      f"{zh}主要来自第 {n} 个单位:{problem[1]}")
                pick = BodyPick(None, text.strip())
            elif isinstance(body, str) and body:
                pick = BodyPick(body)
            else:
                raise DomainError(f"{topic}, body {n}: choose a body, or {OTHER} and type "
                                  "its name",
                                  f"{zh}主要来自第 {n} 个单位:请选择单位,或选“{OTHER}”并填写名称。")
            if pick in picks:
                raise DomainError(f"{topic}: body {n} is picked twice; pick each body once",
                                  f"{zh}主要来自:第 {n} 个单位重复,每个单位只选一次。")
            picks.append(pick)
        if picks:
            out[topic] = tuple(picks)
    return out


def mainly_from_answer(picks: dict[str, tuple[BodyPick, ...]]) -> dict:
    """The answer value as the form stores it (read_mainly_from's inverse)."""
    return {topic: [{"body": p.body_id} if p.body_id else {"body": OTHER, "text": p.text}
                    for p in chosen] for topic, chosen in picks.items() if chosen}


@dataclass(frozen=True)
class SourcesReport:
    """Everything one submission says about where its burden came from: what the store
    keeps (survey/store/source_reports.py). Either part may be missing."""
    point_id: str
    region: tuple[str, ...]
    month: str
    inspections: InspectionReport | None = None
    mainly_from: tuple[tuple[str, tuple[BodyPick, ...]], ...] = ()  # (topic, picks), TOPICS order

    @property
    def picks(self) -> dict[str, tuple[BodyPick, ...]]:
        return dict(self.mainly_from)


def read_sources(point_id: str, region: Iterable[str], month: str, inspections=None,
                 mainly_from=None) -> SourcesReport:
    """The form's two answer values (either may be None: the question was not asked) as the
    report the submit path stores; malformed values raise a DomainError (zh and en)."""
    region = tuple(region)
    report = read_answer(point_id, region, month, inspections) if inspections is not None \
        else None
    picks = read_mainly_from(mainly_from)
    return SourcesReport(point_id, region, month, report,
                         tuple((t, picks[t]) for t in TOPICS if t in picks))
