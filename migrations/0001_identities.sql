-- The account, its identities, credentials, settings and audit log.
-- Names are unique case-insensitively, like AWS.

CREATE TABLE account (
    id            TEXT PRIMARY KEY CHECK (id ~ '^[0-9]{12}$'),
    one_row       BOOLEAN NOT NULL DEFAULT TRUE UNIQUE CHECK (one_row),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE account_settings (
    one_row                         BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one_row),
    minimum_password_length         SMALLINT NOT NULL CHECK (minimum_password_length BETWEEN 6 AND 128),
    require_symbols                 BOOLEAN NOT NULL,
    require_numbers                 BOOLEAN NOT NULL,
    require_uppercase_characters    BOOLEAN NOT NULL,
    require_lowercase_characters    BOOLEAN NOT NULL,
    allow_users_to_change_password  BOOLEAN NOT NULL,
    max_password_age                SMALLINT CHECK (max_password_age BETWEEN 1 AND 1095),
    password_reuse_prevention       SMALLINT CHECK (password_reuse_prevention BETWEEN 1 AND 24),
    hard_expiry                     BOOLEAN NOT NULL,
    lockout_threshold               SMALLINT NOT NULL CHECK (lockout_threshold BETWEEN 1 AND 100),
    lockout_minutes                 SMALLINT NOT NULL CHECK (lockout_minutes BETWEEN 1 AND 1440),
    session_idle_minutes            SMALLINT NOT NULL CHECK (session_idle_minutes BETWEEN 5 AND 1440),
    session_max_hours               SMALLINT NOT NULL CHECK (session_max_hours BETWEEN 1 AND 720)
);

-- The root user and IAM users. Root signs in by email, users by name.
CREATE TABLE users (
    id                       TEXT PRIMARY KEY,
    is_root                  BOOLEAN NOT NULL DEFAULT FALSE,
    name                     TEXT NOT NULL CHECK (name ~ '^[A-Za-z0-9_+=,.@-]{1,64}$'),
    email                    TEXT,
    path                     TEXT NOT NULL DEFAULT '/',
    arn                      TEXT NOT NULL,
    password_hash            TEXT,
    password_changed_at      TIMESTAMPTZ,
    password_reset_required  BOOLEAN NOT NULL DEFAULT FALSE,
    failed_sign_ins          INTEGER NOT NULL DEFAULT 0,
    locked_until             TIMESTAMPTZ,
    last_sign_in_at          TIMESTAMPTZ,
    mfa_enabled              BOOLEAN NOT NULL DEFAULT FALSE,
    mfa_key_id               TEXT,
    mfa_nonce                BYTEA,
    mfa_ciphertext           BYTEA,
    mfa_enabled_at           TIMESTAMPTZ,
    mfa_last_step            BIGINT,
    tags                     JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (is_root = (email IS NOT NULL))
);
CREATE UNIQUE INDEX users_name_unique ON users (lower(name)) WHERE NOT is_root;
CREATE UNIQUE INDEX users_single_root ON users (is_root) WHERE is_root;
CREATE INDEX users_created ON users (created_at);

CREATE TABLE password_history (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX password_history_user ON password_history (user_id, created_at DESC);

CREATE TABLE recovery_codes (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (name ~ '^[A-Za-z0-9_+=,.@-]{1,128}$'),
    path        TEXT NOT NULL DEFAULT '/',
    arn         TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX groups_name_unique ON groups (lower(name));

CREATE TABLE group_members (
    group_id  TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- Every sign-in and change: who, what, target, when, from where, how it ended.
CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    source_ip  TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_actor ON audit_log (lower(actor));
