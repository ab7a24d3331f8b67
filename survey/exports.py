"""Files leaders download: CSV that Excel opens with Chinese intact, and XLSX workbooks."""

from __future__ import annotations

import io

import pandas as pd


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark: Excel on Chinese Windows then shows 中文, not mojibake.
    Hidden (suppressed) figures are empty cells, with the suppressed column saying why."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    return buffer.getvalue()


def parquet_bytes(table) -> bytes:
    import pyarrow.parquet as pq
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()
