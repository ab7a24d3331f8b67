"""Filed plans of inspections, checks, assessments and research visits (督检考计划备案; tables
plan_item, plan_version). Revision 1 of an item is what was filed; every change after filing
is a new revision with who, when and why, so the plan as it stood on any day can be read back
(survey/sources.py decides which version counts for a month). Audit-logged in the same
transaction."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from survey import fields
from survey.domain import ACTIVITIES
from survey.sources import PlanVersion
from survey.store.engine import StoreError, refuse
from survey.store.model import _now

COLUMNS = ("item_id, year, revision, body_id, activity, subject, month, scope_region, "
           "scope_points, withdrawn, effective_at, recorded_at, recorded_by, note")
_MONTH = re.compile(r"^20\d\d-(0[1-9]|1[0-2])$")
_CHANGEABLE = ("body_id", "activity", "subject", "month", "scope_region", "scope_points")


@dataclasses.dataclass(frozen=True)
class PlanEntry:
    """An item as the page or an import gives it. filed_on: the day the office filed it (the
    register's 备案日期; None: now). item_id '' is a new item (it gets P-2026-0001, ...)."""
    body_id: str
    activity: str
    subject: str
    month: str
    scope_region: tuple[str, ...] = ()
    scope_points: tuple[str, ...] = ()
    filed_on: dt.date | None = None
    item_id: str = ""


def entry_problem(entry: PlanEntry, today: dt.date | None = None) -> tuple[str, str] | None:
    return next(iter(entry_problems(entry, today)), None)


def entry_problems(entry: PlanEntry, today: dt.date | None = None) -> list[tuple[str, str]]:
    """Every problem of an item (an import lists them all); the store raises the first."""
    today = today or dt.date.today()
    return list(filter(None, (
        fields.choice_problem(entry.activity, ACTIVITIES, "kind", "类型"),
        fields.PLAN_SUBJECT.problem(entry.subject),
        None if _MONTH.match(str(entry.month)) else (
            f"'{entry.month}' is not a month; write it as 2026-05 (year-month)",
            f"“{entry.month}”不是月份;请写成 2026-05(年-月)的格式。"),
        (("say where it goes: an area (e.g. 江北市/清河县) or monitoring points",
          "请填写范围:地区(如 江北市/清河县)或监测点。")
         if not entry.scope_region and not entry.scope_points else
         fields.region_problem(entry.scope_region, required=False)),
        (("the filing day is in the future; give the day it was filed",
          "备案日期晚于今天;请填写实际备案的日期。")
         if entry.filed_on and entry.filed_on > today else None))))


def _version(row) -> PlanVersion:
    item, year, rev, body, act, subj, month, region, pts, wd, eff, rec, by, note = row
    return PlanVersion(item, year, rev, body, act, subj, month, tuple(region or ()),
                       tuple(pts or ()), wd, eff, rec, by, note)


# -- reads -----------------------------------------------------------------------------------
def _versions_sql(year: int | None) -> tuple[str, list]:
    where, params = ("WHERE i.year = ?", [year]) if year is not None else ("", [])
    return (f"SELECT {COLUMNS} FROM plan_version v JOIN plan_item i USING (item_id) {where} "
            "ORDER BY item_id, revision", params)


def versions(store, year: int | None = None) -> list[PlanVersion]:
    """Every version of every item (of `year`), by item and revision."""
    return [_version(r) for r in store._rows(*_versions_sql(year))]


def versions_in(cur, year: int | None = None) -> list[PlanVersion]:
    """versions() as the current transaction sees them (submit reads them with its writes)."""
    return [_version(r) for r in cur.execute(*_versions_sql(year)).fetchall()]


def current(store, year: int | None = None) -> list[PlanVersion]:
    """Each item's latest version (withdrawn ones included)."""
    latest: dict[str, PlanVersion] = {}
    for v in versions(store, year):
        latest[v.item_id] = v
    return list(latest.values())


def history(store, item_id: str) -> list[PlanVersion]:
    return [_version(r) for r in store._rows(
        f"SELECT {COLUMNS} FROM plan_version v JOIN plan_item i USING (item_id) "
        "WHERE item_id = ? ORDER BY revision", [item_id])]


def years(store) -> list[int]:
    return [y for (y,) in store._rows("SELECT DISTINCT year FROM plan_item ORDER BY 1")]


# -- writes ----------------------------------------------------------------------------------
def _check(store, entries: list[PlanEntry]) -> None:
    bodies = {b for (b,) in store._rows("SELECT body_id FROM body")}
    points = {p for (p,) in store._rows("SELECT point_id FROM point")}
    for entry in entries:
        refuse(entry_problem(entry))
        if entry.body_id not in bodies:
            raise StoreError(f"there is no body '{entry.body_id}'; add it to the registry first",
                             f"没有编号为“{entry.body_id}”的单位;请先在上级部门名录中添加。")
        unknown = sorted(set(entry.scope_points) - points)
        if unknown:
            raise StoreError(f"there is no monitoring point {', '.join(unknown)}",
                             f"没有监测点 {'、'.join(unknown)}。")


def _insert_version(cur, item_id: str, entry: PlanEntry, withdrawn: bool, effective_at,
                    actor: str, note: str) -> None:
    revision = cur.execute("SELECT coalesce(max(revision), 0) + 1 FROM plan_version "
                           "WHERE item_id = ?", [item_id]).fetchone()[0]
    cur.execute("INSERT INTO plan_version (item_id, revision, body_id, activity, subject, month, "
                "scope_region, scope_points, withdrawn, effective_at, recorded_at, recorded_by, "
                "note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [item_id, revision, entry.body_id, entry.activity, entry.subject.strip(),
                 entry.month, list(entry.scope_region), list(entry.scope_points), withdrawn,
                 effective_at, _now(), actor, note])


def _same(v: PlanVersion, e: PlanEntry) -> bool:
    return (v.body_id, v.activity, v.subject, v.month, v.scope_region, v.scope_points) == (
        e.body_id, e.activity, e.subject.strip(), e.month, tuple(e.scope_region),
        tuple(e.scope_points))


def file_items(store, entries: list[PlanEntry], actor: str, is_demo: bool = False,
               note: str = "") -> tuple[int, int]:
    """File new items, and record an entry naming an existing item as a change after filing
    (effective now, whatever its filed_on says), all or nothing. An entry equal to a filed
    item (the same file imported twice) changes nothing. Returns (filed, changed)."""
    _check(store, entries)
    latest = {v.item_id: v for v in current(store)}

    def work(cur):
        filed = changed = 0
        for entry in entries:
            old = latest.get(entry.item_id) if entry.item_id else next(
                (v for v in latest.values() if not v.withdrawn and _same(v, entry)), None)
            if entry.item_id and old is None:
                raise StoreError(f"there is no plan item '{entry.item_id}'; leave the item "
                                 "number empty for a new item",
                                 f"没有编号为“{entry.item_id}”的计划事项;新事项请不填编号。")
            if old is not None:
                if not _same(old, entry) or old.withdrawn:
                    _insert_version(cur, old.item_id, entry, False, _now(), actor, note)
                    changed += 1
                continue
            year = int(entry.month[:4])
            item_id = _next_id(cur, year)
            cur.execute("INSERT INTO plan_item (item_id, year, is_demo) VALUES (?, ?, ?)",
                        [item_id, year, is_demo])
            filed_at = (dt.datetime.combine(entry.filed_on, dt.time()) if entry.filed_on
                        else _now())
            _insert_version(cur, item_id, entry, False, filed_at, actor, "")
            latest[item_id] = PlanVersion(item_id, year, 1, entry.body_id, entry.activity,
                                          entry.subject.strip(), entry.month,
                                          tuple(entry.scope_region), tuple(entry.scope_points),
                                          False, filed_at)
            filed += 1
        store._audit(cur, actor, "file_plan", None, {"filed": filed, "changed": changed})
        return filed, changed
    return store._write(work)


def _next_id(cur, year: int) -> str:
    prefix = f"P-{year}-"
    numbers = [int(i[len(prefix):]) for (i,) in cur.execute(
        "SELECT item_id FROM plan_item WHERE year = ?", [year]).fetchall()
        if i.startswith(prefix) and i[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def change_item(store, item_id: str, actor: str, note: str = "", **changes) -> None:
    """A change after filing: a new revision, in force from now (survey/sources.py)."""
    unknown = set(changes) - set(_CHANGEABLE)
    if unknown:
        raise StoreError(f"cannot change {', '.join(sorted(unknown))} of a plan item")
    old = next((v for v in current(store) if v.item_id == item_id), None)
    if old is None:
        raise StoreError(f"there is no plan item '{item_id}'", f"没有编号为“{item_id}”的计划事项。")
    refuse(fields.PLAN_NOTE.problem(note))
    entry = PlanEntry(old.body_id, old.activity, old.subject, old.month, old.scope_region,
                      old.scope_points, item_id=item_id)
    entry = dataclasses.replace(entry, **{k: tuple(v) if k.startswith("scope") else v
                                          for k, v in changes.items()})
    _check(store, [entry])
    file_items(store, [entry], actor, note=note.strip())


def withdraw(store, item_id: str, actor: str, note: str = "") -> None:
    """The item is taken out of the plan from now; its history stays."""
    old = next((v for v in current(store) if v.item_id == item_id), None)
    if old is None:
        raise StoreError(f"there is no plan item '{item_id}'", f"没有编号为“{item_id}”的计划事项。")
    refuse(fields.PLAN_NOTE.problem(note))
    entry = PlanEntry(old.body_id, old.activity, old.subject, old.month, old.scope_region,
                      old.scope_points)

    def work(cur):
        _insert_version(cur, item_id, entry, True, _now(), actor, note.strip())
        store._audit(cur, actor, "withdraw_plan_item", item_id, {"note": note.strip()})
    store._write(work)
