-- 019: how each staff session was opened (password | sso) and each single sign-on used once;
-- the same table as migrations/019_staff_sign_in.sql.
CREATE TABLE staff_sign_in (
    token_hash text NOT NULL,
    method text NOT NULL,
    proof_hash text,
    PRIMARY KEY (token_hash),
    UNIQUE (proof_hash)
);
