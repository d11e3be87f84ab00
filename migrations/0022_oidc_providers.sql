-- OpenID Connect identity providers: workloads (CI runners, clusters, other clouds)
-- trade a token their provider signed for a role's temporary credentials
-- (sts:AssumeRoleWithWebIdentity). The ARN is `oidc-provider/` and the provider's URL
-- without its scheme, as in AWS.
CREATE TABLE oidc_providers (
    id           TEXT PRIMARY KEY,
    arn          TEXT NOT NULL UNIQUE,
    url          TEXT NOT NULL,
    client_ids   JSONB NOT NULL DEFAULT '[]'::jsonb,
    thumbprints  JSONB NOT NULL DEFAULT '[]'::jsonb,
    tags         JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
