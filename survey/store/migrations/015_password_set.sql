-- 015: when each account's current password was set, so a one-time password (the first
-- admin's, or one an admin set on a reset) expires (SURVEY_ONE_TIME_HOURS, default 72 h;
-- survey/store/accounts.py). A table of its own: DuckDB migrations never ALTER TABLE
-- (duckdb#20543). An account without a row had its password before this migration: its
-- one-time password counts from when this migration ran (schema_migrations.applied_at).
CREATE TABLE password_set (
    username VARCHAR PRIMARY KEY,
    set_at   TIMESTAMP NOT NULL
);
