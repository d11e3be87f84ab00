-- Virtual MFA devices may be created under a path (`arn:aws:iam::ACCOUNT:mfa/ops/token`),
-- as in AWS. The path moves with the device: kept here while it is unassigned, on
-- its user's row once enabled (NULL there: `/`, as console devices have).
ALTER TABLE virtual_mfa_devices ADD COLUMN path TEXT NOT NULL DEFAULT '/';
ALTER TABLE users ADD COLUMN mfa_device_path TEXT;
