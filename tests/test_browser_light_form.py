"""The light form (/f, issue 27) in real Chromium with JavaScript OFF, on a phone (375 x 800,
zh-CN), against the real app (`streamlit run`): every step is a plain form post.

An unchanged month: the QR-style link, then two taps to the receipt, nothing typed, with the
questionnaire's source questions on (docs/sources.md: a filed inspection listed this month, the
bodies documents mainly came from carried from last month). A changed
number survives a reload: the draft the step saved brings it back. axe-core finds no serious
or critical problem on the code screen, a part, the confirmation and the receipt, in Chinese
and in English (axe runs as a script: that context has JavaScript on)."""

import time

import pytest

from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app
from tests.conftest import KEY, complete_answers
from tests.test_light_form_sources import county_with_plan

playwright = pytest.importorskip("playwright.sync_api")

WIDTH, HEIGHT = 375, 800
LABEL = "本月收到上级文件、通知、便函共几件?"  # the first question: a real <label> finds it


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The real app on a DuckDB file with four codes, each with last month submitted (documents
    mainly from 县教育局 and 市委办), and a filed inspection this month."""
    db = tmp_path_factory.mktemp("light") / "survey.duckdb"
    env = county_with_plan(db, codes=4)
    codes, qn, period, previous = env["codes"], env["qn"], env["period"], env["previous"]
    env = {"SURVEY_DB": str(db), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0",
           "SURVEY_SNAPSHOT_MINUTES": "0"}
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS)
        yield url, browser, codes, qn, period, previous, db
        browser.close()


def phone(browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN",
                                  java_script_enabled=False)
    return context, context.new_page()


def test_unchanged_month_in_two_taps_without_javascript(app, tmp_path):
    url, browser, codes, qn, period, previous, _ = app
    context, page = phone(browser)
    page.goto(f"{url}/f?code={codes[0]}")  # what a QR code will open
    assert page.url == f"{url}/f"  # the code is out of the address at once
    keep = page.get_by_role("button", name="与上期相同,一键确认")
    box = keep.bounding_box()
    assert box["y"] + box["height"] <= HEIGHT and box["height"] >= 44  # in view, tappable
    assert page.get_by_label(LABEL).input_value() == str(complete_answers()["documents"])
    assert page.get_by_text(f"上期值 ({previous})").count() > 0  # carried values say so
    page.screenshot(path=str(tmp_path / "1-opened.png"))
    taps = 0
    started = time.perf_counter()
    keep.click()
    taps += 1
    page.get_by_text(f"共 16 项答案,与上期({previous})相同。").wait_for()
    # what the sources say, before the cadre submits: the listed inspection did not come
    assert page.get_by_text("督检考来源: 计划内来了 0/1 项; 清单外 0 项").count() == 1
    assert page.get_by_text("文件主要来自: 县教育局、市委办").count() == 1
    page.screenshot(path=str(tmp_path / "2-confirm.png"))
    page.get_by_role("button", name="提交").click()
    taps += 1
    page.get_by_text("已提交,谢谢!").wait_for()
    page.screenshot(path=str(tmp_path / "3-receipt.png"))
    assert taps == 2 and page.get_by_text("回执编号").count() == 1
    print(f"unchanged month, first tap to receipt: {time.perf_counter() - started:.2f} s")
    context.close()


def test_a_changed_number_survives_a_reload_without_javascript(app):
    url, browser, codes, qn, *_ = app
    context, page = phone(browser)
    page.goto(f"{url}/f?code={codes[1]}")
    field = page.get_by_label(LABEL)
    assert field.input_value() == str(complete_answers()["documents"])
    field.fill("41")
    # a phone keyboard's 前往 (Enter) is 下一步, not a header button of the same form (the
    # language switch came first in the page and turned the form English)
    field.press("Enter")
    page.get_by_text("第 2/").wait_for()
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.reload()
    page.get_by_text("第 2/").wait_for()  # back where the cadre was
    page.get_by_role("button", name="上一步").click()
    assert page.get_by_label(LABEL).input_value() == "41"
    assert page.get_by_text("其余保持上期,去提交").count() == 1  # it counts as changed
    context.close()


def axe_problems(page, where: str) -> list[str]:
    """Serious and critical axe-core violations on the page, one line each."""
    from axe_playwright_python.sync_playwright import Axe
    found = Axe().run(page).response["violations"]
    return [f"{where}: {v['id']} ({v['impact']}) {[n['target'] for n in v['nodes']][:3]}"
            for v in found if v["impact"] in ("serious", "critical")]


def tap(page, name: str) -> None:
    """A button that posts the form: back when the next page has loaded."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def test_no_serious_accessibility_problems_in_chinese_and_english(app, tmp_path):
    url, browser, codes, *_ = app
    problems = []
    for lang, code, (start, next_, review, submit) in (
            ("zh", codes[2], ("开始填报", "下一步", "检查答案", "提交")),
            ("en", codes[3], ("Start", "Next", "Review answers", "Submit"))):
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                      locale="zh-CN" if lang == "zh" else "en-US")
        page = context.new_page()
        page.goto(f"{url}/f" + ("?lang=en" if lang == "en" else ""))
        problems += axe_problems(page, f"{lang} code screen")
        page.locator("#code").fill(code)
        tap(page, start)
        problems += axe_problems(page, f"{lang} part 1")
        while page.get_by_role("button", name=review, exact=True).count() == 0:
            tap(page, next_)
        tap(page, review)   # the last part: "no change in burden" is not carried
        problems += axe_problems(page, f"{lang} part with an answer missing")
        page.screenshot(path=str(tmp_path / f"{lang}-missing.png"), full_page=True)
        page.locator("fieldset[aria-invalid=true] input").first.check()
        tap(page, review)
        problems += axe_problems(page, f"{lang} confirmation")
        tap(page, submit)
        page.locator(".receipt").wait_for()
        problems += axe_problems(page, f"{lang} receipt")
        page.screenshot(path=str(tmp_path / f"{lang}-receipt.png"), full_page=True)
        context.close()
    assert not problems, "\n".join(problems)
