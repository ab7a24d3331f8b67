"""Admin: the upper-level bodies (上级部门/单位) that send documents, meetings, forms and
inspections down: list with history, add, rename, merge, import/export (docs/sources.md)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from survey import domain, fields
from survey.errors import message
from survey.interop import sources_file
from survey.store import StoreError
from survey.store import bodies as body_store
from ui import place, registers
from ui.auth import require
from ui.context import escape, lang, startup, t, tr

viewer = require("admin_bodies")
store = startup().store
actor = viewer.username
st.title(t("nav_admin_bodies"))
st.caption(tr("负担从哪里来:发文、开会、要表、督检考的上级部门和单位。更名或合并后编号不变,历史保留;"
              "干部填报和督检考计划都按编号对应到单位。",
              "Where the burden comes from: the bodies that send documents, meetings, forms and "
              "inspections down. A rename or a merge keeps the body's id and its history; "
              "cadres' reports and filed plans are matched to bodies by id."))
registry = body_store.registry(store)
current = {b.body_id: b for b in registry.current()}


def kind_label(code: str) -> str:
    return domain.label(domain.BODY_KINDS, code, lang())


def body_label(body_id: str) -> str:
    v = registry[body_id].current
    return f"{v.short_name} · {'/'.join(v.region)} · {body_id}"


def versions_frame() -> pd.DataFrame:
    rows = []
    for body in sorted(registry.bodies.values(), key=lambda b: b.body_id):
        following = [v.valid_from for v in body.versions[1:]] + [None]
        for v, until in zip(body.versions, following):
            rows.append((v.body_id, v.short_name, v.full_name, kind_label(v.kind),
                         "/".join(v.region), v.valid_from, until,
                         body_label(v.merged_into) if v.merged_into in registry else ""))
    return pd.DataFrame(rows, columns=[
        tr("编号", "ID"), tr("简称", "Short name"), tr("全称", "Full name"), tr("类型", "Kind"),
        tr("地区", "Region"), tr("生效日期", "From"), tr("截止日期", "Until"),
        tr("并入", "Merged into")])


tab_list, tab_edit, tab_merge, tab_import = place.tabs("admin_bodies_tab", [
    tr("列表", "List"), tr("新增/更名", "Add / rename"), tr("合并", "Merge"),
    tr("导入导出", "Import / export")])

with tab_list:
    if not current:
        st.info(tr("还没有上级部门。在“新增/更名”中添加,或在“导入导出”中导入名录。",
                   "No bodies yet. Add one under Add / rename, or import a register."))
    else:
        st.dataframe(pd.DataFrame(
            [(b.body_id, b.current.short_name, b.current.full_name, kind_label(b.current.kind),
              "/".join(b.current.region), b.current.valid_from) for b in current.values()],
            columns=[tr("编号", "ID"), tr("简称", "Short name"), tr("全称", "Full name"),
                     tr("类型", "Kind"), tr("地区", "Region"), tr("生效日期", "From")]),
            hide_index=True, width="stretch")
        with st.expander(tr("历史版本(含更名、合并)", "History (renames and merges)")):
            st.dataframe(versions_frame(), hide_index=True, width="stretch", placeholder="—")

with tab_edit:
    new_body = tr("+ 新增单位", "+ New body")
    choice = st.selectbox(tr("选择单位(或新增)", "Body (or a new one)"), ["", *current],
                          format_func=lambda b: body_label(b) if b else new_body,
                          key="body_choice")
    now = current[choice].current if choice else None
    with st.form(f"body_form_{choice}"):
        short = st.text_input(tr("简称", "Short name"), value=now.short_name if now else "",
                              max_chars=fields.BODY_SHORT.limit)
        full = st.text_input(tr("全称", "Full name"), value=now.full_name if now else "",
                             max_chars=fields.BODY_FULL.limit)
        kinds = list(domain.BODY_KINDS)
        kind = st.selectbox(tr("类型", "Kind"), kinds,
                            format_func={k: kind_label(k) for k in kinds}.get,
                            index=kinds.index(now.kind) if now else 2)
        region = st.text_input(tr("所属地区(市/县/乡镇,用 / 分隔)", "Region (prefecture/county/township)"),
                               value="/".join(now.region) if now else "",
                               max_chars=fields.REGION.limit)
        since = st.date_input(tr("生效日期(更名从哪天起)", "In effect from (a rename's day)"),
                              value=dt.date.today(), format="YYYY-MM-DD")
        if st.form_submit_button(tr("保存", "Save"), type="primary"):
            entry = body_store.BodyEntry(choice, registers.region_text(region), short.strip(),
                                         full.strip(), kind, since)
            try:
                added, changed = body_store.save_bodies(store, [entry], actor)
                place.keep("body_saved", tr("已保存。", "Saved.") if added or changed else
                           tr("没有改动。", "Nothing changed."), rerun=True)
            except StoreError as exc:
                st.error(escape(message(exc, lang())))
    place.success("body_saved")
    st.caption(tr("更名:选择单位,改简称和全称,填写更名生效的日期。之前的名称保留在历史中,按旧名称填写的"
                  "计划和报告仍对应这个单位。",
                  "To rename: choose the body, change its names and give the day the new name "
                  "applies. The old names stay in its history; plans and reports that use them "
                  "still mean this body."))

with tab_merge:
    if len(current) < 2:
        st.info(tr("至少要有两个单位才能合并。", "Merging needs at least two bodies."))
    else:
        with st.form("body_merge"):
            source = st.selectbox(tr("被并入的单位", "Body that is merged"), list(current),
                                  format_func=body_label)
            target = st.selectbox(tr("并入到", "Merged into"), list(current),
                                  format_func=body_label, index=1)
            on = st.date_input(tr("合并日期", "Merged on"), value=dt.date.today(),
                               format="YYYY-MM-DD")
            if st.form_submit_button(tr("合并", "Merge"), type="primary"):
                try:
                    body_store.merge(store, source, target, on, actor)
                    place.keep("body_merged", tr("已合并。原单位的历史保留,它的计划和被报告的督检考计入合并后的单位。",
                                                 "Merged. Its history stays; its plans and "
                                                 "reported inspections count for the body it "
                                                 "was merged into."), rerun=True)
                except StoreError as exc:
                    st.error(escape(message(exc, lang())))
    place.success("body_merged")

with tab_import:
    st.caption(tr("表头:", "Header: ") + "、".join(sources_file.BODIES.header(lang())) +
               tr("。编号可空:按同一地区的名称对应已有单位,没有则新增。先预览,确认无误后才写入。",
                  ". The ID may be empty: a row then matches a body of the same region by name, "
                  "or adds one. Nothing is written until you confirm the preview."))
    got = registers.upload("bodies_upload", "bodies", tr("上级部门名录(CSV 或 Excel)",
                                                         "Register of bodies (CSV or Excel)"))
    if got is not None:
        read = sources_file.read_bodies(*got, registry)
        new = len(read.entries) - len(read.changed)
        registers.preview(
            "bodies_upload", read,
            tr(f"文件中 {len(read.entries)} 个单位:{new} 个新单位,{len(read.changed)} 个已有"
               "(有改动的记为新版本)。",
               f"{len(read.entries)} bodies in the file: {new} new, {len(read.changed)} "
               "already registered (a change is recorded as a new version)."),
            sources_file.bodies_frame(read.entries, lang()),
            lambda: tr("已新增 {} 个,更新 {} 个。", "Added {}, changed {}.").format(
                *body_store.save_bodies(store, read.entries, actor)))
    place.success("bodies_upload_imported")
    registers.downloads(sources_file.bodies_frame(
        [body_store.entry_of(b.current) for b in current.values()], lang()), "bodies",
        "export_bodies")
