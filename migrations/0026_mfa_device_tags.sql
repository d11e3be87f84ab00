-- Tags of virtual MFA devices. A device lives in two places (unassigned, or on its
-- user's row once enabled), so its tags live beside both, under the device's name
-- in lower case (serial numbers are unique whatever their case). A new device of a
-- name starts with the tags it is created with, never an old device's.
CREATE TABLE mfa_device_tags (
    id    TEXT PRIMARY KEY,
    tags  JSONB NOT NULL DEFAULT '{}'::jsonb
);
