-- 027: attempt limits shared by every app server (issue 21): with N servers a code guesser
-- must not get N times the tries. Keys are keyed hashes (never an address, a code or a name);
-- rows expire with their window and are pruned as they are written. New table only.
CREATE TABLE attempt_limit (
    limiter   VARCHAR NOT NULL,   -- codes, staff, staff_client, receipts, reports, ratings ...
    key       VARCHAR NOT NULL,   -- kind:keyed-hash
    count     INTEGER NOT NULL,   -- failures (a throttle) or events (a ceiling) in the window
    first_at  DOUBLE  NOT NULL,   -- seconds since 1970 (the app servers' clocks): window start
    last_at   DOUBLE  NOT NULL,   -- the last failure or event
    PRIMARY KEY (limiter, key)
);
