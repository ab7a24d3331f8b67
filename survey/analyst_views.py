"""What analysts may read: the one allow-list.

The analytics snapshot (data/analytics.duckdb, handed to analysts' own DuckDB clients and
queried by the SQL workbench) is a new file holding exactly these relations, each written from
the view or query of the same name (survey.store.snapshot), and nothing else. docs/schema.md is
generated from this list (survey.schema_doc), the workbench refuses any other table name
(survey.store.sql_vet), and tests/test_snapshot_allowlist.py fails when the snapshot holds
anything not on it. A table added to the database later therefore stays out by default.

On PostgreSQL the same list is enforced by the database: analysts attach live as the role
survey_analyst, which may read only the views of schema `analyst` named here
(survey/store/migrations_pg/002_analyst_schema.sql, survey.store.analyst_access;
tests/test_analyst_live.py compares them with the DuckDB views).

To give analysts a new view: add its name here (one line), describe its columns in
survey/schema_doc.py, and run `python -m survey schema-doc --write`; for PostgreSQL, a new
migrations_pg file creating it in schema `analyst` with the same columns and values.
"""

ANALYST_VIEWS = (
    "points",
    "submissions",
    "submission_history",
    "answers",
    "indicator_values",
    "problem_reports",  # anonymised: see survey.store.snapshot.PROBLEM_REPORTS
    "point_codes",  # respondent codes per point, counts only (response rates)
    "form_flow",  # how each kept submission was filled: items asked, unchanged, soft checks
    "soft_checks",  # soft plausibility checks asked and whether the answer was confirmed
    "bodies",  # upper-level bodies, one row per version (docs/sources.md)
    "plan_items",  # filed plan items (督检考计划备案), one row per version
    "duty_list",  # township duty lists (镇街职责清单)
    "source_burden",  # documents, meetings, forms, inspections attributed to bodies, k points
    "off_plan_findings",  # off-plan inspections by county, month and body, k points
)

# When and from which schema version the snapshot was taken (no server paths).
SNAPSHOT_META = ("snapshot_info",)

SNAPSHOT_RELATIONS = ANALYST_VIEWS + SNAPSHOT_META
