"""Upper-level bodies (上级部门/单位; tables body, body_version): the registry per region,
versioned so that a rename or a merge keeps the body's history (survey/sources.py says how
reports and plans are matched across them). Every change is audit-logged in its transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from survey import fields
from survey.domain import BODY_KINDS
from survey.sources import BodyVersion, Registry, normal
from survey.store.engine import StoreError, refuse
from survey.store.model import _now

COLUMNS = "body_id, revision, valid_from, region, short_name, full_name, kind, merged_into"


@dataclasses.dataclass(frozen=True)
class BodyEntry:
    """A body as the page or an import gives it: a new one (body_id '' gets the next free id)
    or a new version of an existing one, taking effect on valid_from (None: today)."""
    body_id: str
    region: tuple[str, ...]
    short_name: str
    full_name: str
    kind: str
    valid_from: dt.date | None = None


def entry_problem(entry: BodyEntry) -> tuple[str, str] | None:
    """What the page, an import and the store refuse in a body (survey.fields)."""
    return next(iter(entry_problems(entry)), None)


def entry_problems(entry: BodyEntry) -> list[tuple[str, str]]:
    return list(filter(None, (
        fields.BODY_ID.problem(entry.body_id) if entry.body_id else None,
        fields.BODY_SHORT.problem(entry.short_name), fields.BODY_FULL.problem(entry.full_name),
        fields.choice_problem(entry.kind, BODY_KINDS, "kind", "类型"),
        fields.region_problem(entry.region))))


# -- reads -----------------------------------------------------------------------------------
_VERSIONS = f"SELECT {COLUMNS} FROM body_version ORDER BY body_id, revision"


def _versions(rows) -> list[BodyVersion]:
    return [BodyVersion(b, r, f, tuple(reg or ()), s, n, k, m)
            for b, r, f, reg, s, n, k, m in rows]


def versions(store) -> list[BodyVersion]:
    return _versions(store._rows(_VERSIONS))


def registry(store) -> Registry:
    return Registry(versions(store))


def registry_in(cur) -> Registry:
    """The registry as the current transaction sees it (submit reads it with its writes)."""
    return Registry(_versions(cur.execute(_VERSIONS).fetchall()))


# -- writes ----------------------------------------------------------------------------------
def _clash(reg: Registry, entry: BodyEntry, body_id: str) -> tuple[str, str] | None:
    """Another current body of the same region already called one of these names: a typed
    name (其他, a plan file) could no longer say which body it means."""
    for other in reg.current():
        if other.body_id == body_id or other.current.region != tuple(entry.region):
            continue
        names = {normal(other.current.short_name), normal(other.current.full_name)}
        if {normal(entry.short_name), normal(entry.full_name)} & names:
            return (f"'{entry.short_name}' is already the name of body {other.body_id} in "
                    f"{'/'.join(entry.region)}; give each body its own names, or merge them",
                    f"“{entry.short_name}”已是本地区单位 {other.body_id} 的名称;"
                    "每个单位的名称应不同,如为同一单位请合并。")
    return None


def _next_id(cur) -> str:
    numbers = [int(b[2:]) for (b,) in cur.execute("SELECT body_id FROM body").fetchall()
               if b[:2] == "B-" and b[2:].isdigit()]
    return f"B-{max(numbers, default=0) + 1:04d}"


def _add_version(cur, body_id: str, entry: BodyEntry, merged_into, actor: str) -> None:
    revision = cur.execute("SELECT coalesce(max(revision), 0) + 1 FROM body_version "
                           "WHERE body_id = ?", [body_id]).fetchone()[0]
    cur.execute(f"INSERT INTO body_version ({COLUMNS}, recorded_at, recorded_by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [body_id, revision, entry.valid_from or dt.date.today(), list(entry.region),
                 entry.short_name.strip(), entry.full_name.strip(), entry.kind, merged_into,
                 _now(), actor])


def save_bodies(store, entries: list[BodyEntry], actor: str, is_demo: bool = False
                ) -> tuple[int, int]:
    """Add new bodies and record changed ones as new versions, all or nothing.
    Returns (added, changed); an entry equal to its body's current version changes nothing."""
    reg = registry(store)
    for entry in entries:
        refuse(entry_problem(entry))
        body = reg.bodies.get(entry.body_id)
        if body is not None and body.current.merged_into:
            raise StoreError(f"body {entry.body_id} was merged into {body.current.merged_into}; "
                             "change that body instead",
                             f"单位 {entry.body_id} 已并入 {body.current.merged_into},"
                             "请修改后者。")
        refuse(_clash(reg, entry, entry.body_id))

    def work(cur):
        added = changed = 0
        for entry in entries:
            body = reg.bodies.get(entry.body_id)
            if body is None:
                body_id = entry.body_id or _next_id(cur)
                cur.execute("INSERT INTO body (body_id, created_at, created_by, is_demo) "
                            "VALUES (?, ?, ?, ?)", [body_id, _now(), actor, is_demo])
                _add_version(cur, body_id, entry, None, actor)
                added += 1
            elif _differs(body.current, entry):
                _add_version(cur, body.body_id, entry, None, actor)
                changed += 1
        store._audit(cur, actor, "save_bodies", None, {"added": added, "changed": changed})
        return added, changed
    return store._write(work)


def _differs(current: BodyVersion, entry: BodyEntry) -> bool:
    return (current.region, current.short_name, current.full_name, current.kind) != (
        tuple(entry.region), entry.short_name.strip(), entry.full_name.strip(), entry.kind)


def rename(store, body_id: str, short_name: str, full_name: str, valid_from: dt.date,
           actor: str) -> None:
    """The body is called something else from valid_from on; it stays the same body."""
    body = registry(store).bodies.get(body_id)
    if body is None:
        raise StoreError(f"there is no body '{body_id}'", f"没有编号为“{body_id}”的单位。")
    save_bodies(store, [dataclasses.replace(entry_of(body.current), short_name=short_name,
                                            full_name=full_name, valid_from=valid_from)], actor)


def merge(store, source: str, target: str, on: dt.date, actor: str) -> None:
    """`source` is taken over by `target` from `on`: its plans and reports count as
    target's from then on, its own history stays."""
    reg = registry(store)
    for body_id in (source, target):
        if body_id not in reg:
            raise StoreError(f"there is no body '{body_id}'", f"没有编号为“{body_id}”的单位。")
    if reg.canonical(target) == source or source == target:
        raise StoreError("a body cannot be merged into itself", "单位不能并入自身。")
    for body_id in (source, target):
        if reg[body_id].current.merged_into:
            raise StoreError(f"body {body_id} was already merged into "
                             f"{reg[body_id].current.merged_into}",
                             f"单位 {body_id} 已并入 {reg[body_id].current.merged_into}。")
    entry = dataclasses.replace(entry_of(reg[source].current), valid_from=on)

    def work(cur):
        _add_version(cur, source, entry, target, actor)
        store._audit(cur, actor, "merge_body", source, {"into": target, "on": on.isoformat()})
    store._write(work)


def entry_of(v: BodyVersion) -> BodyEntry:
    """A version as the entry that would record it again."""
    return BodyEntry(v.body_id, v.region, v.short_name, v.full_name, v.kind, v.valid_from)
