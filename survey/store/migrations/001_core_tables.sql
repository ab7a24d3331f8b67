-- 001: the core tables. Never edit a published migration; add a new numbered file instead.

CREATE TABLE point (
    point_id    VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    level       VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,
    region      VARCHAR[] NOT NULL,          -- e.g. ['江北市', '清河县', '城关镇']
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    is_demo     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE respondent (
    respondent_key VARCHAR PRIMARY KEY,       -- HMAC of the code; the code itself is never stored
    point_id       VARCHAR NOT NULL,
    issued_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    revoked_at     TIMESTAMP,
    is_demo        BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE questionnaire_version (
    questionnaire_id VARCHAR NOT NULL,
    version          INTEGER NOT NULL,
    content_hash     VARCHAR NOT NULL,
    title_zh         VARCHAR NOT NULL,
    title_en         VARCHAR,
    period_kind      VARCHAR NOT NULL,
    yaml_text        VARCHAR NOT NULL,
    source_name      VARCHAR,
    published_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    retired_at       TIMESTAMP,
    PRIMARY KEY (questionnaire_id, version)
);

CREATE TABLE period_state (
    questionnaire_id VARCHAR NOT NULL,
    period_key       VARCHAR NOT NULL,
    closed_at        TIMESTAMP,
    closed_by        VARCHAR,
    PRIMARY KEY (questionnaire_id, period_key)
);

-- Every submission ever made, revisions included (append-only).
CREATE TABLE submission (
    submission_id    VARCHAR PRIMARY KEY,
    client_token     VARCHAR NOT NULL UNIQUE,  -- makes a retried submit idempotent
    respondent_key   VARCHAR NOT NULL,
    point_id         VARCHAR NOT NULL,
    questionnaire_id VARCHAR NOT NULL,
    version          INTEGER NOT NULL,
    content_hash     VARCHAR NOT NULL,
    period_key       VARCHAR NOT NULL,
    period_start     DATE NOT NULL,
    revision         INTEGER NOT NULL,
    started_at       TIMESTAMP,
    submitted_at     TIMESTAMP NOT NULL,
    duration_s       DOUBLE
);

-- The one kept submission per respondent, point, questionnaire and period.
CREATE TABLE kept (
    respondent_key   VARCHAR NOT NULL,
    point_id         VARCHAR NOT NULL,
    questionnaire_id VARCHAR NOT NULL,
    period_key       VARCHAR NOT NULL,
    submission_id    VARCHAR NOT NULL,
    PRIMARY KEY (respondent_key, point_id, questionnaire_id, period_key)
);

CREATE TABLE answer (
    submission_id  VARCHAR NOT NULL,
    question_id    VARCHAR NOT NULL,
    row_id         VARCHAR NOT NULL DEFAULT '',   -- matrix row; '' otherwise
    type           VARCHAR NOT NULL,
    indicator      VARCHAR,
    value_num      DOUBLE,
    value_text     VARCHAR,
    value_bool     BOOLEAN,
    value_date     DATE,
    value_choices  VARCHAR[]
);

CREATE TABLE draft (
    respondent_key   VARCHAR NOT NULL,
    questionnaire_id VARCHAR NOT NULL,
    period_key       VARCHAR NOT NULL,
    version          INTEGER NOT NULL,
    answers_json     VARCHAR NOT NULL,
    started_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (respondent_key, questionnaire_id, period_key)
);

CREATE SEQUENCE audit_seq;
CREATE TABLE audit_log (
    audit_id  BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor     VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,
    target    VARCHAR,
    detail    VARCHAR
);

-- Demo data only: the clear codes of demo respondents, so a visitor can try the form.
CREATE TABLE demo_code (
    code      VARCHAR PRIMARY KEY,
    point_id  VARCHAR NOT NULL
);
