-- Roles, inline policies and permissions boundaries.
--
-- A role is a named set of policies. It can be given to users and groups (its
-- policies then apply to every holder, so editing the role changes them all) and it
-- can be assumed by whoever its trust policy admits, for at most max_session_seconds.
CREATE TABLE roles (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL CHECK (name ~ '^[A-Za-z0-9_+=,.@-]{1,64}$'),
    path                 TEXT NOT NULL DEFAULT '/',
    arn                  TEXT NOT NULL,
    description          TEXT NOT NULL DEFAULT '',
    trust_policy         TEXT NOT NULL,
    -- AWS allows one to twelve hours.
    max_session_seconds  INTEGER NOT NULL DEFAULT 3600
                         CHECK (max_session_seconds BETWEEN 3600 AND 43200),
    boundary_arn         TEXT,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX roles_name_unique ON roles (lower(name));

CREATE TABLE role_policies (
    role_id      TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    policy_arn   TEXT NOT NULL,
    attached_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (role_id, policy_arn)
);
CREATE INDEX role_policies_arn ON role_policies (policy_arn);

CREATE TABLE user_roles (
    user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    granted_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

CREATE TABLE group_roles (
    group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    role_id     TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    granted_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, role_id)
);
CREATE INDEX group_roles_role ON group_roles (role_id);

-- An inline policy is embedded in exactly one user, group or role and goes with it.
CREATE TABLE inline_policies (
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    group_id    TEXT REFERENCES groups (id) ON DELETE CASCADE,
    role_id     TEXT REFERENCES roles (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (name ~ '^[A-Za-z0-9_+=,.@-]{1,128}$'),
    document    TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(user_id, group_id, role_id) = 1)
);
-- Ids carry their kind's prefix (AIDA, AGPA, AROA), so one index serves all three.
CREATE UNIQUE INDEX inline_policies_name
    ON inline_policies ((coalesce(user_id, group_id, role_id)), lower(name));

-- A permissions boundary: the most a user may ever be allowed, whatever is attached.
ALTER TABLE users ADD COLUMN boundary_arn TEXT;
CREATE INDEX users_boundary ON users (boundary_arn) WHERE boundary_arn IS NOT NULL;
CREATE INDEX roles_boundary ON roles (boundary_arn) WHERE boundary_arn IS NOT NULL;
