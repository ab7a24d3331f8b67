"""A backup made while cadres submit, then the app killed with `kill -9`: restored into a fresh
database, every submission acknowledged before the backup began is there exactly once, and a
cadre's code opens their carried-forward answers (the code key came back with the data).

- the DuckDB file: the app process holds it, so the app's own backup thread makes the backup
  (what 运维 → 立即备份 asks for), while four threads of the same process submit; restored into
  a new DuckDB file and into PostgreSQL (the way a county moves when it outgrows one machine);
- PostgreSQL: `python -m survey backup` runs beside a writer process, then restores into a new
  DuckDB file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from survey import backup, periods, restore
from survey.bootstrap import publish_dir
from survey.store import Store
from tests.conftest import KEY, ROOT, VILLAGE, complete_answers

pytestmark = pytest.mark.timeout(300)
PASSPHRASE = "correct horse battery staple"

APP = """
import os, sys, threading, time
from pathlib import Path
from survey import backup_schedule
from survey.config import Config
from survey.store import Store
target, key, period, codes, mode = (sys.argv[1], sys.argv[2].encode(), sys.argv[3],
                                    sys.argv[4].split(","), sys.argv[5])
store = Store(target, key)  # one app process's store, shared by its threads
qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
lock = threading.Lock()
def say(line):
    with lock:
        os.write(1, (line + "\\n").encode())  # one write < PIPE_BUF: kill -9 cuts no line
acked = [0]
def write(t):
    for n in range(100000):
        code = codes[(t + n) % len(codes)]
        token = f"kill-{t}-{n}"
        answers = {"documents": 40, "documents_action": 12, "meetings": n % 50,
                   "meeting_hours": 6.5, "forms": 14, "form_hours": 7.0, "duplicate_forms": 3,
                   "inspections": 2, "inspection_hours": 8.0, "trace_demands": True,
                   "trace_hours": 2.5, "apps": 6, "chat_groups": 15, "chat_pressure": True,
                   "burden_change": "2", "satisfaction": "4"}
        receipt = store.submit(store.respondent(code), qn, period, answers, token)
        say(f"ACK {token} {receipt.submission_id}")
        acked[0] += 1
        time.sleep(0.01)
for t in range(4):
    threading.Thread(target=write, args=(t,), daemon=True).start()
if mode == "app":  # the app's own backup thread, asked to back up now (the admin page's button)
    while acked[0] < 40:
        time.sleep(0.01)
    config = Config(db_path=Path(target), questionnaire_dir=Path("questionnaires"), code_key=key,
                    backup_dir=Path(os.environ["BACKUP_DIR"]),
                    backup_passphrase=os.environ["SURVEY_BACKUP_PASSPHRASE"])
    startup = type("Startup", (), {"store": store, "config": config})()
    scheduler = backup_schedule.start(startup)
    say("BEGIN")
    scheduler.request("boss")
    while scheduler.last is None:
        if scheduler.last_error:
            say("FAILED " + scheduler.last_error[0])
        time.sleep(0.05)
    say(f"DONE {scheduler.last.path}")
threading.Event().wait()
"""


class Writer:
    """The app process (or a writer process) with its ACK lines read as they come."""

    def __init__(self, target, period: str, codes: list[str], mode: str, env: dict):
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-c", APP, str(target), KEY.decode(), period, ",".join(codes), mode],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **env})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def wait_for(self, test, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while not test(list(self.lines)):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("writer: " + "\n".join(self.lines[-5:]) +
                                     self.proc.stderr.read()[-3000:])
            time.sleep(0.05)

    def acks(self) -> int:
        return sum(line.startswith("ACK ") for line in self.lines)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._reader.join(10)


def acknowledged(lines: list[str]) -> dict[str, str]:
    return {parts[1]: parts[2] for parts in (line.split() for line in lines)
            if parts and parts[0] == "ACK"}


def prepare(target, n: int = 6) -> tuple[list[str], str, str]:
    """n cadres, each with last month's report (what carry-forward brings)."""
    with Store(target, KEY) as store:
        publish_dir(store, ROOT / "questionnaires")
        store.add_points([VILLAGE])
        qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        period = store.open_periods(qn)[0]
        last = periods.previous("month", period)
        codes = store.issue_codes(VILLAGE.point_id, n)
        for i, code in enumerate(codes):
            store.submit(store.respondent(code), qn, last,
                         complete_answers(meetings=20 + i), f"last-{i}")
    return codes, period, last


def check_restored(target, before: dict[str, str], codes: list[str], period: str) -> None:
    """Every acknowledged-before submission once, and the key opens carried-forward answers."""
    with Store(target, KEY) as store:
        stored = dict(store._rows("SELECT client_token, submission_id FROM submission "
                                  "WHERE client_token LIKE 'kill-%'"))
        assert {token: stored.get(token) for token in before} == before
        assert store._rows("SELECT client_token FROM submission GROUP BY client_token "
                           "HAVING count(*) > 1") == []
        qn = next(q for q in store.current_questionnaires() if q.id == "burden_monthly")
        for i, code in enumerate(codes[:2]):
            cadre = store.respondent(code)
            assert cadre is not None, "the code no longer matches: the key did not come back"
            _, carried = store.previous_answers(cadre, qn, period)  # last month's, carried
            assert carried["meetings"] == 20 + i and carried["documents"] == 40


@pytest.mark.embedded_only
def test_the_apps_backup_under_load_survives_kill_9_into_duckdb_and_postgresql(
        db_path, tmp_path, pg_cluster):
    codes, period, _ = prepare(db_path)
    folder = tmp_path / "backups"
    app = Writer(db_path, period, codes, "app", {"BACKUP_DIR": str(folder),
                                                 "SURVEY_BACKUP_PASSPHRASE": PASSPHRASE})
    app.wait_for(lambda lines: any(l.startswith(("DONE", "FAILED")) for l in lines))
    lines = list(app.lines)
    assert not any(line.startswith("FAILED") for line in lines), lines[-3:]
    began = lines.index("BEGIN")
    before = acknowledged(lines[:began])
    ended = next(i for i, line in enumerate(lines) if line.startswith("DONE"))
    assert acknowledged(lines[began:ended]), "cadres could not submit during the backup"
    made = Path(next(line for line in lines if line.startswith("DONE")).split(" ", 1)[1])
    done_at = app.acks()
    app.wait_for(lambda ls: sum(l.startswith("ACK") for l in ls) >= done_at + 20)  # writing on
    app.kill()
    assert len(before) >= 40 and app.acks() > len(before)

    into_duckdb = tmp_path / "restored" / "survey.duckdb"
    restore.restore(made, PASSPHRASE, into_duckdb, into_duckdb)
    check_restored(into_duckdb, before, codes, period)
    url = pg_cluster.new_database()
    restore.restore(made, PASSPHRASE, url, tmp_path / "unused.duckdb", given_key=KEY)
    check_restored(url, before, codes, period)
    print(f"{len(before)} acknowledged before the backup began, {app.acks()} in all; "
          f"backup {made.stat().st_size / 1e6:.1f} MB")


def test_cli_backup_of_postgresql_under_load_survives_kill_9(pg_url, tmp_path):
    codes, period, _ = prepare(pg_url)
    writer = Writer(pg_url, period, codes, "plain", {})
    writer.wait_for(lambda lines: sum(l.startswith("ACK") for l in lines) >= 40)
    before = acknowledged(writer.lines)  # read before the backup began
    done = subprocess.run([sys.executable, "-m", "survey", "backup", str(tmp_path) + "/"],
                          cwd=ROOT, capture_output=True, text=True, timeout=240,
                          env={**os.environ, "SURVEY_DATABASE_URL": pg_url,
                               "SURVEY_CODE_KEY": KEY.decode(),
                               "SURVEY_BACKUP_PASSPHRASE": PASSPHRASE})
    assert done.returncode == 0, done.stderr
    after_backup = writer.acks()
    writer.wait_for(lambda lines: sum(l.startswith("ACK") for l in lines) >= after_backup + 20)
    writer.kill()
    [made] = backup.list_backups(tmp_path)
    assert made.engine == "postgres"
    target = tmp_path / "restored" / "survey.duckdb"
    restore.restore(made.path, PASSPHRASE, target, target)
    check_restored(target, before, codes, period)
