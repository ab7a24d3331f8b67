"""Demo sources (issue 20): the upper-level bodies of the demo's 清河县, its filed plan of
inspections for this year (with one change after filing and one item withdrawn) and its
township duty list, so the bodies, plans and duty-list pages show something true; and what
its cadres report about sources (`add_reports`), written through the store's submit-time
function, so the 负担来源 page has findings: the planned inspections that came, a county-wide
straw-burning check the 县农业农村局 never filed, an unfiled safety check in 城关镇, a few
one-off visits (under k points: never shown), and the bodies documents, meetings and forms
mainly come from (县农业农村局's forms rising this year). Flagged is_demo; full names end in
(演示); `survey demo --remove` deletes them with the demo points (survey/store/demo_data.py)."""

from __future__ import annotations

import datetime as dt
import random
import re

from survey import sources
from survey.store import Store
from survey.store import bodies as body_store
from survey.store import duties, plans, source_reports
from survey.store.bodies import BodyEntry
from survey.store.duties import DutyItem
from survey.store.plans import PlanEntry

COUNTY = ("江北市", "清河县")
_MONTH = re.compile(r"^\d{4}-\d{2}$")
# short name, full name, kind, township (None: the county's)
BODIES = [
    ("县委办", "中共清河县委办公室", "party", None),
    ("县政府办", "清河县人民政府办公室", "government", None),
    ("县委组织部", "中共清河县委组织部", "party", None),
    ("县教育局", "清河县教育局", "department", None),
    ("县卫生局", "清河县卫生局", "department", None),   # renamed 县卫健局 on 1 July last year
    ("县农业农村局", "清河县农业农村局", "department", None),
    ("县应急管理局", "清河县应急管理局", "department", None),
    ("县民政局", "清河县民政局", "department", None),
    ("城关镇党委", "中共清河县城关镇委员会", "township", "城关镇"),
    ("柳林乡党委", "中共清河县柳林乡委员会", "township", "柳林乡"),
]
# body, activity, subject, month, township (None: the whole county)
PLAN = [
    ("县委办", "inspection", "重点工作推进情况督查", 3, None),
    ("县委办", "inspection", "重点工作推进情况督查", 9, None),
    ("县政府办", "inspection", "民生实事项目督查", 6, None),
    ("县委组织部", "assessment", "年度综合考核", 12, None),
    ("县教育局", "check", "校园安全检查", 3, None),
    ("县教育局", "research", "义务教育优质均衡调研", 5, "城关镇"),
    ("县卫健局", "check", "村卫生室规范化建设检查", 4, "城关镇"),
    ("县农业农村局", "check", "高标准农田建设检查", 7, "柳林乡"),
    ("县农业农村局", "inspection", "农村人居环境整治督查", 10, None),
    ("县应急管理局", "check", "安全生产大检查", 4, None),
    ("县应急管理局", "check", "防汛备汛检查", 6, None),
    ("县应急管理局", "check", "安全生产大检查", 11, None),
    ("县民政局", "check", "养老服务机构检查", 8, "城关镇"),
    ("城关镇党委", "assessment", "村级年度考核", 12, "城关镇"),
]
DUTIES = [
    ("township", "农村人居环境整治", "responsible", "《清河县镇街履职事项清单》"),
    ("township", "基层党组织建设", "responsible", "《中国共产党农村基层组织工作条例》"),
    ("township", "安全生产监督检查", "responsible", "《中华人民共和国安全生产法》"),
    ("township", "防汛抗旱", "responsible", "《中华人民共和国防洪法》"),
    ("township", "食品安全监管", "assists", "《清河县镇街履职事项清单》"),
    ("township", "生态环境执法", "assists", "《清河县镇街履职事项清单》"),
    ("township", "招商引资", "assists", "《清河县镇街履职事项清单》"),
    ("village", "村民自治事务", "responsible", "《中华人民共和国村民委员会组织法》"),
    ("village", "农村人居环境整治", "assists", "《清河县镇街履职事项清单》"),
    ("village", "安全生产监督检查", "assists", "《清河县镇街履职事项清单》"),
]


def load(store: Store, today: dt.date | None = None, actor: str = "system") -> None:
    today = today or dt.date.today()
    year = today.year
    body_store.save_bodies(store, [
        BodyEntry("", COUNTY + ((town,) if town else ()), short, f"{full}(演示)", kind,
                  dt.date(year - 1, 1, 1)) for short, full, kind, town in BODIES], actor,
        is_demo=True)
    ids = {b.current.short_name: b.body_id for b in body_store.registry(store).current()}
    health = ids["县卫生局"]
    body_store.rename(store, health, "县卫健局", "清河县卫生健康局(演示)", dt.date(year - 1, 7, 1),
                      actor)
    ids["县卫健局"] = health
    filed_on = min(dt.date(year, 1, 10), today)
    plans.file_items(store, [
        PlanEntry(ids[body], activity, subject, f"{year}-{month:02d}",
                  COUNTY + ((town,) if town else ()), filed_on=filed_on)
        for body, activity, subject, month, town in PLAN], actor, is_demo=True)
    items = {(v.subject, v.month): v.item_id for v in plans.current(store, year)}
    # after filing (changes with who and when): the flood check moved forward to May, the
    # November safety check withdrawn
    plans.change_item(store, items[("防汛备汛检查", f"{year}-06")], actor,
                      "汛期提前,提前至 5 月(演示)", month=f"{year}-05")
    plans.withdraw(store, items[("安全生产大检查", f"{year}-11")], actor,
                   "与市级检查合并(演示)")
    duties.replace_lists(store, [DutyItem(COUNTY, level, task, role, basis)
                                 for level, task, role, basis in DUTIES], actor, is_demo=True)



# inspections nobody filed: body short name, kind, months before this one, where (township
# names; None: the county-level points). The straw check reaches all 12 points and the
# safety check 9: shown; the research visit 3 points: counted, never shown (k).
OFF_PLAN = [
    ("县农业农村局", "check", 3, (None, "城关镇", "柳林乡")),   # 秸秆禁烧专项检查
    ("县应急管理局", "check", 2, (None, "城关镇")),            # an extra safety check
    ("县教育局", "research", 5, ("柳林乡",)),
]
# documents, meetings, forms: the bodies they mainly come from, by kind of point
MAINLY = {
    "documents": {"school": ["县教育局", "县委办"], "hospital": ["县卫健局", "县政府办"],
                  "village": ["县农业农村局", "县委办", "{town}党委"]},
    "meetings": {"school": ["县教育局"], "hospital": ["县卫健局"],
                 "village": ["{town}党委", "县委办", "县政府办"]},
    "forms": {"school": ["县教育局", "县民政局"], "hospital": ["县卫健局"],
              "village": ["县农业农村局", "县民政局", "{town}党委"]},
}


def add_reports(store: Store, batch, today: dt.date | None = None, seed: int = 20) -> int:
    """What the demo county's cadres report about sources, for every demo submission of its
    points: inspections in the plan's months up to last month, 'mainly from' picks for the
    two years. Returns the submissions given sources."""
    today = today or dt.date.today()
    rng = random.Random(seed)
    registry = body_store.registry(store)
    ids = {b.current.short_name: b.body_id for b in registry.current()}
    versions = plans.versions(store, today.year)
    points = {p.point_id: p for p in batch.points if tuple(p.region[:2]) == COUNTY}
    counts: dict[str, dict] = {}
    for sid, _q, _r, _t, indicator, value, *_rest in batch.answers:
        if indicator in sources.TOPICS and value is not None:
            counts.setdefault(sid, {})[indicator] = value
    last = f"{today.year}-{today.month:02d}"
    off_months = {shift: _month_before(last, shift) for _, _, shift, _ in OFF_PLAN}
    items = []
    for sid, _token, _key, point_id, _qid, _v, _h, month, *_rest in batch.submissions:
        point = points.get(point_id)
        if point is None or not _MONTH.match(month):  # the monthly form's, not the public's
            continue
        report = None
        if month.startswith(str(today.year)) and month < last:
            came = [v.item_id for v in sources.planned_for(versions, point_id, point.region,
                                                            month) if rng.random() < 0.9]
            others = [sources.OtherInspection(kind, ids[body])
                      for body, kind, shift, where in OFF_PLAN if off_months[shift] == month
                      and (point.region[2:3] or (None,))[0] in where]
            if rng.random() < 0.02:  # a one-off the cadre could only name
                others.append(sources.OtherInspection("inspection", None, "市里暗访组"))
            report = sources.InspectionReport(point_id, point.region, month, tuple(came),
                                              tuple(others))
        kind = point.kind if point.kind in ("school", "hospital") else "village"
        town = point.region[2] if len(point.region) > 2 else "城关镇"
        picks = []
        for topic, by_kind in MAINLY.items():
            names = [n.format(town=town) for n in by_kind[kind]]
            if topic == "forms" and kind == "village" and month.startswith(str(today.year)):
                names = ["县农业农村局"] * 2 + names  # this year the forms come from it more
            chosen = list(dict.fromkeys(rng.sample(names, min(len(names), rng.randint(1, 3)))))
            picks.append((topic, tuple(sources.BodyPick(ids[n]) for n in chosen)))
        items.append(source_reports.Recorded(
            sid, sources.SourcesReport(point_id, point.region, month, report, tuple(picks)),
            counts.get(sid, {})))
    source_reports.write(store, items)
    return len(items)


def _month_before(month: str, months: int) -> str:
    year, number = int(month[:4]), int(month[5:7]) - months
    while number < 1:
        year, number = year - 1, number + 12
    return f"{year}-{number:02d}"
