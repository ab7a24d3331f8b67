"""docs/schema.md, generated from the database itself so that it cannot drift from the views."""

from __future__ import annotations

from survey.indicators import INDICATORS
from survey.store import Store

VIEWS = {
    "points": ("One row per monitoring point.", {
        "point_id": "Stable id of the point.",
        "name": "Name of the point (demo points end in (演示)).",
        "level": "Administrative level: province, prefecture, county, township, village.",
        "kind": "Kind of point: county_dept, township, village, community, enterprise, school, hospital.",
        "region": "Region path, top down, e.g. [江北市, 清河县, 城关镇].",
        "prefecture": "region[1].",
        "county": "region[2] (NULL for a prefecture-level point).",
        "township": "region[3] (NULL above township level).",
        "active": "False once the point is no longer monitored.",
        "is_demo": "True for generated demo data; exclude it from real analysis.",
    }),
    "submissions": ("One row per kept submission: the latest revision of each respondent, point, "
                    "questionnaire and period.", {
        "submission_id": "Receipt id shown to the respondent.",
        "point_id": "The monitoring point (join points).",
        "questionnaire_id": "Questionnaire id, e.g. burden_monthly.",
        "questionnaire_version": "The exact published version answered.",
        "period_key": "Reporting period: 2026-11 (month), 2026-Q4 (quarter), 2026-W47 (ISO week).",
        "period_start": "First day of the period (DATE), for ordering and date arithmetic.",
        "submitted_at": "When it was submitted (server time).",
        "duration_s": "Seconds from opening the form to submitting (the only thing recorded about filling).",
        "respondent_key": "Pseudonym: keyed hash of the respondent code. No names are stored.",
        "revision": "1 for the first submission, 2 after one revision, ...",
        "is_demo": "True for demo data.",
    }),
    "submission_history": ("Every submission ever made, revisions included.", {
        "submission_id": "Receipt id.",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "questionnaire_version": "Version answered.",
        "period_key": "Reporting period.",
        "submitted_at": "When it was submitted.",
        "revision": "Revision number within respondent, point, questionnaire and period.",
        "respondent_key": "Pseudonym of the respondent.",
        "is_kept": "True for the revision that counts (the one in submissions).",
        "period_start": "First day of the period.",
    }),
    "answers": ("One row per answer of a kept submission (one per row of a matrix question), "
                "with typed value columns: exactly the column for the question's type is set.", {
        "submission_id": "The submission (join submissions).",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "period_key": "Reporting period.",
        "question_id": "Question id in the questionnaire YAML.",
        "row_id": "Matrix row id; '' for other questions.",
        "type": "Question type: integer, decimal, single_choice, multiple_choice, likert, yes_no, date, short_text, long_text, matrix.",
        "indicator": "Indicator key the question measures (see below), or NULL.",
        "value_num": "Numbers; likert and numeric choice codes; yes_no as 1/0; multiple_choice as the count selected.",
        "value_text": "Text answers (verbatim) and choice codes.",
        "value_bool": "yes_no answers.",
        "value_date": "date answers.",
        "value_choices": "multiple_choice answers: the list of selected codes.",
        "label_zh": "Chinese label of the chosen code(s) for choice, likert and matrix answers ('; ' between several).",
        "label_en": "English label of the chosen code(s) (Chinese where there is none).",
        "period_start": "First day of the period.",
    }),
    "indicator_values": ("One row per kept submission and indicator: the numeric value, "
                         "comparable across questionnaire versions. Start here for trends.", {
        "submission_id": "The submission.",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "questionnaire_version": "Version answered.",
        "period_key": "Reporting period.",
        "period_start": "First day of the period.",
        "respondent_key": "Pseudonym of the respondent (count distinct for group sizes).",
        "indicator": "Indicator key (see the table below).",
        "value": "The value, in the indicator's unit.",
    }),
}


class SchemaDocError(RuntimeError):
    pass


def render(store: Store) -> str:
    rows = store.query("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_name IN (SELECT view_name FROM duckdb_views() WHERE NOT "
                       "internal) ORDER BY table_name, ordinal_position")
    columns: dict[str, list[tuple[str, str]]] = {}
    for view, column, dtype in rows:
        columns.setdefault(view, []).append((column, dtype))
    undocumented = [f"{v}.{c}" for v, cols in columns.items() for c, _ in cols
                    if v not in VIEWS or c not in VIEWS[v][1]]
    if undocumented:
        raise SchemaDocError("undocumented view columns: " + ", ".join(undocumented) +
                             "; describe them in survey/schema_doc.py")
    out = ["# Database views (the analysts' contract)", "",
           "Generated from the database by `python -m survey schema-doc --write`; a test fails "
           "when this file is out of date. Query these views, not the tables behind them: "
           "view names and columns are stable, tables may change through migrations.", ""]
    for view, (about, described) in VIEWS.items():
        out += [f"## `{view}`", "", about, "", "| column | type | meaning |", "|---|---|---|"]
        out += [f"| `{c}` | {dtype} | {described[c]} |" for c, dtype in columns.get(view, [])]
        out.append("")
    out += ["## Indicators", "", "Values of `indicator_values.indicator` and `answers.indicator`.",
            "", "| key | 中文 | English | unit | lower is better |", "|---|---|---|---|---|"]
    out += [f"| `{i.key}` | {i.zh} | {i.en} | {i.unit_zh} / {i.unit_en} | "
            f"{'yes' if i.lower_is_better else 'no'} |" for i in INDICATORS.values()]
    return "\n".join(out) + "\n"
