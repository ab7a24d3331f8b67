"""The frozen questionnaire model produced by validation. Pages and the store only see this."""

from __future__ import annotations

from dataclasses import dataclass, field

from survey.expr import Expr

QUESTION_TYPES = (
    "integer", "decimal", "single_choice", "multiple_choice", "likert", "yes_no",
    "date", "short_text", "long_text", "matrix",
)
NUMERIC_TYPES = ("integer", "decimal")
CHOICE_TYPES = ("single_choice", "multiple_choice", "likert", "matrix")
TEXT_TYPES = ("short_text", "long_text")


@dataclass(frozen=True)
class Text:
    """A label in Chinese (required) and English (optional; falls back to Chinese)."""

    zh: str
    en: str = ""

    def get(self, lang: str) -> str:
        return (self.en if lang == "en" else self.zh) or self.zh


@dataclass(frozen=True)
class Choice:
    value: str  # the code stored in the database (text; see Question.numeric_codes)
    label: Text
    numeric: bool = False  # written as a whole number (value: 1), not as text (value: '1')


@dataclass(frozen=True)
class MatrixRow:
    id: str
    label: Text
    indicator: str | None = None


@dataclass(frozen=True)
class Plausibility:
    """When a number asks for a second look: it differs from the median of this respondent's
    last `months` answers by more than `min_change` and by more than `factor` times (up or
    down). A soft check: the respondent confirms and the answer stands."""

    factor: float = 10.0
    min_change: float = 10.0
    months: int = 6


DEFAULT_PLAUSIBILITY = Plausibility()


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: Text
    section_id: str
    hint: Text | None = None
    required: bool = False
    min: float | None = None
    max: float | None = None
    step: float | None = None
    unit: Text | None = None
    max_length: int | None = None
    constraint: Expr | None = None
    constraint_message: Text | None = None
    relevant: Expr | None = None
    carry_forward: bool = False
    indicator: str | None = None
    choices: tuple[Choice, ...] = ()
    rows: tuple[MatrixRow, ...] = ()
    # The answer an unchanged month implies (e.g. 3 = "no change" for a "compared with last
    # period" item); None: carried forward if carry_forward, otherwise asked every period.
    unchanged: object = None
    # Soft check against the respondent's own recent answers (numbers only); None: off.
    plausibility: Plausibility | None = None
    # Every choice value was written as a whole number (value: 1, not value: '1'): expressions
    # see answers as numbers (a2 == 1, a2 >= 3); otherwise as text (a2 == 'x'). Likert: always.
    numeric_codes: bool = False
    # other: true: the last choice (其他(请注明)) opens a short text box in this question, stored
    # beside the answer (survey.answers.other_key); required when that choice is picked.
    # other: 4 (a code): that choice opens it, for lists where 其他 is not last (4 其他县,请填写
    # 地址; 5 户口待定); other_value holds the code.
    other: bool = False
    other_value: str | None = None

    def code_value(self, code):
        """A stored code as expressions see it: 1 for '1' when the codes are numbers."""
        if self.numeric_codes:
            try:
                return int(code)
            except (TypeError, ValueError):
                return code
        return str(code)

    @property
    def other_choice(self) -> Choice | None:
        """The choice that opens the text box, when `other` is set: the one named, else the
        last."""
        if not self.other or not self.choices:
            return None
        return next((c for c in self.choices if c.value == self.other_value), self.choices[-1])

    @property
    def other_code(self) -> str | None:
        """The code of the choice that opens the text box, when `other` is set."""
        choice = self.other_choice
        return choice.value if choice else None

    def choice_label(self, value: str, lang: str) -> str:
        for choice in self.choices:
            if choice.value == str(value):
                return choice.label.get(lang)
        return str(value)


@dataclass(frozen=True)
class Section:
    id: str
    title: Text
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class SourcesSetting:
    """`sources:` in a questionnaire (docs/sources.md): which source questions the form adds,
    each beside the count question it is about. The answers never become ordinary answers."""

    inspections: str | None = None   # the question (indicator inspections) the list sits beside
    mainly_from: tuple[tuple[str, str], ...] = ()   # (topic = indicator, question id)


@dataclass(frozen=True)
class Questionnaire:
    id: str
    version: int
    title: Text
    period: str
    point_kinds: tuple[str, ...]
    description: Text | None
    sections: tuple[Section, ...]
    content_hash: str
    audience: str = "cadre"  # cadre: filled with a respondent code; public: by the people served
    sources: SourcesSetting | None = None  # where the burden comes from (issue 20); None: off
    source_text: str = field(repr=False, default="")
    source_name: str = ""

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    @property
    def ref(self) -> str:
        """Human-readable identity of this published version."""
        return f"{self.id} v{self.version} ({self.content_hash[:8]})"

    def is_for_kind(self, kind: str) -> bool:
        return not self.point_kinds or kind in self.point_kinds
