"""docs/schema.md, generated from the database itself so that it cannot drift from the views.

The relations listed are exactly the analysts' allow-list (survey.analyst_views); each needs a
description here, column by column."""

from __future__ import annotations

from survey.analyst_views import ANALYST_VIEWS
from survey.indicators import INDICATORS
from survey.store import Store, snapshot

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
    "problem_reports": ("One row per problem report (线索), anonymised: no description (free "
                        "text can name its writer), the month instead of the moment, the county "
                        "only when it has at least k points and the reporting point only when at "
                        "least k reports came from it (k = snapshot_info.k_anonymity, default 5).", {
        "problem_id": "The problem the report was grouped into (same county, category and body).",
        "category": "Kind of burden: meetings_documents, inspections, traces, digital, duties_without_powers, plaques, escalation, other.",
        "body_level": "Level of the body that caused it: province, prefecture, county, township, other.",
        "body_name": "The body that caused it, as reported.",
        "via": "How it came in: code (a cadre with a respondent code) or public.",
        "reported_month": "First day of the month it was reported.",
        "happened": "When it happened, as the reporter gave it (a month), or NULL.",
        "problem_status": "Where the problem stands: new, verifying, rectifying, closed, dismissed.",
        "prefecture": "Prefecture of the reporting point.",
        "county": "County of the reporting point; NULL when the county has fewer than k points.",
        "point_id": "The reporting point; NULL unless at least k reports came from that point.",
        "is_demo": "True for demo data.",
    }),
    "point_codes": ("One row per point that has respondent codes: how many were issued and how "
                    "many are still in use (counts only; codes and their keys never reach "
                    "analysts). Response rate = respondents who submitted / codes_active.", {
        "point_id": "The monitoring point (join points).",
        "codes_issued": "Respondent codes ever issued for the point.",
        "codes_active": "Codes not revoked: the people expected to answer.",
    }),
    "form_flow": ("One row per kept submission filled since fill records began (migration 010): "
                  "what the form asked and how filling went, for the form's own burden "
                  "(survey.form_burden).", {
        "submission_id": "The submission (join submissions).",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "questionnaire_version": "Version answered.",
        "period_key": "Reporting period.",
        "period_start": "First day of the period.",
        "revision": "Revision number (1 = first submission).",
        "duration_s": "Seconds from opening the form to submitting.",
        "items_asked": "Questions asked (relevance applied).",
        "confirmed_unchanged": "True when the respondent confirmed \"nothing changed since last period\" and changed nothing.",
        "soft_checks": "Soft plausibility checks asked (\"very different from your recent months, please confirm\").",
        "soft_checks_confirmed": "Of those, answers kept on confirmation (the others were corrected).",
        "is_demo": "True for demo data.",
    }),
    "soft_checks": ("One row per soft plausibility check asked in a kept submission: a number far "
                    "from the respondent's own recent months, and whether it was confirmed.", {
        "submission_id": "The submission (join submissions).",
        "point_id": "The monitoring point.",
        "questionnaire_id": "Questionnaire id.",
        "questionnaire_version": "Version answered.",
        "period_key": "Reporting period.",
        "period_start": "First day of the period.",
        "question_id": "The question checked.",
        "value": "The answer that was checked.",
        "reference": "Median of the respondent's recent months it was compared with.",
        "confirmed": "True: the respondent confirmed the answer and it stands; false: they corrected it (the submitted answer is in answers).",
        "is_demo": "True for demo data.",
    }),
}
SNAPSHOT_INFO = ("`snapshot_info` (one row, in the snapshot only): `created_at` when it was "
                 "taken, `schema_version` the database migration it reflects, `k_anonymity` the "
                 "small-group threshold used for `problem_reports`.")


class SchemaDocError(RuntimeError):
    pass


def render(store: Store) -> str:
    columns = snapshot.columns(store)
    missing = [v for v in ANALYST_VIEWS if v not in VIEWS]
    undocumented = [f"{v}.{c}" for v, cols in columns.items() for c, _ in cols
                    if v in VIEWS and c not in VIEWS[v][1]]
    if missing or undocumented:
        raise SchemaDocError("undocumented analyst views or columns: " +
                             ", ".join(missing + undocumented) +
                             "; describe them in survey/schema_doc.py")
    out = ["# Database views (the analysts' contract)", "",
           "Generated from the database by `python -m survey schema-doc --write`; a test fails "
           "when this file is out of date. Query these views, not the tables behind them: "
           "view names and columns are stable, tables may change through migrations.", "",
           "These are also exactly the tables of the analytics snapshot "
           "(`data/analytics.duckdb`) and all the SQL workbench can read: the list is an "
           "allow-list (`survey/analyst_views.py`), so nothing else (accounts, sessions, "
           "drafts, the audit log, codes, keys, or a table added later) reaches analysts. "
           + SNAPSHOT_INFO, ""]
    for view in ANALYST_VIEWS:
        about, described = VIEWS[view]
        out += [f"## `{view}`", "", about, "", "| column | type | meaning |", "|---|---|---|"]
        out += [f"| `{c}` | {dtype} | {described[c]} |" for c, dtype in columns.get(view, [])]
        out.append("")
    out += ["## Indicators", "", "Values of `indicator_values.indicator` and `answers.indicator`.",
            "", "| key | 中文 | English | unit | lower is better |", "|---|---|---|---|---|"]
    out += [f"| `{i.key}` | {i.zh} | {i.en} | {i.unit_zh} / {i.unit_en} | "
            f"{'yes' if i.lower_is_better else 'no'} |" for i in INDICATORS.values()]
    return "\n".join(out) + "\n"
