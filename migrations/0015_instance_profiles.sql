-- Instance profiles: the container that hands a role to a workload (AWS's EC2
-- instances). At most one role each, as AWS's quota says.
CREATE TABLE instance_profiles (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    arn         TEXT NOT NULL,
    role_id     TEXT REFERENCES roles (id),
    tags        JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX instance_profiles_name ON instance_profiles (lower(name));
CREATE INDEX instance_profiles_role ON instance_profiles (role_id);
