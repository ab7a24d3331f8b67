"""python -m survey backup / restore / backups: messages in Chinese and English (an operator
at a county may read either), no traceback for what a person can fix."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from pathlib import Path

from survey import backup, restore
from survey.backup_file import BackupError
from survey.cli_messages import fail, say as _say
from survey.errors import DomainError

ACTOR = "cli"


def passphrase(cfg, confirm: bool) -> str:
    """SURVEY_BACKUP_PASSPHRASE (or secrets.toml), else asked on the terminal (twice for a
    new backup: a typo would make it unreadable)."""
    if cfg.backup_passphrase:
        return cfg.backup_passphrase
    if not sys.stdin.isatty():
        raise BackupError("No backup passphrase: set SURVEY_BACKUP_PASSPHRASE, or run the "
                          "command on a terminal to type it.",
                          "没有备份口令:请设置 SURVEY_BACKUP_PASSPHRASE,或在终端中运行以便输入。")
    first = getpass.getpass("备份口令 / Backup passphrase: ")
    if confirm and getpass.getpass("再输入一次 / Once more: ") != first:
        raise BackupError("The two passphrases differ; nothing was written.",
                          "两次输入的口令不一致;未写入任何文件。")
    return first


def _size(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def _app_holds_it(cfg, dest: Path) -> int:
    """The CLI cannot open the DuckDB file while the app runs: say where the app's own
    backups are and how to make one now."""
    newest = next(iter(backup.list_backups(cfg.backups)), None)
    at = cfg.backup_time.strftime("%H:%M")
    found_en = (f" The newest there is {newest.path.name}." if newest else "")
    found_zh = (f"最新的一份是 {newest.path.name}。" if newest else "")
    _say(f"The app is running and holds the database {cfg.db_path} (DuckDB lets one program "
         "open it), so this command cannot read it. The running app makes the backups itself: "
         f"every day at {at} into {cfg.backups} (SURVEY_BACKUP_DIR, with "
         f"SURVEY_BACKUP_PASSPHRASE set for the app).{found_en} To make one now: page "
         "运维 / Operations, 'Back up now' (admin). Copy a backup file from there to "
         f"{dest}. Or stop the app and run this command again.",
         f"应用正在运行并占用数据库 {cfg.db_path}(DuckDB 只允许一个程序打开),本命令无法读取。"
         f"运行中的应用会自己备份:每天 {at} 写入 {cfg.backups}(需为应用设置 SURVEY_BACKUP_DIR "
         f"和 SURVEY_BACKUP_PASSPHRASE)。{found_zh}立即备份:管理员在“运维”页面点“立即备份”。"
         f"再把那里的备份文件复制到 {dest}。或者先停止应用,再运行本命令。", sys.stderr)
    return 2


def make_last_level(folder: Path) -> None:
    """Create a backup folder's last level only: a missing parent is more likely an unmounted
    disk or NAS than a folder to create (the backups would fill the local disk instead)."""
    if folder.is_dir():
        return
    if not folder.parent.is_dir():
        raise BackupError(f"The folder {folder.parent} does not exist (is the disk or network "
                          f"share mounted?): create it, or give another place for the backups. "
                          "Nothing was written.",
                          f"文件夹 {folder.parent} 不存在(磁盘或网络共享是否已挂载?):请先创建,"
                          "或换一个备份位置。未写入任何文件。")
    try:
        folder.mkdir(mode=0o700)
    except OSError as exc:
        raise BackupError(f"Cannot create the folder {folder}: {exc.strerror}.",
                          f"无法创建文件夹 {folder}:{exc.strerror}。") from exc


def cmd_backup(args, cfg) -> int:
    from survey.store import Store, StoreLockedError
    dest = Path(args.dest) if args.dest else cfg.backups
    try:
        if not args.dest or args.dest.endswith(("/", "\\")):  # a folder: made when missing,
            make_last_level(dest)                             # if its parent is there
        phrase = passphrase(cfg, confirm=True)
        try:
            store = Store(cfg.store_target, cfg.code_key)
        except StoreLockedError:
            return _app_holds_it(cfg, dest)
        with store:
            info = backup.make_backup(store, cfg.code_key, dest, phrase, actor=ACTOR)
    except DomainError as exc:
        return fail(exc)
    _say(f"Backed up {info.rows:,} rows (schema {info.schema}, {info.engine}) to {info.path}: "
         f"{_size(info.bytes)} in {info.seconds:.1f} s. Keep it on another machine, and the "
         "passphrase apart from it.",
         f"已备份 {info.rows:,} 行(结构版本 {info.schema},{info.engine})到 {info.path}:"
         f"{_size(info.bytes)},用时 {info.seconds:.1f} 秒。请把它存到另一台机器上,口令另行保管。")
    return 0


def cmd_restore(args, cfg) -> int:
    from survey.store import StoreLockedError
    try:
        phrase = passphrase(cfg, confirm=False)
        if args.print_key:
            with restore.open_backup(Path(args.source), phrase) as reader:
                print(reader.code_key().decode("utf-8", errors="replace"))
            return 0
        report = restore.restore(Path(args.source), phrase, cfg.store_target, cfg.db_path,
                                given_key=cfg.code_key, replace=args.replace, actor=ACTOR)
    except StoreLockedError:
        _say(f"The app is running and holds {cfg.db_path}: stop it, then restore.",
             f"应用正在运行并占用 {cfg.db_path}:请先停止应用,再恢复。", sys.stderr)
        return 2
    except DomainError as exc:
        return fail(exc)
    first, last = report.periods
    made = dt.datetime.fromisoformat(report.created_at).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    _say(f"Restored the backup of {made} ({report.engine}, schema "
         f"{report.schema}) into {report.target}; schema now {report.schema_now}.",
         f"已把 {made} 的备份({report.engine},结构版本 {report.schema})恢复到 "
         f"{report.target};现在的结构版本 {report.schema_now}。")
    _say(f"Periods reported: {first or '-'} to {last or '-'}.",
         f"填报期:{first or '-'} 至 {last or '-'}。")
    print("行数 / rows:")
    for table, rows in sorted(report.rows.items()):
        print(f"  {table:<24} {rows:>12,}")
    for en, zh in report.notes:
        _say(en, zh)
    return 0


def cmd_backups(args, cfg) -> int:
    folder = Path(args.folder) if args.folder else cfg.backups
    if not folder.is_dir():
        _say(f"There is no folder {folder}: check the path (and that the disk or network share "
             "is mounted).", f"文件夹 {folder} 不存在:请检查路径(以及磁盘或网络共享是否已挂载)。",
             sys.stderr)
        return 2
    found = backup.list_backups(folder)
    if not found:
        _say(f"No backups in {folder}.", f"{folder} 中没有备份。")
    for info in found:
        when = info.created_at.astimezone().strftime("%Y-%m-%d %H:%M") if info.created_at else "?"
        detail = info.problem.en if info.problem else f"{info.engine}, schema {info.schema}"
        print(f"{when}  {_size(info.bytes):>12}  {info.path.name}  ({detail})")
    return 0


def add_parsers(sub) -> None:
    p = sub.add_parser("backup", help="back up the whole database and the code key into one "
                       "encrypted file (docs/operations.md)")
    p.add_argument("dest", nargs="?", help="a file, or a folder (ending in /) for a dated file "
                   "(default: SURVEY_BACKUP_DIR, else backups/ beside the database); a missing "
                   "folder is created only if its parent exists")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="restore a backup into an empty database (the DuckDB "
                       "file or SURVEY_DATABASE_URL), with its code key")
    p.add_argument("source", help="the backup file")
    p.add_argument("--replace", action="store_true", help="replace a database that holds data "
                   "(DuckDB: the old file is kept as *.before-restore-TIME)")
    p.add_argument("--print-key", action="store_true", help="only print the backup's code key "
                   "(to set SURVEY_CODE_KEY), restore nothing")
    p.set_defaults(func=cmd_restore, need_key=False)
    p = sub.add_parser("backups", help="list the backups in a folder (time, size, schema)")
    p.add_argument("folder", nargs="?", help="default: SURVEY_BACKUP_DIR")
    p.set_defaults(func=cmd_backups, need_key=False)   # reads files only: no key, no database
