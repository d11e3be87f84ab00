-- SAML 2.0 identity providers: whose signed responses sts:AssumeRoleWithSAML
-- accepts. The metadata document is kept as uploaded (GetSAMLProvider answers it);
-- its entity id and expiry are kept beside it for listings. Names are unique in any
-- case, so `Corp` and `corp` cannot be two providers that policies tell apart.
CREATE TABLE saml_providers (
    id           TEXT PRIMARY KEY,
    arn          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    metadata     TEXT NOT NULL,
    entity_id    TEXT NOT NULL,
    valid_until  TIMESTAMPTZ,
    tags         JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX saml_providers_name_any_case ON saml_providers (lower(name));

-- Assertions already traded for credentials, until they expire: a bearer assertion
-- is good once (SAML's bearer profile), so one captured on its way cannot be
-- replayed, on this server or on another sharing the database.
CREATE TABLE saml_assertions_used (
    provider_arn  TEXT NOT NULL,
    assertion_id  TEXT NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider_arn, assertion_id)
);
CREATE INDEX saml_assertions_used_expiry ON saml_assertions_used (expires_at);
