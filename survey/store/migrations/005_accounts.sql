-- 005: staff accounts (respondents never have one).
CREATE TABLE account (
    username      VARCHAR PRIMARY KEY,
    display_name  VARCHAR NOT NULL,
    role          VARCHAR NOT NULL,            -- admin | leader | analyst
    region        VARCHAR[] NOT NULL,          -- a leader's scope, top down; [] = everything
    password_hash VARCHAR NOT NULL,            -- argon2id; never the password
    must_change   BOOLEAN NOT NULL DEFAULT TRUE,
    disabled_at   TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP
);
