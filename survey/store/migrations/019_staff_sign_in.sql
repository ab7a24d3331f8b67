-- 019: how each staff session was opened (issue 25): with a password, or by the organisation's
-- single sign-on (OpenID Connect). A person signed in by their organisation is never asked
-- for a local password, sign-out is logged with its method, and an office that requires single
-- sign-on can end the password sessions. Each provider sign-in (its ID token) opens one session
-- only. Private: not an analyst view.
CREATE TABLE staff_sign_in (
    token_hash VARCHAR PRIMARY KEY,  -- the session: web_session.token_hash
    method     VARCHAR NOT NULL,     -- password | sso
    proof_hash VARCHAR UNIQUE        -- sso: sha256 of the ID token's issuer, subject, nonce, time
);
