"""Backups and restores (survey/backup.py, docs/operations.md): every row of every table and the
code key come back, on both engines and across them; a wrong passphrase, a cut or damaged file
and a newer schema are refused with a message and change nothing; a database holding data is
replaced only when asked."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from survey import backup, backup_file, restore
from survey.access import Account
from survey.bootstrap import publish_dir
from survey.rounds import Rule
from survey.store import Point, Store, clues, dump, reviews, sessions
from survey.store import rounds as round_store
from survey.store.engine import known_level
from survey.store.respondents import key_fingerprint
from tests.conftest import KEY, ROOT, SCHOOL, VILLAGE, add_staff, complete_answers

PASSPHRASE = "correct horse battery staple"
OTHER = Point("P-OTHER", "别处的村", "village", "village", ("江南市", "白水县"))
CHANNELS = """
id: channels_monthly
version: 1
title: {zh: 渠道, en: Channels}
period: month
audience: cadre
sections:
  - id: s
    title: {zh: 渠道, en: Channels}
    questions:
      - id: channels
        type: multiple_choice
        label: {zh: "通过哪些渠道报送?", en: "Through which channels?"}
        other: true
        choices:
          - {value: paper, label: {zh: 纸质, en: Paper}}
          - {value: app, label: {zh: 政务APP, en: Government app}}
          - {value: chat, label: {zh: 工作群}}
          - {value: other, label: {zh: 其他(请注明), en: Other (please specify)}}
      - id: since
        type: date
        required: false
        label: {zh: 从何时起, en: Since when}
"""
TRICKY_TEXT = '他说:"表格太多"\n=1+1 \\ \'引号\' 😀'


def fill(store: Store, folder: Path) -> dict:
    """Rows in most tables, with what a copy can get wrong: lists (also empty), NULLs, dates,
    times, timestamps, bytes, sequences, quotes, newlines and a formula-looking text."""
    folder.mkdir(exist_ok=True)
    (folder / "channels.yaml").write_text(CHANNELS, encoding="utf-8")
    assert not publish_dir(store, folder)[1]
    monthly = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
    channels = next(q for q in store.current_questionnaires() if q.id == "channels_monthly")
    period = store.open_periods(monthly)[0]
    last = store.open_periods(monthly)[1] if len(store.open_periods(monthly)) > 1 else period
    codes = store.issue_codes(VILLAGE.point_id, 3, "test") + store.issue_codes(SCHOOL.point_id, 1)
    cadre = store.respondent(codes[0])
    first = store.submit(cadre, monthly, last, complete_answers(one_cut=TRICKY_TEXT), "tok-0")
    store.submit(store.respondent(codes[1]), monthly, last,
                 complete_answers(trace_demands=False, trace_hours=None), "tok-1")
    store.submit(store.respondent(codes[2]), channels, period,
                 {"channels": ["chat", "other"], "channels.other": TRICKY_TEXT,
                  "since": "2025-02-28"}, "tok-2")  # answer_other: the text of 其他(请注明)
    store.submit(store.respondent(codes[3]), channels, period, {"channels": ["app"]}, "tok-3")
    store.save_draft(cadre, monthly, period, {"documents": 3},
                     dt.datetime(2026, 1, 2, 3, 4, 5, 678000))
    add_staff(store, "boss", "admin")
    add_staff(store, "li", "leader", ("江北市", "清河县"))
    token = sessions.start(store, sessions.STAFF, "boss", 3600)
    sessions.hand_off(store, token)  # a bytea / BLOB row
    round_store.save_rule(store, Rule("burden_monthly", 3, None, (-1, 0), dt.time(9, 30)), "boss")
    clues.report(store, VILLAGE.point_id, "qr", "meetings_documents", "county", "县农业农村局",
                 None, TRICKY_TEXT)
    reviews.return_submission(store, first.submission_id, "请核实表格数",
                              Account("boss", "boss", "admin"))
    store.close_period("burden_monthly", "2020-01", "boss")  # a closed period: NULL-free row
    return {"code": codes[0], "monthly": monthly, "period": period, "last": last}


def table_rows(target, key: bytes = KEY) -> dict[str, list]:
    """Every row of every table, each table sorted (order is no property of a table)."""
    with Store(target, key) as store, dump.snapshot(store) as snap:
        return {t.name: sorted(map(repr, snap.batches(t).read_all().to_pylist()))
                for t in snap.tables}


SESSION_TABLES = ("web_session", "session_handoff")   # a restore ends every session


def without_sessions(rows: dict) -> dict:
    return {t: r for t, r in rows.items() if t not in SESSION_TABLES}


def without_restore_entries(rows: dict) -> dict:
    rows = without_sessions(rows)
    rows["audit_log"] = [r for r in rows["audit_log"] if "'action': 'restore'" not in r]
    return rows


@pytest.fixture(params=["duckdb", "postgres"])
def restore_target(request, tmp_path):
    """An empty database to restore into: a new DuckDB file or a new PostgreSQL database."""
    if request.param == "duckdb":
        return tmp_path / "restored" / "survey.duckdb"
    return request.getfixturevalue("pg_cluster").new_database()


def restore_into(target, source: Path, tmp_path: Path, **options) -> restore.RestoreReport:
    db_path = target if isinstance(target, Path) else tmp_path / "unused" / "survey.duckdb"
    return restore.restore(source, PASSPHRASE, target, db_path, **options)


def test_every_row_and_the_code_key_come_back_on_both_engines(store, tmp_path, restore_target):
    filled = fill(store, tmp_path / "q")
    before = table_rows(store.engine.url if store.dialect == "postgres" else store.path)
    info = backup.make_backup(store, KEY, tmp_path, PASSPHRASE, actor="boss")
    assert info.path.parent == tmp_path and backup.NAME.match(info.path.name)
    assert os.stat(info.path).st_mode & 0o777 == 0o600
    # the time of the last backup, for /metrics; the person's backup in the audit log
    assert store._one("SELECT value FROM app_setting WHERE name = 'last_backup_at'")[0] \
        == info.created_at.isoformat()
    assert store.audit_log(action="backup")[0][1] == "boss"
    # the key is in the file, but never in clear
    with zipfile.ZipFile(info.path) as archive:
        assert not any(KEY in archive.read(name) for name in archive.namelist())

    report = restore_into(restore_target, info.path, tmp_path,
                          given_key=b"" if isinstance(restore_target, Path) else KEY)
    assert report.rows["answer"] == len([r for r in before["answer"]]) > 0
    assert report.rows["answer_other"] == len(before["answer_other"]) == 1
    assert report.schema == report.schema_now == known_level()
    after = table_rows(restore_target)
    assert without_restore_entries(after) == without_sessions(before)
    assert sum("'action': 'restore'" in r for r in after["audit_log"]) == 1

    # every web session the backup held is ended (a backup taken after a break-in must not
    # bring the intruder's sessions back), and said so
    assert len(after["web_session"]) == len(before["web_session"]) == 1
    assert all("'ended_why': 'restore'" in r for r in after["web_session"])
    assert before["session_handoff"] and not after["session_handoff"]
    assert any("Every web session in the backup (1 open) is ended" in en and "均已结束" in zh
               for en, zh in report.notes)
    with Store(restore_target, KEY) as restored:
        # the cadre's code opens their carried-forward answers
        cadre = restored.respondent(filled["code"])
        assert cadre is not None and cadre.point.point_id == VILLAGE.point_id
        carried = restored.previous_answers(cadre, filled["monthly"], filled["period"])
        assert carried[1]["one_cut"] == TRICKY_TEXT and carried[1]["meetings"] == 9
        # the sequences go on after the restored ids
        top = restored._one("SELECT max(audit_id) FROM audit_log")[0]
        restored.audit("boss", "after_restore", None)
        assert restored._one("SELECT audit_id FROM audit_log WHERE action = 'after_restore'")[0] \
            > top
        assert restored._one("SELECT value FROM app_setting WHERE name = "
                             "'code_key_fingerprint'")[0] == key_fingerprint(KEY)
    if isinstance(restore_target, Path):  # the key file beside the DuckDB file, owner only
        key_file = restore_target.with_suffix(".key")
        assert key_file.read_bytes().strip() == KEY
        assert os.stat(key_file).st_mode & 0o777 == 0o600


@pytest.mark.embedded_only
def test_round_trip_duckdb_postgres_duckdb_keeps_every_row(store, tmp_path, pg_cluster):
    fill(store, tmp_path / "q")
    before = table_rows(store.path)
    first = backup.make_backup(store, KEY, tmp_path, PASSPHRASE)
    url = pg_cluster.new_database()
    restore_into(url, first.path, tmp_path, given_key=KEY)
    assert without_restore_entries(table_rows(url)) == without_sessions(before)
    with Store(url, KEY) as on_postgres:
        (tmp_path / "second").mkdir()
        second = backup.make_backup(on_postgres, KEY, tmp_path / "second", PASSPHRASE)
    assert second.engine == "postgres"
    back = tmp_path / "back" / "survey.duckdb"
    restore_into(back, second.path, tmp_path)
    assert without_restore_entries(table_rows(back)) == without_sessions(before)


# -- refusals: a message, and the target unchanged -------------------------------------------

def fingerprint_of(target) -> object:
    """What a refused restore must leave as it was: the DuckDB file and key file's bytes (or
    their absence), or every table's rows in PostgreSQL."""
    if isinstance(target, Path):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(target.parent.glob("*"))} if target.parent.exists() else None
    import psycopg
    with psycopg.connect(target) as conn:
        return conn.execute("SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = 'public' ORDER BY 1").fetchall()


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A backup of a small DuckDB database, made once for the refusal tests."""
    folder = tmp_path_factory.mktemp("made")
    with Store(folder / "source.duckdb", KEY) as store:
        publish_dir(store, ROOT / "questionnaires")
        store.add_points([VILLAGE, SCHOOL])
        fill(store, folder / "q")
        return backup.make_backup(store, KEY, folder, PASSPHRASE).path


def refused(target, source, tmp_path, **options) -> backup_file.BackupError:
    before = fingerprint_of(target)
    with pytest.raises(backup_file.BackupError) as caught:
        restore_into(target, source, tmp_path, **options)
    assert fingerprint_of(target) == before
    assert caught.value.zh and "未作任何改动" in caught.value.zh
    assert "Nothing was changed" in caught.value.en
    return caught.value


def test_wrong_passphrase_is_refused_and_changes_nothing(made, tmp_path, restore_target):
    before = fingerprint_of(restore_target)
    with pytest.raises(backup_file.BackupError) as caught:
        restore.restore(made, "not the passphrase", restore_target, tmp_path / "x" / "s.duckdb")
    assert "passphrase" in caught.value.en and "口令" in caught.value.zh
    assert fingerprint_of(restore_target) == before


@pytest.mark.parametrize("damage", ["cut", "flipped"])
def test_a_cut_or_damaged_file_is_refused_and_changes_nothing(made, tmp_path, restore_target,
                                                              damage):
    broken = tmp_path / "broken.zip"
    data = bytearray(made.read_bytes())
    if damage == "cut":
        data = data[: len(data) * 2 // 3]
    else:  # one byte inside the biggest table's ciphertext
        with zipfile.ZipFile(made) as archive:
            part = archive.getinfo(backup_file.table_part("answer"))
        at = part.header_offset + len(part.FileHeader()) + part.compress_size // 2
        data[at] ^= 0x40
    broken.write_bytes(bytes(data))
    error = refused(restore_target, broken, tmp_path)
    assert "not a complete backup" in error.en and "不是完整的备份" in error.zh


def test_a_newer_schema_is_refused_and_changes_nothing(made, tmp_path, restore_target):
    newer = tmp_path / "newer.zip"
    with backup_file.Reader(made) as reader:  # the same backup, as a newer app would write it
        manifest = reader.unlock(PASSPHRASE)
        key = reader.code_key()
        writer = backup_file.Writer(newer, PASSPHRASE, {**reader.clear, "schema": 999})
        writer.add_bytes(backup_file.CODE_KEY, key)
        for table in manifest["tables"]:
            reader.extract_table(table, tmp_path / f"{table}.parquet")
            writer.add_table(table, ds.dataset(tmp_path / f"{table}.parquet").scanner().to_reader())
        writer.finish({**manifest, "schema": known_level() + 1})
    error = refused(restore_target, newer, tmp_path)
    assert f"schema level {known_level() + 1}" in error.en and "更新的系统版本" in error.zh


def test_a_database_holding_data_is_replaced_only_when_asked(made, tmp_path, restore_target):
    with Store(restore_target, KEY) as other:  # someone else's data
        publish_dir(other, ROOT / "questionnaires")
        other.add_points([OTHER])
    error = refused(restore_target, made, tmp_path, given_key=KEY)
    assert "--replace" in error.en and "已有数据" in error.zh
    report = restore_into(restore_target, made, tmp_path, given_key=KEY, replace=True)
    assert report.rows["point"] == 2
    with Store(restore_target, KEY) as restored:
        assert {p.point_id for p in restored.points()} == {VILLAGE.point_id, SCHOOL.point_id}
    if isinstance(restore_target, Path):  # the replaced file is kept, not deleted
        kept = list(restore_target.parent.glob("survey.duckdb.before-restore-*"))
        assert len(kept) == 1
        with Store(kept[0], KEY, read_only=True) as old:
            assert [p.point_id for p in old.points()] == [OTHER.point_id]


def test_another_code_key_is_refused_and_says_what_to_set(made, tmp_path, restore_target):
    error = refused(restore_target, made, tmp_path, given_key=b"another-key-" + b"1" * 20)
    assert "SURVEY_CODE_KEY" in error.en and "--print-key" in error.en
    assert key_fingerprint(KEY) in error.en and "SURVEY_CODE_KEY" in error.zh


@pytest.mark.embedded_only
def test_an_older_schema_restores_and_migrates_forward(store, tmp_path):
    """A database left one migration behind is backed up as it is, restores at its own level,
    and this code's migrations then bring it to the newest level."""
    from survey.store.engine import DuckDBEngine, migrations
    older = sorted(number for number, _, _ in migrations("duckdb"))[-2]
    old = tmp_path / "old.duckdb"
    engine = DuckDBEngine(old)
    engine.migrate(upto=older)
    engine.write(lambda cur: cur.execute(
        "INSERT INTO point (point_id, name, level, kind, region) VALUES "
        "('P-OLD', '旧村', 'village', 'village', ['江北市', '清河县'])"))
    engine.close()
    with Store(old, KEY, read_only=True) as reading:  # read-only: no migration on opening
        info = backup.make_backup(reading, KEY, tmp_path, PASSPHRASE)
    assert info.schema == older < known_level()
    target = tmp_path / "new" / "survey.duckdb"
    report = restore_into(target, info.path, tmp_path)
    assert (report.schema, report.schema_now) == (older, known_level())
    with Store(target, KEY) as restored:
        assert restored.point("P-OLD").name == "旧村"
        assert restored.schema_version() == known_level()


# -- the command line ----------------------------------------------------------------------

def run_cli(*args, env: dict, input_text: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "survey", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, input=input_text,
                          env={**os.environ, "SURVEY_DEMO": "0", **env})


@pytest.mark.embedded_only
def test_cli_backs_up_and_restores_and_prints_the_key_only_when_asked(made, tmp_path):
    env = {"SURVEY_BACKUP_PASSPHRASE": PASSPHRASE, "SURVEY_CODE_KEY": ""}
    target = tmp_path / "cli" / "survey.duckdb"
    done = run_cli("restore", str(made), env={**env, "SURVEY_DB": str(target)})
    assert done.returncode == 0, done.stderr
    assert "已把" in done.stdout and "Restored the backup" in done.stdout
    assert "answer" in done.stdout and KEY.decode() not in done.stdout + done.stderr
    assert "Every web session in the backup" in done.stdout and "重新登录" in done.stdout
    shown = run_cli("restore", str(made), "--print-key", env={**env, "SURVEY_DB": str(target)})
    assert shown.stdout.strip() == KEY.decode()
    again = run_cli("restore", str(made), env={**env, "SURVEY_DB": str(target)})
    assert again.returncode == 2 and "--replace" in again.stderr and "Traceback" not in again.stderr
    out = tmp_path / "cli-backups"
    made_again = run_cli("backup", str(out) + "/", env={**env, "SURVEY_DB": str(target)})
    assert made_again.returncode == 0, made_again.stderr
    assert "已备份" in made_again.stdout and len(backup.list_backups(out)) == 1
    no_phrase = run_cli("backup", str(out) + "/", env={"SURVEY_BACKUP_PASSPHRASE": "",
                                                       "SURVEY_DB": str(target)})
    assert no_phrase.returncode == 2 and "SURVEY_BACKUP_PASSPHRASE" in no_phrase.stderr


@pytest.mark.embedded_only
def test_cli_backup_while_the_app_holds_the_file_says_what_to_do(store, tmp_path):
    """The app (here: this process) holds the DuckDB file: the command explains, in Chinese
    and English, where the app's own backups are, without a traceback."""
    done = run_cli("backup", str(tmp_path / "elsewhere.zip"), "--wait", "1",
                   env={"SURVEY_DB": str(store.path), "SURVEY_CODE_KEY": KEY.decode(),
                        "SURVEY_BACKUP_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "运维" in done.stderr and "Back up now" in done.stderr
    assert "stop the app" in done.stderr and "停止应用" in done.stderr
    assert "did not take the request within 1 s" in done.stderr
    assert not list(tmp_path.glob("*.backup-request*"))  # the request does not linger


@pytest.mark.embedded_only
def test_cli_backup_while_the_app_runs_is_made_by_the_app(store, monthly, tmp_path):
    """The real app holds the DuckDB file: `backup DEST/` asks it, the app makes the backup
    with its own passphrase, the command copies it to DEST and says so; audit-logged."""
    from tests.browser_support import running_app
    store.submit(store.respondent(store.issue_codes(VILLAGE.point_id, 1)[0]),
                 monthly, "2026-10", complete_answers(), "t1")
    store.close()
    env = {"SURVEY_DB": str(store.path), "SURVEY_CODE_KEY": KEY.decode(), "SURVEY_DEMO": "0",
           "SURVEY_BACKUP_PASSPHRASE": PASSPHRASE, "SURVEY_BACKUP_DIR": str(tmp_path / "own"),
           "SURVEY_BACKUP_TIME": "23:59", "SURVEY_SNAPSHOT_MINUTES": "0"}
    with running_app(env):
        done = run_cli("backup", str(tmp_path / "copies") + "/", env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "asking it to make the backup" in done.stderr and "已请它进行备份" in done.stderr
    [copy] = (tmp_path / "copies").iterdir()
    assert f"to {copy}" in done.stdout and "app's backup passphrase" in done.stdout
    assert [p.name for p in (tmp_path / "own").glob("*.zip")] == [copy.name]
    with restore.open_backup(copy, PASSPHRASE) as reader:
        assert reader.code_key() == KEY
    with Store(store.path, KEY) as again:
        assert again.audit_log(action="backup")[0][1].startswith("cli:")
    assert not list(tmp_path.glob("*.backup-request*"))


def test_age_tool_decrypts_a_backup(made, tmp_path):
    """An operator can open a backup without the app, with the standard age tool."""
    age = shutil.which("age")
    if age is None:
        if os.environ.get("CI"):
            pytest.fail("age is not installed; .ci/run installs it")
        pytest.skip("the age tool is not installed (apt-get install age)")
    with zipfile.ZipFile(made) as archive:
        archive.extractall(tmp_path / "x")
    x = tmp_path / "x"
    # an encrypted identity file: age asks for its passphrase on the terminal; the scrypt
    # stanza decrypts with AGE_PASSPHRASE-free batch use through the identity decrypted first
    identity = subprocess.run(["script", "-qec", f"{age} -d -o {x}/id.txt {x}/identity.age",
                               "/dev/null"], input=PASSPHRASE + "\n", capture_output=True,
                              text=True, timeout=60)
    assert (x / "id.txt").exists(), identity.stdout + identity.stderr
    subprocess.run([age, "-d", "-i", str(x / "id.txt"), "-o", str(x / "point.parquet"),
                    str(x / "tables" / "point.parquet.age")], check=True, timeout=60)
    import duckdb
    assert duckdb.sql(f"SELECT point_id FROM '{x}/point.parquet' ORDER BY 1").fetchall() == \
        [(SCHOOL.point_id,), (VILLAGE.point_id,)]
