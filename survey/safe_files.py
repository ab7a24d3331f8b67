"""Files people download: CSV that Excel opens with Chinese intact, and XLSX workbooks.

Text typed by anyone (a problem report, an answer, a point name, a column name in the
workbench) may start with =, +, -, @, a tab or a carriage return; Excel and LibreOffice read
such a cell as a formula (=HYPERLINK(...), =cmd|' /C calc'!A0, @SUM(...)). Every text cell goes
through `safe_csv` or `safe_cell` on its way out; numbers stay numbers.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def safe_csv(value):
    """OWASP's advice for CSV: a leading apostrophe makes the spreadsheet read text."""
    return "'" + value if looks_like_formula(value) else value


def safe_cell(cell):
    """An openpyxl cell whose text would be read as a formula is written as an inline string
    (t="inlineStr": Excel and LibreOffice never evaluate it) with the quote-prefix style, so
    that editing the cell later keeps it text too. The text itself stays verbatim."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def list_text(value):
    """A list cell (a multiple choice's codes, from a DuckDB LIST column: a numpy array) as
    the CLI export writes it, [1, 5]; pandas wrote ['1' '5']. Other values as they are."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return value


def _object_columns(frame: pd.DataFrame):
    return frame.columns[(frame.dtypes == object) | frame.dtypes.map(pd.api.types.is_string_dtype)]


def lists_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in _object_columns(out):
        out[column] = out[column].map(list_text, na_action="ignore")
    return out


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell and column name made safe for CSV (list cells as text)."""
    out = lists_as_text(frame).rename(
        columns=lambda c: safe_csv(str(c)) if isinstance(c, str) else c)
    for column in _object_columns(out):
        out[column] = out[column].map(safe_csv, na_action="ignore")
    return out


def spreadsheet_frame(table) -> pd.DataFrame:
    """A query result (Arrow) as CSV and Excel cells hold it, and as the CLI export writes it:
    nested values as text, times without a zone, whole numbers as integers (pandas made an
    integer column with an empty cell, and a DOUBLE column of codes, 3.0)."""
    import pyarrow as pa
    columns = []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_nested(field.type) or pa.types.is_binary(field.type):
            column = pa.array([None if v is None else str(v) for v in column.to_pylist()],
                              pa.string())
        elif pa.types.is_timestamp(field.type) and field.type.tz:
            column = column.cast(pa.timestamp(field.type.unit))
        columns.append(column)
    frame = pa.table(columns, names=table.column_names).to_pandas(
        types_mapper=lambda t: pd.Int64Dtype() if pa.types.is_integer(t) else None)
    return whole_numbers(frame)


def whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns whose values are all whole (choice codes in value_num, counts) as
    integers: 3, not 3.0. A column with a fraction in it stays as it is."""
    out = frame.copy()
    for column in out.columns[out.dtypes.map(pd.api.types.is_float_dtype)]:
        values = out[column].dropna()
        if len(values) and (values == values.round()).all() and values.abs().max() < 2 ** 53:
            out[column] = out[column].astype(pd.Int64Dtype())
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark: Excel on Chinese Windows then shows 中文, not mojibake.
    Hidden (suppressed) figures are empty cells, with the suppressed column saying why.
    CRLF line ends (as Excel writes them) also make the writer quote a text holding a lone CR."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, pd.DataFrame], formats: dict | None = None) -> bytes:
    """One sheet per frame, numbers as numbers. Every sheet gets a bold, frozen header row and
    columns wide enough for their text; `formats` gives Excel number formats per sheet and
    column: one format, or a list with one per row (a column mixing shares and means)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame = lists_as_text(frame)
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for row in sheet.iter_rows():
                for cell in row:
                    safe_cell(cell)
            _layout(sheet, frame, (formats or {}).get(name, {}))
    return buffer.getvalue()


def _display_width(value) -> int:
    """Characters as Excel measures them: CJK characters count twice."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _layout(sheet, frame: pd.DataFrame, formats: dict) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, column in enumerate(frame.columns, start=1):
        spec = formats.get(column)
        if spec is not None:
            per_row = [spec] * len(frame) if isinstance(spec, str) else list(spec)
            for row, number_format in enumerate(per_row, start=2):
                if number_format:
                    sheet.cell(row, i).number_format = number_format
        longest = max([_display_width(column)] + [
            _display_width(v) if isinstance(v, str) else 8 for v in frame[column].head(500)])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))
        if longest > 60:  # long text (definitions, evidence) wraps instead of running on
            for row in range(2, len(frame) + 2):
                sheet.cell(row, i).alignment = Alignment(wrap_text=True, vertical="top")


def parquet_bytes(table) -> bytes:
    import pyarrow.parquet as pq
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()
