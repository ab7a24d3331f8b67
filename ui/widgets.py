"""One Streamlit widget per question type. Values go in and out as answer values
(see survey.answers); widget state is seeded from the answers so it survives section changes.
With `on_change`, a change reaches the caller (on_change(question_id, answer)) before the page
reruns, so everything drawn above the field (progress, buttons) is current.

FormFields keeps a form's fields and the browser in step: which fields the browser holds, and
under which keys (see its docstring for why)."""

from __future__ import annotations

import datetime as dt
import html

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from survey.answers import OTHER_SUFFIX, from_input, other_chosen, other_key
from survey.questionnaire.model import Question
from ui.text import plain

YES_NO = (True, False)
# Far above any question's max_length, and within the store's draft limit (MAX_DRAFT_CHARS).
TEXT_HARD_CAP = 20_000


class FormFields:
    """The widget keys of one form's fields, and which of them the browser holds.

    A field's answer is sent to the browser only through its widget state (st.session_state
    written before the widget is drawn); a field the browser already holds keeps what it shows
    (so what a cadre is typing there is never overwritten, also when a full run redraws the
    page after the connection came back). The browser holds the fields the page's previous run
    drew: it drops the others when a run ends, and a full run that did not draw the form (the
    database message) drops them all. A browser event re-sends the fields it still held, which
    gives the server state again for fields the browser is about to drop, and Streamlit keeps
    the state of fields a run it ended early did not draw. So "the server has state for the
    key" does not mean "the browser shows it": a field not drawn by the previous run is sent
    its answer every time. (Seeding only missing keys mounted such fields empty, and the next
    event sent the empty fields as the cadre's answers: issue 19, fault 1.) Nor does "the
    previous run drew it": that run's answer may never have reached the browser (the network
    dropped while it was on its way; the browser then comes back with the screen before). So
    a field counts as held only if the browser also reported it with the event that started
    this run (_reported); otherwise it is sent its answer. (Without this, after such a drop
    the fields came back empty and the next edit stored them as emptied: issue 19, fault 5.)

    Keys carry a generation: an action that replaces answers on screen (not the cadre's
    typing) draws the fields under new keys (new_fields()). A value from an older key is a
    re-send of what that field held (out of date: ignored) unless the cadre typed it there
    after the action, before the page had changed (typed(): taken, and sent to the current
    field). Full page runs are counted (page_run_starts()). One FormFields per form run.
    """

    def __init__(self, form: str):
        self.form = form
        state = st.session_state
        if state.pop(f"renew|{form}", False):
            new_fields(form)
        page_run = state.get("page_runs", 0)
        drawn_in, held = state.get(f"drawn|{form}", (None, set()))
        fragment_run = bool(getattr(get_script_run_ctx(), "fragment_ids_this_run", None))
        # held still: drawn in this page run, or by the one before when this is the full run
        # drawing it again; otherwise a full run in between left the form out
        still = drawn_in == page_run or not fragment_run and drawn_in == page_run - 1
        self.held: set[str] = held if still else set()
        reported = _reported(self.held)
        if reported is not None:  # ... and the browser says it has them
            self.held = self.held & reported
        self.drawn: set[str] = set()
        state[f"drawn|{form}"] = (page_run, self.drawn)  # this run's fields, for the next
        self.values = _held_values(form)

    def draw(self, qid: str, answer) -> tuple[str, bool]:
        """(key, fresh): the field's key, and whether the browser lacks the field (then it is
        sent `answer`)."""
        key = _key(self.form, qid)
        self.drawn.add(key)
        fresh = key not in self.held
        if fresh:
            self.values[key] = answer
        return key, fresh


def _reported(keys: set[str]) -> set[str] | None:
    """Of these field keys, those whose widgets the browser reported with the event that
    started this run: an event carries the state of every widget the browser holds, empty ones
    included. (Streamlit keeps that report in private parts of its session state, read here
    for Streamlit 1.67 as pinned; None when they are not there. After a run the app started
    itself (st.rerun) they still hold the last event's report and the widgets registered
    since: then fields drawn since that event count as held, as before.)"""
    try:
        state = get_script_run_ctx().session_state._state
        ids = state._key_id_mapper._key_id_mapping
        reported = state._new_widget_state.states
    except AttributeError:
        return None

    def widgets(key: str) -> list[str]:  # a matrix question has one widget a row
        return [wid for k, wid in ids.items() if k == key or k.startswith(key + ":")]
    return {key for key in keys if (found := widgets(key)) and all(w in reported for w in found)}


def _key(form: str, qid: str) -> str:
    return f"{form}:{generation(form)}:{qid}"


def _held_values(form: str) -> dict:
    """Field key -> the answer the browser holds there (sent to it, or last reported by it)."""
    return st.session_state.setdefault(f"held|{form}", {})


def typed(form: str, key: str, value) -> bool:
    """A change event brought `value` for field `key`: whether it is new, not the value the
    browser already held there (re-sent with another event). Records it."""
    values = _held_values(form)
    new = key not in values or values[key] != value
    values[key] = value
    return new


def send_again(form: str, qid: str) -> None:
    """The current field of `qid` is sent its answer on the next draw (a value from an older
    field changed it)."""
    st.session_state.get(f"drawn|{form}", (None, set()))[1].discard(_key(form, qid))


def generation(form: str) -> int:
    return st.session_state.get(f"fields|{form}", 0)


def new_fields(form: str) -> None:
    """Answers on screen were replaced by an action: draw the form's fields under new keys."""
    st.session_state[f"fields|{form}"] = generation(form) + 1


def new_fields_after_callbacks(form: str) -> None:
    """new_fields() from a change callback: once every change of this event is taken (one
    event can carry several fields; the ones after this must not be dropped as stale)."""
    st.session_state[f"renew|{form}"] = True


def page_run_starts() -> None:
    """At the start of every full page run (FormFields tells whether it drew the form)."""
    st.session_state["page_runs"] = st.session_state.get("page_runs", 0) + 1


def _words(q: Question, lang: str) -> str:
    """The question's label and unit as written."""
    text = q.label.get(lang)
    if q.unit:
        text += f"({q.unit.get(lang)})" if lang == "zh" else f" ({q.unit.get(lang)})"
    return text


def label(q: Question, lang: str) -> str:
    """The field's label as a person (and a test) reads it: the question, its unit, a star
    when it must be answered."""
    return " ".join(_words(q, lang).split()) + (" *" if q.required else "")


def _label(q: Question, lang: str) -> str:
    """label() as the widget's markdown source: the questionnaire's words as written
    (ui/text.py), never markdown."""
    return plain(_words(q, lang)) + (" *" if q.required else "")


def _choice(q: Question, lang: str):
    """Radio options render markdown too; select boxes and multiselects show plain text."""
    return lambda code: plain(q.choice_label(code, lang))


def _seed(key: str, value, fresh: bool) -> None:
    if fresh or key not in st.session_state:
        st.session_state[key] = value


def _read(q: Question, key: str):
    """The answer value held by a question's widget state."""
    if q.type == "matrix":
        found = {row.id: st.session_state.get(f"{key}:{row.id}") for row in q.rows}
        return {k: v for k, v in found.items() if v is not None}
    raw = st.session_state.get(key)
    if q.type == "multiple_choice":
        return list(raw or [])
    if q.type == "date":
        return raw.isoformat() if isinstance(raw, dt.date) else None
    if q.type in ("short_text", "long_text"):
        return raw or None
    return from_input(q, raw)


def other_box(q: Question, key: str, value, text: str | None, lang: str, on_change=None,
              fresh: bool = False):
    """The text box under a choice question with `other`, shown while its "other" choice
    (其他(请注明)) is picked; returns the text. Its key is the question's key + ".other", so
    the page treats it as part of the question (survey.answers.other_key)."""
    if not other_chosen(q, value):
        return None
    box = key + OTHER_SUFFIX
    _seed(box, text or "", fresh)
    changed = (lambda: on_change(other_key(q.id), st.session_state.get(box) or None)) \
        if on_change else None
    # The label as written, no markdown: a printed option's "4.其他县" through plain() is
    # "4\\.其他县", and Streamlit gives the field that source as its accessible name (a screen
    # reader, or a search for the field by its label, met the backslash). So the field carries
    # the words as its (hidden) label, and the words are shown above it as text.
    words = f"{' '.join(q.other_choice.label.get(lang).split())} *"
    st.html(f"<p style='font-size:0.875rem;margin-bottom:-0.5rem'>{html.escape(words)}</p>")
    return st.text_input(words, key=box, max_chars=TEXT_HARD_CAP, on_change=changed,
                         label_visibility="collapsed") or None


def question(q: Question, key: str, value, lang: str, yes_no_labels: tuple[str, str],
             choose: str = "", on_change=None, fresh: bool = False, other: str | None = None,
             other_fresh: bool = False, other_change=None):
    """Render the widget for one question; return its current answer value. `choose` is the
    placeholder of a multiple-choice list, in the page's language. fresh: the browser does not
    hold this field, send it `value` (FormFields); otherwise `value` seeds a new key only.
    `other`: the text typed for the question's "other" choice (see other_box), with its own
    `other_fresh` and `other_change` (default: on_change)."""
    answer = _question(q, key, value, lang, yes_no_labels, choose, on_change, fresh)
    if q.other:
        other_box(q, key, answer, other, lang, other_change or on_change, other_fresh)
    return answer


def _question(q: Question, key: str, value, lang: str, yes_no_labels: tuple[str, str],
              choose: str, on_change, fresh: bool):
    shown = _label(q, lang)
    changed = (lambda: on_change(q.id, _read(q, key))) if on_change else None
    if q.type in ("integer", "decimal"):
        # A float field for whole numbers too: an integer field rounds 3.7 to 3 in the browser
        # without a word; here 3.7 arrives and validation asks for a whole number. value=None:
        # an emptied field is unanswered, not 0.
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        _seed(key, float(value) if numeric else None, fresh)
        step = 1.0 if q.type == "integer" else float(q.step or 0.1)
        st.number_input(shown, key=key, value=None, step=step, format="%g", placeholder="",
                        on_change=changed)
        return _read(q, key)
    if q.type in ("single_choice", "likert"):
        codes = [c.value for c in q.choices]
        _seed(key, str(value) if value is not None and str(value) in codes else None, fresh)
        return st.radio(shown, codes, key=key, format_func=_choice(q, lang), index=None,
                        on_change=changed)
    if q.type == "multiple_choice":
        codes = [c.value for c in q.choices]
        _seed(key, [v for v in (value or []) if v in codes], fresh)
        # select_all=False: Streamlit's "Select all" is English only and would tick every
        # option, 其他 included, in one tap
        chosen = st.multiselect(shown, codes, key=key, placeholder=choose, select_all=False,
                                format_func=lambda c: q.choice_label(c, lang), on_change=changed)
        return list(chosen)
    if q.type == "yes_no":
        _seed(key, value if isinstance(value, bool) else None, fresh)
        return st.radio(shown, YES_NO, key=key, horizontal=True, index=None, on_change=changed,
                        format_func=lambda v: yes_no_labels[0] if v else yes_no_labels[1])
    if q.type == "date":
        _seed(key, dt.date.fromisoformat(value) if value else None, fresh)
        chosen = st.date_input(shown, key=key, format="YYYY-MM-DD", on_change=changed)
        return chosen.isoformat() if isinstance(chosen, dt.date) else None
    if q.type == "matrix":
        # the label as text (a "*" or other markdown in it is not markup), bold by style
        st.html(f"<p style='font-weight:600;margin-bottom:0'>{html.escape(_words(q, lang))}"
                f"{' *' if q.required else ''}</p>")
        codes = [c.value for c in q.choices]
        for row in q.rows:
            row_key = f"{key}:{row.id}"
            current = (value or {}).get(row.id)
            _seed(row_key, current if current in codes else None, fresh)
            st.radio(plain(row.label.get(lang)), codes, key=row_key, horizontal=True, index=None,
                     format_func=_choice(q, lang), on_change=changed)
        return _read(q, key)
    _seed(key, value or "", fresh)
    widget = st.text_area if q.type == "long_text" else st.text_input
    # The question's own limit: the counter under the field says "12/100", not "12/20000"
    # (the browser stops typing and cuts a paste there; the counter shows it is full).
    return widget(shown, key=key, max_chars=q.max_length or TEXT_HARD_CAP,
                  on_change=changed) or None
