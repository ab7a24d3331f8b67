"""Server-side drafts: nothing a cadre typed is lost between taps, reloads or devices."""

from __future__ import annotations

import datetime as dt
import json

from survey import observability
from survey.questionnaire import Questionnaire
from survey.store.engine import StoreError
from survey.store.model import Draft, _now, Respondent

MAX_DRAFT_CHARS = 64_000  # a whole monthly form is ~1 KB; a draft is answers, not files


def save_draft(store, respondent: Respondent, qn: Questionnaire, period_key: str,
               answers: dict, started_at: dt.datetime) -> None:
    text = json.dumps(answers, ensure_ascii=False, sort_keys=True)
    if len(text) > MAX_DRAFT_CHARS:
        raise StoreError(f"the draft is larger than {MAX_DRAFT_CHARS:,} characters; shorten "
                         "the longest answer", f"草稿超过 {MAX_DRAFT_CHARS:,} 字符,请缩短最长的回答。")
    store._write(lambda cur: cur.execute(
        "INSERT INTO draft VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (respondent_key, "
        "questionnaire_id, period_key) DO UPDATE SET "
        "version = excluded.version, answers_json = excluded.answers_json, "
        "updated_at = excluded.updated_at",
        [respondent.key, qn.id, period_key, qn.version, text, started_at, _now()]))
    observability.DRAFTS_SAVED.inc()


def draft(store, respondent: Respondent, questionnaire_id: str, period_key: str) -> Draft | None:
    row = store._one("SELECT answers_json, started_at, updated_at, version FROM draft WHERE "
                    "respondent_key = ? AND questionnaire_id = ? AND period_key = ?",
                    [respondent.key, questionnaire_id, period_key])
    return Draft(json.loads(row[0]), row[1], row[2], row[3]) if row else None
