"""Checks of a questionnaire's `sources:` switch (issue 20, docs/questionnaire-format.md):

    sources: {inspections: true, mainly_from: [documents, meetings, forms]}

`inspections: true` lists the month's filed inspections beside the question that carries the
indicator `inspections`; each `mainly_from` entry names a question, or the indicator it carries
(documents, meetings or forms), beside which the form asks "mainly from" (up to 3 bodies).
Every problem is Q129 (or Q102/Q103 for an unknown key or a wrong kind of value), with its line
and column, in Chinese and English like every other setting."""

from __future__ import annotations

from survey.errors import Bilingual
from survey.questionnaire.model import SourcesSetting
from survey.sources import TOPICS

KEYS = ("inspections", "mainly_from")
EXAMPLE = "{inspections: true, mainly_from: [documents, meetings, forms]}"


def check(checker, value, sections, audience: str, period: str) -> SourcesSetting | None:
    """The setting, or None (off, or wrong: the problems are on `checker`)."""
    if value is None:
        return None
    path = ("sources",)
    if not isinstance(value, dict):
        checker.err(path, "Q129", f"sources must be a mapping such as {EXAMPLE}",
                    f"sources 应为映射,如 {EXAMPLE}")
        return None
    checker.check_keys(value, path, KEYS, Bilingual("sources", "sources(负担来源)"))
    if audience != "cadre":
        checker.err(path, "Q129", "sources are reported by cadres at a monitoring point; remove "
                    "sources:, or make the questionnaire audience: cadre",
                    "负担来源由监测点干部填报;请删除 sources:,或把问卷改为 audience: cadre",
                    key=True)
        return None
    if period != "month":
        checker.err(path, "Q129", "sources need period: month (inspection plans are filed by "
                    "month); remove sources:, or make the questionnaire monthly",
                    "负担来源需要 period: month(督检考计划按月备案);请删除 sources:,或把问卷改为"
                    "月报", key=True)
        return None
    questions = [q for s in sections for q in s.questions]
    by_indicator = {q.indicator: q.id for q in questions if q.indicator}
    inspections = None
    if checker.boolean(value.get("inspections"), path + ("inspections",), "inspections"):
        inspections = by_indicator.get("inspections")
        if inspections is None:
            checker.err(path + ("inspections",), "Q129", "inspections: true lists the month's "
                        "filed inspections beside the question with indicator: inspections; "
                        "add that question, or remove inspections: true",
                        "inspections: true 会在带 indicator: inspections 的题目旁列出本月备案的"
                        "督检考;请添加该题,或删除 inspections: true")
    mainly = _mainly_from(checker, value.get("mainly_from"), path + ("mainly_from",),
                          {q.id: q for q in questions}, by_indicator)
    if inspections is None and not mainly:
        return None
    return SourcesSetting(inspections, mainly)


def _mainly_from(checker, value, path, questions: dict, by_indicator: dict
                 ) -> tuple[tuple[str, str], ...]:
    from survey.questionnaire.validate import _suggest  # validate imports this module
    if value is None:
        return ()
    if not isinstance(value, list):
        checker.err(path, "Q103", "mainly_from must be a list, e.g. [documents, meetings, forms]",
                    "mainly_from 应为列表,如 [documents, meetings, forms]")
        return ()
    found: dict[str, str] = {}
    topics = ", ".join(TOPICS)
    for i, name in enumerate(value):
        where = path + (i,)
        q = questions.get(name) if isinstance(name, str) else None
        if q is None and name in TOPICS and name in by_indicator:
            q = questions[by_indicator[name]]
        if q is None:
            suggestion = _suggest(name, list(questions) + list(TOPICS))
            checker.err(where, "Q129", f"mainly_from: {name!r} is neither a question nor an "
                        f"indicator of this questionnaire{suggestion}; name a question that "
                        f"carries one of {topics}, or the indicator",
                        f"mainly_from:{name!r} 既不是本问卷的题目也不是其指标{suggestion.zh};"
                        f"请写出带 {topics} 指标之一的题目,或该指标")
            continue
        if q.indicator not in TOPICS:
            checker.err(where, "Q129", f"mainly_from: question '{q.id}' carries "
                        f"{'indicator ' + repr(q.indicator) if q.indicator else 'no indicator'}"
                        f"; 'mainly from' is asked about {topics} only",
                        f"mainly_from:题目 '{q.id}' "
                        f"{'的指标是 ' + repr(q.indicator) if q.indicator else '没有指标'};"
                        f"“主要来自”只用于 {topics}", q.id)
            continue
        if q.indicator in found:
            checker.err(where, "Q129", f"mainly_from: {q.indicator} is named twice; name each "
                        "once", f"mainly_from:{q.indicator} 出现了两次;每项只写一次", q.id)
            continue
        found[q.indicator] = q.id
    return tuple((topic, found[topic]) for topic in TOPICS if topic in found)
