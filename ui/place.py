"""Pages that keep their place: the selected tab, and results shown only once.

Tabs without state are drawn anew on their first tab whenever the elements above them move
(the run right after a sign-in drew the cookie hand-off above the page, once), and a tab
switch that reruns the page would take away a result printed by the run of a button. So:

- `tabs` makes the selected tab part of the session (Streamlit 1.67: st.tabs with a key and
  on_change="rerun"): every rerun keeps it, and a language switch (new labels) keeps the same
  tab by its position.
- `keep` holds a result a person must read (new codes, a one-time password, what an import
  did) until they dismiss it or leave the page; survey_app.py calls `arrive` with the page
  each run, which forgets the results of the page they left.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

_RESULTS = "place|results"
_PAGE = "place|page"


def tabs(key: str, labels: list[str]):
    """st.tabs whose selection survives every rerun; the same containers as st.tabs."""
    position = f"{key}|position"
    if st.session_state.get(key) not in labels:  # first visit, or the language changed
        st.session_state[key] = labels[min(st.session_state.get(position, 0), len(labels) - 1)]
    containers = st.tabs(labels, key=key, on_change="rerun")
    st.session_state[position] = labels.index(st.session_state[key])
    return containers


def arrive(page: str) -> None:
    """Called once per run with the page about to run: results of another page are dropped
    (a one-time password must not wait in the session for the next visit)."""
    if st.session_state.get(_PAGE) != page:
        st.session_state[_PAGE] = page
        st.session_state.pop(_RESULTS, None)


def keep(name: str, value: Any, rerun: bool = False) -> None:
    """Keep a result for this page; `rerun`: run the page again at once, so that its lists
    and choices show the change that made it."""
    st.session_state.setdefault(_RESULTS, {})[name] = value
    if rerun:
        st.rerun()


def kept(name: str) -> Any:
    return st.session_state.get(_RESULTS, {}).get(name)


def forget(name: str) -> None:
    st.session_state.get(_RESULTS, {}).pop(name, None)


def success(name: str) -> None:
    """The kept message, if any, as a success box."""
    if text := kept(name):
        st.success(text)


def dismiss_button(name: str, label: str) -> None:
    """A button that takes the kept result off the screen."""
    st.button(label, key=f"dismiss:{name}", on_click=forget, args=(name,),
              icon=":material/visibility_off:")
