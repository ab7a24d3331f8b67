-- title: 各县每月会议时长 | Monthly meeting hours by county
-- description: 参加会议小时数(上一个完整工作周)的人均值,按县和月份;n 为受访人数。 | Mean meeting hours in the reference week per respondent, by county and month; n = respondents.
SELECT p.county, iv.period_key,
       round(avg(iv.value), 2) AS meeting_hours,
       count(DISTINCT iv.respondent_key) AS n
FROM indicator_values iv
JOIN points p USING (point_id)
WHERE iv.indicator = 'meeting_hours' AND p.county IS NOT NULL
GROUP BY ALL
ORDER BY p.county, iv.period_key;
