-- 003: early warnings marked handled by a leader (who, when, what; also in audit_log).
CREATE TABLE warning_state (
    warning_key  VARCHAR PRIMARY KEY,      -- rule:point:indicator
    through      DATE NOT NULL,            -- newest month of evidence when handled
    handled_at   TIMESTAMP NOT NULL,
    handled_by   VARCHAR NOT NULL,
    note         VARCHAR NOT NULL
);
