-- What an AssumeRole request attached to its session: session tags (the session's
-- aws:PrincipalTag/*, over the role's own), the keys among them that pass on to
-- sessions chained from it, and the source identity (aws:SourceIdentity), which
-- no chained session can change.
ALTER TABLE role_sessions
    ADD COLUMN session_tags    JSONB NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN transitive_keys JSONB NOT NULL DEFAULT '[]'::jsonb,
    ADD COLUMN source_identity TEXT;
