"""Monitoring points (village, community, township, department, enterprise, school, hospital)."""

from __future__ import annotations

import dataclasses

from survey.fields import point_problem
from survey.store.engine import StoreError
from survey.store.model import Point, _point


def _refuse_bad(points: list[Point]) -> None:
    """What the points page and an import refuse (survey.fields), naming the point."""
    for p in points:
        if (problem := point_problem(p)) and str(p.point_id).strip():
            raise StoreError(f"point '{p.point_id}': {problem[0]}",
                             f"监测点“{p.point_id}”:{problem[1]}")
        if problem:
            raise StoreError(*problem)


def add_points(store, points: list[Point], actor: str = "system") -> None:
    _refuse_bad(points)

    def work(cur):
        for p in points:
            cur.execute("INSERT INTO point (point_id, name, level, kind, region, active, "
                        "is_demo) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [p.point_id, p.name, p.level, p.kind, list(p.region), p.active,
                         p.is_demo])
        store._audit(cur, actor, "add_points", None, {"count": len(points)})
    store._write(work)


def upsert_points(store, points: list[Point], actor: str) -> tuple[int, int]:
    """Insert new points and update existing ones that differ, all in one transaction;
    returns (added, updated): rows equal to what is stored count as neither."""
    _refuse_bad(points)

    def work(cur):
        added = updated = 0
        for p in points:
            exists = cur.execute("SELECT name, level, kind, region, active FROM point "
                                 "WHERE point_id = ?", [p.point_id]).fetchone()
            if exists and (exists[0], exists[1], exists[2], tuple(exists[3]), exists[4]) == (
                    p.name, p.level, p.kind, tuple(p.region), p.active):
                continue  # the same row imported again is no update
            if exists:
                cur.execute("UPDATE point SET name = ?, level = ?, kind = ?, region = ?, "
                            "active = ? WHERE point_id = ?",
                            [p.name, p.level, p.kind, list(p.region), p.active, p.point_id])
                updated += 1
            else:
                cur.execute("INSERT INTO point (point_id, name, level, kind, region, active, "
                            "is_demo) VALUES (?, ?, ?, ?, ?, ?, FALSE)",
                            [p.point_id, p.name, p.level, p.kind, list(p.region), p.active])
                added += 1
        store._audit(cur, actor, "import_points", None, {"added": added, "updated": updated})
        return added, updated
    return store._write(work)


def point(store, point_id: str) -> Point | None:
    row = store._one("SELECT point_id, name, level, kind, region, active, is_demo FROM point "
                    "WHERE point_id = ?", [point_id])
    return _point(row) if row else None


def points(store) -> list[Point]:
    return [_point(r) for r in store._rows(
        "SELECT point_id, name, level, kind, region, active, is_demo FROM point ORDER BY 1")]


def update_point(store, point_id: str, actor: str, **fields) -> None:
    allowed = {"name", "level", "kind", "region", "active"}
    unknown = set(fields) - allowed
    if unknown:
        raise StoreError(f"cannot change {', '.join(sorted(unknown))} of a point")
    current = point(store, point_id)
    if current is not None:  # the point as it would be
        _refuse_bad([dataclasses.replace(
            current, **{k: tuple(v) if k == "region" else v for k, v in fields.items()})])

    def work(cur):
        if cur.execute("SELECT 1 FROM point WHERE point_id = ?", [point_id]).fetchone() is None:
            raise StoreError(f"there is no monitoring point '{point_id}'")
        for column, value in fields.items():
            cur.execute(f"UPDATE point SET {column} = ? WHERE point_id = ?",
                        [list(value) if column == "region" else value, point_id])
        store._audit(cur, actor, "update_point", point_id,
                    {k: list(v) if k == "region" else v for k, v in fields.items()})
    store._write(work)


def is_empty(store) -> bool:
    return store._one("SELECT count(*) FROM point")[0] == 0
