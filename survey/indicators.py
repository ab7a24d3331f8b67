"""The indicator catalogue: keys that tie questions to metrics across questionnaire versions.

Wording and units follow ../shared/domain/indicators.md. `lower_is_better` tells charts which
direction of change is good; `aggregate` says how a group of respondents is summarised.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Indicator:
    key: str
    zh: str
    en: str
    unit_zh: str
    unit_en: str
    lower_is_better: bool = True
    aggregate: str = "mean"  # mean | share (of yes / of the top two answers) | likert


_ROWS = [
    Indicator("documents", "收文数量", "Documents received", "件/月", "per month"),
    Indicator("documents_action", "需反馈的文件", "Documents needing a response", "件/月", "per month"),
    Indicator("meetings", "参加会议次数", "Meetings attended", "次/月", "per month"),
    Indicator("meeting_hours", "会议时长", "Hours in meetings (reference week)", "小时/周", "hours/week"),
    Indicator("forms", "填报报表份数", "Forms and reports filled", "份/月", "per month"),
    Indicator("form_hours", "填表报数耗时", "Hours on forms (reference week)", "小时/周", "hours/week"),
    Indicator("duplicate_forms", "重复填报", "Duplicate forms", "份/月", "per month"),
    Indicator("inspections", "督查检查考核次数", "Inspections and assessments", "次/月", "per month"),
    Indicator("inspection_hours", "迎检准备耗时", "Preparation hours for inspections", "小时/月", "hours/month"),
    Indicator("trace_demands", "过度留痕", "Asked to leave traces", "是=1", "yes = 1", aggregate="share"),
    Indicator("trace_hours", "留痕耗时", "Hours on traces (reference week)", "小时/周", "hours/week"),
    Indicator("apps", "政务APP数量", "Government apps demanding use", "个", "count"),
    Indicator("chat_groups", "工作群数量", "Work chat groups", "个", "count"),
    Indicator("chat_pressure", "工作群即时回复压力", "Pressure to reply or show work in groups", "是=1", "yes = 1", aggregate="share"),
    Indicator("plaques", "挂牌数量", "Mechanism plaques on the office", "块", "count"),
    Indicator("burden_change", "负担变化感知", "Perceived change of burden", "1=明显减轻 … 5=明显加重", "1 = much lighter … 5 = much heavier", aggregate="likert"),
    Indicator("satisfaction", "减负满意度", "Satisfaction with burden reduction", "1=很不满意 … 5=很满意", "1 = very dissatisfied … 5 = very satisfied", lower_is_better=False, aggregate="likert"),
    Indicator("public_satisfaction", "群众满意度(万人评)", "Public rating of the point's service", "1=很不满意 … 5=很满意", "1 = very dissatisfied … 5 = very satisfied", lower_is_better=False, aggregate="likert"),
    Indicator("public_efficiency", "办事效率评价", "Public rating of efficiency", "1 … 5", "1 … 5", lower_is_better=False, aggregate="likert"),
    Indicator("public_attitude", "服务态度评价", "Public rating of attitude", "1 … 5", "1 … 5", lower_is_better=False, aggregate="likert"),
    Indicator("public_visits", "办一件事跑腿次数", "Visits needed to get one thing done", "次", "visits"),
]

INDICATORS: dict[str, Indicator] = {row.key: row for row in _ROWS}
