-- 009: server-side sessions behind an HttpOnly cookie, the one-time hand-offs that put a
-- session's cookie into the browser, and settings an admin can change at run time.
-- Private: none of these tables is an analyst view (the snapshot is an allow-list).
CREATE TABLE web_session (
    token_hash   VARCHAR PRIMARY KEY,   -- sha256 of the cookie value; the value is never stored
    kind         VARCHAR NOT NULL,      -- staff | cadre
    subject      VARCHAR NOT NULL,      -- staff: user name; cadre: respondent pseudonym
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,    -- idle timeout; written at most once a minute
    expires_at   TIMESTAMP NOT NULL,    -- absolute end, whatever the activity
    ended_at     TIMESTAMP,             -- sign-out, password change, disabled account, timeout
    ended_why    VARCHAR
);
CREATE TABLE session_handoff (
    handoff_hash  VARCHAR PRIMARY KEY,  -- sha256 of the one-time value the browser presents
    token_sealed  BLOB NOT NULL,        -- the session token XOR a key derived from that value
    expires_at    TIMESTAMP NOT NULL    -- a minute: used once, by the page that asked for it
);
CREATE TABLE app_setting (
    name       VARCHAR PRIMARY KEY,
    value      VARCHAR NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    updated_by VARCHAR NOT NULL
);
