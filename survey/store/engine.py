"""The engines under the store: one object owns the connections, transactions, retries and
migrations of one database, so the store's modules only say what to read and write.

- DuckDBEngine: the embedded file, the zero-setup default for one machine (DuckDB lets one
  process open the file; each thread works through its own cursor).
- PostgresEngine: a PostgreSQL database several app processes share (SURVEY_DATABASE_URL).
  Transactional statements go to PostgreSQL through psycopg; the leaders' figures and the
  analysts' SQL still run in DuckDB, which reads the same tables live through its postgres
  extension (`analytics()`), with the analysts' views defined once, in DuckDB's dialect.

Statements are written once with `?` placeholders in the SQL both engines share; where the
dialects differ a module asks `engine.dialect`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import re
import threading
import time
import urllib.parse
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import duckdb
import pyarrow as pa

from survey.errors import DomainError

MIGRATIONS = {"duckdb": Path(__file__).parent / "migrations",
              "postgres": Path(__file__).parent / "migrations_pg"}
_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
_MIGRATION_LOCK = 7_212_001  # pg_advisory_lock key: one process migrates, the others wait
# A schema level names one state of the schema on either engine, in DuckDB's migration numbers
# (what a backup records): migrations_pg/001-002 build what DuckDB's 001-013 build, and from
# 014 on a PostgreSQL migration has the number of the DuckDB one it matches.
PG_BASELINE = 13


class StoreError(DomainError, RuntimeError):
    """A problem a person can act on; the message says what happened and what to do (in
    English, and in Chinese where a page shows it: StoreError(en, zh))."""


def refuse(*problems) -> None:
    """Raise the first field problem ((en, zh) or None, from survey.fields) as a StoreError."""
    for problem in problems:
        if problem:
            raise StoreError(*problem)


class StoreLockedError(StoreError):
    pass


class NewerSchemaError(StoreError):
    """The database was written by a newer release: permanent until the program is upgraded."""


def is_postgres_url(target) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def open_engine(target, read_only: bool = False):
    """A PostgreSQL URL opens PostgresEngine; anything else is a DuckDB file path."""
    if is_postgres_url(target):
        return PostgresEngine(target)
    return DuckDBEngine(Path(target), read_only)


def migrations(dialect: str) -> list[tuple[int, str, str]]:
    found = []
    for path in sorted(MIGRATIONS[dialect].glob("*.sql")):
        m = _MIGRATION_NAME.match(path.name)
        if m:
            found.append((int(m[1]), path.stem, path.read_text(encoding="utf-8")))
    return found


def schema_level(dialect: str, number: int) -> int:
    """The level a migration number stands for (0: no migration applied)."""
    return max(number, PG_BASELINE) if dialect == "postgres" and number else number


def known_level() -> int:
    """The newest schema level this code can build."""
    return max(number for number, _, _ in migrations("duckdb"))


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class _Engine:
    dialect: str
    label: str  # where the data is, for messages and cache keys (no password)

    def __init__(self):
        self._local = threading.local()
        self._version_lock = threading.Lock()
        self._local_version = 0

    def _bump(self) -> None:
        with self._version_lock:
            self._local_version += 1

    def rows(self, sql: str, params=()) -> list[tuple]:
        with self.errors():
            return self.cursor().execute(sql, params).fetchall()

    def one(self, sql: str, params=()):
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def write(self, work, attempts: int = 8):
        """Run work(cursor) in one transaction, retrying when a concurrent writer won."""
        for attempt in range(attempts):
            try:
                with self.transaction() as cur:
                    return work(cur)
            except DomainError:
                raise
            except Exception as exc:  # noqa: BLE001 - sorted by the engine below
                if not self.retryable(exc) or attempt == attempts - 1:
                    if isinstance(exc, self.native_errors):
                        raise self.friendly(exc) from exc
                    raise
                time.sleep(0.005 * (attempt + 1) * (1 + attempt % 3))

    def analytics_error(self, exc: duckdb.Error) -> StoreError:
        """A failed read in the analytical DuckDB, as a StoreError."""
        first = (str(exc).strip().splitlines() or ["?"])[0]
        return StoreError(f"Database error on {self.label}: {first}")


class DuckDBEngine(_Engine):
    """One process per file: nobody else to exclude."""
    dialect = "duckdb"
    native_errors = (duckdb.Error,)

    def __init__(self, path: Path, read_only: bool = False):
        super().__init__()
        self.path = path
        self.label = str(path)
        self.read_only = read_only
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = duckdb.connect(str(path), read_only=read_only)
        except OSError as exc:
            raise StoreError(f"Cannot create the data folder {path.parent}: {exc.strerror}. "
                             "Set SURVEY_DB to a writable path.") from exc
        except duckdb.Error as exc:
            raise self.friendly(exc) from exc

    @property
    def data_version(self) -> int:
        return self._local_version

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._conn.cursor()
            self._local.cursor = cur
        return cur

    def analytics(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB cursor over the data, for the leaders' figures and the analysts' views."""
        return self.cursor()

    def new_analytics_connection(self) -> duckdb.DuckDBPyConnection:
        return self._conn.cursor()

    @contextmanager
    def transaction(self):
        cur = self.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
            cur.execute("COMMIT")
        except BaseException:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise
        self._bump()

    @contextmanager
    def errors(self):
        try:
            yield
        except (duckdb.IOException, duckdb.FatalException) as exc:
            raise self.friendly(exc) from exc

    def retryable(self, exc: Exception) -> bool:
        # Optimistic concurrency: a concurrent writer won ("Conflict on update", or a key it
        # inserted first, seen at commit). Retrying sees its committed work.
        if isinstance(exc, duckdb.TransactionException):
            return "onflict" in str(exc) or "constraint violation" in str(exc)
        return isinstance(exc, duckdb.ConstraintException)

    def friendly(self, exc: Exception) -> StoreError:
        text, path = str(exc), self.path
        if "Could not set lock" in text or "Conflicting lock" in text:
            pid = re.search(r"PID (\d+)", text)
            who = f" (process {pid[1]})" if pid else ""
            return StoreLockedError(
                f"The database {path} is in use by another program{who}. DuckDB lets only one "
                "program open it at a time. Stop the other program (another `streamlit run`, "
                "`python -m survey ...` or a DuckDB client), or point SURVEY_DB at another "
                "file; analysts should open the snapshot instead. Several app servers share "
                "one database with SURVEY_DATABASE_URL (PostgreSQL).")
        if "Permission denied" in text or "Read-only file system" in text:
            return StoreError(f"Cannot write the database {path}: the folder is read-only. Make "
                              f"{path.parent} writable or set SURVEY_DB to a writable path.")
        if "No space left" in text:
            return StoreError(f"Cannot write the database {path}: the disk is full. Free space "
                              "on the disk, then restart the app. Nothing acknowledged was lost.")
        return StoreError(f"Database error on {path}: {text.splitlines()[0]}")

    def migrate(self, after=None, upto: int | None = None) -> list[str]:
        """Apply every numbered migration not yet applied (up to schema level `upto`, when
        given: a restore loads a backup at its own level), each in its own transaction."""
        cur = self.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                    "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)")
        applied = _apply(self, cur.execute("SELECT version FROM schema_migrations").fetchall(),
                         upto)
        if applied and after:
            after(applied)
        if applied:
            # Keep DDL out of the WAL: DuckDB 1.5.5 fails to replay some DDL (ALTER TABLE once
            # views exist, duckdb/duckdb#20543), which would make the file unopenable after a
            # crash. A checkpoint writes it into the database file itself.
            cur.execute("CHECKPOINT")
        return applied

    @contextmanager
    def exclusive(self, what: str):
        yield

    @contextmanager
    def try_exclusive(self, what: str):
        yield True

    def close(self) -> None:
        self._conn.close()


_ARROW_SCHEMAS: dict[str, pa.Schema] = {}


def insert_many(cur, table: str, rows: list[tuple], tail: str = "") -> None:
    """INSERT INTO table VALUES rows [tail]. On DuckDB through one Arrow table: 15-60x cheaper
    than a multi-row VALUES with bound parameters (shared/design/store-engines.md); on
    PostgreSQL as one pipelined executemany."""
    if not rows:
        return
    if isinstance(cur, _PgCursor):
        marks = ", ".join("?" * len(rows[0]))
        cur.executemany(f"INSERT INTO {table} VALUES ({marks}){tail}", rows)
        return
    schema = _ARROW_SCHEMAS.get(table)
    if schema is None:
        schema = cur.execute(f"SELECT * FROM {table} LIMIT 0").to_arrow_table().schema
        _ARROW_SCHEMAS[table] = schema
    batch = pa.Table.from_arrays(
        [pa.array(column, type=f.type) for column, f in zip(zip(*rows), schema)], schema=schema)
    name = f"_insert_{table}"
    cur.register(name, batch)
    try:
        cur.execute(f"INSERT INTO {table} SELECT * FROM {name}{tail}")
    finally:
        cur.unregister(name)


def insert_columns(cur, table: str, columns, rows: list[tuple]) -> None:
    """Bulk rows into the named columns: Arrow on DuckDB, COPY on PostgreSQL."""
    if not rows:
        return
    if isinstance(cur, _PgCursor):
        with cur.raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    data = pa.table({name: [row[i] for row in rows] for i, name in enumerate(columns)})
    cur.register("_bulk_rows", data)
    try:
        cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {', '.join(columns)} FROM _bulk_rows")
    finally:
        cur.unregister("_bulk_rows")


def is_postgres_cursor(cur) -> bool:
    return isinstance(cur, _PgCursor)


LOCK_BUCKETS = 4096  # keys share this many advisory locks: a big batch takes a bounded number


def lock_keys(cur, keys) -> None:
    """Serialise writers of the same keys until the transaction ends. On PostgreSQL, where
    several processes write, with advisory locks on the keys' hash buckets, all taken in one
    statement in sorted order (so no two writers wait on each other in a circle, and a history
    import of 50,000 rows takes at most LOCK_BUCKETS locks, within PostgreSQL's lock table).
    In the DuckDB file one process writes, and its group commit already serialises."""
    if not isinstance(cur, _PgCursor):
        return
    buckets = sorted({_bucket(key) for key in keys})
    if buckets:
        cur.execute("SELECT count(pg_advisory_xact_lock(7212000000 + b)) FROM "
                    "(SELECT unnest(CAST(? AS BIGINT[])) AS b ORDER BY b) locked", [buckets])


def _bucket(key: str) -> int:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % LOCK_BUCKETS


def newer_schema(found: int, known: int) -> StoreError:
    return NewerSchemaError(
        f"This database was written by a newer release (schema {found}); this program knows up "
        f"to schema {known}. Upgrade the program, or restore a backup made by this release. "
        "Nothing was changed.",
        f"此数据库由更新的版本写入(数据库结构版本 {found}),本程序只认识到版本 {known}。"
        "请升级程序,或恢复由本版本制作的备份。数据库未作任何改动。")


def _apply(engine, done_rows, upto: int | None = None) -> list[str]:
    done = {row[0] for row in done_rows}
    known = migrations(engine.dialect)
    newest = max(number for number, _, _ in known)
    if done and max(done) > newest:
        # An older program must not write to a newer schema (it would not know its tables'
        # rules), nor "migrate" it: it stops before changing anything.
        raise newer_schema(max(done), newest)
    applied = []
    for number, name, sql in known:
        if number in done or (upto is not None and schema_level(engine.dialect, number) > upto):
            continue

        def apply(c, number=number, name=name, sql=sql):
            c.execute(sql)
            c.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [number, name, _now()])
        engine.write(apply, attempts=1)
        applied.append(name)
    return applied


# -- PostgreSQL -----------------------------------------------------------------------------

@lru_cache(maxsize=2048)
def _pg_sql(sql: str) -> str:
    """`?` placeholders to psycopg's `%s` (and a literal % doubled), outside quoted text."""
    out, quote = [], None
    for ch in sql:
        if quote:
            out.append("%%" if ch == "%" else ch)
            if ch == quote:
                quote = None
        elif ch in ("'", '"'):
            quote = ch
            out.append(ch)
        elif ch == "?":
            out.append("%s")
        elif ch == "%":
            out.append("%%")
        else:
            out.append(ch)
    return "".join(out)


class _PgCursor:
    """A psycopg cursor that takes the store's `?` statements and chains like DuckDB's."""

    def __init__(self, conn):
        self._conn = conn
        self._cur = conn.cursor()

    def execute(self, sql: str, params=()):
        if params:
            self._cur.execute(_pg_sql(sql), list(params))
        else:  # without parameters psycopg sends the text as it is (a % stays a %)
            self._cur.execute(sql)
        return self

    def executemany(self, sql: str, rows):
        self._cur.executemany(_pg_sql(sql), [list(r) for r in rows])
        return self

    # Like DuckDB, a statement without a result (INSERT/UPDATE/DELETE) answers one row: the
    # number of rows it changed.
    def fetchall(self) -> list[tuple]:
        if self._cur.description:
            return self._cur.fetchall()
        return [(self._cur.rowcount,)] if self._cur.rowcount >= 0 else []

    def fetchone(self):
        if self._cur.description:
            return self._cur.fetchone()
        return (self._cur.rowcount,) if self._cur.rowcount >= 0 else None

    @property
    def description(self):
        return self._cur.description

    @property
    def raw(self):
        """psycopg's own cursor (COPY)."""
        return self._cur


CONNECT_TIMEOUT_S = 5  # libpq's own default is to wait for TCP (minutes for a lost host)
POOL_WAIT_S = 5.0  # for a pooled connection when all are busy (a deadline-day queue)
AWAY_WAIT_S = 0.5  # ... once the server has not answered


class _PooledCursor:
    """Outside a transaction: each statement borrows a pooled connection (autocommit), keeps
    its whole result and gives the connection back, so no thread holds one between calls."""

    def __init__(self, connection):
        self._connection = connection
        self._rows: list[tuple] = []
        self.description = None

    def execute(self, sql: str, params=()):
        with self._connection() as conn:
            cur = _PgCursor(conn).execute(sql, params)
            self._rows, self.description = cur.fetchall(), cur.description
        return self

    def fetchall(self) -> list[tuple]:
        rows, self._rows = self._rows, []
        return rows

    def fetchone(self):
        return self._rows.pop(0) if self._rows else None


def _server_away() -> StoreError:
    return StoreError("The database server did not answer. What you typed is kept on this "
                      "page; try again in a moment.",
                      "数据库暂时没有响应。您填写的内容仍保留在本页,请稍后再试。")


def redacted(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urllib.parse.urlunsplit(parts)


class PostgresEngine(_Engine):
    dialect = "postgres"
    read_only = False

    def __init__(self, url: str, pool_size: int = 10):
        super().__init__()
        import psycopg
        from psycopg_pool import ConnectionPool, PoolTimeout
        self._psycopg = psycopg
        self._pool_timeout = PoolTimeout
        self.native_errors = (psycopg.Error, PoolTimeout)
        self.url = url
        self.label = redacted(url)
        self.path = self.label  # what messages and cache keys show
        self._analytics_lock = threading.Lock()
        self._analytics_views: list[str] | None = None
        # Streamlit runs every page run in a thread of its own: connections come from a
        # bounded pool (checked before use, so a restarted server is survived), not per thread.
        self._pool = ConnectionPool(
            url, min_size=1, max_size=pool_size, open=False, name="survey",
            kwargs={"autocommit": True, "application_name": "survey-app",
                    "connect_timeout": CONNECT_TIMEOUT_S},
            check=ConnectionPool.check_connection, timeout=POOL_WAIT_S,
            # A lost server is tried again when a page asks, not after the pool's doubling
            # back-off (20 s late after a 40 s outage): each round of tries ends after 2 s.
            reconnect_timeout=2)
        self._away = False  # the last try to reach the server failed
        try:
            self._pool.open(wait=True, timeout=10)
        except (PoolTimeout, psycopg.Error) as exc:
            self._pool.close()
            raise StoreError(
                f"Cannot connect to PostgreSQL at {self.label}. Check SURVEY_DATABASE_URL "
                "(host, port, database, user, password) and that the server is running.",
                f"无法连接 PostgreSQL({self.label}):请检查 SURVEY_DATABASE_URL(主机、端口、"
                "数据库、用户、密码)以及数据库服务是否在运行。") from exc

    def pool_stats(self) -> dict[str, int]:
        """The pool right now (psycopg_pool's counters), for monitoring."""
        stats = self._pool.get_stats()
        return {"size": stats.get("pool_size", 0), "available": stats.get("pool_available", 0),
                "waiting": stats.get("requests_waiting", 0)}

    @contextmanager
    def _connection(self):
        """A pooled connection. While the server is away, callers wait AWAY_WAIT_S for one, not
        POOL_WAIT_S: a page run's several statements then fail in about a second, not in
        10-15 s, and the first that gets a connection ends the short waits."""
        wait = AWAY_WAIT_S if self._away else POOL_WAIT_S
        try:
            with self._pool.connection(timeout=wait) as conn:
                self._away = False
                yield conn
        except (self._psycopg.OperationalError, self._pool_timeout):
            self._away = True
            raise

    def cursor(self) -> _PooledCursor:
        return _PooledCursor(self._connection)

    @property
    def data_version(self) -> int:
        """Advances whenever any process commits a write to the cluster: the next transaction
        id (read-only transactions take none), so caches follow other servers' writes."""
        row = self.one("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")
        return int(row[0])

    @contextmanager
    def transaction(self):
        with self._connection() as conn, conn.transaction():
            yield _PgCursor(conn)
        self._bump()

    @contextmanager
    def errors(self):
        try:
            yield
        except (self._psycopg.OperationalError, self._pool_timeout) as exc:
            raise self.friendly(exc) from exc

    def retryable(self, exc: Exception) -> bool:
        e = self._psycopg.errors
        return isinstance(exc, (e.SerializationFailure, e.DeadlockDetected, e.UniqueViolation,
                                e.LockNotAvailable))

    def friendly(self, exc: Exception) -> StoreError:
        first = (str(exc).strip().splitlines() or ["?"])[0]
        if isinstance(exc, (self._psycopg.OperationalError, self._pool_timeout)):
            return _server_away()
        if isinstance(exc, self._psycopg.errors.DiskFull):
            return StoreError(f"PostgreSQL at {self.label}: the disk is full. Free space on the "
                              "database server. Nothing acknowledged was lost.")
        return StoreError(f"Database error on {self.label}: {first}")

    def analytics_error(self, exc: duckdb.Error) -> StoreError:
        # The postgres extension reports a server it cannot reach as an IO Error, and one that
        # stops during a read as a plain Error ("server closed the connection unexpectedly").
        text = str(exc).lower()
        if isinstance(exc, duckdb.IOException) and "connect" in text or \
                "server closed the connection" in text or "terminating connection" in text:
            return _server_away()
        return super().analytics_error(exc)

    def migrate(self, after=None, upto: int | None = None) -> list[str]:
        """Migrations run once: the first process to start takes an advisory lock, the others
        wait for it and then find nothing left to do. `upto`: as DuckDBEngine.migrate."""
        with self._connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", [_MIGRATION_LOCK])
            try:
                conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer "
                             "PRIMARY KEY, name text NOT NULL, applied_at timestamp NOT NULL)")
                applied = _apply(self, self.rows("SELECT version FROM schema_migrations"), upto)
                if applied and after:
                    after(applied)
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", [_MIGRATION_LOCK])
        return applied

    @contextmanager
    def exclusive(self, what: str):
        """Run a block in one app process at a time (first start, a delivery round): a
        session-level advisory lock named after `what`, held on a connection of its own."""
        conn = self._psycopg.connect(self.url, autocommit=True, application_name="survey-lock")
        try:
            conn.execute("SELECT pg_advisory_lock(hashtextextended(%s, 1))", [what])
            yield
        finally:
            conn.close()  # ends the session, and with it the lock

    @contextmanager
    def try_exclusive(self, what: str):
        """Like exclusive(), but yields False at once when another process holds it."""
        conn = self._psycopg.connect(self.url, autocommit=True, application_name="survey-lock")
        try:
            got = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 1))",
                               [what]).fetchone()[0]
            yield got
        finally:
            conn.close()

    # -- DuckDB over the same tables ---------------------------------------------------------
    def analytics(self) -> duckdb.DuckDBPyConnection:
        """This thread's DuckDB cursor over the PostgreSQL tables (live, read-only), with the
        analysts' views defined in DuckDB's dialect, as in the embedded file."""
        cur = getattr(self._local, "analytics", None)
        if cur is None:
            cur = self.new_analytics_connection()
            self._local.analytics = cur
        return cur

    def new_analytics_connection(self) -> duckdb.DuckDBPyConnection:
        with self._analytics_lock:
            if getattr(self, "_duck", None) is None:
                self._duck = _duckdb_over_postgres(self.url, self.view_definitions())
        cur = self._duck.cursor()
        cur.execute(_SEARCH_PATH)  # a setting of each connection, not of the database
        return cur

    def view_definitions(self) -> list[str]:
        """CREATE VIEW statements of the embedded schema, taken from its own migrations run in
        memory, so the views have one definition for both engines."""
        if self._analytics_views is None:
            con = duckdb.connect()
            for _, _, sql in migrations("duckdb"):
                con.execute(sql)
            self._analytics_views = [sql for (sql,) in con.execute(
                "SELECT sql FROM duckdb_views() WHERE NOT internal ORDER BY view_oid").fetchall()]
            con.close()
        return self._analytics_views

    def close(self) -> None:
        self._pool.close()
        duck = getattr(self, "_duck", None)
        if duck is not None:
            duck.close()
            self._duck = None


EXTENSION_DIR = Path(__file__).resolve().parents[2] / "data" / "duckdb_extensions"


def duckdb_with_postgres(extension_dir: Path = EXTENSION_DIR) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the postgres extension, installed offline from the pinned
    wheel (duckdb-extension-postgres_scanner) into the project's extension folder."""
    con = duckdb.connect(config={"extension_directory": str(extension_dir),
                                 "autoinstall_known_extensions": False})
    try:
        con.execute("LOAD postgres_scanner")
    except duckdb.Error:
        package = Path(importlib.import_module("duckdb_extension_postgres_scanner").__file__)
        binary = (package.parent / "extensions" / f"v{duckdb.__version__}" /
                  "postgres_scanner.duckdb_extension")
        con.execute(f"INSTALL '{binary}'")
        con.execute("LOAD postgres_scanner")
    return con


def libpq_dsn(url: str) -> str:
    """The URL as the key=value string DuckDB's postgres extension takes."""
    import psycopg.conninfo
    return psycopg.conninfo.make_conninfo(url)


# Unqualified names: the views (in memory) first, then PostgreSQL's tables.
_SEARCH_PATH = "SET search_path = 'memory.main,pg.public'"


def attach_postgres(con: duckdb.DuckDBPyConnection, url: str, alias: str,
                    read_only: bool = True) -> None:
    """ATTACH the database at `url` to DuckDB with the password in a DuckDB secret, not in
    the connection string: the extension's errors quote the string they were given
    ('Unable to connect to Postgres at "..."'), and those reach logs and pages."""
    import psycopg.conninfo
    params = psycopg.conninfo.conninfo_to_dict(url)
    params.setdefault("connect_timeout", CONNECT_TIMEOUT_S)  # an unreachable host: not 2 min
    params.setdefault("application_name", "survey-analytics")  # named in pg_stat_activity
    password = params.pop("password", None)
    dsn = psycopg.conninfo.make_conninfo(**params).replace("'", "''")
    options = ["TYPE postgres"] + (["READ_ONLY"] if read_only else [])
    if password is not None:
        secret = f"{alias}_login"
        quoted = str(password).replace("'", "''")
        con.execute(f"CREATE OR REPLACE TEMPORARY SECRET {secret} "
                    f"(TYPE postgres, PASSWORD '{quoted}')")
        options.append(f"SECRET {secret}")
    con.execute(f"ATTACH '{dsn}' AS {alias} ({', '.join(options)})")


def _duckdb_over_postgres(url: str, views: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb_with_postgres()
    con.execute("SET pg_connection_limit = 8")  # per app process, beside psycopg's pool
    attach_postgres(con, url, "pg")
    con.execute(_SEARCH_PATH)
    for sql in views:
        con.execute(sql)
    return con
