"""The source questions on the light form (issue 20, docs/sources.md): what the blocks beside a
count question show (ui/templates/light_sources.html) and how their fields read from a post.

Field names are `a.<block key>.<part>` (survey.source_answers keys, e.g.
`a.sources.inspections.came`, `a.sources.inspections.body_2`, `a.sources.from.forms.text_1`):
one level under the block, so a page that asks which side's answers to keep posts them again
(light_fields.raw_fields) and the page's script keeps them with the block (`data-q`)."""

from __future__ import annotations

import re

from survey import source_answers as sa
from survey.domain import ACTIVITIES
from survey.i18n import t
from survey.sources import MAX_PICKS, OTHER, TOPICS, planned_for
from survey.store import bodies, plans

ROW = re.compile(r"^(body|kind|text)_(\d{1,2})$")  # a row's field, up to 99 rows


def read(key: str, form):
    """A block's value from the post, as survey.source_answers keeps it (None: nothing)."""
    rows: dict[int, dict] = {}
    prefix = f"a.{key}."
    for name, value in form.multi_items():
        found = ROW.match(name[len(prefix):]) if name.startswith(prefix) else None
        if found:
            rows.setdefault(int(found[2]), {})[found[1]] = str(value).replace("\r\n", "\n")
    entries = [_entry(rows[n], with_kind=key == sa.INSPECTIONS) for n in sorted(rows)]
    entries = [e for e in entries if e is not None]
    if key != sa.INSPECTIONS:
        return entries or None
    came = [str(v) for v in form.getlist(prefix + "came") if v]
    return {"came": came, "others": entries} if came or entries else None


def _entry(fields: dict, with_kind: bool) -> dict | None:
    """One row: a picked body, or 其他 with its name (typed without choosing 其他: 其他 all
    the same). A wholly empty row is none."""
    body, text = fields.get("body") or "", fields.get("text") or ""
    kind = fields.get("kind") or ""
    if not body and not text.strip() and not kind:
        return None
    body = body or (OTHER if text.strip() else "")
    entry = {"body": body, **({"text": text} if text.strip() else {})}
    return {**entry, "kind": kind} if with_kind else entry


def add_row(flow, key: str) -> None:
    """有一项不在清单上: one empty row more (a post, so it works without JavaScript)."""
    if key != sa.INSPECTIONS or key not in sa.blocks(flow.qn):
        return
    value = flow.answers.get(key) or {"came": [], "others": []}
    flow.set_answer(key, {"came": list(value.get("came") or []),
                          "others": list(value.get("others") or []) + [{}]})


def blocks(store, respondent, flow, lang: str) -> dict[str, list[dict]]:
    """{question id: the blocks drawn after it} for the part on screen."""
    keys = sa.blocks(flow.qn)
    if not keys:
        return {}
    point = respondent.point
    registry = bodies.registry(store)
    groups = _picklist(registry, point.region, lang)
    drawn: dict[str, list[dict]] = {}
    for key, qid in keys.items():
        value = flow.answers.get(key)
        block = {"key": key, "problem": sa.problem(key, value), "groups": groups,
                 "known": {b for _, options in groups for b, _ in options}}
        if key == sa.INSPECTIONS:
            listed = planned_for(plans.versions(store, int(flow.period[:4])), point.point_id,
                                 point.region, flow.period)
            came = set((value or {}).get("came") or [])
            block.update(
                planned=[(v.item_id, _item_label(registry, v, lang), v.item_id in came)
                         for v in listed],
                rows=(value or {}).get("others") or [], kinds=ACTIVITIES)
        else:
            topic = TOPICS[key[len(sa.FROM):]].get(lang)
            picks = list(value or [])
            block.update(topic=topic, picks=picks + [{}] * (MAX_PICKS - len(picks)),
                         carried=flow.is_carried(key),
                         chosen="、".join(name(registry, p, lang) for p in picks))
        drawn.setdefault(qid, []).append(block)
    return drawn


def _picklist(registry, region, lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The registry's bodies for the point, grouped by their region (county, township...)."""
    groups: dict[str, list] = {}
    for body in registry.picklist(region):
        place = body.current.region[-1] if body.current.region else t("src_body", lang)
        groups.setdefault(place, []).append((body.body_id, body.current.short_name))
    return list(groups.items())


def _item_label(registry, version, lang: str) -> str:
    body = registry.canonical(version.body_id)
    who = registry[body].current.short_name if body in registry else body
    return f"{who} · {ACTIVITIES[version.activity][lang]} · {version.subject}"


def name(registry, entry: dict, lang: str) -> str:
    """A picked body as the cadre knows it: its short name, or what they typed with 其他."""
    body = entry.get("body") or ""
    if body == OTHER:
        return entry.get("text") or t("src_other_option", lang)
    return registry[body].current.short_name if body in registry else body


def summary(store, respondent, flow, lang: str) -> list[str]:
    """The confirmation's lines about sources: planned inspections that came and the others,
    and each topic's bodies, so an unchanged month confirms them knowingly."""
    keys = sa.blocks(flow.qn)
    if not keys:
        return []
    shown, point, registry = flow.visible(), respondent.point, bodies.registry(store)
    lines = []
    for key, qid in keys.items():
        if not shown.get(qid):
            continue
        value = flow.answers.get(key)
        if key == sa.INSPECTIONS:
            listed = planned_for(plans.versions(store, int(flow.period[:4])), point.point_id,
                                 point.region, flow.period)
            came = len(set((value or {}).get("came") or []) & {v.item_id for v in listed})
            others = sa.entries(value)
            lines.append(f"{t('src_summary_title', lang)}: "
                         f"{t('src_came', lang, came=came, listed=len(listed))}; "
                         f"{t('src_others', lang, n=len(others))}")
        elif sa.entries(value):
            topic = TOPICS[key[len(sa.FROM):]].get(lang)
            lines.append(f"{t('src_mainly_short', lang, topic=topic)}: "
                         + "、".join(name(registry, p, lang) for p in sa.entries(value)))
    return lines


def clash_row(store, flow, key: str, mine, theirs, lang: str) -> tuple[str, str, str]:
    """A block's line on the page that asks which side's answers to keep."""
    registry = bodies.registry(store)

    def shown(value) -> str:
        entries = sa.entries(value)
        came = (value or {}).get("came") if key == sa.INSPECTIONS else None
        return "、".join(list(came or []) + [name(registry, e, lang) for e in entries]) or "—"
    label = t("src_planned", lang) if key == sa.INSPECTIONS else t(
        "src_mainly_short", lang, topic=TOPICS[key[len(sa.FROM):]].get(lang))
    return label, shown(mine), shown(theirs)
