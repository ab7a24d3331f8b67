"""Rounds in the store: deadline rules, each point's status in a round, reminder channels.

Status is counted per point from its codes in use (a point is missing while any of them has not
submitted) and from each respondent's first submission (a later revision does not make an
on-time report late). Counts only: never who.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import urllib.parse

import pandas as pd

from survey import fields, periods
from survey.rounds import LATE, MISSING, ON_TIME, PENDING, Round, Rule, round_for
from survey.store.core import Store, StoreError
from survey.store.engine import refuse
from survey.store.holidays import work_calendar
from survey.work_calendar import WorkCalendar

CHANNEL_KINDS = ("wecom", "dingtalk")
LEVELS = ("prefecture", "county", "township")


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# -- rules -------------------------------------------------------------------------------------
def save_rule(store: Store, rule: Rule, actor: str) -> None:
    rule.check()
    reminders = ",".join(str(r) for r in rule.reminders)

    def work(cur):
        cur.execute("INSERT INTO round_rule VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT "
                    "(questionnaire_id) DO UPDATE SET deadline_days = excluded.deadline_days, "
                    "open_days = excluded.open_days, reminders = excluded.reminders, "
                    "remind_at = excluded.remind_at, updated_at = excluded.updated_at, "
                    "updated_by = excluded.updated_by",
                    [rule.questionnaire_id, rule.deadline_days, rule.open_days, reminders,
                     rule.remind_at, _now(), actor])
        store._audit(cur, actor, "save_round_rule", rule.questionnaire_id,
                     {"deadline_days": rule.deadline_days, "open_days": rule.open_days,
                      "reminders": reminders, "remind_at": rule.remind_at.strftime("%H:%M")})
    store._write(work)


def rules(store: Store) -> list[Rule]:
    rows = store.query("SELECT questionnaire_id, deadline_days, open_days, reminders, remind_at, "
                       "updated_by, updated_at FROM round_rule ORDER BY 1")
    return [Rule(q, d, o, tuple(int(x) for x in r.split(",") if x), at, by, when)
            for q, d, o, r, at, by, when in rows]


def rule(store: Store, questionnaire_id: str) -> Rule | None:
    return next((r for r in rules(store) if r.questionnaire_id == questionnaire_id), None)


def period_kind(store: Store, questionnaire_id: str) -> str:
    row = store.query("SELECT period_kind FROM questionnaire_version WHERE questionnaire_id = ? "
                      "ORDER BY version DESC LIMIT 1", [questionnaire_id])
    if not row:
        raise StoreError(f"questionnaire {questionnaire_id} is not published",
                         f"问卷 {questionnaire_id} 尚未发布。")
    return row[0][0]


def round_of(store: Store, rule_: Rule, period_key: str, calendar: WorkCalendar) -> Round:
    return round_for(rule_, period_kind(store, rule_.questionnaire_id), period_key, calendar)


def deadline_passed(store: Store, questionnaire_id: str, period_key: str,
                    now: dt.datetime | None = None) -> bool | None:
    """Whether the period's round is past its deadline (the rule saved on 催报与机器人, or the
    default; working days from the office's calendar); None when the questionnaire is not
    published."""
    try:
        rnd = round_of(store, rule(store, questionnaire_id) or Rule(questionnaire_id),
                       period_key, work_calendar(store))
    except StoreError:
        return None
    return (now or dt.datetime.now()) >= rnd.deadline_end


# -- status per point --------------------------------------------------------------------------
def _scope_sql(scope: tuple[str, ...], point_id: str | None = None) -> tuple[str, list]:
    clauses, params = ["p.active"], []
    if scope:
        clauses.append(f"len(p.region) >= {len(scope)} AND p.region[1:{len(scope)}] = ?")
        params.append(list(scope))
    if point_id:
        clauses.append("p.point_id = ?")
        params.append(point_id)
    return " AND ".join(clauses), params


STATUS_COLUMNS = ["point_id", "name", "level", "kind", "prefecture", "county", "township",
                  "expected", "received", "on_time", "late", "missing", "first_at", "status"]


def point_status(store: Store, rnd: Round, scope: tuple[str, ...] = (),
                 now: dt.datetime | None = None, point_id: str | None = None) -> pd.DataFrame:
    """One row per active point in scope with codes or submissions for the round: codes
    expected (in use at the deadline), respondents who submitted, of them on time and late,
    codes still missing, the first submission, and the point's status:
    pending (before the deadline, not complete), missing (after it, not complete), late
    (complete, some after the deadline), on_time."""
    return _statuses(store, [rnd], scope, now, point_id)[STATUS_COLUMNS]


def _statuses(store: Store, rounds_: list[Round], scope: tuple[str, ...] = (),
              now: dt.datetime | None = None, point_id: str | None = None) -> pd.DataFrame:
    """point_status for several rounds of one questionnaire in one query (period_key column)."""
    now = now or _now()
    where, params = _scope_sql(scope, point_id)
    values = ", ".join(["(?, ?::TIMESTAMP)"] * len(rounds_))
    frame = store.frame(f"""
        WITH r(period_key, deadline_end) AS (VALUES {values}),
        expected AS (
            SELECT r.period_key, x.respondent_key, x.point_id FROM respondent x, r
            WHERE x.issued_at < r.deadline_end
              AND (x.revoked_at IS NULL OR x.revoked_at >= r.deadline_end)),
        firsts AS (
            SELECT period_key, respondent_key, point_id, min(submitted_at) AS first_at
            FROM submission WHERE questionnaire_id = ? AND period_key IN (SELECT period_key FROM r)
            GROUP BY ALL),
        per AS (
            SELECT period_key, point_id, e.respondent_key IS NOT NULL AS is_expected, f.first_at
            FROM expected e FULL JOIN firsts f USING (period_key, respondent_key, point_id))
        SELECT per.period_key, r.deadline_end, p.point_id, p.name, p.level, p.kind,
               p.prefecture, p.county, p.township,
               count(*) FILTER (is_expected) AS expected, count(first_at) AS received,
               count(*) FILTER (first_at < r.deadline_end) AS on_time,
               count(*) FILTER (first_at >= r.deadline_end) AS late,
               count(*) FILTER (is_expected AND first_at IS NULL) AS missing,
               min(first_at) AS first_at
        FROM per JOIN r USING (period_key) JOIN points p USING (point_id)
        WHERE {where}
        GROUP BY ALL ORDER BY per.period_key, p.prefecture, p.county, p.township NULLS FIRST,
                 p.name""",
        [x for rnd in rounds_ for x in (rnd.period_key, rnd.deadline_end)]
        + [rounds_[0].questionnaire_id, *params])
    if frame.empty:
        return pd.DataFrame(columns=["period_key", "deadline_end", *STATUS_COLUMNS])
    overdue = [now >= end for end in frame["deadline_end"]]
    frame["status"] = [
        (MISSING if late_now else PENDING) if m > 0 else (LATE if late > 0 else ON_TIME)
        for m, late, late_now in zip(frame["missing"], frame["late"], overdue)]
    return frame


def rollup(status: pd.DataFrame, level: str) -> pd.DataFrame:
    """Counts of points by status and of submissions per prefecture, county or township, and
    the on-time rate: points on time / points due (on time + late + missing)."""
    if level not in LEVELS:
        raise ValueError(level)
    keys = list(LEVELS[:LEVELS.index(level) + 1])
    frame = status.copy()
    for name in (ON_TIME, LATE, MISSING, PENDING):
        frame[f"points_{name}"] = (frame["status"] == name).astype(int)
    frame[keys] = frame[keys].fillna("—")
    grouped = frame.groupby(keys, dropna=False).agg(
        points=("point_id", "count"), points_on_time=(f"points_{ON_TIME}", "sum"),
        points_late=(f"points_{LATE}", "sum"), points_missing=(f"points_{MISSING}", "sum"),
        points_pending=(f"points_{PENDING}", "sum"), submissions=("received", "sum"),
        submissions_on_time=("on_time", "sum"), codes_missing=("missing", "sum")).reset_index()
    due = grouped["points_on_time"] + grouped["points_late"] + grouped["points_missing"]
    grouped["on_time_rate"] = (grouped["points_on_time"] / due).where(due > 0)
    return grouped


def trend(store: Store, rule_: Rule, last_period: str, count: int, calendar: WorkCalendar,
          scope: tuple[str, ...] = (), now: dt.datetime | None = None) -> pd.DataFrame:
    """The on-time rate of points over the `count` rounds up to `last_period` (one query)."""
    kind = period_kind(store, rule_.questionnaire_id)
    keys, key = [last_period], last_period
    while len(keys) < count and (key := periods.previous(kind, key)) is not None:
        keys.append(key)
    rounds_ = [round_for(rule_, kind, key, calendar) for key in reversed(keys)]
    status = _statuses(store, rounds_, scope, now)
    rows = []
    for rnd in rounds_:
        counts = status.loc[status["period_key"] == rnd.period_key, "status"].value_counts()
        due = int(counts.get(ON_TIME, 0) + counts.get(LATE, 0) + counts.get(MISSING, 0))
        rows.append({"period_key": rnd.period_key, "deadline": rnd.deadline,
                     "estimated": rnd.estimated, "points_due": due,
                     "points_on_time": int(counts.get(ON_TIME, 0)),
                     "on_time_rate": counts.get(ON_TIME, 0) / due if due else None})
    return pd.DataFrame(rows)


# -- reminder channels -------------------------------------------------------------------------
def add_channel(store: Store, label: str, kind: str, url: str, secret: str | None,
                region: tuple[str, ...], point_id: str | None, lang: str, actor: str) -> str:
    label, url, secret = label.strip(), url.strip(), (secret or "").strip() or None
    if kind not in CHANNEL_KINDS:
        raise StoreError(f"unknown robot kind '{kind}'; use wecom or dingtalk",
                         f"没有“{kind}”这种机器人,请选择企业微信或钉钉。")
    if not label:
        raise StoreError("give the group a name, e.g. the county's work group",
                         "请填写群名称,例如“清河县减负工作群”。")
    refuse(fields.CHANNEL_LABEL.problem(label), fields.WEBHOOK.problem(url))
    problem = webhook_problem(url)
    if problem:
        raise StoreError(*problem)
    refuse(fields.SECRET.problem(secret or ""), fields.region_problem(region, required=False),
           None if not point_id else fields.POINT_ID.problem(point_id),
           fields.choice_problem(lang, ("zh", "en"), "the message language", "消息语言"))
    if kind == "dingtalk" and secret and not secret.startswith("SEC"):
        raise StoreError("a DingTalk signing secret starts with SEC (加签 in the robot's security "
                         "settings)", "钉钉加签密钥以 SEC 开头,请在机器人“安全设置—加签”中复制。")
    if point_id and store.point(point_id) is None:
        raise StoreError(f"there is no monitoring point '{point_id}'", f"没有监测点“{point_id}”。")
    channel_id = "CH-" + secrets.token_hex(4).upper()

    def work(cur):
        cur.execute("INSERT INTO reminder_channel VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                    [channel_id, label, kind, url, secret, "/".join(region), point_id or None,
                     lang, _now(), actor])
        # the address and secret are never written to the audit log
        store._audit(cur, actor, "add_reminder_channel", channel_id,
                     {"label": label, "kind": kind, "region": "/".join(region),
                      "point_id": point_id})
    store._write(work)
    return channel_id


ROBOT_HOSTS = ("qyapi.weixin.qq.com", "oapi.dingtalk.com")   # 企业微信, 钉钉 group robots


def extra_webhook_hosts(env=None) -> tuple[str, ...]:
    """Hosts besides the robots' own that an operator allows (SURVEY_WEBHOOK_HOSTS, comma
    separated: a private robot gateway, or 127.0.0.1 for the tests' stand-in robot)."""
    raw = (os.environ if env is None else env).get("SURVEY_WEBHOOK_HOSTS", "")
    return tuple(h.strip().lower() for h in raw.split(",") if h.strip())


def webhook_problem(url: str, env=None) -> tuple[str, str] | None:
    """(en, zh) saying why the app will not post to this address, or None. Only https to the
    robots' known hosts, or a host the operator listed, so an admin's address cannot make the
    server call cloud metadata, the intranet or the app itself."""
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    extra = extra_webhook_hosts(env)
    if host in extra and parts.scheme in ("https", "http"):
        return None
    if parts.scheme != "https" or host not in ROBOT_HOSTS:
        return ("use the robot's own webhook address: https://qyapi.weixin.qq.com/... (企业微信) or "
                "https://oapi.dingtalk.com/... (钉钉), copied from the robot's settings in the "
                "group; other hosts need the operator's SURVEY_WEBHOOK_HOSTS setting",
                "请使用群机器人自己的 Webhook 地址:https://qyapi.weixin.qq.com/…(企业微信)或 "
                "https://oapi.dingtalk.com/…(钉钉),从群机器人设置中复制;其他地址须由运维在 "
                "SURVEY_WEBHOOK_HOSTS 中允许。")
    return None


def set_channel_active(store: Store, channel_id: str, active: bool, actor: str) -> None:
    def work(cur):
        cur.execute("UPDATE reminder_channel SET disabled_at = ? WHERE channel_id = ?",
                    [None if active else _now(), channel_id])
        store._audit(cur, actor, "enable_reminder_channel" if active else
                     "disable_reminder_channel", channel_id, {})
    store._write(work)


CHANNEL_COLUMNS = ("channel_id", "label", "kind", "url", "secret", "region", "point_id", "lang",
                   "created_at", "created_by", "active")


def channels(store: Store, active_only: bool = False) -> list[dict]:
    """Channels with their address and secret (for sending; pages show them masked)."""
    rows = store.query("SELECT channel_id, label, kind, url, secret, region, point_id, lang, "
                       "created_at, created_by, disabled_at IS NULL FROM reminder_channel"
                       + (" WHERE disabled_at IS NULL" if active_only else "")
                       + " ORDER BY created_at, channel_id")
    return [dict(zip(CHANNEL_COLUMNS, row)) for row in rows]


def channel(store: Store, channel_id: str) -> dict | None:
    return next((c for c in channels(store) if c["channel_id"] == channel_id), None)


def mask(value: str | None) -> str:
    """A secret or a webhook address as a page shows it: enough to tell which one, no more."""
    if not value:
        return ""
    if "?" in value:  # https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a...
        base, _, query = value.partition("?")
        parts = []
        for pair in query.split("&"):
            name, _, token = pair.partition("=")
            parts.append(f"{name}={mask(token)}" if token else name)
        return base + "?" + "&".join(parts)
    return value[:3] + "…" + value[-3:] if len(value) > 10 else "…"


# -- reminder plan -----------------------------------------------------------------------------
def planned(store: Store, questionnaire_id: str, period_key: str, due_at: dt.datetime) -> bool:
    return bool(store.query("SELECT 1 FROM reminder_plan WHERE questionnaire_id = ? AND "
                            "period_key = ? AND due_at = ?", [questionnaire_id, period_key, due_at]))
