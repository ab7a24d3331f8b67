"""python -m survey backup / restore / backups: messages in Chinese and English (an operator
at a county may read either), no traceback for what a person can fix."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

from survey import backup, backup_schedule, restore
from survey.backup_file import BackupError
from survey.cli_messages import fail, say as _say
from survey.errors import DomainError

ACTOR = "cli"
TAKEN_WAIT_S = 3 * 3600  # the longest backup we would wait for (L: minutes)


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
        try:
            store = Store(cfg.store_target, cfg.code_key)
        except StoreLockedError:
            return _ask_the_app(cfg, dest, args.wait)
        with store:
            phrase = passphrase(cfg, confirm=True)
            info = backup.make_backup(store, cfg.code_key, dest, phrase, actor=ACTOR)
    except DomainError as exc:
        return fail(exc)
    _made(info.rows, info.schema, info.engine, info.path, info.bytes, info.seconds)
    return 0


def _made(rows: int, schema: int, engine: str, path: Path, size: int, seconds: float) -> None:
    _say(f"Backed up {rows:,} rows (schema {schema}, {engine}) to {path}: "
         f"{_size(size)} in {seconds:.1f} s. Keep it on another machine, and the "
         "passphrase apart from it.",
         f"已备份 {rows:,} 行(结构版本 {schema},{engine})到 {path}:"
         f"{_size(size)},用时 {seconds:.1f} 秒。请把它存到另一台机器上,口令另行保管。")


def _ask_the_app(cfg, dest: Path, wait_s: float) -> int:
    """The app holds the DuckDB file: it makes the backup itself, on request (a file beside
    the database, survey/backup_schedule.py), with its own passphrase; the file is then copied
    where this command was asked to put it."""
    request = backup_schedule.cli_request_path(cfg.db_path)
    request_id = secrets.token_hex(8)
    answer = backup_schedule.cli_answer_path(request, request_id)
    partial = request.with_name(request.name + f".{request_id}.partial")
    partial.write_text(json.dumps({"id": request_id, "user": getpass.getuser()}),
                       encoding="utf-8")
    os.replace(partial, request)
    _say("The app is running and holds the database: asking it to make the backup ...",
         "应用正在运行并占用数据库:已请它进行备份……", sys.stderr)
    deadline = time.monotonic() + wait_s
    while request.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    if request.exists():  # not taken: no backups configured for the app, or an older app
        request.unlink(missing_ok=True)
        _say(f"The app did not take the request within {wait_s:g} s: it answers only with "
             "its backups set up (SURVEY_BACKUP_PASSPHRASE for the app).",
             f"应用在 {wait_s:g} 秒内没有接收请求:只有为应用设置了备份(应用的 "
             "SURVEY_BACKUP_PASSPHRASE)它才会响应。", sys.stderr)
        return _app_holds_it(cfg, dest)
    deadline = time.monotonic() + TAKEN_WAIT_S
    while not answer.exists():  # taken: as long as the backup takes
        if time.monotonic() > deadline:
            raise BackupError(f"The app took the request but gave no answer in "
                              f"{TAKEN_WAIT_S // 3600} hours: see its log and the 运维 / "
                              "Operations page.", f"应用已接收请求,但 {TAKEN_WAIT_S // 3600} "
                              "小时内没有答复:请查看应用日志和“运维”页面。")
        time.sleep(0.2)
    said = json.loads(answer.read_text(encoding="utf-8"))
    answer.unlink(missing_ok=True)
    if not said.get("ok"):
        return fail(BackupError(said.get("en", "?"), said.get("zh")))
    made = Path(said["path"])
    target = dest / made.name if dest.is_dir() else dest
    if target.resolve() != made.resolve():
        copy = target.with_name(target.name + ".partial")
        try:
            shutil.copyfile(made, copy)
            os.chmod(copy, 0o600)
            os.replace(copy, target)
        except OSError as exc:
            copy.unlink(missing_ok=True)
            raise BackupError(f"The app made {made}, but it cannot be copied to {target}: "
                              f"{exc.strerror or exc}.",
                              f"应用已生成 {made},但无法复制到 {target}:{exc.strerror or exc}。"
                              ) from exc
    _made(said["rows"], said["schema"], said["engine"], target, said["bytes"], said["seconds"])
    _say("It is encrypted with the app's backup passphrase (SURVEY_BACKUP_PASSPHRASE of the app).",
         "备份使用应用的备份口令(应用的 SURVEY_BACKUP_PASSPHRASE)加密。")
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
    p.add_argument("--wait", type=float, default=30.0, help="while the app holds the DuckDB "
                   "file it makes the backup on request: seconds to wait for it to take the "
                   "request (default 30)")
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
