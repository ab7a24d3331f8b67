"""`python -m survey export`: the analysts' views for a period range, streamed to Parquet,
CSV or XLSX with no row cap (batches of rows; XLSX continues on a new sheet every ~1M rows)."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from survey import periods
from survey.safe_files import looks_like_formula, safe_cell, safe_csv

VIEWS = ("points", "submissions", "submission_history", "answers", "indicator_values")
BATCH = 100_000
XLSX_SHEET_ROWS = 1_000_000  # Excel stops at 1,048,576 rows per sheet


class Progress:
    """A one-line progress bar on stderr (only redrawn on a terminal)."""

    def __init__(self, label: str, total: int, stream=sys.stderr):
        self.label, self.total, self.done, self.stream = label, total, 0, stream
        self.tty = stream.isatty()

    def add(self, rows: int) -> None:
        self.done += rows
        if self.tty:
            self._draw("\r")

    def close(self) -> None:
        self._draw("\r" if self.tty else "")
        self.stream.write("\n")

    def _draw(self, prefix: str) -> None:
        share = self.done / self.total if self.total else 1.0
        bar = "#" * int(30 * share)
        self.stream.write(f"{prefix}{self.label:<20} [{bar:<30}] {share:6.1%} "
                          f"{self.done:,}/{self.total:,} rows")
        self.stream.flush()


def periods_in_months(con, first: str | None, last: str | None,
                      kinds: dict[str, str]) -> list[str] | None:
    """'questionnaire|period key' of every stored period that overlaps the months first..last
    (None: no range). `kinds`: questionnaire id -> its period kind, for a one-off survey's
    closing day (the views hold its key, the opening day, not its window)."""
    if not (first or last):
        return None
    stored = con.execute("SELECT DISTINCT questionnaire_id, period_key "
                         "FROM submission_history").fetchall()
    return [f"{qid}|{key}" for qid, key in stored
            if periods.in_months(key, kinds.get(qid), first, last)]


def _where(view: str, selected: list[str] | None) -> tuple[str, list]:
    if view == "points" or selected is None:
        return "", []
    return " WHERE list_contains(?::VARCHAR[], questionnaire_id || '|' || period_key)", \
        [selected]


def export(con: duckdb.DuckDBPyConnection, out_dir: Path, fmt: str, first: str | None = None,
           last: str | None = None, views=VIEWS, stream=sys.stderr,
           kinds: dict[str, str] | None = None) -> dict[str, int]:
    """Write each view to out_dir/<view>.<fmt>; returns rows written per view. first/last:
    months; a period is exported when it overlaps them (periods_in_months)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    workbook = None
    if fmt == "xlsx":
        from openpyxl import Workbook
        workbook = Workbook(write_only=True)
    selected = periods_in_months(con, first, last, kinds or {})
    for view in views:
        where, params = _where(view, selected)
        total = con.execute(f"SELECT count(*) FROM {view}{where}", params).fetchone()[0]
        progress = Progress(view, total, stream)
        reader = con.execute(f"SELECT * FROM {view}{where}", params).to_arrow_reader(batch_size=BATCH)
        if fmt == "parquet":
            written[view] = _parquet(reader, out_dir / f"{view}.parquet", progress)
        elif fmt == "csv":
            written[view] = _csv(reader, out_dir / f"{view}.csv", progress)
        else:
            written[view] = _xlsx(reader, workbook, view, progress)
        progress.close()
    if workbook is not None:
        workbook.save(out_dir / "survey_export.xlsx")
    return written


def _parquet(reader, path: Path, progress: Progress) -> int:
    with pq.ParquetWriter(path, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
            progress.add(batch.num_rows)
    return progress.done


def _csv(reader, path: Path, progress: Progress) -> int:
    # Lists (e.g. value_choices) become text like [a, b]; a BOM lets Excel read Chinese;
    # text that a spreadsheet would take for a formula gets a leading apostrophe.
    schema = pa.schema([pa.field(safe_csv(f.name), pa.string() if pa.types.is_list(f.type)
                                 else f.type) for f in reader.schema])
    with open(path, "wb") as fh:
        fh.write("\ufeff".encode("utf-8"))
        with pa_csv.CSVWriter(fh, schema) as writer:
            for batch in reader:
                columns = [_formula_safe(_listless(col)) for col in batch.columns]
                writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))
                progress.add(batch.num_rows)
    return progress.done


def _listless(column: pa.Array) -> pa.Array:
    if not pa.types.is_list(column.type):
        return column
    return pa.array([None if v is None else "[" + ", ".join(map(str, v)) + "]"
                     for v in column.to_pylist()], pa.string())


_FORMULA_PATTERN = r"^[=+\-@\t\r]"  # survey.safe_files.FORMULA_START as a regex


def _formula_safe(column: pa.Array) -> pa.Array:
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    risky = pc.match_substring_regex(column, _FORMULA_PATTERN)
    return pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)


def _xlsx(reader, workbook, view: str, progress: Progress) -> int:
    from openpyxl.cell import WriteOnlyCell
    sheet, rows_in_sheet, part = None, XLSX_SHEET_ROWS, 0
    names = reader.schema.names

    def cells(values):  # write-only rows; text that looks like a formula stays text
        return [safe_cell(WriteOnlyCell(sheet, v)) if looks_like_formula(v) else v
                for v in values]

    for batch in reader:
        for row in batch.to_pylist():
            if rows_in_sheet >= XLSX_SHEET_ROWS:
                part += 1
                sheet = workbook.create_sheet(view if part == 1 else f"{view}_{part}")
                sheet.append(cells(names))
                rows_in_sheet = 0
            sheet.append(cells([", ".join(map(str, v)) if isinstance(v, list) else v
                                for v in (row[n] for n in names)]))
            rows_in_sheet += 1
        progress.add(batch.num_rows)
    if sheet is None:
        sheet = workbook.create_sheet(view)
        sheet.append(cells(names))
    return progress.done
