"""Reminders through the outbox to a real HTTP server on 127.0.0.1 standing in for the 企业微信
and 钉钉 group robots: late points only, text computed at sending, signature checked, failures
retried until delivered once, and a crash of the process mid-retry loses nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time

import pytest

from survey import reminders
from survey.rounds import Rule
from survey.store import Point, Store, StoreError
from survey.store import outbox
from survey.store import rounds as round_store
from tests.conftest import KEY, ROOT, SCHOOL, VILLAGE, complete_answers
from survey.work_calendar import WorkCalendar
from tests.webhook_support import SECRET, Robot

CAL = WorkCalendar()   # the package's 2026, as the delivery thread builds it with no office data
THIRD = Point("P-VIL-2", "幸福村<b>", "village", "village", ("江北市", "清河县", "河口镇"))
OTHER = Point("P-VIL-9", "远山村", "village", "village", ("江北市", "白水县", "山口镇"))
# September 2026's round: deadline the 3rd working day after Sep 30 = Sat Oct 10 (adjusted
# working day after National Day); reminders on the deadline day and the working day after.
RULE = Rule("burden_monthly", deadline_days=3, reminders=(0, 1), remind_at=dt.time(9, 30))
AFTER = dt.datetime(2026, 10, 12, 9, 30)   # Mon: the +1 reminder (Sun Oct 11 is skipped)


@pytest.fixture(autouse=True)
def stand_in_allowed(monkeypatch):
    """The stand-in robot listens on 127.0.0.1, which only an operator's setting allows."""
    monkeypatch.setenv("SURVEY_WEBHOOK_HOSTS", "127.0.0.1")


@pytest.fixture
def robot():
    r = Robot()
    yield r
    r.close()


def setup_round(store, monthly, robot_url: str, dingtalk: bool = True) -> dict:
    store.add_points([THIRD, OTHER])
    codes = {p.point_id: store.issue_codes(p.point_id, 2) for p in (VILLAGE, SCHOOL, THIRD, OTHER)}
    store._write(lambda cur: cur.execute("UPDATE respondent SET issued_at = ?",
                                         [dt.datetime(2026, 8, 1)]))
    round_store.save_rule(store, RULE, "admin")
    round_store.add_channel(store, "清河县减负工作群", "wecom",
                            f"{robot_url}/cgi-bin/webhook/send?key=test-key", None,
                            ("江北市", "清河县"), None, "zh", "admin")
    if dingtalk:
        round_store.add_channel(store, "江北市钉钉群", "dingtalk",
                                f"{robot_url}/robot/send?access_token=tok", SECRET,
                                ("江北市",), None, "en", "admin")
    return codes


def submit(store, monthly, code, at):
    store.submit(store.respondent(code), monthly, "2026-09", complete_answers(),
                 client_token=f"{code}-{at.isoformat()}", now=at, today=dt.date(2026, 9, 30))


def test_late_points_only_in_both_robot_formats(store, monthly, robot):
    codes = setup_round(store, monthly, robot.url)
    for code in codes[VILLAGE.point_id]:
        submit(store, monthly, code, dt.datetime(2026, 10, 9, 10))
    submit(store, monthly, codes[THIRD.point_id][0], dt.datetime(2026, 10, 9, 11))

    assert reminders.plan_due(store, dt.datetime(2026, 10, 10, 9, 29), CAL) == 0   # not yet
    delivery = reminders.Delivery(store, clock=lambda: AFTER)
    delivery.run_once()
    assert reminders.plan_due(store, AFTER, CAL) == 0          # planned once, however often it runs

    by_path = {path: body for path, _, body in robot.accepted}
    assert set(by_path) == {"/cgi-bin/webhook/send", "/robot/send"}
    wecom = by_path["/cgi-bin/webhook/send"]
    assert wecom["msgtype"] == "text"
    text = wecom["text"]["content"]
    # the county group: its late points only, with counts, never the on-time village
    assert "幸福村<b>:已报 1/2" in text and "清河县第一中学:已报 0/2" in text
    assert "和平村" not in text and "远山村" not in text
    assert "2026-10-10 (周六)" in text and "截止" in text
    # the prefecture's DingTalk group (English): all its late points, signed
    ding = by_path["/robot/send"]
    assert ding["msgtype"] == "text"
    assert "远山村: 0/2 reported" in ding["text"]["content"]
    assert "和平村" not in ding["text"]["content"]
    assert all(robot.signed(q) for p, q, _ in robot.accepted if p == "/robot/send")
    sent = outbox.listing(store)
    # one reminder time within the last day (Mon 9:30; Sat's is over a day old) x two channels
    assert set(sent["state"]) == {"sent"} and len(sent) == 2
    assert len(robot.accepted) == 2


def test_a_wrong_dingtalk_secret_shows_the_robots_error(store, monthly, robot):
    setup_round(store, monthly, robot.url, dingtalk=False)
    round_store.add_channel(store, "错密钥群", "dingtalk", f"{robot.url}/robot/send?access_token=t",
                            "SECwrong", ("江北市",), None, "zh", "admin")
    reminders.Delivery(store, clock=lambda: AFTER).run_once()
    failed = outbox.listing(store).query("state == 'pending'")
    assert len(failed) == 1 and "310000" in failed["last_error"].iloc[0]


def test_a_point_that_submits_between_scheduling_and_sending_is_not_reminded(store, monthly, robot):
    codes = setup_round(store, monthly, robot.url, dingtalk=False)
    for pid in (VILLAGE.point_id, THIRD.point_id):
        for code in codes[pid]:
            submit(store, monthly, code, dt.datetime(2026, 10, 9, 10))
    assert reminders.plan_due(store, AFTER, CAL) == 1          # the school was missing when planned
    for code in codes[SCHOOL.point_id]:                   # ... and reports before the send
        submit(store, monthly, code, dt.datetime(2026, 10, 12, 9, 31))
    delivery = reminders.Delivery(store, clock=lambda: AFTER + dt.timedelta(minutes=2))
    delivery.run_once()
    assert robot.requests == []                           # nobody is reminded for nothing
    assert set(outbox.listing(store)["state"]) == {"skipped"}
    assert set(outbox.listing(store)["body"]) == {"nobody left to remind"}


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_a_receiver_failing_20_times_then_recovering_gets_the_message_once(store, monthly):
    robot = Robot(failures=20)
    try:
        setup_round(store, monthly, robot.url, dingtalk=False)
        clock = lambda: AFTER + dt.timedelta(seconds=time.monotonic() - started)  # noqa: E731
        started = time.monotonic()
        delivery = reminders.Delivery(store, tick=0.05, base_s=0.01, cap_s=0.05, clock=clock)
        delivery.start()
        wait_for(lambda: len(robot.accepted) >= 1)
        time.sleep(0.5)                                   # time for a duplicate to show up
        delivery.stop()
        assert len(robot.accepted) == 1                   # once: no loss, no duplicate
        assert len(robot.requests) == 21
        row = outbox.listing(store).iloc[0]
        assert (row["state"], row["attempts"]) == ("sent", 21)
        assert row["last_error"] is None                  # cleared once delivered
        assert "清河县第一中学" in robot.texts()[0]
    finally:
        robot.close()


def test_the_backoff_grows_and_is_capped_but_never_gives_up():
    waits = [outbox.backoff(n, 30, 1800) for n in range(1, 12)]
    assert waits[:4] == [30, 60, 120, 240] and waits[-1] == 1800
    assert outbox.backoff(10_000, 30, 1800) == 1800


CHILD = """
import sys, time, datetime as dt
sys.path.insert(0, {root!r})
from survey.store import Store
from survey import reminders
store = Store({db!r}, {key!r})
start = time.monotonic()
clock = lambda: dt.datetime(2026, 10, 12, 9, 30) + dt.timedelta(seconds=time.monotonic() - start)
reminders.Delivery(store, tick=0.05, base_s=0.02, cap_s=0.05, clock=clock).start()
time.sleep(600)
"""


def test_a_crash_mid_retry_loses_nothing(store, monthly, store_target):
    robot = Robot(failures=10 ** 9)                       # down until we say otherwise
    try:
        setup_round(store, monthly, robot.url, dingtalk=False)
        store.close()
        child = subprocess.Popen([sys.executable, "-c", CHILD.format(
            root=str(ROOT), db=str(store_target), key=KEY)], cwd=ROOT)
        try:
            wait_for(lambda: len(robot.requests) >= 5)
        finally:
            os.kill(child.pid, signal.SIGKILL)            # a crash, not a clean shutdown
            child.wait()
        tried = len(robot.requests)
        reopened = Store(store_target, KEY)
        try:
            waiting = outbox.listing(reopened)
            assert list(waiting["state"]) == ["pending"]
            assert waiting["attempts"].sum() >= 3 and waiting["last_error"].str.contains(
                "HTTP 500").all()
            robot.failures = 0
            later = AFTER + dt.timedelta(minutes=5)
            reminders.Delivery(reopened, clock=lambda: later).run_once()
            assert len(robot.accepted) == 1 and len(robot.requests) > tried
            assert set(outbox.listing(reopened)["state"]) == {"sent"}
            reminders.Delivery(reopened, clock=lambda: later + dt.timedelta(hours=1)).run_once()
            assert len(robot.accepted) == 1               # sent once, not again
        finally:
            reopened.close()
    finally:
        robot.close()


def test_two_app_servers_on_one_postgresql_plan_once_and_deliver_every_message_once(pg_url):
    """Every app process runs the delivery thread: two stores on one PostgreSQL (two engines,
    two sets of connections, as two `streamlit run` processes have) plan the same reminder
    time at once and deliver the outbox at once, to a robot failing a third of the posts."""
    from collections import Counter
    from concurrent.futures import ThreadPoolExecutor

    from survey.bootstrap import publish_dir
    robot = Robot(fail_rate=0.3)
    servers = [Store(pg_url, KEY), Store(pg_url, KEY)]
    first = servers[0]
    deliveries = []
    try:
        assert not publish_dir(first, ROOT / "questionnaires")[1]
        first.add_points([VILLAGE, SCHOOL])
        first.issue_codes(SCHOOL.point_id, 1)
        first._write(lambda cur: cur.execute("UPDATE respondent SET issued_at = ?",
                                             [dt.datetime(2026, 8, 1)]))
        round_store.save_rule(first, RULE, "admin")
        groups = 40
        for i in range(groups):
            round_store.add_channel(first, f"县群{i}", "wecom",
                                    f"{robot.url}/cgi-bin/webhook/send?key=group-{i}", None,
                                    ("江北市", "清河县"), None, "zh", "admin")
        with ThreadPoolExecutor(4) as pool:                 # both plan the same time, twice
            queued = list(pool.map(lambda s: reminders.plan_due(s, AFTER, CAL), servers * 2))
        assert sum(queued) == groups and outbox.counts(first) == {"pending": groups}

        started = time.monotonic()
        clock = lambda: AFTER + dt.timedelta(seconds=time.monotonic() - started)  # noqa: E731
        sent_by = Counter()

        def sender(name):
            def send(url, body):
                reminders.post(url, body)
                sent_by[name] += 1
            return send
        deliveries = [reminders.Delivery(s, tick=0.05, base_s=0.01, cap_s=0.05, clock=clock,
                                         send=sender(i)) for i, s in enumerate(servers)]
        for d in deliveries:
            d.start()
        wait_for(lambda: outbox.counts(first).get("sent") == groups, timeout=120)
        time.sleep(0.5)                                     # time for a duplicate to show up
        for d in deliveries:
            d.stop()
        per_group = Counter(query["key"] for _, query, _ in robot.accepted)
        assert per_group == Counter({f"group-{i}": 1 for i in range(groups)})
        assert len(robot.requests) > groups                 # failures were retried
        assert sum(sent_by.values()) == groups
    finally:
        for d in deliveries:
            d.stop()
        for s in servers:
            s.close()
        robot.close()


def test_replay_sends_again_with_the_text_of_that_moment(store, monthly, robot):
    codes = setup_round(store, monthly, robot.url, dingtalk=False)
    reminders.Delivery(store, clock=lambda: AFTER).run_once()
    assert len(robot.accepted) == 1
    first = outbox.listing(store).iloc[-1]
    submit(store, monthly, codes[THIRD.point_id][0], AFTER + dt.timedelta(minutes=1))
    outbox.replay(store, first["message_id"], "admin", now=AFTER + dt.timedelta(minutes=2))
    reminders.Delivery(store, clock=lambda: AFTER + dt.timedelta(minutes=3)).run_once()
    assert len(robot.accepted) == 2
    assert "幸福村<b>:已报 1/2" in robot.texts()[-1] and "幸福村<b>:已报 0/2" in robot.texts()[0]
    assert any(row[2] == "replay_reminder" for row in store.audit_log())


def test_long_lists_stay_under_the_robot_size_limit(store, monthly, robot):
    many = [Point(f"P-X-{i:03d}", f"很长名字的第{i}号监测点社区居民委员会", "village", "village",
                  ("江北市", "清河县", "城关镇")) for i in range(120)]
    store.add_points(many)
    setup_round(store, monthly, robot.url, dingtalk=False)
    for p in many[:60]:
        store.issue_codes(p.point_id, 1)
    store._write(lambda cur: cur.execute("UPDATE respondent SET issued_at = ?",
                                         [dt.datetime(2026, 8, 1)]))
    reminders.Delivery(store, clock=lambda: AFTER).run_once()
    text = robot.texts()[0]
    assert len(text.encode("utf-8")) <= reminders.MAX_TEXT_BYTES
    assert "另有" in text and text.endswith("将记为逾期。")


def only_message(store):
    frame = outbox.listing(store)
    assert len(frame) == 1
    return frame.iloc[0]


@pytest.mark.parametrize("answer, status, says", [
    (b"[]", 200, "errcode"),                                  # JSON, but not the robots' object
    (b"<html>intranet admin page: token=abc</html>", 200, "errcode"),   # not JSON at all
    (b'{"errcode": 93000, "errmsg": "invalid webhook url"}', 200, "93000"),
    (b"internal stack trace: password=hunter2", 502, "HTTP 502"),
])
def test_an_unexpected_answer_is_a_failed_attempt_with_backoff_never_a_loop(
        store, monthly, answer, status, says):
    robot = Robot(raw_answer=answer, status=status)
    try:
        setup_round(store, monthly, robot.url, dingtalk=False)
        delivery = reminders.Delivery(store, tick=0.05, base_s=5, cap_s=60,
                                      clock=dt.datetime.now)
        # the reminder is due now: queue it by hand, as an admin's 立即催报 does
        outbox.queue_now(store, only_channel(store), "burden_monthly", "2026-09", "admin")
        delivery.start()
        time.sleep(1.0)
        assert delivery.is_alive()
        delivery.stop()
        assert len(robot.requests) == 1                   # one try, then it waits its back-off
        row = only_message(store)
        assert (row["state"], row["attempts"]) == ("pending", 1)
        assert row["next_attempt_at"] > row["last_attempt_at"]
        zh, en = reminders.error_in(row["last_error"], "zh"), reminders.error_in(
            row["last_error"], "en")
        assert says in zh and says in en and zh != en
        assert "机器人" in zh and "robot" in en
        # never the receiver's own text: only status and the robot's errcode/errmsg
        for secret in ("intranet", "hunter2", "[]", "object has no attribute"):
            assert secret not in row["last_error"]
    finally:
        robot.close()


def only_channel(store) -> str:
    [channel] = round_store.channels(store)
    return channel["channel_id"]


def test_an_exception_while_sending_counts_as_a_failed_attempt(store, monthly, robot):
    setup_round(store, monthly, robot.url, dingtalk=False)

    def broken(url, body):
        raise KeyError("something nobody expected")
    outbox.queue_now(store, only_channel(store), "burden_monthly", "2026-09", "admin", now=AFTER)
    state = reminders.deliver(store, outbox.due(store, AFTER)[0], AFTER, CAL, 30, 1800,
                              send=broken)
    row = only_message(store)
    assert state == "pending" and row["attempts"] == 1
    assert row["next_attempt_at"] == AFTER + dt.timedelta(seconds=30)
    assert "KeyError" in row["last_error"] and "意外错误" in row["last_error"]
    assert outbox.due(store, AFTER + dt.timedelta(seconds=29)) == []   # waits its back-off


def test_the_thread_survives_exceptions_that_mention_closed(store, monthly, robot):
    setup_round(store, monthly, robot.url, dingtalk=False)
    outbox.queue_now(store, only_channel(store), "burden_monthly", "2026-09", "admin", now=AFTER)
    calls = {"clock": 0, "send": 0}

    def clock():                                          # a whole round of work fails once
        calls["clock"] += 1
        if calls["clock"] == 1:
            raise ValueError("I/O operation on closed file")
        return AFTER + dt.timedelta(seconds=calls["clock"])

    def send(url, body):                                  # and so does the first post
        calls["send"] += 1
        if calls["send"] == 1:
            raise ValueError("I/O operation on closed file.")
        reminders.post(url, body)
    delivery = reminders.Delivery(store, tick=0.05, base_s=0.01, cap_s=0.01, clock=clock,
                                  send=send)
    delivery.start()
    try:
        wait_for(lambda: len(robot.accepted) == 1, timeout=15)
        assert delivery.is_alive()
    finally:
        delivery.stop()
    assert not delivery.is_alive()                        # it stops when asked, and only then
    row = only_message(store)
    assert (row["state"], row["attempts"]) == ("sent", 2)


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/robot/send?access_token=x",
    "http://127.0.0.1:8501/",
    "https://evil.example.com/cgi-bin/webhook/send?key=x",
    "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",   # the robot's host, but not https
])
def test_only_the_robots_https_hosts_are_accepted_by_default(store, monkeypatch, url):
    monkeypatch.delenv("SURVEY_WEBHOOK_HOSTS")
    with pytest.raises(StoreError) as err:
        round_store.add_channel(store, "群", "wecom", url, None, ("江北市",), None, "zh", "admin")
    assert "qyapi.weixin.qq.com" in str(err.value) and "SURVEY_WEBHOOK_HOSTS" in str(err.value)
    assert round_store.channels(store) == []


def test_the_robots_own_hosts_are_accepted(store, monkeypatch):
    monkeypatch.delenv("SURVEY_WEBHOOK_HOSTS")
    round_store.add_channel(store, "县群", "wecom",
                            "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", None,
                            ("江北市",), None, "zh", "admin")
    round_store.add_channel(store, "市群", "dingtalk",
                            "https://oapi.dingtalk.com/robot/send?access_token=t", None,
                            ("江北市",), None, "zh", "admin")
    assert len(round_store.channels(store)) == 2


def test_a_stored_address_no_longer_allowed_is_not_posted_to(store, monthly, robot, monkeypatch):
    setup_round(store, monthly, robot.url, dingtalk=False)
    monkeypatch.delenv("SURVEY_WEBHOOK_HOSTS")           # the operator took 127.0.0.1 away
    reminders.Delivery(store, clock=lambda: AFTER).run_once()
    assert robot.requests == []
    row = only_message(store)
    assert row["state"] == "pending" and "SURVEY_WEBHOOK_HOSTS" in row["last_error"]


@pytest.mark.embedded_only  # the app (AppTest) runs on the DuckDB file
def test_the_outbox_page_speaks_the_admins_language(store, monthly, db_path, monkeypatch):
    """Labels, not pending/burden_monthly; the last error in Chinese; no 'nan' for a message
    not sent yet; 立即催报 works with the default rule; the on-time trend axis in percent."""
    from streamlit.testing.v1 import AppTest
    from tests.conftest import KEY, ROOT, add_staff, as_user
    add_staff(store, "boss", "admin")
    store.issue_codes(VILLAGE.point_id, 2)                # a point in the rounds, for the trend
    store._write(lambda cur: cur.execute("UPDATE respondent SET issued_at = ?",
                                         [dt.datetime(2026, 1, 1)]))
    channel_id = round_store.add_channel(store, "清河县减负工作群", "wecom",
                                         "http://127.0.0.1:9/cgi-bin/webhook/send?key=k", None,
                                         ("江北市", "清河县"), None, "zh", "boss")
    now = dt.datetime.now()                               # the app's delivery thread runs too
    outbox.queue_now(store, channel_id, "burden_monthly", "2026-09", "boss", now=now)
    [message] = outbox.due(store, now)
    outbox.mark_failed(store, message.message_id, reminders.DeliveryFailure(
        "the robot answered HTTP 502", "机器人返回 HTTP 502").stored(), now, 3600, 3600)
    assert round_store.rules(store) == []                 # no rule saved: the default applies
    store.close()
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), "boss")
    at.switch_page("app_pages/reminders.py").run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "状态" in d.value.columns)
    row = table.iloc[0]
    assert row["状态"] == "待发" and row["最近错误"] == "机器人返回 HTTP 502"
    assert "burden_monthly" not in set(table.iloc[:, 2]) and "pending" not in set(table["状态"])
    assert not [x.value for x in at.text if x.value == "nan"]
    assert any("尚未发出" in c.value for c in at.caption)
    at.button(key="FormSubmitter:send_now-发送").click().run()
    assert not at.error, [e.value for e in at.error]
    assert any("已放入发件箱" in s.value for s in at.success)
    def outbox_listed() -> int:
        return len(next(d.value for d in at.dataframe if "状态" in d.value.columns))
    queued = outbox_listed()
    at.button(key="FormSubmitter:send_now-发送").click().run()  # a double tap: not twice
    assert any("不重复发送" in i.value for i in at.info)
    assert not any("已放入发件箱" in s.value for s in at.success)
    assert outbox_listed() == queued
    at.switch_page("app_pages/rounds.py").run()
    assert not at.exception, at.exception
    import json
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    y = spec["encoding"]["y"]
    assert y["axis"]["format"] == "%" and y["scale"]["domain"] == [0, 1] and y["title"] == "按时率"


def test_remind_now_without_a_saved_rule_uses_the_default_rule(store, monthly, robot):
    store.issue_codes(SCHOOL.point_id, 1)
    store._write(lambda cur: cur.execute("UPDATE respondent SET issued_at = ?",
                                         [dt.datetime(2026, 8, 1)]))
    channel_id = round_store.add_channel(store, "清河县减负工作群", "wecom",
                                         f"{robot.url}/cgi-bin/webhook/send?key=k", None,
                                         ("江北市", "清河县"), None, "zh", "admin")
    assert round_store.rules(store) == []
    outbox.queue_now(store, channel_id, "burden_monthly", "2026-09", "admin", now=AFTER)
    reminders.Delivery(store, clock=lambda: AFTER).run_once()
    assert only_message(store)["state"] == "sent"
    # the default: the 5th working day after Sep 30 (Oct 8, 9, Sat 10 adjusted, 12, 13)
    assert "清河县第一中学:已报 0/1" in robot.texts()[0] and "2026-10-13" in robot.texts()[0]


def test_a_second_send_now_for_the_same_reminder_is_not_queued(store, monthly):
    """立即催报 tapped twice (or by two admins) queued two messages: the group got the same
    reminder twice."""
    channel = round_store.add_channel(store, "清河县减负工作群", "wecom",
                                      "http://127.0.0.1:9/cgi-bin/webhook/send?key=k", None,
                                      ("江北市", "清河县"), None, "zh", "admin")
    now = dt.datetime(2026, 10, 9, 10, 0)
    assert outbox.queue_now(store, channel, "burden_monthly", "2026-09", "admin", now=now) == 1
    again = now + dt.timedelta(seconds=2)
    assert outbox.queue_now(store, channel, "burden_monthly", "2026-09", "admin", now=again) == 0
    # still waiting in the outbox (the robot is down) half an hour later: still not twice
    later = now + dt.timedelta(minutes=30)
    assert outbox.queue_now(store, channel, "burden_monthly", "2026-09", "admin", now=later) == 0
    # another period is another reminder
    assert outbox.queue_now(store, channel, "burden_monthly", "2026-08", "admin", now=again) == 1
    assert len(outbox.listing(store)) == 2
