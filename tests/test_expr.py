import re

import pytest

from survey import expr


def ev(text, **values):
    return expr.parse(text).evaluate(values)


def test_comparisons_logic_and_arithmetic():
    assert ev("a <= b", a=3, b=4) is True
    assert ev("a + b * 2 == 11", a=3, b=4) is True
    assert ev("not (a > 1 and b < 1) or False", a=3, b=4) is True
    assert ev("1 < a < 5", a=3) is True
    assert ev("a / b", a=1, b=4) == 0.25


def test_choice_functions():
    assert ev("selected(q, 'photo')", q=["photo", "sign"]) is True
    assert ev("selected(q, 'ledger')", q=["photo"]) is False
    assert ev("count_selected(q) >= 2", q=["photo", "sign"]) is True
    assert ev("count_selected(q)", q=None) == 0
    assert ev("answered(q)", q=None) is False
    assert ev("answered(q)", q=0) is True


def test_unanswered_values_never_raise():
    assert ev("a > 0", a=None) is False
    assert ev("a + 1", a=None) is None
    assert ev("a / b", a=1, b=0) is None
    assert ev("a == None", a=None) is True


def test_names_are_collected_for_reference_checks():
    parsed = expr.parse("duplicate_forms <= forms and selected(kind, 'x')")
    assert parsed.names == {"duplicate_forms", "forms", "kind"}
    assert parsed.selections == (("kind", "x"),)


@pytest.mark.parametrize("text, fragment", [
    ("a.__class__", "attribute access"),
    ("__import__('os').system('id')", "unknown function"),
    ("__import__('os')", "unknown function '__import__'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("(lambda: 1)()", "unknown function"),
    ("[x for x in range(10)]", "'[x for x in range(10)]' is not allowed"),
    ("a[0]", "'a[0]' is not allowed"),
    ("a if b else c", "'a if b else c' is not allowed"),
    ("a in b", "no 'in' or 'is'"),
    ("selected(q, code=1)", "keyword"),
    ("selected(q)", "takes 2 argument"),
    ("count_selected(1 + 1)", "must be a question id"),
    ("_secret > 1", "not allowed"),
    ("a >", "syntax error"),
    ("", "empty"),
    ("1" * 600, "longer than"),
])
def test_unsafe_or_malformed_expressions_are_refused(text, fragment):
    with pytest.raises(expr.ExprError) as info:
        expr.parse(text)
    assert fragment in info.value.message


CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("text, col, en, zh", [
    ("a2 = 1", 3, "use == to compare", "比较请用 =="),  # the Excel and XLSForm habit
    ("a2 === 1", 5, "use == to compare", "比较请用 =="),
    ("a2 =< 1", 3, "write <=", "小于等于请写 <="),
    ("a2 == 1 && a3 > 0", 8, "use and", "请用 and"),
    ("a2 == 1 & a3 > 0", 8, "use and", "请用 and"),
    ("a2 == 1 || a2 == 2", 8, "use or", "请用 or"),
    ("a2 == 1 且 a3 > 0", 8, "use and", "请用 and"),
    ("a2 == 1 或 a2 == 2", 8, "use or", "请用 or"),
    ("a2 == 1,", 7, "a comma cannot stand", "不能有逗号"),
    ("(a2 == 1", 0, "brackets do not pair up", "括号没有成对"),
    ("a2 == '1", 6, "a quote is not closed", "引号没有成对"),
    ("a2 ＝＝ 1", 3, "the character '＝' cannot be used", "不能使用字符“＝”"),
    ("a2 == 1 and", 11, "stops in the middle", "表达式没有写完"),
    ("a2 > > 1", 5, "syntax error at column 6", "第 6 个字符附近"),
])
def test_common_slips_get_a_message_a_clerk_understands(text, col, en, zh):
    with pytest.raises(expr.ExprError) as info:
        expr.parse(text)
    assert (info.value.col, en in info.value.message, zh in info.value.zh) == (col, True, True)
    # no English of Python's own in the Chinese message (only operators and the example)
    words = re.sub(r"'[^']*'|and|or|not|==|a\d", "", info.value.zh)
    assert not re.search(r"[A-Za-z]{2,}", words), info.value.zh
    assert not CHINESE.search(info.value.message.replace("且", "").replace("或", "")
                              .replace("＝", ""))


def test_syntax_error_has_a_column():
    with pytest.raises(expr.ExprError) as info:
        expr.parse("a > > 1")
    assert info.value.col == 4


def test_huge_exponent_is_refused_at_evaluation_not_computed():
    # simpleeval caps powers; a form must not hang on 9**9**9.
    assert ev("a ** 99999999 > 0", a=10) is False
    assert ev("9 ** 9 ** 9 > 1") is False


def test_huge_string_repetition_is_refused():
    # simpleeval's safe_mult refuses to build huge strings; the result is "no value".
    assert ev("s * 100000000", s="x" * 10) is None
    assert ev("s * 2", s="ab") == "abab"
