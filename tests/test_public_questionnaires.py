"""Public questionnaires (audience: public) reach the public: a link and QR code per
questionnaire and point (/rate?point=ID&q=ID), no sign-in, one answer per browser and period,
nothing identifying stored; what cannot work in public is refused by validation (issue 26).
Also the form widgets seen there: no English "Select all", a matrix label as text."""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from survey import code_sheet
from survey.bootstrap import start
from survey.config import resolve
from survey.questionnaire import parse_text
from tests.conftest import KEY, ROOT, VILLAGE, rate_page

TODAY = dt.date.today()
SERVICE = f"""
id: service_survey
version: 1
title: {{zh: 便民服务专项调查, en: Service survey}}
audience: public
period: once
opens: {TODAY - dt.timedelta(days=2)}
closes: {TODAY + dt.timedelta(days=20)}
sections:
  - id: s
    title: 调查
    questions:
      - id: channels
        type: multiple_choice
        label: 您通过哪些渠道办事?
        required: true
        other: true
        choices:
          - {{value: 1, label: 窗口}}
          - {{value: 2, label: 网上}}
          - {{value: 3, label: 3.其他(请注明)}}
      - id: visits
        type: integer
        label: 这件事您来了几次?
        min: 1
      - id: why
        type: short_text
        label: 2. 为什么没能一次办成?
        relevant: visits >= 2
        max_length: 100
      - id: grid
        type: matrix
        label: "请分别评价:"
        required: true
        choices:
          - {{value: 1, label: 满意}}
          - {{value: 2, label: 不满意}}
        rows:
          - {{id: speed, label: 速度}}
"""


@pytest.fixture
def public_app(tmp_path, monkeypatch):
    folder = tmp_path / "forms"
    folder.mkdir()
    shutil.copy(ROOT / "questionnaires" / "public_rating.yaml", folder)
    (folder / "service_survey.yaml").write_text(SERVICE, encoding="utf-8")
    env = {"SURVEY_DB": str(tmp_path / "public.duckdb"), "SURVEY_CODE_KEY": KEY.decode(),
           "SURVEY_QUESTIONNAIRES": str(folder), "SURVEY_DEMO": "0"}
    startup = start(resolve(env))
    assert not startup.problems
    startup.store.add_points([VILLAGE])
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield startup.store
    startup.store.close()


def submit(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "提交").click().run()
    assert not at.exception
    return at


def test_a_public_questionnaire_is_filled_from_its_link_without_sign_in(public_app):
    store = public_app
    sheet = code_sheet.render_public(VILLAGE.name, "https://jianfu.example.gov.cn",
                                     VILLAGE.point_id,
                                     [(q.id, q.title.zh) for q in
                                      store.questionnaires_for(VILLAGE, "public")])
    links = re.findall(r"<div class=hint>([^<]+)</div>", sheet)
    assert "https://jianfu.example.gov.cn/rate?point=P-VIL-1&amp;q=service_survey" in links
    assert "https://jianfu.example.gov.cn/rate?point=P-VIL-1&amp;q=public_rating" in links
    at = rate_page(VILLAGE.point_id, "service_survey")
    assert at.title[0].value == "便民服务专项调查"
    assert [h.value for h in at.subheader] == ["调查"]  # the section's title, as on the cadre form
    assert f"{TODAY - dt.timedelta(days=2)} 至 {TODAY + dt.timedelta(days=20)}" in \
        at.caption[0].value
    picker = at.multiselect(key="rate:service_survey:channels")
    assert picker.proto.select_all == 0  # no English "Select all" ticking every option
    # the matrix label is text: no markdown left over (it read **请分别评价: ***)
    assert not [m for m in at.markdown if "**" in m.value]
    assert any("请分别评价: *" in h.proto.body for h in at.get("html"))
    picker.set_value(["1", "3"]).run()
    at.radio(key="rate:service_survey:grid:speed").set_value("1").run()
    box = at.text_input(key="rate:service_survey:channels.other")
    # its name as written (a screen reader reads it), shown as text above it: no backslash
    assert box.label == "3.其他(请注明) *" and box.proto.label_visibility.value == 2
    assert any(">3.其他(请注明) *</p>" in h.proto.body for h in at.get("html"))
    assert not at.error  # nothing said before the cadre had the chance to type
    submit(at)
    # the box is still empty: said beside it, and above the button
    assert [e.value for e in at.error] == ["请注明“其他”的具体内容。",
                                          "还有 1 处需要填写或修改,请查看标红的题目。"]
    at.number_input(key="rate:service_survey:visits").set_value(0).run()
    assert "不能小于 1。" in [e.value for e in at.error]  # a wrong answer: said at once
    at.number_input(key="rate:service_survey:visits").set_value(1).run()
    at.text_input(key="rate:service_survey:channels.other").input("12345 热线").run()
    submit(at)
    assert at.success[0].value == "已提交,谢谢您的参与!"
    rows = store.query("SELECT s.period_key, a.value_choices, a.other_text FROM answers a JOIN "
                       "submissions s USING (submission_id) WHERE a.question_id = 'channels'")
    assert rows == [(str(TODAY - dt.timedelta(days=2)), ["1", "3"], "12345 热线")]
    # nothing identifying: the rater is a pseudonym of the browser at this point
    [(rater_point,)] = store.query("SELECT point_id FROM public_rater")
    assert rater_point == VILLAGE.point_id
    at.run()  # the same browser comes back: the thanks, no form
    assert at.success and not at.multiselect
    assert rate_page(VILLAGE.point_id, "service_survey").multiselect  # another browser: the form


def test_a_follow_up_is_asked_as_soon_as_its_condition_holds(public_app):
    at = rate_page(VILLAGE.point_id, "service_survey")
    assert "rate:service_survey:why" not in [w.key for w in at.text_input]
    at.number_input(key="rate:service_survey:visits").set_value(2).run()  # one change, one run
    assert "rate:service_survey:why" in [w.key for w in at.text_input]
    at.number_input(key="rate:service_survey:visits").set_value(1).run()
    assert "rate:service_survey:why" not in [w.key for w in at.text_input]


def test_a_text_field_counts_to_its_own_limit(public_app):
    """The counter under a text field counts to the question's max_length (it said 20000).
    (Field names without markdown escapes: tests/test_browser_hostile_text.py.)"""
    at = rate_page(VILLAGE.point_id, "service_survey")
    at.number_input(key="rate:service_survey:visits").set_value(2).run()
    assert at.text_input(key="rate:service_survey:why").proto.max_chars == 100


def test_the_default_link_opens_the_rating_and_an_unknown_one_says_how_to_open(public_app):
    """Posters printed before public questionnaires say /rate?point=ID: 万人评, also once a
    questionnaire whose id sorts first is published (it opened that one: try-out of issue 26)."""
    first, problems = parse_text(SERVICE.replace("id: service_survey", "id: a_phone_survey"),
                                 "a_phone_survey.yaml")
    assert not problems
    public_app.publish(first)
    at = rate_page(VILLAGE.point_id, None)
    assert at.title[0].value == "群众满意度评价(万人评)"
    assert rate_page(VILLAGE.point_id, "no_such_form").info[0].value.startswith(
        "请扫描办事场所张贴的二维码")


def test_what_cannot_work_in_public_is_refused_by_validation():
    text = SERVICE.replace("        required: true\n        other: true",
                           "        required: true\n        carry_forward: true\n"
                           "        other: true")
    _, problems = parse_text(text, "service_survey.yaml")
    assert [(p.code, p.question) for p in problems] == [("Q128", "channels")]
    assert "'carry_forward' cannot work in a public questionnaire" in problems[0].message
    assert problems[0].line == text.splitlines().index("        carry_forward: true") + 1


def test_once_per_browser_holds_when_the_browser_is_closed_and_opened_again(tmp_path):
    """The rater was a hash of Streamlit's session cookie: a phone that closed the browser and
    opened the poster again answered again, up to the address's daily limit (try-out of issue
    26). The public page now gives the browser a random token in a lasting cookie."""
    from tests.browser_support import CHROMIUM_ARGS, require_chromium, running_app, settle
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = require_chromium()
    env = {"SURVEY_DB": str(tmp_path / "public.duckdb"), "SURVEY_CODE_KEY": KEY.decode(),
           "SURVEY_DEMO": "0"}
    startup = start(resolve(env))
    startup.store.add_points([VILLAGE])
    startup.store.close()
    link = f"/rate?point={VILLAGE.point_id}"
    with running_app(env) as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        phone = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
        page = phone.new_page()
        page.goto(url + link)
        for field, choice in (("overall", "比较满意"), ("aspects-efficiency", "一般"),
                              ("aspects-attitude", "很满意")):
            page.locator(f".st-key-rate-public_rating-{field}").get_by_text(
                choice, exact=True).click()
            settle(page)
        page.get_by_role("button", name="提交").click()
        page.get_by_text("已提交,谢谢您的参与!").wait_for(timeout=30000)
        [rater] = [c for c in phone.cookies() if c["name"] == "survey_rater"]
        assert rater["httpOnly"] and rater["expires"] > dt.datetime.now().timestamp() + 300 * 86400
        # the browser is closed: what it keeps is the cookies that outlive a session
        kept = [c for c in phone.cookies() if c["expires"] > 0]
        phone.close()
        again = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
        again.add_cookies(kept)
        page = again.new_page()
        page.goto(url + link)
        page.get_by_text("您本期已填写过").wait_for(timeout=30000)
        assert page.get_by_role("button", name="提交").count() == 0
        browser.close()
