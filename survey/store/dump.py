"""Every table of the database out as Arrow batches (a backup) and back in from Parquet files
(a restore), on both engines, through DuckDB. What goes between is engine-neutral, so a backup
of the DuckDB file restores into PostgreSQL and back (survey/backup.py writes and reads it).

Tables are read from the catalog, never listed here: a table a later migration adds is in the
next backup without a change here. schema_migrations is not copied: a restore builds the schema
with its own migrations at the backup's level, loads the rows, then migrates on. The rollups
(kept_slot, point_month) are copied like the rest: rebuilding them at M scale takes ~6 minutes
(measured: 239 s + 107 s), loading them seconds.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from survey.store.respondents import CODE_KEY_FINGERPRINT
from survey.store.engine import (StoreError, attach_postgres, duckdb_with_postgres, open_engine,
                                 schema_level)

NOT_COPIED = {"schema_migrations"}
BATCH_ROWS = 122_880  # DuckDB's row group: bounded memory whatever the table's size
_NEXTVAL = re.compile(r"nextval\('([^']+)'")


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type), in the table's order


class Snapshot:
    """One read transaction over every table: on the DuckDB file DuckDB's MVCC snapshot (the
    app's writers go on meanwhile); on PostgreSQL the postgres extension holds one REPEATABLE
    READ transaction for every statement of a DuckDB transaction (postgres_query too)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, dialect: str, catalog: str, schema: str):
        self.con, self.dialect, self.catalog, self.schema = con, dialect, catalog, schema
        rows = con.execute(
            "SELECT t.table_name, list(c.column_name ORDER BY c.column_index), "
            "list(c.data_type ORDER BY c.column_index) FROM duckdb_tables() t "
            "JOIN duckdb_columns() c ON c.database_name = t.database_name "
            "AND c.schema_name = t.schema_name AND c.table_name = t.table_name "
            "WHERE t.database_name = ? AND t.schema_name = ? AND NOT t.temporary "
            "GROUP BY t.table_name ORDER BY t.table_name", [catalog, schema]).fetchall()
        self.tables = [Table(name, tuple(zip(names, types))) for name, names, types in rows
                       if name not in NOT_COPIED]

    def _name(self, table: str) -> str:
        return f"{quoted(self.catalog)}.{quoted(self.schema)}.{quoted(table)}"

    def batches(self, table: Table):
        """The table's rows as an Arrow RecordBatchReader (streamed, in batches)."""
        return self.con.execute(f"SELECT * FROM {self._name(table.name)}").to_arrow_reader(
            BATCH_ROWS)

    def migrations(self) -> list[int]:
        return [v for (v,) in self.con.execute(
            f"SELECT version FROM {self._name('schema_migrations')} ORDER BY 1").fetchall()]

    def level(self) -> int:
        applied = self.migrations()
        return schema_level(self.dialect, max(applied)) if applied else 0

    def sequences(self) -> dict[str, int]:
        """Each sequence's last value (none yet: 0), so a restore goes on after it."""
        if self.dialect == "postgres":
            rows = self.con.execute(
                "SELECT * FROM postgres_query(?, 'SELECT sequencename::text, last_value "
                "FROM pg_sequences WHERE schemaname = ''public''')", [self.catalog]).fetchall()
        else:
            rows = self.con.execute("SELECT sequence_name, last_value FROM duckdb_sequences() "
                                    "WHERE database_name = ? AND schema_name = ?",
                                    [self.catalog, self.schema]).fetchall()
        return {name: int(value or 0) for name, value in rows}

    def period_range(self) -> tuple[str | None, str | None]:
        """The first and last period reported (what a restore says it brought back)."""
        if not any(t.name == "submission" for t in self.tables):
            return None, None
        first, last = self.con.execute(
            f"SELECT min(period_start), max(period_start) FROM {self._name('submission')}"
        ).fetchone()
        return (first.isoformat() if first else None, last.isoformat() if last else None)


@contextmanager
def snapshot(store):
    """A consistent read of every table of the store's database, while it keeps working."""
    engine = store.engine
    if engine.dialect == "postgres":
        con = duckdb_with_postgres()
        attach_postgres(con, engine.url, "pg")  # read-only, REPEATABLE READ (the default)
        catalog, schema = "pg", "public"
    else:
        con = engine.new_analytics_connection()  # a cursor of the app's own connection
        catalog, schema = con.execute("SELECT current_database()").fetchone()[0], "main"
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield Snapshot(con, engine.dialect, catalog, schema)
        finally:
            con.execute("ROLLBACK")  # it only read
    except duckdb.Error as exc:
        raise engine.analytics_error(exc) from exc
    finally:
        con.close()


# -- restore --------------------------------------------------------------------------------

def open_target(target):
    """The target database's engine, without migrating it (a Store would)."""
    return open_engine(target)


def target_level(engine) -> int:
    """The target's schema level (0: no schema yet), without changing it."""
    if "schema_migrations" not in _table_names(engine):
        return 0
    applied = [v for (v,) in engine.rows("SELECT version FROM schema_migrations")]
    return schema_level(engine.dialect, max(applied)) if applied else 0


def _table_names(engine) -> set[str]:
    if engine.dialect == "postgres":
        return {n for (n,) in engine.rows("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'public'")}
    return {n for (n,) in engine.rows("SELECT table_name FROM duckdb_tables() "
                                      "WHERE database_name = current_database()")}


def tables(engine) -> dict[str, list[str]]:
    """Table -> column names in order, as the target engine has them (not schema_migrations)."""
    if engine.dialect == "postgres":
        rows = engine.rows(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
            "ORDER BY c.table_name, c.ordinal_position")
    else:
        rows = engine.rows("SELECT c.table_name, c.column_name FROM duckdb_columns() c "
                           "JOIN duckdb_tables() t USING (database_name, schema_name, table_name) "
                           "WHERE c.database_name = current_database() AND c.schema_name = 'main' "
                           "AND NOT t.temporary ORDER BY c.table_name, c.column_index")
    found: dict[str, list[str]] = {}
    for table, column in rows:
        if table not in NOT_COPIED:
            found.setdefault(table, []).append(column)
    return found


def row_counts(engine, names=None) -> dict[str, int]:
    return {name: engine.one(f"SELECT count(*) FROM {quoted(name)}")[0]
            for name in (names if names is not None else tables(engine))}


def holding_data(engine) -> list[str]:
    """The tables with rows, besides what opening a database records about itself (its code
    key's fingerprint)."""
    found = []
    for name, rows in row_counts(engine).items():
        if name == "app_setting":
            rows = engine.one("SELECT count(*) FROM app_setting WHERE name <> ?",
                              [CODE_KEY_FINGERPRINT])[0]
        if rows:
            found.append(name)
    return found


def load(engine, parts: dict[str, tuple[Path, list[str]]], atomic: bool = True) -> None:
    """Each table's rows from its Parquet file, in ONE transaction: what the tables held is
    deleted first (the restore checked it may be), so a failure leaves them as they were.
    parts: table -> (Parquet file, its columns). atomic=False (a DuckDB file being built,
    not yet in place): one transaction per table, which DuckDB commits much faster than one
    transaction of everything (measured at M: see docs/performance.md)."""
    def statements(prefix: str):
        for table, (path, columns) in parts.items():
            names = ", ".join(quoted(c) for c in columns)
            source = "'" + str(path).replace("'", "''") + "'"
            yield f"DELETE FROM {prefix}{quoted(table)}"
            yield (f"INSERT INTO {prefix}{quoted(table)} ({names}) "
                   f"SELECT {names} FROM read_parquet({source})")

    if engine.dialect == "postgres":
        con = duckdb_with_postgres()
        try:
            attach_postgres(con, engine.url, "pg", read_only=False)
            con.execute("BEGIN TRANSACTION")
            for sql in statements("pg.public."):
                con.execute(sql)
            con.execute("COMMIT")
        except duckdb.Error as exc:
            raise StoreError(f"Loading the backup into {engine.label} failed, nothing was "
                             f"loaded: {str(exc).splitlines()[0]}",
                             f"向 {engine.label} 载入备份失败,未载入任何数据:"
                             f"{str(exc).splitlines()[0]}") from exc
        finally:
            con.close()
    elif atomic:
        def work(cur):
            for sql in statements(""):
                cur.execute(sql)
        engine.write(work, attempts=1)
    else:
        for sql in statements(""):
            engine.write(lambda cur, sql=sql: cur.execute(sql), attempts=1)


def advance_sequences(engine, recorded: dict[str, int]) -> None:
    """Each sequence to after the backup's last value and after every value in the columns
    that draw from it, so new rows (audit entries, review events) get new ids."""
    if engine.dialect == "postgres":
        defaults = engine.rows("SELECT table_name, column_name, column_default FROM "
                               "information_schema.columns WHERE table_schema = 'public' "
                               "AND column_default LIKE 'nextval(%'")
        current = dict(engine.rows("SELECT sequencename::text, coalesce(last_value, 0) "
                                   "FROM pg_sequences WHERE schemaname = 'public'"))
    else:
        defaults = engine.rows("SELECT table_name, column_name, column_default FROM "
                               "duckdb_columns() WHERE database_name = current_database() "
                               "AND column_default LIKE 'nextval(%'")
        current = dict(engine.rows("SELECT sequence_name, coalesce(last_value, 0) FROM "
                                   "duckdb_sequences() WHERE database_name = current_database()"))
    wanted = {name: recorded.get(name, 0) for name in current}
    for table, column, default in defaults:
        match = _NEXTVAL.search(default)
        if match and match[1].split(".")[-1] in wanted:
            top = engine.one(f"SELECT max({quoted(column)}) FROM {quoted(table)}")[0]
            name = match[1].split(".")[-1]
            wanted[name] = max(wanted[name], int(top or 0))
    for name, value in wanted.items():
        if value <= current[name]:
            continue
        if engine.dialect == "postgres":
            engine.one("SELECT setval(?, ?)", [name, value])
        else:  # DuckDB has no setval: draw the numbers in between (30 ms per million)
            engine.one(f"SELECT max(nextval('{name}')) FROM range(?)", [value - current[name]])
