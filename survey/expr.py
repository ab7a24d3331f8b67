"""The small, safe expression language used by `relevant:` and `constraint:`.

Syntax is a strict subset of Python expressions: numbers, strings, question ids as names,
arithmetic (+ - * / // % **), comparisons, and/or/not, and three functions:

    selected(question, 'code')   is that choice among the answers of a choice question?
    count_selected(question)     how many choices are selected
    answered(question)           has the question got an answer at all?

Parsing uses Python's `ast` only to get a tree; a whitelist walk rejects everything else
(attribute access, subscripts, lambdas, imports, keyword arguments ...) before anything runs.
Evaluation is done by simpleeval (a maintained sandboxed evaluator, which also caps huge
powers and strings) with null-aware operators: an unanswered question is None, any
arithmetic with None is None, an ordering comparison with None is False.
"""

from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass

import simpleeval

MAX_EXPRESSION_LENGTH = 500
FUNCTIONS = ("selected", "count_selected", "answered")
# Functions whose first argument must name a question (not an arbitrary expression).
_QUESTION_ARG_FUNCTIONS = FUNCTIONS


class ExprError(ValueError):
    """A problem in an expression; `col` is the 0-based offset into the expression text.
    `message` is English, `zh` the same in Chinese (validation shows the reader's language)."""

    def __init__(self, message: str, col: int = 0, zh: str | None = None):
        super().__init__(message)
        self.message = message
        self.zh = zh or message
        self.col = col


@dataclass(frozen=True)
class Expr:
    """A parsed, whitelisted expression. `names` are the question ids it reads."""

    text: str
    tree: ast.Expression
    names: frozenset[str]
    # (question id, choice code) pairs from selected(q, 'code'), for checking codes exist.
    selections: tuple[tuple[str, str], ...] = ()

    def evaluate(self, values: dict) -> object:
        return _evaluator(values).eval(self.text, previously_parsed=self.tree.body)


_COMPARE_OPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_BIN_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_UNARY_OPS = (ast.Not, ast.USub, ast.UAdd)


def parse(text: str) -> Expr:
    """Parse and whitelist an expression. Raises ExprError with a column on any problem."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("the expression is empty", zh="表达式为空")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExprError(f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters",
                        zh=f"表达式超过 {MAX_EXPRESSION_LENGTH} 个字符")
    source = text.strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error: {exc.msg}", max((exc.offset or 1) - 1, 0),
                        zh=f"语法错误(Python 的说明:{exc.msg});请检查括号、引号和运算符"
                        ) from None
    names: set[str] = set()
    selections: list[tuple[str, str]] = []
    _check(tree.body, names, selections)
    return Expr(source, tree, frozenset(names), tuple(selections))


def _check(node: ast.AST, names: set[str], selections: list) -> None:
    col = getattr(node, "col_offset", 0)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or node.value is None:
            return
        if isinstance(node.value, (int, float, str)):
            return
        raise ExprError(f"constant {node.value!r} is not allowed", col,
                        zh=f"不允许使用常量 {node.value!r}")
    if isinstance(node, ast.Name):
        if node.id.startswith("_"):
            raise ExprError(f"name '{node.id}' is not allowed", col,
                            zh=f"不允许使用名称 '{node.id}'")
        if node.id in ("True", "False", "None"):
            return
        names.add(node.id)
        return
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, names, selections)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, _UNARY_OPS):
        _check(node.operand, names, selections)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BIN_OPS):
        _check(node.left, names, selections)
        _check(node.right, names, selections)
        return
    if isinstance(node, ast.Compare) and all(isinstance(op, _COMPARE_OPS) for op in node.ops):
        _check(node.left, names, selections)
        for comparator in node.comparators:
            _check(comparator, names, selections)
        return
    if isinstance(node, ast.Call):
        _check_call(node, names, selections)
        return
    if isinstance(node, ast.Attribute):
        raise ExprError("attribute access (a.b) is not allowed", col,
                        zh="不允许访问属性(a.b)")
    if isinstance(node, ast.Compare):
        raise ExprError("only == != < <= > >= comparisons are allowed (no 'in' or 'is')", col,
                        zh="只允许 == != < <= > >= 比较(不能用 in 或 is)")
    raise ExprError(f"'{type(node).__name__}' is not allowed in an expression", col,
                    zh=f"表达式中不允许使用 '{type(node).__name__}'")


def _check_call(node: ast.Call, names: set[str], selections: list) -> None:
    col = node.col_offset
    if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
        shown = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
        raise ExprError(f"unknown function '{shown}'; available: {', '.join(FUNCTIONS)}", col,
                        zh=f"未知的函数 '{shown}';可用:{', '.join(FUNCTIONS)}")
    fname = node.func.id
    if node.keywords:
        raise ExprError(f"{fname}() takes no keyword arguments", col,
                        zh=f"{fname}() 不接受关键字参数")
    want = 2 if fname == "selected" else 1
    if len(node.args) != want:
        raise ExprError(f"{fname}() takes {want} argument(s), got {len(node.args)}", col,
                        zh=f"{fname}() 需要 {want} 个参数,实际有 {len(node.args)} 个")
    first = node.args[0]
    if fname in _QUESTION_ARG_FUNCTIONS and not isinstance(first, ast.Name):
        raise ExprError(f"the first argument of {fname}() must be a question id", first.col_offset,
                        zh=f"{fname}() 的第一个参数应为题目标识")
    _check(first, names, selections)
    if fname == "selected":
        code = node.args[1]
        if not (isinstance(code, ast.Constant) and isinstance(code.value, (str, int))):
            raise ExprError("the second argument of selected() must be a quoted choice code",
                            code.col_offset, zh="selected() 的第二个参数应为加引号的选项代码")
        selections.append((first.id, str(code.value)))


# ---- evaluation -------------------------------------------------------------------------

def _null_safe(fn):
    def apply(a, b):
        if a is None or b is None:
            return None
        try:
            return fn(a, b)
        except (ZeroDivisionError, TypeError, OverflowError, simpleeval.InvalidExpression):
            return None  # refused by simpleeval's limits, or meaningless: no value
    return apply


def _ordered(fn):
    def apply(a, b):
        if a is None or b is None:
            return False
        try:
            return fn(a, b)
        except TypeError:
            return False
    return apply


def _power(a, b):
    # simpleeval.safe_power refuses results that would be astronomically large.
    result = simpleeval.safe_power(a, b)
    if isinstance(result, float) and not math.isfinite(result):
        return None
    return result


def _negate(a):
    return None if a is None else -a


_OPERATORS = {
    ast.Add: _null_safe(simpleeval.safe_add),
    ast.Sub: _null_safe(operator.sub),
    ast.Mult: _null_safe(simpleeval.safe_mult),
    ast.Div: _null_safe(operator.truediv),
    ast.FloorDiv: _null_safe(operator.floordiv),
    ast.Mod: _null_safe(operator.mod),
    ast.Pow: _null_safe(_power),
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: _ordered(operator.lt),
    ast.LtE: _ordered(operator.le),
    ast.Gt: _ordered(operator.gt),
    ast.GtE: _ordered(operator.ge),
    ast.Not: operator.not_,
    ast.USub: _negate,
    ast.UAdd: lambda a: a,
}


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(v) for v in value]
    return [str(value)]


def _selected(value, code) -> bool:
    return str(code) in _as_list(value)


def _count_selected(value) -> int:
    return len(_as_list(value))


def _answered(value) -> bool:
    return value not in (None, "", [], ()) and value != {}


_FUNCTIONS = {"selected": _selected, "count_selected": _count_selected, "answered": _answered}


def _evaluator(values: dict) -> simpleeval.SimpleEval:
    names = {"True": True, "False": False, "None": None}
    names.update(values)
    return simpleeval.SimpleEval(operators=_OPERATORS, functions=_FUNCTIONS, names=names)
