"""Uploaded workbooks that would unzip to more than the server can hold are refused before any
parsing, with a message in zh and en (the tester's 2.1 MB bomb took the app to 2.46 GB)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl

from conftest import KEY
from survey.interop import history_import, zip_limits
from survey.interop.xlsform_import import import_xlsform

PADDING = 64 * 1024 * 1024  # 64 MB of whitespace in the sheet: ~64 KB once zipped


def _bomb(header) -> bytes:
    """A valid .xlsx whose first sheet's XML is padded with whitespace (legal XML)."""
    book = openpyxl.Workbook()
    book.active.title = "survey"
    book.active.append(header)
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, data)
                continue
            head, sep, rest = data.partition(b"<sheetData>")
            padded = zipfile.ZipInfo(info.filename)
            padded.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(padded, "w", force_zip64=True) as member:
                member.write(head + sep)
                chunk = b" " * (1024 * 1024)
                for _ in range(PADDING // len(chunk)):
                    member.write(chunk)
                member.write(rest)
    return out.getvalue()


def test_a_history_zip_bomb_is_refused_before_parsing(store):
    bomb = _bomb(["监测点编号", "期次", "收文数量"])
    assert len(bomb) < 1024 * 1024
    report = history_import.read(store, bomb, "bomb.xlsx", KEY, today=dt.date(2026, 11, 21))
    assert not report.clean and not report.rows and report.data_rows == 0
    [issue] = report.issues
    assert "解压后" in issue.zh and "Excel" in issue.zh
    assert "unzip" in issue.en and "save it again" in issue.en


def test_an_xlsform_zip_bomb_is_refused_before_parsing():
    result = import_xlsform(_bomb(["type", "name", "label"]), "bomb.xlsx")
    assert result.questionnaire is None
    [issue] = result.issues
    assert "解压后" in issue.zh and "unzip" in issue.en


def test_a_workbook_over_the_total_limit_is_refused_with_what_to_do(store, monkeypatch):
    book = openpyxl.Workbook()
    book.active.append(["监测点编号", "期次", "收文数量"])
    for i in range(2000):
        book.active.append([f"P-{i}", "2025-03", i])
    data = io.BytesIO()
    book.save(data)
    monkeypatch.setattr(zip_limits, "MAX_UNCOMPRESSED", 20_000)  # a normal file, a small limit
    report = history_import.read(store, data.getvalue(), "big.xlsx", KEY)
    [issue] = report.issues
    assert "拆分" in issue.zh and "split" in issue.en and "CSV" in issue.en


def test_normal_workbooks_pass_the_check():
    book = openpyxl.Workbook()
    book.active.append(["监测点编号", "期次"])
    data = io.BytesIO()
    book.save(data)
    assert zip_limits.too_large(data.getvalue(), "ok.xlsx") is None
    assert zip_limits.too_large(b"a,b\n1,2\n", "ok.csv") is None
