-- title: 各监测点填报率 | Response rate by point
-- description: 每个监测点每月已填报人数与有效填报码数之比(只看是否填报,不看答案)。 | Respondents who submitted over codes in use, per point and month (participation only).
SELECT p.name, p.county, s.period_key,
       count(DISTINCT s.respondent_key) AS received, c.codes_active AS codes,
       round(count(DISTINCT s.respondent_key) / c.codes_active, 2) AS response_rate
FROM submissions s
JOIN points p USING (point_id)
JOIN point_codes c USING (point_id)
GROUP BY p.name, p.county, s.period_key, c.codes_active
ORDER BY p.county, p.name, s.period_key;
