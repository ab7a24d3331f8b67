"""Configuration, resolved once at start-up and passed explicitly.

Sources, strongest first: environment variables (SURVEY_DB or SURVEY_DATABASE_URL,
SURVEY_CODE_KEY, SURVEY_K,
SURVEY_DEMO, SURVEY_SNAPSHOT, SURVEY_SNAPSHOT_MINUTES, SURVEY_SQL_TIMEOUT, SURVEY_SQL_ROWS,
SURVEY_PUBLIC_URL, SURVEY_IDLE_MINUTES, SURVEY_TRUSTED_PROXIES, SURVEY_ONE_TIME_HOURS,
SURVEY_METRICS_FROM, SURVEY_METRICS_TOKEN, SURVEY_BACKUP_DIR, SURVEY_BACKUP_PASSPHRASE,
SURVEY_BACKUP_TIME, SURVEY_BACKUP_KEEP),
then .streamlit/secrets.toml ([survey] code_key, backup_passphrase), then defaults. The key that
turns respondent codes into pseudonyms is generated on first start, beside the database, if
no other source gives one.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "survey.duckdb"


class ConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class Config:
    db_path: Path
    questionnaire_dir: Path
    code_key: bytes
    k_anonymity: int = 5
    demo_on_first_start: bool = True
    snapshot_path: Path | None = None  # default: analytics.duckdb beside the database
    snapshot_minutes: float = 5.0  # refresh the snapshot at most this often; 0 = never
    sql_timeout_s: float = 30.0
    sql_rows: int = 10_000
    public_url: str | None = None  # what QR codes open; None: an admin's setting, else localhost
    idle_minutes: float = 30.0  # staff sessions end after this long without activity
    trusted_proxies: tuple = ()  # reverse proxies whose X-Forwarded-For is believed
    database_url: str | None = None  # PostgreSQL shared by several app servers; None: db_path
    one_time_hours: float = 72.0  # a one-time password (first admin, reset) expires after this
    one_time_hours_raised: bool = False  # SURVEY_ONE_TIME_HOURS was below 1: raised to 1

    @property
    def one_time_validity(self) -> str:
        """'valid for 72 hours', and why it is 1 hour when the setting asked for less."""
        from survey.store.accounts import hours_en
        return f"valid for {hours_en(self.one_time_hours)}" + (
            "; SURVEY_ONE_TIME_HOURS below 1 is raised to 1" if self.one_time_hours_raised else "")
    metrics_from: tuple = ()  # networks besides this machine that may read /metrics
    metrics_token: str | None = None  # or a bearer token that may (docs/operations.md)
    # what is wrong with SURVEY_METRICS_FROM / _TOKEN: /metrics then answers this machine only
    # (a monitoring typo must not stop the cadres' app); logged at start and said on /metrics
    metrics_problems: tuple = ()
    backup_dir: Path | None = None  # daily backups (docs/operations.md); default: backups/ beside db
    backup_passphrase: str | None = field(default=None, repr=False)  # None: no scheduled backups
    backup_time: dt.time = dt.time(2, 0)  # the daily backup's local time
    backup_keep: tuple[int, int, int] = (7, 4, 12)  # daily, weekly, monthly backups kept

    @property
    def store_target(self):
        """What Store() opens: the PostgreSQL URL when one is set, else the DuckDB file."""
        return self.database_url or self.db_path

    @property
    def backups(self) -> Path:
        return self.backup_dir or self.db_path.with_name("backups")

    @property
    def snapshot(self) -> Path:
        return self.snapshot_path or self.db_path.with_name("analytics.duckdb")


def read_secrets(root: Path = PROJECT_ROOT) -> dict:
    path = root / ".streamlit" / "secrets.toml"
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read secrets ({exc}); fix or remove the file") from exc


def resolve(env: dict | None = None, root: Path = PROJECT_ROOT, need_key: bool = True) -> Config:
    """need_key=False (a restore, which brings the key; validate, which opens no database): code_key is the key given explicitly
    (SURVEY_CODE_KEY, secrets.toml), else b"", and no key file is created."""
    env = dict(os.environ if env is None else env)
    survey_secrets = read_secrets(root).get("survey", {})
    db_path = Path(env.get("SURVEY_DB") or DEFAULT_DB).expanduser().resolve()
    key = env.get("SURVEY_CODE_KEY") or survey_secrets.get("code_key")
    url = (env.get("SURVEY_DATABASE_URL") or survey_secrets.get("database_url") or "").strip()
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise ConfigError("SURVEY_DATABASE_URL must be a PostgreSQL URL, e.g. "
                          "postgresql://survey_app:PASSWORD@db.example:5432/survey")
    if url and not key and need_key:
        raise ConfigError("with SURVEY_DATABASE_URL every app server must turn codes into the "
                          "same pseudonyms: give all of them one SURVEY_CODE_KEY (e.g. "
                          "`python -c 'import secrets; print(secrets.token_hex(32))'`)")
    try:
        k = int(env.get("SURVEY_K") or survey_secrets.get("k_anonymity") or 5)
    except ValueError as exc:
        raise ConfigError("SURVEY_K must be a whole number, e.g. 5") from exc
    demo = (env.get("SURVEY_DEMO") or "1").strip().lower() not in ("0", "false", "no", "off")
    try:
        minutes = float(env.get("SURVEY_SNAPSHOT_MINUTES") or 5)
        timeout = float(env.get("SURVEY_SQL_TIMEOUT") or 30)
        rows = int(env.get("SURVEY_SQL_ROWS") or 10_000)
    except ValueError as exc:
        raise ConfigError("SURVEY_SNAPSHOT_MINUTES, SURVEY_SQL_TIMEOUT and SURVEY_SQL_ROWS must "
                          "be numbers") from exc
    return Config(
        db_path=db_path,
        questionnaire_dir=Path(env.get("SURVEY_QUESTIONNAIRES") or root / "questionnaires"),
        code_key=key.encode("utf-8") if key else _key_file(db_path) if need_key else b"",
        k_anonymity=max(k, 1),
        demo_on_first_start=demo,
        snapshot_path=Path(env["SURVEY_SNAPSHOT"]).expanduser().resolve()
        if env.get("SURVEY_SNAPSHOT") else None,
        snapshot_minutes=max(minutes, 0.0),
        sql_timeout_s=max(timeout, 1.0),
        sql_rows=max(rows, 1),
        public_url=env.get("SURVEY_PUBLIC_URL") or survey_secrets.get("public_url") or None,
        idle_minutes=_number(env, "SURVEY_IDLE_MINUTES", 30.0, minimum=1.0),
        trusted_proxies=_trusted(env.get("SURVEY_TRUSTED_PROXIES")
                                 or survey_secrets.get("trusted_proxies")),
        database_url=url or None,
        one_time_hours=_number(env, "SURVEY_ONE_TIME_HOURS", 72.0, minimum=1.0),
        one_time_hours_raised=_number(env, "SURVEY_ONE_TIME_HOURS", 72.0, minimum=0.0) < 1.0,
        **_metrics_access(env),
        backup_dir=Path(env["SURVEY_BACKUP_DIR"]).expanduser().resolve()
        if env.get("SURVEY_BACKUP_DIR") else None,
        backup_passphrase=env.get("SURVEY_BACKUP_PASSPHRASE")
        or survey_secrets.get("backup_passphrase") or None,
        backup_time=_time_of_day(env.get("SURVEY_BACKUP_TIME") or "02:00"),
        backup_keep=_keep(env.get("SURVEY_BACKUP_KEEP") or "7,4,12"),
    )


def _time_of_day(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError as exc:
        raise ConfigError("SURVEY_BACKUP_TIME must be a time of day, e.g. 02:00") from exc


def _keep(text: str) -> tuple[int, int, int]:
    try:
        daily, weekly, monthly = (int(part) for part in text.split(","))
    except ValueError as exc:
        raise ConfigError("SURVEY_BACKUP_KEEP must be three whole numbers: daily, weekly and "
                          "monthly backups to keep, e.g. 7,4,12") from exc
    if min(daily, weekly, monthly) < 0 or daily < 1:
        raise ConfigError("SURVEY_BACKUP_KEEP: keep at least 1 daily backup, e.g. 7,4,12")
    return daily, weekly, monthly


def _number(env: dict, name: str, default: float, minimum: float) -> float:
    try:
        return max(float(env.get(name) or default), minimum)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, e.g. {default:g}") from exc


def _trusted(text, name: str = "SURVEY_TRUSTED_PROXIES") -> tuple:
    from survey.client_address import parse_trusted
    try:
        return parse_trusted(",".join(text) if isinstance(text, list) else text)
    except ValueError as exc:
        raise ConfigError(f"{name}: {exc}") from exc


def existing_key(db_path: Path) -> bytes | None:
    """The key file beside the database if there is one (read-only commands create none)."""
    path = db_path.with_suffix(".key")
    return _key_file(db_path) if path.is_file() else None


METRICS_TOKEN_MIN = 16


def _metrics_access(env: dict) -> dict:
    """SURVEY_METRICS_FROM and SURVEY_METRICS_TOKEN, each dropped (metrics stays local-only)
    with a problem in Chinese and English when it is wrong, instead of stopping the app."""
    from survey.errors import Bilingual
    problems = []
    try:
        networks = _trusted(env.get("SURVEY_METRICS_FROM"), "SURVEY_METRICS_FROM")
    except ConfigError as exc:
        networks = ()
        problems.append(Bilingual(
            f"{exc}; /metrics answers this machine only until SURVEY_METRICS_FROM is fixed",
            f"{exc}(SURVEY_METRICS_FROM 设置有误);改正之前 /metrics 只对本机开放"))
    token = (env.get("SURVEY_METRICS_TOKEN") or "").strip() or None
    if token and len(token) < METRICS_TOKEN_MIN:
        token = None
        problems.append(Bilingual(
            f"SURVEY_METRICS_TOKEN is shorter than {METRICS_TOKEN_MIN} characters, so it is not "
            "used: give a long random string (e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(32))'`)",
            f"SURVEY_METRICS_TOKEN 少于 {METRICS_TOKEN_MIN} 个字符,未启用:请设一个足够长的随机字符串"
            "(例如 `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"))
    return {"metrics_from": networks, "metrics_token": token, "metrics_problems": tuple(problems)}


def _key_file(db_path: Path) -> bytes:
    """The pseudonymisation key kept beside the database (created once, never committed)."""
    path = db_path.with_suffix(".key")
    try:
        if path.exists():
            return path.read_text(encoding="ascii").strip().encode("ascii")
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
        return key.encode("ascii")
    except OSError as exc:
        raise ConfigError(
            f"cannot create the key file {path}: {exc.strerror}. Make the data folder "
            f"{path.parent} writable, or set SURVEY_DB to a writable place, or give the key "
            "in SURVEY_CODE_KEY / .streamlit/secrets.toml [survey] code_key") from exc
