"""The chaos robot's driver for the light form (/f, ui/light_form.py, issue 27): plain HTML
whose fields carry their question id (data-q), buttons their action (name=action value=...),
and whose script (ui/static/light_form.js) says in a status line where the answers stand.
Works with JavaScript on or off. See tests/chaos_robot.py for the interface."""

from __future__ import annotations

import time

from playwright.sync_api import Error as PlaywrightError

from survey.i18n import t
from tests import chaos_robot as robot

ACT_TIMEOUT_MS = 1500  # a field or button not there within this is skipped
QUIET_S = 0.15  # settled: idle, and still idle this much later (a save may follow a step)

# One look: where the form is (its hidden `at`), the status line, the questions on screen.
_LOOK = """() => {
  const at = document.querySelector('input[name=at]');
  const line = document.querySelector('#lf-status');
  const alert = document.querySelector('.warn[role=alert]');
  // the visible text in the page's language (the switch to the other one says "English")
  const text = [], walker = document.createTreeWalker(document.body || document,
                                                       NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement, words = walker.currentNode.textContent.trim();
    if (words && el && el.checkVisibility() && !el.closest('script, style')
        && el.closest('[lang]').lang === document.documentElement.lang) text.push(words);
  }
  return {
    at: at ? at.value : null,
    state: line && !line.hidden ? line.dataset.state : '',
    alert: alert ? alert.innerText : '',
    fields: [...document.querySelectorAll('[data-q]')].map(e => e.dataset.q),
    text: text.join('\\n'),
  };
}"""

IDLE = ("() => document.readyState === 'complete' && "
        "(!window.__lightForm || window.__lightForm.idle())")

BUTTONS = {robot.NEXT: "next", robot.BACK: "back", robot.KEEP: "keep",
           robot.SUBMIT: "submit", robot.REVISE: "revise"}


class LightDriver(robot.FormDriver):
    def __init__(self, page, qn, lang: str = "zh"):
        super().__init__(page, qn, lang)
        # the words that say an answer is not on the server yet: the script's status line
        # (its state), or the page a post came back on with JavaScript off
        self.unsaved_notices = [t(key, lang).split(":")[0]
                                for key in ("draft_failed_light", "save_failed")]

    def open(self, base_url: str, code: str) -> None:
        lang = "" if self.lang == "zh" else f"&lang={self.lang}"
        self.page.goto(f"{base_url}/f?code={code}{lang}")
        self.page.wait_for_selector("input[name=at]", state="attached", timeout=30000)
        self.settle()

    def _look(self) -> dict:
        try:
            return self.page.evaluate(_LOOK)
        except PlaywrightError as error:
            if "SyntaxError" in str(error) or "TypeError" in str(error):
                raise  # the look itself is broken: every screen would read as "other"
            return {"at": None, "state": "", "alert": "", "fields": [], "text": ""}  # a reload

    def screen(self) -> robot.Screen:
        look = self._look()
        at = look["at"] or ""
        if at.startswith("fill:"):
            kind = robot.SECTION
        elif at == "confirm":
            kind = robot.CONFIRM
        elif at == "done":
            kind = robot.RECEIPT
        elif look["alert"]:  # the problem page: the database was away when it was drawn
            kind = robot.OUTAGE
        else:
            kind = robot.OTHER
        unsaved = kind == robot.OUTAGE or look["state"] in ("saving", "offline", "down") or \
            any(notice in look["alert"] for notice in self.unsaved_notices)
        fields = tuple(f for f in look["fields"] if f in self.questions)
        return robot.Screen(kind, fields if kind == robot.SECTION else (), unsaved,
                            look["text"])

    def _choice(self, qid: str, value):
        code = {True: "1", False: "0"}[value] if isinstance(value, bool) else value
        return self.page.locator(f'[data-q="{qid}"] input[value="{code}"]')

    def type(self, qid: str, value, commit: bool) -> bool:
        q = self.questions[qid]
        try:
            if q.type in ("integer", "decimal"):
                box = self.page.locator(f"#f-{qid}")
                box.fill(f"{value:g}", timeout=ACT_TIMEOUT_MS)
                if commit:  # Enter: the form's first button, 下一步
                    box.press("Enter", timeout=ACT_TIMEOUT_MS)
            else:
                self._choice(qid, value).check(timeout=ACT_TIMEOUT_MS)
        except PlaywrightError:
            return False
        return True

    def tap(self, action: str) -> bool:
        if action == robot.RETRY:  # the problem page: its 重试 (a post held) or its link
            target = self.page.locator("form button.primary, a[href^='/f']").first
        elif action in BUTTONS:
            target = self.page.locator(
                f"button[name=action][value={BUTTONS[action]}]:not(.enter)").first
        else:
            return False  # KEEP_MINE: the two-tab choice is not on this form yet
        try:
            if not target.count():
                return False
            target.click(timeout=ACT_TIMEOUT_MS)
        except PlaywrightError:
            return False
        return True

    def shown(self, qid: str):
        q = self.questions[qid]
        try:
            if q.type in ("integer", "decimal"):
                box = self.page.locator(f"#f-{qid}")
                if not box.count():
                    return robot.NOT_SHOWN
                text = box.input_value(timeout=ACT_TIMEOUT_MS).strip()
                return float(text) if text else None
            group = self.page.locator(f'[data-q="{qid}"]')
            if not group.count():
                return robot.NOT_SHOWN
            checked = group.locator(f'input[name="a.{qid}"]:checked')
            if not checked.count():
                return None
            code = checked.first.get_attribute("value", timeout=ACT_TIMEOUT_MS)
            return {"1": True, "0": False}.get(code) if q.type == "yes_no" else code
        except (PlaywrightError, ValueError):
            return robot.NOT_SHOWN

    def busy(self) -> bool:
        try:
            return self.page.evaluate("() => document.readyState !== 'complete'")
        except PlaywrightError:
            return True

    def settle(self, timeout: float = 30) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.page.wait_for_function(
                    IDLE, timeout=max(deadline - time.monotonic(), 0.1) * 1000)
                time.sleep(QUIET_S)
                if self.page.evaluate(IDLE):
                    return True
            except PlaywrightError:
                time.sleep(0.1)  # navigating: look again
        return False
