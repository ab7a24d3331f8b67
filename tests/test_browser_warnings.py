"""A county leader reads a warning on a phone and on a PC, in English and in Chinese, in real
Chromium: the chart fits and says everything (no label cut), and no Streamlit word in
English is left in the Chinese page (the chart toolbar, the multiselect's 'Select all')."""

import time

import pytest

from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle, sign_in
from tests.conftest import KEY, STAFF_PASSWORD, add_staff

playwright = pytest.importorskip("playwright.sync_api")

# every text of the first warning's chart; those reaching outside the chart's own box (cut
# off on screen) with their left, right, top and bottom against the box's
CHART_TEXTS = """() => {
  const svg = document.querySelector('[data-testid=stVegaLiteChart] svg');
  const box = svg.getBoundingClientRect();
  const edges = r => [r.left, r.right, r.top, r.bottom].map(Math.round).join(",");
  const cut = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).filter(t => {
    const r = t.getBoundingClientRect();
    return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 ||
           r.bottom > box.bottom + 1;
  }).map(t => `${t.textContent} at ${edges(t.getBoundingClientRect())} in ${edges(box)}`);
  return {texts: [...svg.querySelectorAll('text')].map(t => t.textContent), cut,
          width: box.width, page: document.documentElement.clientWidth};
}"""


def test_a_county_leader_reads_a_warning_on_a_phone_and_a_pc(tmp_path):
    from survey import trends
    from survey.bootstrap import start
    from survey.config import resolve
    from survey.leader_config import load_rules
    from survey.metrics import Filter
    chromium = require_chromium()
    db = tmp_path / "demo.duckdb"
    env = {"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode()}
    store = start(resolve(env)).store
    _, found, _ = trends.alerts(store, Filter(), load_rules()[0], 5)
    regions = dict((p, (pref, county)) for p, pref, county in store.query(
        "SELECT point_id, prefecture, county FROM points"))
    county = regions[sorted(a.point_id for a in found)[0]]
    add_staff(store, "li", "leader", county)
    store.close()
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        for width in (375, 1280):
            page = browser.new_page(viewport={"width": width, "height": 1400})
            sign_in(page, url, "/warnings", "li", STAFF_PASSWORD)
            for lang in ("en", "zh"):
                page.goto(f"{url}/warnings" + ("?lang=en" if lang == "en" else ""))
                page.wait_for_selector("[data-testid=stVegaLiteChart] svg text", timeout=30000)
                settle(page)
                time.sleep(0.5)  # the chart's resize to the container
                chart = page.evaluate(CHART_TEXTS)
                assert chart["cut"] == [], (width, lang, chart["cut"])
                assert chart["width"] <= chart["page"], (width, lang)
                texts = " ".join(chart["texts"])
                window = "Last 2 months: " if lang == "en" else "近2个月平均:"
                assert window in texts or window.replace("2", "3") in texts, texts
                assert ("range if unchanged" if lang == "en" else "如无变化的范围") in texts
                # the toolbar Streamlit draws over a chart on hover, in English: hidden
                page.locator("[data-testid=stVegaLiteChart]").first.hover()
                time.sleep(0.3)
                assert not page.get_by_text("Show data").is_visible()
                assert page.locator("[data-testid=stElementToolbar]").evaluate_all(
                    "els => els.every(e => getComputedStyle(e).display === 'none')")
                page.screenshot(path=str(tmp_path / f"warning-{lang}-{width}.png"))
            # the filter's kinds of point: no English 'Select all' in the Chinese list
            page.get_by_text("筛选").first.click()
            page.get_by_text("类型", exact=True).first.wait_for(timeout=10000)
            settle(page)
            page.locator("[data-testid=stMultiSelect]").last.locator("input").click()
            page.keyboard.press("ArrowDown")
            page.locator("[role=option]").first.wait_for(timeout=10000)
            assert page.locator("[role=option]").count() >= 3
            assert page.get_by_text("Select all").count() == 0
            page.close()
        browser.close()
