-- 012: reporting rounds (deadline rules), reminders to work-group robots through a durable
-- outbox, and return for correction (issue 14). New tables only: no ALTER TABLE (DuckDB 1.5.5
-- cannot replay it from the WAL once views exist, duckdb/duckdb#20543).
-- Private: none of these is an analyst view (the snapshot is an allow-list); reminder_channel
-- holds webhook addresses and signing secrets.

-- Per questionnaire: the deadline (n-th working day after the period ends), when the round
-- opens, and the working days around the deadline that reminders go out on.
CREATE TABLE round_rule (
    questionnaire_id VARCHAR PRIMARY KEY,
    deadline_days    INTEGER NOT NULL,
    open_days        INTEGER,             -- working days before the period ends; NULL: its first day
    reminders        VARCHAR NOT NULL,    -- '-1,0,1,3': working days from the deadline day
    remind_at        TIME NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    updated_by       VARCHAR NOT NULL
);

-- A work-group robot (企业微信 or 钉钉) that receives the reminders for a region or one point.
CREATE TABLE reminder_channel (
    channel_id  VARCHAR PRIMARY KEY,
    label       VARCHAR NOT NULL,         -- e.g. 清河县减负工作群
    kind        VARCHAR NOT NULL,         -- wecom | dingtalk
    url         VARCHAR NOT NULL,         -- the robot's webhook address (its key is a secret)
    secret      VARCHAR,                  -- 钉钉 加签 secret (SEC...), signs each message
    region      VARCHAR NOT NULL,         -- '江北市/清河县'; '' = every point
    point_id    VARCHAR,                  -- or one point only
    lang        VARCHAR NOT NULL,         -- zh | en: the language of the messages
    created_at  TIMESTAMP NOT NULL,
    created_by  VARCHAR NOT NULL,
    disabled_at TIMESTAMP
);

-- A reminder time of a round that has been turned into outbox messages (once).
CREATE TABLE reminder_plan (
    questionnaire_id VARCHAR NOT NULL,
    period_key       VARCHAR NOT NULL,
    due_at           TIMESTAMP NOT NULL,
    planned_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (questionnaire_id, period_key, due_at)
);

-- The outbox: one row per reminder and channel. The text is computed when it is sent (who is
-- still missing at that moment) and kept here; failures are retried with back-off, never
-- given up; an admin sees the last error and can send a message again.
CREATE TABLE outbox (
    message_id       VARCHAR PRIMARY KEY,
    channel_id       VARCHAR NOT NULL,
    questionnaire_id VARCHAR NOT NULL,
    period_key       VARCHAR NOT NULL,
    due_at           TIMESTAMP NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    state            VARCHAR NOT NULL,    -- pending | sent | skipped (nobody left to remind)
    attempts         INTEGER NOT NULL,
    next_attempt_at  TIMESTAMP NOT NULL,
    last_attempt_at  TIMESTAMP,
    last_error       VARCHAR,
    sent_at          TIMESTAMP,
    body             VARCHAR,             -- the text sent (or why nothing was)
    UNIQUE (channel_id, questionnaire_id, period_key, due_at)
);

-- Return for correction: every change of a kept submission's review state, with who and why.
-- The current state is the latest event, or "revised" when the respondent submitted after it.
-- Nothing here touches a submission or a figure.
CREATE SEQUENCE review_seq;
CREATE TABLE review_event (
    event_id      BIGINT PRIMARY KEY DEFAULT nextval('review_seq'),
    slot          VARCHAR NOT NULL,       -- respondent_key|point_id|questionnaire_id|period_key
    submission_id VARCHAR NOT NULL,       -- the kept submission when the event happened
    point_id      VARCHAR NOT NULL,
    questionnaire_id VARCHAR NOT NULL,
    period_key    VARCHAR NOT NULL,
    action        VARCHAR NOT NULL,       -- return | confirm | withdraw
    state         VARCHAR NOT NULL,       -- the state after it: received | returned | confirmed
    reason        VARCHAR NOT NULL,
    actor         VARCHAR NOT NULL,       -- a staff user name, or 'respondent'
    event_at      TIMESTAMP NOT NULL
);
