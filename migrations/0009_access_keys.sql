-- Access keys: long-term credentials for the AWS-compatible API. The secret is sealed
-- with the server key (like TOTP seeds); the key id names the sealing key so keys can
-- rotate. At most two per user, enforced under the user's row lock.
CREATE TABLE access_keys (
    id                 TEXT PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_]{16,128}$'),
    user_id            TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_key_id      TEXT NOT NULL,
    secret_nonce       BYTEA NOT NULL,
    secret_ciphertext  BYTEA NOT NULL,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at         TIMESTAMPTZ NOT NULL,
    last_used_at       TIMESTAMPTZ,
    last_used_service  TEXT,
    last_used_region   TEXT
);
CREATE INDEX access_keys_user ON access_keys (user_id, created_at);

-- A server started with a bootstrap root access key creates the account and a root
-- without e-mail or password; first-run setup in the console gives it both later.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_check;
ALTER TABLE users ADD CONSTRAINT users_email_is_root_only CHECK (is_root OR email IS NULL);
