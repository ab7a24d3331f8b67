"""Text people typed stays text on every page (issue 29), in real Chromium at 375 and 1280 px.

A database is seeded, through the core's own functions and imports, with hostile text in every
field a visitor, a cadre, an importer or a staff member fills: point and region names (a
points import), a questionnaire's title, sections, labels, hints and choices (an XLSForm
import), a problem report and the steps taken on it, a return's reason, an account's name, a
robot's name. Each hostile string carries a marker (ZQ01...). Every page is then opened (staff
pages signed in as an admin whose own name is hostile; public pages anonymous), and the test
fails on any link or image made from them, any bold, italic, heading, list, code, coloured or
maths element made from them, and any marker whose text is not shown exactly as typed.
Downloads write them as text, not formulas."""

from __future__ import annotations

import datetime as dt
import io
import urllib.parse

import openpyxl
import pytest

from survey import points_io
from survey.bootstrap import start
from survey.config import resolve
from survey.interop import xlsform_import
from survey.metrics import Filter
from survey.store import clues, reviews
from survey.store import rounds as round_store
from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle
from tests.conftest import KEY, STAFF_PASSWORD, complete_answers

playwright = pytest.importorskip("playwright.sync_api")

HOSTILE = {
    "ZQ01": "[官方通知ZQ01](http://evil.example/zq01)",
    "ZQ02": "见 http://evil.example/zq02 ZQ02",
    "ZQ03": "www.evil.example/ZQ03",
    "ZQ04": "ZQ04 a@evil.example",
    "ZQ05": "**粗ZQ05**",
    "ZQ06": "_斜ZQ06_ *斜*",
    "ZQ07": "<b>ZQ07</b><a href='http://evil.example/zq07'>点</a>",
    "ZQ08": "![图ZQ08](http://evil.example/zq08.png)",
    "ZQ09": "# 标题ZQ09",
    "ZQ10": '=HYPERLINK("http://evil.example/zq10","ZQ10")',
    "ZQ11": ":material/home: ZQ11 :streamlit:",
    "ZQ12": ":red[ZQ12] :blue-background[蓝]",
    "ZQ13": "$ZQ13^2$",
    "ZQ14": "`ZQ14`",
    "ZQ15": "~~ZQ15~~",
    "ZQ16": "1. ZQ16 -> x",
    "ZQ17": "> ZQ17 引用",
    "ZQ18": "- ZQ18 列表",
}
H = HOSTILE
ADMIN = "sweeper"


def hostile_points_csv() -> bytes:
    """Six points in a hostile prefecture, county and townships (enough to pass k = 5)."""
    rows = ["point_id,name,level,kind,prefecture,county,township,active"]
    names = [H["ZQ01"], H["ZQ02"], H["ZQ03"], H["ZQ04"], H["ZQ07"], H["ZQ10"]]
    for i, name in enumerate(names, start=1):
        fields = [f"ZQ-P{i}", name, "village", "village", H["ZQ05"], H["ZQ08"],
                  H["ZQ11"] if i % 2 else H["ZQ16"], "1"]
        rows.append(",".join('"' + f.replace('"', '""') + '"' for f in fields))
    return ("\n".join(rows) + "\n").encode("utf-8")


def hostile_xlsform() -> bytes:
    """A questionnaire as an importer typed it: title, section, labels, hints, choices."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::Chinese (zh)", "hint::Chinese (zh)", "required"])
    survey.append(["begin group", "g1", H["ZQ09"], None, None])
    survey.append(["integer", "q_num", H["ZQ01"], H["ZQ03"], "yes"])
    survey.append(["select_one yn", "q_choice", H["ZQ05"], H["ZQ15"], None])
    survey.append(["text", "q_text", H["ZQ12"], H["ZQ14"], None])
    survey.append(["end group", None, None, None, None])
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::Chinese (zh)"])
    choices.append(["yn", "a", H["ZQ02"]])
    choices.append(["yn", "b", H["ZQ11"]])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version"])
    settings.append([H["ZQ16"], "a_hostile", "1"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def seed(store) -> dict:
    preview = points_io.preview(points_io.read_table(hostile_points_csv(), "points.csv"),
                                {p.point_id for p in store.points()})
    assert preview.ok, preview.errors
    store.upsert_points(preview.points, "importer")
    imported = xlsform_import.import_xlsform(hostile_xlsform(), "hostile.xlsx")
    assert imported.questionnaire is not None, imported.problems
    store.publish(imported.questionnaire, "importer")

    store.create_account(ADMIN, H["ZQ13"] + " " + H["ZQ17"], "admin", (), STAFF_PASSWORD,
                         "test", must_change=False)
    store.create_account("evil@evil.example", H["ZQ08"], "leader", (H["ZQ05"],), STAFF_PASSWORD,
                         ADMIN, must_change=False)
    monthly = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    period = store.open_periods(monthly)[1]  # last month: the rounds and reviews pages show it
    codes = {}
    for i in range(1, 7):
        code = store.issue_codes(f"ZQ-P{i}", 1, ADMIN)[0]
        codes[f"ZQ-P{i}"] = code
        receipt = store.submit(store.respondent(code), monthly, period,
                               complete_answers(meetings=5 + i), f"zq-{i}")
    admin = store.account(ADMIN)
    reviews.return_submission(store, receipt.submission_id, H["ZQ06"] + " " + H["ZQ02"], admin)
    round_store.add_channel(store, H["ZQ04"], "wecom",
                            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=zq",
                            None, (H["ZQ05"],), None, "zh", ADMIN)
    month = f"{dt.date.today():%Y-%m}"
    clues.report(store, "ZQ-P1", "public", "traces", "county", H["ZQ01"], month,
                 H["ZQ07"] + "\n" + H["ZQ02"] + "\n" + H["ZQ18"])
    problem = clues.problems(store, Filter())["problem_id"].iloc[0]
    clues.transition(store, problem, "verifying", ADMIN, H["ZQ03"] + " " + H["ZQ04"])
    return {"codes": codes, "period": period}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    env = {"SURVEY_DB": str(tmp / "hostile.duckdb"), "SURVEY_CODE_KEY": KEY.decode(),
           "SURVEY_SNAPSHOT_MINUTES": "0"}
    store = start(resolve(env)).store
    seeded = seed(store)
    store.close()
    chromium = require_chromium()
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield {"url": url, "browser": browser, "tmp": tmp, **seeded}
        browser.close()


# What the page made of the hostile strings: links, images, formatting, changed text.
CHECK = """(hostile) => {
  const root = document.querySelector('[data-testid=stApp]');
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
        page.wait_for_selector("[data-testid=stMain] h1, [data-testid=stMain] h2", timeout=30000)
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
    return [f"/?code={app['codes']['ZQ-P1']}", "/clue?point=ZQ-P1", "/rate?point=ZQ-P2"]


def test_every_page_shows_typed_text_as_text_at_375_and_1280_px(app):
    found: dict[str, list[str]] = {}
    anonymous = app["browser"].new_context(locale="zh-CN")  # the public's pages: phone first
    sweep(anonymous.new_page(), app["url"], public_pages(app), (375, 1280), app["tmp"], found)
    anonymous.close()

    staff = app["browser"].new_context(locale="zh-CN")
    page = staff.new_page()
    page.goto(app["url"] + "/login")
    page.get_by_label("用户名").fill(ADMIN)
    page.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    settle(page)
    page.get_by_text("退出登录").wait_for(state="attached", timeout=30000)
    sweep(page, app["url"], staff_pages(), (1280, 375), app["tmp"], found)
    staff.close()
    assert not found, "\n".join(f"{p}: {x}" for p, xs in found.items() for x in xs)


def test_downloads_write_typed_text_as_text(app):
    """The points export a spreadsheet opens: =HYPERLINK(...) typed as a name stays text."""
    context = app["browser"].new_context(viewport={"width": 1280, "height": 900},
                                         locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.goto(app["url"] + "/admin_points")
    page.get_by_label("用户名").fill(ADMIN)
    page.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    settle(page)
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
