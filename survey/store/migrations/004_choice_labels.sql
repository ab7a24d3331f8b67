-- 004: choice labels beside choice codes in the answers view, and period_start for filtering.
CREATE TABLE choice_label (
    questionnaire_id VARCHAR NOT NULL,
    version          INTEGER NOT NULL,
    question_id      VARCHAR NOT NULL,
    code             VARCHAR NOT NULL,
    label_zh         VARCHAR NOT NULL,
    label_en         VARCHAR,
    PRIMARY KEY (questionnaire_id, version, question_id, code)
);

CREATE OR REPLACE VIEW answers AS
SELECT a.submission_id, s.point_id, s.questionnaire_id, s.period_key, a.question_id,
       a.row_id, a.type, a.indicator, a.value_num, a.value_text, a.value_bool, a.value_date,
       a.value_choices,
       CASE WHEN a.type = 'multiple_choice' THEN
            (SELECT string_agg(l.label_zh, '; ' ORDER BY l.code) FROM choice_label l
             WHERE l.questionnaire_id = s.questionnaire_id AND l.version = s.questionnaire_version
               AND l.question_id = a.question_id AND list_contains(a.value_choices, l.code))
            ELSE one.label_zh END AS label_zh,
       CASE WHEN a.type = 'multiple_choice' THEN
            (SELECT string_agg(coalesce(l.label_en, l.label_zh), '; ' ORDER BY l.code)
             FROM choice_label l
             WHERE l.questionnaire_id = s.questionnaire_id AND l.version = s.questionnaire_version
               AND l.question_id = a.question_id AND list_contains(a.value_choices, l.code))
            ELSE coalesce(one.label_en, one.label_zh) END AS label_en,
       s.period_start
FROM answer a
JOIN submissions s USING (submission_id)
LEFT JOIN choice_label one
       ON a.type IN ('single_choice', 'likert', 'matrix')
      AND one.questionnaire_id = s.questionnaire_id AND one.version = s.questionnaire_version
      AND one.question_id = a.question_id AND one.code = a.value_text;

CREATE OR REPLACE VIEW submission_history AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.submitted_at, s.revision, s.respondent_key,
       (k.submission_id IS NOT NULL) AS is_kept, s.period_start
FROM submission s
LEFT JOIN kept k USING (submission_id);
