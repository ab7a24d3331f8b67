-- title: 填报用时 | Time to complete the form
-- description: 每月填报用时的中位数和90%分位(秒),检验问卷是否足够简短。 | Median and 90th percentile seconds from opening to submitting, per month: is the form short enough?
SELECT period_key,
       count(*) AS submissions,
       round(median(duration_s)) AS median_seconds,
       round(quantile_cont(duration_s, 0.9)) AS p90_seconds
FROM submissions
WHERE questionnaire_id = 'burden_monthly'
GROUP BY ALL
ORDER BY period_key;
