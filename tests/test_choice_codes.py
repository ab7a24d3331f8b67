"""Choice codes keep their type: a printed form's options 1, 2, 3 ... compare as numbers in
relevance, constraints and selected(), in validation, in the form flow and in imported
XLSForms; text codes compare as text; a comparison no declared answer can satisfy is refused
with its line and the fix (issue 26)."""

from __future__ import annotations

import datetime as dt

import pytest

from survey import answers as rules
from survey import periods
from survey.form_flow import FormFlow
from survey.questionnaire import load, parse_text

PERIOD = periods.key_for("month", dt.date.today())

# 县公众满意度电话调查 (transcribed): "A2 ... 若选1,请回答A3", codes printed as numbers.
PHONE_SURVEY = """
id: county_phone
version: 1
title: 公众满意度电话调查
choice_lists:
  yes_no_dk:
    - {value: 1, label: 是}
    - {value: 2, label: 否}
    - {value: 3, label: 说不清}
sections:
  - id: a
    title: A 基本情况
    questions:
      - id: a2
        type: single_choice
        label: A2 近一年您是否到政府部门办过事?
        choices: yes_no_dk
        required: true
      - id: a3
        type: single_choice
        label: A3 办事是否顺利?
        relevant: a2 == 1
        choices:
          - {value: a, label: 顺利}
          - {value: b, label: 不顺利}
      - id: a4
        type: short_text
        label: A4 哪里不顺利?
        relevant: a3 == 'b'
      - id: a5
        type: likert
        label: A5 满意度
        choices:
          - {value: 1, label: 很不满意}
          - {value: 2, label: 不太满意}
          - {value: 3, label: 一般}
          - {value: 4, label: 比较满意}
          - {value: 5, label: 很满意}
      - id: a6
        type: short_text
        label: A6 不满意的原因
        relevant: a5 <= 2
      - id: a7
        type: multiple_choice
        label: A7 通过哪些渠道办事?
        choices:
          - {value: 1, label: 窗口}
          - {value: 2, label: 网上}
          - {value: 3, label: 电话}
      - id: a8
        type: integer
        label: A8 窗口跑了几次?
        relevant: selected(a7, 1)
        constraint: a8 <= 20 or a2 == 3
      - id: a9
        type: short_text
        label: A9 电话办事的体验
        relevant: selected(a7, '3') and count_selected(a7) >= 2
      - id: mixed
        type: single_choice
        label: 混合代码
        choices:
          - {value: 1, label: 一}
          - {value: x, label: 其他}
      - id: a10
        type: short_text
        label: A10
        relevant: mixed == 1
"""


@pytest.fixture(scope="module")
def phone():
    return load(PHONE_SURVEY, "county_phone.yaml")


def shown(qn, answers):
    visible = rules.visibility(qn, answers)
    return {qid for qid, v in visible.items() if v}


def test_number_codes_compare_as_numbers_in_relevance(phone):
    # the widget gives the stored code, text '1'; the expression sees the number 1
    assert phone.question("a2").numeric_codes and not phone.question("a3").numeric_codes
    assert "a3" in shown(phone, {"a2": "1"})
    assert "a3" not in shown(phone, {"a2": "2"}) and "a3" not in shown(phone, {})


def test_text_codes_compare_as_text(phone):
    assert "a4" in shown(phone, {"a2": "1", "a3": "b"})
    assert "a4" not in shown(phone, {"a2": "1", "a3": "a"})


def test_mixed_codes_compare_as_text_and_a_number_names_its_code(phone):
    assert not phone.question("mixed").numeric_codes
    assert "a10" in shown(phone, {"mixed": "1"}) and "a10" not in shown(phone, {"mixed": "x"})


def test_likert_compares_as_numbers(phone):
    assert "a6" in shown(phone, {"a5": "2"}) and "a6" not in shown(phone, {"a5": "3"})


def test_selected_takes_a_number_or_a_quoted_code_on_a_multiple_choice(phone):
    assert "a8" in shown(phone, {"a7": ["1", "3"]})
    assert "a9" in shown(phone, {"a7": ["1", "3"]})
    assert "a9" not in shown(phone, {"a7": ["3"]}) and "a8" not in shown(phone, {"a7": ["2"]})


def test_a_constraint_reads_a_number_coded_choice(phone):
    answers = {"a2": "1", "a7": ["1"], "a8": 25}
    assert rules.validate(phone, answers).get("a8") is not None
    assert rules.validate(phone, {**answers, "a2": "3"}).get("a8") is None


def test_the_form_flow_asks_the_follow_up_only_when_1_is_chosen(phone):
    flow = FormFlow.open(phone, PERIOD)
    assert "a3" not in [q.id for q in flow.shown_questions()]
    flow.set_answer("a2", "1")
    assert "a3" in [q.id for q in flow.shown_questions()]
    flow.set_answer("a3", "a")
    flow.set_answer("a2", "2")  # the follow-up is no longer asked, and not stored
    assert "a3" not in [q.id for q in flow.shown_questions()]
    assert "a3" not in rules.clean(phone, flow.answers)


def test_a_quoted_number_still_names_a_number_code(phone):
    """Published questionnaires written with the old workaround (a2 == '1', and XLSForm
    imports that wrote it) keep working."""
    qn = load(PHONE_SURVEY.replace("relevant: a2 == 1", "relevant: a2 == '1'"), "old.yaml")
    assert "a3" in shown(qn, {"a2": "1"}) and "a3" not in shown(qn, {"a2": "2"})


@pytest.mark.parametrize("expression, line_fragment", [
    ("a2 == '7'", "a2 == '7' is never true: 7 is not a choice of 'a2' (its choices are "
                  "numbers: 1, 2, 3); use one of them, e.g. a2 == 1"),
    ("a2 != 9", "a2 != 9 is always true"),
    ("a2 >= 4", "a2 >= 4 is never true: no choice of 'a2' (1, 2, 3) is >= 4"),
    ("a3 == 1", "a3 == 1 is never true: '1' is not a choice of 'a3' (its choices are text "
                "codes: 'a', 'b'); use one of them, e.g. a3 == 'a'"),
    ("a3 > 'a'", "the choices of 'a3' are text codes ('a', 'b') and have no order"),
    ("a7 == 1", "'a7' is a multiple choice (a list of codes), so this comparison is never "
                "true; use selected(a7, code) or count_selected(a7)"),
    ("a8 == 'x'", "a8 == 'x' is never true: 'a8' (an integer answer: number) is compared "
                  "with text 'x'"),
    ("a5 == 'very'", "'very' is not a choice of 'a5': its choices are numbers"),
])
def test_a_comparison_that_can_never_be_true_is_refused_with_its_line(phone, expression,
                                                                      line_fragment):
    text = PHONE_SURVEY.replace(
        "        label: A10\n        relevant: mixed == 1",
        f"        label: A10\n        relevant: {expression}")
    model, problems = parse_text(text, "county_phone.yaml")
    assert model is None
    line = text.splitlines().index(f"        relevant: {expression}") + 1
    [problem] = problems
    assert problem.code == "Q126" and problem.line == line and problem.question == "a10"
    assert line_fragment in problem.message, problem.message
    assert str(problem).startswith(f"county_phone.yaml:{line}:")


def test_a_matrix_cannot_be_compared_as_one_value():
    text = """
id: m
version: 1
title: m
sections:
  - id: s
    title: s
    questions:
      - id: grid
        type: matrix
        label: 评价
        choices:
          - {value: 1, label: 好}
          - {value: 2, label: 差}
        rows:
          - {id: r1, label: 一}
      - id: why
        type: short_text
        label: 原因
        relevant: grid == 2
"""
    _, problems = parse_text(text, "m.yaml")
    assert [p.code for p in problems] == ["Q126"]
    assert "'grid' is a matrix" in problems[0].message and problems[0].line == 20


def test_an_imported_xlsform_compares_number_codes_as_numbers(tmp_path):
    from openpyxl import Workbook

    from survey.interop.xlsform_import import import_xlsform
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    for row in [["type", "name", "label::Chinese (zh)", "relevant", "constraint"],
                ["select_one yn", "a2", "A2 是否办过事?", "", ""],
                ["text", "a3", "A3 办事是否顺利?", "${a2} = 1", ""],
                ["select_one kind", "k", "类别", "", ""],
                ["integer", "n", "次数", "${k} = 1", ". < 10 or ${a2} != 1"]]:
        survey.append(row)
    choices = workbook.create_sheet("choices")
    for row in [["list_name", "name", "label::Chinese (zh)"], ["yn", "1", "是"],
                ["yn", "2", "否"], ["kind", "1", "甲"], ["kind", "b", "乙"]]:
        choices.append(row)
    path = tmp_path / "phone.xlsx"
    workbook.save(path)
    result = import_xlsform(path)
    qn = result.questionnaire
    assert qn is not None, result.problems
    assert qn.question("a3").relevant.text == "a2 == 1"      # codes 1, 2: numbers
    assert qn.question("n").relevant.text == "k == '1'"      # codes 1, b: text
    assert "a3" in shown(qn, {"a2": "1"}) and "a3" not in shown(qn, {"a2": "2"})
    assert "n" in shown(qn, {"k": "1"}) and "n" not in shown(qn, {"k": "b"})
    assert rules.validate(qn, {"a2": "1", "k": "1", "n": 12}).get("n") is not None
    assert rules.validate(qn, {"a2": "2", "k": "1", "n": 12}).get("n") is None


def test_a_code_0_is_a_number_code_like_the_others():
    """Census forms code the head of household 0 (0.户主 1.配偶 ...): 0 is an answer, not
    'unanswered', and d2 == 0 asks the follow-up only for it."""
    qn = load("""
id: census
version: 1
title: 普查
sections:
  - id: d
    title: 个人
    questions:
      - id: d2
        type: single_choice
        label: D2 与户主关系
        choices:
          - {value: 0, label: 户主}
          - {value: 1, label: 配偶}
      - id: since
        type: integer
        label: 任户主几年
        relevant: d2 == 0
""", "census.yaml")
    assert qn.question("d2").numeric_codes
    assert "since" in shown(qn, {"d2": "0"})
    assert "since" not in shown(qn, {"d2": "1"}) and "since" not in shown(qn, {})
