"""Writing imported history: past periods' submissions through the same rules as a submit.

Each row becomes a submission through core's write path (_write_wave): one kept submission per
respondent, point, questionnaire and period, a changed row a new revision, the point_month and
kept_slot rollups maintained, so imported data counts in every figure like any other. What is
not a respondent's submit is skipped on purpose: the open-period window (history is about past
periods) and code ownership (history respondents are keyed hashes without a code).

Idempotent: a row's client token is a hash of its content (respondent, point, questionnaire,
period and answers), so loading the same file again, or the same rows from another file, adds
nothing; a row whose answers changed becomes a revision. Every written submission records its
source file, sheet and row in submission_source (migration 011). One transaction for the lot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from survey import answers as answer_rules
from survey import periods
from survey.questionnaire import Questionnaire
from survey.store.core import (Point, Respondent, Store, _answer_rows, _insert_many, _Job, _now,
                               _slot, _write_wave)
from survey.store.submissions import other_rows
from survey.store.engine import lock_keys


WAVE = 500


@dataclass(frozen=True)
class HistoryRow:
    """One validated row of a history file."""

    respondent_key: str
    point: Point
    questionnaire: Questionnaire
    period_key: str
    answers: dict
    sheet: str
    row: int
    history_respondent: bool = True  # False: a key of an existing respondent (round trip)


@dataclass(frozen=True)
class LoadSummary:
    written: int  # new submissions (first ones and revisions)
    revised: int  # of which revisions of an existing kept submission
    unchanged: int  # rows already loaded with the same answers


def row_token(row: HistoryRow, stored: dict) -> str:
    content = json.dumps([row.respondent_key, row.point.point_id, row.questionnaire.id,
                          row.period_key, stored], ensure_ascii=False, sort_keys=True)
    return "history:" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:40]


def same_answers(stored_json: str | None, new_json: str) -> bool:
    """Whether two answer sets are equal as data: the JSON text differs by writer (the demo and
    the form write it compact, this module with spaces), so the parsed values are compared."""
    try:
        return json.loads(stored_json or "{}") == json.loads(new_json)
    except (TypeError, ValueError):
        return False


def load(store: Store, rows: list[HistoryRow], source_file: str, source_sha256: str,
         actor: str) -> LoadSummary:
    """Write the rows in one transaction (all or nothing)."""
    now = _now()
    jobs, sources = [], {}
    for row in rows:
        stored = answer_rules.clean(row.questionnaire, row.answers)
        start, end = periods.bounds(row.questionnaire.period, row.period_key)
        job = _Job(Respondent(row.respondent_key, row.point), row.questionnaire, row.period_key,
                   start, _answer_rows(row.questionnaire, stored), row_token(row, stored),
                   None, dt.datetime.combine(end, dt.time(12)), True,
                   json.dumps(stored, ensure_ascii=False, sort_keys=True),
                   other_rows(row.questionnaire, stored))
        jobs.append(job)
        sources[job.client_token] = row

    def work(cur):
        # One import at a time across app servers: a second load of the same file waits for
        # the first to commit, then finds every row known (written once, counted once).
        lock_keys(cur, ["history-import"])
        known = {t for (t,) in cur.execute(
            "SELECT client_token FROM submission WHERE client_token IN "
            "(SELECT unnest(CAST(? AS TEXT[])))",
            [[j.client_token for j in jobs]]).fetchall()}
        # the same answers as the kept submission (e.g. the platform's own export loaded
        # back): nothing to add either
        slots = {_slot(*j.slot): j for j in jobs if j.client_token not in known}
        same = {s for s, answers in cur.execute(
            "SELECT slot, answers_json FROM kept_slot WHERE slot IN "
            "(SELECT unnest(CAST(? AS TEXT[])))",
            [list(slots)]).fetchall() if same_answers(answers, slots[s].answers_json)}
        known |= {slots[s].client_token for s in same}
        todo = [j for j in jobs if j.client_token not in known]
        _history_respondents(cur, [sources[j.client_token] for j in todo])
        revised = 0
        # waves of distinct slots as the group commit makes them (validation refuses a slot
        # twice in one file), of at most WAVE rows: _write_wave lists a wave's keys in SQL
        while todo:
            wave, rest, slots = [], [], set()
            for job in todo:  # waves of distinct slots, small enough for one statement each
                (rest if job.slot in slots or len(wave) >= WAVE else wave).append(job)
                slots.add(job.slot)
            _write_wave(cur, wave)
            provenance = []
            for job in wave:
                if isinstance(job.result, BaseException):
                    raise job.result
                revised += job.result.revision > 1
                row = sources[job.client_token]
                provenance.append((job.result.submission_id, source_file, source_sha256,
                                   row.sheet, row.row, now, actor))
            _insert_many(cur, "INSERT INTO submission_source VALUES", provenance)
            todo = rest
        _close_history_respondents(cur)
        written = len(jobs) - len(known)
        store._audit(cur, actor, "import_history", source_file,
                     {"sha256": source_sha256, "rows": len(jobs), "written": written,
                      "revised": revised})
        return LoadSummary(written, revised, len(known))
    return store._write(work)


def _history_respondents(cur, rows: list[HistoryRow]) -> None:
    """Create the respondents of imported history (keyed hashes, no code) and open them for
    this write; they are closed again after it (see _close_history_respondents)."""
    spans: dict[str, list] = {}
    for row in rows:
        if not row.history_respondent:
            continue
        start = periods.bounds(row.questionnaire.period, row.period_key)[0]
        span = spans.setdefault(row.respondent_key, [row.point.point_id, start, start])
        span[1], span[2] = min(span[1], start), max(span[2], start)
    if not spans:
        return
    keys = list(spans)
    columns = [keys, [spans[k][0] for k in keys], [spans[k][1] for k in keys],
               [spans[k][2] for k in keys]]
    spans_sql = ("SELECT * FROM (SELECT unnest(CAST(? AS TEXT[])) AS k, "
                 "unnest(CAST(? AS TEXT[])) AS p, unnest(CAST(? AS DATE[])) AS f, "
                 "unnest(CAST(? AS DATE[])) AS l) AS spans")
    cur.execute(f"INSERT INTO history_respondent {spans_sql} WHERE true ON CONFLICT "
                "(respondent_key) DO UPDATE SET "
                "first_period = least(history_respondent.first_period, excluded.first_period), "
                "last_period = greatest(history_respondent.last_period, excluded.last_period)",
                columns)
    cur.execute(f"INSERT INTO respondent (respondent_key, point_id, issued_at) SELECT k, p, f "
                f"FROM ({spans_sql}) AS s ON CONFLICT DO NOTHING", columns)
    cur.execute("UPDATE respondent SET revoked_at = NULL WHERE respondent_key IN "
                "(SELECT unnest(CAST(? AS TEXT[])))", [keys])


def _close_history_respondents(cur) -> None:
    """A history respondent has no code and answered only in the imported periods: its
    'code' counts as ended after the last of them, so the response monitor does not expect
    answers from it now."""
    cur.execute("""
        UPDATE respondent SET issued_at = h.first_period,
               revoked_at = CAST(h.last_period + INTERVAL '1 month' AS TIMESTAMP)
        FROM history_respondent h
        WHERE respondent.respondent_key = h.respondent_key AND respondent.revoked_at IS NULL""")


def existing_respondents(store: Store, keys: list[str]) -> dict[str, str]:
    """respondent key -> point id, for keys that exist (the platform's own export)."""
    if not keys:
        return {}
    return dict(store.query("SELECT respondent_key, point_id FROM respondent WHERE "
                            "respondent_key IN (SELECT unnest(?))", [keys]))


def history_respondents(store: Store) -> set[str]:
    return {k for (k,) in store.query("SELECT respondent_key FROM history_respondent")}


def imports(store: Store) -> list[tuple]:
    """(file, sha256, kept submissions, first period, last period, imported at) per file."""
    return store.query("""
        SELECT src.source_file, src.source_sha256, count(*) FILTER (k.submission_id IS NOT NULL),
               min(s.period_key), max(s.period_key), max(src.imported_at)
        FROM submission_source src JOIN submission s USING (submission_id)
        LEFT JOIN kept k USING (submission_id)
        GROUP BY ALL ORDER BY 6 DESC""")


def versions_in_force(store: Store, questionnaire_id: str) -> list[tuple[int, dt.datetime]]:
    """(version, published_at) of a questionnaire, oldest first."""
    return store.query("SELECT version, published_at FROM questionnaire_version WHERE "
                       "questionnaire_id = ? ORDER BY version", [questionnaire_id])
