"""One Streamlit widget per question type. Values go in and out as answer values
(see survey.answers); widget state is seeded from the answers so it survives section changes."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey.questionnaire.model import Question

YES_NO = (True, False)


def _label(q: Question, lang: str) -> str:
    text = q.label.get(lang)
    if q.unit:
        text += f"({q.unit.get(lang)})" if lang == "zh" else f" ({q.unit.get(lang)})"
    return text + (" *" if q.required else "")


def _seed(key: str, value) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _decimals(step: float | None) -> int:
    text = f"{step or 0.1:g}"
    return len(text.split(".")[1]) if "." in text else 0


def question(q: Question, key: str, value, lang: str, yes_no_labels: tuple[str, str],
             choose: str = ""):
    """Render the widget for one question; return its current answer value. `choose` is the
    placeholder of a multiple-choice list, in the page's language."""
    label = _label(q, lang)
    if q.type in ("integer", "decimal"):
        integer = q.type == "integer"
        _seed(key, None if value is None else (int(value) if integer else float(value)))
        return st.number_input(label, key=key, step=1 if integer else float(q.step or 0.1),
                               format="%d" if integer else f"%.{_decimals(q.step)}f",
                               placeholder="")
    if q.type in ("single_choice", "likert"):
        codes = [c.value for c in q.choices]
        _seed(key, str(value) if value is not None and str(value) in codes else None)
        return st.radio(label, codes, key=key, format_func=lambda c: q.choice_label(c, lang),
                        index=None)
    if q.type == "multiple_choice":
        codes = [c.value for c in q.choices]
        _seed(key, [v for v in (value or []) if v in codes])
        chosen = st.multiselect(label, codes, key=key, placeholder=choose,
                                format_func=lambda c: q.choice_label(c, lang))
        return list(chosen)
    if q.type == "yes_no":
        _seed(key, value if isinstance(value, bool) else None)
        return st.radio(label, YES_NO, key=key, horizontal=True, index=None,
                        format_func=lambda v: yes_no_labels[0] if v else yes_no_labels[1])
    if q.type == "date":
        _seed(key, dt.date.fromisoformat(value) if value else None)
        chosen = st.date_input(label, key=key, format="YYYY-MM-DD")
        return chosen.isoformat() if isinstance(chosen, dt.date) else None
    if q.type == "matrix":
        st.markdown(f"**{label}**")
        codes = [c.value for c in q.choices]
        result = {}
        for row in q.rows:
            row_key = f"{key}:{row.id}"
            current = (value or {}).get(row.id)
            _seed(row_key, current if current in codes else None)
            result[row.id] = st.radio(row.label.get(lang), codes, key=row_key, horizontal=True,
                                      index=None, format_func=lambda c: q.choice_label(c, lang))
        return {k: v for k, v in result.items() if v is not None}
    _seed(key, value or "")
    widget = st.text_area if q.type == "long_text" else st.text_input
    return widget(label, key=key, max_chars=q.max_length) or None
