"""Admin: the township duty lists (镇街职责清单/白名单): per region, what townships and villages
are responsible for and what they only assist with; imported from the office's list, which
replaces the region's list as a whole (docs/sources.md)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from survey import domain
from survey.interop import sources_file
from survey.store import duties as duty_store
from ui import place, registers
from ui.auth import require
from ui.context import lang, startup, t, tr

viewer = require("admin_duties")
store = startup().store
st.title(t("nav_admin_duties"))
st.caption(tr("各地区乡镇(街道)和村(社区)的法定职责事项和协同配合事项。清单之外压给基层的任务会被标出。",
              "What the townships and villages of each region are responsible for, and what "
              "they only assist with. A task pushed down that is not on the list is flagged."))
items = duty_store.items(store)
tab_list, tab_import = place.tabs("admin_duties_tab", [tr("列表", "List"),
                                                        tr("导入导出", "Import / export")])

with tab_list:
    regions = sorted({"/".join(i.region) for i in items})
    if not regions:
        st.info(tr("还没有职责清单。在“导入导出”中导入。", "No duty list yet. Import one under Import / export."))
    else:
        region = st.selectbox(tr("地区", "Region"), regions, key="duty_region")
        mine = [i for i in items if "/".join(i.region) == region]
        st.dataframe(pd.DataFrame(
            [(domain.label(domain.DUTY_LEVELS, i.level, lang()), i.task,
              domain.label(domain.DUTY_ROLES, i.role, lang()), i.basis) for i in mine],
            columns=[tr("层级", "Level"), tr("事项", "Task"), tr("职责类型", "Role"),
                     tr("依据", "Basis")]), hide_index=True, width="stretch")

with tab_import:
    st.caption(tr("表头:", "Header: ") + "、".join(sources_file.DUTIES.header(lang())) +
               tr("。导入会替换文件中各地区的整份清单,其他地区不变。先预览,确认无误后才写入。",
                  ". An import replaces the whole list of each region in the file; other "
                  "regions keep theirs. Nothing is written until you confirm the preview."))
    got = registers.upload("duties_upload", "duties", tr("职责清单(CSV 或 Excel)",
                                                         "Duty list (CSV or Excel)"))
    if got is not None:
        read = sources_file.read_duties(*got)
        named = sorted({"/".join(i.region) for i in read.entries})
        registers.preview(
            "duties_upload", read,
            tr(f"文件中 {len(read.entries)} 项,将替换 {'、'.join(named)} 的清单。",
               f"{len(read.entries)} tasks in the file; they replace the lists of "
               f"{', '.join(named)}."),
            sources_file.duties_frame(read.entries, lang()),
            lambda: tr("已导入 {} 项。", "Imported {} tasks.").format(
                sum(now for _, now in duty_store.replace_lists(
                    store, read.entries, viewer.username).values())))
    place.success("duties_upload_imported")
    registers.downloads(sources_file.duties_frame(items, lang()), "duty_list", "export_duty_list")
