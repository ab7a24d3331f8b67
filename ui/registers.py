"""What the three register pages (上级部门, 督检考计划, 职责清单) share: templates, the upload
with a preview that names each wrong row and writes nothing until confirmed, and downloads
written as text (never formulas)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from survey import safe_files
from survey.errors import message
from survey.interop import sources_file
from survey.store import StoreError
from ui import place
from ui.auth import audit
from ui.context import escape, lang, tr


def upload(key: str, kind: str, label: str) -> tuple[bytes, str] | None:
    """Template downloads, then the uploader (a fresh one after each import, so the imported
    file's preview does not linger)."""
    left, right = st.columns(2)
    stem = {"bodies": tr("上级部门名录模板", "bodies_template"),
            "plans": tr("督检考计划模板", "plan_template"),
            "duties": tr("职责清单模板", "duty_list_template")}[kind]
    left.download_button(tr("下载模板(CSV)", "Template (CSV)"),
                         sources_file.template(kind, "csv", lang()), f"{stem}.csv", "text/csv",
                         width="stretch", key=f"{key}_template_csv")
    right.download_button(tr("下载模板(Excel)", "Template (Excel)"),
                          sources_file.template(kind, "xlsx", lang()), f"{stem}.xlsx",
                          width="stretch", key=f"{key}_template_xlsx")
    file = st.file_uploader(label, type=["csv", "xlsx"],
                            key=f"{key}:{st.session_state.get(f'{key}_imports', 0)}")
    return (file.getvalue(), file.name) if file is not None else None


def preview(key: str, read: sources_file.Read, summary: str, frame: pd.DataFrame,
            save: Callable[[], str]) -> None:
    """The file's problems by row, or what it holds and a confirm button that runs `save`
    (which returns the message to show)."""
    if read.issues:
        st.error(tr("以下行有问题,请修改后重新上传(未写入任何数据):",
                    "These rows need fixing; nothing was written:"))
        st.dataframe(pd.DataFrame([(i.row if i.row is not None else "-",
                                    i.zh if lang() == "zh" else i.en) for i in read.issues],
                                  columns=[tr("行", "Row"), tr("问题", "Problem")]),
                     hide_index=True, width="stretch")
        return
    st.info(summary)
    st.dataframe(frame, hide_index=True, width="stretch")
    if st.button(tr("确认导入", "Import"), type="primary", key=f"{key}_confirm"):
        try:
            done = save()
        except StoreError as exc:
            st.error(escape(message(exc, lang())))
        else:
            st.session_state[f"{key}_imports"] = st.session_state.get(f"{key}_imports", 0) + 1
            place.keep(f"{key}_imported", done, rerun=True)


def downloads(frame: pd.DataFrame, stem: str, action: str) -> None:
    left, right = st.columns(2)
    left.download_button(tr("导出 CSV", "Export CSV"), safe_files.csv_bytes(frame),
                         file_name=f"{stem}.csv", mime="text/csv", key=f"{stem}_csv",
                         on_click=audit, args=(action,), kwargs={"format": "csv"})
    right.download_button(tr("导出 Excel", "Export Excel"),
                          lambda: safe_files.xlsx_bytes({stem: frame}), file_name=f"{stem}.xlsx",
                          key=f"{stem}_xlsx", on_click=audit, args=(action,),
                          kwargs={"format": "xlsx"})


def region_text(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.replace("/", "/").split("/") if p.strip())
