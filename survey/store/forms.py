"""SQL behind the cadres' fill flow (survey.form_flow) and the form's own burden
(survey.form_burden): where a draft stopped, the respondent's recent answers, and what each
submission asked and confirmed (migration 010)."""

from __future__ import annotations

import datetime as dt
import json

from survey import observability
from survey.store.core import Draft, Respondent, Store, _now


def save_draft(store: Store, respondent: Respondent, qn, period_key: str, answers: dict,
               started_at: dt.datetime, section_id: str | None, state: dict) -> None:
    """The answers and where the cadre is, in one transaction (a reload opens there)."""
    text = json.dumps(answers, ensure_ascii=False, sort_keys=True)
    flow = json.dumps(state, ensure_ascii=False, sort_keys=True)
    now = _now()

    def work(cur):
        cur.execute("INSERT INTO draft VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (respondent_key, "
                    "questionnaire_id, period_key) DO UPDATE SET version = excluded.version, "
                    "answers_json = excluded.answers_json, updated_at = excluded.updated_at",
                    [respondent.key, qn.id, period_key, qn.version, text, started_at, now])
        cur.execute("INSERT INTO draft_flow VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (respondent_key, "
                    "questionnaire_id, period_key) DO UPDATE SET section_id = excluded.section_id, "
                    "state_json = excluded.state_json, updated_at = excluded.updated_at",
                    [respondent.key, qn.id, period_key, section_id, flow, now])
    store._write(work)
    observability.DRAFTS_SAVED.inc()


def draft(store: Store, respondent: Respondent, questionnaire_id: str, period_key: str
          ) -> tuple[Draft, str | None, dict] | None:
    """The draft with the section it stopped in and its flow state ({} for a draft saved
    without one). A position left from a submitted draft is ignored: the draft is gone."""
    row = store._one(
        "SELECT d.answers_json, d.started_at, d.updated_at, d.version, f.section_id, "
        "f.state_json FROM draft d LEFT JOIN draft_flow f USING (respondent_key, "
        "questionnaire_id, period_key) WHERE d.respondent_key = ? AND d.questionnaire_id = ? "
        "AND d.period_key = ?", [respondent.key, questionnaire_id, period_key])
    if row is None:
        return None
    return (Draft(json.loads(row[0]), row[1], row[2], row[3]), row[4],
            json.loads(row[5]) if row[5] else {})


def recent_answers(store: Store, respondent: Respondent, qn, period_key: str,
                   look_back: int = 12) -> list[tuple[str, dict]]:
    """The respondent's kept answers before `period_key`, most recent first (Store's query)."""
    return store.recent_answers(respondent, qn, period_key, look_back)


def record_flow(store: Store, client_token: str, items_asked: int, confirmed_unchanged: bool,
                soft_checks: list[tuple[str, float, float, bool]]) -> None:
    """How filling went, under the token the submission will carry; written before submitting
    (a retry with the same token replaces it; without a submission it is never shown)."""
    now = _now()

    def work(cur):
        cur.execute("INSERT INTO form_flow_record VALUES (?, ?, ?, ?) ON CONFLICT (client_token) "
                    "DO UPDATE SET items_asked = excluded.items_asked, confirmed_unchanged = "
                    "excluded.confirmed_unchanged, recorded_at = excluded.recorded_at",
                    [client_token, items_asked, confirmed_unchanged, now])
        cur.execute("DELETE FROM soft_check_record WHERE client_token = ?", [client_token])
        for question_id, value, reference, confirmed in soft_checks:
            cur.execute("INSERT INTO soft_check_record VALUES (?, ?, ?, ?, ?)",
                        [client_token, question_id, value, reference, confirmed])
    store._write(work)


def burden_rows(store: Store, questionnaire_id: str | None = None,
                include_demo: bool = True) -> list[tuple]:
    """Per questionnaire, version and period, over first submissions (revision 1: the time a
    form takes is the time of filling it, not of correcting it): (questionnaire_id, version,
    period_key, submissions, median s, p90 s, recorded, median items asked, confirmed
    unchanged, soft checks, soft checks confirmed). A leaders' read over all submissions, in
    DuckDB's SQL on either engine."""
    where, params = ["s.revision = 1"], []
    if questionnaire_id:
        where.append("s.questionnaire_id = ?")
        params.append(questionnaire_id)
    if not include_demo:
        where.append("NOT p.is_demo")
    return store.query(f"""
        WITH checks AS (
            SELECT client_token, count(*) AS n, count(*) FILTER (confirmed) AS confirmed
            FROM soft_check_record GROUP BY ALL)
        SELECT s.questionnaire_id, s.version, s.period_key, count(*),
               median(s.duration_s), quantile_cont(s.duration_s, 0.9),
               count(f.client_token), median(f.items_asked),
               count(*) FILTER (f.confirmed_unchanged),
               coalesce(sum(c.n), 0), coalesce(sum(c.confirmed), 0)
        FROM submission s
        JOIN point p ON p.point_id = s.point_id
        LEFT JOIN form_flow_record f ON f.client_token = s.client_token
        LEFT JOIN checks c ON c.client_token = s.client_token
        WHERE {' AND '.join(where)}
        GROUP BY ALL ORDER BY s.questionnaire_id, s.period_key DESC, s.version DESC""", params)
