-- Virtual MFA devices created through the API (CreateVirtualMFADevice) and not yet
-- enabled for a user, or deactivated and kept, as AWS keeps them. An enabled
-- device's seed lives on its user's row, where sign-in reads it; the row keeps the
-- device's name for its serial number (NULL: the user's own name, as the console
-- names devices) and the clock drift a resync measured.
CREATE TABLE virtual_mfa_devices (
    name        TEXT NOT NULL,
    key_id      TEXT NOT NULL,
    nonce       BYTEA NOT NULL,
    ciphertext  BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX virtual_mfa_devices_name ON virtual_mfa_devices (lower(name));

ALTER TABLE users
    ADD COLUMN mfa_device_name TEXT,
    ADD COLUMN mfa_drift_steps INTEGER NOT NULL DEFAULT 0;
