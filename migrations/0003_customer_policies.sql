-- Customer-managed policies with versions (AWS keeps up to five; one is the default,
-- the one that applies). Attachments keep naming policies by ARN, so the templates and
-- customer policies attach the same way.
CREATE TABLE policies (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    arn              TEXT NOT NULL UNIQUE,
    description      TEXT NOT NULL DEFAULT '',
    default_version  INTEGER NOT NULL,
    -- The next version number: AWS never reuses v-numbers, even after a delete.
    next_version     INTEGER NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX policies_name_unique ON policies (lower(name));

CREATE TABLE policy_versions (
    policy_id   TEXT NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    document    TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (policy_id, version)
);

CREATE INDEX user_policies_arn ON user_policies (policy_arn);
CREATE INDEX group_policies_arn ON group_policies (policy_arn);
