-- X.509 signing certificates of IAM users (UploadSigningCertificate), for the tools
-- that sign requests with them. Only the certificate is kept; at most two per user,
-- and one certificate belongs to one user of the account.
CREATE TABLE signing_certificates (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    body         TEXT NOT NULL,
    fingerprint  TEXT NOT NULL UNIQUE,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    uploaded_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX signing_certificates_user ON signing_certificates (user_id);
