-- 002: the analysts' contract. Stable names and columns; documented in docs/schema.md.

CREATE OR REPLACE VIEW points AS
SELECT point_id, name, level, kind, region,
       region[1] AS prefecture, region[2] AS county, region[3] AS township,
       active, is_demo
FROM point;

CREATE OR REPLACE VIEW submissions AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.period_start, s.submitted_at, s.duration_s, s.respondent_key,
       s.revision, p.is_demo
FROM kept k
JOIN submission s USING (submission_id)
JOIN point p ON p.point_id = s.point_id;

CREATE OR REPLACE VIEW submission_history AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.submitted_at, s.revision, s.respondent_key,
       (k.submission_id IS NOT NULL) AS is_kept
FROM submission s
LEFT JOIN kept k USING (submission_id);

CREATE OR REPLACE VIEW answers AS
SELECT a.submission_id, s.point_id, s.questionnaire_id, s.period_key, a.question_id,
       a.row_id, a.type, a.indicator, a.value_num, a.value_text, a.value_bool, a.value_date,
       a.value_choices
FROM answer a
JOIN submissions s USING (submission_id);

CREATE OR REPLACE VIEW indicator_values AS
SELECT a.submission_id, s.point_id, s.questionnaire_id, s.questionnaire_version, s.period_key,
       s.period_start, s.respondent_key, a.indicator, a.value_num AS value
FROM answer a
JOIN submissions s USING (submission_id)
WHERE a.indicator IS NOT NULL AND a.value_num IS NOT NULL;
