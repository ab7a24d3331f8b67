"""Derived tables kept in step with submissions: kept_slot (the kept answers of each
respondent, point, questionnaire and period) and point_month (sums per point and month for the
leaders' figures). Submit maintains them by deltas; these rebuild them from scratch."""

from __future__ import annotations

import json

from survey.answers import other_key
from survey.store.engine import is_postgres_cursor

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


def _slot(respondent_key: str, point_id: str, questionnaire_id: str, period_key: str) -> str:
    return f"{respondent_key}|{point_id}|{questionnaire_id}|{period_key}"


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


def rebuild_rollups(cur) -> None:
    """Recompute kept_slot and point_month from the kept answers (after migrations and the
    demo load; fine for small data; the benchmark generator writes kept_slot itself)."""
    rebuild_kept_slot(cur)
    rebuild_point_month(cur)


def rebuild_kept_slot(cur) -> None:
    """Matrix answers are left out of the rebuilt answer JSON (submit writes them); the text
    of an "other" choice is put back (so carry-forward and a revision still show it)."""
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
    merged: dict[str, dict] = {}
    for slot, answers, question_id, text in cur.execute(
            "SELECT ks.slot, ks.answers_json, o.question_id, o.other_text FROM kept_slot ks "
            "JOIN answer_other o USING (submission_id)").fetchall():
        merged.setdefault(slot, json.loads(answers))[other_key(question_id)] = text
    for slot, answers in merged.items():
        cur.execute("UPDATE kept_slot SET answers_json = ? WHERE slot = ?",
                    [json.dumps(answers, ensure_ascii=False, sort_keys=True), slot])


def rebuild_point_month(cur) -> None:
    cur.execute("DELETE FROM point_month")
    cur.execute(f"""
        INSERT INTO point_month
        SELECT s.point_id, s.questionnaire_id, a.indicator, s.period_start, count(*),
               sum(a.value_num), sum({_favourable_sql('a.indicator', 'a.value_num')})
        FROM answer a JOIN kept k USING (submission_id) JOIN submission s USING (submission_id)
        WHERE a.indicator IS NOT NULL AND a.value_num IS NOT NULL
        GROUP BY s.point_id, s.questionnaire_id, a.indicator, s.period_start""")
