"""Streamlit's own English words that the app cannot translate, hidden where the app offers
the same in the page's language.

Streamlit 1.67 draws a toolbar over every chart ("Show data", "Download as PNG", "Fullscreen")
and every table ("Download as CSV", "Search", "Select all" in its column menu) in English
whatever the page's language, and takes no option to translate it (the chart's embed options
only pass theme, renderer and padding through). Every chart on the leaders' pages has the
app's own CSV and PNG buttons under it (ui.downloads), so its toolbar goes everywhere; a
table's goes on the trends page, which offers its tables' data as CSV, not on the admin and
SQL pages, where its search and menu are work tools. Multiselects drop their "Select all"
with select_all=False (ui.filters, ui.widgets)."""

from __future__ import annotations

import streamlit as st

_CHARTS = ("<style>[data-testid=stFullScreenFrame]:has([data-testid=stVegaLiteChart]) "
           "[data-testid=stElementToolbar] {display: none !important;}</style>")
_TABLES = ("<style>[data-testid=stFullScreenFrame]:has([data-testid=stDataFrame]) "
           "[data-testid=stElementToolbar] {display: none !important;}</style>")


def hide_chart_toolbars() -> None:
    st.html(_CHARTS)


def hide_table_toolbars() -> None:
    st.html(_TABLES)
