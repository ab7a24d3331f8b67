-- 007: a rollup of kept answers per point, indicator and period, so leaders' figures read
-- thousands of rows instead of millions. Maintained in the submit transaction (a revision
-- subtracts what it replaces) and rebuilt after bulk loads. Distinct respondents add up
-- across points because a respondent belongs to exactly one point.
CREATE TABLE point_month (
    point_id         VARCHAR NOT NULL,
    questionnaire_id VARCHAR NOT NULL,
    indicator        VARCHAR NOT NULL,
    period_start     DATE NOT NULL,
    n                INTEGER NOT NULL,   -- respondents (kept submissions) with a value
    total            DOUBLE NOT NULL,    -- sum of values
    favourable       DOUBLE NOT NULL,    -- sum of the share rule (yes / top two / low two)
    PRIMARY KEY (point_id, questionnaire_id, indicator, period_start)
);
-- Filled by Store.rebuild_rollups() right after this migration (the share rules live in Python).
