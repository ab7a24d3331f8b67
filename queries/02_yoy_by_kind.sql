-- title: 各类监测点会议次数同比 | Year-on-year change of meetings by kind of point
-- description: 每类监测点每月人均会议次数,与去年同月比较:(本期-去年同期)/去年同期。 | Mean meetings per respondent by kind and month, against the same month a year before: (new - old) / old.
WITH monthly AS (
    SELECT p.kind, iv.period_start, avg(iv.value) AS meetings
    FROM indicator_values iv JOIN points p USING (point_id)
    WHERE iv.indicator = 'meetings'
    GROUP BY ALL
)
SELECT cur.kind, strftime(cur.period_start, '%Y-%m') AS month,
       round(cur.meetings, 2) AS meetings,
       round(prev.meetings, 2) AS meetings_last_year,
       round((cur.meetings - prev.meetings) / nullif(prev.meetings, 0), 3) AS yoy_change
FROM monthly cur
LEFT JOIN monthly prev
       ON prev.kind = cur.kind AND prev.period_start = cur.period_start - INTERVAL 1 YEAR
ORDER BY cur.kind, cur.period_start;
