-- SSH public keys of IAM users (AWS's UploadSSHPublicKey), for tools that sign in
-- with them. Only the public key is kept; at most five per user.
CREATE TABLE ssh_public_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    body         TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    uploaded_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (user_id, fingerprint)
);
