"""SPSS .sav and Stata .dta exports read back with pyreadstat equal the analysts' views,
variable labels (question texts) and value labels (choice labels) included."""

from __future__ import annotations

import datetime as dt
import math

import pyreadstat
import pytest

from conftest import VILLAGE
from survey import periods
from survey.interop import stat_files
from survey.questionnaire import load

ALL_TYPES = """
id: every_type
version: 1
title: {zh: 全题型, en: Every type}
choice_lists:
  five:
    - {value: 1, label: {zh: 很差, en: Poor}}
    - {value: 2, label: {zh: 差, en: Fair}}
    - {value: 3, label: {zh: 一般, en: Average}}
    - {value: 4, label: {zh: 好, en: Good}}
    - {value: 5, label: {zh: 很好, en: Very good}}
sections:
  - id: all
    title: 全部
    questions:
      - {id: count, type: integer, label: {zh: 次数, en: Count}}
      - {id: hours, type: decimal, label: {zh: 小时, en: Hours}}
      - id: channel
        type: single_choice
        label: {zh: 主要渠道, en: Main channel}
        choices:
          - {value: paper, label: {zh: 纸质, en: Paper}}
          - {value: app, label: {zh: 政务APP, en: App}}
      - id: channels
        type: multiple_choice
        label: {zh: 全部渠道, en: All channels}
        choices:
          - {value: paper, label: {zh: 纸质, en: Paper}}
          - {value: app, label: {zh: 政务APP, en: App}}
          - {value: chat, label: {zh: 工作群, en: Chat}}
      - {id: sat, type: likert, choices: five, label: {zh: 满意度, en: Satisfaction}}
      - {id: traced, type: yes_no, label: {zh: 是否留痕, en: Traced}}
      - {id: visited, type: date, label: {zh: 检查日期, en: Inspected on}}
      - {id: note, type: long_text, label: {zh: 意见, en: Comment}}
      - id: grid
        type: matrix
        choices: five
        label: {zh: 各项评价, en: Ratings}
        rows:
          - {id: meetings, label: {zh: 会议, en: Meetings}}
          - {id: forms, label: {zh: 填表, en: Forms}}
"""
ANSWERS = [
    {"count": 3, "hours": 2.5, "channel": "app", "channels": ["paper", "chat"], "sat": "4",
     "traced": True, "visited": "2026-03-05", "note": '=1+1 "引号", 换行\n第二行',
     "grid": {"meetings": "2", "forms": "5"}},
    {"count": 0, "channel": "paper", "channels": [], "sat": "1", "traced": False},
    {"hours": 7.0, "note": "x" * 400},
]


@pytest.fixture
def filled(store):
    qn = load(ALL_TYPES, "every_type.yaml")
    store.publish(qn)
    today = dt.date.today()
    for i, answers in enumerate(ANSWERS):
        code = store.issue_codes(VILLAGE.point_id, 1)[0]
        store.submit(store.respondent(code), qn, periods.key_for("month", today), answers,
                     f"token-{i}")
    return store, qn


@pytest.mark.parametrize("fmt,lang", [("sav", "zh"), ("dta", "en"), ("sav", "en"),
                                      ("dta", "zh")])
def test_files_read_back_equal_to_the_views_with_labels(filled, tmp_path, fmt, lang):
    store, qn = filled
    [(path, rows)] = stat_files.export(store.raw_connection(), store.questionnaire,
                                       "every_type", fmt, tmp_path, lang)
    assert rows == len(ANSWERS)
    read = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    frame, meta = read(str(path))
    labels = dict(zip(meta.column_names, meta.column_labels))
    values = meta.variable_value_labels
    assert labels["count"] == qn.question("count").label.get(lang)
    assert labels["channels_chat"].endswith(("工作群", "Chat"))
    assert {int(k): v for k, v in values["sat"].items()} == {
        int(c.value): c.label.get(lang) for c in qn.question("sat").choices}
    by_id = frame.set_index("submission_id")
    label_col = "label_zh" if lang == "zh" else "label_en"
    view = store.query(f"SELECT submission_id, question_id, row_id, type, value_num, "
                       f"value_text, value_bool, value_date, value_choices, {label_col} "
                       "FROM answers WHERE questionnaire_id = 'every_type'")
    assert len(view) > 10
    for sid, qid, row_id, kind, num, text, flag, date, choices, label in view:
        row = by_id.loc[sid]
        if kind in ("integer", "decimal"):
            assert row[qid] == num
        elif kind == "yes_no":
            assert row[qid] == int(flag)
            assert _label(values, qid, row[qid]) == ("是" if flag else "否") if lang == "zh" \
                else ("Yes" if flag else "No")
        elif kind == "date":
            assert _as_date(row[qid]) == date
        elif kind == "long_text":
            assert row[qid] == text  # verbatim, quotes and new lines included
        elif kind == "multiple_choice":
            for c in qn.question(qid).choices:
                assert row[f"{qid}_{c.value}"] == (c.value in choices)
        elif kind == "matrix":
            assert _label(values, f"{qid}_{row_id}", row[f"{qid}_{row_id}"]) == label
        else:  # single choice and likert: the label of the value is the view's label
            assert _label(values, qid, row[qid]) == label
    unanswered = by_id.loc[[s for s in by_id.index if s not in {v[0] for v in view
                                                                if v[1] == "count"}]]
    assert all(math.isnan(x) for x in unanswered["count"])
    assert set(by_id["point_id"]) == {VILLAGE.point_id}


def test_large_exports_are_split_into_complete_parts(filled, tmp_path):
    store, _ = filled
    written = stat_files.export(store.raw_connection(), store.questionnaire, "every_type", "sav",
                                tmp_path, "zh", part_rows=2)
    assert [(p.name, n) for p, n in written] == [("every_type.sav", 2),
                                                 ("every_type_part2.sav", 1)]
    for path, _ in written:
        _, meta = pyreadstat.read_sav(str(path))
        assert meta.variable_value_labels["sat"]


def test_the_cli_writes_both_formats(filled, tmp_path, monkeypatch, db_path):
    store, _ = filled
    store.close()
    from survey import cli
    from conftest import KEY
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    for fmt in ("sav", "dta"):
        assert cli.main(["export", "--format", fmt, "--out", str(tmp_path / fmt)]) == 0
        names = {p.name for p in (tmp_path / fmt).iterdir()}
        assert f"every_type.{fmt}" in names and f"burden_monthly.{fmt}" not in names


def _label(value_labels, variable, value):
    return {int(k): v for k, v in value_labels[variable].items()}[int(value)]


def _as_date(value):
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def test_spss_while_the_app_holds_the_database_says_what_to_do_without_a_traceback(
        filled, tmp_path, engine_name, db_path):
    if engine_name != "duckdb":
        pytest.skip("only the embedded DuckDB file is held by the running app")
    import os
    import subprocess
    import sys

    from conftest import KEY, ROOT
    from survey.store import snapshot
    store, _ = filled  # open here, as the running app holds it
    snapshot.write(store, tmp_path / "analytics.duckdb")
    env = {**os.environ, "SURVEY_DB": str(db_path), "SURVEY_CODE_KEY": KEY.decode(),
           "SURVEY_SNAPSHOT": str(tmp_path / "analytics.duckdb")}
    result = subprocess.run([sys.executable, "-m", "survey", "export", "--format", "sav",
                             "--out", str(tmp_path / "sav")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "every_type 第 1 版" in result.stderr and "请停止应用后重新导出" in result.stderr
    assert "every_type version 1 is not in" in result.stderr
