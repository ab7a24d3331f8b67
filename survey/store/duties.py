"""The township duty lists (镇街职责清单/白名单; table duty_item): per region, the tasks its
townships or villages are responsible for (法定职责) and those they only assist with (协同配合).
A region's list is replaced as a whole (an import is the office's current list), audit-logged
with how many items it had and has."""

from __future__ import annotations

import dataclasses
import uuid

from survey import fields
from survey.domain import DUTY_LEVELS, DUTY_ROLES
from survey.sources import in_region, normal
from survey.store.engine import refuse
from survey.store.model import _now


@dataclasses.dataclass(frozen=True)
class DutyItem:
    region: tuple[str, ...]
    level: str      # township | village
    task: str
    role: str       # responsible | assists
    basis: str = ""


def item_problem(item: DutyItem) -> tuple[str, str] | None:
    return next(iter(item_problems(item)), None)


def item_problems(item: DutyItem) -> list[tuple[str, str]]:
    return list(filter(None, (
        fields.region_problem(item.region),
        fields.choice_problem(item.level, DUTY_LEVELS, "level", "层级"),
        fields.DUTY_TASK.problem(item.task),
        fields.choice_problem(item.role, DUTY_ROLES, "role", "职责类型"),
        fields.DUTY_BASIS.problem(item.basis))))


def items(store, area: tuple[str, ...] = ()) -> list[DutyItem]:
    """The duty items of every region in `area` (() is all), by region, level, role, task."""
    found = [DutyItem(tuple(r), lv, t, ro, b) for r, lv, t, ro, b in store._rows(
        "SELECT region, level, task, role, basis FROM duty_item")]
    return sorted((i for i in found if in_region(i.region, area)),
                  key=lambda i: (i.region, i.level, i.role != "responsible", i.task))


def role_of(duties: list[DutyItem], region, level: str, task: str) -> str | None:
    """The role a task has for a township or village in `region` (the nearest region's list
    that names it), or None when the task is outside the list: a task pushed down to flag."""
    key, region = normal(task), tuple(region)
    named = [i for i in duties if i.level == level and normal(i.task) == key
             and in_region(region, i.region)]
    return max(named, key=lambda i: len(i.region)).role if named else None


def replace_lists(store, new: list[DutyItem], actor: str, is_demo: bool = False) -> dict:
    """Each region named in `new` gets exactly its items there; other regions keep theirs.
    All or nothing. Returns {region text: (items before, items now)}."""
    for item in new:
        refuse(item_problem(item))
    regions = list(dict.fromkeys(tuple(i.region) for i in new))

    def work(cur):
        counts = {}
        for region in regions:
            before = cur.execute("SELECT count(*) FROM duty_item WHERE region = ?",
                                 [list(region)]).fetchone()[0]
            cur.execute("DELETE FROM duty_item WHERE region = ?", [list(region)])
            mine = [i for i in new if tuple(i.region) == region]
            for i in mine:
                cur.execute("INSERT INTO duty_item (duty_id, region, level, task, role, basis, "
                            "recorded_at, recorded_by, is_demo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [uuid.uuid4().hex, list(region), i.level, i.task.strip(), i.role,
                             i.basis.strip(), _now(), actor, is_demo])
            counts["/".join(region)] = (before, len(mine))
        store._audit(cur, actor, "replace_duty_list", None,
                     {k: list(v) for k, v in counts.items()})
        return counts
    return store._write(work)
