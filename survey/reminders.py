"""Reminders (催报) to work-group robots: whom to remind, the message formats of 企业微信 and
钉钉 group robots, and the delivery thread that works through the outbox.

Respondents are anonymous, so a reminder goes to a group a county already uses, and names
points, never people. Its text is computed from the store at the moment it is sent: a point
that submitted a minute ago is not in it, and a message with nobody left to remind is not sent.
Reminder times are working days only (survey.rounds, on the WorkCalendar the thread builds
once per round of work: the office's holiday schedules, else chinesecalendar); a deadline
computed across a year no schedule covers is marked estimated in the text. The thread never
blocks a page: pages
only read and write outbox rows; a failed post waits for its back-off in the database, so a
restart loses nothing.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pandas as pd

from survey import observability, periods
from survey.background import Failures, concise
from survey.rounds import Round, Rule, estimated_note, reminder_times, weekday_label
from survey.store import StoreError
from survey.store import holidays, outbox
from survey.store import rounds as round_store
from survey.store.core import Store
from survey.work_calendar import WorkCalendar

_log = logging.getLogger("survey.reminders")
MAX_TEXT_BYTES = 1800       # 企业微信 text messages take 2048 bytes; 钉钉 more: stay under both
LATE_PLAN_WINDOW = dt.timedelta(hours=24)   # a time missed by more (app down) is not sent late
POST_TIMEOUT_S = 10


# -- what to say -----------------------------------------------------------------------------
def to_remind(store: Store, rnd: Round, channel: dict, now: dt.datetime) -> pd.DataFrame:
    """Points in the channel's region (or its one point) still missing codes right now."""
    scope = tuple(x for x in channel["region"].split("/") if x)
    status = round_store.point_status(store, rnd, scope, now, channel["point_id"])
    return status[status["missing"] > 0]


def reminder_text(rnd: Round, late: pd.DataFrame, title: str, lang: str, now: dt.datetime) -> str:
    """Plain text (a point's name is shown as typed, never as markup). Keeps under the robots'
    size limit by listing the first points and counting the rest."""
    overdue = now >= rnd.deadline_end
    deadline = weekday_label(rnd.deadline, lang)
    if rnd.estimated:  # the robots' groups must not take a Monday-to-Friday guess as final
        deadline += f"({estimated_note(rnd, lang)})" if lang == "zh" else \
            f" ({estimated_note(rnd, lang)})"
    if lang == "en":
        head = (f"[Reminder] {title}, period {rnd.period_key}: the deadline was {deadline}. "
                if overdue else f"[Reminder] {title}, period {rnd.period_key}: due by {deadline}. ")
        head += f"{len(late)} monitoring point(s) have not finished reporting:"
        line = "{name}: {received}/{expected} reported"
        tail = "Please fill in the form with your respondent code. Late reports are still accepted."
        more = "... and {n} more"
    else:
        head = (f"【催报】{title} {rnd.period_key} 期已于 {deadline} 截止。" if overdue else
                f"【催报】{title} {rnd.period_key} 期截止时间 {deadline}。")
        head += f"以下 {len(late)} 个监测点尚未报齐:"
        line = "{name}:已报 {received}/{expected}"
        tail = "请使用填报码尽快填报;逾期仍可提交,将记为逾期。"
        more = "……另有 {n} 个监测点"
    lines = [line.format(name=r.name, received=int(r.received), expected=int(r.expected))
             for r in late.itertuples()]
    shown = list(lines)
    while shown and len("\n".join([head, *shown, more.format(n=len(lines)), tail])
                        .encode("utf-8")) > MAX_TEXT_BYTES:
        shown.pop()
    body = [head, *shown]
    if len(shown) < len(lines):
        body.append(more.format(n=len(lines) - len(shown)))
    return "\n".join(body + [tail])


# -- message formats ---------------------------------------------------------------------------
def wecom_payload(text: str) -> dict:
    """企业微信 group robot: POST JSON to the webhook (…/cgi-bin/webhook/send?key=…)."""
    return {"msgtype": "text", "text": {"content": text}}


def dingtalk_payload(text: str) -> dict:
    """钉钉 custom robot: POST JSON to …/robot/send?access_token=…"""
    return {"msgtype": "text", "text": {"content": text}}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """钉钉 加签: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), URL-encoded."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"),
                      hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))


def request_for(channel: dict, text: str, timestamp_ms: int | None = None) -> tuple[str, bytes]:
    """The address and JSON body to POST for a channel."""
    url = channel["url"]
    if channel["kind"] == "dingtalk":
        payload = dingtalk_payload(text)
        if channel.get("secret"):
            stamp = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
            url += ("&" if "?" in url else "?") + \
                f"timestamp={stamp}&sign={dingtalk_sign(channel['secret'], stamp)}"
    else:
        payload = wecom_payload(text)
    return url, json.dumps(payload, ensure_ascii=False).encode("utf-8")


class DeliveryFailure(OSError):
    """A failed post, said in both languages (the outbox keeps both; the page shows one)."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.en, self.zh = en, zh

    def stored(self) -> str:
        return f"{self.zh}\n{self.en}"


def error_in(stored: str | None, lang: str) -> str:
    """The outbox's last error in the page's language (stored as a zh line, then an en line).
    Not a string: none (a table column of no errors can read as NaN)."""
    if not isinstance(stored, str) or not stored:
        return ""
    zh, _, en = stored.partition("\n")
    return (en or zh) if lang == "en" else zh


def _robot_error(answer: bytes) -> tuple[object, str] | None:
    """The robot's own errcode and errmsg, if the answer is the robots' JSON object; nothing
    else of a reply is ever shown (an address could point at another service)."""
    try:
        result = json.loads(answer.decode("utf-8", "replace"))
    except ValueError:
        return None
    if not isinstance(result, dict) or "errcode" not in result:
        return None
    return result.get("errcode"), str(result.get("errmsg", ""))[:120]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a robot never redirects; follow nowhere
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, timeout: float = POST_TIMEOUT_S) -> None:
    """POST the message; raise DeliveryFailure unless the robot accepted it (HTTP 200 and
    errcode 0 — both robots answer {"errcode": 0, "errmsg": "ok"}). Only the status and the
    robot's errcode/errmsg reach the error text, never the reply's body."""
    problem = round_store.webhook_problem(url)
    if problem:
        raise DeliveryFailure(*problem)
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, answer = response.status, response.read(4096)
    except urllib.error.HTTPError as exc:
        status = exc.code
        try:
            answer = exc.read(4096)
        except Exception:  # noqa: BLE001 - the body is only a detail; the status is enough
            answer = b""
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        reason = str(getattr(exc, "reason", exc))[:120]
        raise DeliveryFailure(f"no answer from the robot ({reason}); check the address and "
                              f"the network", f"机器人没有应答({reason}),请检查地址和网络。") from exc
    robot = _robot_error(answer)
    if status != 200:
        detail = f", errcode {robot[0]}: {robot[1]}" if robot else ""
        raise DeliveryFailure(f"the robot answered HTTP {status}{detail}",
                              f"机器人返回 HTTP {status}{detail.replace(', ', ',')}")
    if robot is None:
        raise DeliveryFailure("the robot's answer is not the expected {\"errcode\": ...} "
                              "(is the address a 企业微信/钉钉 robot webhook?)",
                              "机器人的应答不是预期的 {\"errcode\": …} 格式(地址是企业微信/钉钉"
                              "群机器人的 Webhook 吗?)")
    if robot[0] != 0:
        raise DeliveryFailure(f"the robot refused the message: errcode {robot[0]}: {robot[1]}",
                              f"机器人拒收:errcode {robot[0]}:{robot[1]}")


# -- scheduling --------------------------------------------------------------------------------
def plan_due(store: Store, now: dt.datetime, calendar: WorkCalendar) -> int:
    """Queue the reminders whose time has come (working days only, within the last day, for
    rounds not closed), one message per active channel. Idempotent."""
    queued = 0
    channel_ids = [c["channel_id"] for c in round_store.channels(store, active_only=True)]
    if not channel_ids:
        return 0
    for rule in round_store.rules(store):
        try:
            kind = round_store.period_kind(store, rule.questionnaire_id)
        except StoreError:
            continue
        closed = store.closed_periods(rule.questionnaire_id)
        for key in periods.recent(kind, now.date(), 3):
            if key in closed:
                continue
            rnd = round_store.round_of(store, rule, key, calendar)
            for due_at in reminder_times(rule, rnd, calendar):
                if now - LATE_PLAN_WINDOW <= due_at <= now:
                    queued += outbox.plan(store, rule.questionnaire_id, key, due_at, channel_ids,
                                          now)
    return queued


def next_reminder(store: Store, now: dt.datetime, calendar: WorkCalendar) -> dt.datetime | None:
    """The next reminder time after `now` (the thread wakes for it, so a reminder goes out
    on time, not at the next tick)."""
    upcoming = []
    for rule in round_store.rules(store):
        try:
            kind = round_store.period_kind(store, rule.questionnaire_id)
        except StoreError:
            continue
        for key in periods.recent(kind, now.date(), 3):
            rnd = round_store.round_of(store, rule, key, calendar)
            upcoming += [t for t in reminder_times(rule, rnd, calendar) if t > now]
    return min(upcoming, default=None)


def titles(store: Store) -> dict[str, dict[str, str]]:
    return {q.id: {"zh": q.title.zh, "en": q.title.en or q.title.zh}
            for q in store.current_questionnaires()}


def deliver(store: Store, message: outbox.Message, now: dt.datetime, calendar: WorkCalendar,
            base_s: float, cap_s: float, send=post) -> str:
    """Compute the message's text now and post it; record the outcome. Returns the state.
    Whatever goes wrong with this one message (a refusal, an odd answer, a bug) counts as a
    failed attempt with its back-off, so nothing is retried in a tight loop."""
    try:
        return _deliver(store, message, now, calendar, send)
    except DeliveryFailure as exc:
        observability.REMINDER_FAILURES.inc()
        outbox.mark_failed(store, message.message_id, exc.stored(), now, base_s, cap_s)
    except Exception as exc:  # noqa: BLE001 - one message's trouble must not stop the others
        observability.REMINDER_FAILURES.inc()
        _log.exception("reminder %s could not be delivered", message.message_id)
        kind = type(exc).__name__
        outbox.mark_failed(store, message.message_id,
                           f"发送时出现意外错误({kind}),将按间隔重试;详情见服务器日志。\n"
                           f"unexpected error while sending ({kind}); retried with back-off, "
                           f"details in the server log", now, base_s, cap_s)
    return outbox.PENDING


def _deliver(store: Store, message: outbox.Message, now: dt.datetime, calendar: WorkCalendar,
             send) -> str:
    channel = round_store.channel(store, message.channel_id)
    rule = round_store.rule(store, message.questionnaire_id) or \
        Rule(message.questionnaire_id)   # a hand-sent reminder before any rule is saved
    if channel is None or not channel["active"]:
        outbox.mark_skipped(store, message.message_id, "channel disabled", now)
        return outbox.SKIPPED
    if message.period_key in store.closed_periods(message.questionnaire_id):
        outbox.mark_skipped(store, message.message_id, "round closed", now)
        return outbox.SKIPPED
    rnd = round_store.round_of(store, rule, message.period_key, calendar)
    late = to_remind(store, rnd, channel, now)
    if late.empty:
        outbox.mark_skipped(store, message.message_id, "nobody left to remind", now)
        return outbox.SKIPPED
    title = titles(store).get(message.questionnaire_id, {}).get(channel["lang"],
                                                                message.questionnaire_id)
    text = reminder_text(rnd, late, title, channel["lang"], now)
    send(*request_for(channel, text))
    outbox.mark_sent(store, message.message_id, text, now)
    return outbox.SENT


class Delivery(threading.Thread):
    """Plans due reminders and delivers the outbox, every `tick` seconds or when woken.
    Back-off: `base_s` after the first failure, doubling, at most `cap_s`; never given up."""

    def __init__(self, store: Store, tick: float = 15.0, base_s: float = 30.0,
                 cap_s: float = 1800.0, clock=None, send=post, retry_cap_s: float = 60.0):
        super().__init__(name="reminder-delivery", daemon=True)
        self.store, self.tick, self.base_s, self.cap_s = store, tick, base_s, cap_s
        self.clock = clock or (lambda: dt.datetime.now())
        self.send = send
        self.stopped = threading.Event()
        self.woken = threading.Event()
        self.last_error: str | None = None
        self.failures = Failures(_log, "reminder delivery", retry_cap_s)

    def wake(self) -> None:
        self.woken.set()

    def stop(self, timeout: float = 15) -> None:
        self.stopped.set()
        self.woken.set()
        self.join(timeout)

    def run_once(self) -> None:
        now = self.clock()
        calendar = holidays.work_calendar(self.store)   # once per round of work
        plan_due(self.store, now, calendar)
        if self.stopped.is_set():
            return
        # claimed one at a time (on PostgreSQL: by this process only), so stopping between two
        # leaves nothing claimed and unsent
        for message in outbox.claimed(self.store, now, clock=self.clock):
            deliver(self.store, message, self.clock(), calendar, self.base_s, self.cap_s,
                    self.send)
            if self.stopped.is_set():
                return

    def run(self) -> None:
        """Runs until stop(): a round of work that fails (e.g. PostgreSQL restarting) is shown
        to admins and logged in one line per kind of failure, the next round waits longer
        (tick doubling, at most retry_cap_s), and delivery resumes when the database is back."""
        while not self.stopped.is_set():
            try:
                self.run_once()
                self.last_error = None
                self.failures.succeeded()
                pause = self._sleep()
            except Exception as exc:  # noqa: BLE001 - keep delivering; the admin page shows it
                self.last_error = concise(exc, 300)
                self.failures.failed(exc)
                pause = self.failures.delay(self.tick)
            self.woken.wait(pause)
            self.woken.clear()

    def _sleep(self) -> float:
        """Until the next tick, or sooner when a retry or a reminder time falls before it."""
        try:
            now = self.clock()
            calendar = holidays.work_calendar(self.store)
            upcoming = [t for t in (outbox.next_due(self.store),
                                    next_reminder(self.store, now, calendar)) if t is not None]
        except Exception:  # noqa: BLE001
            return self.tick
        if not upcoming:
            return self.tick
        return max(0.05, min(self.tick, (min(upcoming) - now).total_seconds()))


_running: dict[str, Delivery] = {}
_running_lock = threading.Lock()


def start_delivery(startup) -> Delivery:
    """Start the delivery thread for the app's store (once per database; survey/bootstrap.py)."""
    key = str(startup.store.path)
    with _running_lock:
        if key not in _running or not _running[key].is_alive():
            _running[key] = Delivery(startup.store)
            _running[key].start()
        return _running[key]


def running(store: Store) -> Delivery | None:
    return _running.get(str(store.path))
