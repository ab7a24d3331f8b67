"""One Streamlit widget per question type. Values go in and out as answer values
(see survey.answers); widget state is seeded from the answers so it survives section changes.
With `on_change`, a change reaches the caller (on_change(question_id, answer)) before the page
reruns, so everything drawn above the field (progress, buttons) is current.

FormFields keeps a form's fields and the browser in step: which fields the browser holds, and
under which keys (see its docstring for why)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey.answers import from_input
from survey.questionnaire.model import Question

YES_NO = (True, False)
# Far above any question's max_length, and within the store's draft limit (MAX_DRAFT_CHARS).
TEXT_HARD_CAP = 20_000


class FormFields:
    """The widget keys of one form's fields, and which of them the browser holds.

    A field's answer is sent to the browser only through its widget state (st.session_state
    written before the widget is drawn); a field the browser already holds keeps what it shows
    (so what a cadre is typing there is never overwritten). The browser holds exactly the
    fields the page's previous run drew: it drops the others when a run ends, also a run the
    server ended early (st.stop() at the database message, an error), where Streamlit keeps
    their state; and a browser event re-sends the fields it still held, which gives the server
    state again for fields the browser is about to drop. So "the server has state for the key"
    does not mean "the browser shows it": a field not drawn by the previous run is sent its
    answer every time. (Seeding only missing keys mounted such fields empty, and the next event
    sent the empty fields as the cadre's answers: issue 19, fault 1.)

    Keys carry a generation: an action that replaces answers on screen (not the cadre's
    typing) draws the fields under new keys (new_fields()), and events of older keys are not
    answers. Every full page run forgets what was drawn (forget_drawn()): it redraws the page.
    Make one FormFields per run of the form."""

    def __init__(self, form: str):
        self.form = form
        state = st.session_state
        if state.pop(f"renew|{form}", False):
            new_fields(form)
        self.held: set[str] = state.get(f"drawn|{form}", set())
        state[f"drawn|{form}"] = self.drawn = set()  # this run's fields, for the next run

    def draw(self, qid: str) -> tuple[str, bool]:
        """(key, fresh): the field's key, and whether the browser lacks the field."""
        key = f"{self.form}:{generation(self.form)}:{qid}"
        self.drawn.add(key)
        return key, key not in self.held


def generation(form: str) -> int:
    return st.session_state.get(f"fields|{form}", 0)


def new_fields(form: str) -> None:
    """Answers on screen were replaced by an action: draw the form's fields under new keys."""
    st.session_state[f"fields|{form}"] = generation(form) + 1


def new_fields_after_callbacks(form: str) -> None:
    """new_fields() from a change callback: once every change of this event is taken (one
    event can carry several fields; the ones after this must not be dropped as stale)."""
    st.session_state[f"renew|{form}"] = True


def forget_drawn() -> None:
    """At the start of a full page run: the browser will hold only what this run draws."""
    for key in [k for k in st.session_state if str(k).startswith("drawn|")]:
        del st.session_state[key]


def label(q: Question, lang: str) -> str:
    """The field's label: the question, its unit, a star when it must be answered."""
    text = q.label.get(lang)
    if q.unit:
        text += f"({q.unit.get(lang)})" if lang == "zh" else f" ({q.unit.get(lang)})"
    return text + (" *" if q.required else "")


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


def question(q: Question, key: str, value, lang: str, yes_no_labels: tuple[str, str],
             choose: str = "", on_change=None, fresh: bool = False):
    """Render the widget for one question; return its current answer value. `choose` is the
    placeholder of a multiple-choice list, in the page's language. fresh: the browser does not
    hold this field, send it `value` (FormFields); otherwise `value` seeds a new key only."""
    shown = label(q, lang)
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
        return st.radio(shown, codes, key=key, format_func=lambda c: q.choice_label(c, lang),
                        index=None, on_change=changed)
    if q.type == "multiple_choice":
        codes = [c.value for c in q.choices]
        _seed(key, [v for v in (value or []) if v in codes], fresh)
        chosen = st.multiselect(shown, codes, key=key, placeholder=choose,
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
        st.markdown(f"**{shown}**")
        codes = [c.value for c in q.choices]
        for row in q.rows:
            row_key = f"{key}:{row.id}"
            current = (value or {}).get(row.id)
            _seed(row_key, current if current in codes else None, fresh)
            st.radio(row.label.get(lang), codes, key=row_key, horizontal=True, index=None,
                     format_func=lambda c: q.choice_label(c, lang), on_change=changed)
        return _read(q, key)
    _seed(key, value or "", fresh)
    widget = st.text_area if q.type == "long_text" else st.text_input
    # No max_chars=q.max_length: the browser would drop a longer paste without a word; the
    # answer is kept and validation says "最多 N 个字(现在 M 个)" so the cadre can shorten it.
    return widget(shown, key=key, max_chars=TEXT_HARD_CAP, on_change=changed) or None
