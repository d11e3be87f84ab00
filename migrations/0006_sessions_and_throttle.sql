-- Console sessions end when credentials change: every password or MFA change (and
-- "sign out everywhere") raises the user's epoch, and a session started under an
-- older epoch is refused.
ALTER TABLE users ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;

-- Sign-in attempts per client network (an IPv4 address or an IPv6 /64), shared by
-- every server process.
CREATE TABLE sign_in_throttle (
    network       TEXT PRIMARY KEY,
    window_start  TIMESTAMPTZ NOT NULL,
    attempts      INTEGER NOT NULL
);

-- A user's page lists the recent audit rows about that user.
CREATE INDEX audit_log_target ON audit_log (target, id DESC);

-- Role sessions started by "Switch role": recorded with their audit row, ended by
-- "Back", checked on every request of the browser that holds one.
CREATE TABLE role_sessions (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id       TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    session_name  TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ
);
CREATE INDEX role_sessions_user ON role_sessions (user_id);
