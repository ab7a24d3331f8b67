"""Demo sources (issue 20): the upper-level bodies of the demo's 清河县, its filed plan of
inspections for this year (with one change after filing and one item withdrawn) and its
township duty list, so the bodies, plans and duty-list pages show something true. Flagged
is_demo; full names end in (演示); `survey demo --remove` deletes them with the demo points
(survey/store/demo_data.py)."""

from __future__ import annotations

import datetime as dt

from survey.store import Store
from survey.store import bodies as body_store
from survey.store import duties, plans
from survey.store.bodies import BodyEntry
from survey.store.duties import DutyItem
from survey.store.plans import PlanEntry

COUNTY = ("江北市", "清河县")
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

