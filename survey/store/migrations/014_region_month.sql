-- 014: the point_month rollup summed per region and kind: one row per questionnaire, indicator,
-- month, prefecture, county, level and kind (at 5,000 points ~7x fewer rows than point_month,
-- and no join to the points), so the leaders' province and county figures and their
-- breakdowns by kind, level, prefecture and county read it instead of point_month
-- (survey/store/region_rollup.py). `points` counts the point-months with n > 0, `region` is
-- the point's region cut to its first two levels (for a leader's region scope).
-- Rebuilt whenever it disagrees with point_month or the points (region_month_state holds the
-- fingerprints it was built from); the same columns, in the same order, on PostgreSQL.
CREATE TABLE region_month (
    questionnaire_id VARCHAR NOT NULL,
    indicator        VARCHAR NOT NULL,
    period_start     DATE NOT NULL,
    region           VARCHAR[],
    prefecture       VARCHAR,
    county           VARCHAR,
    level            VARCHAR,
    kind             VARCHAR,
    n                BIGINT NOT NULL,
    points           BIGINT NOT NULL,
    total            DOUBLE NOT NULL,
    favourable       DOUBLE NOT NULL
);
CREATE TABLE region_month_state (
    source      VARCHAR PRIMARY KEY,   -- 'point_month' | 'point'
    fingerprint VARCHAR NOT NULL       -- of the rows region_month was built from
);
