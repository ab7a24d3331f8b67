"""A county scripting its own deployment from the terminal (issue 26): checking a file creates
no secret, a folder of its own questionnaires starts without a traceback, points are added and
imported from the command line, and `en: Yes` is the English word."""

from __future__ import annotations

import os
import subprocess
import sys

from survey.questionnaire import parse_text
from tests.conftest import ROOT


def cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "survey", *map(str, args)], cwd=ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=120)


def test_validate_creates_no_key_file(tmp_path):
    db = tmp_path / "data" / "survey.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "SURVEY_CODE_KEY"}
    result = subprocess.run([sys.executable, "-m", "survey", "validate",
                             ROOT / "questionnaires" / "public_rating.yaml"],
                            cwd=tmp_path, env={**env, "SURVEY_DB": str(db),
                                               "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not db.with_suffix(".key").exists() and not (tmp_path / "data").exists()


def test_a_folder_of_own_questionnaires_starts_without_the_demo_and_says_why(tmp_path):
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "rating.yaml").write_text(
        (ROOT / "questionnaires" / "public_rating.yaml").read_text(encoding="utf-8"),
        encoding="utf-8")
    env = {"SURVEY_DB": str(tmp_path / "s.duckdb"), "SURVEY_QUESTIONNAIRES": str(folder),
           "SURVEY_DEMO": "1", "SURVEY_CODE_KEY": "k" * 32}
    init = cli("init", env=env)
    assert init.returncode == 0 and "Traceback" not in init.stderr, init.stderr
    assert "published public_rating v1" in init.stdout
    assert "demo data not loaded: it answers the built-in questionnaire 'burden_monthly'" in \
        init.stdout and "SURVEY_DEMO=0" in init.stdout and "未加载演示数据" in init.stdout
    assert "validate" not in init.stdout  # nothing is invalid
    demo = cli("demo", env=env)
    assert demo.returncode == 1 and "Traceback" not in demo.stderr
    assert "copy that file into the folder" in demo.stderr


def test_points_are_added_and_imported_from_the_command_line(tmp_path):
    env = {"SURVEY_DB": str(tmp_path / "s.duckdb"), "SURVEY_DEMO": "0",
           "SURVEY_CODE_KEY": "k" * 32}
    assert cli("init", env=env).returncode == 0
    added = cli("points", "add", "QH-V01", "和平村", "--level", "village", "--kind", "village",
                "--region", "江北市/清河县/城关镇", env=env)
    assert added.returncode == 0 and "added 1" in added.stdout
    again = cli("points", "add", "QH-V01", "和平村", "--level", "village", "--kind", "village",
                "--region", "江北市/清河县/城关镇", env=env)
    assert again.returncode == 1 and "exists already" in again.stderr
    typo = cli("points", "add", "QH-V02", "新河村", "--level", "vilage", "--kind", "village",
               "--region", "江北市/清河县/城关镇", env=env)
    assert typo.returncode == 1 and "level 'vilage' is not one of" in typo.stderr
    table = tmp_path / "points.csv"
    table.write_text("point_id,name,level,kind,prefecture,county,township,active\n"
                     "QH-V02,新河村,village,village,江北市,清河县,城关镇,1\n"
                     "QH-T01,城关镇人民政府,township,township,江北市,清河县,城关镇,1\n"
                     "QH-V03,,village,village,江北市,清河县,城关镇,1\n", encoding="utf-8")
    refused = cli("points", "import", table, env=env)
    assert refused.returncode == 1 and f"{table}:4: name is empty" in refused.stderr
    assert "QH-V02" not in cli("points", env=env).stdout  # nothing written
    table.write_text("\n".join(table.read_text(encoding="utf-8").splitlines()[:3]) + "\n",
                     encoding="utf-8")
    imported = cli("points", "import", table, env=env)
    assert imported.returncode == 0 and "added 2, updated 0" in imported.stdout
    listed = cli("points", env=env).stdout.splitlines()
    assert [line.split("\t")[0] for line in listed] == ["QH-T01", "QH-V01", "QH-V02"]
    assert "江北市/清河县/城关镇\t和平村" in listed[1]


def test_yes_and_no_are_english_words_in_texts():
    text = """
id: yn
version: 1
title: {zh: 是否, en: Yes or no}
sections:
  - id: s
    title: s
    questions:
      - id: q
        type: single_choice
        label: {zh: 是否参加, en: On}
        required: yes
        choices:
          - {value: 1, label: {zh: 是, en: Yes}}
          - {value: 2, label: {zh: 否, en: No}}
"""
    model, problems = parse_text(text, "yn.yaml")
    assert problems == []
    q = model.question("q")
    assert [c.label.en for c in q.choices] == ["Yes", "No"] and q.label.en == "On"
    assert q.required is True  # a flag is still a flag
