"""The chaos robot's driver for the Streamlit fill page (app_pages/fill.py): fields are found
by their label (ui.widgets.label), buttons by their text (survey.i18n), the screen from one
look at the DOM. See tests/chaos_robot.py for the interface."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Error as PlaywrightError

from survey.i18n import t
from tests import chaos_robot as robot
from tests.browser_support import QUIET, settle
from ui.widgets import label

ACT_TIMEOUT_MS = 1500  # a field or button not there (or disabled) within this is skipped
QUIET_S = 0.3  # settled: no run for this long (one tap can start two runs, a gap between them)

# Counts changes of the app's script state, from the page's first script on (every load): a
# run that started and ended between two looks still shows as a change.
_RUN_COUNTER = """(() => {
  window.__scriptStateChanges = 0;
  const watch = () => {
    const app = document.querySelector('[data-testid=stApp]');
    if (!app) return setTimeout(watch, 50);
    new MutationObserver((records) => { window.__scriptStateChanges += records.length; })
      .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  };
  watch();
})()"""

# One look at the page: the text a person can see (not icon names, not screen-reader-only
# text, not the closed sidebar), the part of it in view, the fields' labels and the buttons.
_LOOK = """() => {
  const onScreen = (r) => r.width >= 2 && r.height >= 2 && r.right > 0 && r.left < innerWidth;
  const inView = (r) => r.bottom > 0 && r.top < innerHeight;
  const text = [], inViewText = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement, words = node.textContent.trim();
    if (!words || !el || el.closest('script, style, noscript')
        || !el.checkVisibility({opacityProperty: true, visibilityProperty: true})
        || getComputedStyle(el).fontFamily.includes('Material')) continue;
    const r = el.getBoundingClientRect();
    if (!onScreen(r)) continue;
    text.push(words);
    if (inView(r)) inViewText.push(words);
  }
  const shown = (e) => e.offsetParent !== null && onScreen(e.getBoundingClientRect());
  return {
    text: text.join("\\n"), inView: inViewText.join("\\n"),
    // fields of the screen being replaced (stale, dimmed) are not offered
    labels: [...document.querySelectorAll('[data-testid=stWidgetLabel]')].filter(shown)
              .filter(e => !e.closest('[data-stale=true]')).map(e => e.innerText.trim()),
    buttons: [...document.querySelectorAll('button')].filter(shown).map(b =>  // not icon names
      [...b.querySelectorAll('p, div, span')].filter(e => !e.children.length
        && !getComputedStyle(e).fontFamily.includes('Material')).map(e => e.textContent.trim())
        .join('') || b.innerText.trim()),
  };
}"""


def _prefix(key: str, lang: str) -> str:
    """The start of an interface text, before its first placeholder or colon ('草稿暂时无法保存
    到服务器'): the page splits a text into several text nodes at the colon."""
    return re.split(r"[{:：]", t(key, lang))[0]


class StreamlitDriver(robot.FormDriver):
    def __init__(self, page, qn, lang: str = "zh"):
        super().__init__(page, qn, lang)
        self.by_label = {label(q, lang): q.id for q in qn.questions}
        self.buttons = {
            robot.NEXT: [t("next", lang), t("review", lang)],
            robot.BACK: [t("back", lang)],
            robot.KEEP: [t("nothing_changed", lang), t("keep_rest", lang),
                         t("keep_as_is", lang)],
            robot.SUBMIT: [t("submit", lang)],
            robot.REVISE: [t("revise", lang)],
            robot.RETRY: [t("try_again", lang)],
            robot.KEEP_MINE: [t("keep_this_page", lang), t("submit_as_revision", lang)],
        }
        self.unsaved_notices = [_prefix(k, lang) for k in ("draft_failed", "save_failed")]
        page.add_init_script(_RUN_COUNTER)

    def open(self, base_url: str, code: str) -> None:
        self.page.goto(f"{base_url}/?code={code}&lang={self.lang}")
        self.page.wait_for_selector("[data-testid=stNumberInput]", timeout=60000)
        self.settle()

    def _look(self) -> dict:
        try:
            return self.page.evaluate(_LOOK)
        except PlaywrightError:  # navigating (a reload)
            return {"text": "", "inView": "", "labels": [], "buttons": []}

    def screen(self) -> robot.Screen:
        look = self._look()
        buttons, text = set(look["buttons"]), look["text"]
        fields = tuple(self.by_label[x] for x in look["labels"] if x in self.by_label)
        if buttons & set(self.buttons[robot.RETRY]):
            kind = robot.OUTAGE
        elif buttons & set(self.buttons[robot.KEEP_MINE]):
            kind = robot.ELSEWHERE
        elif t("submitted", self.lang) in text:
            kind = robot.RECEIPT
        elif t("confirm_title", self.lang) in text and t("submit", self.lang) in buttons:
            kind = robot.CONFIRM
        elif fields:
            kind = robot.SECTION
        else:
            kind = robot.OTHER
        unsaved = kind == robot.OUTAGE or any(
            notice in look["inView"] for notice in self.unsaved_notices)
        return robot.Screen(kind, fields, unsaved, text)

    def _field(self, qid: str):
        return self.page.get_by_label(label(self.questions[qid], self.lang), exact=True)

    def _group(self, qid: str):
        return self.page.get_by_role("radiogroup", name=label(self.questions[qid], self.lang),
                                     exact=True)

    def _choice_text(self, qid: str, value) -> str:
        q = self.questions[qid]
        if q.type == "yes_no":
            return t("yes" if value else "no", self.lang)
        return q.choice_label(value, self.lang)

    def type(self, qid: str, value, commit: bool) -> bool:
        q = self.questions[qid]
        try:
            if q.type in ("integer", "decimal"):
                box = self._field(qid)
                box.fill(f"{value:g}", timeout=ACT_TIMEOUT_MS)
                if commit:
                    box.press("Enter", timeout=ACT_TIMEOUT_MS)
            else:
                self._group(qid).get_by_text(self._choice_text(qid, value), exact=True).click(
                    timeout=ACT_TIMEOUT_MS)
        except PlaywrightError:
            return False
        return True

    def tap(self, action: str) -> bool:
        for name in self.buttons[action]:
            button = self.page.get_by_role("button", name=name, exact=True)
            try:
                if button.count():
                    button.first.click(timeout=ACT_TIMEOUT_MS)
                    return True
            except PlaywrightError:
                return False
        return False

    def shown(self, qid: str):
        q = self.questions[qid]
        try:
            if q.type in ("integer", "decimal"):
                box = self._field(qid)
                if not box.count() or box.first.evaluate(
                        "e => !!e.closest('[data-stale=true]')"):  # about to go
                    return robot.NOT_SHOWN
                text = box.first.input_value(timeout=ACT_TIMEOUT_MS).strip()
                return float(text) if text else None
            group = self._group(qid)
            if not group.count():
                return robot.NOT_SHOWN
            checked = group.get_by_role("radio", checked=True)
            if not checked.count():
                return None
            text = checked.first.evaluate("e => e.closest('label').innerText.trim()")
            values = [True, False] if q.type == "yes_no" else [c.value for c in q.choices]
            return next((v for v in values if self._choice_text(qid, v) == text), text)
        except (PlaywrightError, ValueError):
            return robot.NOT_SHOWN

    def busy(self) -> bool:
        # Streamlit's status widget shows for a full page run and while reconnecting, not for
        # the form's own (fragment) runs
        try:
            return self.page.locator("[data-testid=stStatusWidget]").count() > 0
        except PlaywrightError:
            return True

    def settle(self, timeout: float = 30) -> bool:
        """No run going and none started for QUIET_S: a tap's blur (the field's change) and
        its click are two runs, and the page is quiet for a moment between them."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                settle(self.page, timeout=max(deadline - time.monotonic(), 1))
                changes = self.page.evaluate("() => window.__scriptStateChanges")
                time.sleep(QUIET_S)
                if self.page.evaluate(QUIET) and \
                        self.page.evaluate("() => window.__scriptStateChanges") == changes:
                    return True
                if time.monotonic() > deadline:
                    return False
        except PlaywrightError:
            return False
