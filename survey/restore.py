"""Restoring a backup (survey/backup.py made it) into an empty database: the DuckDB file or
PostgreSQL, from either engine's backup. Everything is checked before the target is touched
(the passphrase, every part's checksum and rows, the schema level, the key); the target is then
built at the backup's schema level, loaded (in one transaction on PostgreSQL; as a new file
renamed into place on DuckDB) and migrated on to this code's level. Nothing is deleted: a DuckDB
file or key file it replaces is renamed *.before-restore-TIME."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from survey import backup_file
from survey.backup_file import BackupError, Reader
from survey.store import Store, StoreError, dump, sessions
from survey.store.engine import PG_BASELINE, DuckDBEngine, is_postgres_url, known_level
from survey.store.respondents import key_fingerprint


@dataclass
class RestoreReport:
    target: str
    created_at: str
    engine: str
    schema: int
    schema_now: int
    periods: list
    rows: dict[str, int]
    notes: list[tuple[str, str]] = field(default_factory=list)  # (en, zh)


def _refuse(en: str, zh: str) -> BackupError:
    return BackupError(en + " Nothing was changed.", zh + "未作任何改动。")


def open_backup(source: Path, passphrase: str) -> Reader:
    """The backup, unlocked, its manifest and code key checked (the schema level too)."""
    reader = Reader(source)
    try:
        manifest = reader.unlock(passphrase)
        if manifest["schema"] > known_level():
            raise _refuse(
                f"The backup has schema level {manifest['schema']}, newer than this version of "
                f"the app knows (level {known_level()}): it was made by a newer version. "
                "Install that version (or newer), then restore.",
                f"该备份的数据库结构版本为 {manifest['schema']},高于本版本系统所知的 "
                f"{known_level()}:它来自更新的系统版本。请安装该版本(或更新版本)后再恢复。")
        if key_fingerprint(reader.code_key()) != manifest["code_key_fingerprint"]:
            raise backup_file.damaged(source, "the code key does not match its fingerprint")
    except BaseException:
        reader.close()
        raise
    return reader


def restore(source: Path, passphrase: str, target, db_path: Path, given_key: bytes = b"",
            replace: bool = False, actor: str = "cli") -> RestoreReport:
    """Restore a backup into the database at `target` (the DuckDB file db_path, or a
    PostgreSQL URL). given_key: the key configured explicitly (SURVEY_CODE_KEY), if any."""
    with open_backup(Path(source), passphrase) as reader:
        manifest = reader.manifest
        key = reader.code_key()
        if given_key and key_fingerprint(given_key) != key_fingerprint(key):
            raise _refuse(
                f"The code key configured here (SURVEY_CODE_KEY or secrets.toml, fingerprint "
                f"{key_fingerprint(given_key)}) is not the backup's (fingerprint "
                f"{key_fingerprint(key)}): with it no respondent code would match. Set "
                "SURVEY_CODE_KEY to the backup's key (`python -m survey restore SRC "
                "--print-key` shows it) or unset it for the DuckDB file, then restore again.",
                f"此处配置的编码密钥(SURVEY_CODE_KEY 或 secrets.toml,指纹 "
                f"{key_fingerprint(given_key)})不是备份中的密钥(指纹 {key_fingerprint(key)}),"
                "使用它将没有一个填报码能匹配。请把 SURVEY_CODE_KEY 设为备份中的密钥(用 "
                "`python -m survey restore 备份文件 --print-key` 查看),内嵌数据库也可不设,"
                "然后重新恢复。")
        postgres = is_postgres_url(target)
        if postgres and manifest["schema"] < PG_BASELINE:
            raise _refuse(
                f"The backup's schema level {manifest['schema']} is older than PostgreSQL "
                f"starts at ({PG_BASELINE}): restore it into a DuckDB file first (it migrates), "
                "back that up, and restore the new backup into PostgreSQL.",
                f"该备份的结构版本 {manifest['schema']} 早于 PostgreSQL 的起始版本 "
                f"{PG_BASELINE}:请先恢复到 DuckDB 文件(会自动升级),再备份一次,把新备份恢复到 "
                "PostgreSQL。")
        # decrypted tables beside the DuckDB file (same disk and owner), else the system's
        work = Path(tempfile.mkdtemp(prefix=".restore-", dir=None if postgres or not
                                     db_path.parent.is_dir() else db_path.parent))
        try:
            parts = _extract(reader, manifest, work)
            if postgres:
                report = _into_postgres(target, manifest, parts, key, replace, actor, source)
            else:
                report = _into_duckdb(db_path, manifest, parts, key, replace, actor, source)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if not postgres and not given_key:
        report.notes.append(_write_key_file(db_path, key))
    elif postgres and not given_key:
        report.notes.append((
            "Set SURVEY_CODE_KEY on every app server to the backup's key (`python -m survey "
            "restore SRC --print-key` shows it), else the app refuses to start.",
            "请在每台应用服务器上把 SURVEY_CODE_KEY 设为备份中的密钥(用 `python -m survey "
            "restore 备份文件 --print-key` 查看),否则应用会拒绝启动。"))
    return report


def _extract(reader: Reader, manifest: dict, work: Path) -> dict[str, tuple[Path, list[str]]]:
    """Every table's Parquet file, decrypted into `work` and checked (checksum, rows)."""
    parts = {}
    for table, record in manifest["tables"].items():
        path = work / f"{table}.parquet"
        reader.extract_table(table, path)
        if pq.ParquetFile(path).metadata.num_rows != record["rows"]:
            raise backup_file.damaged(reader.path, f"{table} has not the rows the manifest says")
        parts[table] = (path, [name for name, _ in record["columns"]])
    return parts


def _check_tables(engine, manifest: dict, parts: dict) -> None:
    """The target's tables at the backup's level are the backup's, column for column."""
    have = dump.tables(engine)
    differ = sorted(t for t in set(have) | set(parts)
                    if have.get(t) != (parts[t][1] if t in parts else None))
    if differ:
        raise _refuse(f"The tables of schema level {manifest['schema']} here differ from the "
                      f"backup's ({', '.join(differ)}). Report this as a bug.",
                      f"本系统结构版本 {manifest['schema']} 的数据表与备份不一致"
                      f"({', '.join(differ)})。请作为缺陷报告。")


def _not_empty(label: str, tables: list[str]) -> BackupError:
    return _refuse(
        f"The target database {label} already holds data ({', '.join(tables[:6])}). Restore "
        "into an empty database, or add --replace to replace its data with the backup's.",
        f"目标数据库 {label} 已有数据({', '.join(tables[:6])})。请恢复到空数据库,"
        "或加 --replace 用备份替换其中的数据。")


def _finish(target, key: bytes, manifest: dict, actor: str, source: Path) -> RestoreReport:
    """Migrate on to this code's level (a Store does), check the key, count, end every web
    session the backup held (everyone signs in again), audit."""
    with Store(target, key) as store:
        level = dump.target_level(store.engine)
        rows = dump.row_counts(store.engine, manifest["tables"])
        label = store.engine.label
        ended = sessions.end_everyone(store, "restore")
        store.audit(actor, "restore", Path(source).name, created_at=manifest["created_at"],
                    schema=manifest["schema"], engine=manifest["engine"], sessions_ended=ended)
    report = RestoreReport(str(label), manifest["created_at"], manifest["engine"],
                           manifest["schema"], level, manifest.get("periods") or [None, None],
                           rows)
    report.notes.append((
        f"Every web session in the backup ({ended} open) is ended: staff sign in again and "
        "cadres open the form with their code again.",
        f"备份中的所有网页登录({ended} 个未结束)均已结束:工作人员需重新登录,填报人需重新用填报码打开表单。"))
    return report


def _loaded(engine, manifest: dict) -> None:
    counts = dump.row_counts(engine, manifest["tables"])
    wrong = [t for t, r in manifest["tables"].items() if counts[t] != r["rows"]]
    if wrong:
        raise StoreError(f"Loading the backup went wrong for {', '.join(wrong)}: the rows "
                         "differ from the backup's.", f"载入备份时 {', '.join(wrong)} 的行数与备份"
                         "不一致。")
    dump.advance_sequences(engine, manifest.get("sequences", {}))


def _into_postgres(url: str, manifest, parts, key, replace, actor, source) -> RestoreReport:
    engine = dump.open_target(url)
    try:
        level = dump.target_level(engine)
        if level > manifest["schema"]:
            raise _refuse(
                f"The target database {engine.label} has schema level {level}, newer than the "
                f"backup's ({manifest['schema']}). Restore into a new, empty database "
                "(createdb), which the restore builds at the backup's level.",
                f"目标数据库 {engine.label} 的结构版本 {level} 高于备份的 {manifest['schema']}。"
                "请恢复到新建的空数据库(createdb),恢复会按备份的版本建立结构。")
        holding = dump.holding_data(engine) if level else sorted(dump.tables(engine))
        if holding and not level:  # another program's tables: never this app's to replace
            raise _refuse(f"The target database {engine.label} holds tables that are not this "
                          f"app's ({', '.join(holding[:6])}). Restore into a new, empty "
                          "database (createdb).",
                          f"目标数据库 {engine.label} 中有不属于本系统的数据表"
                          f"({', '.join(holding[:6])})。请恢复到新建的空数据库(createdb)。")
        if holding and not replace:
            raise _not_empty(engine.label, holding)
        engine.migrate(upto=manifest["schema"])
        _check_tables(engine, manifest, parts)
        dump.load(engine, parts)
        _loaded(engine, manifest)
    finally:
        engine.close()
    return _finish(url, key, manifest, actor, source)


def _into_duckdb(db_path: Path, manifest, parts, key, replace, actor, source) -> RestoreReport:
    """Built as a new file beside the target and renamed over it when complete."""
    if db_path.exists():
        existing = DuckDBEngine(db_path, read_only=True)  # the app holds it: StoreLockedError
        try:
            holding = dump.holding_data(existing) if dump.target_level(existing) else []
        finally:
            existing.close()
        if holding and not replace:
            raise _not_empty(str(db_path), holding)
    building = db_path.with_name(db_path.name + ".restoring")
    for leftover in (building, building.with_name(building.name + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        engine = DuckDBEngine(building)
        try:
            engine.migrate(upto=manifest["schema"])
            _check_tables(engine, manifest, parts)
            dump.load(engine, parts, atomic=False)  # a new file, renamed in place when complete
            _loaded(engine, manifest)
        finally:
            engine.close()
        report = _finish(building, key, manifest, actor, source)
        report.target = str(db_path)
        os.chmod(building, 0o600)
        moved = _move_aside(db_path, db_path.with_name(db_path.name + ".wal"))
        os.replace(building, db_path)
    except BaseException:
        for leftover in (building, building.with_name(building.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    if moved:
        report.notes.append((f"The database that was there is kept as {moved[0]}.",
                             f"原有数据库已另存为 {moved[0]}。"))
    return report


def _move_aside(*paths: Path) -> list[Path]:
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    moved = []
    for path in paths:
        if path.exists():
            aside = path.with_name(f"{path.name}.before-restore-{stamp}")
            os.replace(path, aside)
            moved.append(aside)
    return moved


def _write_key_file(db_path: Path, key: bytes) -> tuple[str, str]:
    """The code key beside the DuckDB file (owner-only), where the app reads it."""
    path = db_path.with_suffix(".key")
    text = key.decode("ascii", errors="replace")
    if not key.isascii() or text.strip() != text or not text:
        return ("The backup's code key cannot live in a key file: set SURVEY_CODE_KEY to it "
                "(`--print-key` shows it).",
                "备份中的编码密钥无法存为密钥文件:请把 SURVEY_CODE_KEY 设为它(用 --print-key 查看)。")
    if path.exists() and path.read_bytes().strip() == key:
        return (f"The code key in {path} is the backup's.", f"{path} 中的编码密钥与备份一致。")
    moved = _move_aside(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key + b"\n")
    kept = (f" (the key that was there is kept as {moved[0].name})", f"(原密钥另存为 {moved[0].name})") \
        if moved else ("", "")
    return (f"The code key is restored into {path}{kept[0]}.",
            f"编码密钥已恢复到 {path}{kept[1]}。")
