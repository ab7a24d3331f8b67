"""Admin: monitoring points (list, add, edit, deactivate, import/export), respondent codes
(issue with a printable QR sheet, revoke, replace), demo data."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from survey import code_sheet, domain, fields, points_io, safe_files
from survey.errors import message
from survey.store import CodeError, Point, StoreError, settings
from ui import place
from ui.auth import audit, require
from ui.context import escape, lang, startup, tr

viewer = require("admin_points")
app = startup()
store = app.store
actor = viewer.username
st.title(tr("监测点与填报码", "Points and codes"))
points = store.points()
by_id = {p.point_id: p for p in points}


def kind_label(code: str) -> str:
    return domain.label(domain.POINT_KINDS, code, lang())


def level_label(code: str) -> str:
    return domain.label(domain.LEVELS, code, lang())


def point_label(pid: str) -> str:
    p = by_id[pid]
    # the ID too: two points may share a name and a region (codes must go to the right one)
    return f"{p.name} · {'/'.join(p.region)} · {p.point_id}" + (
        "" if p.active else tr("(已停用)", " (inactive)"))


tab_list, tab_edit, tab_import, tab_codes, tab_demo = place.tabs("admin_points_tab", [
    tr("列表", "List"), tr("新增/编辑", "Add / edit"), tr("导入导出", "Import / export"),
    tr("填报码", "Codes"), tr("演示数据", "Demo data")])

with tab_list:
    frame = points_io.to_frame(points)
    frame["kind"] = frame["kind"].map(kind_label)
    frame["level"] = frame["level"].map(level_label)
    st.dataframe(frame.rename(columns={
        "point_id": tr("编号", "ID"), "name": tr("名称", "Name"), "level": tr("层级", "Level"),
        "kind": tr("类型", "Kind"), "prefecture": tr("市", "Prefecture"),
        "county": tr("县/区", "County"), "township": tr("乡镇/街道", "Township"),
        "active": tr("在监测中", "Active")}), hide_index=True, width="stretch", placeholder="—")

with tab_edit:
    choice = st.selectbox(tr("选择监测点(或新增)", "Point (or a new one)"), ["", *by_id],
                          format_func=lambda pid: tr("+ 新增监测点", "+ New point") if not pid
                          else point_label(pid))
    current = by_id.get(choice)
    with st.form("point_form"):
        pid = st.text_input(tr("编号", "ID"), value=current.point_id if current else "",
                            disabled=current is not None, max_chars=fields.POINT_ID.limit)
        name = st.text_input(tr("名称", "Name"), value=current.name if current else "",
                             max_chars=fields.POINT_NAME.limit)
        level = st.selectbox(tr("层级", "Level"), list(domain.LEVELS), format_func=level_label,
                             index=list(domain.LEVELS).index(current.level) if current else 4)
        kind = st.selectbox(tr("类型", "Kind"), list(domain.POINT_KINDS), format_func=kind_label,
                            index=list(domain.POINT_KINDS).index(current.kind) if current else 2)
        region = st.text_input(tr("所属地区(市/县/乡镇,用 / 分隔)", "Region (prefecture/county/township)"),
                               value="/".join(current.region) if current else "",
                               max_chars=fields.REGION.limit)
        active = st.checkbox(tr("在监测中", "Active"), value=current.active if current else True)
        if st.form_submit_button(tr("保存", "Save"), type="primary"):
            parts = tuple(x.strip() for x in region.split("/") if x.strip())
            try:  # the store says what is missing or too long (survey/fields.py)
                if current:
                    store.update_point(current.point_id, actor, name=name.strip(), level=level,
                                       kind=kind, region=parts, active=active)
                else:
                    store.upsert_points([Point(pid.strip(), name.strip(), level, kind, parts,
                                               active)], actor)
                place.keep("point_saved", tr("已保存。", "Saved."), rerun=True)
            except StoreError as exc:
                st.error(escape(message(exc, lang())))
    place.success("point_saved")

with tab_import:
    st.caption(tr("表头:", "Header: ") + ", ".join(points_io.COLUMNS) +
               tr("。先预览,确认无误后才写入。", ". Nothing is written until you confirm the preview."))
    # a new uploader after each import: the imported file's preview does not linger
    upload = st.file_uploader(tr("CSV 或 Excel 文件", "CSV or Excel file"), type=["csv", "xlsx"],
                              key=f"points_upload:{st.session_state.get('points_imports', 0)}")
    if upload is not None:
        try:
            table = points_io.read_table(upload.getvalue(), upload.name)
            result = points_io.preview(table, by_id)
        except (ValueError, UnicodeDecodeError) as exc:
            result = None
            st.error(tr("无法读取文件:", "Cannot read the file: ") + escape(message(exc, lang())))
        if result is not None:
            if result.errors:
                st.error(tr("以下行有问题,请修改后重新上传(未写入任何数据):",
                            "These rows need fixing; nothing was written:"))
                st.dataframe(pd.DataFrame([(line, message(problem, lang()))
                                           for line, problem in result.errors],
                                          columns=[tr("行", "Row"), tr("问题", "Problem")]),
                             hide_index=True, width="stretch")
            else:
                same = len(result.unchanged)
                new = len(result.points) - len(result.updates) - same
                st.info(tr(f"将新增 {new} 个、更新 {len(result.updates)} 个监测点"
                           + (f";{same} 个与现有完全相同,不作改动。" if same else "。"),
                           f"{new} new and {len(result.updates)} updated points"
                           + (f"; {same} already exactly as in the file, left as they are."
                              if same else ".")))
                st.dataframe(points_io.to_frame(result.points), hide_index=True,
                             width="stretch")
                if st.button(tr("确认导入", "Import"), type="primary"):
                    try:
                        added, updated = store.upsert_points(result.points, actor)
                    except StoreError as exc:
                        st.error(escape(message(exc, lang())))
                    else:
                        st.session_state["points_imports"] = \
                            st.session_state.get("points_imports", 0) + 1
                        place.keep("points_imported", tr(
                            f"已新增 {added} 个,更新 {updated} 个。",
                            f"Added {added}, updated {updated}."), rerun=True)  # lists too
    place.success("points_imported")
    out = points_io.to_frame(points)
    left, right = st.columns(2)
    left.download_button(tr("导出 CSV", "Export CSV"), safe_files.csv_bytes(out),
                         file_name="points.csv", mime="text/csv",
                         on_click=audit, args=("export_points",), kwargs={"format": "csv"})
    right.download_button(tr("导出 Excel", "Export Excel"), lambda: safe_files.xlsx_bytes({"points": out}),
                          file_name="points.xlsx", on_click=audit, args=("export_points",),
                          kwargs={"format": "xlsx"})

with tab_codes:
    public_url, source = app.public_url()
    if source == "default":
        st.warning(tr(f"尚未设置对外访问地址:打印的二维码会指向 `{public_url}`,群众和干部的手机扫码打不开。"
                      "请在下面填写手机能访问的地址(或在服务器上设置环境变量 SURVEY_PUBLIC_URL)。",
                      f"No public address is set: printed QR codes would open `{public_url}`, "
                      "which phones cannot reach. Give the address below (or set "
                      "SURVEY_PUBLIC_URL on the server)."), icon=":material/warning:")
    if source == "config":
        st.caption(tr(f"二维码地址:{escape(public_url)}(由服务器配置 SURVEY_PUBLIC_URL 设定)",
                      f"QR codes open {escape(public_url)} (set on the server by "
                      "SURVEY_PUBLIC_URL)"))
    else:
        with st.form("public_url", border=False):
            here = getattr(st.context, "url", None) or ""
            here = here.split("?")[0].rsplit("/", 1)[0] if here.count("/") > 2 else here
            here = "" if code_sheet.url_problem(here) else here  # never suggest localhost
            typed = st.text_input(tr("二维码打开的地址", "Address the QR codes open"),
                                  value=public_url if source == "admin" else here,
                                  max_chars=fields.PUBLIC_URL.limit)
            if st.form_submit_button(tr("保存地址", "Save address")):
                try:  # the store refuses an address phones cannot open, and says why
                    settings.save_setting(store, settings.PUBLIC_URL, typed.strip().rstrip("/"),
                                          actor)
                    st.rerun()
                except StoreError as exc:
                    st.error(escape(message(exc, lang())))
    active_ids = [p.point_id for p in points if p.active]
    target = st.selectbox(tr("监测点", "Point"), active_ids, format_func=point_label, key="code_point")
    count = st.number_input(tr("发放数量", "How many codes"), min_value=1,
                            max_value=fields.MAX_CODES, value=10)
    if st.button(tr("生成填报码", "Issue codes"), type="primary"):
        place.keep("issued", (target, store.issue_codes(target, int(count), actor)))
    if issued := place.kept("issued"):
        point_id, issued_codes = issued
        st.warning(tr("填报码只显示这一次(数据库只保存其加密摘要)。请立即打印或下载。",
                      "These codes are shown only now (the database keeps a keyed hash). "
                      "Print or download them now."))
        st.code("\n".join(issued_codes), language=None)
        sheet = code_sheet.render(by_id[point_id].name, issued_codes, public_url)
        st.download_button(tr("下载打印页(含二维码)", "Printable sheet with QR codes"), sheet,
                           file_name=f"codes_{point_id}.html", mime="text/html",
                           on_click=audit, args=("download_code_sheet", point_id))
        place.dismiss_button("issued", tr("已保存,不再显示", "Saved them; hide the codes"))
    public_sheet = code_sheet.render_public(
        by_id[target].name, public_url, target,
        [(q.id, q.title.zh) for q in store.questionnaires_for(by_id[target], "public")])
    st.download_button(tr("下载公开二维码(公开问卷、反映问题)", "Public QR codes (public "
                          "questionnaires, reports)"),
                       public_sheet, file_name=f"public_{target}.html", mime="text/html",
                       on_click=audit, args=("download_public_qr", target))
    st.divider()
    with st.form("revoke"):
        code = st.text_input(tr("要停用的填报码", "Code to revoke"), max_chars=20)
        take_over = st.checkbox(tr("同时发放新码,并继承原码的上期答案和草稿",
                                   "Issue a replacement that takes over its history and drafts"))
        if st.form_submit_button(tr("停用", "Revoke")):
            place.forget("revoked")
            try:
                if take_over:
                    new_code = store.replace_code(code, actor, take_over=True)
                    place.keep("revoked", tr("已停用。新填报码(只显示这一次):",
                                             "Revoked. New code (shown only now): ") + new_code)
                else:
                    store.revoke_code(code, actor)
                    place.keep("revoked", tr("已停用。", "Revoked."))
            except CodeError as exc:
                st.error(escape(message(exc, lang())))
    place.success("revoked")

with tab_demo:
    if store.has_demo():
        st.write(tr("演示数据(名称带“演示”)可随时删除,真实数据不受影响。",
                    "Demo data (names marked 演示) can be removed; real data is untouched."))
        if st.button(tr("删除演示数据", "Remove demo data"), type="primary"):
            counts = store.remove_demo(actor)
            place.keep("demo_removed", escape(", ".join(f"{v} {k}" for k, v in counts.items())),
                       rerun=True)
    else:
        st.info(tr("没有演示数据。", "There is no demo data."))
    place.success("demo_removed")
