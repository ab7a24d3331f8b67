-- 014: twin of migrations/014_region_month.sql (same tables, same column order).
CREATE TABLE region_month (
    questionnaire_id text NOT NULL,
    indicator text NOT NULL,
    period_start date NOT NULL,
    region text[],
    prefecture text,
    county text,
    level text,
    kind text,
    n bigint NOT NULL,
    points bigint NOT NULL,
    total double precision NOT NULL,
    favourable double precision NOT NULL
);
CREATE TABLE region_month_state (
    source text PRIMARY KEY,
    fingerprint text NOT NULL
);
