-- 011: submissions loaded from files (history import): which file, sheet and row each came
-- from, and the respondents that exist only in imported history. New tables only: no ALTER
-- TABLE (DuckDB 1.5.5 cannot replay it from the WAL once views exist, duckdb/duckdb#20543).
CREATE TABLE submission_source (
    submission_id VARCHAR PRIMARY KEY,
    source_file   VARCHAR NOT NULL,     -- the file name as uploaded
    source_sha256 VARCHAR NOT NULL,     -- the file's content hash (the same file twice = same)
    sheet         VARCHAR NOT NULL,
    source_row    INTEGER NOT NULL,     -- the row in that sheet (header = 1)
    imported_at   TIMESTAMP NOT NULL,
    imported_by   VARCHAR NOT NULL
);

-- A respondent of imported history: a keyed hash of the file's anonymous respondent column
-- (never the value itself). Expected to answer only within the imported periods, so the
-- response monitor does not wait for them now.
CREATE TABLE history_respondent (
    respondent_key VARCHAR PRIMARY KEY,
    point_id       VARCHAR NOT NULL,
    first_period   DATE NOT NULL,
    last_period    DATE NOT NULL
);

CREATE OR REPLACE VIEW imported_submissions AS
SELECT s.submission_id, s.point_id, s.questionnaire_id, s.version AS questionnaire_version,
       s.period_key, s.period_start, s.revision, (k.submission_id IS NOT NULL) AS is_kept,
       src.source_file, src.source_sha256, src.sheet, src.source_row, src.imported_at
FROM submission_source src
JOIN submission s USING (submission_id)
LEFT JOIN kept k USING (submission_id);
