-- Temporary credentials (ASIA… keys) from sts:GetSessionToken and sts:AssumeRole.
-- The secret is sealed like an access key's; the session token is kept only as its
-- SHA-256 (it is a bearer value the client presents with every request).
CREATE TABLE temporary_credentials (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_session_id    TEXT REFERENCES role_sessions (id) ON DELETE CASCADE,
    secret_key_id      TEXT NOT NULL,
    secret_nonce       BYTEA NOT NULL,
    secret_ciphertext  BYTEA NOT NULL,
    token_hash         BYTEA NOT NULL,
    mfa_at             TIMESTAMPTZ,
    -- Session policies passed with AssumeRole (documents, inline and by ARN resolved
    -- when issued): the session may do only what they also allow.
    session_policies   JSONB NOT NULL DEFAULT '[]'::jsonb,
    issued_at          TIMESTAMPTZ NOT NULL,
    expires_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX temporary_credentials_expiry ON temporary_credentials (expires_at);
CREATE INDEX role_sessions_role ON role_sessions (role_id) WHERE ended_at IS NULL;
