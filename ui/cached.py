"""Cached figures: keyed on (database, data version, arguments), so a new submission shows at
once and nothing is recomputed otherwise. The store itself is never put in the cache."""

from __future__ import annotations

import streamlit as st

from survey import leader_config, trends
from ui.context import startup


@st.cache_data(show_spinner=False, max_entries=512)
def _compute(db: str, version: int, name: str, *args):
    return getattr(trends, name)(startup().store, *args)


def figure(name: str, *args):
    """trends.<name>(store, *args), cached."""
    store = startup().store
    return _compute(str(store.path), store.data_version, name, *args)


@st.cache_data(show_spinner=False)
def _rules(mtime: float):
    return leader_config.load_rules()


@st.cache_data(show_spinner=False)
def _index(mtime: float):
    return leader_config.load_index()


def _mtime(name: str) -> float:
    path = leader_config.CONFIG_DIR / name
    return path.stat().st_mtime if path.exists() else 0.0


def rules():
    return _rules(_mtime("warnings.yaml"))


def index_definition():
    return _index(_mtime("burden_index.yaml"))


@st.cache_data(show_spinner=False, max_entries=64)
def _meta(db: str, version: int, scope: tuple):
    from survey.store import analytics
    store = startup().store
    return (analytics.regions(store, scope), analytics.period_range(store),
            analytics.point_names(store), store.has_demo())


def meta(scope: tuple = ()):
    """(region tree within the scope, (first, last) period start, point names, demo data?)."""
    store = startup().store
    return _meta(str(store.path), store.data_version, tuple(scope))
