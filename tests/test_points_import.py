"""Importing the points file an office keeps: the same file imported again changes nothing and
says so, and a spreadsheet whose cells are formulas without saved results is refused with the
cells named, not read as empty names."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from survey import points_io
from tests.test_cli_own_forms import cli

HEADER = ["point_id", "name", "level", "kind", "prefecture", "county", "township", "active"]
ROWS = [["QH-V02", "新河村", "village", "village", "江北市", "清河县", "城关镇", "1"],
        ["QH-T01", "城关镇人民政府", "township", "township", "江北市", "清河县", "城关镇", "1"]]


def csv(rows) -> bytes:
    return "\n".join(",".join(r) for r in [HEADER, *rows]).encode("utf-8")


def test_the_same_file_imported_again_updates_nothing(store):
    first = points_io.preview(points_io.read_table(csv(ROWS), "p.csv"), {})
    assert store.upsert_points(first.points, "boss") == (2, 0)
    stored = {p.point_id: p for p in store.points()}
    again = points_io.preview(points_io.read_table(csv(ROWS), "p.csv"), stored)
    assert again.ok and again.unchanged == {"QH-V02", "QH-T01"} and again.updates == set()
    assert store.upsert_points(again.points, "boss") == (0, 0)
    renamed = [["QH-V02", "新河村(合并)", *ROWS[0][2:]], ROWS[1]]
    changed = points_io.preview(points_io.read_table(csv(renamed), "p.csv"), stored)
    assert changed.updates == {"QH-V02"} and changed.unchanged == {"QH-T01"}
    assert store.upsert_points(changed.points, "boss") == (0, 1)
    assert store.point("QH-V02").name == "新河村(合并)"


def formula_workbook() -> bytes:
    book = Workbook()  # written by a program: formulas carry no saved result
    sheet = book.active
    sheet.append(HEADER)
    sheet.append(["QH-V02", '=CONCAT("新河","村")', "village", "village", "江北市", "清河县",
                  "城关镇", "1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_formulas_without_saved_results_are_refused_with_their_cells():
    with pytest.raises(points_io.UnreadableTable) as refused:
        points_io.read_table(formula_workbook(), "points.xlsx")
    assert "B2" in refused.value.en and "save it" in refused.value.en
    assert "B2" in refused.value.zh and "WPS" in refused.value.zh


def test_the_command_line_names_the_formula_cells_in_both_languages(tmp_path):
    env = {"SURVEY_DB": str(tmp_path / "s.duckdb"), "SURVEY_DEMO": "0",
           "SURVEY_CODE_KEY": "k" * 32}
    assert cli("init", env=env).returncode == 0
    book = tmp_path / "points.xlsx"
    book.write_bytes(formula_workbook())
    refused = cli("points", "import", book, env=env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "Cell B2 holds a formula" in refused.stderr and "单元格 B2 是公式" in refused.stderr
    (tmp_path / "points.csv").write_bytes(csv(ROWS))
    assert "added 2, updated 0" in cli("points", "import", tmp_path / "points.csv",
                                       env=env).stdout
    again = cli("points", "import", tmp_path / "points.csv", env=env)
    assert again.returncode == 0 and "added 0, updated 0" in again.stdout
