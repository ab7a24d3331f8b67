-- 020 (PostgreSQL): as migrations/020_answer_other.sql: the table, and the analysts' answers
-- view with other_text as its last column (CREATE OR REPLACE keeps the view's grants).
CREATE TABLE answer_other (
    submission_id text NOT NULL,
    question_id text NOT NULL,
    other_text text NOT NULL,
    PRIMARY KEY (submission_id, question_id)
);

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
       s.period_start, o.other_text
FROM public.answer a
JOIN analyst.submissions s USING (submission_id)
LEFT JOIN public.choice_label one
       ON a.type IN ('single_choice', 'likert', 'matrix')
      AND one.questionnaire_id = s.questionnaire_id AND one.version = s.questionnaire_version
      AND one.question_id = a.question_id AND one.code = a.value_text
LEFT JOIN multi m
       ON a.type = 'multiple_choice' AND m.submission_id = a.submission_id
      AND m.question_id = a.question_id AND m.row_id = a.row_id
LEFT JOIN public.answer_other o
       ON o.submission_id = a.submission_id AND o.question_id = a.question_id
      AND a.row_id = '';
