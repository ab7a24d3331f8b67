"""Read YAML into plain Python values while remembering where every value came from.

PyYAML's composer gives nodes with line/column marks; we build dicts, lists and scalars
ourselves so that (a) nothing but plain data is ever constructed (no !!python tags), (b) every
value has a location for error messages, and (c) anchors/aliases (the "billion laughs" alias
bomb) and duplicate keys are reported instead of silently accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

MAX_FILE_BYTES = 512 * 1024
MAX_NODES = 50_000

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}

Path = tuple  # a path into the document, e.g. ("sections", 0, "questions", 3, "type")


@dataclass(frozen=True)
class Loc:
    line: int  # 1-based
    col: int  # 1-based


@dataclass
class YamlProblem:
    loc: Loc
    message: str  # English
    code: str
    zh: str | None = None  # the same in Chinese


@dataclass
class Document:
    """A parsed YAML document: its data and the location of every path in it."""

    data: object
    locs: dict = field(default_factory=dict)  # Path -> Loc of the value
    key_locs: dict = field(default_factory=dict)  # Path -> Loc of the mapping key
    # Path -> the text of an unquoted scalar that YAML 1.1 read as true/false: `en: Yes`
    # is the English word, not a boolean, wherever a text is expected
    plain: dict = field(default_factory=dict)

    def loc(self, path: Path, key: bool = False) -> Loc:
        """Location of a path, or of its nearest ancestor that has one."""
        table = self.key_locs if key else self.locs
        path = tuple(path)
        while path:
            if path in table:
                return table[path]
            if path in self.locs:
                return self.locs[path]
            path = path[:-1]
        return self.locs.get((), Loc(1, 1))


def _loc(mark) -> Loc:
    return Loc(mark.line + 1, mark.column + 1)


def load(text: str) -> tuple[Document | None, list[YamlProblem]]:
    """Parse YAML text. Returns (document, problems); document is None if unusable."""
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        kib = MAX_FILE_BYTES // 1024
        return None, [YamlProblem(Loc(1, 1), f"the file is larger than {kib} KiB; a "
                                  "questionnaire should be far smaller", "Y004",
                                  f"文件超过 {kib} KiB;问卷文件应远小于此")]
    problems: list[YamlProblem] = []
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                problems.append(YamlProblem(
                    _loc(event.start_mark),
                    f"YAML alias '*{event.anchor}' is not allowed; use a choice list "
                    "(choice_lists:) to reuse answers instead", "Y003",
                    f"不允许使用 YAML 别名 '*{event.anchor}';要重复使用选项,请用选项列表"
                    "(choice_lists:)"))
        if problems:
            return None, problems
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(mark) if mark else Loc(1, 1)
        reason = reason_zh = exc.problem or str(exc)  # PyYAML's words are English only
        if exc.context and exc.context_mark and exc.context_mark is not mark:
            reason += f" ({exc.context} started at line {exc.context_mark.line + 1})"
            reason_zh += f"({exc.context},始于第 {exc.context_mark.line + 1} 行)"
        if exc.context and "flow" in exc.context:
            reason += "; inside [...] or {...} put texts that contain ?, commas or colons in quotes"
            reason_zh += ";在 [...] 或 {...} 中,含问号、逗号或冒号的文字要加引号"
        return None, [YamlProblem(loc, f"YAML syntax error: {reason}; check indentation, "
                                  "colons, brackets and quotes", "Y001",
                                  f"YAML 语法错误:{reason_zh};请检查缩进、冒号、括号和引号")]
    except yaml.YAMLError as exc:
        return None, [YamlProblem(Loc(1, 1), f"YAML error: {exc}", "Y001",
                                  f"YAML 错误:{exc};请检查缩进、冒号、括号和引号")]
    if node is None:
        return None, [YamlProblem(Loc(1, 1), "the file is empty; write the questionnaire in it",
                                  "Y005", "文件为空;请在其中写出问卷")]
    doc = Document(None)
    builder = _Builder(doc, problems)
    doc.data = builder.build(node, ())
    return doc, problems


class _Builder:
    def __init__(self, doc: Document, problems: list[YamlProblem]):
        self.doc = doc
        self.problems = problems
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def build(self, node, path: Path):
        self.count += 1
        if self.count > MAX_NODES:
            if self.count == MAX_NODES + 1:
                self.problems.append(YamlProblem(
                    _loc(node.start_mark), f"the document has more than {MAX_NODES} values; a "
                    "questionnaire should be far smaller", "Y004",
                    f"文件中的值超过 {MAX_NODES} 个;问卷文件应远小于此"))
            return None
        self.doc.locs[path] = _loc(node.start_mark)
        if node.tag not in _STANDARD_TAGS:
            self.problems.append(YamlProblem(
                _loc(node.start_mark),
                f"tag '{node.tag}' is not allowed (unsafe or unknown); remove it and write plain "
                "values", "Y002", f"不允许使用标签 '{node.tag}'(不安全或未知);请删除它,写普通的值"))
            return None
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.problems.append(YamlProblem(
                        _loc(key_node.start_mark), "a mapping key must be a plain word; write "
                        "key: value", "Y006", "映射的键应为普通的词;请写成 键: 值"))
                    continue
                key = self.build_scalar(key_node)
                key = str(key) if not isinstance(key, str) else key
                if key in result:
                    first = self.doc.key_locs.get(path + (key,))
                    where = f" (first at line {first.line})" if first else ""
                    where_zh = f"(第一次在第 {first.line} 行)" if first else ""
                    self.problems.append(YamlProblem(
                        _loc(key_node.start_mark), f"duplicate key '{key}'{where}; remove one "
                        "of the two", "Y007", f"键 '{key}' 重复{where_zh};请删除其中一个"))
                    continue
                self.doc.key_locs[path + (key,)] = _loc(key_node.start_mark)
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        value = self.build_scalar(node)
        if isinstance(value, bool):
            self.doc.plain[path] = node.value
        return value

    def build_scalar(self, node):
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # keep dates as text; the model parses what it needs
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.problems.append(YamlProblem(
                _loc(node.start_mark), f"{exc.problem}; write a plain value", "Y002",
                f"无法读取该值({exc.problem});请写普通的值"))
            return None
