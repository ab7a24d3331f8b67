-- 014 (PostgreSQL): the office's holiday schedule, as DuckDB's 014_holiday_schedule.sql, same
-- columns in the same order.
CREATE TABLE holiday_schedule (
    year integer NOT NULL,
    kind text NOT NULL,
    first_day date NOT NULL,
    last_day date NOT NULL,
    name text NOT NULL,
    entered_at timestamp NOT NULL,
    entered_by text NOT NULL,
    PRIMARY KEY (year, kind, first_day)
);
