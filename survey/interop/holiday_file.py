"""A year's holiday schedule in and out of a small CSV/XLSX file (docs/rounds.md):

    类型,名称,开始,结束
    放假,春节,2026-02-15,2026-02-23
    上班,春节,2026-02-14,

one row per holiday range (放假) or adjusted working day (调休上班; 结束 may stay empty for one
day). English headers and values work too (kind,name,first,last; holiday/workday). Every
problem names its row and says what to write instead; nothing is saved while any row is wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from survey import safe_files
from survey.interop.history_import import normalize_header, open_sheets
from survey.interop.issues import Issue
from survey.work_calendar import HOLIDAY, WORKDAY, Entry, check, package_entries

SUFFIXES = (".csv", ".xlsx", ".xlsm")
HEADERS = {  # normalized header -> field
    "类型": "kind", "kind": "kind", "type": "kind",
    "名称": "name", "节日": "name", "节日名称": "name", "name": "name", "festival": "name",
    "开始": "first", "开始日期": "first", "起始日期": "first", "日期": "first", "first": "first",
    "start": "first", "from": "first", "date": "first",
    "结束": "last", "结束日期": "last", "last": "last", "end": "last", "to": "last",
    "备注": "note", "说明": "note", "note": "note", "notes": "note",   # read, not stored
}
HEADER = {"zh": ("类型", "名称", "开始", "结束"), "en": ("kind", "name", "first", "last")}
KIND_WRITTEN = {"zh": {HOLIDAY: "放假", WORKDAY: "上班"}, "en": {HOLIDAY: "holiday", WORKDAY: "workday"}}
KIND_WORDS = {"放假": HOLIDAY, "休": HOLIDAY, "假": HOLIDAY, "休假": HOLIDAY, "holiday": HOLIDAY,
              "off": HOLIDAY, "上班": WORKDAY, "班": WORKDAY, "调休上班": WORKDAY, "补班": WORKDAY,
              "workday": WORKDAY, "work": WORKDAY, "working day": WORKDAY}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                   r"(?:[ T]00:00(?::00)?)?$")


@dataclass
class HolidayFile:
    """What a file holds for one year: its entries (when every row is right) and the issues."""

    name: str
    year: int | None = None
    entries: list[Entry] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.kind == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.entries)


def read(data: bytes, name: str, year: int | None = None) -> HolidayFile:
    """Read and check a schedule file for `year` (None: the year most of its dates are in)."""
    result = HolidayFile(name, year)
    sheets, refused = open_sheets(data, name, SUFFIXES)
    if refused:
        result.issues.append(refused)
        return result
    sheet, rows = sheets[0]
    _Reader(result, sheet).run(rows)
    return result


class _Reader:
    def __init__(self, result: HolidayFile, sheet: str):
        self.result, self.sheet = result, sheet
        self.rows_of: list[int] = []  # the file row of each entry read

    def error(self, row, en, zh, item="") -> None:
        self.result.issues.append(Issue(self.result.name, self.sheet, row, en, zh, item, "error"))

    def run(self, rows: list[list]) -> None:
        header_at = next((i for i, r in enumerate(rows) if any(_text(c) for c in r)), None)
        if header_at is None:
            self.error(None, "the file is empty; fill in the template: one row per holiday or "
                       "adjusted working day", "文件是空的;请按模板填写,每个放假或调休上班一行。")
            return
        columns = self.columns(rows[header_at], header_at + 1)
        if columns is None:
            return
        found, refs = [], []
        for i in range(header_at + 1, len(rows)):
            cells = rows[i]
            values = {f: (cells[c] if c < len(cells) else None) for f, c in columns.items()
                      if f != "note"}
            if not any(_text(v) for v in values.values()):
                continue  # a blank row
            entry = self.entry(i + 1, values)
            if entry is not None:
                found.append(entry)
                refs.append((f"row {i + 1}", f"第 {i + 1} 行"))
                self.rows_of.append(i + 1)
        if not found:
            if not self.result.errors:
                self.error(None, "no rows under the header; write one row per holiday or "
                           "adjusted working day", "表头下面没有数据;请每个放假或调休上班写一行。")
            return
        # the rows that could be read are checked too, so one upload lists every problem
        year = self.result.year or Counter(e.first.year for e in found).most_common(1)[0][0]
        self.result.year = year
        for finding in check(year, found, refs):
            row = self.rows_of[finding.index] if finding.index is not None else None
            self.result.issues.append(Issue(self.result.name, self.sheet, row, str(finding.message),
                                            finding.message.text("zh"), "",
                                            "error" if finding.error else "warning"))
        self.result.issues.sort(key=lambda i: (i.row is None, i.row or 0))   # in file order
        if not self.result.errors:
            self.result.entries = found

    def columns(self, header: list, row: int) -> dict[str, int] | None:
        columns: dict[str, int] = {}
        for c, cell in enumerate(header):
            text = _text(cell)
            if not text:
                continue
            field_ = HEADERS.get(normalize_header(text))
            if field_ is None:
                self.error(row, f"unknown column '{text}'; the columns are kind, name, first, "
                           "last and optionally note (or their Chinese names, as in the Chinese "
                           "template): rename or delete it",
                           f"无法识别的列“{text}”;列名应为 类型、名称、开始、结束"
                           "(或 kind、name、first、last),可另加“备注”;请改名或删除该列。", text)
            elif field_ in columns:
                self.error(row, f"column '{text}' repeats another column; keep one",
                           f"列“{text}”与另一列重复,请只保留一列。", text)
            else:
                columns[field_] = c
        missing = [f for f in ("kind", "name", "first") if f not in columns]
        if missing:
            names = dict(zip(("kind", "name", "first"), HEADER["zh"]))
            self.error(row, "missing column(s): " + ", ".join(missing) + "; the first row must "
                       "be the header kind, name, first, last as in the template",
                       "缺少列:" + "、".join(names[m] for m in missing) +
                       ";第一行须为表头:类型、名称、开始、结束(见模板)。")
        return None if self.result.errors else columns

    def entry(self, row: int, values: dict) -> Entry | None:
        errors_before = len(self.result.errors)
        kind_text = _text(values.get("kind"))
        kind = KIND_WORDS.get(kind_text.lower())
        if kind is None:
            self.error(row, f"kind '{kind_text}' is neither holiday nor workday (an adjusted "
                       "working day); write one of them", f"类型“{kind_text}”应为“放假”或“上班”"
                       "(调休上班日),请改为其中之一。", "类型")
        name = _text(values.get("name"))
        if not name:
            self.error(row, "name is empty; write the festival as the notice does, e.g. "
                       "Spring Festival",
                       "名称为空;请按通知填写节日名称,例如“春节”。", "名称")
        first = self.date(row, values.get("first"), ("开始", "first"), required=True)
        last = self.date(row, values.get("last"), ("结束", "last"), required=False) or first
        if len(self.result.errors) > errors_before or first is None:
            return None
        return Entry(kind, first, last, name)

    def date(self, row: int, value, column: tuple[str, str], required: bool) -> dt.date | None:
        zh, en = column
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = _text(value)
        if text.startswith("="):   # a formula cell (=DATE(...)): its text, not a date
            self.error(row, f"{en} {text[:30]!r} is a formula; formulas are not read: type the "
                       "date itself, e.g. 2027-02-05 (in Excel: copy the column and paste it as "
                       "values)", f"{zh}“{text[:30]}”是公式,公式不会被读取;请直接填写日期,例如 "
                       "2027-02-05(在 Excel 中可复制该列并“粘贴为数值”)。", zh)
            return None
        if not text:
            if required:
                self.error(row, f"{en} is empty; write the day as 2027-02-05",
                           f"{zh}为空;请按 2027-02-05 的格式填写日期。", zh)
            return None
        m = _DATE.match(text)
        try:
            if m is None:
                raise ValueError(text)
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            self.error(row, f"{en} '{text}' is not a date; write it as 2027-02-05 "
                       "(year-month-day)", f"{zh}“{text}”不是有效日期;请写成 2027-02-05"
                       "(年-月-日)的格式。", zh)
            return None


def _text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def as_frame(entries: list[Entry], lang: str = "zh") -> pd.DataFrame:
    """Entries as the file's columns, with Chinese or English headers and kinds."""
    return pd.DataFrame([(KIND_WRITTEN[lang][e.kind], e.name, e.first.isoformat(),
                          "" if e.last == e.first else e.last.isoformat()) for e in entries],
                        columns=list(HEADER[lang]))


TEMPLATE_YEAR = 2026  # the example: the State Council's notice of 4 November 2025 for 2026


def template(fmt: str, lang: str = "zh") -> bytes:
    """The template, filled with the official 2026 schedule as the example (the same dates as
    chinesecalendar's), so importing it unchanged into another year is refused."""
    frame = as_frame(package_entries(TEMPLATE_YEAR, lang), lang)
    if fmt == "xlsx":
        return safe_files.xlsx_bytes({str(TEMPLATE_YEAR): frame})
    return safe_files.csv_bytes(frame)
