"""The app's own backups: daily at the set time (a missed one made when the app is up again),
retention 7 daily / 4 weekly / 12 monthly, 'back up now' from the admin page (audit-logged),
nothing without a passphrase but a page saying what to set."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from survey import backup, backup_schedule
from survey.config import Config
from survey.store import settings
from tests.conftest import KEY, ROOT, add_staff, as_user

PASSPHRASE = "correct horse battery staple"
TZ = dt.timezone(dt.timedelta(hours=8))


def config(folder: Path, passphrase: str | None = PASSPHRASE, at=dt.time(2, 0)) -> Config:
    return Config(db_path=folder / "survey.duckdb", questionnaire_dir=ROOT / "questionnaires",
                  code_key=KEY, backup_dir=folder / "backups", backup_passphrase=passphrase,
                  backup_time=at)


def test_retention_keeps_the_newest_of_each_day_week_and_month():
    start = dt.datetime(2025, 1, 1, 2, 0, tzinfo=TZ)
    times = [start + dt.timedelta(days=d) for d in range(500)]  # a year and a half of dailies
    times.append(times[-1] + dt.timedelta(hours=13))            # and a second one that day
    kept = sorted(backup.to_keep(times, 7, 4, 12, tz=TZ))
    newest = times[-1]
    daily = [t for t in kept if newest - t < dt.timedelta(days=7)]
    assert len(daily) == 7 and newest in kept and times[-2] not in kept  # one per day
    assert len({t.isocalendar()[:2] for t in kept}) >= 4
    months = {(t.year, t.month) for t in kept}
    assert len(months) == 12 and kept[0].month == (newest - dt.timedelta(days=335)).month
    assert len(kept) <= 7 + 4 + 12
    assert backup.to_keep(times[:1], 7, 4, 12) == set(times[:1])


def test_every_backup_of_the_last_24_hours_is_kept():
    """A 'back up now' the same day as the scheduled one (before an upgrade, say) must not
    delete the morning's backup: everything from the last 24 hours stays, besides 7/4/12."""
    start = dt.datetime(2026, 1, 1, 2, 0, tzinfo=TZ)
    times = [start + dt.timedelta(days=d) for d in range(30)]
    newest = times[-1] + dt.timedelta(hours=9)     # 立即备份 at 11:00, the 02:00 one before it
    times.append(newest)
    kept = backup.to_keep(times, 7, 4, 12, tz=TZ, now=newest + dt.timedelta(hours=1))
    assert times[-2] in kept and newest in kept
    later = backup.to_keep(times, 7, 4, 12, tz=TZ, now=newest + dt.timedelta(days=2))
    assert times[-2] not in later and newest in later      # then one a day again


def test_the_daily_backup_is_made_once_after_its_time_and_old_ones_pruned(store, tmp_path):
    # the backup is named by the real time it is made, so today's slot is midnight: whenever
    # the test runs (00:01 included, as CI once did), a backup made now is after it
    cfg = config(tmp_path, at=dt.time(0, 0))
    cfg.backups.mkdir()
    for days in range(1, 60):  # older backups (empty files with dated names)
        old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
        (cfg.backups / backup.backup_name(old)).write_bytes(b"")
    (cfg.backups / "notes.txt").write_text("not ours")
    today = dt.datetime.now().astimezone()
    late = backup_schedule.BackupScheduler(store, config(tmp_path, at=dt.time(23, 59)))
    assert not late.due(today.replace(hour=23, minute=58))  # not before its time
    scheduler = backup_schedule.BackupScheduler(store, cfg)
    scheduler.clock = lambda: today.replace(hour=23, minute=59)
    assert scheduler.due(scheduler.clock())  # nothing since today's 00:00
    scheduler.run_once()
    assert scheduler.last is not None and scheduler.last.path.exists()
    assert not scheduler.due(scheduler.clock())  # once a day
    scheduler.run_once()
    files = [p for p in cfg.backups.iterdir() if backup.NAME.match(p.name)]
    assert len(files) <= 7 + 4 + 12 and scheduler.last.path in files
    assert (cfg.backups / "notes.txt").exists()
    assert settings.setting(store, backup.LAST_BACKUP_AT) == scheduler.last.created_at.isoformat()
    assert store.audit_log(action="backup") == []  # the schedule is no person
    tomorrow = today + dt.timedelta(days=1)
    assert scheduler.next_run(today.replace(hour=23)) == tomorrow.replace(
        hour=0, minute=0, second=0, microsecond=0)  # today's is made
    assert late.next_run(today.replace(hour=1)) == today.replace(
        hour=23, minute=59, second=0, microsecond=0)


def test_servers_with_their_own_folders_make_one_backup_a_day_between_them(store, tmp_path):
    """Several app servers on one PostgreSQL, each with its own folder: the one that backed up
    first today recorded it in the database, so the others find the day done."""
    midnight = dt.time(0, 0)  # whenever the test runs, a backup made now is today's
    first = backup_schedule.BackupScheduler(store, config(tmp_path / "a", at=midnight))
    second = backup_schedule.BackupScheduler(store, config(tmp_path / "b", at=midnight))
    late = dt.datetime.now().astimezone().replace(hour=23, minute=59)
    first.clock = second.clock = lambda: late
    assert first.due(late) and second.due(late)
    first.run_once()
    assert first.last is not None and not second.due(late)
    second.run_once()
    assert second.last is None and not (tmp_path / "b" / "backups").exists()


def test_back_up_now_runs_in_the_thread_and_is_audited(store, tmp_path):
    cfg = config(tmp_path, at=dt.time(23, 59))
    startup = type("Startup", (), {"store": store, "config": cfg})()
    scheduler = backup_schedule.start(startup)
    try:
        assert scheduler.is_alive() and scheduler.problem is None
        scheduler.request("boss")
        deadline = time.monotonic() + 60
        while scheduler.last is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert scheduler.last is not None, scheduler.last_error
        assert store.audit_log(action="backup")[0][1] == "boss"
    finally:
        scheduler.stop()
    assert not scheduler.is_alive()


def test_without_a_passphrase_nothing_runs_and_the_reason_is_kept(store, tmp_path):
    for phrase in (None, "short"):
        startup = type("Startup", (), {"store": store, "config": config(tmp_path, phrase)})()
        scheduler = backup_schedule.start(startup)
        assert not scheduler.is_alive()
        assert "SURVEY_BACKUP_PASSPHRASE" in scheduler.problem.en or "short" in \
            scheduler.problem.en
        assert scheduler.problem.zh


@pytest.mark.embedded_only  # the app (AppTest) runs on the DuckDB file
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_operations_page_backs_up_now_and_lists_the_backups(store, db_path, tmp_path,
                                                               monkeypatch, lang):
    from streamlit.testing.v1 import AppTest

    from survey import config as config_module
    from survey.bootstrap import started
    add_staff(store, "boss", "admin")
    add_staff(store, "li", "leader", ("江北市",))
    store.close()
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    monkeypatch.setenv("SURVEY_BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("SURVEY_BACKUP_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("SURVEY_BACKUP_TIME", "23:59")
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), "boss")
    at.query_params["lang"] = lang
    at.switch_page("app_pages/admin_operations.py").run()
    assert not at.exception, at.exception
    text = " ".join(x.value for x in [*at.info, *at.markdown, *at.caption])
    button = "立即备份" if lang == "zh" else "Back up now"
    assert ("每天 23:59" if lang == "zh" else "every day at 23:59") in text
    next(b for b in at.button if b.label == button).click().run()
    scheduler = started(config_module.resolve()).backups
    deadline = time.monotonic() + 60
    while scheduler.last is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert scheduler.last is not None, scheduler.last_error
    at.run()
    assert not at.exception, at.exception
    table = at.table[0].value   # wraps and scrolls on a phone (a canvas grid was cut off)
    assert list(table[("文件" if lang == "zh" else "File")]) == [scheduler.last.path.name]
    assert started(config_module.resolve()).store.audit_log(action="backup")[0][1] == "boss"

    leader = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), "li")
    leader.switch_page("app_pages/admin_operations.py").run()
    assert leader.error and not leader.table and not [b for b in leader.button
                                                          if b.label == "立即备份"]


@pytest.mark.embedded_only
def test_the_page_says_what_to_set_without_a_passphrase(store, db_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    add_staff(store, "boss", "admin")
    store.close()
    monkeypatch.setenv("SURVEY_DB", str(db_path))
    monkeypatch.setenv("SURVEY_CODE_KEY", KEY.decode())
    monkeypatch.setenv("SURVEY_DEMO", "0")
    monkeypatch.delenv("SURVEY_BACKUP_PASSPHRASE", raising=False)
    at = as_user(AppTest.from_file(str(ROOT / "survey_app.py"), default_timeout=60), "boss")
    at.switch_page("app_pages/admin_operations.py").run()
    assert not at.exception, at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "SURVEY_BACKUP_PASSPHRASE" in warning and "自动备份未运行" in warning
    assert next(b for b in at.button if b.label == "立即备份").disabled
