-- 001 (PostgreSQL): the schema as DuckDB migrations 001-013 leave it, column for column and
-- in the same order (tests/test_engines.py compares the two). Later changes: a numbered file
-- here beside the DuckDB one of the same number.

CREATE SEQUENCE audit_seq;
CREATE SEQUENCE review_seq;

CREATE TABLE account (
    username text NOT NULL,
    display_name text NOT NULL,
    role text NOT NULL,
    region text[] NOT NULL,
    password_hash text NOT NULL,
    must_change boolean NOT NULL DEFAULT TRUE,
    disabled_at timestamp,
    created_at timestamp NOT NULL,
    last_login_at timestamp,
    PRIMARY KEY (username)
);
CREATE TABLE answer (
    submission_id text NOT NULL,
    question_id text NOT NULL,
    row_id text NOT NULL DEFAULT '',
    type text NOT NULL,
    indicator text,
    value_num double precision,
    value_text text,
    value_bool boolean,
    value_date date,
    value_choices text[]
);
CREATE TABLE app_setting (
    name text NOT NULL,
    value text NOT NULL,
    updated_at timestamp NOT NULL,
    updated_by text NOT NULL,
    PRIMARY KEY (name)
);
CREATE TABLE audit_log (
    audit_id bigint NOT NULL DEFAULT nextval('audit_seq'),
    logged_at timestamp NOT NULL DEFAULT current_timestamp,
    actor text NOT NULL,
    action text NOT NULL,
    target text,
    detail text,
    PRIMARY KEY (audit_id)
);
CREATE TABLE choice_label (
    questionnaire_id text NOT NULL,
    version integer NOT NULL,
    question_id text NOT NULL,
    code text NOT NULL,
    label_zh text NOT NULL,
    label_en text,
    PRIMARY KEY (questionnaire_id, version, question_id, code)
);
CREATE TABLE clue (
    clue_id text NOT NULL,
    problem_id text NOT NULL,
    receipt_hash text NOT NULL,
    point_id text NOT NULL,
    via text NOT NULL,
    category text NOT NULL,
    body_level text NOT NULL,
    body_name text NOT NULL,
    happened text,
    description text NOT NULL,
    reported_at timestamp NOT NULL,
    PRIMARY KEY (clue_id),
    UNIQUE (receipt_hash)
);
CREATE TABLE demo_code (
    code text NOT NULL,
    point_id text NOT NULL,
    PRIMARY KEY (code)
);
CREATE TABLE draft (
    respondent_key text NOT NULL,
    questionnaire_id text NOT NULL,
    period_key text NOT NULL,
    version integer NOT NULL,
    answers_json text NOT NULL,
    started_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    PRIMARY KEY (respondent_key, questionnaire_id, period_key)
);
CREATE TABLE draft_flow (
    respondent_key text NOT NULL,
    questionnaire_id text NOT NULL,
    period_key text NOT NULL,
    section_id text,
    state_json text NOT NULL,
    updated_at timestamp NOT NULL,
    PRIMARY KEY (respondent_key, questionnaire_id, period_key)
);
CREATE TABLE form_flow_record (
    client_token text NOT NULL,
    items_asked integer NOT NULL,
    confirmed_unchanged boolean NOT NULL,
    recorded_at timestamp NOT NULL,
    PRIMARY KEY (client_token)
);
CREATE TABLE history_respondent (
    respondent_key text NOT NULL,
    point_id text NOT NULL,
    first_period date NOT NULL,
    last_period date NOT NULL,
    PRIMARY KEY (respondent_key)
);
CREATE TABLE kept (
    respondent_key text NOT NULL,
    point_id text NOT NULL,
    questionnaire_id text NOT NULL,
    period_key text NOT NULL,
    submission_id text NOT NULL,
    PRIMARY KEY (respondent_key, point_id, questionnaire_id, period_key)
);
CREATE TABLE kept_slot (
    slot text NOT NULL,
    submission_id text NOT NULL,
    revision integer NOT NULL,
    indicators text[] NOT NULL,
    vals double precision[] NOT NULL,
    answers_json text NOT NULL,
    PRIMARY KEY (slot)
);
CREATE TABLE outbox (
    message_id text NOT NULL,
    channel_id text NOT NULL,
    questionnaire_id text NOT NULL,
    period_key text NOT NULL,
    due_at timestamp NOT NULL,
    created_at timestamp NOT NULL,
    state text NOT NULL,
    attempts integer NOT NULL,
    next_attempt_at timestamp NOT NULL,
    last_attempt_at timestamp,
    last_error text,
    sent_at timestamp,
    body text,
    PRIMARY KEY (message_id),
    UNIQUE (channel_id, questionnaire_id, period_key, due_at)
);
CREATE TABLE period_state (
    questionnaire_id text NOT NULL,
    period_key text NOT NULL,
    closed_at timestamp,
    closed_by text,
    PRIMARY KEY (questionnaire_id, period_key)
);
CREATE TABLE point (
    point_id text NOT NULL,
    name text NOT NULL,
    level text NOT NULL,
    kind text NOT NULL,
    region text[] NOT NULL,
    active boolean NOT NULL DEFAULT TRUE,
    is_demo boolean NOT NULL DEFAULT FALSE,
    created_at timestamp NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (point_id)
);
CREATE TABLE point_month (
    point_id text NOT NULL,
    questionnaire_id text NOT NULL,
    indicator text NOT NULL,
    period_start date NOT NULL,
    n integer NOT NULL,
    total double precision NOT NULL,
    favourable double precision NOT NULL,
    PRIMARY KEY (point_id, questionnaire_id, indicator, period_start)
);
CREATE TABLE problem (
    problem_id text NOT NULL,
    group_key text NOT NULL,
    category text NOT NULL,
    body_level text NOT NULL,
    body_name text NOT NULL,
    region text[] NOT NULL,
    status text NOT NULL,
    created_at timestamp NOT NULL,
    updated_at timestamp NOT NULL,
    closed_at timestamp,
    PRIMARY KEY (problem_id)
);
CREATE TABLE problem_event (
    problem_id text NOT NULL,
    event_at timestamp NOT NULL,
    actor text NOT NULL,
    from_status text NOT NULL,
    to_status text NOT NULL,
    note text NOT NULL
);
CREATE TABLE public_rater (
    respondent_key text NOT NULL,
    point_id text NOT NULL,
    first_seen timestamp NOT NULL,
    PRIMARY KEY (respondent_key)
);
CREATE TABLE questionnaire_version (
    questionnaire_id text NOT NULL,
    version integer NOT NULL,
    content_hash text NOT NULL,
    title_zh text NOT NULL,
    title_en text,
    period_kind text NOT NULL,
    yaml_text text NOT NULL,
    source_name text,
    published_at timestamp NOT NULL DEFAULT current_timestamp,
    retired_at timestamp,
    PRIMARY KEY (questionnaire_id, version)
);
CREATE TABLE reminder_channel (
    channel_id text NOT NULL,
    label text NOT NULL,
    kind text NOT NULL,
    url text NOT NULL,
    secret text,
    region text NOT NULL,
    point_id text,
    lang text NOT NULL,
    created_at timestamp NOT NULL,
    created_by text NOT NULL,
    disabled_at timestamp,
    PRIMARY KEY (channel_id)
);
CREATE TABLE reminder_plan (
    questionnaire_id text NOT NULL,
    period_key text NOT NULL,
    due_at timestamp NOT NULL,
    planned_at timestamp NOT NULL,
    PRIMARY KEY (questionnaire_id, period_key, due_at)
);
CREATE TABLE respondent (
    respondent_key text NOT NULL,
    point_id text NOT NULL,
    issued_at timestamp NOT NULL DEFAULT current_timestamp,
    revoked_at timestamp,
    is_demo boolean NOT NULL DEFAULT FALSE,
    PRIMARY KEY (respondent_key)
);
CREATE TABLE review_event (
    event_id bigint NOT NULL DEFAULT nextval('review_seq'),
    slot text NOT NULL,
    submission_id text NOT NULL,
    point_id text NOT NULL,
    questionnaire_id text NOT NULL,
    period_key text NOT NULL,
    action text NOT NULL,
    state text NOT NULL,
    reason text NOT NULL,
    actor text NOT NULL,
    event_at timestamp NOT NULL,
    PRIMARY KEY (event_id)
);
CREATE TABLE round_rule (
    questionnaire_id text NOT NULL,
    deadline_days integer NOT NULL,
    open_days integer,
    reminders text NOT NULL,
    remind_at time NOT NULL,
    updated_at timestamp NOT NULL,
    updated_by text NOT NULL,
    PRIMARY KEY (questionnaire_id)
);
CREATE TABLE session_handoff (
    handoff_hash text NOT NULL,
    token_sealed bytea NOT NULL,
    expires_at timestamp NOT NULL,
    PRIMARY KEY (handoff_hash)
);
CREATE TABLE soft_check_record (
    client_token text NOT NULL,
    question_id text NOT NULL,
    value_num double precision,
    reference_num double precision,
    confirmed boolean NOT NULL,
    PRIMARY KEY (client_token, question_id)
);
CREATE TABLE submission (
    submission_id text NOT NULL,
    client_token text NOT NULL,
    respondent_key text NOT NULL,
    point_id text NOT NULL,
    questionnaire_id text NOT NULL,
    version integer NOT NULL,
    content_hash text NOT NULL,
    period_key text NOT NULL,
    period_start date NOT NULL,
    revision integer NOT NULL,
    started_at timestamp,
    submitted_at timestamp NOT NULL,
    duration_s double precision,
    PRIMARY KEY (submission_id),
    UNIQUE (client_token)
);
CREATE TABLE submission_source (
    submission_id text NOT NULL,
    source_file text NOT NULL,
    source_sha256 text NOT NULL,
    sheet text NOT NULL,
    source_row integer NOT NULL,
    imported_at timestamp NOT NULL,
    imported_by text NOT NULL,
    PRIMARY KEY (submission_id)
);
CREATE TABLE warning_state (
    warning_key text NOT NULL,
    through date NOT NULL,
    handled_at timestamp NOT NULL,
    handled_by text NOT NULL,
    note text NOT NULL,
    PRIMARY KEY (warning_key)
);
CREATE TABLE web_session (
    token_hash text NOT NULL,
    kind text NOT NULL,
    subject text NOT NULL,
    created_at timestamp NOT NULL,
    last_seen_at timestamp NOT NULL,
    expires_at timestamp NOT NULL,
    ended_at timestamp,
    ended_why text,
    PRIMARY KEY (token_hash)
);

-- Lookups the store makes by these columns (DuckDB scans; PostgreSQL needs the indexes).
CREATE INDEX answer_submission ON answer (submission_id);
CREATE INDEX submission_slot ON submission (respondent_key, questionnaire_id, period_key);
CREATE INDEX submission_period ON submission (questionnaire_id, period_key);
CREATE INDEX kept_submission ON kept (submission_id);
CREATE INDEX respondent_point ON respondent (point_id);
CREATE INDEX web_session_subject ON web_session (kind, subject);
CREATE INDEX audit_log_action ON audit_log (action);
