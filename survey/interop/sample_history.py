"""A sample of two years of monthly history as a county would keep it in Excel, for trying the
history import and for its tests: Chinese headers under a title row, one sheet per year, an
instructions sheet, a GBK CSV variant of the same rows, and seeded errors whose positions are
returned so a test can check that the report names every one.

    python -m survey.interop.sample_history OUTDIR     # writes the points, the workbook, the CSV
"""

from __future__ import annotations

import csv
import io
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from survey import periods
from survey.store import Point

REGION = ("江北市", "清河县")
SAMPLE_POINTS = (
    Point("H-VIL-01", "东山村", "village", "village", REGION + ("城关镇",)),
    Point("H-VIL-02", "西河村", "village", "village", REGION + ("城关镇",)),
    Point("H-COM-01", "桥南社区", "village", "community", REGION + ("城关镇",)),
    Point("H-TWN-01", "柳林镇", "township", "township", REGION + ("柳林镇",)),
    Point("H-VIL-03", "柳林村", "village", "village", REGION + ("柳林镇",)),
    Point("H-SCH-01", "清河县实验小学", "county", "school", REGION),
)
RESPONDENTS = ("R01", "R02", "R03")
TITLE = "清河县基层减负监测月报历史数据(2024—2025)"
# (header, question id, typical value at the start, yearly fall)
NUMBERS = (
    ("收文数量", "documents", 60, 0.20), ("需反馈的文件", "documents_action", 18, 0.20),
    ("参加会议次数", "meetings", 14, 0.25), ("会议时长", "meeting_hours", 8.0, 0.2),
    ("填报报表份数", "forms", 22, 0.30), ("填表报数耗时", "form_hours", 9.0, 0.25),
    ("重复填报", "duplicate_forms", 6, 0.35), ("督查检查考核次数", "inspections", 4, 0.3),
    ("迎检准备耗时", "inspection_hours", 12.0, 0.3), ("留痕耗时", "trace_hours", 3.0, 0.3),
    ("政务APP数量", "apps", 8, 0.3), ("工作群数量", "chat_groups", 18, 0.2),
)
HEADER = (["填报人编号", "监测点编号", "监测点名称", "期次"] + [h for h, *_ in NUMBERS[:9]]
          + ["过度留痕", "留痕耗时", "政务APP数量", "工作群数量", "工作群即时回复压力",
             "负担变化感知", "减负满意度", "您最希望减掉的一项负担是什么?(选填)", "填表人姓名"])
SATISFACTION = ("很不满意", "不太满意", "一般", "比较满意", "很满意")
FORMULA_TEXT = '=HYPERLINK("http://example.com","点我")'


@dataclass(frozen=True)
class Seeded:
    """A seeded error: where it is (sheet, row as in the file, column header) and what."""

    sheet: str
    row: int
    column: str
    what: str


def rows(points=SAMPLE_POINTS, first: str = "2024-01", months: int = 24, seed: int = 7
         ) -> list[list]:
    """The clean data rows (no header), oldest first."""
    rng = random.Random(seed)
    keys = periods.span("month", first, _add_months(first, months - 1))
    out = []
    for m, key in enumerate(keys):
        for p in points:
            for r in RESPONDENTS:
                out.append(_row(rng, p, r, key, m))
    return out


def _row(rng, point: Point, respondent: str, key: str, month: int) -> list:
    values = {}
    for _header, qid, start, fall in NUMBERS:
        level = start * (1 - fall) ** (month / 12) * rng.uniform(0.8, 1.2)
        values[qid] = round(level * 2) / 2 if isinstance(start, float) else max(0, round(level))
    values["documents_action"] = min(values["documents_action"], values["documents"])
    values["duplicate_forms"] = min(values["duplicate_forms"], values["forms"])
    traces = rng.random() < 0.6 - month * 0.01
    satisfaction = min(5, max(1, round(rng.gauss(3 + month / 24, 0.8))))
    one_cut = rng.choice(["", "", "", "重复填报的表格", "过多的工作群", "迎检材料"])
    return [respondent, point.point_id, point.name, key,
            *[values[q] for _h, q, *_ in NUMBERS[:9]],
            "是" if traces else "否", values["trace_hours"] if traces else None,
            values["apps"], values["chat_groups"], rng.choice(["是", "否"]),
            min(5, max(1, round(rng.gauss(2.6 - month / 30, 0.7)))),
            SATISFACTION[satisfaction - 1], one_cut, None]


def seed_errors(data: list[list]) -> tuple[list[list], list[tuple[int, str, str]]]:
    """One error of each kind in a copy of the rows: (index in the new rows, column, what)."""
    data = [list(r) for r in data]
    col = {h: i for i, h in enumerate(HEADER)}
    seeded: list[tuple[int, str, str]] = []

    def put(index: int, header: str, value, what: str) -> None:
        data[index][col[header]] = value
        seeded.append((index, header, what))

    put(5, "监测点编号", "H-XXX-99", "unknown point")
    put(40, "期次", "2024-13", "bad period")
    put(75, "收文数量", "十二", "not a number")
    put(110, "参加会议次数", 9999, "above max")
    put(145, "需反馈的文件", 500, "constraint: more than documents")
    put(180, "减负满意度", "非常好", "not a choice")
    put(215, "填报报表份数", None, "required missing")
    put(250, "过度留痕", "可能", "not yes/no")
    data[300][col["您最希望减掉的一项负担是什么?(选填)"]] = FORMULA_TEXT  # valid: text is data
    data.insert(331, list(data[330]))
    seeded.append((331, "", "duplicate respondent and period"))
    return data, seeded


def workbook(points=SAMPLE_POINTS, first: str = "2024-01", months: int = 24, seed: int = 7
             ) -> tuple[bytes, list[Seeded]]:
    """The sample as an .xlsx: instructions sheet, then one sheet per year under a title row."""
    from openpyxl import Workbook
    data, seeded = seed_errors(rows(points, first, months, seed))
    book = Workbook()
    info = book.active
    info.title = "说明"
    info.append(["本表为基层减负监测月报历史数据示例。每行一个填报人一个月;填报人编号为匿名编号。"])
    sheets, counts, where, year = {}, {}, [], first[:4]
    for r in data:
        year = str(r[3])[:4] if str(r[3])[:4].isdigit() else year  # a bad period stays put
        if year not in sheets:
            sheets[year] = book.create_sheet(f"{year}年")
            sheets[year].append([TITLE])
            sheets[year].append(HEADER)
            counts[year] = 2
        sheets[year].append(r)
        counts[year] += 1
        where.append((f"{year}年", counts[year]))
    _text_cells(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), [Seeded(*where[i], c, w) for i, c, w in seeded]


def _text_cells(book) -> None:
    """Typed text stays text (a cell starting with '=' is not a formula)."""
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"


def gbk_csv(points=SAMPLE_POINTS, first: str = "2024-01", months: int = 24, seed: int = 7
            ) -> tuple[bytes, list[Seeded]]:
    """The same rows in one GBK-encoded CSV (as Excel on Chinese Windows saves it)."""
    data, seeded = seed_errors(rows(points, first, months, seed))
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(HEADER)
    writer.writerows([["" if v is None else v for v in r] for r in data])
    stem = "history_2024_2025_gbk"
    return text.getvalue().encode("gbk"), [Seeded(stem, i + 2, c, w) for i, c, w in seeded]


def points_csv(points=SAMPLE_POINTS) -> bytes:
    """The sample's monitoring points, for the points page (load them before the history)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["point_id", "name", "level", "kind", "prefecture", "county", "township",
                     "active"])
    for p in points:
        writer.writerow([p.point_id, p.name, p.level, p.kind, *(list(p.region) + [""] * 3)[:3],
                         "true"])
    return text.getvalue().encode("utf-8-sig")


def _add_months(key: str, n: int) -> str:
    year, month = map(int, key.split("-"))
    total = year * 12 + month - 1 + n
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


def main(argv=None) -> int:
    out = Path((argv or sys.argv[1:] or ["sample_history"])[0])
    out.mkdir(parents=True, exist_ok=True)
    (out / "sample_points.csv").write_bytes(points_csv())
    data, seeded = workbook()
    (out / "history_2024_2025.xlsx").write_bytes(data)
    (out / "history_2024_2025_gbk.csv").write_bytes(gbk_csv()[0])
    print(f"wrote {out}/sample_points.csv, history_2024_2025.xlsx and its GBK CSV variant; "
          f"{len(seeded)} seeded errors:")
    for s in seeded:
        print(f"  {s.sheet}:{s.row}: {s.column or '(row)'} {s.what}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
