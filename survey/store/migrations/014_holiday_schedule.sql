-- 014: the State Council's holiday schedule as data (issue 19). Each year's 节假日安排 lists
-- statutory holidays (放假) and the adjusted working weekends (调休上班); an office enters or
-- imports them the day they are published, without waiting for a release of chinesecalendar.
-- A year with rows here is the office's: its schedule decides working days (survey/work_calendar.py).
-- A new table only: no ALTER TABLE (duckdb/duckdb#20543). Not an analyst view.
CREATE TABLE holiday_schedule (
    year        INTEGER NOT NULL,     -- the notice's year (元旦 may start on 31 December before it)
    kind        VARCHAR NOT NULL,     -- holiday (放假) | workday (调休上班)
    first_day   DATE NOT NULL,
    last_day    DATE NOT NULL,        -- inclusive; = first_day for one day
    name        VARCHAR NOT NULL,     -- as typed: 春节, Spring Festival, 国庆节、中秋节
    entered_at  TIMESTAMP NOT NULL,
    entered_by  VARCHAR NOT NULL,
    PRIMARY KEY (year, kind, first_day)
);
