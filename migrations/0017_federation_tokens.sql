-- Credentials from sts:GetFederationToken act as a federated user (the name the
-- caller chose) with only what both the IAM user's policies and the session
-- policies allow, and the session tags given with them.
ALTER TABLE temporary_credentials
    ADD COLUMN federated_name TEXT,
    ADD COLUMN session_tags   JSONB NOT NULL DEFAULT '{}'::jsonb;
