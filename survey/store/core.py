"""The store: the only module that opens DuckDB or holds SQL.

One Store object owns one DuckDB connection per process (DuckDB allows one writing process per
file); each thread works through its own cursor. Writes run in transactions and retry on
DuckDB's optimistic-concurrency conflicts. A submission is one transaction: all or nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import threading
import time
from functools import lru_cache
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from survey import answers as answer_rules
from survey import codes, periods
from survey.errors import DomainError
from survey.questionnaire import Questionnaire, parse_text
from survey.questionnaire.model import Question
from survey.store.engine import (StoreError, StoreLockedError, insert_columns,  # noqa: F401
                                 insert_many, is_postgres_cursor, lock_keys, open_engine)

MAX_DRAFT_CHARS = 64_000  # a whole monthly form is ~1 KB; a draft is answers, not files
SELECTABLE_PERIODS = 3  # the current period and the two before it, unless closed


class CodeError(StoreError):
    """A respondent code that cannot be used; `reason` is format, unknown, revoked or inactive."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class PublishRefused(StoreError):
    pass


class PeriodClosed(StoreError):
    pass


class AlreadySubmitted(StoreError):
    """A one-time answer (a public rating) was already given for this period."""


class InvalidAnswers(StoreError):
    def __init__(self, errors: dict):
        super().__init__("; ".join(f"{qid}: {msg.en}" for qid, msg in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Point:
    point_id: str
    name: str
    level: str
    kind: str
    region: tuple[str, ...]
    active: bool = True
    is_demo: bool = False


@dataclass(frozen=True)
class Respondent:
    key: str
    point: Point


@dataclass(frozen=True)
class Receipt:
    submission_id: str
    submitted_at: dt.datetime
    period_key: str
    revision: int
    questionnaire_id: str
    version: int


@dataclass(frozen=True)
class Draft:
    answers: dict
    started_at: dt.datetime
    updated_at: dt.datetime
    version: int


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


class Store:
    """The store's public surface: pages and the CLI call these methods; the engine underneath
    (survey.store.engine) owns connections, transactions, retries and migrations."""

    def __init__(self, target: str | Path, code_key: bytes, read_only: bool = False):
        self.engine = open_engine(target, read_only)
        self.path = self.engine.path
        self.dialect = self.engine.dialect
        self.code_key = code_key
        self.read_only = read_only
        self._version_lock = threading.Lock()
        if not read_only:
            self.migrate()

    # -- connections and transactions ------------------------------------------------------
    def _cursor(self):
        return self.engine.cursor()

    def close(self) -> None:
        committer = getattr(self, "_group_commit", None)
        if committer is not None:
            committer.stop()
        self.engine.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def data_version(self) -> int:
        """Changes with every committed write (on PostgreSQL: any server's): a cache key for
        derived figures."""
        return self.engine.data_version

    def _transaction(self):
        return self.engine.transaction()

    def _write(self, work, attempts: int = 8):
        """Run work(cursor) in a transaction, retrying when a concurrent writer won."""
        return self.engine.write(work, attempts)

    def raw_connection(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection over the data for bulk reads (exports, the workbench's
        statistics); the caller must not write."""
        return self.engine.new_analytics_connection()

    @contextmanager
    def raw_cursor(self):
        """This thread's DuckDB cursor, for store modules that run statements outside a
        transaction (ATTACH/COPY FROM DATABASE for the snapshot). Errors come out as
        StoreError."""
        try:
            yield self.engine.analytics()
        except duckdb.Error as exc:
            raise StoreError(f"Database error on {self.engine.label}: "
                             f"{str(exc).splitlines()[0]}") from exc

    def _rows(self, sql: str, params=()) -> list[tuple]:
        return self.engine.rows(sql, params)

    def _one(self, sql: str, params=()):
        return self.engine.one(sql, params)

    # -- schema ------------------------------------------------------------------------------
    def migrate(self) -> list[str]:
        """Apply every numbered migration not yet applied (once, even when several app
        processes start together on PostgreSQL)."""
        def rollups(applied):
            if {"007_point_month", "008_kept_slot"} & set(applied):
                self._write(self.rebuild_rollups)
        return self.engine.migrate(after=rollups)

    @classmethod
    def rebuild_rollups(cls, cur) -> None:
        """Recompute kept_slot and point_month from the kept answers (after migrations and the
        demo load; fine for small data; the benchmark generator writes kept_slot itself)."""
        cls.rebuild_kept_slot(cur)
        cls.rebuild_point_month(cur)

    @staticmethod
    def rebuild_kept_slot(cur) -> None:
        """Matrix answers are left out of the rebuilt answer JSON (submit writes them)."""
        cur.execute("DELETE FROM kept_slot")
        postgres = is_postgres_cursor(cur)
        cur.execute(f"""
            INSERT INTO kept_slot
            SELECT {_SLOT_SQL}, k.submission_id, s.revision,
                   {_PG_KEPT_SLOT_LISTS if postgres else _KEPT_SLOT_LISTS},
                   {_PG_ANSWERS_JSON_SQL if postgres else _ANSWERS_JSON_SQL}
            FROM kept k JOIN submission s USING (submission_id)
            LEFT JOIN answer a USING (submission_id)
            GROUP BY k.respondent_key, k.point_id, k.questionnaire_id, k.period_key,
                     k.submission_id, s.revision""")

    @staticmethod
    def rebuild_point_month(cur) -> None:
        cur.execute("DELETE FROM point_month")
        cur.execute(f"""
            INSERT INTO point_month
            SELECT s.point_id, s.questionnaire_id, a.indicator, s.period_start, count(*),
                   sum(a.value_num), sum({_favourable_sql('a.indicator', 'a.value_num')})
            FROM answer a JOIN kept k USING (submission_id) JOIN submission s USING (submission_id)
            WHERE a.indicator IS NOT NULL AND a.value_num IS NOT NULL
            GROUP BY s.point_id, s.questionnaire_id, a.indicator, s.period_start""")

    def schema_version(self) -> int:
        row = self._one("SELECT max(version) FROM schema_migrations")
        return row[0] or 0

    def is_empty(self) -> bool:
        return self._one("SELECT count(*) FROM point")[0] == 0

    # -- questionnaires ----------------------------------------------------------------------
    def publish(self, qn: Questionnaire, actor: str = "system") -> str:
        """Store a questionnaire version. Returns 'published' or 'unchanged'; raises
        PublishRefused when the same id and version were published with other content."""
        def work(cur):
            row = cur.execute("SELECT content_hash FROM questionnaire_version "
                              "WHERE questionnaire_id = ? AND version = ?",
                              [qn.id, qn.version]).fetchone()
            if row is not None:
                if row[0] == qn.content_hash:
                    self._choice_labels(cur, qn)  # versions published before migration 004
                    return "unchanged"
                raise PublishRefused(
                    f"{qn.source_name}: {qn.id} version {qn.version} is already published with "
                    f"other content ({row[0][:8]}, this file is {qn.content_hash[:8]}). "
                    f"Submissions keep the exact version they answered, so a published version "
                    f"cannot change: raise 'version:' to {qn.version + 1} to publish the change.")
            cur.execute("INSERT INTO questionnaire_version (questionnaire_id, version, content_hash, "
                        "title_zh, title_en, period_kind, yaml_text, source_name, published_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [qn.id, qn.version, qn.content_hash, qn.title.zh, qn.title.en, qn.period,
                         qn.source_text, qn.source_name, _now()])
            self._choice_labels(cur, qn)
            self._audit(cur, actor, "publish_questionnaire", f"{qn.id}@{qn.version}",
                        {"hash": qn.content_hash})
            return "published"
        return self._write(work)

    @staticmethod
    def _choice_labels(cur, qn: Questionnaire) -> None:
        """Code -> label rows, so analysts see 比较满意 beside 4."""
        rows = [(qn.id, qn.version, q.id, c.value, c.label.zh, c.label.en or None)
                for q in qn.questions for c in q.choices]
        if rows:
            cur.executemany("INSERT INTO choice_label VALUES (?, ?, ?, ?, ?, ?) "
                            "ON CONFLICT DO NOTHING", rows)

    def retire(self, questionnaire_id: str, version: int, actor: str) -> None:
        def work(cur):
            cur.execute("UPDATE questionnaire_version SET retired_at = ? WHERE questionnaire_id = ? "
                        "AND version = ?", [_now(), questionnaire_id, version])
            self._audit(cur, actor, "retire_questionnaire", f"{questionnaire_id}@{version}", {})
        self._write(work)

    def questionnaire(self, questionnaire_id: str, version: int) -> Questionnaire:
        """The exact published version (parsed from the text stored at publication)."""
        row = self._one("SELECT yaml_text, source_name FROM questionnaire_version "
                        "WHERE questionnaire_id = ? AND version = ?", [questionnaire_id, version])
        if row is None:
            raise StoreError(f"questionnaire {questionnaire_id} version {version} is not published")
        return _parse_stored(row[0], row[1])

    def current_questionnaires(self) -> list[Questionnaire]:
        """The newest version of each questionnaire that is not retired."""
        rows = self._rows("SELECT yaml_text, source_name FROM questionnaire_version v WHERE "
                          "retired_at IS NULL AND version = (SELECT max(version) FROM "
                          "questionnaire_version n WHERE n.questionnaire_id = v.questionnaire_id "
                          "AND n.retired_at IS NULL) ORDER BY questionnaire_id")
        return [_parse_stored(text, name) for text, name in rows]

    def questionnaires_for(self, point: Point, audience: str = "cadre") -> list[Questionnaire]:
        """What the people at a point are asked to fill in now."""
        return [q for q in self.current_questionnaires()
                if q.audience == audience and q.is_for_kind(point.kind)]

    def questionnaire_versions(self) -> list[dict]:
        rows = self._rows("SELECT v.questionnaire_id, v.version, v.content_hash, v.title_zh, "
                          "v.title_en, v.period_kind, v.published_at, v.retired_at, v.source_name, "
                          "(SELECT count(*) FROM submission s WHERE s.questionnaire_id = "
                          "v.questionnaire_id AND s.version = v.version) "
                          "FROM questionnaire_version v ORDER BY 1, 2")
        keys = ("questionnaire_id", "version", "content_hash", "title_zh", "title_en", "period",
                "published_at", "retired_at", "source_name", "submissions")
        return [dict(zip(keys, row)) for row in rows]

    # -- points and respondents --------------------------------------------------------------
    def add_points(self, points: list[Point], actor: str = "system") -> None:
        def work(cur):
            for p in points:
                cur.execute("INSERT INTO point (point_id, name, level, kind, region, active, "
                            "is_demo) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [p.point_id, p.name, p.level, p.kind, list(p.region), p.active,
                             p.is_demo])
            self._audit(cur, actor, "add_points", None, {"count": len(points)})
        self._write(work)

    def upsert_points(self, points: list[Point], actor: str) -> tuple[int, int]:
        """Insert new points and update existing ones, all in one transaction."""
        def work(cur):
            added = updated = 0
            for p in points:
                exists = cur.execute("SELECT 1 FROM point WHERE point_id = ?",
                                     [p.point_id]).fetchone()
                if exists:
                    cur.execute("UPDATE point SET name = ?, level = ?, kind = ?, region = ?, "
                                "active = ? WHERE point_id = ?",
                                [p.name, p.level, p.kind, list(p.region), p.active, p.point_id])
                    updated += 1
                else:
                    cur.execute("INSERT INTO point (point_id, name, level, kind, region, active, "
                                "is_demo) VALUES (?, ?, ?, ?, ?, ?, FALSE)",
                                [p.point_id, p.name, p.level, p.kind, list(p.region), p.active])
                    added += 1
            self._audit(cur, actor, "import_points", None, {"added": added, "updated": updated})
            return added, updated
        return self._write(work)

    def point(self, point_id: str) -> Point | None:
        row = self._one("SELECT point_id, name, level, kind, region, active, is_demo FROM point "
                        "WHERE point_id = ?", [point_id])
        return _point(row) if row else None

    def points(self) -> list[Point]:
        return [_point(r) for r in self._rows(
            "SELECT point_id, name, level, kind, region, active, is_demo FROM point ORDER BY 1")]

    def issue_codes(self, point_id: str, count: int, actor: str = "system") -> list[str]:
        """Create `count` respondent codes for a point. The clear codes are returned once and
        never stored: only their keyed hash is."""
        if self.point(point_id) is None:
            raise StoreError(f"there is no monitoring point '{point_id}'; "
                             "list them with `python -m survey points`")
        issued = [codes.generate() for _ in range(count)]

        def work(cur):
            for code in issued:
                cur.execute("INSERT INTO respondent (respondent_key, point_id, issued_at) "
                            "VALUES (?, ?, ?)", [codes.pseudonym(code, self.code_key), point_id,
                                                 _now()])
            self._audit(cur, actor, "issue_codes", point_id, {"count": count})
        self._write(work)
        return issued

    def revoke_code(self, code: str, actor: str = "system") -> None:
        key = self._key_of(code)

        def work(cur):
            found = cur.execute("UPDATE respondent SET revoked_at = ? WHERE respondent_key = ? AND "
                                "revoked_at IS NULL RETURNING point_id", [_now(), key]).fetchall()
            if not found:
                raise CodeError("unknown", "that code is unknown or already revoked")
            self._audit(cur, actor, "revoke_code", found[0][0], {})
        self._write(work)

    def replace_code(self, code: str, actor: str, take_over: bool) -> str:
        """Revoke a (lost) code and issue a new one for the same point. With take_over, the new
        code inherits the old one's history (carry-forward) and drafts."""
        old_key = self._key_of(code)
        new_code = codes.generate()
        new_key = codes.pseudonym(new_code, self.code_key)

        def work(cur):
            found = cur.execute("UPDATE respondent SET revoked_at = ? WHERE respondent_key = ? "
                                "AND revoked_at IS NULL RETURNING point_id",
                                [_now(), old_key]).fetchall()
            if not found:
                raise CodeError("unknown", "that code is unknown or already revoked")
            cur.execute("INSERT INTO respondent (respondent_key, point_id, issued_at) VALUES "
                        "(?, ?, ?)", [new_key, found[0][0], _now()])
            if take_over:
                for table in ("submission", "kept", "draft"):
                    cur.execute(f"UPDATE {table} SET respondent_key = ? WHERE respondent_key = ?",
                                [new_key, old_key])
                cur.execute("INSERT INTO kept_slot SELECT ? || substr(slot, ?), submission_id, "
                            "revision, indicators, vals, answers_json FROM kept_slot WHERE "
                            "starts_with(slot, ?)", [new_key, len(old_key) + 1, old_key + "|"])
                cur.execute("DELETE FROM kept_slot WHERE starts_with(slot, ?)", [old_key + "|"])
            self._audit(cur, actor, "replace_code", found[0][0], {"take_over": take_over})
        self._write(work)
        return new_code

    def update_point(self, point_id: str, actor: str, **fields) -> None:
        allowed = {"name", "level", "kind", "region", "active"}
        unknown = set(fields) - allowed
        if unknown:
            raise StoreError(f"cannot change {', '.join(sorted(unknown))} of a point")

        def work(cur):
            if cur.execute("SELECT 1 FROM point WHERE point_id = ?", [point_id]).fetchone() is None:
                raise StoreError(f"there is no monitoring point '{point_id}'")
            for column, value in fields.items():
                cur.execute(f"UPDATE point SET {column} = ? WHERE point_id = ?",
                            [list(value) if column == "region" else value, point_id])
            self._audit(cur, actor, "update_point", point_id,
                        {k: list(v) if k == "region" else v for k, v in fields.items()})
        self._write(work)

    def _key_of(self, code: str) -> str:
        if codes.normalize(code) is None:
            raise CodeError("format", "a code has 8 letters and digits, like K7QM-3XPA; please check it")
        return codes.pseudonym(code, self.code_key)

    def respondent(self, code: str) -> Respondent:
        """Who a code belongs to (pseudonymously), or CodeError saying why it is not valid."""
        return self.respondent_by_key(self._key_of(code))

    def respondent_by_key(self, key: str) -> Respondent:
        """The same by pseudonym (a cadre's session keeps the pseudonym, never the code)."""
        row = self._one("SELECT r.revoked_at, p.point_id, p.name, p.level, p.kind, p.region, "
                        "p.active, p.is_demo FROM respondent r JOIN point p USING (point_id) "
                        "WHERE r.respondent_key = ?", [key])
        if row is None:
            raise CodeError("unknown", "this code is not known; check it against your code sheet, or ask "
                            "the person who issued it")
        if row[0] is not None:
            raise CodeError("revoked", "this code has been revoked; ask the person who issued it for a new one")
        point = _point(row[1:])
        if not point.active:
            raise CodeError("inactive", "this monitoring point is no longer active")
        return Respondent(key, point)

    def demo_codes(self, limit: int = 3) -> list[tuple[str, str]]:
        return self._rows("SELECT d.code, p.name FROM demo_code d JOIN point p USING (point_id) "
                          "ORDER BY d.code LIMIT ?", [limit])

    # -- periods -----------------------------------------------------------------------------
    def closed_periods(self, questionnaire_id: str) -> set[str]:
        return {r[0] for r in self._rows("SELECT period_key FROM period_state WHERE "
                                         "questionnaire_id = ? AND closed_at IS NOT NULL",
                                         [questionnaire_id])}

    def open_periods(self, qn: Questionnaire, today: dt.date | None = None) -> list[str]:
        """Periods a respondent may fill or revise, newest (the current one) first."""
        closed = self.closed_periods(qn.id)
        recent = periods.recent(qn.period, today or dt.date.today(), SELECTABLE_PERIODS)
        return [key for key in recent if key not in closed]

    def close_period(self, questionnaire_id: str, period_key: str, actor: str) -> None:
        def work(cur):
            cur.execute("INSERT INTO period_state VALUES (?, ?, ?, ?) ON CONFLICT (questionnaire_id, "
                        "period_key) DO UPDATE SET "
                        "closed_at = excluded.closed_at, closed_by = excluded.closed_by",
                        [questionnaire_id, period_key, _now(), actor])
            self._audit(cur, actor, "close_period", f"{questionnaire_id}/{period_key}", {})
        self._write(work)

    def reopen_period(self, questionnaire_id: str, period_key: str, actor: str) -> None:
        def work(cur):
            cur.execute("DELETE FROM period_state WHERE questionnaire_id = ? AND period_key = ?",
                        [questionnaire_id, period_key])
            self._audit(cur, actor, "reopen_period", f"{questionnaire_id}/{period_key}", {})
        self._write(work)

    def period_usage(self) -> list[tuple]:
        """(questionnaire, version, period, kept submissions, closed?) for the admin side."""
        return self._rows("SELECT s.questionnaire_id, s.version, s.period_key, count(*), "
                          "bool_or(ps.closed_at IS NOT NULL) FROM submission s JOIN kept k "
                          "USING (submission_id) LEFT JOIN period_state ps ON ps.questionnaire_id "
                          "= s.questionnaire_id AND ps.period_key = s.period_key GROUP BY 1, 2, 3 "
                          "ORDER BY 1, 3 DESC, 2")

    # -- drafts ------------------------------------------------------------------------------
    def save_draft(self, respondent: Respondent, qn: Questionnaire, period_key: str,
                   answers: dict, started_at: dt.datetime) -> None:
        text = json.dumps(answers, ensure_ascii=False, sort_keys=True)
        if len(text) > MAX_DRAFT_CHARS:
            raise StoreError(f"the draft is larger than {MAX_DRAFT_CHARS:,} characters; shorten "
                             "the longest answer", f"草稿超过 {MAX_DRAFT_CHARS:,} 字符,请缩短最长的回答。")
        self._write(lambda cur: cur.execute(
            "INSERT INTO draft VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (respondent_key, "
            "questionnaire_id, period_key) DO UPDATE SET "
            "version = excluded.version, answers_json = excluded.answers_json, "
            "updated_at = excluded.updated_at",
            [respondent.key, qn.id, period_key, qn.version, text, started_at, _now()]))

    def draft(self, respondent: Respondent, questionnaire_id: str, period_key: str) -> Draft | None:
        row = self._one("SELECT answers_json, started_at, updated_at, version FROM draft WHERE "
                        "respondent_key = ? AND questionnaire_id = ? AND period_key = ?",
                        [respondent.key, questionnaire_id, period_key])
        return Draft(json.loads(row[0]), row[1], row[2], row[3]) if row else None

    # -- submissions -------------------------------------------------------------------------
    def submit(self, respondent: Respondent, qn: Questionnaire, period_key: str, answers: dict,
               client_token: str, started_at: dt.datetime | None = None,
               now: dt.datetime | None = None, today: dt.date | None = None,
               revisable: bool = True) -> Receipt:
        """Store one submission atomically and make it the kept one for this respondent, point
        and period. Submitting again with the same client_token returns the first receipt."""
        existing = self._receipt_for_token(client_token)
        if existing:
            return existing
        errors = answer_rules.validate(qn, answers)
        if errors:
            raise InvalidAnswers(errors)
        if period_key not in self.open_periods(qn, today):
            raise PeriodClosed(f"period {period_key} is closed or not open for reporting; "
                               "choose an open period")
        stored = answer_rules.clean(qn, answers)
        job = _Job(respondent, qn, period_key, periods.bounds(qn.period, period_key)[0],
                   _answer_rows(qn, stored), client_token, started_at, now, revisable,
                   json.dumps(stored, ensure_ascii=False, sort_keys=True))
        return self._submitter().submit(job)

    def _submitter(self) -> "_GroupCommit":
        with self._version_lock:
            if getattr(self, "_group_commit", None) is None:
                self._group_commit = _GroupCommit(self)
            return self._group_commit

    def _receipt_for_token(self, token: str) -> Receipt | None:
        row = self._one(_RECEIPT_SQL + " WHERE client_token = ?", [token])
        return _receipt(row) if row else None

    def kept(self, respondent: Respondent, questionnaire_id: str, period_key: str
             ) -> tuple[Receipt, dict] | None:
        """The kept submission of this respondent for a period, with its answers."""
        row = self._one("SELECT k.answers_json, s.submission_id, s.submitted_at, s.period_key, "
                        "s.revision, s.questionnaire_id, s.version FROM kept_slot k JOIN "
                        "submission s USING (submission_id) WHERE k.slot = ?",
                        [_slot(respondent.key, respondent.point.point_id, questionnaire_id,
                               period_key)])
        if row is None:
            return None
        return _receipt(row[1:]), json.loads(row[0])

    def previous_answers(self, respondent: Respondent, qn: Questionnaire, period_key: str,
                         look_back: int = 12) -> tuple[str, dict] | None:
        """The respondent's most recent kept answers from the `look_back` periods before
        `period_key` (carry-forward)."""
        recent = self.recent_answers(respondent, qn, period_key, look_back)
        return recent[0] if recent else None

    def recent_answers(self, respondent: Respondent, qn: Questionnaire, period_key: str,
                       look_back: int = 12) -> list[tuple[str, dict]]:
        """The respondent's kept answers in the `look_back` periods before `period_key`, most
        recent first (carry-forward takes the first; soft checks look at several)."""
        keys, key = [], period_key
        for _ in range(look_back):
            key = periods.previous(qn.period, key)
            keys.append(key)
        slots = [_slot(respondent.key, respondent.point.point_id, qn.id, k) for k in keys]
        found = dict(self._rows(f"SELECT slot, answers_json FROM kept_slot WHERE slot IN "
                                f"({_in(slots)})", slots))
        return [(key, json.loads(found[slot])) for key, slot in zip(keys, slots) if slot in found]

    def submission_answers(self, submission_id: str) -> dict:
        """Rebuild the answer dict of any submission (history included) from its typed rows.
        This scans the answer table, which has no index: for the kept submission use kept()."""
        rows = self._rows("SELECT question_id, row_id, type, value_num, value_text, value_bool, "
                          "value_date, value_choices FROM answer WHERE submission_id = ?",
                          [submission_id])
        result: dict = {}
        for qid, row_id, qtype, num, text, flag, date, choices in rows:
            if qtype == "matrix":
                result.setdefault(qid, {})[row_id] = text
            elif qtype == "integer":
                result[qid] = int(num)
            elif qtype == "decimal":
                result[qid] = num
            elif qtype == "yes_no":
                result[qid] = flag
            elif qtype == "date":
                result[qid] = date.isoformat()
            elif qtype == "multiple_choice":
                result[qid] = list(choices)
            else:
                result[qid] = text
        return result

    def history(self, respondent: Respondent, questionnaire_id: str, period_key: str) -> list[Receipt]:
        rows = self._rows(_RECEIPT_SQL + " WHERE respondent_key = ? AND point_id = ? AND "
                          "questionnaire_id = ? AND period_key = ? ORDER BY revision",
                          [respondent.key, respondent.point.point_id, questionnaire_id,
                           period_key])
        return [_receipt(r) for r in rows]

    # -- analysts' views (read-only SQL for tests and the CLI) -------------------------------
    def query(self, sql: str, params=()) -> list[tuple]:
        """A read in DuckDB's dialect over the data and the analysts' views (on PostgreSQL:
        DuckDB reading its tables live)."""
        with self.raw_cursor() as cur:
            return cur.execute(sql, params).fetchall()

    def frame(self, sql: str, params=()):
        """A query's result as a pandas DataFrame, built column-wise by DuckDB (fast for the
        large aggregates behind the leaders' pages); DuckDB's dialect on either engine."""
        with self.raw_cursor() as cur:
            return cur.execute(sql, params).df()

    def count(self, view: str) -> int:
        if view not in ("points", "submissions", "answers", "indicator_values",
                        "submission_history"):
            raise ValueError(view)
        return self.query(f"SELECT count(*) FROM {view}")[0][0]

    # -- demo data ---------------------------------------------------------------------------
    def has_demo(self) -> bool:
        return self._one("SELECT count(*) FROM point WHERE is_demo")[0] > 0

    def load_demo(self, batch: "DemoBatch", actor: str = "system") -> None:
        """Write generated demo data in one transaction (bulk, through Arrow)."""
        def work(cur):
            for table, columns, rows in batch.tables():
                insert_columns(cur, table, columns, rows)
            self.rebuild_rollups(cur)
            self._audit(cur, actor, "load_demo", None, {"points": len(batch.points)})
        self._write(work)

    def remove_demo(self, actor: str = "system") -> dict:
        """Delete demo points and everything that hangs off them; real data is untouched."""
        def work(cur):
            demo = "(SELECT point_id FROM point WHERE is_demo)"
            counts = {}
            counts["answers"] = cur.execute(
                f"DELETE FROM answer WHERE submission_id IN (SELECT submission_id FROM submission "
                f"WHERE point_id IN {demo})").fetchone()[0]
            cur.execute(f"DELETE FROM kept_slot WHERE submission_id IN (SELECT submission_id "
                        f"FROM submission WHERE point_id IN {demo})")
            counts["kept"] = cur.execute(f"DELETE FROM kept WHERE point_id IN {demo}").fetchone()[0]
            counts["submissions"] = cur.execute(
                f"DELETE FROM submission WHERE point_id IN {demo}").fetchone()[0]
            cur.execute(f"DELETE FROM draft WHERE respondent_key IN (SELECT respondent_key FROM "
                        f"respondent WHERE point_id IN {demo})")
            counts["respondents"] = cur.execute(
                f"DELETE FROM respondent WHERE point_id IN {demo}").fetchone()[0]
            cur.execute("DELETE FROM demo_code")
            cur.execute(f"DELETE FROM public_rater WHERE point_id IN {demo}")
            cur.execute(f"DELETE FROM point_month WHERE point_id IN {demo}")
            counts["clues"] = cur.execute(
                f"DELETE FROM clue WHERE point_id IN {demo}").fetchone()[0]
            orphans = "(SELECT problem_id FROM problem WHERE problem_id NOT IN " \
                      "(SELECT problem_id FROM clue))"
            cur.execute(f"DELETE FROM problem_event WHERE problem_id IN {orphans}")
            cur.execute(f"DELETE FROM problem WHERE problem_id IN {orphans}")
            counts["points"] = cur.execute("DELETE FROM point WHERE is_demo").fetchone()[0]
            self._audit(cur, actor, "remove_demo", None, counts)
            return counts
        return self._write(work)

    # -- staff accounts ----------------------------------------------------------------------
    _ACCOUNT_SQL = ("SELECT username, display_name, role, region, must_change, "
                    "disabled_at IS NOT NULL FROM account")

    def create_account(self, username: str, display_name: str, role: str, region, password: str,
                       actor: str, must_change: bool = True) -> None:
        from survey.access import ROLES, hash_password
        if role not in ROLES:
            raise StoreError(f"unknown role '{role}'; use one of {', '.join(ROLES)}",
                             f"没有“{role}”这个角色,请选择:{'、'.join(ROLES)}")
        if not username.strip():
            raise StoreError("a user name is required", "请填写用户名。")

        def work(cur):
            if cur.execute("SELECT 1 FROM account WHERE username = ?", [username]).fetchone():
                raise StoreError(f"the user name '{username}' is taken",
                                 f"用户名“{username}”已被使用,请换一个。")
            cur.execute("INSERT INTO account VALUES (?, ?, ?, ?, ?, ?, NULL, ?, NULL)",
                        [username, display_name or username, role, list(region or ()),
                         hash_password(password), must_change, _now()])
            self._audit(cur, actor, "create_account", username,
                        {"role": role, "region": list(region or ())})
        self._write(work)

    def accounts(self) -> list:
        from survey.access import Account
        return [Account(u, d, r, tuple(g or ()), m, x)
                for u, d, r, g, m, x in self._rows(self._ACCOUNT_SQL + " ORDER BY username")]

    def account(self, username: str):
        from survey.access import Account
        row = self._one(self._ACCOUNT_SQL + " WHERE username = ?", [username])
        return Account(row[0], row[1], row[2], tuple(row[3] or ()), row[4], row[5]) if row else None

    def has_admin(self) -> bool:
        return self._one("SELECT count(*) FROM account WHERE role = 'admin' AND disabled_at "
                         "IS NULL")[0] > 0

    def check_login(self, username: str, password: str):
        """The account if the password is right and the account is enabled, else None
        (the caller audit-logs and rate-limits)."""
        from survey.access import verify_password
        row = self._one("SELECT password_hash, disabled_at FROM account WHERE username = ?",
                        [username])
        if row is None or row[1] is not None or not verify_password(row[0], password):
            return None
        self._write(lambda cur: cur.execute("UPDATE account SET last_login_at = ? WHERE "
                                            "username = ?", [_now(), username]))
        return self.account(username)

    def set_password(self, username: str, password: str, actor: str, must_change: bool) -> None:
        from survey.access import hash_password
        self._write(lambda cur: (cur.execute(
            "UPDATE account SET password_hash = ?, must_change = ? WHERE username = ?",
            [hash_password(password), must_change, username]),
            self._end_staff_sessions(cur, username, "password"),
            self._audit(cur, actor, "reset_password" if must_change else "change_password",
                        username, {})))

    @staticmethod
    def _end_staff_sessions(cur, username: str, why: str) -> None:
        """A new password or a disabled account ends every session of it, on every server."""
        cur.execute("UPDATE web_session SET ended_at = ?, ended_why = ? WHERE kind = 'staff' "
                    "AND subject = ? AND ended_at IS NULL", [_now(), why, username])

    def update_account(self, username: str, actor: str, role: str | None = None,
                       region=None, display_name: str | None = None,
                       disabled: bool | None = None) -> None:
        from survey.access import ROLES
        if role is not None and role not in ROLES:
            raise StoreError(f"unknown role '{role}'", f"没有“{role}”这个角色。")

        def work(cur):
            if role is not None:
                cur.execute("UPDATE account SET role = ? WHERE username = ?", [role, username])
            if region is not None:
                cur.execute("UPDATE account SET region = ? WHERE username = ?",
                            [list(region), username])
            if display_name is not None:
                cur.execute("UPDATE account SET display_name = ? WHERE username = ?",
                            [display_name, username])
            if disabled is not None:
                cur.execute("UPDATE account SET disabled_at = ? WHERE username = ?",
                            [_now() if disabled else None, username])
                if disabled:
                    self._end_staff_sessions(cur, username, "disabled")
            self._audit(cur, actor, "update_account", username,
                        {"role": role, "region": None if region is None else list(region),
                         "disabled": disabled})
        self._write(work)

    # -- early warnings ----------------------------------------------------------------------
    def handle_warning(self, key: str, through: dt.date, actor: str, note: str) -> None:
        """Mark a warning handled up to its newest evidence month (audit-logged)."""
        if not note.strip():
            raise StoreError("write what was done about the warning (a note is required)",
                             "请填写处理情况(必填)。")
        if not actor.strip():
            raise StoreError("say who handled the warning", "请说明处理人。")

        def work(cur):
            cur.execute("INSERT INTO warning_state VALUES (?, ?, ?, ?, ?) ON CONFLICT (warning_key) "
                        "DO UPDATE SET "
                        "through = excluded.through, handled_at = excluded.handled_at, "
                        "handled_by = excluded.handled_by, note = excluded.note",
                        [key, through, _now(), actor, note])
            self._audit(cur, actor, "handle_warning", key, {"through": through.isoformat(),
                                                             "note": note})
        self._write(work)

    def warning_states(self) -> dict[str, dict]:
        rows = self._rows("SELECT warning_key, through, handled_at, handled_by, note "
                          "FROM warning_state")
        return {key: {"through": through, "at": at, "by": by, "note": note}
                for key, through, at, by, note in rows}

    # -- audit -------------------------------------------------------------------------------
    @staticmethod
    def _audit(cur, actor: str, action: str, target: str | None, detail: dict) -> None:
        cur.execute("INSERT INTO audit_log (logged_at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                    [_now(), actor, action, target, json.dumps(detail, ensure_ascii=False)])

    def audit(self, actor: str, action: str, target: str | None = None, **detail) -> None:
        self._write(lambda cur: self._audit(cur, actor, action, target, detail))

    def audit_log(self, actor: str | None = None, action: str | None = None,
                  since: dt.date | None = None, limit: int = 500) -> list[tuple]:
        clauses, params = ["TRUE"], []
        if actor:
            clauses.append("actor = ?")
            params.append(actor)
        if action:
            clauses.append("action = ?")
            params.append(action)
        if since:
            clauses.append("logged_at >= ?")
            params.append(since)
        return self._rows("SELECT logged_at, actor, action, target, detail FROM audit_log WHERE "
                          + " AND ".join(clauses) + " ORDER BY audit_id DESC LIMIT ?",
                          params + [limit])

    def audit_actions(self) -> list[str]:
        return [r[0] for r in self._rows("SELECT DISTINCT action FROM audit_log ORDER BY 1")]


_RECEIPT_SQL = ("SELECT submission_id, submitted_at, period_key, revision, questionnaire_id, "
                "version FROM submission")


@dataclass
class _Job:
    """One validated submission waiting to be written."""

    respondent: Respondent
    qn: Questionnaire
    period_key: str
    period_start: dt.date
    rows: list
    client_token: str
    started_at: dt.datetime | None
    now: dt.datetime | None
    revisable: bool
    answers_json: str = "{}"
    result: object = None  # a Receipt, or the exception to raise to the caller
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def slot(self) -> tuple:
        return (self.respondent.key, self.respondent.point.point_id, self.qn.id, self.period_key)


class _GroupCommit:
    """Group commit: callers validate in their own thread, then one writer thread commits all
    submissions waiting at that moment in one transaction (DuckDB pays per statement and per
    commit, and concurrent writers would only queue for the write lock anyway). A batch that
    fails as a whole is retried one submission per transaction, so one bad submission cannot
    take others down. Every caller gets its own receipt or its own error."""

    MAX_BATCH = 128

    def __init__(self, store: "Store"):
        import queue
        self.store = store
        self.queue: "queue.Queue[_Job | None]" = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self.thread.start()

    def submit(self, job: _Job) -> Receipt:
        self.queue.put(job)
        job.done.wait()
        if isinstance(job.result, BaseException):
            raise job.result
        return job.result

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(timeout=10)

    def _run(self) -> None:
        import queue
        while True:
            job = self.queue.get()
            if job is None:
                return
            batch = [job]
            while len(batch) < self.MAX_BATCH:
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._commit(batch)
                    return
                batch.append(more)
            self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        # waves: no two submissions of one wave share a slot or a token (later ones see the
        # earlier ones' result, e.g. a double-clicked submit gets the first receipt)
        while batch:
            wave, rest, slots, tokens = [], [], set(), set()
            for job in batch:
                if job.slot in slots or job.client_token in tokens:
                    rest.append(job)
                else:
                    wave.append(job)
                    slots.add(job.slot)
                    tokens.add(job.client_token)
            try:
                self.store._write(lambda cur: _write_wave(cur, wave))
            except BaseException:  # noqa: BLE001 - isolate: one transaction per submission
                for job in wave:
                    try:
                        self.store._write(lambda cur, job=job: _write_wave(cur, [job]))
                    except BaseException as exc:  # noqa: BLE001 - the caller re-raises it
                        job.result = exc
            for job in wave:
                job.done.set()
            batch = rest


def _in(values) -> str:
    return ", ".join("?" * len(values))


def _slot(respondent_key: str, point_id: str, questionnaire_id: str, period_key: str) -> str:
    return f"{respondent_key}|{point_id}|{questionnaire_id}|{period_key}"


_KEPT_SLOT_LISTS = """
    coalesce(list(a.indicator ORDER BY a.question_id, a.row_id)
             FILTER (a.indicator IS NOT NULL AND a.value_num IS NOT NULL), []),
    coalesce(list(a.value_num ORDER BY a.question_id, a.row_id)
             FILTER (a.indicator IS NOT NULL AND a.value_num IS NOT NULL), [])"""
_PG_KEPT_SLOT_LISTS = """
    coalesce(array_agg(a.indicator ORDER BY a.question_id, a.row_id)
             FILTER (WHERE a.indicator IS NOT NULL AND a.value_num IS NOT NULL), '{}'),
    coalesce(array_agg(a.value_num ORDER BY a.question_id, a.row_id)
             FILTER (WHERE a.indicator IS NOT NULL AND a.value_num IS NOT NULL), '{}')"""
_SLOT_SQL = "k.respondent_key || '|' || k.point_id || '|' || k.questionnaire_id || '|' || k.period_key"
# The answer set as JSON, as submit stores it (sorted keys; matrix rows as an object).
_ANSWERS_JSON_SQL = """coalesce(to_json(map_from_entries(list(
    {'key': a.question_id, 'value':
        CASE a.type
            WHEN 'integer' THEN to_json(CAST(a.value_num AS BIGINT))
            WHEN 'decimal' THEN to_json(a.value_num)
            WHEN 'yes_no' THEN to_json(a.value_bool)
            WHEN 'date' THEN to_json(strftime(a.value_date, '%Y-%m-%d'))
            WHEN 'multiple_choice' THEN to_json(a.value_choices)
            ELSE to_json(a.value_text) END}
    ORDER BY a.question_id) FILTER (a.question_id IS NOT NULL AND a.type <> 'matrix')))::VARCHAR,
    '{}')"""


_PG_ANSWERS_JSON_SQL = """coalesce(jsonb_object_agg(a.question_id,
        CASE a.type
            WHEN 'integer' THEN to_jsonb(CAST(a.value_num AS BIGINT))
            WHEN 'decimal' THEN to_jsonb(a.value_num)
            WHEN 'yes_no' THEN to_jsonb(a.value_bool)
            WHEN 'date' THEN to_jsonb(to_char(a.value_date, 'YYYY-MM-DD'))
            WHEN 'multiple_choice' THEN to_jsonb(a.value_choices)
            ELSE to_jsonb(a.value_text) END)
    FILTER (WHERE a.question_id IS NOT NULL AND a.type <> 'matrix'), '{}'::jsonb)::text"""


def _write_wave(cur, jobs: list[_Job]) -> None:
    """Write submissions with distinct slots and tokens in the current transaction. Domain
    errors (revoked code, already rated) are set on their job and leave the others alone."""
    for job in jobs:
        job.result = None
    tokens = [j.client_token for j in jobs]
    # Another app process may be writing the same token or slot (PostgreSQL): wait for it,
    # then read what it committed.
    lock_keys(cur, tokens + [_slot(*j.slot) for j in jobs])
    known = {row[-1]: _receipt(row[:-1]) for row in cur.execute(
        _RECEIPT_SQL.replace(" FROM submission", ", client_token FROM submission") +
        f" WHERE client_token IN ({_in(tokens)})", tokens).fetchall()}
    for job in jobs:
        if job.client_token in known:
            job.result = known[job.client_token]
    todo = [j for j in jobs if j.result is None]
    if not todo:
        return
    keys = sorted({j.respondent.key for j in todo})
    owners = {key: (point, revoked) for key, point, revoked in cur.execute(
        f"SELECT respondent_key, point_id, revoked_at FROM respondent WHERE respondent_key IN "
        f"({_in(keys)}) UNION ALL SELECT respondent_key, point_id, NULL FROM public_rater "
        f"WHERE respondent_key IN ({_in(keys)})", keys + keys).fetchall()}
    slots = [_slot(*j.slot) for j in todo]
    current = {tuple(r[0].split("|")): (r[1], r[2], list(zip(r[3], r[4]))) for r in cur.execute(
        f"SELECT slot, submission_id, revision, indicators, vals FROM kept_slot "
        f"WHERE slot IN ({_in(slots)})", slots).fetchall()}
    writing = []
    for job in todo:
        owner = owners.get(job.respondent.key)
        if owner is None or owner[0] != job.respondent.point.point_id:
            job.result = CodeError("unknown", "this code does not belong to this monitoring point")
        elif owner[1] is not None:
            job.result = CodeError("revoked", "this code has been revoked; ask the person who "
                                   "issued it for a new one")
        elif not job.revisable and job.slot in current:
            job.result = AlreadySubmitted("already answered for this period")
        else:
            writing.append(job)
    if not writing:
        return
    submissions, answers, kept_rows, slot_rows, deltas = [], [], [], [], {}
    for job in writing:
        previous = current.get(job.slot)
        submitted_at = job.now or _now()
        duration = (submitted_at - job.started_at).total_seconds() if job.started_at else None
        submission_id = _new_id()
        revision = previous[1] + 1 if previous else 1
        point = job.respondent.point.point_id
        submissions.append((submission_id, job.client_token, job.respondent.key, point, job.qn.id,
                            job.qn.version, job.qn.content_hash, job.period_key, job.period_start,
                            revision, job.started_at, submitted_at, duration))
        answers += [(submission_id,) + row for row in job.rows]
        kept_rows.append(job.slot + (submission_id,))
        values = [(row[3], row[4]) for row in job.rows if row[3] is not None and row[4] is not None]
        slot_rows.append((_slot(*job.slot), submission_id, revision, [v[0] for v in values],
                          [v[1] for v in values], job.answers_json))
        _add_rollup(deltas, point, job.qn.id, job.period_start, values, +1)
        if previous:
            _add_rollup(deltas, point, job.qn.id, job.period_start, previous[2], -1)
        job.result = Receipt(submission_id, submitted_at, job.period_key, revision, job.qn.id,
                             job.qn.version)
    _insert_many(cur, "INSERT INTO submission VALUES", submissions)
    _insert_many(cur, "INSERT INTO answer VALUES", answers)
    _insert_many(cur, "INSERT INTO kept VALUES", kept_rows,
                 " ON CONFLICT (respondent_key, point_id, questionnaire_id, period_key) "
                 "DO UPDATE SET submission_id = excluded.submission_id")
    _insert_many(cur, "INSERT INTO kept_slot VALUES", slot_rows,
                 " ON CONFLICT (slot) DO UPDATE SET submission_id = excluded.submission_id, "
                 "revision = excluded.revision, indicators = excluded.indicators, "
                 "vals = excluded.vals, answers_json = excluded.answers_json")
    if deltas:
        _insert_many(cur, "INSERT INTO point_month VALUES",
                     [key + tuple(value) for key, value in sorted(deltas.items())],
                     " ON CONFLICT (point_id, questionnaire_id, indicator, period_start) "
                     "DO UPDATE SET n = point_month.n + excluded.n, "
                     "total = point_month.total + excluded.total, "
                     "favourable = point_month.favourable + excluded.favourable")
    by_period: dict[tuple, list] = {}
    for job in writing:
        by_period.setdefault((job.qn.id, job.period_key), []).append(job.respondent.key)
    for (qid, period_key), respondents in by_period.items():
        cur.execute(f"DELETE FROM draft WHERE questionnaire_id = ? AND period_key = ? AND "
                    f"respondent_key IN ({_in(respondents)})", [qid, period_key, *respondents])


def _insert_many(cur, head: str, rows: list[tuple], tail: str = "") -> None:
    """`head` is "INSERT INTO <table> VALUES"."""
    insert_many(cur, head.split()[2], rows, tail)


def _receipt(row) -> Receipt:
    return Receipt(*row)


def _point(row) -> Point:
    pid, name, level, kind, region, active, is_demo = row
    return Point(pid, name, level, kind, tuple(region or ()), active, is_demo)


def _new_id() -> str:
    raw = "".join(secrets.choice(codes.ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


ANSWER_COLUMNS = ("question_id", "row_id", "type", "indicator", "value_num", "value_text",
                  "value_bool", "value_date", "value_choices")


def _answer_rows(qn: Questionnaire, stored: dict) -> list[tuple]:
    rows = []
    for q in qn.questions:
        if q.id in stored:
            rows.extend(answer_row(q, stored[q.id]))
    return rows


def _favourable(indicator: str, value: float) -> float:
    """The share rule of an indicator for one value (see survey.metrics.share_rule)."""
    from survey.metrics import share_rule
    rule = share_rule(indicator) if indicator in _indicators() else "none"
    if rule == "yes":
        return float(value)
    if rule == "low2":
        return float(value <= 2)
    if rule == "top2":
        return float(value >= 4)
    return 0.0


def _indicators():
    from survey.indicators import INDICATORS
    return INDICATORS


def _favourable_sql(indicator: str, value: str) -> str:
    """The same rule as a SQL expression, built from the same table."""
    from survey.metrics import share_rule
    by_rule: dict[str, list[str]] = {}
    for key in _indicators():
        by_rule.setdefault(share_rule(key), []).append(f"'{key}'")
    cases = {"yes": value, "low2": f"CASE WHEN {value} <= 2 THEN 1.0 ELSE 0.0 END",
             "top2": f"CASE WHEN {value} >= 4 THEN 1.0 ELSE 0.0 END"}
    whens = " ".join(f"WHEN {indicator} IN ({', '.join(keys)}) THEN {cases[rule]}"
                     for rule, keys in by_rule.items() if rule in cases)
    return f"(CASE {whens} ELSE 0 END)"


def _add_rollup(deltas: dict, point_id: str, questionnaire_id: str, period_start,
                values: list[tuple], sign: int) -> None:
    """Accumulate (indicator, value) pairs into point_month deltas (sign -1 takes back the
    values of a replaced submission)."""
    for indicator, value in values:
        if indicator is None or value is None:
            continue
        d = deltas.setdefault((point_id, questionnaire_id, indicator, period_start), [0, 0.0, 0.0])
        d[0] += sign
        d[1] += sign * value
        d[2] += sign * _favourable(indicator, value)


def answer_row(q: Question, value) -> list[tuple]:
    """Typed answer rows (without the submission id) in ANSWER_COLUMNS order."""
    out = []
    row_indicators = {r.id: r.indicator for r in q.rows}
    for row_id, columns in answer_rules.typed_columns(q, value):
        indicator = row_indicators.get(row_id) if row_id else q.indicator
        out.append((q.id, row_id or "", q.type, indicator, columns.get("value_num"),
                    columns.get("value_text"), columns.get("value_bool"),
                    columns.get("value_date"), columns.get("value_choices")))
    return out


@lru_cache(maxsize=64)
def _parse_stored(text: str, source: str | None) -> Questionnaire:
    model, problems = parse_text(text, source or "<stored>")
    if model is None:  # stored versions were valid when published; say so loudly if not
        raise StoreError("a stored questionnaire no longer validates: "
                         + "; ".join(map(str, problems)))
    return model
