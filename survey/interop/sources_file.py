"""The registers a county office already keeps, in and out of CSV (UTF-8 or GBK) and XLSX:
upper-level bodies (上级部门名录), the filed plan (督检考计划备案表) and the township duty list
(镇街职责清单). docs/sources.md shows each file.

Reading checks every row and names each problem's row with what to write instead, in Chinese
and English; the result holds entries only when no row is wrong, so nothing is half-imported.
Headers may be Chinese or English (the templates of either language).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd

from survey import fields, safe_files
from survey.domain import ACTIVITIES, BODY_KINDS, DUTY_LEVELS, DUTY_ROLES
from survey.interop.history_import import normalize_header, open_sheets
from survey.interop.issues import Issue
from survey.sources import PlanVersion, Registry, normal
from survey.store.bodies import BodyEntry
from survey.store.bodies import entry_problems as body_problems
from survey.store.duties import DutyItem, item_problems
from survey.store.plans import PlanEntry
from survey.store.plans import entry_problems as plan_problems

SUFFIXES = (".csv", ".xlsx", ".xlsm")


@dataclass(frozen=True)
class Layout:
    """One register's columns: field -> (Chinese header, English header), the required ones,
    and other headers read as the same field."""
    columns: dict[str, tuple[str, str]]
    required: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)

    def header(self, lang: str) -> list[str]:
        return [zh if lang == "zh" else en for zh, en in self.columns.values()]

    def field_of(self, text: str) -> str | None:
        key = normalize_header(text)
        for name, (zh, en) in self.columns.items():
            if key in (normalize_header(zh), normalize_header(en)):
                return name
        return self.aliases.get(key)


BODIES = Layout({"body_id": ("编号", "id"), "region": ("地区", "region"),
                 "short_name": ("简称", "short_name"), "full_name": ("全称", "full_name"),
                 "kind": ("类型", "kind"), "valid_from": ("生效日期", "valid_from")},
                ("region", "short_name", "full_name", "kind"),
                {"单位编号": "body_id", "所属地区": "region", "单位简称": "short_name",
                 "名称": "full_name", "单位名称": "full_name", "单位全称": "full_name"})
PLANS = Layout({"item_id": ("编号", "id"), "body": ("单位", "body"), "activity": ("类型", "kind"),
                "subject": ("事项", "subject"), "month": ("月份", "month"),
                "region": ("地区", "region"), "points": ("监测点", "points"),
                "filed_on": ("备案日期", "filed_on")},
               ("body", "activity", "subject", "month"),
               {"计划编号": "item_id", "事项编号": "item_id", "牵头单位": "body", "计划单位": "body",
                "单位名称": "body", "督检考事项": "subject", "内容": "subject", "名称": "subject",
                "时间": "month", "计划时间": "month", "范围": "region", "对象": "points"})
DUTIES = Layout({"region": ("地区", "region"), "level": ("层级", "level"),
                 "task": ("事项", "task"), "role": ("职责类型", "role"),
                 "basis": ("依据", "basis")},
                ("region", "level", "task", "role"),
                {"职责事项": "task", "事项名称": "task", "类别": "role", "类型": "role",
                 "法律依据": "basis", "所属地区": "region"})
# Words a register may hold for a vocabulary code (the codes themselves work too).
_WORDS = {
    "kind": {**{v["zh"]: k for k, v in BODY_KINDS.items()},
             "党委部门": "party", "部门单位": "department", "乡镇": "township", "街道": "township",
             "镇": "township"},
    "activity": {v["zh"]: k for k, v in ACTIVITIES.items()} | {"督导": "inspection",
                                                               "考评": "assessment"},
    "level": {v["zh"]: k for k, v in DUTY_LEVELS.items()} | {
        "镇": "township", "乡镇": "township", "街道": "township", "乡镇街道": "township",
        "村": "village", "社区": "village", "村社区": "village"},
    "role": {v["zh"]: k for k, v in DUTY_ROLES.items()} | {
        "法定": "responsible", "主责": "responsible", "职责": "responsible",
        "配合": "assists", "协同": "assists", "协助": "assists"},
}
_VOCABULARY = {"kind": BODY_KINDS, "activity": ACTIVITIES, "level": DUTY_LEVELS,
               "role": DUTY_ROLES}
_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
                  r"(?:[ T]00:00(?::00)?)?$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:[-/.]0?1(?:[ T]00:00(?::00)?)?)?$")


@dataclass
class Read:
    """What a file holds: its entries (only when no row is wrong) and its problems."""
    name: str
    entries: list = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    changed: set = field(default_factory=set)  # ids of existing records an entry changes

    @property
    def ok(self) -> bool:
        return not self.issues and bool(self.entries)


def _text(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Rows:
    """A register's rows as {field: text or cell}, with row-numbered problems."""

    def __init__(self, data: bytes, name: str, layout: Layout):
        self.read = Read(name)
        self.layout = layout
        self.sheet = ""
        self.rows: list[tuple[int, dict]] = []
        sheets, refused = open_sheets(data, name, SUFFIXES)
        if refused:
            self.read.issues.append(refused)
            return
        self.sheet, cells = sheets[0]
        self._collect(cells)

    def error(self, row: int | None, en: str, zh: str, item: str = "") -> None:
        self.read.issues.append(Issue(self.read.name, self.sheet, row, en, zh, item, "error"))

    def _collect(self, cells: list[list]) -> None:
        at = next((i for i, r in enumerate(cells) if any(_text(c) for c in r)), None)
        header_zh, header_en = "、".join(self.layout.header("zh")), ", ".join(self.layout.header("en"))
        if at is None:
            self.error(None, f"the file is empty; the first row is the header {header_en}",
                       f"文件是空的;第一行应为表头:{header_zh}。")
            return
        columns: dict[str, int] = {}
        for c, cell in enumerate(cells[at]):
            text = _text(cell)
            if not text:
                continue
            name = self.layout.field_of(text)
            if name is None:
                self.error(at + 1, f"unknown column '{text}'; the columns are {header_en}: "
                           "rename or delete it", f"无法识别的列“{text}”;列名应为 {header_zh},"
                           "请改名或删除该列。", text)
            elif name in columns:
                self.error(at + 1, f"column '{text}' repeats another column; keep one",
                           f"列“{text}”与另一列重复,请只保留一列。", text)
            else:
                columns[name] = c
        missing = [f for f in self.layout.required if f not in columns]
        if missing:
            self.error(at + 1, "missing column(s): " + ", ".join(
                self.layout.columns[m][1] for m in missing) + f"; the header is {header_en}",
                "缺少列:" + "、".join(self.layout.columns[m][0] for m in missing) +
                f";表头应为 {header_zh}。")
        if self.read.issues:
            return
        for i in range(at + 1, len(cells)):
            values = {f: (cells[i][c] if c < len(cells[i]) else None) for f, c in columns.items()}
            if any(_text(v) for v in values.values()):
                self.rows.append((i + 1, values))
        if not self.rows:
            self.error(None, "no rows under the header", "表头下面没有数据。")

    def column(self, name: str) -> tuple[str, str]:
        return self.layout.columns[name]

    def code(self, row: int, values: dict, name: str) -> str:
        """A vocabulary cell as its code, or '' after saying what it may be."""
        text = _text(values.get(name))
        code = text if text in _VOCABULARY[name] else _WORDS[name].get(normal(text))
        if code is None:
            zh, en = self.column(name)
            table = _VOCABULARY[name]
            self.error(row, f"{en} '{text}' is not one of {', '.join(table)} "
                       f"({', '.join(v['zh'] for v in table.values())}); write one of them",
                       f"{zh}“{text}”应为 {'、'.join(v['zh'] for v in table.values())} 之一。", zh)
            return ""
        return code

    def region(self, row: int, values: dict, required: bool = True) -> tuple[str, ...]:
        text = _text(values.get("region"))
        parts = tuple(p.strip() for p in re.split(r"[/／]", text) if p.strip())
        problem = fields.region_problem(parts, required)
        if problem:
            self.error(row, f"{problem[0]}; write it as 江北市/清河县",
                       f"{problem[1]}写法如:江北市/清河县。", self.column("region")[0])
        return parts

    def day(self, row: int, values: dict, name: str) -> dt.date | None:
        value = values.get(name)
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = _text(value)
        if not text:
            return None
        m = _DAY.match(text)
        try:
            if m is None:
                raise ValueError(text)
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            zh, en = self.column(name)
            self.error(row, f"{en} '{text}' is not a date; write it as 2026-01-05",
                       f"{zh}“{text}”不是有效日期;请写成 2026-01-05 的格式。", zh)
            return None

    def problems(self, row: int, problems, reported: int) -> None:
        """The record's own check (the store's), unless the row's cells were wrong already:
        a vocabulary word not understood would only be said twice."""
        if len(self.read.issues) == reported:
            for en, zh in problems:
                self.error(row, en, zh)

    def done(self, entries: list) -> Read:
        self.read.issues.sort(key=lambda i: (i.row is None, i.row or 0))
        if not self.read.issues:
            self.read.entries = entries
        return self.read


def read_bodies(data: bytes, name: str, registry: Registry) -> Read:
    """Bodies: a row with an id, or with the names of a body already in its region, changes
    that body (a new version from 生效日期, else today); any other row adds a body."""
    rows = _Rows(data, name, BODIES)
    entries, seen = [], {}
    for row, values in rows.rows:
        before = len(rows.read.issues)
        entry = BodyEntry(_text(values.get("body_id")), rows.region(row, values),
                          _text(values.get("short_name")), _text(values.get("full_name")),
                          rows.code(row, values, "kind"), rows.day(row, values, "valid_from"))
        rows.problems(row, body_problems(entry), before)
        if not entry.body_id:
            entry = _matched(rows, row, entry, registry)
        if entry.body_id and entry.body_id in registry and \
                registry[entry.body_id].current.merged_into:
            rows.error(row, f"body {entry.body_id} was merged into "
                       f"{registry[entry.body_id].current.merged_into}; change that body instead",
                       f"单位 {entry.body_id} 已并入 {registry[entry.body_id].current.merged_into},"
                       "请修改后者。")
        keys = [k for k in (entry.body_id, "/".join(entry.region) + "|" + normal(entry.short_name))
                if k]
        again = next((seen[k] for k in keys if k in seen), None)
        if again:
            rows.error(row, f"this body is already on row {again}; keep one row per body",
                       f"该单位已在第 {again} 行出现;每个单位只写一行。")
        for k in keys:
            seen.setdefault(k, row)
        entries.append(entry)
        if entry.body_id in registry:
            rows.read.changed.add(entry.body_id)
    return rows.done(entries)


def _matched(rows: _Rows, row: int, entry: BodyEntry, registry: Registry) -> BodyEntry:
    """A row without an id is the current body of its region with one of its names; a former
    name is refused (importing an old register must not rename a body back)."""
    for body_id in dict.fromkeys(registry.named(entry.short_name, entry.region)
                                 + registry.named(entry.full_name, entry.region)):
        now = registry[body_id].current
        if now.region != entry.region or now.merged_into:
            continue
        if {normal(entry.short_name), normal(entry.full_name)} & {
                normal(now.short_name), normal(now.full_name)}:
            return dataclasses.replace(entry, body_id=body_id)
        rows.error(row, f"'{entry.short_name}' is a former name of {now.short_name} ({body_id}, "
                   f"since {now.valid_from}); write its current name, or its id to rename it",
                   f"“{entry.short_name}”是 {now.short_name}({body_id})自 {now.valid_from} "
                   "起之前的名称;请填写现名称,如要改名请填写编号。")
    return entry


def read_plans(data: bytes, name: str, registry: Registry, point_ids: set[str],
               filed: list[PlanVersion], today: dt.date | None = None) -> Read:
    """Plan items: 单位 is a body's id or any of its names (past ones too) in the item's area;
    a row with an item number changes that item (a change after filing, in force from the
    import); a row equal to a filed item is left as it is."""
    rows = _Rows(data, name, PLANS)
    entries, seen = [], {}
    current = {v.item_id: v for v in filed}
    for row, values in rows.rows:
        before = len(rows.read.issues)
        region = rows.region(row, values, required=False)
        region_said = len(rows.read.issues) > before
        points = tuple(p for p in re.split(r"[,,、;;\s]+", _text(values.get("points"))) if p)
        body_text = _text(values.get("body"))
        body = body_text if body_text in registry else registry.resolve(body_text, region)
        if body is None:
            several = len({registry.canonical(b) for b in registry.named(body_text, region)}) > 1
            rows.error(row, (f"several bodies are called '{body_text}' here; write the body's id "
                             "instead (see the registry)") if several else
                       (f"body '{body_text}' is not in the registry; add it on the bodies page "
                        "first, or write its id or its name as registered"),
                       (f"“{body_text}”对应多个单位;请改填单位编号(见上级部门名录)。") if several else
                       (f"上级部门名录中没有“{body_text}”;请先在名录中添加,或填写名录中的编号或名称。"),
                       rows.column("body")[0])
        unknown = [p for p in points if p not in point_ids]
        if unknown:
            rows.error(row, f"no monitoring point {', '.join(unknown)}; write point ids as on "
                       "the points page", f"没有监测点 {'、'.join(unknown)};请填写监测点页面上的编号。",
                       rows.column("points")[0])
        entry = PlanEntry(body or "", rows.code(row, values, "activity"),
                          _text(values.get("subject")), _month(values.get("month")), region,
                          points, rows.day(row, values, "filed_on"),
                          _text(values.get("item_id")))
        # the store's check too, for what the cells above did not already say
        checked = dataclasses.replace(entry, activity=entry.activity or "inspection",
                                      scope_region=("-",) if region_said else region)
        rows.problems(row, plan_problems(checked, today), len(rows.read.issues))
        if entry.item_id and entry.item_id not in current:
            rows.error(row, f"there is no plan item '{entry.item_id}'; leave the number empty "
                       "for a new item", f"没有编号为“{entry.item_id}”的计划事项;新事项请不填编号。",
                       rows.column("item_id")[0])
        key = entry.item_id or (body, entry.activity, normal(entry.subject), entry.month,
                                region, points)
        if key in seen:
            rows.error(row, f"the same item is already on row {seen[key]}; keep one row",
                       f"该事项已在第 {seen[key]} 行出现,请只保留一行。")
        seen.setdefault(key, row)
        entries.append(entry)
        if entry.item_id:
            rows.read.changed.add(entry.item_id)
    return rows.done(entries)


def _month(value) -> str:
    """A month cell as 2026-05 (Excel turns a typed 2026-05 into a date); else its text, which
    the plan's check then refuses with what to write."""
    if isinstance(value, (dt.date, dt.datetime)):
        return f"{value.year}-{value.month:02d}"
    text = _text(value)
    m = _MONTH.match(text)
    return f"{m[1]}-{int(m[2]):02d}" if m and 1 <= int(m[2]) <= 12 else text


def read_duties(data: bytes, name: str) -> Read:
    """Duty items; the import replaces the list of each region the file names."""
    rows = _Rows(data, name, DUTIES)
    entries, seen = [], {}
    for row, values in rows.rows:
        before = len(rows.read.issues)
        item = DutyItem(rows.region(row, values), rows.code(row, values, "level"),
                        _text(values.get("task")), rows.code(row, values, "role"),
                        _text(values.get("basis")))
        rows.problems(row, item_problems(item), before)
        key = (item.region, item.level, normal(item.task))
        if key in seen:
            rows.error(row, f"this task is already on row {seen[key]} for the same region and "
                       "level; keep one row", f"同一地区、层级的该事项已在第 {seen[key]} 行出现,请只保留一行。")
        seen.setdefault(key, row)
        entries.append(item)
    return rows.done(entries)


# -- out -------------------------------------------------------------------------------------------
def bodies_frame(entries: list[BodyEntry], lang: str) -> pd.DataFrame:
    """Bodies as the import reads them back (the registry's: `bodies.entry_of` each current
    version)."""
    rows = [(e.body_id, "/".join(e.region), e.short_name, e.full_name,
             BODY_KINDS[e.kind]["zh"] if lang == "zh" else e.kind, e.valid_from)
            for e in entries]
    return pd.DataFrame(rows, columns=BODIES.header(lang))


def plans_frame(items: list[PlanVersion], registry: Registry, lang: str) -> pd.DataFrame:
    """Plan items (their current versions) as the import reads them back."""
    def name(body_id):
        return registry[body_id].current.short_name if body_id in registry else body_id
    rows = [(v.item_id, name(v.body_id),
             ACTIVITIES[v.activity]["zh"] if lang == "zh" else v.activity, v.subject, v.month,
             "/".join(v.scope_region), "、".join(v.scope_points), v.effective_at.date()
             if v.revision == 1 else None) for v in items if not v.withdrawn]
    return pd.DataFrame(rows, columns=PLANS.header(lang))


def duties_frame(items: list[DutyItem], lang: str) -> pd.DataFrame:
    rows = [("/".join(i.region), DUTY_LEVELS[i.level][lang], i.task, DUTY_ROLES[i.role][lang],
             i.basis) for i in items]
    return pd.DataFrame(rows, columns=DUTIES.header(lang))


_EXAMPLES = {
    "bodies": [("", "江北市/清河县", "县教育局", "清河县教育局", "部门", "")],
    "plans": [("", "县教育局", "督查", "义务教育“双减”工作督查", "2027-04", "江北市/清河县", "", "2027-01-10")],
    "duties": [("江北市/清河县", "镇街", "农村人居环境整治", "法定职责", "《清河县镇街履职事项清单》")],
}


def template(kind: str, fmt: str, lang: str) -> bytes:
    """An empty register with one example row, in the page's language."""
    layout = {"bodies": BODIES, "plans": PLANS, "duties": DUTIES}[kind]
    frame = pd.DataFrame(_EXAMPLES[kind], columns=layout.header("zh"))
    frame.columns = layout.header(lang)
    return (safe_files.csv_bytes(frame) if fmt == "csv"
            else safe_files.xlsx_bytes({kind: frame}))
