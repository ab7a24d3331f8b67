"""Admin: the filed plans of inspections, checks, assessments and research visits (督检考计划
备案): import the office's register, list by body and month, file or change an item (a change
after filing is kept with who, when and why), withdraw one (docs/sources.md)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from survey import domain, fields
from survey.errors import message
from survey.interop import sources_file
from survey.store import StoreError
from survey.store import bodies as body_store
from survey.store import plans as plan_store
from ui import place, registers
from ui.auth import require
from ui.context import escape, lang, startup, t, tr

viewer = require("admin_plans")
store = startup().store
actor = viewer.username
st.title(t("nav_admin_plans"))
st.caption(tr("各单位年初备案的督查、检查、考核、调研计划。备案后的每次变更都记下变更人、时间和原因;"
              "某月的督检考只有在该月开始前已备案(或已变更)才算计划内。",
              "Each body's plan of inspections, checks, assessments and research visits, filed at "
              "the start of the year. Every change after filing is kept with who, when and why; "
              "an inspection counts as planned for a month only if it was filed (or changed) "
              "before that month began."))
registry = body_store.registry(store)
today = dt.date.today()
years = sorted(set(plan_store.years(store)) | set(range(today.year - 2, today.year + 2)))
year = st.selectbox(tr("年度", "Year"), years, index=years.index(today.year), key="plan_year")
items = {v.item_id: v for v in plan_store.current(store, year)}
months = [f"{year}-{m:02d}" for m in range(1, 13)]


def activity_label(code: str) -> str:
    return domain.label(domain.ACTIVITIES, code, lang())


def body_name(body_id: str) -> str:
    return registry[body_id].current.short_name if body_id in registry else body_id


def scope_text(v) -> str:
    return "、".join(v.scope_points) if v.scope_points else "/".join(v.scope_region)


def item_label(item_id: str) -> str:
    v = items[item_id]
    return f"{item_id} · {body_name(v.body_id)} · {v.month} · {v.subject}"


tab_list, tab_edit, tab_import = place.tabs("admin_plans_tab", [
    tr("列表", "List"), tr("备案/变更", "File / change"), tr("导入导出", "Import / export")])

with tab_list:
    left, right = st.columns(2)
    by_body = left.multiselect(tr("单位", "Body"), sorted({v.body_id for v in items.values()}),
                               format_func=body_name, key="plan_filter_body")
    by_month = right.multiselect(tr("月份", "Month"), months, key="plan_filter_month")
    shown = [v for v in items.values() if (not by_body or v.body_id in by_body)
             and (not by_month or v.month in by_month)]
    if not shown:
        st.info(tr(f"{year} 年没有符合条件的计划事项。", f"No plan items for {year} match."))
    else:
        first = {i: plan_store.history(store, i)[0].effective_at for i in
                 {v.item_id for v in shown if v.revision > 1}}
        st.dataframe(pd.DataFrame(
            [(v.item_id, body_name(v.body_id), activity_label(v.activity), v.subject, v.month,
              scope_text(v), first.get(v.item_id, v.effective_at), v.revision,
              tr("已撤销", "withdrawn") if v.withdrawn else tr("在计划中", "planned"))
             for v in sorted(shown, key=lambda v: (v.month, v.item_id))],
            columns=[tr("编号", "ID"), tr("单位", "Body"), tr("类型", "Kind"),
                     tr("事项", "Subject"), tr("月份", "Month"), tr("范围", "Scope"),
                     tr("备案时间", "Filed at"), tr("版本", "Version"), tr("状态", "Status")]),
            hide_index=True, width="stretch")
    with st.expander(tr("某事项的变更记录", "Changes of one item")):
        if items:
            pick = st.selectbox(tr("事项", "Item"), list(items), format_func=item_label,
                                key="plan_history_item")
            st.dataframe(pd.DataFrame(
                [(v.revision, v.recorded_at, v.recorded_by, v.effective_at,
                  body_name(v.body_id), activity_label(v.activity), v.subject, v.month,
                  scope_text(v), tr("是", "yes") if v.withdrawn else "", v.note)
                 for v in plan_store.history(store, pick)],
                columns=[tr("版本", "Version"), tr("记录时间", "Recorded at"),
                         tr("记录人", "By"), tr("自何时起算备案", "Counts from"),
                         tr("单位", "Body"), tr("类型", "Kind"), tr("事项", "Subject"),
                         tr("月份", "Month"), tr("范围", "Scope"), tr("撤销", "Withdrawn"),
                         tr("变更原因", "Reason")]),
                hide_index=True, width="stretch", placeholder="—")

with tab_edit:
    bodies_now = [b.body_id for b in registry.current()]
    if not bodies_now:
        st.info(tr("请先在“上级部门”页添加单位。", "Add the bodies on the Upper-level bodies page first."))
    else:
        new_item = tr("+ 新备案事项", "+ File a new item")
        choice = st.selectbox(tr("选择事项(或新备案)", "Item (or file a new one)"),
                              ["", *items], key="plan_choice",
                              format_func=lambda i: item_label(i) if i else new_item)
        old = items.get(choice)
        with st.form(f"plan_form_{choice}"):
            body = st.selectbox(tr("单位", "Body"), bodies_now, format_func=body_name,
                                index=bodies_now.index(old.body_id)
                                if old and old.body_id in bodies_now else 0)
            kinds = list(domain.ACTIVITIES)
            activity = st.selectbox(tr("类型", "Kind"), kinds,
                                    format_func={k: activity_label(k) for k in kinds}.get,
                                    index=kinds.index(old.activity) if old else 0)
            subject = st.text_input(tr("事项", "Subject"), value=old.subject if old else "",
                                    max_chars=fields.PLAN_SUBJECT.limit)
            month = st.selectbox(tr("月份", "Month"), months,
                                 index=months.index(old.month) if old and old.month in months
                                 else 0)
            area = st.text_input(tr("地区(市/县/乡镇,用 / 分隔)", "Area (prefecture/county/township)"),
                                 value="/".join(old.scope_region) if old else "",
                                 max_chars=fields.REGION.limit)
            points = st.multiselect(tr("或仅这些监测点", "Or only these points"),
                                    [p.point_id for p in store.points()],
                                    default=list(old.scope_points) if old else [])
            filed_on = None if old else st.date_input(
                tr("备案日期", "Filed on"), value=today, max_value=today, format="YYYY-MM-DD")
            note = st.text_input(tr("变更原因", "Reason for the change"),
                                 max_chars=fields.PLAN_NOTE.limit) if old else ""
            if st.form_submit_button(tr("保存", "Save"), type="primary"):
                try:
                    if old:
                        plan_store.change_item(store, old.item_id, actor, note, body_id=body,
                                               activity=activity, subject=subject.strip(),
                                               month=month,
                                               scope_region=registers.region_text(area),
                                               scope_points=tuple(points))
                    else:
                        plan_store.file_items(store, [plan_store.PlanEntry(
                            body, activity, subject.strip(), month, registers.region_text(area),
                            tuple(points), filed_on)], actor)
                    place.keep("plan_saved", tr("已保存。", "Saved."), rerun=True)
                except StoreError as exc:
                    st.error(escape(message(exc, lang())))
        if old and not old.withdrawn:
            with st.form(f"plan_withdraw_{choice}"):
                why = st.text_input(tr("撤销原因", "Why it is withdrawn"),
                                    max_chars=fields.PLAN_NOTE.limit)
                if st.form_submit_button(tr("撤销该事项", "Withdraw this item")):
                    try:
                        plan_store.withdraw(store, old.item_id, actor, why)
                        place.keep("plan_saved", tr("已撤销。", "Withdrawn."), rerun=True)
                    except StoreError as exc:
                        st.error(escape(message(exc, lang())))
    place.success("plan_saved")

with tab_import:
    st.caption(tr("表头:", "Header: ") + "、".join(sources_file.PLANS.header(lang())) +
               tr("。单位填名录中的编号或名称(旧名称也可以);地区或监测点至少填一项;备案日期为实际备案的日子。"
                  "填了编号的行记为对该事项的变更(自导入时起算)。先预览,确认无误后才写入。",
                  ". Body: its id or a name in the register (old names too); give an area or "
                  "points; the filing day is the day it was really filed. A row with an item "
                  "number is recorded as a change of that item (in force from the import). "
                  "Nothing is written until you confirm the preview."))
    got = registers.upload("plans_upload", "plans", tr("督检考计划(CSV 或 Excel)",
                                                       "Plan register (CSV or Excel)"))
    if got is not None:
        read = sources_file.read_plans(*got, registry, {p.point_id for p in store.points()},
                                       plan_store.current(store))
        registers.preview(
            "plans_upload", read,
            tr(f"文件中 {len(read.entries)} 个事项,其中 {len(read.changed)} 个是对已备案事项的变更。",
               f"{len(read.entries)} items in the file, {len(read.changed)} of them changes "
               "of filed items."),
            pd.DataFrame([(e.item_id, body_name(e.body_id), activity_label(e.activity), e.subject,
                           e.month, "、".join(e.scope_points) or "/".join(e.scope_region),
                           e.filed_on) for e in read.entries],
                         columns=[tr("编号", "ID"), tr("单位", "Body"), tr("类型", "Kind"),
                                  tr("事项", "Subject"), tr("月份", "Month"),
                                  tr("范围", "Scope"), tr("备案日期", "Filed on")]),
            lambda: tr("已备案 {} 项,变更 {} 项。", "Filed {}, changed {}.").format(
                *plan_store.file_items(store, read.entries, actor)))
    place.success("plans_upload_imported")
    registers.downloads(sources_file.plans_frame(list(items.values()), registry, lang()),
                        f"plan_{year}", "export_plan")
