"""Questionnaire validation: YAML text -> list of problems, or a frozen Questionnaire.

Every problem carries the file, line and column of the offending YAML node, an error code from
the catalogue in docs/questionnaire-format.md, the question id when there is one, and a
suggestion where a word looks misspelled; its message says what is wrong and how to fix it in
English and in Chinese (a county clerk reads the Chinese): `problem.text("zh")`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from survey import expr as expressions
from survey import periods
from survey.domain import AUDIENCES, PERIOD_KINDS, POINT_KINDS
from survey.errors import Bilingual
from survey.indicators import INDICATORS
from survey.questionnaire import comparisons, sources_setting, yamlsrc
from survey.questionnaire.comparisons import article
from survey.questionnaire.model import (
    CHOICE_TYPES, DEFAULT_PLAUSIBILITY, NUMERIC_TYPES, QUESTION_TYPES, TEXT_TYPES,
    Choice, MatrixRow, Plausibility, Question, Questionnaire, Section, Text,
)

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
RESERVED_IDS = set(expressions.FUNCTIONS) | {"true", "false", "none", "and", "or", "not"}

TOP_KEYS = ("id", "version", "title", "period", "opens", "closes", "audience", "point_kinds",
            "description", "choice_lists", "sections", "sources")
SECTION_KEYS = ("id", "title", "questions")
COMMON_KEYS = ("id", "type", "label", "hint", "required", "relevant", "constraint",
               "constraint_message", "carry_forward", "indicator")
TYPE_KEYS = {
    "integer": ("min", "max", "unit", "unchanged", "plausibility"),
    "decimal": ("min", "max", "step", "unit", "unchanged", "plausibility"),
    "single_choice": ("choices", "unchanged", "other"),
    "multiple_choice": ("choices", "unchanged", "other"),
    "likert": ("choices", "unchanged"),
    "yes_no": ("unchanged",),
    "date": (),
    "short_text": ("max_length",),
    "long_text": ("max_length",),
    "matrix": ("choices", "rows"),
}
QUESTION_KEYS = COMMON_KEYS + tuple(sorted({k for ks in TYPE_KEYS.values() for k in ks}))
TEXT_KEYS = ("zh", "en")
CHOICE_KEYS = ("value", "label")
ROW_KEYS = ("id", "label", "indicator")
PLAUSIBILITY_KEYS = ("factor", "min_change", "months")
DEFAULT_MAX_LENGTH = {"short_text": 200, "long_text": 2000}


@dataclass(frozen=True)
class Problem:
    source: str
    line: int
    col: int
    code: str
    message: str  # English
    question: str | None = None
    zh: str | None = None  # the same in Chinese (None: shown in English in both languages)

    def text(self, lang: str = "en") -> str:
        """`file:line:col: code message [question]` in the reader's language."""
        if lang == "zh" and self.zh:
            where = f" [题目 {self.question}]" if self.question else ""
            return f"{self.source}:{self.line}:{self.col}: {self.code} {self.zh}{where}"
        where = f" [question '{self.question}']" if self.question else ""
        return f"{self.source}:{self.line}:{self.col}: {self.code} {self.message}{where}"

    def bilingual(self) -> Bilingual:
        """For lists of messages that pages show in the viewer's language (survey.errors)."""
        return Bilingual(self.text("en"), self.text("zh"))

    def __str__(self) -> str:
        return self.text("en")


class QuestionnaireError(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def content_hash(data: object) -> str:
    """Hash of the parsed content: comments and formatting do not change it."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_file(path: str | Path) -> tuple[Questionnaire | None, list[Problem]]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, "Y009", f"cannot read the file: {exc.strerror}; "
                              "check the path and that the file may be read",
                              zh=f"无法读取文件({exc.strerror});请检查路径和文件的读取权限")]
    return parse_bytes(data, str(path))


def parse_bytes(data: bytes, source: str) -> tuple[Questionnaire | None, list[Problem]]:
    """A file's content as read from disk or uploaded on the questionnaire page."""
    try:
        # newlines as reading the file as text gives them (a Windows editor writes \r\n)
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError:
        return None, [Problem(source, 1, 1, "Y008", "the file is not UTF-8 text; save it as "
                              "UTF-8", zh="文件不是 UTF-8 文本;请另存为 UTF-8 编码")]
    return parse_text(text, source)


def parse_text(text: str, source: str = "<text>") -> tuple[Questionnaire | None, list[Problem]]:
    doc, yaml_problems = yamlsrc.load(text)
    problems = [Problem(source, p.loc.line, p.loc.col, p.code, p.message, zh=p.zh)
                for p in yaml_problems]
    if doc is None or problems:
        return None, problems
    checker = _Checker(doc, source)
    model = checker.check()
    if checker.problems:
        return None, checker.problems
    return _with_source(model, text, source), []


def load(text: str, source: str = "<text>") -> Questionnaire:
    """Parse and validate, raising QuestionnaireError with every problem."""
    model, problems = parse_text(text, source)
    if problems:
        raise QuestionnaireError(problems)
    return model


def _with_source(model: Questionnaire, text: str, source: str) -> Questionnaire:
    return replace(model, source_text=text, source_name=source)


def _suggest(word: object, options) -> Bilingual:
    close = difflib.get_close_matches(str(word), list(options), n=1, cutoff=0.6)
    return Bilingual(f"; did you mean '{close[0]}'?", f"(是否应为 '{close[0]}'?)") if close \
        else Bilingual("", "")


def _unknown_name(name: str, ex, questions: dict) -> Bilingual:
    """Q109 for a name that is no question id: a capitalised id (A2 for a2), a choice's label
    written for its code (a2 == 是), a word left unquoted, or a misspelled id."""
    same = [qid for qid in questions if qid.lower() == name.lower()]
    if same:
        return Bilingual(f"refers to unknown question '{name}'; did you mean '{same[0]}'? (ids "
                         "are written in lower case)", f"引用了不存在的题目 '{name}'(是否应为 "
                         f"'{same[0]}'?题目标识用小写字母)")
    for qid in sorted(ex.names & questions.keys()):
        for choice in questions[qid].choices:
            if name in (choice.label.zh, choice.label.en):
                code = choice.value if choice.numeric else f"'{choice.value}'"
                return Bilingual(
                    f"compares with '{name}', the label of a choice of '{qid}': write its code, "
                    f"{qid} == {code}", f"中的 '{name}' 是题目 '{qid}' 某个选项的文字:请写它的"
                    f"代码,{qid} == {code}")
    if not ID_PATTERN.match(name):
        return Bilingual(
            f"uses '{name}', which is not a question id: to compare with a choice write its code "
            f"(e.g. a2 == 1); put text in quotes ('{name}')", f"中的 '{name}' 不是题目标识:与选项"
            f"比较请写选项代码(如 a2 == 1);文字请加引号('{name}')")
    suggestion = _suggest(name, questions)
    return Bilingual(f"refers to unknown question '{name}'{suggestion}; write the id of a "
                     "question of this questionnaire", f"引用了不存在的题目 '{name}'"
                     f"{suggestion.zh};请写本问卷中某道题的标识")


def _zh(text) -> str:
    """The Chinese side of a Bilingual part of a message (a key name is the same in both)."""
    return text.zh if isinstance(text, Bilingual) else str(text)


class _Checker:
    def __init__(self, doc: yamlsrc.Document, source: str):
        self.doc = doc
        self.source = source
        self.problems: list[Problem] = []

    # -- reporting ---------------------------------------------------------------------------
    def err(self, path, code: str, en: str, zh: str, question: str | None = None,
            key: bool = False, col_offset: int = 0) -> None:
        """Report at a path: what is wrong and how to fix it, in English and Chinese."""
        loc = self.doc.loc(path, key=key)
        self.problems.append(Problem(self.source, loc.line, loc.col + col_offset, code, en,
                                     question, zh))

    def check_keys(self, mapping: dict, path, allowed, what: str, question=None,
                   known=None, split_text=False) -> None:
        """`split_text`: the mapping is a text ({zh: ..., en: ...}), where a "key" that is no
        word is the rest of a text an unquoted comma cut off (a second mapping key)."""
        for key in mapping:
            if key in allowed:
                continue
            if known and key in known:
                continue  # reported elsewhere as not valid for this type
            cut = split_text and not re.fullmatch(r"[A-Za-z_]+", str(key))
            suggestion = _suggest(key, known or allowed)
            self.err(path + (key,), "Q102", f"unknown key '{key}' in {what}{suggestion}" + (
                "; it looks like the end of a text that an ASCII comma cut off: inside "
                "{...} put a text with a comma, colon or ? in quotes ({zh: \"…,…\"}) "
                "or write the full-width comma \uff0c" if cut else "; correct or remove it"),
                f"{_zh(what)}中有未知的键 '{key}'{suggestion.zh}" + (
                "。这看起来是被半角逗号截断的文字的后半部分:在 {...} 中,含逗号、冒号或问号的"
                "文字要加引号({zh: \"…,…\"}),或改用全角逗号\uff0c" if cut
                else ";请改正拼写或删除"), question, key=True)

    # -- scalar helpers ----------------------------------------------------------------------
    def text(self, value, path, what: str, question=None, required=True) -> Text | None:
        value = self.as_text(value, path)
        if value is None:
            if required:
                self.err(path, "Q104", f"{what} is missing; give at least a Chinese text "
                         "(zh:)", f"缺少{_zh(what)};至少写出中文文字(zh:)", question, key=True)
            return None
        if isinstance(value, str):
            return Text(value) if value.strip() else self._empty_text(path, what, question)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Text(str(value))
        if not isinstance(value, dict):
            self.err(path, "Q103", f"{what} must be a text or a mapping with zh: and en:",
                     f"{_zh(what)}应为文字,或含 zh: 和 en: 的映射", question)
            return None
        self.check_keys(value, path, TEXT_KEYS, what, question, split_text=True)
        zh, en = (self.as_text(value.get(k), path + (k,)) for k in ("zh", "en"))
        if not isinstance(zh, str) or not zh.strip():
            self.err(path, "Q104", f"{what} has no Chinese text; add zh: ...",
                     f"{_zh(what)}没有中文文字;请添加 zh: ...", question)
            return None
        if en is not None and not isinstance(en, str):
            self.err(path + ("en",), "Q103", f"{what}: en must be text; put it in quotes",
                     f"{_zh(what)}:en 应为文字;请给它加上引号", question)
            en = None
        return Text(zh, en or "")

    def as_text(self, value, path):
        """A text written as an unquoted Yes, No, On, Off, True ... (YAML 1.1 reads them as
        true/false) is that word."""
        return self.doc.plain.get(tuple(path), value) if isinstance(value, bool) else value

    def _empty_text(self, path, what, question):
        self.err(path, "Q104", f"{what} is empty; write the Chinese text",
                 f"{_zh(what)}为空;请写出中文文字", question)
        return None

    def ident(self, value, path, what: str, question=None) -> str | None:
        if not isinstance(value, str) or not ID_PATTERN.match(value) or value in RESERVED_IDS:
            self.err(path, "Q112", f"{what} {value!r} is not a valid id: use lower-case letters, "
                     "digits and _ , starting with a letter (e.g. meeting_hours)",
                     f"{_zh(what)} {value!r} 不是有效的标识:只能用小写字母、数字和 _,并以字母开头"
                     "(如 meeting_hours)", question)
            return None
        return value

    def number(self, value, path, what: str, question=None) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.err(path, "Q103", f"{what} must be a number, not {value!r}",
                     f"{_zh(what)} 应为数字,而不是 {value!r}", question)
            return None
        return value

    def boolean(self, value, path, what: str, question=None) -> bool:
        if value is None:
            return False
        if not isinstance(value, bool):
            self.err(path, "Q103", f"{what} must be true or false, not {value!r}",
                     f"{_zh(what)} 应为 true 或 false,而不是 {value!r}", question)
            return False
        return value

    # -- the document ------------------------------------------------------------------------
    def check(self) -> Questionnaire | None:
        data = self.doc.data
        if not isinstance(data, dict):
            self.err((), "Q103", "a questionnaire must be a mapping with id:, version:, title: "
                     "and sections:", "问卷应为含 id:、version:、title: 和 sections: 的映射")
            return None
        self.check_keys(data, (), TOP_KEYS, Bilingual("the questionnaire", "问卷"))
        for key in ("id", "version", "title", "sections"):
            if key not in data:
                self.err((), "Q101", f"the questionnaire has no '{key}:'; add it at the top level",
                         f"问卷缺少 '{key}:';请在最外层(不缩进)添加")
        qn_id = self.ident(data.get("id"), ("id",), Bilingual("questionnaire id", "问卷标识")) \
            if "id" in data else None
        version = data.get("version")
        if "version" in data and (isinstance(version, bool) or not isinstance(version, int)
                                  or version < 1):
            self.err(("version",), "Q103", f"version must be a whole number >= 1, not {version!r}",
                     f"version 应为不小于 1 的整数,而不是 {version!r}")
        title = self.text(data.get("title"), ("title",), Bilingual("title", "标题(title)")) \
            if "title" in data else None
        description = self.text(data.get("description"), ("description",),
                                Bilingual("description", "说明(description)"), required=False)
        period = data.get("period", "month")
        if period not in PERIOD_KINDS:
            suggestion = _suggest(period, PERIOD_KINDS)
            self.err(("period",), "Q116", f"unknown period '{period}'; use one of "
                     f"{', '.join(PERIOD_KINDS)}{suggestion}", f"未知的周期 '{period}';请使用 "
                     f"{', '.join(PERIOD_KINDS)} 之一{suggestion.zh}")
        period = self.window(data, period)
        audience = data.get("audience", "cadre")
        if audience not in AUDIENCES:
            suggestion = _suggest(audience, AUDIENCES)
            self.err(("audience",), "Q116", f"unknown audience '{audience}'; use cadre or public"
                     f"{suggestion}", f"未知的填报对象 '{audience}';请使用 cadre(干部)或 "
                     f"public(群众){suggestion.zh}")
        kinds = self.point_kinds(data.get("point_kinds"))
        lists = self.choice_lists(data.get("choice_lists"))
        sections = self.sections(data.get("sections"), lists)
        sources = None
        if sections is not None:
            sections = self.cross_checks(sections)
            if audience == "public":
                self.check_public(sections)
            sources = sources_setting.check(self, data.get("sources"), sections, audience,
                                            data.get("period", "month"))
        if self.problems:
            return None
        return Questionnaire(id=qn_id, version=version, title=title, period=period,
                             point_kinds=kinds, description=description, sections=sections,
                             content_hash=content_hash(data), audience=audience,
                             sources=sources)

    def window(self, data: dict, period) -> str:
        """`period: once` takes `opens:` and `closes:` (dates); its period kind carries them
        (survey.periods.once_kind). Other periods take neither."""
        if period != periods.ONCE:
            for key in ("opens", "closes"):
                if key in data:
                    self.err((key,), "Q115", f"'{key}' applies only to period: once (a one-off "
                             "survey with dates); remove it, or write period: once",
                             f"'{key}' 只用于 period: once(有起止日期的一次性调查);请删除它,"
                             "或写 period: once", key=True)
            return period
        days = {}
        for key in ("opens", "closes"):
            if key not in data:
                self.err(("period",), "Q101", f"period: once needs '{key}:' (a date such as "
                         "2022-06-01): the survey is open from opens to closes, both included",
                         f"period: once 需要 '{key}:'(日期,如 2022-06-01):调查从 opens 开放到 "
                         "closes,两天都包括在内")
                continue
            try:
                days[key] = dt.date.fromisoformat(str(data[key]).strip())
            except ValueError:
                self.err((key,), "Q103", f"{key} must be a date written 2022-06-01, not "
                         f"{data[key]!r}", f"{key} 应为写成 2022-06-01 形式的日期,而不是 "
                         f"{data[key]!r}")
        if len(days) < 2:
            return period
        if days["closes"] < days["opens"]:
            self.err(("closes",), "Q111", f"closes ({days['closes']}) is before opens "
                     f"({days['opens']}); swap them", f"closes({days['closes']})早于 opens"
                     f"({days['opens']});请交换两者")
        return periods.once_kind(days["opens"], days["closes"])

    def point_kinds(self, value) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.err(("point_kinds",), "Q103", "point_kinds must be a list, e.g. [village, school]",
                     "point_kinds 应为列表,如 [village, school]")
            return ()
        for i, kind in enumerate(value):
            if kind not in POINT_KINDS:
                suggestion = _suggest(kind, POINT_KINDS)
                self.err(("point_kinds", i), "Q119", f"unknown kind of point '{kind}'; known: "
                         f"{', '.join(POINT_KINDS)}{suggestion}", f"未知的监测点类型 '{kind}';"
                         f"可用:{', '.join(POINT_KINDS)}{suggestion.zh}")
        return tuple(value)

    def choice_lists(self, value) -> dict[str, tuple[Choice, ...]]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.err(("choice_lists",), "Q103", "choice_lists must be a mapping of list name to "
                     "choices", "choice_lists 应为“选项列表名: 选项”的映射")
            return {}
        lists = {}
        for name, items in value.items():
            path = ("choice_lists", name)
            if self.ident(name, path, Bilingual("choice list name", "选项列表名")) is None:
                continue
            lists[name] = self.choices(items, path, Bilingual(f"choice list '{name}'",
                                                              f"选项列表 '{name}'"))
        return lists

    def choices(self, items, path, what: str, question=None) -> tuple[Choice, ...]:
        if not isinstance(items, list) or not items:
            self.err(path, "Q113", f"{what} must be a non-empty list of choices "
                     "(- value: ... label: ...)", f"{_zh(what)}应为非空的选项列表"
                     "(- value: ... label: ...)", question)
            return ()
        result, seen = [], {}
        for i, item in enumerate(items):
            ipath = path + (i,)
            if not isinstance(item, dict):
                self.err(ipath, "Q113", f"{what}: each choice needs value: and label:",
                         f"{_zh(what)}:每个选项都需要 value: 和 label:", question)
                continue
            self.check_keys(item, ipath, CHOICE_KEYS, Bilingual("a choice", "选项"), question)
            value = item.get("value")
            if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value) == "":
                self.err(ipath, "Q113", f"{what}: choice {i + 1} needs a value: (a code such as "
                         "1 or much_lighter)", f"{_zh(what)}:第 {i + 1} 个选项需要 value:(代码,"
                         "如 1 或 much_lighter)", question)
                continue
            code = str(value)
            if code in seen:
                self.err(ipath + ("value",), "Q113", f"{what}: value '{code}' appears twice "
                         f"(first at line {seen[code]}); give each choice its own value",
                         f"{_zh(what)}:值 '{code}' 出现了两次(第一次在第 {seen[code]} 行);"
                         "每个选项的值须各不相同", question)
                continue
            seen[code] = self.doc.loc(ipath + ("value",)).line
            label = self.text(item.get("label"), ipath + ("label",), Bilingual(
                f"label of choice '{code}'", f"选项 '{code}' 的文字(label)"), question)
            if label is not None:
                result.append(Choice(code, label, numeric=isinstance(value, int)))
        return tuple(result)

    def sections(self, value, lists) -> tuple[Section, ...] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            self.err(("sections",), "Q103", "sections must be a non-empty list",
                     "sections 应为非空列表")
            return None
        self.seen_questions: dict[str, int] = {}
        seen_sections: dict[str, int] = {}
        result = []
        for i, section in enumerate(value):
            path = ("sections", i)
            if not isinstance(section, dict):
                self.err(path, "Q103", "a section must be a mapping with id:, title: and questions:",
                         "每个部分(section)应为含 id:、title: 和 questions: 的映射")
                continue
            self.check_keys(section, path, SECTION_KEYS, Bilingual("a section", "部分(section)"))
            sid = self.ident(section.get("id"), path + ("id",), Bilingual("section id", "部分标识"))
            if sid in seen_sections:
                self.err(path + ("id",), "Q105", f"duplicate section id '{sid}' (first at line "
                         f"{seen_sections[sid]}); give each section its own id",
                         f"部分标识 '{sid}' 重复(第一次在第 {seen_sections[sid]} 行);"
                         "每个部分须有各自的标识")
            elif sid:
                seen_sections[sid] = self.doc.loc(path + ("id",)).line
            title = self.text(section.get("title"), path + ("title",),
                              Bilingual("section title", "部分标题"))
            questions = section.get("questions")
            if not isinstance(questions, list) or not questions:
                self.err(path + ("questions",), "Q101", "a section needs a non-empty questions: "
                         "list", "每个部分都需要非空的 questions: 列表")
                continue
            built = [self.question(q, path + ("questions", j), lists, sid or "")
                     for j, q in enumerate(questions)]
            result.append(Section(sid or "", title or Text(""), tuple(q for q in built if q)))
        return tuple(result)

    def question(self, q, path, lists, section_id: str) -> Question | None:
        if not isinstance(q, dict):
            self.err(path, "Q103", "a question must be a mapping with id:, type: and label:",
                     "题目应为含 id:、type: 和 label: 的映射")
            return None
        qid = q.get("id") if isinstance(q.get("id"), str) else None
        if "id" not in q:
            self.err(path, "Q101", "this question has no id:; add one (e.g. id: meeting_hours)",
                     "该题缺少 id:;请添加(如 id: meeting_hours)")
        elif self.ident(q["id"], path + ("id",), Bilingual("question id", "题目标识"), qid) \
                and qid in self.seen_questions:
            first = self.seen_questions[qid]
            self.err(path + ("id",), "Q105", f"duplicate question id '{qid}' (first at line "
                     f"{first}); each question needs its own id", f"题目标识 '{qid}' 重复"
                     f"(第一次在第 {first} 行);每道题须有各自的标识", qid)
        elif qid:
            self.seen_questions[qid] = self.doc.loc(path + ("id",)).line
        qtype = q.get("type")
        if qtype is None:
            self.err(path, "Q101", "this question has no type:; add one (e.g. type: integer)",
                     "该题缺少 type:;请添加(如 type: integer)", qid)
            return None
        if qtype not in QUESTION_TYPES:
            suggestion, known = _suggest(qtype, QUESTION_TYPES), ", ".join(QUESTION_TYPES)
            self.err(path + ("type",), "Q106", f"unknown question type '{qtype}'{suggestion}; "
                     f"known types: {known}", f"未知的题型 '{qtype}'{suggestion.zh};可用题型:"
                     f"{known}", qid)
            return None
        allowed = COMMON_KEYS + TYPE_KEYS[qtype]
        self.check_keys(q, path, allowed, Bilingual("a question", "题目"), qid, known=QUESTION_KEYS)
        for key in q:
            if key in QUESTION_KEYS and key not in allowed:
                self.err(path + (key,), "Q115", f"'{key}' does not apply to {article(qtype)} "
                         f"question; remove it", f"'{key}' 不适用于 {qtype} 题;请删除它", qid,
                         key=True)
        label = self.text(q.get("label"), path + ("label",), Bilingual("label", "题目文字(label)"),
                          qid)
        hint = self.text(q.get("hint"), path + ("hint",), Bilingual("hint", "提示(hint)"), qid,
                         required=False)
        unit = self.text(q.get("unit"), path + ("unit",), Bilingual("unit", "单位(unit)"), qid,
                         required=False)
        cmsg = self.text(q.get("constraint_message"), path + ("constraint_message",),
                         Bilingual("constraint_message", "约束提示(constraint_message)"), qid,
                         required=False)
        lo = self.number(q.get("min"), path + ("min",), "min", qid)
        hi = self.number(q.get("max"), path + ("max",), "max", qid)
        if lo is not None and hi is not None and lo > hi:
            self.err(path + ("min",), "Q111", f"min ({lo}) is greater than max ({hi}); swap them",
                     f"min({lo})大于 max({hi});请交换两者", qid)
        step = self.number(q.get("step"), path + ("step",), "step", qid)
        if step is not None and step <= 0:
            self.err(path + ("step",), "Q120", f"step must be greater than 0, not {step}",
                     f"step 应大于 0,而不是 {step}", qid)
        max_length = q.get("max_length", DEFAULT_MAX_LENGTH.get(qtype))
        if qtype in TEXT_TYPES and (isinstance(max_length, bool) or not isinstance(max_length, int)
                                    or max_length < 1):
            self.err(path + ("max_length",), "Q103", "max_length must be a whole number >= 1",
                     "max_length 应为不小于 1 的整数", qid)
        indicator = self.indicator(q.get("indicator"), path + ("indicator",), qid)
        if indicator and qtype in ("matrix", "short_text", "long_text", "date", "multiple_choice"):
            rows_instead = qtype == "matrix"
            self.err(path + ("indicator",), "Q115", f"{article(qtype)} question cannot carry an "
                     "indicator (indicators are numbers)" + ("; put indicator: on its rows"
                                                             if rows_instead else "; remove it"),
                     f"{qtype} 题不能带指标(指标是数值)" + (";请把 indicator: 写在各行上"
                                                           if rows_instead else ";请删除它"),
                     qid, key=True)
        choices = ()
        if qtype in CHOICE_TYPES:
            choices = self.question_choices(q.get("choices"), path + ("choices",), lists, qid)
            if qtype == "likert" and choices:
                self.check_likert(choices, path + ("choices",), qid)
        rows = self.matrix_rows(q.get("rows"), path + ("rows",), qid) if qtype == "matrix" else ()
        # `other` on a type without it is reported once, above (Q115)
        other, other_value = self.other(q.get("other"), path + ("other",), choices, qid) \
            if "other" in allowed else (False, None)
        carry = self.boolean(q.get("carry_forward"), path + ("carry_forward",), "carry_forward", qid)
        unchanged = None
        if "unchanged" in q and "unchanged" in allowed:
            if carry:
                self.err(path + ("unchanged",), "Q124", "carry_forward and unchanged both say what "
                         "an unchanged month means; keep one (carry_forward: last period's "
                         "answer, unchanged: a fixed answer such as 3 = no change)",
                         "carry_forward 和 unchanged 都规定了“本期无变化”的含义;请只保留一个"
                         "(carry_forward:沿用上期答案;unchanged:固定答案,如 3 = 无变化)",
                         qid, key=True)
            else:
                unchanged = self.unchanged_value(q["unchanged"], path + ("unchanged",), qtype,
                                                 choices, lo, hi, qid)
        plausibility = None
        if qtype in NUMERIC_TYPES:
            plausibility = self.plausibility(q.get("plausibility", True),
                                             path + ("plausibility",), qid)
        return Question(
            id=qid or "", type=qtype, label=label or Text(""), section_id=section_id, hint=hint,
            required=self.boolean(q.get("required"), path + ("required",), "required", qid),
            min=lo, max=hi, step=step, unit=unit,
            max_length=max_length if qtype in TEXT_TYPES else None,
            constraint=self.expression(q.get("constraint"), path + ("constraint",), qid),
            constraint_message=cmsg,
            relevant=self.expression(q.get("relevant"), path + ("relevant",), qid),
            carry_forward=carry, indicator=indicator, choices=choices, rows=rows,
            unchanged=unchanged, plausibility=plausibility,
            numeric_codes=qtype == "likert" or bool(choices) and all(c.numeric for c in choices),
            other=other, other_value=other_value,
        )

    def other(self, value, path, choices, qid) -> tuple[bool, str | None]:
        """`other: true` (the last choice opens the text box) or `other: CODE` (that choice
        does: printed lists often end with 不清楚 or 户口待定 after 其他(请注明))."""
        if value is None or value is False:
            return False, None
        if value is not True and (not isinstance(value, (int, str)) or isinstance(value, bool)):
            self.err(path, "Q103", "other must be true, false or the code of the choice that "
                     f"opens the text box, not {value!r}", "other 应为 true、false 或打开文本框的"
                     f"那个选项的代码,而不是 {value!r}", qid)
            return False, None
        if len(choices) < 2:
            self.err(path, "Q127", "other makes a choice (e.g. 其他(请注明)) open a text box; give "
                     "the question at least two choices, one of them 'other'",
                     "other 让一个选项(如 其他(请注明))打开文本框;请给该题至少两个选项,"
                     "其中一个是“其他”", qid, key=True)
            return False, None
        if value is True:
            return True, None
        codes = [c.value for c in choices]
        if str(value) not in codes:
            suggestion = _suggest(str(value), codes)
            self.err(path, "Q127", f"other: {value!r} is not a choice of '{qid}' (its codes: "
                     f"{', '.join(codes)}); write the code of the choice that opens the text "
                     f"box, or other: true for the last choice{suggestion}",
                     f"other: {value!r} 不是 '{qid}' 的选项(其代码:{', '.join(codes)});"
                     "请写出打开文本框的那个选项的代码,或写 other: true 表示最后一个选项"
                     f"{suggestion.zh}", qid)
            return False, None
        return True, str(value)

    def unchanged_value(self, value, path, qtype, choices, lo, hi, qid):
        """The answer an unchanged month implies, as an answer value (see survey.answers)."""
        codes = [c.value for c in choices]
        if qtype in ("single_choice", "likert"):
            if isinstance(value, bool) or str(value) not in codes:
                suggestion = _suggest(value, codes)
                self.err(path, "Q123", f"unchanged: {value!r} is not a choice of this question"
                         f"{suggestion}; give the code an unchanged month implies "
                         f"({', '.join(codes)})", f"unchanged: {value!r} 不是本题的选项"
                         f"{suggestion.zh};请写出“本期无变化”对应的代码({', '.join(codes)})",
                         qid)
                return None
            return str(value)
        if qtype == "multiple_choice":
            if not isinstance(value, list) or any(str(v) not in codes for v in value):
                example = codes[0] if codes else "code"
                self.err(path, "Q123", "unchanged: give a list of this question's codes, e.g. "
                         f"[{example}]", f"unchanged: 请写出本题代码的列表,如 [{example}]", qid)
                return None
            return tuple(str(v) for v in value)
        if qtype == "yes_no":
            if not isinstance(value, bool):
                self.err(path, "Q123", f"unchanged: must be true or false, not {value!r}",
                         f"unchanged: 应为 true 或 false,而不是 {value!r}", qid)
                return None
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (qtype == "integer" and value != int(value)) or \
                (lo is not None and value < lo) or (hi is not None and value > hi):
            self.err(path, "Q123", f"unchanged: {value!r} is not a valid answer to this "
                     f"{qtype} question; give a number within min and max",
                     f"unchanged: {value!r} 不是本 {qtype} 题的有效答案;请写出介于 min 和 max "
                     "之间的数", qid)
            return None
        return int(value) if qtype == "integer" else float(value)

    def plausibility(self, value, path, qid) -> Plausibility | None:
        if value is True:
            return DEFAULT_PLAUSIBILITY
        if value is False:
            return None
        if not isinstance(value, dict):
            self.err(path, "Q125", "plausibility must be false (no check) or a mapping such as "
                     "{factor: 10, min_change: 5, months: 6}", "plausibility 应为 false(不核对)"
                     "或映射,如 {factor: 10, min_change: 5, months: 6}", qid)
            return None
        self.check_keys(value, path, PLAUSIBILITY_KEYS, "plausibility", qid)
        factor = value.get("factor", DEFAULT_PLAUSIBILITY.factor)
        change = value.get("min_change", DEFAULT_PLAUSIBILITY.min_change)
        months = value.get("months", DEFAULT_PLAUSIBILITY.months)
        number = (int, float)
        if isinstance(factor, bool) or not isinstance(factor, number) or factor <= 1:
            self.err(path + ("factor",), "Q125", f"plausibility factor must be a number greater "
                     f"than 1, not {factor!r} (10 = ten times more or less than usual)",
                     f"plausibility 的 factor 应为大于 1 的数,而不是 {factor!r}"
                     "(10 = 比平常多或少十倍)", qid)
            return None
        if isinstance(change, bool) or not isinstance(change, number) or change < 0:
            self.err(path + ("min_change",), "Q125", "plausibility min_change must be a number "
                     f">= 0, not {change!r}", f"plausibility 的 min_change 应为不小于 0 的数,"
                     f"而不是 {change!r}", qid)
            return None
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 24:
            self.err(path + ("months",), "Q125", "plausibility months must be a whole number "
                     f"from 1 to 24, not {months!r}", f"plausibility 的 months 应为 1 到 24 的整数,"
                     f"而不是 {months!r}", qid)
            return None
        return Plausibility(float(factor), float(change), months)

    def indicator(self, value, path, qid) -> str | None:
        if value is None:
            return None
        if value not in INDICATORS:
            suggestion = _suggest(value, INDICATORS)
            self.err(path, "Q121", f"unknown indicator '{value}'{suggestion}; indicators are "
                     "listed in docs/questionnaire-format.md", f"未知的指标 '{value}'"
                     f"{suggestion.zh};可用指标见 docs/questionnaire-format.md", qid)
            return None
        return value

    def question_choices(self, value, path, lists, qid) -> tuple[Choice, ...]:
        if value is None:
            self.err(path, "Q101", "this question needs choices: (a list, or the name of a "
                     "choice list)", "该题需要 choices:(选项列表,或选项列表名)", qid, key=True)
            return ()
        if isinstance(value, str):
            if value not in lists:
                suggestion = _suggest(value, lists)
                self.err(path, "Q107", f"choice list '{value}' does not exist{suggestion}; "
                         "define it under choice_lists:", f"选项列表 '{value}' 不存在"
                         f"{suggestion.zh};请在 choice_lists: 下定义它", qid)
                return ()
            return lists[value]
        return self.choices(value, path, Bilingual("choices", "选项(choices)"), qid)

    def check_likert(self, choices, path, qid) -> None:
        codes = [c.value for c in choices]
        n = len(codes)
        if n not in (5, 7) or codes != [str(i) for i in range(1, n + 1)]:
            self.err(path, "Q114", "a likert scale needs 5 or 7 labelled points with values 1, 2, "
                     f"... in order (found {n}: {', '.join(codes)})", "李克特量表需要 5 或 7 个"
                     f"带文字的等级,值依次为 1、2、……(现有 {n} 个:{', '.join(codes)})", qid)

    def matrix_rows(self, value, path, qid) -> tuple[MatrixRow, ...]:
        if not isinstance(value, list) or not value:
            self.err(path, "Q118", "a matrix question needs rows: (a list of id: and label:)",
                     "矩阵题需要 rows:(由 id: 和 label: 组成的列表)", qid, key=True)
            return ()
        rows, seen = [], set()
        for i, row in enumerate(value):
            rpath = path + (i,)
            if not isinstance(row, dict):
                self.err(rpath, "Q118", "each matrix row needs id: and label:",
                         "矩阵的每一行都需要 id: 和 label:", qid)
                continue
            self.check_keys(row, rpath, ROW_KEYS, Bilingual("a matrix row", "矩阵行"), qid)
            rid = self.ident(row.get("id"), rpath + ("id",), Bilingual("row id", "行标识"), qid)
            if rid in seen:
                self.err(rpath + ("id",), "Q105", f"duplicate row id '{rid}'; give each row its "
                         "own id", f"行标识 '{rid}' 重复;每一行须有各自的标识", qid)
                continue
            seen.add(rid)
            label = self.text(row.get("label"), rpath + ("label",), Bilingual(
                f"label of row '{rid}'", f"行 '{rid}' 的文字(label)"), qid)
            indicator = self.indicator(row.get("indicator"), rpath + ("indicator",), qid)
            if rid and label:
                rows.append(MatrixRow(rid, label, indicator))
        return tuple(rows)

    def expression(self, value, path, qid):
        if value is None:
            return None
        if isinstance(value, bool):
            value = "True" if value else "False"
        if not isinstance(value, str):
            self.err(path, "Q108", f"an expression must be text, not {value!r}",
                     f"表达式应为文字,而不是 {value!r}", qid)
            return None
        try:
            return expressions.parse(value)
        except expressions.ExprError as exc:
            self.err(path, "Q108", f"bad expression '{value}': {exc.message}",
                     f"表达式 '{value}' 有误:{exc.zh}", qid, col_offset=exc.col)
            return None

    # -- checks that need the whole questionnaire --------------------------------------------
    def cross_checks(self, sections) -> tuple[Section, ...]:
        """Checks across questions; returns the sections with expressions whose choice codes
        are typed like the lists they compare with (survey.questionnaire.comparisons)."""
        questions = {q.id: q for s in sections for q in s.questions}
        paths = self._question_paths()
        typed = {}
        for q in questions.values():
            path = paths.get(q.id, ())
            for key in ("relevant", "constraint"):
                ex = getattr(q, key)
                if ex is None:
                    continue
                for name in sorted(ex.names):
                    if name not in questions:
                        message = _unknown_name(name, ex, questions)
                        self.err(path + (key,), "Q109", f"{key} {message}",
                                 f"{key} {message.zh}", q.id)
                for ref, code in ex.selections:
                    target = questions.get(ref)
                    codes = [c.value for c in target.choices] if target else []
                    if codes and code not in codes:
                        suggestion = _suggest(code, codes)
                        self.err(path + (key,), "Q117", f"selected({ref}, '{code}'): '{code}' is "
                                 f"not a choice of '{ref}'{suggestion}; its codes: "
                                 f"{', '.join(codes)}", f"selected({ref}, '{code}'):'{code}' "
                                 f"不是 '{ref}' 的选项{suggestion.zh};其代码:{', '.join(codes)}",
                                 q.id)
                typed_ex, findings = comparisons.typed(ex, questions)
                for finding in findings:
                    self.err(path + (key,), "Q126", f"{key}: {finding.message}",
                             f"{key}:{finding.zh}", q.id, col_offset=finding.col)
                typed.setdefault(q.id, {})[key] = typed_ex
        self.check_indicator_reuse(questions, paths)
        self.check_cycles(questions, paths)
        return tuple(replace(s, questions=tuple(replace(q, **typed.get(q.id, {}))
                                                for q in s.questions)) for s in sections)

    def check_public(self, sections) -> None:
        """A public questionnaire is filled once per period from a link or QR code, with no
        sign-in: nobody has a last period to carry forward or to call unchanged."""
        paths = self._question_paths()
        for q in (q for s in sections for q in s.questions):
            for key, used in (("carry_forward", q.carry_forward),
                              ("unchanged", q.unchanged is not None)):
                if used:
                    self.err(paths.get(q.id, ()) + (key,), "Q128", f"'{key}' cannot work in a public "
                             "questionnaire (audience: public): the public fill it from a link "
                             "without signing in, so there is no last period to keep; remove "
                             f"{key}, or make the questionnaire audience: cadre",
                             f"'{key}' 不能用于面向群众的问卷(audience: public):群众通过链接填写、"
                             f"不登录,没有上期答案可沿用;请删除 {key},或把问卷改为 "
                             "audience: cadre", q.id, key=True)

    def check_indicator_reuse(self, questions, paths) -> None:
        seen = {}
        for q in questions.values():
            keys = [q.indicator] + [r.indicator for r in q.rows]
            for key in filter(None, keys):
                if key in seen:
                    self.err(paths.get(q.id, ()) + ("indicator",), "Q122", f"indicator '{key}' is "
                             f"already given by question '{seen[key]}'; one question per "
                             "indicator", f"指标 '{key}' 已由题目 '{seen[key]}' 提供;每个指标"
                             "只能对应一道题", q.id)
                seen[key] = q.id

    def _question_paths(self) -> dict[str, tuple]:
        paths = {}
        for i, section in enumerate(self.doc.data.get("sections") or []):
            if not isinstance(section, dict):
                continue
            for j, q in enumerate(section.get("questions") or []):
                if isinstance(q, dict) and isinstance(q.get("id"), str):
                    paths.setdefault(q["id"], ("sections", i, "questions", j))
        return paths

    def check_cycles(self, questions, paths) -> None:
        graph = {qid: sorted(n for n in (q.relevant.names if q.relevant else ()) if n in questions)
                 for qid, q in questions.items()}
        state: dict[str, int] = {}  # 1 = on the stack, 2 = done
        reported: set[frozenset] = set()

        def visit(node: str, stack: list[str]) -> None:
            state[node] = 1
            stack.append(node)
            for nxt in graph[node]:
                if state.get(nxt) == 1:
                    cycle = stack[stack.index(nxt):] + [nxt]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        chain = " -> ".join(cycle)
                        self.err(paths.get(nxt, ()) + ("relevant",), "Q110",
                                 f"relevance cycle: {chain}; a question cannot depend on itself, "
                                 "directly or through others", f"显示条件循环:{chain};"
                                 "一道题不能直接或间接地依赖它自己", nxt)
                elif state.get(nxt) is None:
                    visit(nxt, stack)
            stack.pop()
            state[node] = 2

        for qid in graph:
            if qid not in state:
                visit(qid, [])
