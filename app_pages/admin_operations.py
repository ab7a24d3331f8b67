"""Admins: operations. The backups the app makes of itself (schedule, retention, the backups in
the folder, the last error) and a button to back up now (docs/operations.md)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from survey import backup
from survey.errors import message
from survey.store import settings
from ui.auth import require
from ui.context import lang, startup, tr

viewer = require("admin_operations")
services = startup()
store, config, scheduler = services.store, services.config, services.backups
st.title(tr("运维", "Operations"))
st.subheader(tr("备份", "Backups"))
st.caption(tr("每份备份是一个加密文件,包含整个数据库和编码密钥;用备份口令才能恢复。"
              "请把备份复制到另一台机器,口令另行保管。说明见《运维》文档(`docs/operations.md`)。",
              "Each backup is one encrypted file with the whole database and the code key; it "
              "restores only with the backup passphrase. Copy the backups to another machine "
              "and keep the passphrase apart. See `docs/operations.md`."))


def when(moment: dt.datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else "—"


def schedule_state() -> bool:
    """What the schedule does; True while a backup is being made."""
    keep = "{} / {} / {}".format(*config.backup_keep)
    if scheduler is None or scheduler.problem is not None:
        problem = scheduler.problem if scheduler is not None else None
        st.warning(tr("自动备份未运行。", "Scheduled backups are not running. ")
                   + (message(problem, lang()) if problem else "")
                   + tr(f"设置后重启应用;备份将写入 `{config.backups}`(`SURVEY_BACKUP_DIR`)。",
                        f" Restart the app after setting it; backups will go to "
                        f"`{config.backups}` (`SURVEY_BACKUP_DIR`)."),
                   icon=":material/warning:")
        return False
    now = scheduler.clock()
    st.info(tr(f"每天 {config.backup_time:%H:%M} 自动备份到 `{config.backups}`,保留最近 {keep}"
               f"(日 / 周 / 月)份。下次:{when(scheduler.next_run(now))}。",
               f"Backed up every day at {config.backup_time:%H:%M} into `{config.backups}`, "
               f"keeping the last {keep} (daily / weekly / monthly). Next: "
               f"{when(scheduler.next_run(now))}."), icon=":material/schedule:")
    if backup.same_disk(config.backups, config.db_path):
        st.warning(tr("备份文件夹与数据库在同一块磁盘上:磁盘损坏时会一起丢失。请定期把备份复制到另一台机器"
                      "(或把 `SURVEY_BACKUP_DIR` 设为另一台机器的共享文件夹)。",
                      "The backup folder is on the database's disk: a failed disk loses both. "
                      "Copy the backups to another machine regularly (or set `SURVEY_BACKUP_DIR` "
                      "to a folder shared from another machine)."), icon=":material/warning:")
    if scheduler.last_error:
        en, zh = scheduler.last_error
        st.error(tr(f"上次备份失败({when(scheduler.last_error_at)}):{zh}",
                    f"The last backup failed ({when(scheduler.last_error_at)}): {en}"),
                 icon=":material/error:")
    busy = scheduler.busy or scheduler.requested_by is not None
    if busy:
        st.info(tr("正在备份……", "Backing up..."), icon=":material/hourglass_top:")
    return busy


@st.fragment(run_every=2 if scheduler is not None and
             (scheduler.busy or scheduler.requested_by) else None)
def backups_now() -> None:
    busy = schedule_state()
    if scheduler is not None and not busy and st.session_state.pop("backup_asked", False):
        st.rerun()  # done: the whole page again, without the timer
    last = settings.setting(store, backup.LAST_BACKUP_AT)
    last = when(dt.datetime.fromisoformat(last)) if last else tr("尚无", "none yet")
    st.markdown(tr(f"最近一次备份(任何服务器或命令行):**{last}**",
                   f"Last backup (any server or the command line): **{last}**"))
    if st.button(tr("立即备份", "Back up now"), type="primary", icon=":material/backup:",
                 disabled=scheduler is None or scheduler.problem is not None or busy):
        scheduler.request(viewer.username)
        st.session_state["backup_asked"] = True
        st.rerun()
    rows = [{tr("时间", "Time"): when(b.created_at), tr("大小", "Size"): f"{b.bytes / 1e6:,.1f} MB",
             tr("结构版本", "Schema"): b.schema if b.schema is not None else "—",
             tr("数据库", "Engine"): b.engine or "—", tr("文件", "File"): b.path.name,
             tr("问题", "Problem"): message(b.problem, lang()) if b.problem else ""}
            for b in backup.list_backups(config.backups)]
    if rows:   # a table, not a canvas grid: its cells wrap and it scrolls sideways at 375 px
        st.table(rows, hide_index=True, border="horizontal")
    else:
        st.caption(tr(f"`{config.backups}` 中还没有备份。", f"No backups in `{config.backups}` yet."))


backups_now()
st.caption(tr("从命令行:`python -m survey backup 目标` / `python -m survey restore 备份文件`(恢复到空数据库)。"
              + ("PostgreSQL 上命令行可在应用运行时备份。" if store.dialect == "postgres" else
                 "内嵌数据库由运行中的应用占用,命令行备份需先停止应用,或使用上面的按钮。"),
              "From the command line: `python -m survey backup DEST` / `python -m survey restore "
              "FILE` (into an empty database). "
              + ("On PostgreSQL the command line backs up while the app runs." if
                 store.dialect == "postgres" else "The running app holds the embedded database: "
                 "back up from the command line after stopping the app, or use the button above.")))
