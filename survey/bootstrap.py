"""Start-up: open the store, publish the questionnaires on disk, seed demo data on first start.

A broken questionnaire never stops the app: the valid ones are published and the problems are
returned for the admin side to show.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field

from survey import demo, reminders, throttle
from survey.config import Config
from survey.errors import Bilingual
from survey.questionnaire import load_dir, parse_bytes
from survey.store import PublishRefused, Store, settings
from survey.store.accounts import ONE_TIME_HOURS

DEFAULT_PUBLIC_URL = "http://localhost:8501"


@dataclass
class Startup:
    store: Store
    config: Config
    # questionnaire problems, one line each: str() English, message(p, lang) to show
    problems: list[Bilingual] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    demo_loaded: bool = False
    demo_skipped: Exception | None = None  # why the first start loaded no demo data
    scheduler: object | None = None  # the snapshot scheduler, when running
    backups: object | None = None  # the backup scheduler (survey/backup_schedule.py)
    first_admin_password: str | None = None  # shown once on the console, must be changed
    # attempt limits: in the database when servers share PostgreSQL, else in this process
    limits: throttle.Limits = field(default_factory=throttle.Limits)

    def public_url(self) -> tuple[str, str]:
        """The address QR codes open, and where it comes from: "config" (SURVEY_PUBLIC_URL or
        secrets.toml), "admin" (saved on the admin page), or "default" (localhost: printed
        codes would not work on a phone, and the admin page says so)."""
        if self.config.public_url:
            return self.config.public_url, "config"
        saved = settings.setting(self.store, settings.PUBLIC_URL)
        return (saved, "admin") if saved else (DEFAULT_PUBLIC_URL, "default")


def publish_dir(store: Store, folder, actor: str = "system") -> tuple[list[str], list[Bilingual]]:
    """Validate and publish every questionnaire in a folder. Returns (published, problems);
    a problem is one line, English as str, Chinese beside it (`message(problem, lang)`)."""
    result = load_dir(folder)
    published, refused = _publish(store, result.valid, actor)
    return published, [p.bilingual() for p in result.problems] + refused


def publish_file(store: Store, data: bytes, name: str,
                 actor: str) -> tuple[list[str], list[Bilingual]]:
    """A questionnaire file uploaded on the 问卷管理 page: validated and published as
    `python -m survey publish FILE` does. Returns (published, problems) as publish_dir."""
    model, problems = parse_bytes(data, name)
    if model is None:
        return [], [p.bilingual() for p in problems]
    return _publish(store, [model], actor)


def _publish(store: Store, questionnaires, actor: str) -> tuple[list[str], list[Bilingual]]:
    published, refused = [], []
    for qn in questionnaires:
        try:
            if store.publish(qn, actor) == "published":
                published.append(qn.ref)
        except PublishRefused as exc:
            refused.append(Bilingual(exc.en, exc.zh))
    return published, refused


def start(config: Config) -> Startup:
    os.umask(0o077)  # the database, its WAL, the snapshot and the key: the service account only
    store = Store(config.store_target, config.code_key)
    _owner_only(config.db_path, config.db_path.with_name(config.db_path.name + ".wal"),
                config.db_path.with_suffix(".key"), config.snapshot)
    # Several app servers may start together on one PostgreSQL: one of them sets up.
    with store.engine.exclusive("first start"):
        first_start = store.is_empty() and not store.questionnaire_versions()
        published, problems = publish_dir(store, config.questionnaire_dir)
        startup = Startup(store, config, problems, published,
                          limits=throttle.Limits.for_store(store, store.code_key))
        if first_start and config.demo_on_first_start:
            try:
                demo.load(store)
                startup.demo_loaded = True
            except demo.DemoUnavailable as exc:  # the folder holds the deployment's own forms
                startup.demo_skipped = exc
        if not store.has_admin() and store.account(FIRST_ADMIN) is None:
            startup.first_admin_password = create_first_admin(store, config.one_time_validity)
    return startup


def _owner_only(*paths) -> None:
    """Files created before umask was set (older versions) become owner-only too."""
    for path in paths:
        try:
            if path.exists() and path.stat().st_mode & 0o077:
                path.chmod(0o600)
        except OSError:
            pass  # not ours to change (e.g. a read-only mount): leave it, the app still runs


FIRST_ADMIN = "admin"


def create_first_admin(store: Store, validity: str = f"valid for {ONE_TIME_HOURS:g} hours") -> str:
    """The first administrator, with a one-time password printed to the console (it must be
    changed at first sign-in, expires as `validity` says; nothing else ever shows it)."""
    from survey.access import one_time_password
    password = one_time_password()
    store.create_account(FIRST_ADMIN, "管理员", "admin", (), password, "system", must_change=True)
    print(f"\n  First start: sign in as '{FIRST_ADMIN}' with the one-time password {password}\n"
          f"  ({validity}; you will be asked to set your own). A new one: python -m "
          f"survey admin reset-password {FIRST_ADMIN}\n", flush=True)
    return password


def start_snapshots(startup: Startup) -> None:
    """Keep data/analytics.duckdb fresh for analysts' own DuckDB clients (app only)."""
    from survey.snapshot_schedule import SnapshotScheduler
    if startup.config.snapshot_minutes > 0 and startup.scheduler is None:
        startup.scheduler = SnapshotScheduler(startup.store, startup.config.snapshot,
                                              startup.config.snapshot_minutes,
                                              k=startup.config.k_anonymity)
        startup.scheduler.start()


_started: dict[str, Startup] = {}
_started_lock = threading.Lock()


def stop(startup: Startup) -> None:
    """End a started store's background threads, then close it (server shutdown, tests)."""
    delivery = reminders.running(startup.store)
    if delivery is not None:
        delivery.stop()
    if startup.scheduler is not None:
        startup.scheduler.stopped.set()
        startup.scheduler.join(15)
    if startup.backups is not None:
        startup.backups.stop()  # a backup under way ends at its next batch, its file removed
    with _started_lock:
        _started.pop(str(startup.config.store_target), None)
    startup.store.close()


def stop_all() -> None:
    """Every store this process started: no thread may still be inside DuckDB when the
    interpreter exits (it aborts: 'terminate called without an active exception')."""
    for startup in list(_started.values()):
        stop(startup)


def running(config: Config) -> Startup | None:
    """This database's running services if started already; never starts them (a monitoring
    probe must not wait for a start-up)."""
    return _started.get(str(config.store_target))


def is_running(startup: Startup) -> bool:
    """False once stop() ended it (a server shutting down; a test that started it ended)."""
    return _started.get(str(startup.config.store_target)) is startup


def started(config: Config) -> Startup:
    """The process's running services for this database: started by the server's lifespan at
    start-up, or by the first page run where there is no server (AppTest). Once per database."""
    key = str(config.store_target)
    with _started_lock:
        if key not in _started:
            startup = start(config)
            start_snapshots(startup)
            from survey import backup_schedule
            startup.backups = backup_schedule.start(startup)  # daily backups, when configured
            reminders.start_delivery(startup)  # the robots' outbox (survey/reminders.py)
            _started[key] = startup
        return _started[key]
