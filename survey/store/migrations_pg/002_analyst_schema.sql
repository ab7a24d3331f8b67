-- 002 (PostgreSQL): the analysts' views in a schema of their own, `analyst`, so analysts attach
-- live, read-only, from their own DuckDB clients (docs/analysts.md) and PostgreSQL itself
-- enforces the allow-list (survey/analyst_views.py ANALYST_VIEWS): the role survey_analyst
-- (python -m survey analyst-role) may use this schema and read these views, and nothing else.
-- A view runs with its owner's rights, so that role needs no right on the tables underneath.
--
-- Same names, columns, order and values as the DuckDB views (migrations/002, 004, 010, 013) and
-- the snapshot's derived queries (survey/store/snapshot.py PROBLEM_REPORTS, POINT_CODES);
-- tests/test_analyst_live.py compares them row for row. A DuckDB migration that changes one of
-- those views needs a PostgreSQL file here that changes it the same way.

CREATE SCHEMA IF NOT EXISTS analyst;

-- Nobody reads the tables by being PUBLIC (PostgreSQL grants PUBLIC no table right by default;
-- said here so a database restored from elsewhere cannot bring one), and PUBLIC creates nothing
-- in schema public (PostgreSQL < 15 allowed it).
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON SCHEMA analyst FROM PUBLIC;

CREATE OR REPLACE VIEW analyst.points AS
SELECT point_id, name, level, kind, region,
       region[1] AS prefecture, region[2] AS county, region[3] AS township,
       active, is_demo
FROM public.point;

CREATE OR REPLACE VIEW analyst.submissions AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.period_start, s.submitted_at, s.duration_s, s.respondent_key,
       s.revision, p.is_demo
FROM public.kept k
JOIN public.submission s USING (submission_id)
JOIN public.point p ON p.point_id = s.point_id;

CREATE OR REPLACE VIEW analyst.submission_history AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.submitted_at, s.revision, s.respondent_key,
       (k.submission_id IS NOT NULL) AS is_kept, s.period_start
FROM public.submission s
LEFT JOIN public.kept k USING (submission_id);

-- Labels of several choices joined with '; ' in code order; COLLATE "C" orders codes by their
-- bytes, as DuckDB does, whatever the database's locale.
CREATE OR REPLACE VIEW analyst.answers AS
WITH multi AS (
    SELECT c.submission_id, c.question_id, c.row_id,
           string_agg(l.label_zh, '; ' ORDER BY l.code COLLATE "C") AS label_zh,
           string_agg(coalesce(l.label_en, l.label_zh), '; ' ORDER BY l.code COLLATE "C")
               AS label_en
    FROM (SELECT submission_id, question_id, row_id, unnest(value_choices) AS code
          FROM public.answer WHERE type = 'multiple_choice') c
    JOIN public.submission s USING (submission_id)
    JOIN public.choice_label l
      ON l.questionnaire_id = s.questionnaire_id AND l.version = s.version
     AND l.question_id = c.question_id AND l.code = c.code
    GROUP BY c.submission_id, c.question_id, c.row_id
)
SELECT a.submission_id, s.point_id, s.questionnaire_id, s.period_key, a.question_id,
       a.row_id, a.type, a.indicator, a.value_num, a.value_text, a.value_bool, a.value_date,
       a.value_choices,
       CASE WHEN a.type = 'multiple_choice' THEN m.label_zh ELSE one.label_zh END AS label_zh,
       CASE WHEN a.type = 'multiple_choice' THEN m.label_en
            ELSE coalesce(one.label_en, one.label_zh) END AS label_en,
       s.period_start
FROM public.answer a
JOIN analyst.submissions s USING (submission_id)
LEFT JOIN public.choice_label one
       ON a.type IN ('single_choice', 'likert', 'matrix')
      AND one.questionnaire_id = s.questionnaire_id AND one.version = s.questionnaire_version
      AND one.question_id = a.question_id AND one.code = a.value_text
LEFT JOIN multi m
       ON a.type = 'multiple_choice' AND m.submission_id = a.submission_id
      AND m.question_id = a.question_id AND m.row_id = a.row_id;

CREATE OR REPLACE VIEW analyst.indicator_values AS
SELECT a.submission_id, s.point_id, s.questionnaire_id, s.questionnaire_version, s.period_key,
       s.period_start, s.respondent_key, a.indicator, a.value_num AS value
FROM public.answer a
JOIN analyst.submissions s USING (submission_id)
WHERE a.indicator IS NOT NULL AND a.value_num IS NOT NULL;

-- Anonymised as in the snapshot (survey/store/snapshot.py PROBLEM_REPORTS): no description,
-- the month instead of the moment, the county only with at least k points, the reporting point
-- only with at least k reports. k is the app setting 'analyst_k_anonymity' (written by
-- `python -m survey analyst-role` from SURVEY_K), 5 when unset.
CREATE OR REPLACE VIEW analyst.problem_reports AS
WITH setting AS (
    SELECT coalesce((SELECT CAST(value AS integer) FROM public.app_setting
                     WHERE name = 'analyst_k_anonymity'), 5) AS k),
county_points AS (
    SELECT region[1] AS prefecture, region[2] AS county, count(*) AS n_points
    FROM public.point GROUP BY region[1], region[2]),
point_reports AS (SELECT point_id, count(*) AS n_reports FROM public.clue GROUP BY point_id)
SELECT c.problem_id, c.category, c.body_level, c.body_name, c.via,
       CAST(date_trunc('month', c.reported_at) AS date) AS reported_month, c.happened,
       pr.status AS problem_status, p.region[1] AS prefecture,
       CASE WHEN cp.n_points >= setting.k THEN p.region[2] END AS county,
       CASE WHEN r.n_reports >= setting.k THEN c.point_id END AS point_id,
       p.is_demo
FROM public.clue c
JOIN public.point p USING (point_id)
JOIN public.problem pr USING (problem_id)
JOIN point_reports r USING (point_id)
CROSS JOIN setting
LEFT JOIN county_points cp ON cp.prefecture = p.region[1] AND cp.county = p.region[2];

-- Codes issued and in use per point: counts, never the codes or their keys.
CREATE OR REPLACE VIEW analyst.point_codes AS
SELECT point_id, count(*) AS codes_issued,
       count(*) FILTER (WHERE revoked_at IS NULL) AS codes_active
FROM public.respondent GROUP BY point_id;

CREATE OR REPLACE VIEW analyst.form_flow AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.period_start, s.revision, s.duration_s, f.items_asked,
       f.confirmed_unchanged,
       (SELECT count(*) FROM public.soft_check_record c WHERE c.client_token = s.client_token)
           AS soft_checks,
       (SELECT count(*) FROM public.soft_check_record c WHERE c.client_token = s.client_token
           AND c.confirmed) AS soft_checks_confirmed,
       p.is_demo
FROM public.kept k
JOIN public.submission s USING (submission_id)
JOIN public.form_flow_record f ON f.client_token = s.client_token
JOIN public.point p ON p.point_id = s.point_id;

CREATE OR REPLACE VIEW analyst.soft_checks AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.period_start, c.question_id, c.value_num AS value,
       c.reference_num AS reference, c.confirmed, p.is_demo
FROM public.kept k
JOIN public.submission s USING (submission_id)
JOIN public.soft_check_record c ON c.client_token = s.client_token
JOIN public.point p ON p.point_id = s.point_id;

-- The analysts' role, when it exists already (python -m survey analyst-role creates it and
-- grants the same; this keeps a migration that replaces the views from leaving it without).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'survey_analyst') THEN
        GRANT USAGE ON SCHEMA analyst TO survey_analyst;
        GRANT SELECT ON analyst.points, analyst.submissions, analyst.submission_history,
              analyst.answers, analyst.indicator_values, analyst.problem_reports,
              analyst.point_codes, analyst.form_flow, analyst.soft_checks TO survey_analyst;
    END IF;
END
$$;
