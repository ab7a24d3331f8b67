"""Phone touches the framework does not give: the menu closes after a page is chosen.

The menu is a list of st.page_link (only the pages this viewer may use; every page stays
registered so shared links work), and Streamlit closes its sidebar on a phone only for its
own navigation menu. One document-level listener per browser tab does the same for ours."""

from __future__ import annotations

import streamlit as st

_CLOSE_AFTER_NAVIGATION = """<script>
if (!window.__surveyMenuCloses) {
  window.__surveyMenuCloses = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-testid=stSidebar] a");
    if (!link || window.innerWidth >= 768) return;
    setTimeout(() => {
      const close = document.querySelector("[data-testid=stSidebarCollapseButton] button");
      if (close) close.click();
    }, 150);
  }, true);
}
</script>"""


def close_menu_after_navigation() -> None:
    """Once per session (the listener outlives the element that installed it)."""
    if not st.session_state.get("_menu_listener"):
        st.session_state["_menu_listener"] = True
        st.html(_CLOSE_AFTER_NAVIGATION, unsafe_allow_javascript=True)


# Streamlit's running indicator says "Running..." and offers "Stop" in English whatever the
# page's language; a cadre has no use for Stop. The animated icon alone says "working".
_QUIET_STATUS = ("<style>[data-testid=stStatusWidget] label, "
                 "[data-testid=stStatusWidget] button {display: none !important;}</style>")


def quiet_status_widget() -> None:
    st.html(_QUIET_STATUS)
