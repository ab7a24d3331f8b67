-- 020: the text typed in a choice question's "other" box (other: true: its last choice, e.g.
-- 其他(请注明), opens a short text box), one row per submission and question, written with
-- the answer (survey/store/submissions.py). A table of its own: DuckDB migrations never ALTER
-- TABLE (duckdb#20543). The answers view shows it as a column of the choice's own row
-- (other_text), so analysts read the code, its label and what "other" was together.
CREATE TABLE answer_other (
    submission_id VARCHAR NOT NULL,
    question_id   VARCHAR NOT NULL,
    other_text    VARCHAR NOT NULL,
    PRIMARY KEY (submission_id, question_id)
);

CREATE OR REPLACE VIEW answers AS
WITH multi AS (
    SELECT c.submission_id, c.question_id, c.row_id,
           string_agg(l.label_zh, '; ' ORDER BY l.code) AS label_zh,
           string_agg(coalesce(l.label_en, l.label_zh), '; ' ORDER BY l.code) AS label_en
    FROM (SELECT submission_id, question_id, row_id, unnest(value_choices) AS code
          FROM answer WHERE type = 'multiple_choice') c
    JOIN submission s USING (submission_id)
    JOIN choice_label l
      ON l.questionnaire_id = s.questionnaire_id AND l.version = s.version
     AND l.question_id = c.question_id AND l.code = c.code
    GROUP BY ALL
)
SELECT a.submission_id, s.point_id, s.questionnaire_id, s.period_key, a.question_id,
       a.row_id, a.type, a.indicator, a.value_num, a.value_text, a.value_bool, a.value_date,
       a.value_choices,
       CASE WHEN a.type = 'multiple_choice' THEN m.label_zh ELSE one.label_zh END AS label_zh,
       CASE WHEN a.type = 'multiple_choice' THEN m.label_en
            ELSE coalesce(one.label_en, one.label_zh) END AS label_en,
       s.period_start, o.other_text
FROM answer a
JOIN submissions s USING (submission_id)
LEFT JOIN choice_label one
       ON a.type IN ('single_choice', 'likert', 'matrix')
      AND one.questionnaire_id = s.questionnaire_id AND one.version = s.questionnaire_version
      AND one.question_id = a.question_id AND one.code = a.value_text
LEFT JOIN multi m
       ON a.type = 'multiple_choice' AND m.submission_id = a.submission_id
      AND m.question_id = a.question_id AND m.row_id = a.row_id
LEFT JOIN answer_other o
       ON o.submission_id = a.submission_id AND o.question_id = a.question_id
      AND a.row_id = '';
