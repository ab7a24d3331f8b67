"""Analysts reading PostgreSQL live: the role survey_analyst, which may read the views of schema
`analyst` (survey/store/migrations_pg/002_analyst_schema.sql, one per name in
survey.analyst_views.ANALYST_VIEWS) and nothing else.

PostgreSQL enforces the allow-list: the role gets USAGE on schema analyst and SELECT on those
views only; a view runs with its owner's (the app's) rights, so the role needs, and has, no
right on any table. Its transactions are read-only by default, it inherits nothing, it creates
nothing. Analysts attach from their own DuckDB clients (docs/analysts.md); the embedded
engine keeps the snapshot file instead.
"""

from __future__ import annotations

import urllib.parse

from survey.analyst_views import ANALYST_VIEWS
from survey.store.engine import StoreError
from survey.store.model import _now

ROLE = "survey_analyst"
SCHEMA = "analyst"
K_SETTING = "analyst_k_anonymity"  # read by analyst.problem_reports; 5 when unset


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


def role_statements(store, password: str, k: int, actor: str) -> list[str]:
    """The statements that create or update the role, give it exactly the analysts' views of
    this database and record the small-group threshold k that analyst.problem_reports applies
    (run by the app's database user when it may create roles, or printed for a database
    administrator)."""
    _require_postgres(store)
    database = store._one("SELECT current_database()")[0]
    views = ", ".join(f"{SCHEMA}.{_ident(name)}" for name in ANALYST_VIEWS)
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN "
        f"CREATE ROLE {ROLE} LOGIN; END IF; END $$",
        f"ALTER ROLE {ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT "
        f"NOREPLICATION NOBYPASSRLS PASSWORD {_literal(password_verifier(store, password))}",
        f"ALTER ROLE {ROLE} SET default_transaction_read_only = on",
        f"GRANT CONNECT ON DATABASE {_ident(database)} TO {ROLE}",
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


def grant_analyst_role(store, password: str, k: int, actor: str) -> None:
    """Run role_statements in one transaction, audit-logged."""
    statements = role_statements(store, password, k, actor)

    def work(cur):
        for sql in statements:
            cur.execute(sql)
        store._audit(cur, actor, "analyst_role", ROLE, {"views": list(ANALYST_VIEWS), "k": k})
    try:
        store._write(work, attempts=1)
    except StoreError as exc:
        if "permission denied" in str(exc) or "must have" in str(exc).lower():
            raise StoreError(f"{exc}. The app's database user may not create roles: print the "
                             "statements with --print-sql and have a database administrator "
                             "run them.") from exc
        raise


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
