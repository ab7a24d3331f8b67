"""Submissions: validated, written by one group-commit writer per process, one kept submission
per respondent, point, questionnaire and period, idempotent by the client's token, every
revision kept. On PostgreSQL several processes write: advisory locks on the token and the
slot serialise them."""

from __future__ import annotations

from dataclasses import dataclass, field
import datetime as dt
import json
import secrets
import threading
import time

from survey import answers as answer_rules
from survey import codes, observability, periods
from survey.questionnaire import Questionnaire
from survey.questionnaire.model import Question
from survey.store.engine import insert_many, lock_keys
from survey.store.model import AlreadySubmitted, CodeError, InvalidAnswers, _now, PeriodClosed, Receipt, _receipt, Respondent
from survey.store.rollups import _add_rollup, _slot
from survey.store.source_reports import Recorded, record as record_sources

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
    others: list = field(default_factory=list)  # (question_id, text) for answer_other
    sources: object = None  # a survey.sources.SourcesReport, or None: nothing about sources
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

    def __init__(self, store):
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
    submissions, answers, others, kept_rows, slot_rows, deltas = [], [], [], [], [], {}
    sourced = []
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
        others += [(submission_id,) + row for row in job.others]
        kept_rows.append(job.slot + (submission_id,))
        values = [(row[3], row[4]) for row in job.rows if row[3] is not None and row[4] is not None]
        slot_rows.append((_slot(*job.slot), submission_id, revision, [v[0] for v in values],
                          [v[1] for v in values], job.answers_json))
        _add_rollup(deltas, point, job.qn.id, job.period_start, values, +1)
        if previous:
            _add_rollup(deltas, point, job.qn.id, job.period_start, previous[2], -1)
        if job.sources is not None:
            sourced.append(Recorded(submission_id, job.sources, dict(values),
                                    previous[0] if previous else None))
        job.result = Receipt(submission_id, submitted_at, job.period_key, revision, job.qn.id,
                             job.qn.version)
    _insert_many(cur, "INSERT INTO submission VALUES", submissions)
    _insert_many(cur, "INSERT INTO answer VALUES", answers)
    if others:
        _insert_many(cur, "INSERT INTO answer_other VALUES", others)
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
    record_sources(cur, sourced)  # where the burden came from (docs/sources.md)
    by_period: dict[tuple, list] = {}
    for job in writing:
        by_period.setdefault((job.qn.id, job.period_key), []).append(job.respondent.key)
    for (qid, period_key), respondents in by_period.items():
        cur.execute(f"DELETE FROM draft WHERE questionnaire_id = ? AND period_key = ? AND "
                    f"respondent_key IN ({_in(respondents)})", [qid, period_key, *respondents])


def _insert_many(cur, head: str, rows: list[tuple], tail: str = "") -> None:
    """`head` is "INSERT INTO <table> VALUES"."""
    insert_many(cur, head.split()[2], rows, tail)


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


def other_rows(qn: Questionnaire, stored: dict) -> list[tuple]:
    """(question_id, text) of the "other" boxes in a cleaned answer set (answer_other)."""
    return [(q.id, stored[answer_rules.other_key(q.id)]) for q in qn.questions
            if answer_rules.other_key(q.id) in stored]


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


def submit(store, respondent: Respondent, qn: Questionnaire, period_key: str, answers: dict,
           client_token: str, started_at: dt.datetime | None = None,
           now: dt.datetime | None = None, today: dt.date | None = None,
           revisable: bool = True, sources=None) -> Receipt:
    """Store one submission atomically and make it the kept one for this respondent, point
    and period. Submitting again with the same client_token returns the first receipt.
    `sources`: a survey.sources.SourcesReport of the respondent's point (read_sources), stored
    in the same transaction (survey/store/source_reports.py); None stores nothing about them."""
    if sources is not None and sources.point_id != respondent.point.point_id:
        raise ValueError("the sources report is for another point than the respondent's")
    began, outcome = time.perf_counter(), "refused"
    try:
        existing = store._receipt_for_token(client_token)
        if existing:
            outcome = "duplicate"
            return existing
        errors = answer_rules.validate(qn, answers)
        if errors:
            outcome = "invalid"
            raise InvalidAnswers(errors)
        if period_key not in store.open_periods(qn, today):
            outcome = "closed"
            raise PeriodClosed(f"period {period_key} is closed or not open for reporting; "
                               "choose an open period")
        stored = answer_rules.clean(qn, answers)
        job = _Job(respondent, qn, period_key, periods.bounds(qn.period, period_key)[0],
                   _answer_rows(qn, stored), client_token, started_at, now, revisable,
                   json.dumps(stored, ensure_ascii=False, sort_keys=True),
                   other_rows(qn, stored), sources)
        receipt = store._submitter().submit(job)
        outcome = "revision" if receipt.revision > 1 else "stored"
        return receipt
    finally:
        observability.submitted(outcome, time.perf_counter() - began
                                if outcome in ("stored", "revision") else None)


def _submitter(store) -> "_GroupCommit":
    with store._version_lock:
        if getattr(store, "_group_commit", None) is None:
            store._group_commit = _GroupCommit(store)
        return store._group_commit


def _receipt_for_token(store, token: str) -> Receipt | None:
    row = store._one(_RECEIPT_SQL + " WHERE client_token = ?", [token])
    return _receipt(row) if row else None


def kept(store, respondent: Respondent, questionnaire_id: str, period_key: str
         ) -> tuple[Receipt, dict] | None:
    """The kept submission of this respondent for a period, with its answers."""
    row = store._one("SELECT k.answers_json, s.submission_id, s.submitted_at, s.period_key, "
                    "s.revision, s.questionnaire_id, s.version FROM kept_slot k JOIN "
                    "submission s USING (submission_id) WHERE k.slot = ?",
                    [_slot(respondent.key, respondent.point.point_id, questionnaire_id,
                           period_key)])
    if row is None:
        return None
    return _receipt(row[1:]), json.loads(row[0])


def previous_answers(store, respondent: Respondent, qn: Questionnaire, period_key: str,
                     look_back: int = 12) -> tuple[str, dict] | None:
    """The respondent's most recent kept answers from the `look_back` periods before
    `period_key` (carry-forward)."""
    recent = store.recent_answers(respondent, qn, period_key, look_back)
    return recent[0] if recent else None


def recent_answers(store, respondent: Respondent, qn: Questionnaire, period_key: str,
                   look_back: int = 12) -> list[tuple[str, dict]]:
    """The respondent's kept answers in the `look_back` periods before `period_key`, most
    recent first (carry-forward takes the first; soft checks look at several)."""
    keys, key = [], period_key
    for _ in range(look_back):
        key = periods.previous(qn.period, key)
        if key is None:  # a one-off survey: nothing before it
            break
        keys.append(key)
    if not keys:
        return []
    slots = [_slot(respondent.key, respondent.point.point_id, qn.id, k) for k in keys]
    found = dict(store._rows(f"SELECT slot, answers_json FROM kept_slot WHERE slot IN "
                            f"({_in(slots)})", slots))
    return [(key, json.loads(found[slot])) for key, slot in zip(keys, slots) if slot in found]


def submission_answers(store, submission_id: str) -> dict:
    """Rebuild the answer dict of any submission (history included) from its typed rows.
    This scans the answer table, which has no index: for the kept submission use kept()."""
    rows = store._rows("SELECT question_id, row_id, type, value_num, value_text, value_bool, "
                      "value_date, value_choices FROM answer WHERE submission_id = ?",
                      [submission_id])
    result: dict = {answer_rules.other_key(qid): text for qid, text in store._rows(
        "SELECT question_id, other_text FROM answer_other WHERE submission_id = ?",
        [submission_id])}
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


def history(store, respondent: Respondent, questionnaire_id: str, period_key: str) -> list[Receipt]:
    rows = store._rows(_RECEIPT_SQL + " WHERE respondent_key = ? AND point_id = ? AND "
                      "questionnaire_id = ? AND period_key = ? ORDER BY revision",
                      [respondent.key, respondent.point.point_id, questionnaire_id,
                       period_key])
    return [_receipt(r) for r in rows]
