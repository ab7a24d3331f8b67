"""Admins: deadline rules per questionnaire, the work-group robots that receive reminders
(addresses and secrets shown masked), and the outbox with each message's state, attempts and
last error; any message can be sent again."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey import fields, periods, reminders
from survey.errors import message
from survey.rounds import Rule, RuleError, parse_offsets, reminder_times, weekday_label
from survey.store import StoreError, outbox
from survey.store import rounds as round_store
from ui import place
from ui.auth import require
from ui.context import LANG_NAMES, escape, lang, startup, t, tr
from ui.holidays import work_calendar

viewer = require("reminders")
store = startup().store
st.title(t("nav_reminders"))


def wake() -> None:
    delivery = reminders.running(store)
    if delivery is not None:
        delivery.wake()


questionnaires = [q for q in store.current_questionnaires() if q.audience == "cadre"]
rules_tab, robots_tab, outbox_tab = place.tabs("reminders_tab",
    [tr("截止与提醒规则", "Deadlines and reminder times"), tr("群机器人", "Group robots"),
     tr("发送记录(发件箱)", "Outbox")])

with rules_tab:
    if not questionnaires:
        st.info(t("no_questionnaire"))
    else:
        qn = st.selectbox(t("questionnaire"), questionnaires,
                          format_func=lambda q: q.title.get(lang()), key="rule_qn")
        current = round_store.rule(store, qn.id) or Rule(qn.id)
        with st.form("rule"):
            deadline_days = st.number_input(
                tr("截止:本期结束后第几个工作日(0 = 本期最后一天)",
                   "Deadline: working days after the period ends (0 = its last day)"),
                min_value=0, max_value=60, value=current.deadline_days)
            open_from_start = st.checkbox(tr("本期第一天开始填报", "Opens on the period's first day"),
                                          value=current.open_days is None)
            open_days = st.number_input(
                tr("否则:本期结束前第几个工作日开始(0 = 结束后)",
                   "Otherwise: opens this many working days before the period ends (0 = after it)"),
                min_value=0, max_value=60, value=current.open_days or 0)
            offsets = st.text_input(
                tr("提醒日:相对截止日的工作日(-1 = 前一个工作日,0 = 当天,1 = 后一个工作日)",
                   "Reminder days: working days from the deadline (-1 the day before, 0 the day, 1 after)"),
                value=", ".join(str(r) for r in current.reminders),
                max_chars=fields.REMINDER_DAYS.limit)
            remind_at = st.time_input(tr("提醒时间", "Reminder time"), value=current.remind_at)
            if st.form_submit_button(tr("保存规则", "Save the rule"), type="primary"):
                try:
                    new = Rule(qn.id, int(deadline_days), None if open_from_start else int(open_days),
                               parse_offsets(offsets), remind_at)
                    round_store.save_rule(store, new, viewer.username)
                    wake()
                    place.keep("rule_saved", tr("已保存。", "Saved."))
                    current = new
                except (RuleError, StoreError) as exc:
                    st.error(escape(message(exc, lang())))
        place.success("rule_saved")
        st.caption(tr("只在工作日提醒(含调休上班日,跳过法定节假日);只提醒尚未报齐的监测点。",
                      "Reminders go out on working days only (adjusted working weekends included, "
                      "holidays skipped), and only about points that have not finished reporting."))
        upcoming, calendar = [], work_calendar()
        for key in periods.recent(qn.period, dt.date.today(), 3):
            rnd = round_store.round_of(store, current, key, calendar)
            upcoming.append({t("period"): key, tr("截止", "Deadline"): weekday_label(rnd.deadline, lang()),
                             tr("提醒", "Reminders"): ", ".join(
                                 f"{x:%m-%d %H:%M}" for x in reminder_times(current, rnd, calendar)),
                             tr("估算", "Estimated"): t("yes") if rnd.estimated else ""})
        st.dataframe(upcoming, hide_index=True, width="stretch", placeholder="—")

with robots_tab:
    st.caption(tr("提醒发到县里已在用的工作群(企业微信或钉钉群机器人),只写监测点和份数,不涉及个人。"
                  "创建方法见使用说明《报送轮次与催报》。推送地址和加签密钥仅管理员可见,且只显示首尾几位。",
                  "Reminders go to the work groups a county already uses (WeCom or DingTalk group "
                  "robots), naming points and counts, never people. See docs/rounds.md. Webhook "
                  "addresses and secrets are for admins only and shown masked."))
    rows = [{tr("编号", "Id"): c["channel_id"], tr("名称", "Name"): c["label"],
             tr("类型", "Kind"): {"wecom": tr("企业微信", "WeCom"), "dingtalk": tr("钉钉", "DingTalk")}[c["kind"]],
             tr("范围", "Region"): c["point_id"] or c["region"] or tr("全部", "All"),
             tr("推送地址", "Webhook"): round_store.mask(c["url"]), tr("加签密钥", "Secret"): round_store.mask(c["secret"]),
             tr("语言", "Language"): LANG_NAMES.get(c["lang"], c["lang"]),
             tr("启用", "Active"): t("yes") if c["active"] else t("no")}
            for c in round_store.channels(store)]
    if rows:
        st.dataframe(rows, hide_index=True, width="stretch", placeholder="—")
        ids = [c["channel_id"] for c in round_store.channels(store)]
        chosen = st.selectbox(tr("启用或停用", "Enable or disable"), ids, key="channel_toggle")
        on, off = st.columns(2)
        if on.button(tr("启用", "Enable"), width="stretch"):
            round_store.set_channel_active(store, chosen, True, viewer.username)
            st.rerun()
        if off.button(tr("停用", "Disable"), width="stretch"):
            round_store.set_channel_active(store, chosen, False, viewer.username)
            st.rerun()
    with st.form("channel", clear_on_submit=True):
        st.markdown(tr("**添加群机器人**", "**Add a group robot**"))
        label = st.text_input(tr("群名称", "Group name"), max_chars=fields.CHANNEL_LABEL.limit)
        kind = st.radio(tr("类型", "Kind"), round_store.CHANNEL_KINDS, horizontal=True,
                        format_func=lambda k: {"wecom": tr("企业微信", "WeCom"),
                                               "dingtalk": tr("钉钉", "DingTalk")}[k])
        url = st.text_input(tr("推送地址(机器人设置中复制)", "Webhook address (from the robot's settings)"),
                            max_chars=fields.WEBHOOK.limit, type="password")
        secret = st.text_input(tr("钉钉加签密钥(安全设置—加签;企业微信留空)",
                                  "DingTalk signing secret (starts with SEC; empty for WeCom)"),
                               max_chars=fields.SECRET.limit, type="password")
        region = st.text_input(tr("范围:地区(如 江北市/清河县;留空 = 全部)",
                                  "Region (e.g. 江北市/清河县; empty = all)"),
                               max_chars=fields.REGION.limit)
        point_id = st.text_input(tr("或单个监测点编号", "Or one point's id"),
                                 max_chars=fields.POINT_ID.limit)
        channel_lang = st.radio(tr("消息语言", "Message language"), ("zh", "en"), horizontal=True,
                                format_func=LANG_NAMES.get)
        if st.form_submit_button(tr("添加", "Add"), type="primary"):
            try:
                round_store.add_channel(store, label, kind, url, secret,
                                        tuple(x.strip() for x in region.split("/") if x.strip()),
                                        point_id.strip() or None, channel_lang, viewer.username)
                place.keep("channel_added", tr("已添加。", "Added."), rerun=True)  # listed above
            except StoreError as exc:
                st.error(escape(message(exc, lang())))
    place.success("channel_added")

SKIP_WHY = {"nobody left to remind": tr("没有需要提醒的监测点", "nobody left to remind"),
            "round closed": tr("本期已关闭", "the round is closed"),
            "channel disabled": tr("该群已停用", "the group is disabled"),
            "channel disabled or rule removed": tr("该群已停用", "the group is disabled")}

with outbox_tab:
    delivery = reminders.running(store)
    state = outbox.counts(store)
    st.markdown(tr(f"待发 {state.get('pending', 0)} · 已发 {state.get('sent', 0)} · "
                   f"无需发送 {state.get('skipped', 0)}",
                   f"Pending {state.get('pending', 0)} · sent {state.get('sent', 0)} · "
                   f"not needed {state.get('skipped', 0)}"))
    if delivery is None or not delivery.is_alive():
        st.warning(tr("发送线程未运行(应用启动时启动)。", "The delivery thread is not running "
                      "(it starts with the app)."))
    elif delivery.last_error:
        st.warning(tr("发送线程上一轮出错(详情见服务器日志),仍在运行并会重试:",
                      "The delivery thread's last round failed (details in the server log); it "
                      "is still running and will try again: ") + escape(delivery.last_error))
    st.caption(tr("失败的消息按 30 秒、1、2、4 分钟……最长 30 分钟的间隔一直重试,不会放弃;"
                  "内容在发送那一刻生成,已报齐的监测点不会被提醒。",
                  "Failed messages are retried after 30 s, 1, 2, 4 minutes ... at most every 30 "
                  "minutes, never given up; the text is made at the moment of sending, so a point "
                  "that has reported is not reminded."))
    frame = outbox.listing(store)
    if frame.empty:
        st.info(tr("还没有消息。", "No messages yet."))
    else:
        state_names = {outbox.PENDING: tr("待发", "Pending"), outbox.SENT: tr("已发", "Sent"),
                       outbox.SKIPPED: tr("无需发送", "Not needed")}
        names = {q.id: q.title.get(lang()) for q in store.current_questionnaires()}
        shown = frame.drop(columns=["body"]).assign(
            state=frame["state"].map(lambda s: state_names.get(s, s)),
            questionnaire_id=frame["questionnaire_id"].map(lambda q: names.get(q, q)),
            last_error=frame["last_error"].map(lambda e: reminders.error_in(e, lang()))
        ).rename(columns={
            "message_id": tr("编号", "Id"), "channel": tr("群", "Group"),
            "questionnaire_id": t("questionnaire"), "period_key": t("period"),
            "due_at": tr("计划时间", "Due"), "state": tr("状态", "State"),
            "attempts": tr("尝试次数", "Attempts"), "last_error": tr("最近错误", "Last error"),
            "last_attempt_at": tr("最近尝试", "Last attempt"),
            "next_attempt_at": tr("下次尝试", "Next attempt"), "sent_at": tr("发出时间", "Sent")})
        st.dataframe(shown, hide_index=True, width="stretch", placeholder="—")
        chosen = st.selectbox(tr("查看或重发", "Show or send again"), list(frame["message_id"]))
        picked = frame.set_index("message_id").loc[chosen]
        if picked["state"] == outbox.SENT:
            st.text(picked["body"])                 # the text as the group received it
        elif picked["state"] == outbox.SKIPPED:
            st.caption(tr("未发送:", "Not sent: ")
                       + escape(SKIP_WHY.get(picked["body"], picked["body"])))
        else:
            st.caption(tr("尚未发出:内容在发送那一刻生成,已报齐的监测点不会出现。",
                          "Not sent yet: the text is made at the moment of sending, without the "
                          "points that have reported by then."))
        if st.button(tr("重新发送(按当前情况重新生成内容)", "Send again (text made anew)")):
            outbox.replay(store, chosen, viewer.username)
            wake()
            st.rerun()
    live = [c for c in round_store.channels(store, active_only=True)]
    if live and questionnaires:
        with st.form("send_now"):
            st.markdown(tr("**立即催报**", "**Remind now**"))
            channel_id = st.selectbox(tr("群", "Group"), [c["channel_id"] for c in live],
                                      format_func=lambda i: next(c["label"] for c in live
                                                                 if c["channel_id"] == i))
            qn_now = st.selectbox(t("questionnaire"), questionnaires,
                                  format_func=lambda q: q.title.get(lang()))
            period = st.selectbox(t("period"), periods.recent(qn_now.period, dt.date.today(), 3))
            if st.form_submit_button(tr("发送", "Send")):
                # without a saved rule the default rule shown above decides the deadline
                if outbox.queue_now(store, channel_id, qn_now.id, period, viewer.username):
                    wake()
                    place.forget("not_queued")
                    place.keep("queued", tr("已放入发件箱。", "Queued in the outbox."),
                               rerun=True)  # the outbox above lists the message
                else:
                    minutes = int(outbox.AGAIN_AFTER.total_seconds() // 60)
                    place.forget("queued")
                    place.keep("not_queued", tr(
                        f"这条催报已在发件箱中或刚刚发出,{minutes} 分钟内不重复发送,以免群里收到两遍。",
                        f"This reminder is already in the outbox or was just sent; it is not "
                        f"sent again within {minutes} minutes, so the group does not get it "
                        "twice."), rerun=True)
        place.success("queued")
        if not_queued := place.kept("not_queued"):
            st.info(not_queued)
