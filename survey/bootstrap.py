"""Start-up: open the store, publish the questionnaires on disk, seed demo data on first start.

A broken questionnaire never stops the app: the valid ones are published and the problems are
returned for the admin side to show.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from survey import demo
from survey.config import Config
from survey.questionnaire import load_dir
from survey.store import PublishRefused, Store


@dataclass
class Startup:
    store: Store
    config: Config
    problems: list[str] = field(default_factory=list)  # questionnaire problems, one line each
    published: list[str] = field(default_factory=list)
    demo_loaded: bool = False
    scheduler: object | None = None  # the snapshot scheduler, when running
    first_admin_password: str | None = None  # shown once on the console, must be changed


def publish_dir(store: Store, folder, actor: str = "system") -> tuple[list[str], list[str]]:
    """Validate and publish every questionnaire in a folder. Returns (published, problems)."""
    result = load_dir(folder)
    problems = [str(p) for p in result.problems]
    published = []
    for qn in result.valid:
        try:
            if store.publish(qn, actor) == "published":
                published.append(qn.ref)
        except PublishRefused as exc:
            problems.append(str(exc))
    return published, problems


def start(config: Config) -> Startup:
    store = Store(config.db_path, config.code_key)
    first_start = store.is_empty() and not store.questionnaire_versions()
    published, problems = publish_dir(store, config.questionnaire_dir)
    startup = Startup(store, config, problems, published)
    if first_start and config.demo_on_first_start:
        demo.load(store)
        startup.demo_loaded = True
    if not store.has_admin() and store.account(FIRST_ADMIN) is None:
        startup.first_admin_password = create_first_admin(store)
    return startup


FIRST_ADMIN = "admin"


def create_first_admin(store: Store) -> str:
    """The first administrator, with a one-time password printed to the console (it must be
    changed at first sign-in; nothing else ever shows it)."""
    from survey.access import one_time_password
    password = one_time_password()
    store.create_account(FIRST_ADMIN, "管理员", "admin", (), password, "system", must_change=True)
    print(f"\n  First start: sign in as '{FIRST_ADMIN}' with the one-time password {password}\n"
          "  (you will be asked to set your own). Or create one: python -m survey admin create\n",
          flush=True)
    return password


def start_snapshots(startup: Startup) -> None:
    """Keep data/analytics.duckdb fresh for analysts' own DuckDB clients (app only)."""
    from survey.snapshots import SnapshotScheduler
    if startup.config.snapshot_minutes > 0 and startup.scheduler is None:
        startup.scheduler = SnapshotScheduler(startup.store, startup.config.snapshot,
                                              startup.config.snapshot_minutes)
        startup.scheduler.start()
