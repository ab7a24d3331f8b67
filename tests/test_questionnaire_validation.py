"""Validation: the broken corpus (each file names its expected message and location), the
default questionnaires, and the content hash."""

import re
from pathlib import Path

import pytest

from survey.questionnaire import load_dir, parse_file, parse_text

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) (\w+) (.+)$")


def expectations(path: Path):
    return [EXPECT.match(line).groups() for line in path.read_text(encoding="utf-8").splitlines()
            if EXPECT.match(line)]


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_questionnaire_gives_its_message_at_the_right_place(path):
    model, problems = parse_file(path)
    assert model is None
    rendered = [str(p) for p in problems]
    for line, col, code, text in expectations(path):
        wanted = f"{path}:{line}:{col}: {code} {text}"
        assert any(r.startswith(wanted) for r in rendered), (wanted, rendered)


def test_corpus_covers_the_required_checks():
    codes = {e[2] for p in BROKEN for e in expectations(p)}
    # syntax, unsafe tag, alias bomb, duplicate id, unknown type/key, missing zh, unknown choice
    # list, bad/unknown expression, cycle, min > max
    assert {"Y001", "Y002", "Y003", "Q105", "Q106", "Q102", "Q104", "Q107", "Q108", "Q109",
            "Q110", "Q111"} <= codes


def test_problem_names_the_question():
    _, problems = parse_file(Path(__file__).parent / "broken" / "unknown_key.yaml")
    assert problems[0].question == "documents"
    assert "[question 'documents']" in str(problems[0])


def test_unsafe_tag_is_never_executed(tmp_path):
    marker = tmp_path / "owned"
    text = f"id: x\nversion: 1\ntitle: !!python/object/apply:os.system ['touch {marker}']\nsections: []\n"
    model, problems = parse_text(text)
    assert model is None and problems[0].code == "Y002"
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    model, problems = parse_text("\n".join(lines))
    assert model is None and {p.code for p in problems} == {"Y003"}


def test_default_questionnaires_are_valid():
    result = load_dir(Path(__file__).parent.parent / "questionnaires")
    assert result.problems == []
    ids = {q.id for q in result.valid}
    assert ids == {"burden_monthly", "public_rating"}
    monthly = next(q for q in result.valid if q.id == "burden_monthly")
    indicators = {q.indicator for q in monthly.questions if q.indicator}
    assert {"documents", "meetings", "meeting_hours", "forms", "form_hours", "duplicate_forms",
            "inspections", "inspection_hours", "trace_demands", "apps", "chat_groups",
            "burden_change", "satisfaction"} <= indicators
    assert monthly.question("duplicate_forms").constraint.names == {"duplicate_forms", "forms"}
    public = next(q for q in result.valid if q.id == "public_rating")
    assert 3 <= len(public.questions) <= 5 and public.audience == "public"


def test_every_question_type_is_expressible():
    text = """
id: all_types
version: 1
title: {zh: 全部题型, en: All types}
period: week
choice_lists:
  five:
    - {value: 1, label: 一}
    - {value: 2, label: 二}
    - {value: 3, label: 三}
    - {value: 4, label: 四}
    - {value: 5, label: 五}
sections:
  - id: s
    title: 全部
    questions:
      - {id: i, type: integer, label: 整数, min: 0, max: 9}
      - {id: d, type: decimal, label: 小数, step: 0.5, unit: 小时}
      - {id: sc, type: single_choice, label: 单选, choices: five}
      - {id: mc, type: multiple_choice, label: 多选, choices: five}
      - {id: lk, type: likert, label: 量表, choices: five}
      - {id: yn, type: yes_no, label: 是否}
      - {id: dt, type: date, label: 日期}
      - {id: st, type: short_text, label: 短文本, max_length: 20}
      - {id: lt, type: long_text, label: 长文本}
      - id: mx
        type: matrix
        label: 矩阵
        choices: five
        rows: [{id: r1, label: 行一}, {id: r2, label: 行二}]
        relevant: count_selected(mc) >= 2 and selected(mc, '3')
"""
    model, problems = parse_text(text)
    assert problems == []
    assert [q.type for q in model.questions] == ["integer", "decimal", "single_choice",
                                                 "multiple_choice", "likert", "yes_no", "date",
                                                 "short_text", "long_text", "matrix"]


def test_content_hash_ignores_comments_but_not_content():
    base = "id: x\nversion: 1\ntitle: 甲\nsections:\n  - id: s\n    title: 乙\n    questions:\n" \
           "      - {id: q, type: integer, label: 丙}\n"
    a, _ = parse_text(base)
    b, _ = parse_text("# a comment\n" + base)
    c, _ = parse_text(base.replace("丙", "丁"))
    assert a.content_hash == b.content_hash != c.content_hash


def test_the_documented_example_is_valid():
    doc = (Path(__file__).parent.parent / "docs" / "questionnaire-format.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", doc, re.S)[1]
    model, problems = parse_text(example, "docs example")
    assert problems == []
    assert len({q.type for q in model.questions}) == 10  # every type is shown
