"""Commands an operator tries on a fresh clone: the read-only ones create no file (no key, no
database), a missing folder or database is said in Chinese and English without a traceback, and
refusals (a newer schema) come in both languages like the backup command's."""

from __future__ import annotations

import os

import pytest

from survey.cli import main
from tests.conftest import KEY


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """An empty data folder, no key configured: what a fresh clone has."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SURVEY_DB", str(data / "survey.duckdb"))
    monkeypatch.setenv("SURVEY_DEMO", "0")
    for name in ("SURVEY_CODE_KEY", "SURVEY_DATABASE_URL", "SURVEY_BACKUP_DIR",
                 "SURVEY_BACKUP_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return data


def test_listing_backups_and_calendar_status_create_nothing(fresh, tmp_path, capsys):
    folder = tmp_path / "backups"
    folder.mkdir()
    assert main(["backups", str(folder)]) == 0
    assert "没有备份" in capsys.readouterr().out
    assert main(["backups", str(tmp_path / "nas" / "survey")]) == 2
    err = capsys.readouterr().err
    assert "不存在" in err and "There is no folder" in err and "Traceback" not in err
    assert main(["calendar", "status"]) == 1
    err = capsys.readouterr().err
    assert "There is no database" in err and "数据库" in err and "不存在" in err
    assert os.listdir(fresh) == []          # no survey.key, no survey.duckdb


def test_backup_creates_only_the_last_folder_level(fresh, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SURVEY_BACKUP_PASSPHRASE", "a long enough passphrase for tests")
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    assert main(["init"]) == 0
    capsys.readouterr()
    unmounted = tmp_path / "mnt" / "nas" / "survey"
    assert main(["backup", f"{unmounted}/"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "mounted" in err and "挂载" in err
    assert not (tmp_path / "mnt").exists()
    assert main(["backup", str(tmp_path / "mnt" / "x.zip")]) == 2    # a file: its folder too
    assert main(["backup", f"{tmp_path / 'daily'}/"]) == 0           # the parent is there
    assert len(list((tmp_path / "daily").iterdir())) == 1


def test_calendar_template_into_a_missing_folder_says_so(fresh, tmp_path, capsys):
    assert main(["calendar", "template", "--out", str(tmp_path / "missing" / "x.xlsx")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "无法写入" in err and "Traceback" not in err
    assert main(["calendar", "template", "--out", str(tmp_path / "t.xlsx")]) == 0
    assert (tmp_path / "t.xlsx").stat().st_size > 0 and os.listdir(fresh) == []


def test_calendar_import_problems_come_in_both_languages(fresh, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("类型,名称,开始,结束\n放假,春节,2027-13-01,\n", encoding="utf-8")
    assert main(["calendar", "import", str(bad), "--check"]) == 1
    err = capsys.readouterr().err
    assert "不是有效日期" in err and "is not a date" in err
    assert "未写入任何数据" in err and "nothing written" in err


def test_a_newer_schema_is_refused_in_both_languages_by_points_and_calendar_status(
        fresh, monkeypatch, capsys):
    from tests.test_newer_schema import _written_by_a_newer_release
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    found = _written_by_a_newer_release(fresh / "survey.duckdb")
    for command in (["points"], ["calendar", "status"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"错误:此数据库由更新的版本写入(数据库结构版本 {found})" in err
        assert f"error: This database was written by a newer release (schema {found})" in err
