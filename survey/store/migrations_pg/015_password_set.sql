-- 015 (PostgreSQL): as migrations/015_password_set.sql.
CREATE TABLE password_set (
    username text NOT NULL,
    set_at timestamp NOT NULL,
    PRIMARY KEY (username)
);
