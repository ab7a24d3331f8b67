"""The source questions on the light form (issue 20, docs/sources.md) over plain HTTP, as a
browser with JavaScript off uses them, on a real DuckDB file: this month's filed inspections
listed for the point, ticking one and adding one not on the list (其他 + text), a half-filled
row refused beside the block in both languages with nothing lost, the draft, "mainly from"
carried forward, and analysts seeing no per-point source answer. The store's part on both
engines is in tests/test_source_answers.py; two taps in Chromium in
tests/test_browser_light_form.py."""

from __future__ import annotations

import datetime as dt
import html
import re

from survey import periods
from survey.bootstrap import publish_dir
from survey.sources import OTHER, read_sources
from survey.store import Point, Store, bodies, plans
from survey.store.bodies import BodyEntry
from survey.store.plans import PlanEntry
from tests.conftest import KEY, ROOT, VILLAGE, complete_answers
from tests.test_light_form import app_env, client, with_store  # noqa: F401 (a fixture)

ELSEWHERE = Point("P-VIL-2", "新河村", "village", "village", VILLAGE.region)
INSPECTIONS = "a.sources.inspections"


def county_with_plan(db_path, codes=1) -> dict:
    """VILLAGE with `codes` cadres who submitted last month (documents mainly from 县教育局 and
    a typed 市委办); the county's bodies; this month's plan: a 县教育局 督查 for the county (listed),
    a 县卫健局 检查 for another village only and a 县教育局 考核 last month (neither listed)."""
    store = Store(db_path, KEY)
    assert not publish_dir(store, ROOT / "questionnaires")[1]
    store.add_points([VILLAGE, ELSEWHERE])
    qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    period = store.open_periods(qn)[0]
    previous = periods.previous("month", period)
    county = VILLAGE.region[:2]
    bodies.save_bodies(store, [
        BodyEntry("", county, "县教育局", "清河县教育局", "department", dt.date(2024, 1, 1)),
        BodyEntry("", county, "县卫健局", "清河县卫生健康局", "department", dt.date(2024, 1, 1)),
        BodyEntry("", VILLAGE.region, "城关镇党委", "中共城关镇委员会", "township",
                  dt.date(2024, 1, 1))], "officer")
    ids = {b.current.short_name: b.body_id for b in bodies.registry(store).current()}
    filed = periods.bounds("month", previous)[0] - dt.timedelta(days=20)
    plans.file_items(store, [
        PlanEntry(ids["县教育局"], "inspection", "义务教育双减督查", period, county, filed_on=filed),
        PlanEntry(ids["县卫健局"], "check", "村卫生室检查", period, (), (ELSEWHERE.point_id,),
                  filed_on=filed),
        PlanEntry(ids["县教育局"], "assessment", "年度考核", previous, county, filed_on=filed)],
        "officer")
    items = {v.subject: v.item_id for v in plans.current(store, int(period[:4]))
             + plans.current(store, int(previous[:4]))}
    issued = store.issue_codes(VILLAGE.point_id, codes)
    for i, code in enumerate(issued):
        report = read_sources(VILLAGE.point_id, VILLAGE.region, previous, None, {
            "documents": [{"body": ids["县教育局"]}, {"body": OTHER, "text": "市委办"}]})
        store.submit(store.respondent(code), qn, previous, complete_answers(), f"last-{i}",
                     sources=report)
    store.close()
    return {"codes": issued, "qn": qn, "period": period, "previous": previous, "ids": ids,
            "items": items}


def fields(page: str) -> list[tuple[str, str]]:
    """What a JavaScript-off browser posts from the page: inputs (ticked ones only), and each
    select's chosen option."""
    found = []
    for tag in re.findall(r"<input[^>]*>", page):
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
        if "name" not in attrs or attrs.get("type") in ("radio", "checkbox") \
                and " checked" not in tag:
            continue
        found.append((attrs["name"], html.unescape(attrs.get("value", ""))))
    for name, options in re.findall(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', page,
                                    re.S):
        chosen = re.findall(r'<option value="([^"]*)" selected>', options)
        found.append((name, html.unescape(chosen[0] if chosen else "")))
    return found


def post(c, page: str, action: str, drop=(), **changes):
    """The page's form posted with `action`; `changes` set fields (a list: several values),
    `drop` unticks boxes."""
    data: dict[str, list] = {}
    for name, value in fields(page):
        if name not in changes and (name, value) not in drop:
            data.setdefault(name, []).append(value)
    for name, value in changes.items():
        data[name] = value if isinstance(value, list) else [value]
    data["action"] = [action]
    return c.post("/f", data=data)


def to_inspections(c, lang="") -> str:
    """From the form's first part to the part with the inspections count (the third)."""
    suffix = "&lang=en" if lang == "en" else ""
    page = c.get("/f" + ("?lang=en" if lang == "en" else "")).text
    while "a.inspections" not in page:
        post(c, page, "next")
        page = c.get("/f?step=1" + suffix).text
    return page


def source_rows(db, period):
    return with_store(db, lambda s: s.query(
        "SELECT r.topic, r.how, r.body_id, r.other_text, r.kind, r.amount, r.item_id, "
        "r.off_plan FROM source_report r JOIN kept k USING (submission_id) "
        "WHERE r.month = ? ORDER BY r.entry", [period]))


def test_the_month_s_filed_inspections_for_the_point_are_listed(app_env):
    env = county_with_plan(app_env)
    with client() as c:
        c.get(f"/f?code={env['codes'][0]}")
        page = to_inspections(c)
        assert "本月计划内的督检考:以下哪些实际来了?" in page
        assert f'name="{INSPECTIONS}.came" value="{env["items"]["义务教育双减督查"]}"' in page
        assert "县教育局 · 督查 · 义务教育双减督查" in page
        for other in ("村卫生室检查", "年度考核"):  # another point's, last month's
            assert other not in page
        # the picklist: the county's bodies and the point's township, grouped, and 其他
        c.post("/f", data=dict(fields(page), action=f"sources_row:sources.inspections"))
        page = c.get("/f?step=1").text
        assert '<optgroup label="清河县">' in page and '<optgroup label="城关镇">' in page
        assert '<option value="其他">其他</option>' in page
        assert f'<label for="f-sources-inspections-body-1">单位</label>' in page
        assert "<legend>清单外第 1 项</legend>" in page


def test_ticked_and_off_list_inspections_reach_source_report_with_their_verdicts(app_env):
    env = county_with_plan(app_env)
    listed = env["items"]["义务教育双减督查"]
    with client() as c:
        c.get(f"/f?code={env['codes'][0]}")
        page = to_inspections(c)
        post(c, page, f"sources_row:sources.inspections", **{f"{INSPECTIONS}.came": listed})
        page = c.get("/f?step=1").text
        assert f'value="{listed}" checked' in page  # the tick survived the added row
        post(c, page, "sources_row:sources.inspections", **{
            f"{INSPECTIONS}.body_1": OTHER, f"{INSPECTIONS}.text_1": " 市里暗访组 ",
            f"{INSPECTIONS}.kind_1": "inspection"})
        page = c.get("/f?step=1").text
        post(c, page, "keep", **{f"{INSPECTIONS}.body_2": env["ids"]["县卫健局"],
                                 f"{INSPECTIONS}.kind_2": "check"})
        page = c.get("/f?step=1").text
        assert "督检考来源: 计划内来了 1/1 项; 清单外 2 项" in page  # said before submitting
        post(c, page, "submit")
        assert "已提交" in c.get("/f?step=1").text
    ids = env["ids"]
    assert source_rows(app_env, env["period"]) == [
        ("inspections", "came", ids["县教育局"], "", "inspection", 1.0, listed, None),
        ("inspections", "other", None, "市里暗访组", "inspection", 1.0, None,
         "not_filed"),
        ("inspections", "other", ids["县卫健局"], "", "check", 1.0, None, "not_filed"),
        # "mainly from" carried from last month, the count split over the two bodies
        ("documents", "mainly", ids["县教育局"], "", None, 20.0, None, None),
        ("documents", "mainly", None, "市委办", None, 20.0, None, None)]


def test_a_half_filled_row_is_refused_beside_it_in_both_languages_and_kept(app_env):
    env = county_with_plan(app_env)
    body = env["ids"]["城关镇党委"]
    with client() as c:
        c.get(f"/f?code={env['codes'][0]}")
        page = to_inspections(c)
        post(c, page, "sources_row:sources.inspections")
        page = c.get("/f?step=1").text
        post(c, page, "next", **{f"{INSPECTIONS}.body_1": body})   # no kind
        page = c.get("/f?step=1").text
        assert "第 3/" in page  # still here
        assert ('<p class="err" id="err-sources-inspections">第 1 项清单外督检考:请选择类型'
                '(督查、检查、考核或调研)。</p>') in page
        assert 'aria-describedby="err-sources-inspections"' in page
        assert f'<option value="{body}" selected>城关镇党委</option>' in page  # nothing lost
        english = c.get("/f?step=1&lang=en").text
        assert "inspection 1 not on the list: choose its kind" in english
        # 与上期相同 does not pass it by: the form stays at the block
        post(c, english, "keep")
        page = c.get("/f?step=1").text
        assert "第 3/" in page and "请选择类型" in page
        # fixed: on to the next part
        post(c, page, "next", **{f"{INSPECTIONS}.kind_1": "research"})
        page = c.get("/f?step=1").text
        assert "请选择类型" not in page and ("第 4/" in page or "提交" in page)


def test_mainly_from_picks_a_body_twice_is_refused_and_too_long_a_name_too(app_env):
    env = county_with_plan(app_env)
    first = env["ids"]["县教育局"]
    with client() as c:
        c.get(f"/f?code={env['codes'][0]}")
        page = c.get("/f").text
        post(c, page, "next", **{"a.sources.from.meetings.body_1": first,
                                 "a.sources.from.meetings.body_2": first})
        page = c.get("/f?step=1").text
        assert "第 1/" in page and "会议主要来自:第 2 个单位重复,每个单位只选一次。" in page
        assert "<details class=\"src\" data-q=\"sources.from.meetings\" open>" in page
        long_name = "长" * 101
        post(c, page, "next", **{"a.sources.from.meetings.body_2": OTHER,
                                 "a.sources.from.meetings.text_2": long_name})
        english = c.get("/f?step=1&lang=en").text
        assert "meetings, body 2:" in english and "第 1/" in c.get("/f?step=1").text


def test_the_answers_ride_in_the_draft_and_come_back_after_a_reload(app_env):
    env = county_with_plan(app_env)
    listed = env["items"]["义务教育双减督查"]
    with client() as c:
        c.get(f"/f?code={env['codes'][0]}")
        page = to_inspections(c)
        post(c, page, "sources_row:sources.inspections", **{f"{INSPECTIONS}.came": listed})
        page = c.get("/f?step=1").text
        post(c, page, "save", **{f"{INSPECTIONS}.body_1": OTHER,
                                 f"{INSPECTIONS}.text_1": "市里暗访组",
                                 f"{INSPECTIONS}.kind_1": "check"})
    with client() as c:  # another visit with the same code: the draft
        c.get(f"/f?code={env['codes'][0]}")
        page = c.get("/f").text
        assert "已恢复" in page
        assert f'value="{listed}" checked' in page
        assert 'value="市里暗访组"' in page and '<option value="check" selected>' in page
    draft = with_store(app_env, lambda s: s.query(
        "SELECT answers_json FROM draft")[0][0])
    assert '"sources.inspections"' in draft and "市里暗访组" in draft


def test_mainly_from_carries_forward_and_inspections_do_not(app_env):
    env = county_with_plan(app_env)
    with client() as c:
        c.get(f"/f?code={env['codes'][0]}")
        page = c.get("/f").text
        assert (f'<option value="{env["ids"]["县教育局"]}" selected>县教育局</option>' in page)
        assert 'name="a.sources.from.documents.text_2" maxlength="100" value="市委办"' in page
        assert f"文件主要来自: 县教育局、市委办 (上期值)" in page
        assert "会议主要来自</summary>" in page  # nothing picked last month: nothing carried
        assert "Documents mainly from: 县教育局、市委办 (last period)" in c.get("/f?lang=en").text
        page = to_inspections(c)
        assert " checked" not in page.split("本月计划内的督检考")[1].split("</fieldset>")[0]
        english = c.get("/f?step=1&lang=en").text
        assert "This month&#39;s planned inspections: which of these actually came?" in english


def test_analysts_see_no_per_point_source_answer(app_env):
    env = county_with_plan(app_env)
    with client() as c:
        c.get(f"/f?code={env['codes'][0]}")
        page = to_inspections(c)
        post(c, page, "sources_row:sources.inspections")
        page = c.get("/f?step=1").text
        post(c, page, "keep", **{f"{INSPECTIONS}.body_1": OTHER,
                                 f"{INSPECTIONS}.text_1": "市里暗访组",
                                 f"{INSPECTIONS}.kind_1": "check"})
        post(c, c.get("/f?step=1").text, "submit")

    def leaks(store):
        return store.query(
            "SELECT count(*) FROM answers WHERE question_id LIKE 'sources%' OR "
            "value_text LIKE '%暗访%' OR value_text LIKE '%市委办%' OR value_text LIKE 'B-%'"
        )[0][0], store.query("SELECT count(*) FROM source_report WHERE other_text = '市里暗访组'"
                             )[0][0]
    assert with_store(app_env, leaks) == (0, 1)  # stored for leaders' k figures, not as answers
