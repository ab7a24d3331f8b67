-- 026: what cadres report about where their burden comes from (issue 20, docs/sources.md),
-- and the 提示函 (reminder letters) leaders send to the bodies. New tables only (no ALTER
-- TABLE: duckdb#20543).

-- One row per inspection or 'mainly from' pick of a submission, written by submit in its
-- transaction (survey/store/source_reports.py). A revision replaces its predecessor's rows;
-- reads count only kept submissions. Derived from the submission like the rollups: the
-- answer itself stays in answer/kept_slot.
CREATE TABLE source_report (
    submission_id VARCHAR NOT NULL,
    entry         INTEGER NOT NULL,    -- 1, 2, ... within the submission
    point_id      VARCHAR NOT NULL,
    month         VARCHAR NOT NULL,    -- 2027-04: the month reported on
    topic         VARCHAR NOT NULL,    -- inspections | documents | meetings | forms
    how           VARCHAR NOT NULL,    -- came (confirmed from the plan) | other (not on the list) | mainly
    picked_body   VARCHAR,             -- the registry body the cadre picked (NULL: 其他)
    other_text    VARCHAR NOT NULL,    -- the name typed with 其他, verbatim ('' otherwise)
    body_id       VARCHAR,             -- the body it counts for (after merges, 其他 resolved); NULL: none matched
    kind          VARCHAR,             -- inspections: inspection | check | assessment | research
    amount        DOUBLE NOT NULL,     -- inspections 1; mainly: the topic's count / bodies picked
    item_id       VARCHAR,             -- the plan item confirmed, matched, or filed late
    off_plan      VARCHAR,             -- NULL: on plan (or not an inspection); not_filed | filed_late
    PRIMARY KEY (submission_id, entry)
);

-- A 提示函 drafted from a finding: what it says (the figures as the page showed them), to
-- whom, the reply date on the working-day calendar, and the problem-list entry it opened.
CREATE TABLE source_letter (
    letter_id     VARCHAR PRIMARY KEY,   -- TSH-2027-0001
    body_id       VARCHAR NOT NULL,
    area          VARCHAR[] NOT NULL,    -- the region the figures cover
    finding       VARCHAR NOT NULL,      -- off_plan | rising
    facts         VARCHAR NOT NULL,      -- JSON: the figures and months cited
    reply_by      DATE NOT NULL,
    reply_days    INTEGER NOT NULL,      -- working days from the day it was drafted
    estimated     BOOLEAN NOT NULL,      -- the reply date crosses a year no schedule covers
    problem_id    VARCHAR,
    created_at    TIMESTAMP NOT NULL,
    created_by    VARCHAR NOT NULL
);
