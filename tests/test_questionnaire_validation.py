"""Validation: the broken corpus (each file names its expected message and location), the
default questionnaires, and the content hash."""

import re
from pathlib import Path

import pytest

from survey.questionnaire import load_dir, parse_file, parse_text

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))
EXPECT = re.compile(r"^# expect: (\d+):(\d+) (\w+) (.+)$")
EXPECT_ZH = re.compile(r"^# expect-zh: (\d+):(\d+) (\w+) (.+)$")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def expectations(path: Path, pattern=EXPECT):
    return [pattern.match(line).groups() for line in path.read_text(encoding="utf-8").splitlines()
            if pattern.match(line)]


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_questionnaire_gives_its_message_at_the_right_place(path):
    model, problems = parse_file(path)
    assert model is None
    rendered = [str(p) for p in problems]
    for line, col, code, text in expectations(path):
        wanted = f"{path}:{line}:{col}: {code} {text}"
        assert any(r.startswith(wanted) for r in rendered), (wanted, rendered)


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_a_county_clerk_reads_every_message_in_chinese_at_its_line(path):
    _, problems = parse_file(path)
    rendered = [p.text("zh") for p in problems]
    for line, col, code, text in expectations(path, EXPECT_ZH):
        wanted = f"{path}:{line}:{col}: {code} {text}"
        assert any(r.startswith(wanted) for r in rendered), (wanted, rendered)
    assert expectations(path, EXPECT_ZH), "each broken file names its Chinese message"
    for problem in problems:  # every message of the file, not only the expected one
        assert CHINESE.search(problem.text("zh").split(f" {problem.code} ", 1)[1]), problem


# what the corpus does not reach: each snippet is broken in one way
SNIPPETS = {
    "not a mapping": "- a\n- b\n",
    "bad version and id": "id: Bad-Id\nversion: 0\ntitle: 调查\nsections: []\n",
    "period, audience, kinds": "id: x\nversion: 1\ntitle: 调查\nperiod: monthly\naudience: all\n"
                               "point_kinds: [villag]\nopens: 2022-01-01\nsections: []\n",
    "once without dates": "id: x\nversion: 1\ntitle: 调查\nperiod: once\nopens: 2022-06-01\n"
                          "sections: [{id: s, title: 一, questions: [{id: a, type: integer, "
                          "label: 甲}]}]\n",
    "once closes first": "id: x\nversion: 1\ntitle: 调查\nperiod: once\nopens: 2022-06-01\n"
                         "closes: 2022-05-01\nsections: [{id: s, title: 一, questions: [{id: a, "
                         "type: integer, label: 甲}]}]\n",
    "bad choices": "id: x\nversion: 1\ntitle: 调查\nchoice_lists: {l: [{value: 1, label: 一}, "
                   "{value: 1, label: 二}, {label: 三}, x]}\nsections: [{id: s, title: 一, "
                   "questions: [{id: a, type: single_choice, label: 甲, choices: l}, {id: b, "
                   "type: single_choice, label: 乙}]}]\n",
    "bad question": "id: x\nversion: 1\ntitle: 调查\nsections: [{id: s, title: '', questions: "
                    "[{type: integer, label: 甲}, {id: b, label: 乙}, {id: c, type: integer, "
                    "label: {en: C}, step: 0, required: maybe, hint: [1]}, {id: d, type: "
                    "short_text, label: 丁, max_length: 0, indicator: meetings}, {id: e, type: "
                    "matrix, label: 戊, choices: [{value: 1, label: 一}]}, {id: f, type: "
                    "integer, label: 己, relevant: 'g.h > 1', constraint: 7}]}, "
                    "{id: s, title: 二, questions: [{id: g, type: integer, label: 庚, "
                    "indicator: meetings}, {id: h, type: integer, label: 辛, indicator: "
                    "meetings, unchanged: -1, min: 0, plausibility: {factor: 2, min_change: "
                    "-1}}, {id: m, type: multiple_choice, label: 壬, choices: [{value: a, "
                    "label: 一}, {value: b, label: 二}], unchanged: [z]}, {id: n, type: "
                    "single_choice, label: 癸, choices: [{value: a, label: 一}, {value: b, "
                    "label: 二}], relevant: 'n > 1 or m == 1', other: z}]}]\n",
    "public carry": "id: x\nversion: 1\ntitle: 调查\naudience: public\nsections: [{id: s, "
                    "title: 一, questions: [{id: a, type: integer, label: 甲, carry_forward: "
                    "true}]}]\n",
    "empty": "",
}


@pytest.mark.parametrize("name", SNIPPETS)
def test_every_message_has_a_chinese_side_with_the_same_place(name):
    _, problems = parse_text(SNIPPETS[name], "form.yaml")
    assert problems
    for problem in problems:
        zh, en = problem.text("zh"), problem.text("en")
        place = f"form.yaml:{problem.line}:{problem.col}: {problem.code} "
        assert zh.startswith(place) and en.startswith(place), (zh, en)
        assert CHINESE.search(zh[len(place):]) and not CHINESE.search(problem.message.replace(
            "其他(请注明)", "")), (zh, en)


def test_other_on_an_integer_question_is_one_message():
    text = ("id: x\nversion: 1\ntitle: 调查\nsections: [{id: s, title: 一, questions: "
            "[{id: a, type: integer, label: 甲, other: true}]}]\n")
    _, problems = parse_text(text, "form.yaml")
    assert [(p.code, p.message) for p in problems] == [
        ("Q115", "'other' does not apply to an integer question; remove it")]


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


def test_an_uploaded_file_is_published_or_refused_in_both_languages(store):
    from survey.bootstrap import publish_file
    from survey.errors import message
    text = ("id: extra\nversion: 1\ntitle: 专项调查\nsections: [{id: s, title: 一, questions: "
            "[{id: a, type: integer, label: 甲}]}]\n")
    published, problems = publish_file(store, text.encode(), "extra.yaml", "test")
    assert [ref.split()[:2] for ref in published] == [["extra", "v1"]] and problems == []
    published, refused = publish_file(store, text.replace("甲", "乙").encode(), "extra.yaml",
                                      "test")
    assert published == [] and "raise 'version:' to 2" in message(refused[0], "en")
    assert "请把 'version:' 改为 2" in message(refused[0], "zh")
    published, problems = publish_file(store, "标题".encode("gbk"), "gbk.yaml", "test")
    assert message(problems[0], "zh") == "gbk.yaml:1:1: Y008 文件不是 UTF-8 文本;请另存为 UTF-8 编码"
