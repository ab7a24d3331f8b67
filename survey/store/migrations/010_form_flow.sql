-- 010: the cadres' fill flow (issue 11). New tables only (no ALTER TABLE: duckdb#20543).

-- Where a cadre stopped in a draft, so a reload or another device opens there. Private, like
-- draft: never an analyst view, left out of the snapshot.
CREATE TABLE draft_flow (
    respondent_key   VARCHAR NOT NULL,
    questionnaire_id VARCHAR NOT NULL,
    period_key       VARCHAR NOT NULL,
    section_id       VARCHAR,
    state_json       VARCHAR NOT NULL,     -- changed questions, soft checks asked and confirmed
    updated_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (respondent_key, questionnaire_id, period_key)
);

-- How filling went, per submission attempt, written under the submit's client token just
-- before the submission itself (a record without a submission is never shown: the views join).
CREATE TABLE form_flow_record (
    client_token        VARCHAR PRIMARY KEY,
    items_asked         INTEGER NOT NULL,    -- questions asked (relevance applied)
    confirmed_unchanged BOOLEAN NOT NULL,    -- "nothing changed since last period" used, no edit
    recorded_at         TIMESTAMP NOT NULL
);

-- Soft plausibility checks ("very different from your recent months, please confirm").
CREATE TABLE soft_check_record (
    client_token  VARCHAR NOT NULL,
    question_id   VARCHAR NOT NULL,
    value_num     DOUBLE,                    -- the answer that was checked
    reference_num DOUBLE,                    -- median of the respondent's recent months
    confirmed     BOOLEAN NOT NULL,          -- true: kept on confirmation; false: corrected
    PRIMARY KEY (client_token, question_id)
);

CREATE OR REPLACE VIEW form_flow AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.period_start, s.revision, s.duration_s, f.items_asked,
       f.confirmed_unchanged,
       (SELECT count(*) FROM soft_check_record c WHERE c.client_token = s.client_token)
           AS soft_checks,
       (SELECT count(*) FROM soft_check_record c WHERE c.client_token = s.client_token
           AND c.confirmed) AS soft_checks_confirmed,
       p.is_demo
FROM kept k
JOIN submission s USING (submission_id)
JOIN form_flow_record f ON f.client_token = s.client_token
JOIN point p ON p.point_id = s.point_id;

CREATE OR REPLACE VIEW soft_checks AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.period_start, c.question_id, c.value_num AS value,
       c.reference_num AS reference, c.confirmed, p.is_demo
FROM kept k
JOIN submission s USING (submission_id)
JOIN soft_check_record c ON c.client_token = s.client_token
JOIN point p ON p.point_id = s.point_id;
