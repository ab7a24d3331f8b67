"""XLSForm expressions (an XPath subset) -> this platform's expression language.

Translates what has an exact equivalent: ${name} and `.` references, = != < <= > >=, + - *
div mod, and/or/not(), true()/false(), selected(), count-selected(), comparisons with '' as
answered(), and calculates (inlined where they are used). Anything else (if(), regex(), today(),
string-length(), paths, ...) raises Untranslatable with the reason, so the importer can report
the item instead of guessing. The result is checked by survey.expr.parse like any expression.
"""

from __future__ import annotations

import re

from survey import expr as expressions

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<ref>\$\{\s*(?P<refname>[^}\s]+)\s*\})
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<op>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,)
  | (?P<path>(?:\.\./)+(?P<pathname>[A-Za-z_][\w.-]*))
  | (?P<self>\.(?![\w.]))
  | (?P<name>[A-Za-z_][\w.:-]*)
""", re.VERBOSE)

_FUNCTIONS = {"selected": "selected", "count-selected": "count_selected", "not": "not"}


class Untranslatable(ValueError):
    """The expression has no equivalent here; the message says which part and why."""


def tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise Untranslatable(f"cannot read '{text[pos:pos + 12]}'")
        kind = next(k for k in ("ws", "ref", "string", "number", "op", "path", "self", "name")
                    if m.group(k) is not None)
        if kind == "ref":
            out.append(("ref", m.group("refname")))
        elif kind == "path":
            out.append(("ref", m.group("pathname")))
        elif kind != "ws":
            out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class Translator:
    """Translate expressions of one form. `ids` maps XLSForm names to question ids; `calcs`
    maps calculate names to their (XLSForm) expressions; `choice_questions` are the ids whose
    answers are text choice codes (a number compared with one is written as its code, '1')."""

    def __init__(self, ids: dict[str, str], calcs: dict[str, str] | None = None,
                 choice_questions: set[str] | None = None, bare: dict[str, str] | None = None):
        self.ids = ids
        self.bare = bare or {}  # bare XPath names allowed (a choice_filter's choice columns)
        self.calcs = calcs or {}
        self.choice_questions = choice_questions or set()

    def translate(self, text: str, self_id: str | None = None, _depth: int = 0) -> str:
        if _depth > 5:
            raise Untranslatable("calculates refer to each other too deeply")
        toks = tokens(str(text).strip())
        out: list[str] = []
        i = 0
        while i < len(toks):
            kind, value = toks[i]
            nxt = toks[i + 1] if i + 1 < len(toks) else ("", "")
            if kind in ("ref", "self"):
                name = self._ref(value if kind == "ref" else None, self_id, _depth)
                # x = '' / x != ''  ->  not answered(x) / answered(x)
                if (nxt[0] == "op" and nxt[1] in ("=", "!=") and i + 2 < len(toks)
                        and toks[i + 2] in (("string", "''"), ("string", '""'))
                        and not name.startswith("(")):
                    out.append(("not answered" if nxt[1] == "=" else "answered") + f"({name})")
                    i += 3
                    continue
                out.append(name)
            elif kind == "string":
                out.append(repr(value[1:-1]))
            elif kind == "number":
                out.append(self._number(value, toks, i, out))
            elif kind == "op":
                out.append("==" if value == "=" else value)
            elif kind == "name":
                out.append(self._name(value, nxt, toks, i))
                if value in ("true", "false"):
                    i += 3  # true ( )
                    continue
            i += 1
        text_out = _join(out)
        try:
            expressions.parse(text_out)
        except expressions.ExprError as exc:
            raise Untranslatable(f"the result '{text_out}' is not valid here: {exc.message}")
        return text_out

    def _ref(self, name: str | None, self_id: str | None, depth: int) -> str:
        if name is None:
            if self_id is None:
                raise Untranslatable("'.' (this question) is used outside a question")
            return self_id
        if name in self.calcs:
            try:
                return "(" + self.translate(self.calcs[name], None, depth + 1) + ")"
            except Untranslatable as exc:
                raise Untranslatable(f"it uses the calculate ${{{name}}}: {exc}") from None
        if name not in self.ids:
            raise Untranslatable(f"${{{name}}} is not a question that was imported")
        return self.ids[name]

    def _number(self, value: str, toks, i, out) -> str:
        # a number compared with a text-coded choice (codes 1, 2, other): written as its code
        # ('1'); choices coded only with whole numbers compare as numbers and keep it
        before = toks[i - 2] if i >= 2 and toks[i - 1][0] == "op" else None
        after = toks[i + 2] if i + 2 < len(toks) and toks[i + 1][0] == "op" else None
        for side in (before, after):
            if side and side[0] == "ref" and self.ids.get(side[1]) in self.choice_questions:
                return repr(value)
        return value

    def _name(self, value: str, nxt, toks, i) -> str:
        if value in self.bare and nxt != ("op", "("):
            return self.bare[value]
        if value in ("and", "or"):
            return value
        if value == "div":
            return "/"
        if value == "mod":
            return "%"
        if nxt == ("op", "("):
            if value in ("true", "false"):
                if i + 2 < len(toks) and toks[i + 2] == ("op", ")"):
                    return "True" if value == "true" else "False"
            if value in _FUNCTIONS:
                return _FUNCTIONS[value]
            raise Untranslatable(f"the function {value}() has no equivalent here")
        raise Untranslatable(f"'{value}' (an XPath path or name) has no equivalent here")


def _join(parts: list[str]) -> str:
    """Tokens back into text: `f(a, 'x') and not (b)`."""
    text = ""
    for part in parts:
        glue = not text or text.endswith("(") or part in (")", ",") or (
            part == "(" and re.search(r"\bselected$|\bcount_selected$", text) is not None)
        text += ("" if glue else " ") + part
    return text


def min_max_from_constraint(text: str) -> tuple[float | None, float | None] | None:
    """`. >= 0 and . <= 100` (any order, either bound) -> (0, 100); None if the constraint is
    anything else. Strict bounds on integers become inclusive ones (`. > 0` -> min 1)."""
    parts = re.split(r"\s+and\s+", text.strip())
    lo = hi = None
    for part in parts:
        m = re.fullmatch(r"\.\s*(>=|<=|>|<)\s*(-?\d+(?:\.\d+)?)", part.strip())
        if not m:
            return None
        op, number = m.group(1), float(m.group(2))
        if op in (">", "<"):
            return None  # exclusive bounds: keep the constraint (min/max are inclusive)
        if op == ">=":
            lo = number
        else:
            hi = number
    return lo, hi
