"""The core refuses what the pages refuse (issue 29), with the page's message, so a script, the
command line or a second front end gets the same rules: months, choices, lengths, numbers.
Each store test runs on DuckDB and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from survey import fields, points_io, rounds
from survey.access import MIN_PASSWORD, Account
from survey.errors import message
from survey.metrics import Filter
from survey.store import Point, StoreError
from survey.store import clues, reviews
from survey.store import rounds as round_store
from survey.store import settings
from tests.conftest import STAFF_PASSWORD, VILLAGE, complete_answers

WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k"


def refused(call) -> StoreError:
    with pytest.raises(StoreError) as caught:
        call()
    return caught.value


def test_a_problem_report_names_one_of_the_months_the_page_offers(store):
    months = fields.clue_months()
    assert len(months) == 12 and months[0] == f"{dt.date.today():%Y-%m}"

    def report(happened):
        return clues.report(store, VILLAGE.point_id, "public", "traces", "county", "县农业局",
                            happened, "每周都要拍照留痕")
    for happened in ("2026-13", "last month", "2019-01", months[0] + "-01", 202610):
        error = refused(lambda: report(happened))
        assert message(error, "zh") == "请选择发生时间:近 12 个月中的一个月份(如 2026-10)。"
    next_month = dt.date.today().replace(day=28) + dt.timedelta(days=5)
    refused(lambda: report(f"{next_month:%Y-%m}"))  # not yet
    assert report(months[-1]).startswith("XS-") and report(None).startswith("XS-")
    assert store.query("SELECT count(*) FROM clue")[0][0] == 2


def test_points_are_refused_as_the_page_and_the_import_refuse_them(store):
    long_name = "村" * (fields.POINT_NAME.limit + 1)
    error = refused(lambda: store.upsert_points(
        [Point("P-LONG", long_name, "village", "village", ("江北市",))], "admin"))
    assert message(error, "zh") == "监测点“P-LONG”:监测点名称超过 100 字(现在 101 字),请缩短。"
    assert "longer than 100 characters" in str(error)
    for bad in (Point("P-X", "村", "hamlet", "village", ("江北市",)),
                Point("P-X", "村", "village", "farm", ("江北市",)),
                Point("P-X", "村", "village", "village", ()),
                Point("P-X", "村", "village", "village", ("a", "b", "c", "d")),
                Point("P-X", "村", "village", "village", ("江北市", " ")),
                Point("", "村", "village", "village", ("江北市",)),
                Point("P" * 41, "村", "village", "village", ("江北市",))):
        refused(lambda: store.upsert_points([bad], "admin"))
        refused(lambda: store.add_points([bad]))
    assert message(refused(lambda: store.upsert_points(
        [Point(" ", "村", "village", "village", ("江北市",))], "admin")), "zh") == "请填写监测点编号。"
    refused(lambda: store.update_point(VILLAGE.point_id, "admin", name=""))
    refused(lambda: store.update_point(VILLAGE.point_id, "admin", region=("a", "b", "c", "d")))
    assert store.point(VILLAGE.point_id) == VILLAGE  # nothing written

    csv = ("point_id,name,level,kind,prefecture,county,township,active\n"
           f"P-OK,新村,village,village,江北市,清河县,城关镇,1\nP-LONG,{long_name},village,village,"
           "江北市,,,1\n").encode("utf-8")
    preview = points_io.preview(points_io.read_table(csv, "p.csv"), {})
    assert [line for line, _ in preview.errors] == [3]  # the row the store would refuse
    assert "超过 100 字" in preview.errors[0][1].text("zh")


def test_codes_accounts_passwords_and_the_public_address(store):
    for count in (0, -3, fields.MAX_CODES + 1, 2.5, True):
        error = refused(lambda: store.issue_codes(VILLAGE.point_id, count, "admin"))
        assert message(error, "zh") == "发放数量须为 1 至 200 的整数。"
    assert len(store.issue_codes(VILLAGE.point_id, fields.MAX_CODES, "admin")) == 200

    refused(lambda: store.create_account("u" * 81, "名", "leader", (), STAFF_PASSWORD, "admin"))
    refused(lambda: store.create_account("li", "名" * 81, "leader", (), STAFF_PASSWORD, "admin"))
    refused(lambda: store.create_account("li", "名", "leader", ("a", "", "b"), STAFF_PASSWORD,
                                         "admin"))
    store.create_account("li", "李", "leader", ("江北市",), STAFF_PASSWORD, "admin")
    refused(lambda: store.update_account("li", "admin", display_name="名" * 81))
    store.create_account("boss", "", "admin", (), STAFF_PASSWORD, "admin")
    for change in ({"disabled": True}, {"role": "leader"}):
        error = refused(lambda: store.update_account("boss", "boss", **change))
        assert message(error, "zh") == "不能停用或降级自己的账号。"
    assert store.account("boss").role == "admin" and not store.account("boss").disabled
    weak = refused(lambda: store.set_password("li", "short", "li", must_change=False))
    assert message(weak, "zh") == f"密码至少 {MIN_PASSWORD} 位。"  # the sign-in page's words
    refused(lambda: store.set_password("li", "li-li-li-li-li-1", "li", must_change=False))

    bad_url = refused(lambda: settings.save_setting(store, settings.PUBLIC_URL,
                                                    "http://localhost:8501", "admin"))
    assert "本机地址" in message(bad_url, "zh") and "this computer" in str(bad_url)
    assert settings.setting(store, settings.PUBLIC_URL) is None
    settings.save_setting(store, settings.PUBLIC_URL, "https://survey.example.org", "admin")


def test_notes_reasons_robots_rules_and_periods(store, monthly):
    code = store.issue_codes(VILLAGE.point_id, 1, "admin")[0]
    respondent = store.respondent(code)
    period = store.open_periods(monthly)[0]
    receipt = store.submit(respondent, monthly, period, complete_answers(), "t-1")
    boss = Account("boss", "boss", "admin", ())
    reviews.return_submission(store, receipt.submission_id, "请核实会议次数", boss)
    refused(lambda: reviews.confirm(store, respondent, monthly.id, period,
                                    "对" * (fields.RESPONDENT_NOTE.limit + 1)))
    reviews.confirm(store, respondent, monthly.id, period, "数字无误")

    refused(lambda: store.handle_warning("w1", dt.date.today(), "boss", "办" * 1001))
    clues.report(store, VILLAGE.point_id, "public", "traces", "county", "县农业局", None, "留痕")
    problem = clues.problems(store, Filter())["problem_id"].iloc[0]
    refused(lambda: clues.transition(store, problem, "verifying", "boss", "核" * 2001))

    for label, lang in (("群" * 81, "zh"), ("县工作群", "fr")):
        refused(lambda: round_store.add_channel(store, label, "wecom", WEBHOOK, None, (), None,
                                                lang, "boss"))
    refused(lambda: round_store.add_channel(store, "县工作群", "wecom", WEBHOOK, None,
                                            ("a", "b", "c", "d"), None, "zh", "boss"))
    assert round_store.channels(store) == []
    with pytest.raises(rounds.RuleError):
        rounds.parse_offsets("1, " * 21)

    error = refused(lambda: store.close_period(monthly.id, "2026-13", "boss"))
    assert message(error, "zh") == ("“2026-13”不是该问卷的期次,例如 2026-11(月)、2026-Q4(季)、"
                                    "2026-W47(周)、2026(年),一次性调查为其开始日期(如 "
                                    "2022-06-01)。")
    refused(lambda: store.reopen_period(monthly.id, "next month", "boss"))
    refused(lambda: store.close_period("no_such_questionnaire", "2026-10", "boss"))
    assert not store.closed_periods(monthly.id)
