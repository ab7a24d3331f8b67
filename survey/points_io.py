"""Monitoring points in and out of CSV/XLSX: a preview with row-level errors before anything
is written, so a bad file never half-imports."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pandas as pd

from survey.domain import LEVELS, POINT_KINDS
from survey.errors import Bilingual, DomainError
from survey.fields import point_problem
from survey.store import Point

COLUMNS = ("point_id", "name", "level", "kind", "prefecture", "county", "township", "active")
REQUIRED = ("point_id", "name", "level", "kind", "prefecture")


@dataclass
class ImportPreview:
    points: list[Point] = field(default_factory=list)
    # (row number as in the file, what is wrong there in both languages)
    errors: list[tuple[int, Bilingual]] = field(default_factory=list)
    updates: set[str] = field(default_factory=set)  # ids that exist and will change
    unchanged: set[str] = field(default_factory=set)  # ids that exist exactly as in the file

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.points)


class UnreadableTable(DomainError, ValueError):
    """The file cannot be read as a table; nothing was imported."""


def _formulas_without_values(data: bytes) -> list[str]:
    """Cells holding a formula whose result the file does not carry (a sheet written by a
    program, not saved by Excel or WPS): read as empty, they would be reported as missing."""
    from openpyxl import load_workbook
    formulas = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    values = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    found = []
    for row_f, row_v in zip(formulas.iter_rows(), values.iter_rows()):
        found += [f.coordinate for f, v in zip(row_f, row_v)
                  if f.data_type == "f" and v.value is None]
    return found


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    if filename.lower().endswith((".xlsx", ".xlsm")):
        if cells := _formulas_without_values(data):
            shown = ", ".join(cells[:5]) + (" ..." if len(cells) > 5 else "")
            raise UnreadableTable(
                (f"Cell {shown} holds a formula whose result is" if len(cells) == 1 else
                 f"Cells {shown} hold formulas whose results are") + " not saved in the file. Open it "
                "in Excel or WPS and save it (or paste the cells as values), then upload again. "
                "Nothing was imported.",
                f"单元格 {shown} 是公式,文件中没有保存计算结果。请用 Excel 或 WPS 打开并保存"
                "(或把这些单元格粘贴为数值)后重新上传。未导入任何数据。")
        return pd.read_excel(io.BytesIO(data), dtype=str)
    return pd.read_csv(io.BytesIO(data), dtype=str, encoding="utf-8-sig")


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _same(stored: Point, imported: Point) -> bool:
    return (stored.name, stored.level, stored.kind, tuple(stored.region), stored.active) == (
        imported.name, imported.level, imported.kind, tuple(imported.region), imported.active)


def preview(frame: pd.DataFrame, existing: dict[str, Point]) -> ImportPreview:
    """`existing`: the stored points by id, so a re-imported unchanged row is told apart."""
    result = ImportPreview()
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        result.errors.append((1, Bilingual(
            f"missing column(s): {', '.join(missing)}; the header row needs {', '.join(COLUMNS)}",
            f"缺少列:{', '.join(missing)};表头应为 {', '.join(COLUMNS)}")))
        return result
    seen: dict[str, int] = {}
    for index, row in enumerate(frame.to_dict("records")):
        line = index + 2  # the header is row 1
        values = {c: _text(row.get(c)) for c in COLUMNS}
        problems = [(f"{c} is empty", f"{c} 为空") for c in REQUIRED if not values[c]]
        if values["level"] and values["level"] not in LEVELS:
            problems.append((f"level '{values['level']}' is not one of {', '.join(LEVELS)}",
                             f"level “{values['level']}”不在 {', '.join(LEVELS)} 之中"))
        if values["kind"] and values["kind"] not in POINT_KINDS:
            problems.append((f"kind '{values['kind']}' is not one of {', '.join(POINT_KINDS)}",
                             f"kind “{values['kind']}”不在 {', '.join(POINT_KINDS)} 之中"))
        if values["township"] and not values["county"]:
            problems.append(("a township needs its county", "填写了乡镇(township)就要填写县(county)"))
        pid = values["point_id"]
        if pid in seen:
            problems.append((f"point_id '{pid}' appears again (first on row {seen[pid]})",
                             f"point_id “{pid}”重复(第一次出现在第 {seen[pid]} 行)"))
        active = values["active"].lower() not in ("0", "false", "no", "否", "停用")
        region = tuple(v for v in (values["prefecture"], values["county"], values["township"]) if v)
        point = Point(pid, values["name"], values["level"], values["kind"], region, active, False)
        if not problems and (problem := point_problem(point)):  # lengths: what the store refuses
            problems.append(problem)
        if problems:
            result.errors.append((line, Bilingual("; ".join(en for en, _ in problems),
                                                    ";".join(zh for _, zh in problems))))
            continue
        seen[pid] = line
        result.points.append(point)
        stored = existing.get(pid)
        if stored is not None and _same(stored, point):
            result.unchanged.add(pid)
        elif stored is not None:
            result.updates.add(pid)
    return result


def to_frame(points: list[Point]) -> pd.DataFrame:
    return pd.DataFrame([{"point_id": p.point_id, "name": p.name, "level": p.level,
                          "kind": p.kind, "prefecture": (p.region + ("", "", ""))[0],
                          "county": (p.region + ("", "", ""))[1],
                          "township": (p.region + ("", "", ""))[2], "active": p.active}
                         for p in points], columns=list(COLUMNS))
