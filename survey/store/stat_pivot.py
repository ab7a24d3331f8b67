"""The SQL behind SPSS/Stata exports (survey.interop.stat_files): the analysts' views pivoted
to one row per kept submission and one column per variable, read in Arrow batches.

Every literal (question ids, choice codes) is a parameter; column aliases are the variable
names survey.interop.stat_files makes (letters, digits and _ only)."""

from __future__ import annotations

import re

_SAFE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_COLUMNS = {"submission_id": "s.submission_id", "point_id": "s.point_id",
            "questionnaire_version": "s.questionnaire_version", "period_key": "s.period_key",
            "period_start": "s.period_start", "respondent_key": "s.respondent_key",
            "revision": "s.revision", "is_demo": "CAST(s.is_demo AS INTEGER)",
            "submitted_at": "s.submitted_at"}


def questionnaire_ids(con) -> list[str]:
    return [q for (q,) in con.execute("SELECT DISTINCT questionnaire_id FROM submissions "
                                      "ORDER BY 1").fetchall()]


def versions(con, questionnaire_id: str) -> list[int]:
    return [v for (v,) in con.execute(
        "SELECT DISTINCT questionnaire_version FROM submissions WHERE questionnaire_id = ? "
        "ORDER BY 1", [questionnaire_id]).fetchall()]


def period_keys(con, questionnaire_id: str) -> list[str]:
    return [k for (k,) in con.execute(
        "SELECT DISTINCT period_key FROM submissions WHERE questionnaire_id = ?",
        [questionnaire_id]).fetchall()]


def _expression(source: tuple) -> tuple[str, list]:
    kind, *rest = source
    if kind == "column":
        return _COLUMNS[rest[0]], []
    qid = rest[0]
    if kind == "num":
        return "max(a.value_num) FILTER (a.question_id = ?)", [qid]
    if kind == "bool":
        return "max(CAST(a.value_bool AS INTEGER)) FILTER (a.question_id = ?)", [qid]
    if kind == "date":
        return "max(a.value_date) FILTER (a.question_id = ?)", [qid]
    if kind == "text":
        return "max(a.value_text) FILTER (a.question_id = ?)", [qid]
    if kind == "other":
        return "max(a.other_text) FILTER (a.question_id = ?)", [qid]
    if kind == "flag":
        return ("max(CAST(list_contains(a.value_choices, ?) AS INTEGER)) FILTER "
                "(a.question_id = ?)", [rest[1], qid])
    row_id, mapping = rest[1], rest[2]
    case = "CASE a.value_text " + " ".join("WHEN ? THEN ?" for _ in mapping) + " END"
    params = [x for code, value in mapping.items() for x in (code, value)]
    if row_id is None:
        return f"max({case}) FILTER (a.question_id = ?)", params + [qid]
    return f"max({case}) FILTER (a.question_id = ? AND a.row_id = ?)", params + [qid, row_id]


def reader(con, questionnaire_id: str, variables: list[tuple[str, tuple]],
           period_keys: list[str] | None, batch_rows: int):
    """An Arrow record batch reader over the pivot, ordered by period, point, submission."""
    fixed, pivoted, params = [], [], []
    for name, source in variables:
        if not _SAFE_NAME.match(name):
            raise ValueError(f"unsafe variable name {name!r}")
        sql, args = _expression(source)
        (fixed if source[0] == "column" else pivoted).append(f'{sql} AS "{name}"')
        params += args
    if len(fixed) != sum(1 for _n, s in variables if s[0] == "column") or not fixed:
        raise ValueError("the submission columns come first")
    where, where_params = ["s.questionnaire_id = ?"], [questionnaire_id]
    if period_keys is not None:  # the periods in the months asked for (periods.in_months)
        where.append("list_contains(?::VARCHAR[], s.period_key)")
        where_params.append(period_keys)
    group = ", ".join(str(i + 1) for i in range(len(fixed)))
    sql = (f"SELECT {', '.join(fixed + pivoted)} FROM submissions s LEFT JOIN answers a "
           f"USING (submission_id) WHERE {' AND '.join(where)} GROUP BY {group} "
           "ORDER BY s.period_start, s.point_id, s.submission_id")
    return con.execute(sql, params + where_params).to_arrow_reader(batch_size=batch_rows)
