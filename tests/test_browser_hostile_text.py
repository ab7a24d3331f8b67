"""Text people typed stays text on every page (issue 29), in real Chromium at 375 and 1280 px.

On the database of tests/hostile_support.py (hostile text in every field people type, put in
through the core's own functions and imports), every page is opened (staff pages signed in as
an admin whose own name is hostile; public pages anonymous), and the test fails on any link or
image made from that text, any bold, italic, heading, list, code, coloured or maths element
made from it, and any marker whose text is not shown exactly as typed. Downloads write it as
text, not formulas."""

from __future__ import annotations

import io
import urllib.parse

import openpyxl
import pytest

from tests.browser_support import settle
from tests.hostile_support import HOSTILE, chromium, sign_in

pytest.importorskip("playwright.sync_api")
H = HOSTILE

@pytest.fixture(scope="module")
def app(hostile_app):
    with chromium() as browser:
        yield {**hostile_app, "browser": browser}


CHECK = """(hostile) => {
  const root = document.querySelector('[data-testid=stApp]') || document.body;  // or /f
  const found = [];
  const marker = (text) => Object.keys(hostile).find(m => text.includes(m));
  const bare = (s) => s.replace(/\\u2060/g, '');
  for (const a of root.querySelectorAll('a')) {
    const href = a.getAttribute('href') || '';
    if (href.includes('evil.example') || marker(a.textContent))
      found.push('link: ' + a.outerHTML.slice(0, 160));
  }
  for (const img of root.querySelectorAll('img')) {
    if ((img.getAttribute('src') || '').includes('evil.example') || marker(img.alt || '')
        || img.alt === 'Streamlit logo')
      found.push('image: ' + img.outerHTML.slice(0, 160));
  }
  const formatting = 'strong, b, em, i, del, s, h1, h2, h3, h4, h5, h6, code, li, blockquote, '
    + '.stMarkdownColoredText, .stMarkdownColoredBackground, .stMarkdownBadge, .katex';
  for (const el of root.querySelectorAll(formatting)) {
    const text = bare(el.textContent);
    const m = marker(text);
    if (m && !text.includes(hostile[m])) found.push(el.tagName + ': ' + text.slice(0, 120));
  }
  // a field's name (what a screen reader says) is its label as shown: no markdown escapes
  for (const f of root.querySelectorAll(
      'input[aria-label], textarea[aria-label], [role=radiogroup][aria-label]')) {
    const name = f.getAttribute('aria-label');
    if (/\\\\[!-\\/:-@\\[-`{-~]/.test(name) || name.includes('\\u2060'))
      found.push('name: ' + name.slice(0, 120));
  }
  let all = '';
  // chart labels (SVG text) may be cut short with an ellipsis: text, not markup
  const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {acceptNode: (n) =>
    ['SCRIPT', 'STYLE'].includes(n.parentNode.nodeName) || n.parentNode.closest('svg')
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  while (walk.nextNode()) all += walk.currentNode.nodeValue;
  all = bare(all);
  const count = (text, part) => text.split(part).length - 1;
  for (const [m, text] of Object.entries(hostile)) {
    if (count(all, m) > count(all, text)) {
      const at = all.indexOf(m);
      found.push('changed: ' + JSON.stringify(all.slice(Math.max(0, at - 60), at + 40)));
    }
  }
  return found;
}"""


def sweep(page, base: str, paths: list[str], widths: tuple[int, int], shots, found: dict) -> None:
    """Open each page at the first width, then draw it at the second (the browser lays the
    page out again: columns stack, tables and charts redraw); note what the page made of the
    hostile text at each, with a screenshot to look at."""
    for path in paths:
        page.set_viewport_size({"width": widths[0], "height": 900})
        page.goto(base + path)
        page.wait_for_selector("[data-testid=stMain] h1, [data-testid=stMain] h2, "
                               "body > main h1", timeout=30000)  # a Streamlit page, or /f
        for width in widths:
            page.set_viewport_size({"width": width, "height": 900})
            settle(page, 0.5)
            if problems := page.evaluate(CHECK, HOSTILE):
                found[f"{path} at {width} px"] = problems
                name = "".join(c if c.isalnum() else "_" for c in path)[:60]
                page.screenshot(path=str(shots / f"{name}_{width}.png"))


def staff_pages() -> list[str]:
    region = urllib.parse.urlencode({"pref": H["ZQ05"]})
    return ["/trends", f"/trends?{region}&view=breakdown", f"/trends?{region}&view=heatmap",
            f"/warnings?{region}", f"/responses?{region}", f"/briefing?{region}", "/problems",
            "/sql", "/admin_points", "/admin_questionnaires", "/admin_history",
            "/admin_accounts", "/rounds", "/reviews", "/reminders", "/audit", "/login"]


def public_pages(app) -> list[str]:
    return [f"/f?code={app['codes']['ZQ-P1']}", "/clue?point=ZQ-P1", "/rate?point=ZQ-P2"]


def test_every_page_shows_typed_text_as_text_at_375_and_1280_px(app):
    found = {}
    anonymous = app["browser"].new_context(locale="zh-CN")  # the public's pages: phone first
    sweep(anonymous.new_page(), app["url"], public_pages(app), (375, 1280), app["tmp"], found)
    anonymous.close()

    staff = app["browser"].new_context(locale="zh-CN")
    page = staff.new_page()
    sign_in(page, app["url"] + "/login")
    sweep(page, app["url"], staff_pages(), (1280, 375), app["tmp"], found)
    staff.close()
    assert not found, "\n".join(f"{p}: {x}" for p, xs in found.items() for x in xs)


def test_downloads_write_typed_text_as_text(app):
    """The points export a spreadsheet opens: =HYPERLINK(...) typed as a name stays text."""
    context = app["browser"].new_context(viewport={"width": 1280, "height": 900},
                                         locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    sign_in(page, app["url"] + "/admin_points")
    page.get_by_role("tab", name="导入导出").click()
    settle(page)
    files = {}
    for label in ("导出 CSV", "导出 Excel"):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        files[label] = download.value.path().read_bytes()
    context.close()

    text = files["导出 CSV"].decode("utf-8-sig")
    assert "'" + H["ZQ10"].replace('"', '""') in text  # the apostrophe: read as text
    sheet = openpyxl.load_workbook(io.BytesIO(files["导出 Excel"])).active
    cells = {c.value: c for row in sheet.iter_rows() for c in row}
    formula = cells[H["ZQ10"]]
    assert formula.data_type == "s" and formula.quotePrefix  # a string, not a formula
    assert H["ZQ01"] in cells and H["ZQ07"] in cells  # verbatim
