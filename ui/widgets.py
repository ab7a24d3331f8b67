"""One Streamlit widget per question type, for the public questionnaires (app_pages/rate.py;
the cadres' form is plain HTML: ui/light_form.py). Values go in and out as answer values (see
survey.answers); widget state is seeded from the answers. With `on_change`, a change reaches
the caller (on_change(question_id, answer)) before the page reruns, so everything drawn above
the field is current."""

from __future__ import annotations

import datetime as dt
import html

import streamlit as st

from survey.answers import OTHER_SUFFIX, from_input, other_chosen, other_key
from survey.questionnaire.model import Question
from ui.text import plain

YES_NO = (True, False)
# Far above any question's max_length, and within the store's draft limit (MAX_DRAFT_CHARS).
TEXT_HARD_CAP = 20_000


def _words(q: Question, lang: str) -> str:
    """The question's label and unit as written."""
    text = q.label.get(lang)
    if q.unit:
        text += f"({q.unit.get(lang)})" if lang == "zh" else f" ({q.unit.get(lang)})"
    return text


def _label(q: Question, lang: str) -> str:
    """The field's label (the question, its unit, a star when it must be answered) as the
    widget's markdown source: the questionnaire's words as written
    (ui/text.py), never markdown."""
    return plain(_words(q, lang)) + (" *" if q.required else "")


def _choice(q: Question, lang: str):
    """Radio options render markdown too; select boxes and multiselects show plain text."""
    return lambda code: plain(q.choice_label(code, lang))


def _seed(key: str, value) -> None:
    if key not in st.session_state:
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


def other_box(q: Question, key: str, value, text: str | None, lang: str, on_change=None):
    """The text box under a choice question with `other`, shown while its "other" choice
    (其他(请注明)) is picked; returns the text. Its key is the question's key + ".other", so
    the page treats it as part of the question (survey.answers.other_key)."""
    if not other_chosen(q, value):
        return None
    box = key + OTHER_SUFFIX
    _seed(box, text or "")
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
             choose: str = "", on_change=None, other: str | None = None):
    """Render the widget for one question; return its current answer value. `choose` is the
    placeholder of a multiple-choice list, in the page's language; `value` seeds a new key
    only. `other`: the text typed for the question's "other" choice (see other_box)."""
    answer = _question(q, key, value, lang, yes_no_labels, choose, on_change)
    if q.other:
        other_box(q, key, answer, other, lang, on_change)
    return answer


def _question(q: Question, key: str, value, lang: str, yes_no_labels: tuple[str, str],
              choose: str, on_change):
    shown = _label(q, lang)
    changed = (lambda: on_change(q.id, _read(q, key))) if on_change else None
    if q.type in ("integer", "decimal"):
        # A float field for whole numbers too: an integer field rounds 3.7 to 3 in the browser
        # without a word; here 3.7 arrives and validation asks for a whole number. value=None:
        # an emptied field is unanswered, not 0.
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        _seed(key, float(value) if numeric else None)
        step = 1.0 if q.type == "integer" else float(q.step or 0.1)
        st.number_input(shown, key=key, value=None, step=step, format="%g", placeholder="",
                        on_change=changed)
        return _read(q, key)
    if q.type in ("single_choice", "likert"):
        codes = [c.value for c in q.choices]
        _seed(key, str(value) if value is not None and str(value) in codes else None)
        return st.radio(shown, codes, key=key, format_func=_choice(q, lang), index=None,
                        on_change=changed)
    if q.type == "multiple_choice":
        codes = [c.value for c in q.choices]
        _seed(key, [v for v in (value or []) if v in codes])
        # select_all=False: Streamlit's "Select all" is English only and would tick every
        # option, 其他 included, in one tap
        chosen = st.multiselect(shown, codes, key=key, placeholder=choose, select_all=False,
                                format_func=lambda c: q.choice_label(c, lang), on_change=changed)
        return list(chosen)
    if q.type == "yes_no":
        _seed(key, value if isinstance(value, bool) else None)
        return st.radio(shown, YES_NO, key=key, horizontal=True, index=None, on_change=changed,
                        format_func=lambda v: yes_no_labels[0] if v else yes_no_labels[1])
    if q.type == "date":
        _seed(key, dt.date.fromisoformat(value) if value else None)
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
            _seed(row_key, current if current in codes else None)
            st.radio(plain(row.label.get(lang)), codes, key=row_key, horizontal=True, index=None,
                     format_func=_choice(q, lang), on_change=changed)
        return _read(q, key)
    _seed(key, value or "")
    widget = st.text_area if q.type == "long_text" else st.text_input
    # The question's own limit: the counter under the field says "12/100", not "12/20000"
    # (the browser stops typing and cuts a paste there; the counter shows it is full).
    return widget(shown, key=key, max_chars=q.max_length or TEXT_HARD_CAP,
                  on_change=changed) or None
