"""The worked example of docs/questionnaire-format.md ("A printed questionnaire, transcribed"):
a real printed village survey's skip instruction, coded options, 其它(请文字说明), a 4-digit
year and a block of counts whose parts add up behave as the paper says, in the form flow."""

from __future__ import annotations

import re

import pytest

from survey import answers as rules
from survey import periods
from survey.form_flow import CONFIRM, FormFlow
from survey.questionnaire import load
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def village():
    text = (ROOT / "docs" / "questionnaire-format.md").read_text(encoding="utf-8")
    section = text.split("## A printed questionnaire, transcribed", 1)[1]
    return load(re.search(r"```yaml\n(.*?)```", section, re.S)[1], "village_2022.yaml")


def test_it_is_a_one_off_survey_with_its_dates(village):
    assert village.period == "once:2022-06-07..2022-07-31"
    assert periods.label(village.period, "2022-06-07", "zh") == "2022-06-07 至 2022-07-31"


def test_the_skip_instruction_asks_a3_only_for_code_1(village):
    flow = FormFlow.open(village, "2022-06-07")
    assert [q.id for q in flow.shown_questions()] == ["a2", "a4", "a5"]
    flow.set_answer("a2", "1")
    assert [q.id for q in flow.shown_questions()] == ["a2", "a3", "a4", "a5"]
    flow.set_answer("a3", 201.0)  # a 3-digit slip: the 4-digit year's bounds say so
    assert flow.message("a3").zh == "不能小于 2013。"
    flow.set_answer("a3", 2019.0)
    assert flow.answers["a3"] == 2019 and flow.message("a3") is None
    assert flow.soft_check("a3") is None


def test_the_other_terrain_needs_its_description(village):
    flow = FormFlow.open(village, "2022-06-07")
    flow.set_answer("a2", "2")
    flow.set_answer("a4", "4")
    assert not flow.next()
    assert flow.message("a4") is rules.OTHER_REQUIRED
    flow.set_answer("a4.other", "高原")
    assert flow.next() and flow.current.id == "b"


def test_the_parts_must_add_up_to_the_total(village):
    flow = FormFlow.open(village, "2022-06-07")
    for qid, value in {"a2": "2", "a4": "1"}.items():
        flow.set_answer(qid, value)
    flow.next()
    for qid, value in {"b1": 320, "b2": 41, "b14": 60, "b15": 20, "b16": 25, "b17": 10,
                       "b18": 4}.items():
        flow.set_answer(qid, float(value))
    assert not flow.next()
    assert flow.message("b18").zh == "B15 至 B18 之和应等于 B14(务工人数)。"
    flow.set_answer("b18", 5.0)
    flow.set_answer("b2", 321.0)
    assert flow.message("b2").zh == "不能多于总户数(B1)。"
    flow.set_answer("b2", 41.0)
    assert flow.next() and flow.step == CONFIRM
    assert rules.clean(village, flow.answers) == {
        "a2": "2", "a4": "1", "b1": 320, "b2": 41, "b14": 60, "b15": 20, "b16": 25,
        "b17": 10, "b18": 5}
