-- 006: problem clues (线索) grouped into problems (问题清单), and public raters (万人评).
CREATE TABLE problem (
    problem_id  VARCHAR PRIMARY KEY,
    group_key   VARCHAR NOT NULL,     -- county + category + normalised issuing body
    category    VARCHAR NOT NULL,
    body_level  VARCHAR NOT NULL,
    body_name   VARCHAR NOT NULL,     -- as first reported
    region      VARCHAR[] NOT NULL,   -- prefecture, county of the points reporting it
    status      VARCHAR NOT NULL,     -- new | verifying | rectifying | closed | dismissed
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    closed_at   TIMESTAMP
);

-- A clue is anonymous: it is not linked to any respondent code, only to the point it came from.
CREATE TABLE clue (
    clue_id       VARCHAR PRIMARY KEY,
    problem_id    VARCHAR NOT NULL,
    receipt_hash  VARCHAR NOT NULL UNIQUE,   -- keyed hash of the receipt code the reporter keeps
    point_id      VARCHAR NOT NULL,
    via           VARCHAR NOT NULL,          -- code | public
    category      VARCHAR NOT NULL,
    body_level    VARCHAR NOT NULL,
    body_name     VARCHAR NOT NULL,
    happened      VARCHAR,                   -- when, as the reporter put it (a month)
    description   VARCHAR NOT NULL,
    reported_at   TIMESTAMP NOT NULL
);

CREATE TABLE problem_event (
    problem_id   VARCHAR NOT NULL,
    event_at     TIMESTAMP NOT NULL,
    actor        VARCHAR NOT NULL,
    from_status  VARCHAR NOT NULL,
    to_status    VARCHAR NOT NULL,
    note         VARCHAR NOT NULL
);

-- Public raters (万人评): a keyed hash of a browser token and the point, created on first use.
-- A table of its own rather than a column on respondent: no ALTER TABLE in migrations (DuckDB
-- 1.5.5 cannot replay ALTER TABLE from the WAL once views exist, duckdb/duckdb#20543).
CREATE TABLE public_rater (
    respondent_key VARCHAR PRIMARY KEY,
    point_id       VARCHAR NOT NULL,
    first_seen     TIMESTAMP NOT NULL
);
