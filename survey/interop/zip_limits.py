"""Refuse a zipped workbook (.xlsx, .xlsm) that would unzip to more than the server can hold.

A 2 MB .xlsx can declare sheets of gigabytes (a "zip bomb"); the parsers would inflate them
in memory. The zip's directory declares each member's uncompressed size and zipfile enforces
it while reading, so checking the declared sizes before any parsing is enough.
"""

from __future__ import annotations

import io
import zipfile

from survey.interop.issues import Issue

# the platform's own export of two years of demo data (12,789 submissions) unzips to ~180 MB
MAX_UNCOMPRESSED = 512 * 1024 * 1024
# spreadsheet XML compresses ~5-15 times; far beyond that is padding, not data
MAX_RATIO = 100
_RATIO_FROM = 1024 * 1024  # small members (styles, themes) may compress better: ignored


def too_large(data: bytes, name: str) -> Issue | None:
    """An error when the zip declares too much uncompressed data; None when it is fine or is
    not a zip at all (the reader reports that)."""
    if not data.startswith(b"PK"):
        return None
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile:
        return None
    total = sum(m.file_size for m in members)
    inflated = [m for m in members if m.file_size > _RATIO_FROM
                and m.file_size > MAX_RATIO * max(1, m.compress_size)]
    if total <= MAX_UNCOMPRESSED and not inflated:
        return None
    mb = total / 1024 / 1024
    limit = MAX_UNCOMPRESSED // 1024 // 1024
    if inflated:
        return Issue(name, "-", None,
                     f"the file is refused: it is {len(data) / 1024 / 1024:.1f} MB but its "
                     f"contents would unzip to {mb:,.0f} MB (more than {MAX_RATIO} times its "
                     "size), which is not normal spreadsheet data; open it in Excel, delete "
                     "empty or padded rows and columns, save it again and retry",
                     f"已拒绝该文件:文件 {len(data) / 1024 / 1024:.1f} MB,解压后却有 {mb:,.0f} MB"
                     f"(超过 {MAX_RATIO} 倍),不是正常的表格数据;请用 Excel 打开,删除空白或多余的"
                     "行列后重新保存再试", kind="error")
    return Issue(name, "-", None,
                 f"the file is refused: its contents unzip to {mb:,.0f} MB, more than the "
                 f"{limit} MB the server reads at once; split it (e.g. one file per year) or "
                 "save it as CSV",
                 f"已拒绝该文件:解压后有 {mb:,.0f} MB,超过服务器一次可读取的 {limit} MB;"
                 "请拆分文件(如每年一个)或另存为 CSV", kind="error")
