-- 027 (PostgreSQL): as migrations/027_attempt_limits.sql: attempt limits shared by every app
-- server (issue 21). Never readable by analysts (not granted to the analyst role).
CREATE TABLE attempt_limit (
    limiter   TEXT NOT NULL,
    key       TEXT NOT NULL,
    count     INTEGER NOT NULL,
    first_at  DOUBLE PRECISION NOT NULL,
    last_at   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (limiter, key)
);
