"""Analysts' SQL, read-only and sandboxed.

Queries run on the analytics snapshot, opened read-only in its own DuckDB instance with
external access disabled and the configuration locked: no write, no file or network read, no
ATTACH, INSTALL, LOAD or SET can succeed there whatever the text says. In front of that, each
text is classified by DuckDB's own parser (on the sandboxed connection, so parsing cannot touch
files either) to refuse anything but a single SELECT with a clear message before it runs.
A timer interrupts a query that runs past the time limit.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
# PRAGMA statements parse as SELECT; they are settings and catalog calls, not analysis.
_LEADING_PRAGMA = re.compile(r"^\s*(?:(?:--[^\n]*\n)|(?:/\*.*?\*/)|\s)*pragma\b", re.I | re.S)


class QueryRefused(ValueError):
    """The text is not a single reading query; nothing ran and nothing changed."""


class QueryFailed(RuntimeError):
    """The query ran and DuckDB reported an error (syntax, unknown column, time limit ...)."""


@dataclass
class QueryResult:
    table: pa.Table
    truncated: bool
    seconds: float


def _config(memory_limit: str, threads: int) -> dict:
    return {"enable_external_access": False, "lock_configuration": True,
            "autoinstall_known_extensions": False, "autoload_known_extensions": False,
            "allow_community_extensions": False, "memory_limit": memory_limit,
            "threads": threads}


class Sandbox:
    def __init__(self, snapshot: str | Path, timeout_s: float = 30, memory_limit: str = "1GB",
                 threads: int = 2):
        self.snapshot = Path(snapshot)
        self.timeout_s = timeout_s
        self.config = _config(memory_limit, threads)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if not self.snapshot.exists():
            raise QueryFailed("there is no analytics snapshot yet; it is written a few seconds "
                              "after the app starts, or with `python -m survey snapshot`")
        try:
            return duckdb.connect(str(self.snapshot), read_only=True, config=self.config)
        except duckdb.Error as exc:
            raise QueryFailed(f"cannot open the snapshot: {str(exc).splitlines()[0]}") from exc

    def check(self, con: duckdb.DuckDBPyConnection, sql: str) -> None:
        if not sql or not sql.strip():
            raise QueryRefused("the query is empty")
        if _LEADING_PRAGMA.match(sql):
            raise QueryRefused("PRAGMA statements are not allowed here; use SELECT, e.g. "
                               "SELECT * FROM duckdb_columns()")
        try:
            statements = con.extract_statements(sql)
        except duckdb.PermissionException:
            raise QueryRefused("this statement would read the server's files; query the views "
                               "instead") from None
        except duckdb.Error as exc:
            raise QueryFailed(_first_lines(exc)) from None
        if len(statements) != 1:
            kinds = ", ".join(s.type.name for s in statements)
            raise QueryRefused(f"one statement at a time: the text holds {len(statements)} "
                               f"({kinds}). Nothing was run.")
        kind = statements[0].type
        if kind not in ALLOWED:
            raise QueryRefused(f"only reading queries (SELECT) run here; a {kind.name} "
                               "statement is refused and nothing was changed")

    def run(self, sql: str, limit: int = 10_000) -> QueryResult:
        con = self._connect()
        try:
            self.check(con, sql)
            timer = threading.Timer(self.timeout_s, con.interrupt)
            started = time.perf_counter()
            timer.start()
            try:
                reader = con.execute(sql).to_arrow_reader(batch_size=min(limit + 1, 65_536))
                batches, rows = [], 0
                for batch in reader:
                    batches.append(batch)
                    rows += batch.num_rows
                    if rows > limit:
                        break
                table = pa.Table.from_batches(batches, schema=reader.schema)
            except duckdb.InterruptException:
                raise QueryFailed(f"the query ran longer than {self.timeout_s:g} s and was "
                                  "stopped; narrow it (a period or region) or aggregate") from None
            except duckdb.PermissionException:
                raise QueryRefused("reading the server's files or the network is not allowed "
                                   "here; query the views (points, submissions, answers, "
                                   "indicator_values)") from None
            except duckdb.CatalogException as exc:
                if _names_a_file(str(exc)):
                    raise QueryRefused("reading the server's files is not allowed here; query "
                                       "the views instead") from None
                raise QueryFailed(_first_lines(exc)) from None
            except duckdb.Error as exc:
                raise QueryFailed(_first_lines(exc)) from None
            finally:
                timer.cancel()
            return QueryResult(table.slice(0, limit), table.num_rows > limit,
                               time.perf_counter() - started)
        finally:
            con.close()


_FILE_AS_TABLE = re.compile(r'Table with name ([^ ]*[/\\][^ ]*|[^ ]+\.(csv|tsv|txt|json|parquet|xlsx?))'
                            r' does not exist', re.I)


def _names_a_file(message: str) -> bool:
    """A string literal used as a table ('/etc/passwd', 'x.csv') is DuckDB's file scan."""
    return bool(_FILE_AS_TABLE.search(message))


def _first_lines(exc: Exception, n: int = 3) -> str:
    return "\n".join(str(exc).strip().splitlines()[:n])
