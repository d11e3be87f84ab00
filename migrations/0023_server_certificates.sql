-- Server certificates (UploadServerCertificate): the certificate and its chain as
-- uploaded, the private key sealed with the server key (never answered back), and
-- the expiry read from the certificate.
CREATE TABLE server_certificates (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    arn             TEXT NOT NULL,
    body            TEXT NOT NULL,
    chain           TEXT,
    key_id          TEXT NOT NULL,
    key_nonce       BYTEA NOT NULL,
    key_ciphertext  BYTEA NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    uploaded_at     TIMESTAMPTZ NOT NULL,
    tags            JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE UNIQUE INDEX server_certificates_name ON server_certificates (lower(name));
