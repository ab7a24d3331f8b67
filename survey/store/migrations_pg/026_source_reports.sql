-- 026 (PostgreSQL): as migrations/026_source_reports.sql: cadres' source reports per
-- submission and the 提示函 sent to bodies (issue 20, docs/sources.md), and the analysts'
-- views of them, with k as analyst.problem_reports reads it (survey/store/snapshot.py holds
-- the DuckDB text of the same views).
CREATE TABLE source_report (
    submission_id text NOT NULL,
    entry integer NOT NULL,
    point_id text NOT NULL,
    month text NOT NULL,
    topic text NOT NULL,
    how text NOT NULL,
    picked_body text,
    other_text text NOT NULL,
    body_id text,
    kind text,
    amount double precision NOT NULL,
    item_id text,
    off_plan text,
    PRIMARY KEY (submission_id, entry)
);
CREATE TABLE source_letter (
    letter_id text NOT NULL,
    body_id text NOT NULL,
    area text[] NOT NULL,
    finding text NOT NULL,
    facts text NOT NULL,
    reply_by date NOT NULL,
    reply_days integer NOT NULL,
    estimated boolean NOT NULL,
    problem_id text,
    created_at timestamp NOT NULL,
    created_by text NOT NULL,
    PRIMARY KEY (letter_id)
);

CREATE OR REPLACE VIEW analyst.source_burden AS
WITH setting AS (
    SELECT coalesce((SELECT CAST(value AS integer) FROM public.app_setting
                     WHERE name = 'analyst_k_anonymity'), 5) AS k),
merged AS (
    SELECT v.body_id, v.merged_into FROM public.body_version v
    WHERE v.revision = (SELECT max(w.revision) FROM public.body_version w WHERE w.body_id = v.body_id)),
cur AS (
    SELECT r.submission_id, r.point_id, r.month, r.topic, r.off_plan, r.amount,
           CASE WHEN r.body_id IS NULL THEN r.other_text ELSE '' END AS named,
           coalesce(m.merged_into, r.body_id) AS body_id,
           p.region[1] AS prefecture, p.region[2] AS county, p.is_demo
    FROM public.source_report r
    JOIN public.kept k USING (submission_id)
    JOIN public.point p ON p.point_id = r.point_id
    LEFT JOIN merged m ON m.body_id = r.body_id),
per_submission AS (
    SELECT prefecture, county, is_demo, body_id, month, topic, point_id, submission_id,
           sum(amount) AS amount
    FROM cur WHERE body_id IS NOT NULL
    GROUP BY prefecture, county, is_demo, body_id, month, topic, point_id, submission_id),
per_point AS (
    SELECT prefecture, county, is_demo, body_id, month, topic, point_id,
           CASE WHEN topic = 'inspections' THEN max(amount) ELSE sum(amount) END AS amount
    FROM per_submission GROUP BY prefecture, county, is_demo, body_id, month, topic, point_id)
SELECT prefecture, county, month, body_id, topic, sum(amount) AS amount, count(*) AS points,
       is_demo
FROM per_point GROUP BY prefecture, county, month, body_id, topic, is_demo
HAVING count(*) >= (SELECT k FROM setting);

CREATE OR REPLACE VIEW analyst.off_plan_findings AS
WITH setting AS (
    SELECT coalesce((SELECT CAST(value AS integer) FROM public.app_setting
                     WHERE name = 'analyst_k_anonymity'), 5) AS k),
merged AS (
    SELECT v.body_id, v.merged_into FROM public.body_version v
    WHERE v.revision = (SELECT max(w.revision) FROM public.body_version w WHERE w.body_id = v.body_id)),
cur AS (
    SELECT r.submission_id, r.point_id, r.month, r.topic, r.off_plan, r.amount,
           CASE WHEN r.body_id IS NULL THEN r.other_text ELSE '' END AS named,
           coalesce(m.merged_into, r.body_id) AS body_id,
           p.region[1] AS prefecture, p.region[2] AS county, p.is_demo
    FROM public.source_report r
    JOIN public.kept k USING (submission_id)
    JOIN public.point p ON p.point_id = r.point_id
    LEFT JOIN merged m ON m.body_id = r.body_id),
per_submission AS (
    SELECT prefecture, county, is_demo, month, body_id, named, off_plan, point_id,
           submission_id, count(*) AS n
    FROM cur WHERE topic = 'inspections' AND off_plan IS NOT NULL
    GROUP BY prefecture, county, is_demo, month, body_id, named, off_plan, point_id,
             submission_id),
per_point AS (
    SELECT prefecture, county, is_demo, month, body_id, named, off_plan, point_id, max(n) AS n
    FROM per_submission
    GROUP BY prefecture, county, is_demo, month, body_id, named, off_plan, point_id)
SELECT prefecture, county, month, body_id, named AS body_named, off_plan AS reason,
       sum(n) AS inspections, count(*) AS points, is_demo
FROM per_point GROUP BY prefecture, county, month, body_id, named, off_plan, is_demo
HAVING count(*) >= (SELECT k FROM setting);

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'survey_analyst') THEN
        GRANT SELECT ON analyst.source_burden, analyst.off_plan_findings TO survey_analyst;
    END IF;
END
$$;
