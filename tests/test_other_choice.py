"""其他(请注明): `other: true` on a choice question makes its last choice open a short text box
in the same question, required when that choice is picked, stored with the answer (table
answer_other, column other_text of the answers view), exported as its own column, carried
forward with its choice, and read back from an XLSForm's or_other (issue 26)."""

from __future__ import annotations

import datetime as dt

import pyreadstat
import pytest

from survey import answers as rules
from survey import periods
from survey.form_flow import CONFIRM, FormFlow
from survey.interop import stat_files
from survey.questionnaire import load, parse_text
from tests.conftest import VILLAGE

PERIOD = periods.key_for("month", dt.date.today())
LAST = periods.previous("month", PERIOD)

VILLAGE_SURVEY = """
id: village_income
version: 1
title: {zh: 村情调查, en: Village survey}
sections:
  - id: a
    title: 收入
    questions:
      - id: a5
        type: single_choice
        label: {zh: A5 家庭主要收入来源, en: A5 Main source of income}
        required: true
        carry_forward: true
        other: true
        choices:
          - {value: 1, label: 种植业}
          - {value: 2, label: 外出务工}
          - {value: 9, label: {zh: 其他(请注明), en: Other (please specify)}}
      - id: a6
        type: multiple_choice
        label: A6 报送渠道
        other: true
        choices:
          - {value: 1, label: 纸质}
          - {value: 2, label: 政务APP}
          - {value: 3, label: 其他(请注明)}
      - id: a7
        type: short_text
        label: A7 说明
        relevant: a5 == 9
"""


@pytest.fixture(scope="module")
def village():
    return load(VILLAGE_SURVEY, "village_income.yaml")


def test_the_text_is_required_only_when_other_is_picked(village):
    assert village.question("a5").other_code == "9"
    assert rules.validate(village, {"a5": "1"}) == {}
    assert rules.validate(village, {"a5": "9"})["a5"] is rules.OTHER_REQUIRED
    assert rules.validate(village, {"a5": "9", "a5.other": "   "})["a5"] is rules.OTHER_REQUIRED
    assert rules.validate(village, {"a5": "9", "a5.other": "养殖"}) == {}
    assert rules.validate(village, {"a5": "1", "a6": ["1", "3"]})["a6"] is rules.OTHER_REQUIRED
    too_long = rules.validate(village, {"a5": "9", "a5.other": "长" * 201})["a5"]
    assert "最多 200 个字" in too_long.zh and "at most 200" in too_long.en


def test_the_text_is_stored_only_with_its_choice(village):
    assert rules.clean(village, {"a5": "1", "a5.other": "养殖"}) == {"a5": "1"}
    assert rules.clean(village, {"a5": "9", "a5.other": "养殖", "a6": ["1", "3"],
                                 "a6.other": "=1+1"}) == {
        "a5": "9", "a5.other": "养殖", "a6": ["1", "3"], "a6.other": "=1+1"}
    assert rules.display(village.question("a5"), "9", "zh", "养殖") == "其他(请注明):养殖"
    assert rules.display(village.question("a6"), ["1", "3"], "zh", "微信") == "纸质、其他(请注明):微信"


def test_other_applies_to_single_and_multiple_choice_only():
    base = VILLAGE_SURVEY.replace("      - id: a6\n        type: multiple_choice",
                                  "      - id: a6\n        type: likert")
    _, problems = parse_text(base, "v.yaml")
    assert any(p.code == "Q115" and "'other' does not apply to a likert question" in p.message
               for p in problems)
    one = """
id: x
version: 1
title: x
sections:
  - id: s
    title: s
    questions:
      - id: q
        type: single_choice
        label: q
        other: true
        choices: [{value: 9, label: 其他(请注明)}]
"""
    _, problems = parse_text(one, "x.yaml")
    assert [(p.code, p.line) for p in problems] == [("Q127", 12)]  # the line of other:


def test_the_form_flow_asks_for_the_text_and_carries_it_forward(village):
    flow = FormFlow.open(village, PERIOD)
    flow.set_answer("a5", "9")
    assert "a7" in [q.id for q in flow.shown_questions()]  # a5 == 9: a number code
    assert flow.message("a5") is None  # the box just opened: no telling off before typing
    flow.next()
    assert flow.message("a5") is rules.OTHER_REQUIRED
    flow.set_answer("a5.other", "养殖")
    assert flow.message("a5") is None and flow.remaining() == []
    flow.set_answer("a7", "说明")
    flow.next()
    assert flow.step == CONFIRM and flow.summary().answers == 2  # the text is part of a5
    # next month: the choice and its text come back together, and one click keeps them
    after = FormFlow.open(village, PERIOD, [(LAST, rules.clean(village, flow.answers))])
    assert after.answers == {"a5": "9", "a5.other": "养殖"}
    after.set_answer("a5.other", "养殖和加工")
    assert after.differs() == ["a5"]


def test_stored_with_the_answer_and_shown_in_the_views_and_exports(store, village, tmp_path):
    store.publish(village)
    respondent = store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0])
    answers = {"a5": "9", "a5.other": "养殖 “土鸡”", "a6": ["1", "3"], "a6.other": "=1+1",
               "a7": "说明"}
    receipt = store.submit(respondent, village, PERIOD, answers, "other-1")
    rows = sorted(store.query(
        "SELECT question_id, value_text, value_num, value_choices, label_zh, other_text "
        "FROM answers WHERE submission_id = ?", [receipt.submission_id]))
    assert rows == [("a5", "9", 9.0, None, "其他(请注明)", "养殖 “土鸡”"),
                    ("a6", None, 2.0, ["1", "3"], "纸质; 其他(请注明)", "=1+1"),
                    ("a7", "说明", None, None, None, None)]
    assert store.submission_answers(receipt.submission_id) == answers
    assert store.kept(respondent, village.id, PERIOD)[1] == answers
    store._write(store.rebuild_kept_slot)  # as after a demo load: the text is kept
    assert store.kept(respondent, village.id, PERIOD)[1]["a6.other"] == "=1+1"
    [(path, _)] = stat_files.export(store.raw_connection(), store.questionnaire,
                                    village.id, "sav", tmp_path, "zh")
    frame, meta = pyreadstat.read_sav(str(path))
    labels = dict(zip(meta.column_names, meta.column_labels))
    assert frame.loc[0, "a5"] == 9 and frame.loc[0, "a5_other"] == "养殖 “土鸡”"
    assert frame.loc[0, "a6_3"] == 1 and frame.loc[0, "a6_other"] == "=1+1"
    assert labels["a5_other"] == "A5 家庭主要收入来源: 其他(请注明)"


def test_an_exported_xlsform_reads_back_with_its_other_box(village, tmp_path):
    from survey.interop.xlsform_export import check, to_xlsform
    from survey.interop.xlsform_import import import_xlsform
    path = tmp_path / "village.xlsx"
    path.write_bytes(to_xlsform(village))
    assert check(path.read_bytes()) == []  # pyxform accepts it
    back = import_xlsform(path).questionnaire
    assert back.question("a5").other and back.question("a6").other
    assert [q.id for q in back.questions] == ["a5", "a6", "a7"]


# 第七次全国人口普查短表 D8: the choice with the address box is not the last one.
REGISTRATION = """
id: census_d8
version: 1
title: 户口登记地
sections:
  - id: d
    title: 个人项目
    questions:
      - id: d8
        type: single_choice
        label: D8 户口登记地
        required: true
        other: 4                      # 4 opens the box; 5 户口待定 comes after it
        choices:
          - {value: 1, label: 本村(居)委会}
          - {value: 4, label: 其他县(市、区、旗)(请在下面填写地址)}
          - {value: 5, label: 户口待定}
"""


def test_other_can_name_a_choice_that_is_not_the_last(store, tmp_path):
    from survey.interop.xlsform_export import check, to_xlsform
    from survey.interop.xlsform_import import import_xlsform
    qn = load(REGISTRATION, "census_d8.yaml")
    q = qn.question("d8")
    assert q.other_code == "4" and q.other_choice.label.zh.startswith("其他县")
    assert rules.validate(qn, {"d8": "5"}) == {}  # 户口待定: no box, nothing required
    assert rules.validate(qn, {"d8": "4"})["d8"] is rules.OTHER_REQUIRED
    assert rules.clean(qn, {"d8": "5", "d8.other": "福建省"}) == {"d8": "5"}
    store.publish(qn)
    respondent = store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0])
    receipt = store.submit(respondent, qn, PERIOD, {"d8": "4", "d8.other": "福建省泉州市晋江市"},
                           "d8-1")
    assert store.query("SELECT value_text, other_text FROM answers WHERE submission_id = ?",
                       [receipt.submission_id]) == [("4", "福建省泉州市晋江市")]
    [(path, _)] = stat_files.export(store.raw_connection(), store.questionnaire, qn.id, "sav",
                                    tmp_path, "zh")
    frame, meta = pyreadstat.read_sav(str(path))
    assert frame.loc[0, "d8_other"] == "福建省泉州市晋江市"
    assert dict(zip(meta.column_names, meta.column_labels))["d8_other"].startswith(
        "D8 户口登记地: 其他县")
    xlsx = tmp_path / "census_d8.xlsx"
    xlsx.write_bytes(to_xlsform(qn))
    assert check(xlsx.read_bytes()) == []
    back = import_xlsform(xlsx)
    assert back.questionnaire.question("d8").other_code == "4"
    assert "other: 4" in back.yaml_text
