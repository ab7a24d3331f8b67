-- title: 各监测点填报率 | Response rate by point
-- description: 每个监测点每月已填报人数与有效填报码数之比(只看是否填报,不看答案)。 | Respondents who submitted over codes in use, per point and month (participation only).
WITH codes AS (
    SELECT point_id, count(*) AS codes FROM respondent WHERE revoked_at IS NULL GROUP BY ALL
)
SELECT p.name, p.county, s.period_key,
       count(DISTINCT s.respondent_key) AS received, c.codes,
       round(count(DISTINCT s.respondent_key) / c.codes, 2) AS response_rate
FROM submissions s
JOIN points p USING (point_id)
JOIN codes c USING (point_id)
GROUP BY p.name, p.county, s.period_key, c.codes
ORDER BY p.county, p.name, s.period_key;
