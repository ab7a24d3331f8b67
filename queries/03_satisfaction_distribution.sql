-- title: 减负满意度分布 | Satisfaction distribution
-- description: 每个季度各满意度选项的人数和占比(含中英文标签)。 | Answers per satisfaction option and quarter, with labels.
WITH answered AS (
    SELECT year(period_start) || '-Q' || quarter(period_start) AS quarter,
           value_text AS code, label_zh, label_en
    FROM answers
    WHERE question_id = 'satisfaction'
)
SELECT quarter, code, label_zh, label_en,
       count(*) AS answers,
       round(count(*) / sum(count(*)) OVER (PARTITION BY quarter), 3) AS share
FROM answered
GROUP BY quarter, code, label_zh, label_en
ORDER BY quarter, code;
