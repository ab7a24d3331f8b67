"""The store's public surface: one Store object per database, which pages, the CLI and the
other store modules call.

The store is split by aggregate, one small module each, every function taking the store as its
first argument (ODK Central's one query module per entity):

  engine.py          connections, transactions, retries, migrations (DuckDB file / PostgreSQL)
  model.py           records (Point, Respondent, Receipt, Draft) and the errors modules raise
  questionnaires.py  published versions, choice labels
  points.py          monitoring points
  respondents.py     respondent codes (keyed hashes only) and who a code belongs to
  period_states.py   open and closed periods
  drafts.py          server-side drafts
  submissions.py     submit (group commit), kept submission, revisions, carry-forward
  rollups.py         kept_slot and point_month, maintained by submit, rebuildable
  accounts.py        staff accounts and password checks
  warning_states.py  handled early warnings
  audit.py           the audit log
  demo_data.py       demo data in and out
  sessions.py, settings.py, forms.py, history.py, clues.py, rounds.py, outbox.py,
  reviews.py         the later aggregates (same shape)
  analytics.py, stat_pivot.py, snapshot.py, sandbox.py   DuckDB reads for leaders and analysts

Store below lists each module's functions as its methods (a function assigned in a class body
is a method: store.add_points(ps) calls points.add_points(store, ps)), so the surface pages use
stays one obvious list.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb

from survey.store import (accounts, audit, demo_data, drafts, period_states, points,
                          questionnaires, respondents, rollups, submissions, warning_states)
from survey.store.engine import StoreError, StoreLockedError, open_engine
from survey.store.model import (AlreadySubmitted, CodeError, Draft, InvalidAnswers, PeriodClosed,
                                Point, PublishRefused, Receipt, Respondent, _now)
from survey.store.rollups import _slot, rebuild_rollups
from survey.store.submissions import (ANSWER_COLUMNS, _answer_rows, _insert_many, _Job, _write_wave,
                                      answer_row)

__all__ = ["ANSWER_COLUMNS", "AlreadySubmitted", "CodeError", "Draft", "InvalidAnswers",
           "PeriodClosed", "Point", "PublishRefused", "Receipt", "Respondent", "Store",
           "StoreError", "StoreLockedError", "answer_row", "_answer_rows", "_insert_many", "_Job",
           "_now", "_slot", "_write_wave"]


class Store:
    """One database (a DuckDB file or a PostgreSQL URL); the engine underneath owns
    connections, transactions, retries and migrations."""

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
            try:
                self.migrate()
                respondents.check_code_key(self)
            except BaseException:
                self.engine.close()  # a server that retries its start must not pile up pools
                raise

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
            raise self.engine.analytics_error(exc) from exc

    def _rows(self, sql: str, params=()) -> list[tuple]:
        return self.engine.rows(sql, params)

    def _one(self, sql: str, params=()):
        return self.engine.one(sql, params)

    def migrate(self) -> list[str]:
        """Apply every numbered migration not yet applied (once, even when several app
        processes start together on PostgreSQL)."""
        def rollups(applied):
            if {"007_point_month", "008_kept_slot"} & set(applied):
                self._write(rebuild_rollups)
        return self.engine.migrate(after=rollups)

    def schema_version(self) -> int:
        row = self._one("SELECT max(version) FROM schema_migrations")
        return row[0] or 0

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

    # questionnaires.py
    publish = questionnaires.publish
    _choice_labels = staticmethod(questionnaires._choice_labels)
    retire = questionnaires.retire
    questionnaire = questionnaires.questionnaire
    current_questionnaires = questionnaires.current_questionnaires
    questionnaires_for = questionnaires.questionnaires_for
    questionnaire_versions = questionnaires.questionnaire_versions

    # points.py
    add_points = points.add_points
    upsert_points = points.upsert_points
    point = points.point
    update_point = points.update_point
    is_empty = points.is_empty
    points = points.points

    # respondents.py
    issue_codes = respondents.issue_codes
    revoke_code = respondents.revoke_code
    replace_code = respondents.replace_code
    _key_of = respondents._key_of
    respondent = respondents.respondent
    respondent_by_key = respondents.respondent_by_key
    demo_codes = respondents.demo_codes

    # period_states.py
    closed_periods = period_states.closed_periods
    open_periods = period_states.open_periods
    current_open_period = period_states.current_open_period
    close_period = period_states.close_period
    reopen_period = period_states.reopen_period
    period_usage = period_states.period_usage

    # drafts.py
    save_draft = drafts.save_draft
    draft = drafts.draft

    # rollups.py
    rebuild_rollups = staticmethod(rollups.rebuild_rollups)
    rebuild_kept_slot = staticmethod(rollups.rebuild_kept_slot)
    rebuild_point_month = staticmethod(rollups.rebuild_point_month)

    # submissions.py
    submit = submissions.submit
    _submitter = submissions._submitter
    _receipt_for_token = submissions._receipt_for_token
    kept = submissions.kept
    previous_answers = submissions.previous_answers
    recent_answers = submissions.recent_answers
    submission_answers = submissions.submission_answers
    history = submissions.history

    # accounts.py
    create_account = accounts.create_account
    account = accounts.account
    accounts_for_email = accounts.accounts_for_email
    signed_in = accounts.signed_in
    has_admin = accounts.has_admin
    check_login = accounts.check_login
    one_time_expires_at = accounts.one_time_expires_at
    set_password = accounts.set_password
    _end_staff_sessions = staticmethod(accounts._end_staff_sessions)
    update_account = accounts.update_account
    accounts = accounts.accounts

    # warning_states.py
    handle_warning = warning_states.handle_warning
    warning_states = warning_states.warning_states

    # audit.py
    _audit = staticmethod(audit._audit)
    audit_log = audit.audit_log
    audit_actions = audit.audit_actions
    audit = audit.audit

    # demo_data.py
    has_demo = demo_data.has_demo
    load_demo = demo_data.load_demo
    remove_demo = demo_data.remove_demo
