"""The chaos robot: a cadre who types and taps fast on a phone while the database goes away and
comes back, the network drops and the page is reloaded; afterwards the database (not the page)
must hold every value typed, and no answer may have turned empty.

The robot is front-end neutral. Its random script (which field, which value, which tap, which
fault) comes from a seed and the questionnaire model; its check reads drafts and submissions
through the store. Everything it does to the page goes through a FormDriver: a small class per
front end that knows how to find a question's field, type into it, tap the form's buttons and
say what the screen shows. tests/chaos_light.py is the driver for the light form (/f, issue
27; the Streamlit fill page had one too until it went); a driver for another front end
implements the same seven methods and says what its screens are (Screen: the kind, the
questions on screen, whether a "not saved" notice is in view); nothing else here changes.

One run (tests/test_chaos_light.py):
    robot = Robot(driver, faults, qn, period, carried_from, last_answers, seed=7)
    robot.checkpoint_store = lambda: check_store(store, respondent, qn, period,
                                                 robot.carried, robot.ledger)
    robot.stored = lambda: stored_answers(store, respondent, qn, period)[1]
    ledger = robot.run(steps=60)          # drives the page; faults come and go
    problems = ledger.problems + robot.checkpoint_store()   # [] when nothing is lost
"""

from __future__ import annotations

import abc
import datetime as dt
import os
import random
import re
import time
from dataclasses import dataclass, field

from survey import answers as rules
from survey.form_flow import FormFlow
from survey.questionnaire.model import NUMERIC_TYPES, Questionnaire

# -- what the robot asks of a front end ------------------------------------------------------
# Taps (FormDriver.tap): the form's own buttons, whatever they are called on screen.
NEXT = "next"          # 下一步, or 检查答案 when it leads to the confirmation
BACK = "back"          # 上一步
KEEP = "keep"          # the one-step button: 与上期相同,一键确认 / 其余保持上期,去提交 / ...
SUBMIT = "submit"      # 提交 on the confirmation
REVISE = "revise"      # 修改本期答案 on the receipt
RETRY = "retry"        # the page's "try again" after a database outage
KEEP_MINE = "keep_mine"  # "keep this page's answers" when another tab saved a newer draft
TAPS = (NEXT, BACK, KEEP, SUBMIT, REVISE, RETRY, KEEP_MINE)

# Screens (Screen.kind)
SECTION, CONFIRM, RECEIPT, OUTAGE, ELSEWHERE, OTHER = (
    "section", "confirm", "receipt", "outage", "elsewhere", "other")

CHOICE_TYPES = ("single_choice", "likert", "yes_no")
NOT_SHOWN = object()


@dataclass(frozen=True)
class Screen:
    """What the page shows, as the robot needs it."""

    kind: str                         # one of SECTION ... OTHER
    fields: tuple[str, ...] = ()      # ids of the questions whose fields are on screen
    unsaved: bool = False             # the page says, in view, that something is not saved
    text: str = ""                    # the visible text, for the language check and logs


class FormDriver(abc.ABC):
    """One front end of the cadres' form, driven in a Playwright page.

    Questions are named by id and answers are answer values (survey.answers: int/float for
    numbers, the choice code for choices, bool for yes/no); how they look on screen is the
    driver's business. Every method returns quickly: the robot taps while runs are going, so
    a method that cannot act now (the field is not there, the page is busy) returns False
    rather than waiting."""

    def __init__(self, page, qn: Questionnaire, lang: str = "zh"):
        self.page, self.qn, self.lang = page, qn, lang
        self.questions = {q.id: q for q in qn.questions}
        self.errors: list[str] = []  # uncaught errors in the page's scripts
        page.on("pageerror", lambda error: self.errors.append(str(error)[:300]))

    @abc.abstractmethod
    def open(self, base_url: str, code: str) -> None:
        """Open the form as the QR link on a code sheet does, and wait until it shows."""

    @abc.abstractmethod
    def screen(self) -> Screen:
        """What the page shows now (without waiting for anything)."""

    @abc.abstractmethod
    def type(self, qid: str, value, commit: bool) -> bool:
        """Give question `qid` the answer `value` as a person would (type the number, tap the
        choice). commit: also confirm the field (Enter) rather than leave it to the next tap.
        False when the field is not on screen or not editable now."""

    @abc.abstractmethod
    def tap(self, action: str) -> bool:
        """Tap one of the form's buttons (NEXT, BACK, ...); False when it is not on screen."""

    @abc.abstractmethod
    def shown(self, qid: str):
        """The answer the field shows (an answer value, None when empty), or NOT_SHOWN when
        the field is not on screen."""

    @abc.abstractmethod
    def settle(self, timeout: float = 30) -> bool:
        """Wait until the page has finished what the last taps started; False on timeout."""

    @abc.abstractmethod
    def busy(self) -> bool:
        """The whole page is being rebuilt (reloading, reconnecting): a value typed now may
        never reach the app, and the page will show what it has once it is back."""

    def reload(self) -> bool:
        """Reload as a cadre does; False when the browser asked first ("Leave site?": the page
        holds something not saved yet) and the cadre stayed."""
        from playwright.sync_api import Error as PlaywrightError
        unsaved = "() => !!(window.__surveyUnsaved && window.__surveyUnsaved())"
        try:
            if self.page.evaluate(unsaved):
                # the question is answered "stay" (Playwright dismisses dialogs nobody handles)
                self.page.evaluate("() => location.reload()")
                return False
            self.page.reload()
        except PlaywrightError:  # asked after all (a change committed meanwhile), or went away
            return False
        return True


class Faults(abc.ABC):
    """The world around the page: the database and the network."""

    @abc.abstractmethod
    def database(self, up: bool) -> None:
        """Stop or start the database server (its data kept)."""

    @abc.abstractmethod
    def network(self, up: bool) -> None:
        """Cut or restore the phone's network (open connections break)."""

    @abc.abstractmethod
    def fade(self) -> None:
        """The signal fades before it drops: what the page sends still arrives, what comes
        back is lost (until network(False))."""


# -- the record of what was typed --------------------------------------------------------------
@dataclass
class Ledger:
    """What was typed. A value typed on a settled page and committed is certain: it must be
    stored. A value whose fate the robot cannot know (typed while the whole page was being
    rebuilt, or left uncommitted in a field the page then replaced) is only possible: the
    stored answer may be it or the certain one before it, but never empty or older."""
    seed: int
    typed: dict[str, object] = field(default_factory=dict)  # question -> last certain value
    maybe: dict[str, list] = field(default_factory=dict)    # question -> possible values since
    events: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)       # seen on the page during the run
    started: float = field(default_factory=time.monotonic)

    def log(self, text: str) -> None:
        self.events.append(f"{time.monotonic() - self.started:6.1f}s {text}")
        if os.environ.get("CHAOS_TRACE"):  # wall-clock times, to lay beside the server's log
            with open(os.environ["CHAOS_TRACE"], "a") as trace:
                print(f"{time.time():.3f} robot {text}", file=trace)

    def tail(self, n: int = 200) -> str:
        return "\n".join(self.events[-n:])

    def certain(self, qid: str, value) -> None:
        self.typed[qid] = value
        self.maybe.pop(qid, None)

    def possible(self, qid: str, value) -> None:
        self.maybe.setdefault(qid, []).append(value)


def expected_answers(carried: dict, ledger: Ledger) -> dict:
    """What the stored answers must hold: last period's carried answers, overwritten by every
    value typed (the robot never types a value that hides a question or breaks a rule)."""
    return {**carried, **ledger.typed}


def stored_answers(store, respondent, qn: Questionnaire, period: str) -> tuple[str, dict] | None:
    """(where, answers) the database holds for this cadre: the draft, or the submission when
    there is no draft; None when neither."""
    from survey.store import forms
    draft = forms.draft(store, respondent, qn.id, period)
    if draft is not None:
        return "draft", draft[0].answers
    kept = store.kept(respondent, qn.id, period)
    if kept is not None:
        return f"submission rev {kept[0].revision}", kept[1]
    return None


def check_store(store, respondent, qn: Questionnaire, period: str, carried: dict,
                ledger: Ledger) -> list[str]:
    """Problems with what the database holds for this cadre, [] when nothing is lost: the
    draft, or the submission when there is no draft, must hold every value typed and every
    carried answer that was not typed over; nothing of it may be missing or empty."""
    found = stored_answers(store, respondent, qn, period)
    if found is None:
        return [f"nothing stored, typed {ledger.typed}"] if ledger.typed else []
    where, stored = found
    problems = []
    for qid, want in expected_answers(carried, ledger).items():
        got = stored.get(qid)
        if got != want and got not in ledger.maybe.get(qid, []):
            how = "typed" if qid in ledger.typed else "carried"
            maybe = f" (or maybe {ledger.maybe[qid]})" if qid in ledger.maybe else ""
            problems.append(f"{where}: {qid} = {got!r}, {how} {want!r}{maybe}")
    return problems


# -- the random cadre ------------------------------------------------------------------------
# A word with lower-case letters: not "APP" (in a question) nor a receipt number ("5QKQ-YMXY").
ENGLISH_WORD = re.compile(r"[A-Za-z]*[a-z]{2,}[A-Za-z]*")


def foreign_words(text: str, lang: str) -> set[str]:
    """English words in the visible text of a Chinese page (framework text left untranslated)."""
    return set(ENGLISH_WORD.findall(text)) if lang == "zh" else set()


def same_answer(shown, value) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return shown is not None and float(shown) == float(value)
        except (TypeError, ValueError):
            return False
    return shown == value


class Robot:
    """Seeded random fast typing and taps, with database outages, network drops and reloads.

    The seed decides the script (what to do next and with which value); timing is real, so a
    run with the same seed meets the page in a similar, not identical, state. Values are
    chosen with the questionnaire's own rules (survey.form_flow) so that each one is valid
    and hides no question: every value typed must then be stored as typed.

    A number typed without Enter counts once the robot's next move (a tap, or typing in
    another field) happens while it is still in its field: that move commits it. A value the
    page replaced before anything committed it, typed over, or left in its field at a reload
    or at the end never reached the page (a front end that saves on every keystroke passes
    anyway)."""

    # how often each kind of step is picked
    WEIGHTS = {"type": 40, "tap": 30, "flip": 8, "reload": 3, "database": 8, "network": 2,
               "pause": 4, "look": 5}
    # the taps that make sense on each screen (the screen may change before the tap lands)
    TAPS = {SECTION: {NEXT: 10, BACK: 5, KEEP: 2}, CONFIRM: {SUBMIT: 4, BACK: 3},
            RECEIPT: {REVISE: 1}, OUTAGE: {RETRY: 1}, ELSEWHERE: {KEEP_MINE: 1},
            OTHER: {NEXT: 1, BACK: 1}}

    def __init__(self, driver: FormDriver, faults: Faults, qn: Questionnaire, period: str,
                 carried_from: str, last_answers: dict, seed: int, fast: tuple = (0.05, 1.2)):
        self.driver, self.faults, self.qn = driver, faults, qn
        self.random = random.Random(seed)
        self.ledger = Ledger(seed)
        self.fast = fast
        # a shadow of the form's answers, to choose values the form's rules accept
        self.shadow = FormFlow.open(qn, period, [(carried_from, last_answers)],
                                    now=dt.datetime(2000, 1, 1))
        self.carried = dict(self.shadow.carried)
        self.database_up = True
        self.pending: tuple[str, object] | None = None  # typed, not committed yet
        self.checkpoint_store = None  # () -> problems: check_store for this cadre (the test)
        self.stored = None            # () -> the answers stored for this cadre ({} if none)
        self.before_outage: dict = {}     # what was stored when the database went down
        self.typed_in_outage: set[str] = set()  # questions typed (certain) since then
        self.shots = None             # a folder for screenshots of problems

    # -- values --------------------------------------------------------------------------------
    def _candidates(self, qid: str) -> list:
        q = self.driver.questions[qid]
        if q.type == "yes_no":
            return [True, False]
        if q.type in CHOICE_TYPES:
            return [c.value for c in q.choices]
        now = self.shadow.answers.get(qid)
        base = now if isinstance(now, (int, float)) and not isinstance(now, bool) else 5
        low = q.min if q.min is not None else 0
        high = q.max if q.max is not None else base + 50
        if q.type == "integer":
            values = {int(base) + d for d in range(-4, 6)}
        else:
            step = float(q.step or 0.5)
            values = {round(base + d * step, 2) for d in range(-6, 8)}
        return sorted(v for v in values if low <= v <= high and v != now)

    def _acceptable(self, qid: str, value) -> bool:
        """The value keeps the form valid, asks no soft check and hides no question."""
        trial = FormFlow.open(self.qn, self.shadow.period,
                              [(self.shadow.carried_from, self.carried)],
                              now=dt.datetime(2000, 1, 1))
        trial.answers, trial.history = dict(self.shadow.answers), self.shadow.history
        trial.set_answer(qid, value)
        before, after = self.shadow.visible(), trial.visible()
        if any(before[k] and not after[k] for k in before):
            return False
        return set(trial.remaining()) <= set(self.shadow.remaining()) and \
            not trial.soft_check(qid)

    def choose_value(self, qid: str):
        options = [v for v in self._candidates(qid) if self._acceptable(qid, v)]
        return self.random.choice(options) if options else None

    def _typed(self, qid: str, value, busy: bool = False) -> None:
        if busy:  # the whole page was being rebuilt: what the page got is unknown
            self.ledger.possible(qid, value)
            self.ledger.log(f"  {qid}={value!r} typed while the page was rebuilt: maybe")
        else:
            self.ledger.certain(qid, value)
            if not self.database_up:
                self.typed_in_outage.add(qid)
        self.shadow.set_answer(qid, value)

    def _moving_on(self, move) -> bool:
        """Make a move that leaves the field typed without Enter (a tap, typing elsewhere):
        the value counts if it was still in its field and the move happened (that commits
        it); if the move did not happen it stays typed-not-committed. Returns move()."""
        pending, self.pending = self.pending, None
        still_there = pending is not None and same_answer(self.driver.shown(pending[0]),
                                                          pending[1])
        busy = self.driver.busy()
        done = move()
        if pending is not None:
            if still_there and done:
                self._typed(*pending, busy=busy)
            elif still_there:
                self.pending = pending
            else:
                self.pending = pending
                self._drop_pending("gone before it was committed")
        return done

    def _drop_pending(self, why: str) -> None:
        if self.pending is not None:
            qid, value = self.pending
            self.ledger.log(f"  {qid}={value!r} {why}: not counted (maybe)")
            self.ledger.possible(qid, value)
            self.pending = None

    # -- steps ---------------------------------------------------------------------------------
    def pick(self, weights: dict) -> str:
        names = list(weights)
        return self.random.choices(names, [weights[n] for n in names])[0]

    def step(self) -> None:
        getattr(self, f"_{self.pick(self.WEIGHTS)}")()
        time.sleep(self.random.uniform(*self.fast))

    def _type(self) -> None:
        screen = self.driver.screen()
        fields = [f for f in screen.fields if self.driver.questions[f].type in
                  NUMERIC_TYPES + CHOICE_TYPES]
        if screen.kind != SECTION or not fields:
            return self._tap(screen)
        qid = self.random.choice(fields)
        if self.pending and self.pending[0] == qid:
            self._drop_pending("typed over in the same field")
        value = self.choose_value(qid)
        if value is None:
            return
        commit = self.driver.questions[qid].type in CHOICE_TYPES or self.random.random() < 0.4
        busy = self.driver.busy()
        if not self._moving_on(lambda: self.driver.type(qid, value, commit)):
            self.ledger.log(f"type {qid}: field not there")
            return
        self.ledger.log(f"type {qid}={value!r}{' +enter' if commit else ''} on {screen.kind}")
        if commit:
            self._typed(qid, value, busy=busy)
        else:
            self.pending = (qid, value)

    def _tap(self, screen: Screen | None = None) -> None:
        screen = screen or self.driver.screen()
        action = self.pick(self.TAPS[screen.kind])
        done = self._moving_on(lambda: self.driver.tap(action))
        self.ledger.log(f"tap {action} on {screen.kind}{'' if done else ' (not there)'}")
        if screen.kind == OUTAGE:
            self.language_check()

    def _flip(self) -> None:
        """A change of mind: next and at once back (or back and at once next), the second tap
        landing while the page is still answering the first."""
        screen = self.driver.screen()
        if screen.kind != SECTION:
            return self._tap(screen)
        first, second = (NEXT, BACK) if self.random.random() < 0.6 else (BACK, NEXT)
        done = self._moving_on(lambda: self.driver.tap(first))
        time.sleep(self.random.uniform(0.02, 0.3))
        done = [done, self.driver.tap(second)]
        self.ledger.log(f"flip {first}+{second} on {screen.kind} {done}")

    def _reload(self) -> None:
        """A reload, as a cadre does it: not while the page says something is not saved (it
        asks to be kept open), and never a loss when it does not."""
        if not self.database_up:
            return
        self._drop_pending("left in its field at a reload")
        self.driver.settle()
        if self.driver.screen().unsaved:
            self.ledger.log("reload skipped: the page says not saved")
            return
        self.checkpoint("before a reload")
        if not self.driver.reload():
            self.ledger.log("reload: the browser asked first (not saved yet); the cadre stayed")
            return
        self.ledger.log("reload")
        self.driver.settle(60)

    def _database(self) -> None:
        if self.database_up and self.stored is not None:
            self.before_outage, self.typed_in_outage = self.stored(), set()
        self.database_up = not self.database_up
        self.ledger.log(f"database {'up' if self.database_up else 'DOWN'}")
        self.faults.database(self.database_up)

    def _network(self) -> None:
        """A few seconds without signal: long enough for the framework's reconnect dialog.
        Half the time the signal fades first and a tap goes out whose answer never comes."""
        if self.random.random() < 0.5:
            self.ledger.log("network fading")
            self.faults.fade()
            self._tap()
            time.sleep(self.random.uniform(0.3, 1.5))
        self.ledger.log("network DOWN")
        self.faults.network(False)
        time.sleep(self.random.uniform(3, 6))
        self.language_check()
        self._tap()  # a tap while offline
        self.faults.network(True)
        self.ledger.log("network up")

    def _pause(self) -> None:
        time.sleep(self.random.uniform(0.5, 3))

    def _look(self) -> None:
        """The cadre looks at the page once it has finished: when it says nothing is unsaved,
        the database must have everything (while the database is down: nothing may have been
        typed since it went down, or the page must say so)."""
        if not self.driver.settle(10):
            return
        screen = self.driver.screen()
        self.ledger.log(f"look: {screen.kind}{' (not saved)' if screen.unsaved else ''}")
        if screen.unsaved or screen.kind not in (SECTION, CONFIRM, RECEIPT):
            return
        if self.database_up:
            return self.checkpoint("a settled page")
        unsaved = {qid: self.ledger.typed[qid] for qid in sorted(self.typed_in_outage)
                   if qid not in self.ledger.maybe
                   and self.before_outage.get(qid) != self.ledger.typed[qid]}
        if unsaved:
            self.problem(f"the database is down and the page does not say that {unsaved} "
                         "typed since are not saved")

    # -- checks during and after the run ---------------------------------------------------------
    def problem(self, text: str) -> None:
        self.ledger.problems.append(text)
        self.ledger.log(f"PROBLEM {text}")
        if self.shots is not None:
            name = f"seed{self.ledger.seed}-problem{len(self.ledger.problems)}.png"
            self.driver.page.screenshot(path=str(self.shots / name))

    def checkpoint(self, when: str) -> None:
        """The page, settled, says everything is saved: then the database must have it."""
        if self.checkpoint_store is None:
            return
        if self.pending is not None:  # typed, not committed: a page that saves as the cadre
            self.ledger.possible(*self.pending)  # types may have it already (the light form)
        for problem in self.checkpoint_store():
            self.problem(f"{when}, the page said nothing unsaved: {problem}")

    def language_check(self) -> None:
        words = foreign_words(self.driver.screen().text, self.driver.lang)
        if words:
            self.problem(f"English on the Chinese page: {sorted(words)}")

    def run(self, steps: int) -> Ledger:
        self.ledger.log(f"seed {self.ledger.seed}")
        for _ in range(steps):
            self.step()
        self.finish()
        return self.ledger

    def finish(self) -> None:
        """Everything comes back; the page must then save what it holds, by itself or on the
        one tap a cadre makes when the page asks (try again)."""
        self._drop_pending("never committed (no Enter, no tap after it)")
        if not self.database_up:
            self._database()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.driver.settle()
            screen = self.driver.screen()
            if screen.kind == OUTAGE:
                self.driver.tap(RETRY)
            elif not screen.unsaved:
                break
            time.sleep(1)
        screen = self.driver.screen()
        self.language_check()
        for error in self.driver.errors:  # e.g. "Bad delta path index 5": a blank page
            self.problem(f"the page's scripts failed: {error}")
        if screen.unsaved:
            self.problem("the page still says not saved 30 s after the database came back")
        self.ledger.log(f"finished on {screen.kind}; {len(self.ledger.typed)} questions typed, "
                        f"{sum(map(len, self.ledger.maybe.values()))} values only possible")
