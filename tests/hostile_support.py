"""A demo database with hostile text in every field people type and the real app on it, shared
by the browser tests of issue 29 (tests/test_browser_hostile_text.py: text
stays text; tests/test_browser_tabs.py: pages keep their place, on such data).

The text goes in through the core's own functions and imports: point and region names (a
points import), a questionnaire's title, sections, labels, hints and choices (an XLSForm
import), a problem report and the step taken on it, a return's reason, accounts (the admin's
own name too), a robot. Each hostile string carries a marker (ZQ01...)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io

import openpyxl

from survey import points_io
from survey.bootstrap import start
from survey.config import resolve
from survey.interop import xlsform_import
from survey.metrics import Filter
from survey.store import clues, reviews
from survey.store import rounds as round_store
from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle
from tests.conftest import KEY, STAFF_PASSWORD, add_staff, complete_answers

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
    "ZQ19": "www.evil.example 镇ZQ19",
}
H = HOSTILE
ADMIN = "sweeper"


def hostile_points_csv() -> bytes:
    """Six points in a hostile prefecture, county and townships (enough to pass k = 5). A
    region's names hold no / (it separates them), so no URL path either."""
    rows = ["point_id,name,level,kind,prefecture,county,township,active"]
    names = [H["ZQ01"], H["ZQ02"], H["ZQ03"], H["ZQ04"], H["ZQ07"], H["ZQ10"]]
    for i, name in enumerate(names, start=1):
        fields = [f"ZQ-P{i}", name, "village", "village", H["ZQ05"], H["ZQ04"],
                  H["ZQ19"] if i % 2 else H["ZQ16"], "1"]
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
                                {p.point_id: p for p in store.points()})
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
    add_staff(store, "li", "leader")  # a plain one, for the tabs' password reset
    village = next(p for p in store.points() if p.kind == "village" and p.is_demo)
    return {"codes": codes, "period": period, "village": village}


@contextlib.contextmanager
def hostile_app(tmp):
    """The seeded database (demo data too) and the app on it: a server process, so it may
    serve the whole session (Playwright may not: its loop would stay in the test thread)."""
    env = {"SURVEY_DB": str(tmp / "hostile.duckdb"), "SURVEY_CODE_KEY": KEY.decode(),
           "SURVEY_SNAPSHOT_MINUTES": "0"}
    store = start(resolve(env)).store
    seeded = seed(store)
    store.close()
    with running_app(env) as url:
        yield {"url": url, "tmp": tmp, **seeded}


@contextlib.contextmanager
def chromium():
    """One Chromium for a test module."""
    from playwright.sync_api import sync_playwright
    path = require_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def sign_in(page, url: str, username: str = ADMIN) -> None:
    """Open the page (a new browser: no cookies) and sign in there."""
    page.goto(url)
    page.wait_for_selector("input[type=password]", timeout=30000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(STAFF_PASSWORD)
    page.get_by_role("button", name="登录").click()
    settle(page)
    page.get_by_text("退出登录").wait_for(state="attached", timeout=30000)
    settle(page)
