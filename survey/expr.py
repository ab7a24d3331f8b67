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
import io
import math
import operator
import tokenize
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
        raise _syntax_error(source, exc) from None
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
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitAnd, ast.BitOr)):
        raise _habit("&" if isinstance(node.op, ast.BitAnd) else "|",
                     node.left.end_col_offset + 1)  # at the operator (written with spaces)
    if isinstance(node, ast.Tuple):
        comma = node.elts[0].end_col_offset if node.elts else col
        raise ExprError("a comma cannot stand in an expression (a2 == 1, is read as a list): "
                        "remove it, or join two conditions with and / or", comma,
                        zh="表达式中不能有逗号(a2 == 1, 会被当成一组值):请删去逗号;"
                        "两个条件请用 and / or 连接")
    raise ExprError(f"'{ast.unparse(node)}' is not allowed in an expression; {_ALLOWED_EN}", col,
                    zh=f"表达式中不能写 '{ast.unparse(node)}';{_ALLOWED_ZH}")


_ALLOWED_EN = ("use question ids, numbers, quoted text, == != < <= > >=, + - * /, and / or / "
               "not, brackets and selected() / count_selected() / answered()")
_ALLOWED_ZH = ("只能用题目标识、数字、加引号的文字、== != < <= > >=、+ - * /、and / or / not、"
               "括号以及 selected() / count_selected() / answered()")

# Habits from Excel and XLSForm (=), C (&&, ||) and Chinese (且, 或) that Python's parser only
# calls "invalid syntax": token -> (English, Chinese).
_HABITS = {
    "=": ("use == to compare (a2 == 1); a single = is not a comparison",
          "比较请用 ==(如 a2 == 1);单个 = 不是比较"),
    "=<": ("write <= (less than or equal)", "小于等于请写 <="),
    "=>": ("write >= (greater than or equal)", "大于等于请写 >="),
    "&": ("use and to join conditions (a2 == 1 and a3 > 0), not && or &",
          "连接条件请用 and(如 a2 == 1 and a3 > 0),不要用 && 或 &"),
    "|": ("use or for either condition (a2 == 1 or a2 == 2), not || or |",
          "“或”请用 or(如 a2 == 1 or a2 == 2),不要用 || 或 |"),
}
for _word in ("且", "并且", "而且", "和"):
    _HABITS[_word] = ("use and to join conditions (a2 == 1 and a3 > 0), not '且'",
                      "连接条件请用 and(如 a2 == 1 and a3 > 0),不要用“且”“并且”")
for _word in ("或", "或者"):
    _HABITS[_word] = ("use or for either condition (a2 == 1 or a2 == 2), not '或'",
                      "“或”请用 or(如 a2 == 1 or a2 == 2)")


def _habit(token: str, col: int) -> ExprError:
    en, zh = _HABITS[token]
    return ExprError(en, col, zh=zh)


def _syntax_error(source: str, exc: SyntaxError) -> ExprError:
    """Our own words for what the parser stumbled on (Python's text is English), at its column."""
    tokens = _tokens(source)
    for i, (kind, string, col) in enumerate(tokens):
        following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if string == "=" and following in ("<", ">"):
            return _habit("=" + following, col)
        if string in _HABITS and (kind == tokenize.OP or string not in "=&|"):
            return _habit(string, col)
    reason = exc.msg or ""
    if not exc.offset:  # the parser ran out of text: an operator or a bracket waits for more
        return ExprError("syntax error at the end: the expression stops in the middle (after an "
                         "operator, and / or / not, or an open bracket)", len(source),
                         zh="语法错误(在末尾):表达式没有写完(运算符、and / or / not 或括号之后"
                         "缺少内容)")
    col = exc.offset - 1
    if "never closed" in reason or "unmatched" in reason or "does not match" in reason:
        return ExprError(f"syntax error at column {col + 1}: the brackets do not pair up", col,
                         zh=f"语法错误(第 {col + 1} 个字符):括号没有成对")
    if "unterminated string" in reason:
        return ExprError(f"syntax error at column {col + 1}: a quote is not closed", col,
                         zh=f"语法错误(第 {col + 1} 个字符):引号没有成对")
    if "invalid character" in reason and col < len(source):
        char = source[col]
        return ExprError(f"syntax error at column {col + 1}: the character '{char}' cannot be "
                         "used; type operators, brackets and quotes in half-width (ASCII)", col,
                         zh=f"语法错误(第 {col + 1} 个字符):不能使用字符“{char}”;运算符、括号和"
                         "引号请用半角(英文输入法)")
    return ExprError(f"syntax error at column {col + 1}: check brackets, quotes and operators "
                     "(compare with ==, join conditions with and / or)", col,
                     zh=f"语法错误(第 {col + 1} 个字符附近):请检查括号、引号和运算符"
                     "(比较用 ==,连接条件用 and / or)")


def _tokens(source: str) -> list[tuple[int, str, int]]:
    """(type, text, column) of each token, as far as the tokenizer gets."""
    found = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            found.append((tok.type, tok.string, tok.start[1]))
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


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
