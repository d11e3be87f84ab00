-- Service-specific credentials (AWS's CreateServiceSpecificCredential): a user name
-- and password for one service (Git over HTTPS to CodeCommit, Keyspaces). The
-- password is shown once and kept only as its SHA-256 (it is random, 256 bits).
CREATE TABLE service_specific_credentials (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL REFERENCES users (id),
    service_name       TEXT NOT NULL,
    service_user_name  TEXT NOT NULL,
    password_hash      BYTEA NOT NULL,
    active             BOOLEAN NOT NULL DEFAULT TRUE,
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_specific_credentials_user ON service_specific_credentials (user_id);
