-- 026 (PostgreSQL): as migrations/026_source_reports.sql: cadres' source reports per
-- submission and the 提示函 sent to bodies (issue 20, docs/sources.md). The analysts' views
-- of them (with k) are in 027.
CREATE TABLE source_report (
    submission_id text NOT NULL,
    entry integer NOT NULL,
    point_id text NOT NULL,
    month text NOT NULL,
    topic text NOT NULL,
    how text NOT NULL,
    picked_body text,
    other_text text NOT NULL,
    body_id text,
    kind text,
    amount double precision NOT NULL,
    item_id text,
    off_plan text,
    PRIMARY KEY (submission_id, entry)
);
CREATE TABLE source_letter (
    letter_id text NOT NULL,
    body_id text NOT NULL,
    area text[] NOT NULL,
    finding text NOT NULL,
    facts text NOT NULL,
    reply_by date NOT NULL,
    reply_days integer NOT NULL,
    estimated boolean NOT NULL,
    problem_id text,
    created_at timestamp NOT NULL,
    created_by text NOT NULL,
    PRIMARY KEY (letter_id)
);
