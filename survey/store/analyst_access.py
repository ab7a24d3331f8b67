"""Analysts reading PostgreSQL live: the role survey_analyst, which may read the views of schema
`analyst` (survey/store/migrations_pg/002_analyst_schema.sql, one per name in
survey.analyst_views.ANALYST_VIEWS) and nothing else.

PostgreSQL enforces the allow-list: the role gets USAGE on schema analyst and SELECT on those
views only; a view runs with its owner's (the app's) rights, so the role needs, and has, no
right on any table. It inherits nothing and creates nothing, not even temporary tables (TEMP
on the database is taken from PUBLIC). It may not call the advisory-lock functions
(pg_advisory_*, pg_try_advisory_*), with which the app serialises submits, migrations and first
start: they are taken from PUBLIC and given back to the app's own role. Its connections are
capped (CONNECTION LIMIT, shared by all analysts). Its sessions start read-only, with a
statement timeout and an idle-in-transaction timeout: defaults the role may SET otherwise for
itself, not limits (docs/analysts.md). Analysts attach from their own DuckDB clients; the
embedded engine keeps the snapshot file instead.

Taking functions that PostgreSQL owns from PUBLIC needs a superuser (anyone else's REVOKE is
a silent no-op), so the statements run only on a superuser's connection; otherwise they are
printed for one (NotSuperuser, --print-sql).
"""

from __future__ import annotations

import urllib.parse

from survey.analyst_views import ANALYST_VIEWS
from survey.store.engine import StoreError
from survey.store.model import _now

ROLE = "survey_analyst"
SCHEMA = "analyst"
K_SETTING = "analyst_k_anonymity"  # read by analyst.problem_reports; 5 when unset
CONNECTION_LIMIT = 5  # all analysts together; an analyst's DuckDB uses 1-3 (docs/analysts.md)
# Session defaults of the role (it may SET its own: defaults, not caps)
SESSION_DEFAULTS = {"default_transaction_read_only": "on", "statement_timeout": "5min",
                    "idle_in_transaction_session_timeout": "10min",
                    # one core per analyst query: five heavy ones with parallel workers took
                    # a cadre's revision from 1.1 to 4 s in a try-out
                    "max_parallel_workers_per_gather": "0"}
# Functions of PUBLIC that only the app keeps: every overload of pg_advisory_* and
# pg_try_advisory_* (lock, unlock, shared, xact); those that create large objects (rows of
# pg_largeobject: the one write left to a role without rights once it turns read-only off);
# pg_logical_emit_message, which writes any amount to the WAL even in a read-only session
# (200 MB in 1.3 s in a try-out); and those that assign a transaction id (the app's data
# version follows them: an analyst calling them in a loop would empty every server's caches).
_APP_ONLY = (r"p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%' OR "
             "p.proname IN ('lo_creat', 'lo_create', 'lo_from_bytea', "
             "'pg_logical_emit_message', 'txid_current', 'pg_current_xact_id')")


class NotSuperuser(StoreError):
    """The command's connection may not run the statements; they are for a superuser."""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _require_postgres(store) -> None:
    if store.dialect != "postgres":
        raise StoreError("The analysts' role is for the PostgreSQL engine (SURVEY_DATABASE_URL). "
                         "On the embedded DuckDB file analysts open the snapshot "
                         "(python -m survey snapshot; docs/analysts.md).")


def password_verifier(store, password: str) -> str:
    """The SCRAM-SHA-256 verifier of the password, computed here: the statement sent (or
    printed) never holds the password itself, so no server log can show it."""
    with store.engine.transaction() as cur:  # libpq's PQencryptPasswordConn on a connection
        pgconn = cur.raw.connection.pgconn
        return pgconn.encrypt_password(password.encode(), ROLE.encode(),
                                       b"scram-sha-256").decode()


def app_roles(store) -> list[str]:
    """The roles the app works as that keep the advisory locks: the user of the command's
    connection (the app's URL) and the owner of the app's tables (who migrated them), when
    not superusers (a superuser needs no grant)."""
    rows = store._rows(
        "SELECT rolname FROM pg_roles WHERE NOT rolsuper AND rolname IN (current_user, "
        "(SELECT tableowner FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename = 'schema_migrations')) ORDER BY rolname")
    return [name for (name,) in rows]


def role_statements(store, password: str, k: int, actor: str,
                    connection_limit: int = CONNECTION_LIMIT) -> list[str]:
    """The statements that create or update the role, give it exactly the analysts' views of
    this database, take from it (and from PUBLIC) the advisory locks and temporary tables, cap
    its connections and record the small-group threshold k that analyst.problem_reports
    applies. Run as one transaction by a superuser: by the command when its connection is
    one, else printed for a database administrator. Running them again gives the same state."""
    _require_postgres(store)
    if int(connection_limit) < 1:
        raise StoreError("The analysts' connection limit must be at least 1.",
                         "分析人员的连接数上限至少为 1。")
    database = _ident(store._one("SELECT current_database()")[0])
    views = ", ".join(f"{SCHEMA}.{_ident(name)}" for name in ANALYST_VIEWS)
    keep = ", ".join(_literal(name) for name in app_roles(store))
    settings = [f"ALTER ROLE {ROLE} SET {name} = {_literal(value)}"
                for name, value in SESSION_DEFAULTS.items()]
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN "
        f"CREATE ROLE {ROLE} LOGIN; END IF; END $$",
        f"ALTER ROLE {ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
        f"NOREPLICATION NOBYPASSRLS CONNECTION LIMIT {int(connection_limit)} "
        f"PASSWORD {_literal(password_verifier(store, password))}",
        # whatever the role set for itself (it may): the defaults below and nothing else
        f"ALTER ROLE {ROLE} RESET ALL",
        f"ALTER ROLE {ROLE} IN DATABASE {database} RESET ALL",
        *settings,
        f"REVOKE ALL ON DATABASE {database} FROM {ROLE}",
        f"GRANT CONNECT ON DATABASE {database} TO {ROLE}",
        # no temporary tables for anyone but the database's owner (the app needs none)
        f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC",
        # the advisory locks: the app's alone (4,096 submit buckets, migrations, first start)
        # and, to leave the role no write at all, the large objects
        "DO $$ DECLARE f regprocedure; r text; BEGIN "
        "FOR f IN SELECT p.oid::regprocedure FROM pg_proc p "
        f"WHERE p.pronamespace = 'pg_catalog'::regnamespace AND ({_APP_ONLY}) LOOP "
        f"EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, {ROLE}', f); "
        f"FOREACH r IN ARRAY ARRAY[{keep}]::text[] LOOP "
        "EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, r); END LOOP; "
        "END LOOP; END $$",
        # whatever it may have been given on tables before: nothing there now
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM {ROLE}",
        f"GRANT USAGE ON SCHEMA {SCHEMA} TO {ROLE}",
        f"GRANT SELECT ON {views} TO {ROLE}",
        f"INSERT INTO app_setting VALUES ('{K_SETTING}', '{int(k)}', "
        f"{_literal(_now().isoformat(sep=' '))}, {_literal(actor)}) ON CONFLICT (name) DO UPDATE "
        "SET value = excluded.value, updated_at = excluded.updated_at, "
        "updated_by = excluded.updated_by",
    ]


def script(statements: list[str]) -> str:
    """The statements as one transaction, for psql."""
    return "\n".join(["BEGIN;", *(sql + ";" for sql in statements), "COMMIT;"])


def _require_superuser(store) -> None:
    user, database, superuser = store._one(
        "SELECT current_user, current_database(), current_setting('is_superuser')")
    if superuser == "on":
        return
    raise NotSuperuser(
        f"The database user {user} (SURVEY_DATABASE_URL) is not a PostgreSQL superuser, and "
        "only a superuser can set up the analysts' role: it takes the advisory-lock functions "
        "(pg_advisory_*), which PostgreSQL owns, away from other users. Nothing was changed. "
        "The statements for one are on standard output (python -m survey analyst-role > "
        "analyst-role.sql keeps them; the password stays on the terminal): have a database "
        f"administrator run them as a superuser in database {database}: psql -U postgres "
        f"-d {database} -v ON_ERROR_STOP=1 -f analyst-role.sql",
        f"数据库用户 {user}(SURVEY_DATABASE_URL)不是 PostgreSQL 超级用户,无法设置分析人员角色:"
        "只有超级用户才能收回其他用户调用咨询锁函数(pg_advisory_*)的权限。未做任何更改。"
        "所需语句已输出到标准输出(python -m survey analyst-role > analyst-role.sql 可保存,"
        "密码只显示在终端上):请数据库管理员以超级用户身份在数据库 "
        f"{database} 中执行:psql -U postgres -d {database} -v ON_ERROR_STOP=1 "
        "-f analyst-role.sql")


def grant_analyst_role(store, password: str, k: int, actor: str,
                       connection_limit: int = CONNECTION_LIMIT) -> None:
    """Run role_statements in one transaction, audit-logged; NotSuperuser (nothing changed)
    when the store's connection is not a superuser's."""
    _require_postgres(store)
    _require_superuser(store)
    statements = role_statements(store, password, k, actor, connection_limit)

    def work(cur):
        for sql in statements:
            cur.execute(sql)
        store._audit(cur, actor, "analyst_role", ROLE,
                     {"views": list(ANALYST_VIEWS), "k": k, "connection_limit": connection_limit})
    store._write(work, attempts=1)


def _conninfo_value(value: str) -> str:
    """A value in a libpq key=value string: as it is when plain, else quoted."""
    if value and all(ch.isalnum() or ch in "_.-~" for ch in value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def attach_statement(store, password: str = "...") -> str:
    """What an analyst types in DuckDB to attach this database: host, port and database name
    of the app's URL, the analysts' role, only schema analyst, read-only."""
    _require_postgres(store)
    parts = urllib.parse.urlsplit(store.engine.url)
    dsn = (f"host={parts.hostname or 'localhost'} port={parts.port or 5432} "
           f"dbname={urllib.parse.unquote(parts.path.lstrip('/')) or 'postgres'} "
           f"user={ROLE} password={_conninfo_value(password)}")
    return (f"ATTACH {_literal(dsn)} AS survey (TYPE postgres, READ_ONLY, SCHEMA '{SCHEMA}');")
