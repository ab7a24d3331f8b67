"""Which analyst SQL may run: an allow-list at every level of DuckDB's own parse tree.

Every statement form DuckDB accepts is treated as hostile until shown to be a read. Shown
means: the text is one statement that `json_serialize_sql` (DuckDB's parser, which serialises
SELECT statements only) accepts, and every node of its tree is on a list below:
query nodes, table references (only the analysts' relations, CTEs, and a few generating table
functions), expression classes, and functions (built-in scalar, aggregate and window functions
minus those that touch settings, files, logs, sequences or the system). `EXPLAIN <select>`
(without ANALYZE) is vetted as its SELECT. Runs inside the SQL worker, on a connection with
file access disabled, because parsing can read files (IMPORT DATABASE opens one).
"""

from __future__ import annotations

import json
import re

import duckdb

from survey.analyst_views import SNAPSHOT_RELATIONS

TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest", "json_each", "json_tree"})
QUERY_NODES = frozenset({"SELECT_NODE", "SET_OPERATION_NODE", "RECURSIVE_CTE_NODE", "CTE_NODE"})
TABLE_REFS = frozenset({"BASE_TABLE", "JOIN", "SUBQUERY", "TABLE_FUNCTION", "EXPRESSION_LIST",
                        "EMPTY", "PIVOT", "SHOW_REF"})
EXPRESSIONS = frozenset({"CONSTANT", "COLUMN_REF", "FUNCTION", "WINDOW", "AGGREGATE", "CAST",
                         "OPERATOR", "COMPARISON", "CONJUNCTION", "CASE", "BETWEEN",
                         "SUBQUERY", "STAR", "LAMBDA", "LAMBDA_REF", "COLLATE",
                         "POSITIONAL_REFERENCE", "DEFAULT"})
MATH_LOGS = frozenset({"log", "log2", "log10", "ln"})
# Names that suggest settings, files, logs, sessions or the system; refused whatever their type.
SYSTEM_NAME = re.compile(
    r"setting|config|variable|getenv|environ|(^|_)logs?(_|$)|logging|file|path|dir|glob|"
    r"read_|write|checkpoint|secret|extension|profil|memory|temp|database|catalog|schema|"
    r"sleep|sequence|nextval|currval|^pg_|^has_.*privilege|^inet_|^txid|^current_(?!date$|"
    r"time$|timestamp$|localtime$|localtimestamp$)|user$|^version$|block_size|description$|"
    r"^__internal|^duckdb_|^pragma|^query|serialized_sql|^icu_calendar|connection|"
    r"^in_search_path$|^test_|^arrow_|^pandas_|^python_|^parquet_|^sniff|scan$")


class Refused(ValueError):
    """Not shown to be a read; the message (English, and `zh`) says what and how to rewrite."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.zh = zh


def is_system_name(name: str) -> bool:
    name = name.lower()
    return name not in MATH_LOGS and bool(SYSTEM_NAME.search(name))


class Vetter:
    """Holds the allow-lists, built once from duckdb_functions() of this DuckDB version."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con  # file access disabled, configuration locked
        rows = con.execute("SELECT DISTINCT function_name, function_type FROM duckdb_functions()"
                           ).fetchall()
        self.functions = frozenset(n.lower() for n, kind in rows
                                   if kind in ("scalar", "aggregate", "macro")
                                   and not is_system_name(n)) | {"unnest"}
        # names a CTE must not take: out of its scope the name would reach a catalog entry
        self.catalog_names = frozenset(r[0].lower() for r in con.execute(
            "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()"
        ).fetchall())

    def vet(self, sql: str) -> str:
        """The text to execute (the input, or EXPLAIN + its vetted SELECT); raises Refused."""
        if not sql or not sql.strip():
            raise Refused("the query is empty", "查询为空")
        kinds = self._kinds(sql)
        if len(kinds) != 1:
            raise Refused(f"one statement at a time: the text holds {len(kinds)} "
                          f"({', '.join(kinds)}). Nothing was run.",
                          f"一次只能运行一条语句,这里有 {len(kinds)} 条({', '.join(kinds)}),"
                          "均未运行。")
        body, explain = sql, None
        if kinds[0] == "EXPLAIN":  # EXPLAIN <select> is vetted as its SELECT
            explain = re.fullmatch(r"\s*explain\s+(?!analy[sz]e\b)(?=\w)(.*)", sql, re.I | re.S)
            body = explain.group(1) if explain else ""
            try:
                kinds = self._kinds(body) if explain else ["EXPLAIN ANALYZE"]
            except SyntaxError:
                kinds = ["EXPLAIN (...)"]
        if kinds != ["SELECT"]:
            raise Refused(f"only reading queries (SELECT, EXPLAIN SELECT) run here; a "
                          f"{' '.join(kinds)} statement is refused and nothing was changed",
                          f"这里只能运行只读查询(SELECT、EXPLAIN SELECT);{' '.join(kinds)} "
                          "语句被拒绝,数据未作任何改动")
        try:
            tree = json.loads(self.con.execute("SELECT json_serialize_sql(?)", [body])
                              .fetchone()[0])
        except duckdb.PermissionException:
            raise Refused("this statement would read the server's files",
                          "该语句会读取服务器上的文件") from None
        if tree.get("error") or len(tree.get("statements", ())) != 1:
            raise Refused("only plain SELECT queries run here (PRAGMA, PIVOT without an IN "
                          "list and other statements are refused); nothing was run",
                          "这里只能运行普通 SELECT 查询(PRAGMA、不带 IN 列表的 PIVOT 等语句会被"
                          "拒绝);未运行")
        ctes: set[str] = set()
        self._collect_ctes(tree, ctes)
        self._walk(tree["statements"][0], ctes)
        return "EXPLAIN " + body if explain else sql

    def _kinds(self, sql: str) -> list[str]:
        try:
            return [s.type.name for s in self.con.extract_statements(sql)]
        except duckdb.PermissionException:
            raise Refused("this statement would read the server's files; query the tables "
                          "instead", "该语句会读取服务器上的文件;请查询数据表") from None
        except duckdb.Error as exc:
            raise SyntaxError(str(exc).strip().splitlines()[0]) from None

    def _collect_ctes(self, node, ctes: set[str]) -> None:
        if isinstance(node, dict):
            for entry in (node.get("cte_map") or {}).get("map", []):
                name = str(entry.get("key", ""))
                if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or \
                        name.lower() in self.catalog_names | {r.lower() for r in SNAPSHOT_RELATIONS}:
                    raise Refused(f"name the WITH query differently than “{name}” (letters, "
                                  "digits and _, not the name of a table)",
                                  f"请给 WITH 子查询换个名字,不要用“{name}”(只用字母、数字和"
                                  "下划线,且不与数据表同名)")
                ctes.add(name.lower())
            for value in node.values():
                self._collect_ctes(value, ctes)
        elif isinstance(node, list):
            for value in node:
                self._collect_ctes(value, ctes)

    def _walk(self, node, ctes: set[str]) -> None:
        if isinstance(node, list):
            for value in node:
                self._walk(value, ctes)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if "class" in node:
            self._expression(node)
        elif {"alias", "sample", "query_location"} <= node.keys() and "modifiers" not in node:
            if kind not in TABLE_REFS:
                raise Refused(f"a {kind} in FROM is not allowed here",
                              f"FROM 中不允许使用 {kind}")
            if kind == "BASE_TABLE":
                self._table(node, ctes)
            elif kind == "TABLE_FUNCTION":
                self._table_function(node)
                node = {k: v for k, v in node.items() if k != "function"} | \
                    {"args": (node.get("function") or {}).get("children", [])}
            elif kind == "SHOW_REF" and not node.get("query"):
                name = str(node.get("table_name", "")).strip('"').lower()
                if name not in ("tables", *SNAPSHOT_RELATIONS):
                    raise Refused("SHOW lists the tables here (SHOW TABLES, DESCRIBE <table>)",
                                  "SHOW 在这里只能列出数据表(SHOW TABLES、DESCRIBE <表名>)")
        elif "modifiers" in node and kind not in QUERY_NODES:
            raise Refused(f"a {kind} query is not allowed here", f"不允许 {kind} 查询")
        for value in node.values():
            self._walk(value, ctes)

    def _expression(self, node: dict) -> None:
        cls = node["class"]
        if cls not in EXPRESSIONS:
            raise Refused(f"{cls.lower()} expressions are not allowed here",
                          f"不允许 {cls.lower()} 表达式")
        if cls in ("FUNCTION", "WINDOW", "AGGREGATE"):
            name = str(node.get("function_name", "")).lower()
            if name not in self.functions:
                raise Refused(f"the function {name}() is not available here (it touches "
                              "settings, files, logs or the system, or is not built in)",
                              f"这里不能使用函数 {name}()(它涉及设置、文件、日志或系统,"
                              "或不是内置函数)")

    def _table(self, node: dict, ctes: set[str]) -> None:
        name = str(node.get("table_name", ""))
        where = (str(node.get("catalog_name", "")), str(node.get("schema_name", "")))
        if node.get("at_clause"):
            raise Refused("time travel (AT ...) is not available here",
                          "这里不能使用 AT(...)读取历史版本")
        if name.lower() in ctes and where == ("", ""):
            return
        if name.lower() in SNAPSHOT_RELATIONS and where in (("", ""), ("", "main")):
            return
        tables = ", ".join(SNAPSHOT_RELATIONS)
        raise Refused(f"“{name}” is not one of the tables here ({tables}); files, URLs and "
                      "system tables cannot be read",
                      f"“{name}”不是这里的数据表(可用:{tables});不能读取文件、网址或系统表")

    def _table_function(self, node: dict) -> None:
        name = str((node.get("function") or {}).get("function_name", "")).lower()
        if name not in TABLE_FUNCTIONS:
            allowed = ", ".join(sorted(TABLE_FUNCTIONS))
            raise Refused(f"the table function {name}() is not available here; allowed: "
                          f"{allowed}", f"这里不能使用表函数 {name}();可用:{allowed}")
