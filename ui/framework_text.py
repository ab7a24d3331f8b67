"""Streamlit's own words, in the page's language.

Streamlit 1.67 has no translations: when the websocket to the server drops and does not come
back within a few tries, the browser shows a "Connection error" dialog ("Streamlit server is
not responding. Are you connected to the internet?"), the skip link for keyboard users
says "Skip to main content", and the buttons of every select box and multiselect are named
"Open" and "Clear value" / "Clear all" (what a screen reader says); and a field is named by
its label's markdown source, backslashes included ("2\\. 为什么…"), which the script reads
back to the text as shown. One document-level script (installed once per tab, its words
replaced when the language changes) rewrites them where they appear; the page cannot do it
from the server because, by definition, the server is not reachable when the dialog shows.

Where the app offers the same in the page's language, Streamlit's English is hidden instead:
the toolbar over every chart ("Show data", "Download as PNG", "Fullscreen"; the chart's embed
options pass only theme, renderer and padding through, so it cannot be translated) goes
everywhere, since every chart on the leaders' pages has the app's own CSV and PNG buttons
under it (ui.downloads); a table's toolbar ("Download as CSV", "Search", "Select all" in its
column menu) goes on the trends page, which offers its tables' data as CSV, not on the admin
and SQL pages, where its search and menu are work tools. Multiselects drop their "Select all"
with select_all=False (ui.filters, ui.widgets)."""

from __future__ import annotations

import json

import streamlit as st

from ui.context import t

_SCRIPT = """<script>
window.__surveyWords = %s;
if (!window.__surveyWordsWatch) {
  window.__surveyWordsWatch = true;
  const put = (el, text) => { if (el && el.textContent !== text) el.textContent = text; };
  const apply = () => {
    const words = window.__surveyWords;
    for (const title of document.querySelectorAll('[data-testid=stDialog] h2[slot=title]')) {
      if (title.textContent !== "Connection error" && title.textContent !== words.title) continue;
      put(title, words.title);
      put(title.nextElementSibling, words.body);
      const close = title.parentElement.querySelector('button[aria-label]');
      if (close && close.getAttribute('aria-label') !== words.close)
        close.setAttribute('aria-label', words.close);
    }
    put(document.querySelector('[data-testid=stSkipToContent]'), words.skip);
    // the buttons of select boxes and multiselects are named in English ("Open", "Clear
    // value", "Clear all"); the English name is kept to find the word in either language
    for (const button of document.querySelectorAll(
        '[data-testid=stSelectbox] [aria-label], [data-testid=stMultiSelect] [aria-label]')) {
      const english = button.dataset.surveyName || button.getAttribute('aria-label');
      if (!(english in words.buttons)) continue;
      button.dataset.surveyName = english;
      if (button.getAttribute('aria-label') !== words.buttons[english])
        button.setAttribute('aria-label', words.buttons[english]);
    }
    // a field is named by its label's markdown source ("2\\. 为什么…", made by ui/text.py so
    // that typed text is no markup): the name a screen reader says is the text as shown
    for (const field of document.querySelectorAll(
        '[data-testid=stMain] input[aria-label], [data-testid=stMain] textarea[aria-label], '
        + '[data-testid=stMain] [role=radiogroup][aria-label]')) {
      const source = field.getAttribute('aria-label');
      const shown = source.replace(/\\\\([!-\\/:-@\\[-`{-~])/g, '$1').replace(/\\u2060/g, '');
      if (shown !== source) field.setAttribute('aria-label', shown);
    }
  };
  new MutationObserver(apply).observe(document.body,
                                      {childList: true, subtree: true, characterData: true});
  apply();
}
</script>"""


def in_page_language() -> None:
    """On every full page run; the browser runs the script again only when its words change."""
    words = {"title": t("connection_lost_title"), "body": t("connection_lost_body"),
             "close": t("close"), "skip": t("skip_to_content"),
             "buttons": {"Open": t("open_options"), "Clear value": t("clear_value"),
                         "Clear all": t("clear_all")}}
    st.html(_SCRIPT % json.dumps(words, ensure_ascii=False), unsafe_allow_javascript=True)


_CHARTS = ("<style>[data-testid=stFullScreenFrame]:has([data-testid=stVegaLiteChart]) "
           "[data-testid=stElementToolbar] {display: none !important;}</style>")
_TABLES = ("<style>[data-testid=stFullScreenFrame]:has([data-testid=stDataFrame]) "
           "[data-testid=stElementToolbar] {display: none !important;}</style>")


def hide_chart_toolbars() -> None:
    st.html(_CHARTS)


def hide_table_toolbars() -> None:
    st.html(_TABLES)
