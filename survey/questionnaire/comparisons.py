"""Comparisons in expressions, checked against the questions they read.

A choice question's answer is compared as its codes were written: as numbers when every value
is a whole number (`value: 1`), as text otherwise (likert scales are always numbers). In an
expression a code may be written with or without quotes (`a2 == 1` and `a2 == '1'` name the
same choice): `typed()` rewrites each code to the list's type once, at validation, so the form,
the store and imported history all compare like with like.

What can never be true whatever is answered is reported, with the column and the fix: a code
the question does not offer (`a2 == 7` when the values are 1..4), an order that no code
satisfies (`a2 > 4`), an order on text codes, a number against a text answer (or text against
a number), and a multiple choice or matrix compared as if it were one value.
"""

from __future__ import annotations

import ast
import copy
import operator
from dataclasses import dataclass, replace

from survey.expr import Expr
from survey.questionnaire.model import Question

NUMBER, TEXT, YES_NO, LIST, ROWS = "number", "text", "yes/no", "list", "rows"

_SYMBOL = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">",
           ast.GtE: ">="}
_HOLDS = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
          ast.Gt: operator.gt, ast.GtE: operator.ge}
_MIRROR = {ast.Lt: ast.Gt, ast.LtE: ast.GtE, ast.Gt: ast.Lt, ast.GtE: ast.LtE,
           ast.Eq: ast.Eq, ast.NotEq: ast.NotEq}


@dataclass(frozen=True)
class Finding:
    col: int       # 0-based offset into the expression text
    message: str   # English
    zh: str        # the same in Chinese


def answer_kind(q: Question) -> str:
    """What an expression sees for this question's answer."""
    if q.type in ("integer", "decimal", "likert"):
        return NUMBER
    if q.type == "single_choice":
        return NUMBER if q.numeric_codes else TEXT
    return {"multiple_choice": LIST, "matrix": ROWS, "yes_no": YES_NO}.get(q.type, TEXT)


def typed(expression: Expr, questions: dict[str, Question]) -> tuple[Expr, list[Finding]]:
    """The expression with choice codes in their list's type, and what can never be true."""
    tree = copy.deepcopy(expression.tree)
    findings: list[Finding] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for op, left, right in zip(node.ops, operands, operands[1:]):
                finding = _pair(type(op), left, right, questions)
                if finding:
                    findings.append(finding)
    return replace(expression, tree=tree), findings


def _question(node, questions) -> Question | None:
    return questions.get(node.id) if isinstance(node, ast.Name) else None


def _is_literal(node) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str)) \
        and not isinstance(node.value, bool)


def _kind(node, questions) -> str | None:
    q = _question(node, questions)
    if q is not None:
        return answer_kind(q)
    if isinstance(node, ast.Constant) and not _is_literal(node):
        return YES_NO if isinstance(node.value, bool) else None  # None: a == None is fine
    if isinstance(node, ast.Constant):
        return TEXT if isinstance(node.value, str) else NUMBER
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return NUMBER if node.func.id == "count_selected" else YES_NO
    return None  # arithmetic and the like: not checked


def _pair(op, left, right, questions) -> Finding | None:
    for q, literal, q_op in ((_question(left, questions), right, op),
                             (_question(right, questions), left, _MIRROR[op])):
        if q is not None and q.type in ("single_choice", "likert") and _is_literal(literal):
            return _against_codes(q_op, q, literal)
    kinds = (_kind(left, questions), _kind(right, questions))
    for node, kind in ((left, kinds[0]), (right, kinds[1])):
        if kind == LIST:
            return Finding(node.col_offset, f"'{node.id}' is a multiple choice (a list of "
                           f"codes), so this comparison is never true; use selected({node.id}, "
                           f"code) or count_selected({node.id})",
                           f"'{node.id}' 是多选题(答案是代码列表),这一比较永远不成立;请用 "
                           f"selected({node.id}, 代码) 或 count_selected({node.id})")
        if kind == ROWS:
            return Finding(node.col_offset, f"'{node.id}' is a matrix (one answer per row) and "
                           "cannot be compared; ask the row as a question of its own",
                           f"'{node.id}' 是矩阵题(每行一个答案),不能比较;请把该行单独设为一道题")
    if None in kinds or kinds[0] == kinds[1] or set(kinds) == {NUMBER, YES_NO}:
        return None
    shown = f"{_show(left)} {_SYMBOL[op]} {_show(right)}"
    return Finding(left.col_offset, f"{shown} is never true: "
                   f"{_describe(left, kinds[0], questions)} is compared with "
                   f"{_describe(right, kinds[1], questions)}; compare like with like",
                   f"{shown} 永远不成立:{_describe(left, kinds[0], questions, 'zh')}与"
                   f"{_describe(right, kinds[1], questions, 'zh')}相比较;请比较同类的值")


def _against_codes(op, q: Question, literal: ast.Constant) -> Finding | None:
    """Rewrite the literal to the question's code type; say when no code can satisfy it."""
    codes = [q.code_value(c.value) for c in q.choices]
    shown = ", ".join(repr(c) if isinstance(c, str) else str(c) for c in codes)
    numeric = q.numeric_codes or q.type == "likert"
    value, written = literal.value, ast.unparse(literal)
    if numeric and isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            return Finding(literal.col_offset, f"'{value}' is not a choice of '{q.id}': its "
                           f"choices are numbers ({shown}); write one of them, e.g. {q.id} == "
                           f"{codes[0]}", f"'{value}' 不是 '{q.id}' 的选项:其选项是数字({shown});"
                           f"请写其中之一,如 {q.id} == {codes[0]}")
    elif numeric and isinstance(value, float) and value.is_integer():
        value = int(value)
    elif not numeric and not isinstance(value, str):
        value = str(value)
    literal.value = value
    symbol = _SYMBOL[op]
    if not numeric and op not in (ast.Eq, ast.NotEq):
        return Finding(literal.col_offset, f"{q.id} {symbol} {written}: the choices of "
                       f"'{q.id}' are text codes ({shown}) and have no order; compare with == "
                       "or !=, or write every value as a whole number (value: 1) to compare "
                       "them as numbers", f"{q.id} {symbol} {written}:'{q.id}' 的选项是文字代码"
                       f"({shown}),没有大小顺序;请用 == 或 != 比较,或把每个 value 都写成整数"
                       "(value: 1)以便按数字比较")
    if op in (ast.Eq, ast.NotEq):
        if value in codes:
            return None
        never, never_zh = ("never", "永远不成立") if op is ast.Eq else ("always", "永远成立")
        kind, kind_zh = ("numbers", "数字") if numeric else ("text codes", "文字代码")
        return Finding(literal.col_offset, f"{q.id} {symbol} {written} is {never} true: "
                       f"{value!r} is not a choice of '{q.id}' (its choices are {kind}: "
                       f"{shown}); use one of them, e.g. {q.id} {symbol} {codes[0]!r}",
                       f"{q.id} {symbol} {written} {never_zh}:{value!r} 不是 '{q.id}' 的选项"
                       f"(其选项是{kind_zh}:{shown});请用其中之一,如 {q.id} {symbol} "
                       f"{codes[0]!r}")
    if any(_HOLDS[op](code, value) for code in codes):
        return None
    return Finding(literal.col_offset, f"{q.id} {symbol} {written} is never true: no choice "
                   f"of '{q.id}' ({shown}) is {symbol} {value!r}; compare with a value its "
                   "choices can reach", f"{q.id} {symbol} {written} 永远不成立:'{q.id}' 没有"
                   f"任何选项({shown}){symbol} {value!r};请与选项能取到的值比较")


def article(word: str) -> str:
    """'an integer', 'a likert': English needs the article a word takes."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _show(node) -> str:
    return ast.unparse(node)


_KIND_ZH = {NUMBER: "数字", TEXT: "文字", YES_NO: "是/否", LIST: "列表", ROWS: "矩阵"}


def _describe(node, kind: str, questions, lang: str = "en") -> str:
    q = _question(node, questions)
    zh = lang == "zh"
    if q is None:
        return f"{_KIND_ZH[kind]} {_show(node)}" if zh else f"{kind} {_show(node)}"
    if q.type == "single_choice":
        return f"'{q.id}'(选项代码为{_KIND_ZH[kind]})" if zh \
            else f"'{q.id}' (choices with {kind} codes)"
    return f"'{q.id}'({q.type} 题,答案为{_KIND_ZH[kind]})" if zh \
        else f"'{q.id}' ({article(q.type)} answer: {kind})"
