"""The cadres' fill flow, without Streamlit: sections and steps, carry-forward, what changed
since last period, the one-step unchanged month, draft restore (with the section) and soft
plausibility checks. The light form (ui/light_form.py) draws a FormFlow and calls its actions.

Steps: FILL (one section at a time) -> CONFIRM (a compact summary and the submit button) ->
DONE (the receipt). Nothing a respondent typed is overwritten by any action: "keep the rest as
last period" fills only what they did not touch.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
import uuid
from dataclasses import dataclass

from survey import answers as rules
from survey import source_answers
from survey.indicators import INDICATORS
from survey.questionnaire.model import NUMERIC_TYPES, Plausibility, Question, Questionnaire, Text

FILL, CONFIRM, DONE = "fill", "confirm", "done"

# What the button above a section offers (interface keys in survey/i18n.py).
NOTHING_CHANGED = "nothing_changed"     # nothing differs from last period: confirm it all
KEEP_REST = "keep_rest"                 # something changed: keep the changes, the rest as last period
KEEP_AS_IS = "keep_as_is"               # a revision: keep the changes, the rest as submitted
# A page drawn longer ago than a cadre session may idle (signin.CADRE_IDLE_S) posts no time.
PAGE_AGE_LIMIT_S = 2 * 3600


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else f"{number:g}"


@dataclass(frozen=True)
class SoftCheck:
    """A number far from this respondent's own recent months: asked once, next to the field."""

    question_id: str
    value: float
    reference: float  # median of the recent months

    def message(self, q: Question) -> Text:
        zh_unit = q.unit.zh if q.unit else ""
        en_unit = f" {q.unit.get('en')}" if q.unit else ""
        # a whole-number question is usually "8", not "7.5" (half up, not to even)
        ref = _fmt(math.floor(self.reference + 0.5) if q.type == "integer" else self.reference)
        return Text(f"与上期差异较大,请确认(近几期一般为 {ref}{zh_unit})。",
                    f"Very different from your recent months (usually {ref}{en_unit}); "
                    "please confirm.")


def implausible(rule: Plausibility, value: float, recent: list[float]) -> float | None:
    """The reference (median of the last `rule.months` values) when `value` is more than
    `rule.factor` times above or below it (or more) and differs by more than `rule.min_change`;
    otherwise None. Without history there is nothing to compare with."""
    recent = recent[:rule.months]
    if not recent:
        return None
    reference = float(statistics.median(recent))
    if abs(value - reference) <= rule.min_change:
        return None
    if value >= reference * rule.factor or value * rule.factor <= reference:
        return reference
    return None


@dataclass(frozen=True)
class Elsewhere:
    """Work on this form saved or submitted in another tab or device since this one opened or
    last saved: the page asks before overwriting it (no silent last-writer-wins)."""

    kind: str                 # SUBMITTED_ELSEWHERE or DRAFT_ELSEWHERE
    at: dt.datetime
    revision: int | None = None


SUBMITTED_ELSEWHERE, DRAFT_ELSEWHERE = "submitted", "draft"


def _stamp(answers: dict, section_id: str | None, state: dict) -> str:
    """A draft's content as stored (JSON round trip), to tell whether another tab changed it."""
    return json.dumps(json.loads(json.dumps([answers, section_id, state], default=str)),
                      sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class Summary:
    """What will be submitted, in one line: how many answers, how many as last period, which
    changed (question ids), and answers with nothing to compare (new)."""

    answers: int
    same: int
    changed: tuple[str, ...]
    new: tuple[str, ...]
    period: str | None


def short_name(q: Question, lang: str) -> str:
    """A short name for a question in one-line summaries: its indicator's name, else the label."""
    if q.indicator in INDICATORS:
        ind = INDICATORS[q.indicator]
        return ind.en if lang == "en" else ind.zh
    label = q.label.get(lang)
    return label if len(label) <= 16 else label[:15] + "…"


class FormFlow:
    """One respondent's form for one questionnaire version and period."""

    def __init__(self, qn: Questionnaire, period: str, carried: dict | None = None,
                 carried_from: str | None = None, history: dict | None = None,
                 started_at: dt.datetime | None = None):
        self.qn = qn
        self.period = period
        self.questions = {q.id: q for q in qn.questions}
        self.carried = dict(carried or {})       # last period's answers that carry forward
        self.carried_from = carried_from
        self.history = dict(history or {})       # question id -> recent values, newest first
        self.implied = {q.id: list(q.unchanged) if isinstance(q.unchanged, tuple) else q.unchanged
                        for q in qn.questions if q.unchanged is not None}
        self.answers: dict = dict(self.carried)
        self.section = 0
        self.step = FILL
        self.touched: set[str] = set()           # questions the respondent set or cleared
        self.implied_set: set[str] = set()       # answers an unchanged month gave, not the cadre
        self.shown_required: set[str] = set()    # sections whose missing answers are flagged
        # questions the answers of this post brought into the part (take_changes), and those
        # of them 下一步 showed for the first time: not flagged until the next 下一步
        self.revealed: set[str] = set()
        self.fresh: set[str] = set()
        self.confirmed: dict[str, object] = {}   # soft checks confirmed: question -> value
        self.checks_asked: dict[str, SoftCheck] = {}
        self.unchanged_used = False
        self.finishing = False                   # after the one-step button: go to what is left
        self.revision = False
        self.token = uuid.uuid4().hex
        self.started_at = started_at or _now()
        self.receipt = None
        self.base_revision = 0          # the kept revision this form started from
        self.known_draft: str | None = None  # the stored draft as this form last saw it
        self.elsewhere: Elsewhere | None = None
        self.notice: tuple[str, dict] | None = (
            ("carried_notice", {"period": carried_from}) if self.carried else None)
        self.saved()  # nothing to save until something changes

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, qn: Questionnaire, period: str, recent: list[tuple[str, dict]] = (),
             kept=None, draft=None, now: dt.datetime | None = None) -> "FormFlow":
        """recent: [(period, answers)] of the respondent's last periods, newest first;
        kept: (receipt, answers) when this period is already submitted; draft: (Draft,
        section_id, state) as saved by save_state()."""
        carried, carried_from = {}, None
        if recent:
            carried_from = recent[0][0]
            carried = rules.carried_forward(qn, recent[0][1]) | \
                source_answers.carried(qn, recent[0][1])
        history = {q.id: [float(a[q.id]) for _, a in recent if _is_number(a.get(q.id))]
                   for q in qn.questions if q.type in NUMERIC_TYPES and q.plausibility}
        flow = cls(qn, period, carried, carried_from, history, started_at=now)
        if kept:
            flow.step, flow.receipt = DONE, kept[0]
            flow.base_revision = getattr(kept[0], "revision", 0)
            flow.answers = dict(kept[1])
            flow.notice = None
            flow.saved()
        if draft and (not kept or draft[2].get("revision")):
            flow._restore(*draft)  # submitting deletes drafts: beside a kept one, a revision
            flow.step = CONFIRM if flow.step == CONFIRM else FILL
        return flow

    def _restore(self, saved, section_id: str | None, state: dict) -> None:
        self.known_draft = _stamp(saved.answers, section_id, state)
        self.base_revision = int(state.get("base", self.base_revision))
        self.answers = dict(saved.answers)
        self.started_at = saved.started_at
        ids = [s.id for s in self.qn.sections]
        self.section = ids.index(section_id) if section_id in ids else 0
        self.touched = set(state.get("touched", [])) & set(self.questions)
        self.confirmed = {k: v for k, v in state.get("confirmed", {}).items()
                          if k in self.questions}
        self.checks_asked = {k: SoftCheck(k, *v) for k, v in state.get("checks", {}).items()
                             if k in self.questions}
        # parts whose "next" was tapped with answers missing: their messages stay on (the
        # light form opens the form from its draft on every request)
        self.shown_required = set(state.get("tried", [])) & {s.id for s in self.qn.sections}
        self.fresh = set(state.get("fresh", [])) & set(self.questions)
        self.unchanged_used = bool(state.get("unchanged"))
        self.finishing = bool(state.get("finishing"))
        self.revision = bool(state.get("revision"))
        # drafts saved before "implied" was kept: an implied value the cadre never touched
        self.implied_set = set(state["implied"]) & set(self.implied) if "implied" in state else {
            qid for qid in self.implied
            if qid not in self.touched and self.answers.get(qid) == self.implied[qid]}
        self._drop_implied()
        if state.get("step") == CONFIRM and not self.remaining():
            self.step = CONFIRM
        # short enough for one line at 375 px: the time, with the day only if not today
        same_day = saved.updated_at.date() == _now().date()
        self.notice = ("draft_restored_short", {
            "at": saved.updated_at.strftime("%H:%M" if same_day else "%m-%d %H:%M"),
            "section": self.qn.sections[self.section].title if self.step == FILL else None})
        self.saved()

    # -- what the page shows -----------------------------------------------------------------
    @property
    def current(self):
        return self.qn.sections[min(self.section, len(self.qn.sections) - 1)]

    def visible(self) -> dict[str, bool]:
        return rules.visibility(self.qn, self.answers)

    def shown_questions(self) -> list[Question]:
        shown = self.visible()
        return [q for q in self.current.questions if shown[q.id]]

    def progress(self) -> tuple[int, int]:
        """(answered, asked): questions asked, relevance applied, counted as they are answered
        validly (3.7 in a whole-number question is not answered yet)."""
        answered, asked = rules.progress(self.qn, self.answers)
        shown = self.visible()
        invalid = sum(1 for qid, problem in rules.validate(self.qn, self.answers).items()
                      if shown.get(qid) and problem is not rules.REQUIRED
                      and not rules.is_blank(self.answers.get(qid)))
        return answered - invalid, asked

    def is_carried(self, qid: str) -> bool:
        """The answer on screen is last period's."""
        return qid in self.carried and self.answers.get(qid) == self.carried[qid]

    def message(self, qid: str) -> Text | None:
        """The message next to a field: a problem with the answer, "please answer" once the
        section was tried or the field was emptied, else None (see soft_check too). An empty
        其他(请注明) box is flagged only once the section was tried: picking 其他 opens it, and
        the cadre has not had the chance to type yet."""
        problem = rules.validate(self.qn, self.answers).get(qid)
        tried = self.questions[qid].section_id in self.shown_required
        if problem is rules.REQUIRED and qid in self.fresh:
            return None  # just brought into view by an answer on this part: not seen yet
        if problem is rules.REQUIRED and not tried and qid not in self.touched or \
                problem is rules.OTHER_REQUIRED and not tried:
            return None
        return problem

    def soft_check(self, qid: str) -> SoftCheck | None:
        """An unconfirmed soft check on this question's current answer, if it asks."""
        q = self.questions[qid]
        value = self.answers.get(qid)
        if q.plausibility is None or not _is_number(value) or \
                rules.check_value(q, value) is not None:
            return None
        if qid in self.confirmed and self.confirmed[qid] == value or self.is_carried(qid):
            return None  # confirmed now, or the same as last period (confirmed then)
        reference = implausible(q.plausibility, float(value), self.history.get(qid, []))
        return None if reference is None else SoftCheck(qid, float(value), reference)

    def differs(self) -> list[str]:
        """Asked questions whose answer is not what last period (or an unchanged month)
        gives: carried answers that were changed or emptied, implied ones answered otherwise."""
        shown = self.visible()
        result = []
        for q in self.qn.questions:
            if not shown[q.id]:
                continue
            value = self.answers.get(q.id)
            other = rules.other_key(q.id)
            if q.id in self.carried and (value != self.carried[q.id] or rules.other_text(
                    q, self.answers) != self.carried.get(other)):
                result.append(q.id)
            elif q.id in self.implied and not rules.is_blank(value) and value != self.implied[q.id]:
                result.append(q.id)
            elif q.id not in self.carried and q.id not in self.implied and q.id in self.touched \
                    and self.carried and _has_baseline(q):
                result.append(q.id)  # answered afresh where last period had nothing to carry
        return result

    def offer(self) -> str | None:
        """The one-step button's meaning now, or None when there is nothing to keep."""
        if self.step != FILL:
            return None
        if self.finishing:
            return None  # used already: "next" now leads through what is left
        if self.revision:
            return KEEP_AS_IS
        if not self.carried:
            return None
        return KEEP_REST if self.differs() else NOTHING_CHANGED

    def remaining(self) -> list[str]:
        """Questions that still stop a submission, in order: problems and unconfirmed soft
        checks."""
        shown = self.visible()
        errors = source_answers.problems(self.qn, self.answers, shown) | \
            rules.validate(self.qn, self.answers)
        return [q.id for q in self.qn.questions
                if shown[q.id] and (q.id in errors or self.soft_check(q.id))]

    def leads_to_confirm(self) -> bool:
        """Whether "next" here ends at the confirmation (the button then says so)."""
        if self.section >= len(self.qn.sections) - 1:
            return True
        here = self.current.id
        return self.finishing and all(self.questions[qid].section_id == here
                                      for qid in self.remaining())

    def summary(self) -> Summary:
        stored = {qid: v for qid, v in rules.clean(self.qn, self.answers).items()
                  if qid in self.questions}  # an "other" text is part of its question
        changed = tuple(self.differs())
        same = sum(1 for qid, v in stored.items()
                   if self.carried.get(qid, self.implied.get(qid)) == v and qid not in changed)
        new = tuple(qid for qid in stored if qid not in changed and
                    qid not in self.carried and qid not in self.implied)
        return Summary(len(stored), same, changed, new, self.carried_from)

    # -- actions -----------------------------------------------------------------------------
    def set_answer(self, qid: str, value) -> list[str]:
        """An answer typed, picked or emptied by the respondent (or the text of a question's
        "other" choice, under rules.other_key(id)). Returns the questions whose implied answer
        this change dropped (the page forgets their widgets). After the one-step button,
        giving the last missing answer goes straight to the confirmation."""
        if source_answers.is_key(qid):
            return self._set_source(qid, value)
        if qid not in self.questions and qid.endswith(rules.OTHER_SUFFIX):
            return self._set_other(qid[:-len(rules.OTHER_SUFFIX)], value)
        value = rules.from_input(self.questions[qid], value)
        if value == self.answers.get(qid) and qid in self.answers:
            return []
        was_left = self.finishing and self.step == FILL and qid in self.remaining()
        self.answers[qid] = value
        self.touched.add(qid)
        self.implied_set.discard(qid)  # chosen by the cadre now
        self.unchanged_used = False
        if qid in self.confirmed and self.confirmed[qid] != value:
            del self.confirmed[qid]
        check = self.soft_check(qid)
        if check:
            self.checks_asked[qid] = check
        self.notice = None
        dropped = self._drop_implied()
        if was_left:
            self._finish_if_complete()
        return dropped

    def _set_other(self, qid: str, text) -> list[str]:
        """The text typed in a question's "other" box: kept verbatim, part of that question."""
        key = rules.other_key(qid)
        text = None if rules.is_blank(text) else text
        if text == self.answers.get(key):
            return []
        was_left = self.finishing and self.step == FILL and qid in self.remaining()
        self.answers[key] = text
        self.touched.add(qid)
        self.notice = None
        dropped = self._drop_implied()
        if was_left:
            self._finish_if_complete()
        return dropped

    def _set_source(self, key: str, value) -> list[str]:
        """A source block's value (survey.source_answers): kept like an answer, never stored
        as one; its problem stops the form at the question it sits beside."""
        anchor = source_answers.blocks(self.qn).get(key)
        if anchor is None or value == self.answers.get(key):
            return []
        was_left = self.finishing and self.step == FILL and anchor in self.remaining()
        if rules.is_blank(value):
            self.answers.pop(key, None)
        else:
            self.answers[key] = value
        self.notice = None
        if was_left:
            self._finish_if_complete()
        return []

    def _drop_implied(self) -> list[str]:
        """An unchanged month implies some answers (e.g. "no change in burden") only while
        nothing differs from last period: once something does, those answers go and the
        questions are asked (an answer the cadre chose stays)."""
        if not self.implied_set or not [q for q in self.differs() if q not in self.implied_set]:
            return []
        dropped = sorted(self.implied_set)
        for qid in dropped:
            self.answers.pop(qid, None)
        self.implied_set = set()
        self.unchanged_used = False
        if self.step == CONFIRM and self.remaining():
            self._go_on(from_section=0)
        return dropped

    def _finish_if_complete(self) -> None:
        if not self.remaining():
            self.step, self.notice = CONFIRM, None

    def confirm(self, qid: str) -> None:
        """The respondent says the checked answer is right: it stands, asked once."""
        was_left = self.finishing and self.step == FILL and qid in self.remaining()
        check = self.soft_check(qid)
        if check:
            self.checks_asked[qid] = check
        self.confirmed[qid] = self.answers.get(qid)
        if was_left:
            self._finish_if_complete()

    def keep_last_period(self) -> None:
        """The one-step button: fill every question the respondent did not touch with last
        period's answer (and, when nothing differs, the answers an unchanged month implies);
        then go to what is left, or to the confirmation."""
        unchanged = not self.revision and not self.differs()
        for q in self.qn.questions:
            if q.id in self.touched or not rules.is_blank(self.answers.get(q.id)):
                continue
            if q.id in self.carried:
                self.answers[q.id] = self.carried[q.id]
                other = rules.other_key(q.id)
                if other in self.carried and rules.is_blank(self.answers.get(other)):
                    self.answers[other] = self.carried[other]
            elif unchanged and q.id in self.implied:
                self.answers[q.id] = self.implied[q.id]
                self.implied_set.add(q.id)
        self.unchanged_used = unchanged
        self.finishing = True
        self._go_on(from_section=0)

    def next(self) -> bool:
        """Next section (or what is left, or the confirmation). False, with the section's
        messages switched on, while this section has problems or unconfirmed checks."""
        here = {q.id for q in self.shown_questions()}
        missing = {qid for qid in self.remaining() if qid in here}
        # a question an answer of this post revealed (A3 after A2 = 1) is shown, not flagged
        self.fresh, self.revealed = missing & self.revealed, set()
        if missing:
            if missing - self.fresh:
                self.shown_required.add(self.current.id)
            return False
        last = self.section >= len(self.qn.sections) - 1
        if self.finishing or last:
            self._go_on(from_section=self.section + 1)
        else:
            self.section += 1
            self.notice = None
        return True

    def page_changes(self, posted: dict, drawn: dict, marked: set[str] = frozenset()) -> dict:
        """The answers a page changed: of `posted` ({question id or its "other" key: the value
        as the page sent it}), those that differ from what the page drew (`drawn`, same keys,
        values as stored). A field left as drawn is not a change: it must not count as touched,
        nor put a value back over another tab's (no silent last-writer-wins). `marked`: the
        questions the page says the cadre changed (its script knows), changes whatever drawn."""
        changed = {}
        for key, value in posted.items():
            own = key.removesuffix(rules.OTHER_SUFFIX) if key not in self.questions else key
            if key not in drawn and own not in marked:
                continue
            q = self.questions.get(key)
            typed = rules.from_input(q, value) if q else (None if rules.is_blank(value) else value)
            if own in marked or _differs(typed, drawn.get(key)):
                changed[key] = value
        return changed

    def take_changes(self, changes: dict, drawn: dict) -> list[str]:
        """Set the answers a page changed (page_changes) on this form, which may hold a newer
        draft than the page was drawn from (another tab or device saved since). A field only
        one side changed takes that side's value; one both changed, differently, is left as
        the newer draft has it and returned: the page asks which to keep."""
        clashes, before = [], self.visible()
        for key, value in changes.items():
            q = self.questions.get(key)
            mine = rules.from_input(q, value) if q else (None if rules.is_blank(value) else value)
            now = self.answers.get(key)
            if _differs(now, drawn.get(key)) and _differs(now, mine):
                clashes.append(key)
            else:
                self.set_answer(key, value)
        after = self.visible()
        self.revealed = {q.id for q in self.current.questions if after[q.id] and not before[q.id]}
        if self.step == CONFIRM and self.remaining():  # an older page's answer to see to
            self._go_on(from_section=0)
        return clashes

    def page_opened_at(self, at: dt.datetime | None) -> None:
        """The page a post came from was drawn at `at`. A form with no draft yet started then
        (a front end that keeps no form between requests would otherwise start the clock of
        the form's own burden at the first post). A time in the future or older than a cadre
        session can idle is not taken."""
        if at is None or self.known_draft is not None or self.revision or self.step != FILL:
            return
        now = _now()
        if now - dt.timedelta(seconds=PAGE_AGE_LIMIT_S) <= at <= now:
            self.started_at = min(self.started_at, at)

    def back(self) -> None:
        if self.step == CONFIRM:
            self.step = FILL
        else:
            self.section = max(0, self.section - 1)
        self.notice = None

    def edit(self, section_index: int) -> None:
        """From the confirmation back to one section; its "next" returns to the confirmation."""
        self.step, self.section, self.finishing, self.notice = FILL, section_index, True, None

    def _go_on(self, from_section: int) -> None:
        left = self.remaining()
        if not left:
            self.step, self.notice = CONFIRM, None
            return
        order = [s.id for s in self.qn.sections]
        sections = [order.index(self.questions[qid].section_id) for qid in left]
        later = [i for i in sections if i >= from_section]
        self.section = later[0] if later else sections[0]
        self.step = FILL
        self.notice = self.still_to_answer()

    def still_to_answer(self) -> tuple[str, dict] | None:
        """The notice while answers still stop a submission (after the one-step button): how
        many, and which in this section (also for a form reopened from its draft there)."""
        left = self.remaining()
        if not left or self.step != FILL:
            return None
        here = [self.questions[qid].label for qid in left
                if self.questions[qid].section_id == self.current.id]
        return ("still_to_answer", {"n": len(left), "questions": here})

    def submitted(self, receipt) -> None:
        self.step, self.receipt, self.notice = DONE, receipt, None
        self.base_revision = getattr(receipt, "revision", self.base_revision)
        self.known_draft, self.elsewhere = None, None  # a submission deletes the draft

    def revise(self) -> None:
        """Change a submitted period: the submitted answers stay until changed."""
        self.step, self.section, self.revision = FILL, 0, True
        self.base_revision = getattr(self.receipt, "revision", self.base_revision)
        self.token = uuid.uuid4().hex
        self.started_at = _now()
        self.touched, self.shown_required, self.fresh = set(), set(), set()
        self.confirmed, self.checks_asked = {}, {}
        # a submitted unchanged month's implied answers go once something is changed
        self.implied_set = set() if self.differs() else {
            qid for qid in self.implied if self.answers.get(qid) == self.implied[qid]}
        self.unchanged_used = self.finishing = False
        self.notice = None

    # -- records -----------------------------------------------------------------------------
    def record(self) -> dict:
        """What is stored with the submission about filling it (survey.store.forms)."""
        shown = self.visible()
        soft = [(qid, check.value, check.reference,
                 qid in self.confirmed and self.confirmed[qid] == self.answers.get(qid))
                for qid, check in sorted(self.checks_asked.items()) if shown.get(qid)]
        return {"items_asked": sum(shown.values()),
                "confirmed_unchanged": self.unchanged_used and not self.differs(),
                "soft_checks": soft}

    def state(self) -> dict:
        """The flow state a draft keeps besides the answers (JSON)."""
        return {"touched": sorted(self.touched), "implied": sorted(self.implied_set),
                "confirmed": self.confirmed,
                "checks": {k: [c.value, c.reference] for k, c in self.checks_asked.items()},
                "unchanged": self.unchanged_used, "finishing": self.finishing,
                "revision": self.revision, "step": self.step, "base": self.base_revision,
                "tried": sorted(self.shown_required), "fresh": sorted(self.fresh)}

    def fingerprint(self) -> str:
        return json.dumps([self.answers, self.current.id, self.state()], sort_keys=True,
                          ensure_ascii=False, default=str)

    def needs_saving(self) -> bool:
        """Something changed since the last save (never after submitting)."""
        return self.step != DONE and self.fingerprint() != self._saved

    def saved(self) -> None:
        """The server has this form as it is now (or it was just opened from there)."""
        self._saved = self.fingerprint()
        self._saved_answers = dict(self.answers)

    def unsaved_changes(self) -> tuple[dict, set[str]]:
        """Answers changed since the form last saved or opened: {id: value}, and ids removed."""
        changed = {qid: v for qid, v in self.answers.items()
                   if qid not in self._saved_answers or self._saved_answers[qid] != v}
        return changed, set(self._saved_answers) - set(self.answers)


def _differs(a, b) -> bool:
    """Two answers differ (ticked boxes in another order are the same answer)."""
    if isinstance(a, list) and isinstance(b, list):
        return sorted(map(str, a)) != sorted(map(str, b))
    return a != b


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _has_baseline(q: Question) -> bool:
    return q.carry_forward or q.unchanged is not None


# -- with the store ----------------------------------------------------------------------------
def open_form(store, respondent, qn: Questionnaire, period: str) -> FormFlow:
    """Everything a form needs from the database, read once per session: the last periods'
    answers (carry-forward and soft checks), a kept submission, a draft with its position."""
    from survey.store import forms
    looks = max([q.plausibility.months for q in qn.questions if q.plausibility] + [1])
    recent = forms.recent_answers(store, respondent, qn, period, look_back=max(12, looks))
    kept = store.kept(respondent, qn.id, period)
    draft = forms.draft(store, respondent, qn.id, period)
    if qn.sources:  # kept in source_report, not as answers: a revision and carry-forward
        recent, kept = _with_sources(store, respondent, qn, period, recent, kept)
    return FormFlow.open(qn, period, recent, kept, draft)


def _with_sources(store, respondent, qn: Questionnaire, period: str, recent, kept):
    """The kept answers of this period and the last one with their source blocks."""
    from survey.store import source_reports
    wanted = [period] + [recent[0][0]] if recent else [period]
    rows = source_reports.kept_rows(store, respondent, qn.id, wanted)
    if recent:
        last, answers = recent[0]
        recent = [(last, answers | source_answers.answers_of(rows.get(last, [])))] + recent[1:]
    if kept:
        kept = (kept[0], kept[1] | source_answers.answers_of(rows.get(period, [])))
    return recent, kept


def save(store, respondent, flow: FormFlow, overwrite: bool = False) -> None:
    """Keep the draft and where the respondent is on the server, when something changed. A
    draft another tab or device saved since this form last saw it is not replaced unless
    `overwrite`: flow.elsewhere says so and the page asks which answers to go on with;
    meanwhile this form's changes go into that draft (_keep_changes_in)."""
    from survey.store import forms
    if not overwrite and not flow.needs_saving():
        return
    if flow.elsewhere and flow.elsewhere.kind == SUBMITTED_ELSEWHERE and not overwrite:
        return  # the period was submitted elsewhere: the page asks (see submit)
    stored = None if overwrite else forms.draft(store, respondent, flow.qn.id, flow.period)
    if stored is not None and (flow.elsewhere or
                               _stamp(stored[0].answers, stored[1], stored[2]) != flow.known_draft):
        _keep_changes_in(store, respondent, flow, stored)
        return
    state = flow.state()
    forms.save_draft(store, respondent, flow.qn, flow.period, flow.answers, flow.started_at,
                     flow.current.id, state)
    flow.known_draft, flow.elsewhere = _stamp(flow.answers, flow.current.id, state), None
    flow.saved()


def _keep_changes_in(store, respondent, flow: FormFlow, stored) -> None:
    """Another tab or device saved a newer draft. Until the cadre chooses, the answers this
    form changed since it last saved go into that draft, the other's answers stay: closing
    either page without choosing loses nothing typed on either (issue 19, fault 2: this form's
    edits were not saved at all while the page asked)."""
    from survey.store import forms
    draft, section_id, state = stored
    if flow.elsewhere is None:
        flow.elsewhere = Elsewhere(DRAFT_ELSEWHERE, draft.updated_at)
    changed, removed = flow.unsaved_changes()
    if changed or removed:
        answers = {qid: v for qid, v in draft.answers.items() if qid not in removed} | changed
        touched = set(state.get("touched", [])) | set(changed) | removed
        forms.save_draft(store, respondent, flow.qn, flow.period, answers, draft.started_at,
                         section_id, {**state, "touched": sorted(touched)})
    flow.saved()


def already_received(store, respondent, flow: FormFlow, token: str):
    """The receipt of this cadre's submission of this form's period sent with `token`, or None.
    A submit sent again with its key (the answer to the first was lost on the network) finds
    the first one here: the page says it was received, and nothing is submitted twice. A
    token of another cadre or period is no receipt of this one."""
    receipt = store._receipt_for_token(token)
    if receipt is None or (receipt.questionnaire_id, receipt.period_key) != \
            (flow.qn.id, flow.period):
        return None
    mine = {r.submission_id for r in store.history(respondent, flow.qn.id, flow.period)}
    return receipt if receipt.submission_id in mine else None


def submit(store, respondent, flow: FormFlow, overwrite: bool = False):
    """Record how filling went under the submission's token, then submit (the record shows only
    once the submission exists). Returns the receipt; store errors propagate unchanged.
    When this period was submitted elsewhere since the form opened, returns None with
    flow.elsewhere set (the page offers the newer answers or a revision with these), unless
    `overwrite`."""
    from survey.store import forms
    kept = store.kept(respondent, flow.qn.id, flow.period)
    if kept and kept[0].revision > flow.base_revision and not overwrite:
        flow.elsewhere = Elsewhere(SUBMITTED_ELSEWHERE, kept[0].submitted_at, kept[0].revision)
        return None
    record = flow.record()
    forms.record_flow(store, flow.token, record["items_asked"], record["confirmed_unchanged"],
                      record["soft_checks"])
    sources = source_answers.report(respondent.point, flow.qn, flow.period, flow.answers,
                                    flow.visible())
    receipt = store.submit(respondent, flow.qn, flow.period, flow.answers, flow.token,
                           started_at=flow.started_at, sources=sources)
    flow.submitted(receipt)
    return receipt
