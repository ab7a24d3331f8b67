-- 008: the kept submission of each respondent, point, questionnaire and period under one
-- single-column key, with what writing and reading it needs, so neither has to scan the
-- answer table (no index there): at 7 million submissions a four-column key lookup costs
-- ~2 ms and reading a submission's answers ~6 s, a single-column key lookup ~0.05 ms.
CREATE TABLE kept_slot (
    slot          VARCHAR PRIMARY KEY,   -- respondent_key|point_id|questionnaire_id|period_key
    submission_id VARCHAR NOT NULL,
    revision      INTEGER NOT NULL,
    indicators    VARCHAR[] NOT NULL,    -- indicator values of that submission (rollup deltas)
    vals          DOUBLE[] NOT NULL,
    answers_json  VARCHAR NOT NULL       -- the answer set (carry-forward, receipts, revisions)
);
-- Filled by Store.rebuild_rollups() right after this migration.
