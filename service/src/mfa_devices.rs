//! Virtual MFA devices through AWS's API: create (the seed and its QR code shown
//! once), enable for a user with two consecutive codes, resync a drifting clock,
//! list, deactivate (the device is kept, unassigned) and delete. The console's own
//! enrolment (`begin_mfa`/`confirm_mfa`) ends in the same user row.

use std::collections::BTreeMap;

use identity::secret_box::Sealed;
use store::mfa_devices::UnassignedDevice;

use crate::authz::{arn, Extra, Permit};
use crate::{Caller, Service, ServiceError};

/// How far (in 30-second steps) a resync looks for the device's clock: ten minutes
/// either way. Enabling looks one step either way, like sign-in.
const RESYNC_WINDOW: i64 = 20;

/// A device just created: the only time its seed is shown.
#[derive(Debug, Clone)]
pub struct CreatedDevice {
    pub serial: String,
    pub tags: BTreeMap<String, String>,
    pub seed_base32: String,
    pub qr_png: Vec<u8>,
}

/// A device as `ListVirtualMFADevices` shows it.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub serial: String,
    /// The user it is enabled for, and since when.
    pub user: Option<(store::User, time::OffsetDateTime)>,
}

/// Which devices a listing wants (AWS's `AssignmentStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assignment {
    Assigned,
    Unassigned,
    Any,
}

/// The refusal of a wrong pair of codes (AWS's `InvalidAuthenticationCode`).
fn wrong_codes() -> ServiceError {
    ServiceError::invalid(
        "authentication_code",
        "Authentication code for device is not valid.",
    )
}

fn no_device(serial: &str) -> ServiceError {
    ServiceError::NotFound {
        field: Some("serial_number"),
        message: format!("VirtualMFADevice with serial number {serial} doesn't exist."),
    }
}

/// AWS's rule for device names: 1 to 226 of `[\w+=,.@-]`.
fn check_device_name(name: &str) -> Result<(), ServiceError> {
    let ok =
        !name.is_empty() && name.chars().count() <= 226 && model::validate::name_chars_ok(name);
    if ok {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "name",
            "A device name has 1 to 226 letters, digits and _ + = , . @ -.",
        ))
    }
}

/// A virtual MFA device found by its serial number, and the caller's permit for it.
pub(crate) struct FoundDevice {
    /// The name as stored.
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub permit: Permit,
    /// Whether a user has it enabled.
    pub assigned: bool,
}

impl Service {
    /// The path and device name in a serial number of this account
    /// (`arn:aws:iam::ACCOUNT:mfa/ops/token` → `/ops/`, `token`), if it is one.
    fn device_name<'a>(&self, caller: &Caller, serial: &'a str) -> Option<(&'a str, &'a str)> {
        let rest = serial.strip_prefix(&format!("arn:aws:iam::{}:mfa", caller.account_id))?;
        let cut = rest.rfind('/')?;
        let (path, name) = (rest.get(..=cut)?, rest.get(cut + 1..)?);
        (check_device_name(name).is_ok() && model::validate::entity_path(path).is_ok())
            .then_some((path, name))
    }

    /// Finds the device `serial` (assigned or not, any case) and authorizes
    /// `action` on its serial number with its tags, or on the serial as given when
    /// there is none, so a refusal does not tell whether it exists.
    pub(crate) async fn mfa_device_for(
        &self,
        caller: &Caller,
        action: &'static str,
        serial: &str,
        extra: Extra,
    ) -> Result<FoundDevice, ServiceError> {
        let found = match self.device_name(caller, serial) {
            Some((path, name)) => {
                let assigned = self.store.assigned_mfa_devices().await?;
                match assigned
                    .into_iter()
                    .find(|d| d.name.eq_ignore_ascii_case(name))
                {
                    Some(device) => Some((device.path, device.name, true)),
                    None => self
                        .store
                        .unassigned_mfa_device(name)
                        .await?
                        .map(|device| (device.path, device.name, false)),
                }
                // The same name under another path is another serial number.
                .filter(|(stored, _, _)| stored == path)
            }
            None => None,
        };
        let Some((path, name, assigned)) = found else {
            self.authorize_with(caller, action, serial, &extra).await?;
            return Err(no_device(serial));
        };
        let (_, tags) = self.store.mfa_device_tags(&name).await?;
        let permit = self
            .authorize_with(
                caller,
                action,
                &arn::at(&caller.account_id, "mfa", &path, &name),
                &extra.with_resource_tags(&tags),
            )
            .await?;
        Ok(FoundDevice {
            name,
            tags,
            permit,
            assigned,
        })
    }

    /// `iam:CreateVirtualMFADevice`: a new device, unassigned, its seed sealed (tags
    /// need `iam:TagMFADevice`).
    pub async fn create_virtual_mfa_device(
        &self,
        caller: &Caller,
        path: &str,
        name: &str,
        tags: &[(String, String)],
    ) -> Result<CreatedDevice, ServiceError> {
        check_device_name(name)?;
        let path = crate::authz::entity_path(path)?;
        model::tags::check_all(tags)?;
        let tags: BTreeMap<String, String> = tags.iter().cloned().collect();
        let serial = arn::at(&caller.account_id, "mfa", path, name);
        let extra = Extra::new().with_request_tags(&tags);
        let permit = self
            .authorize_with(caller, "iam:CreateVirtualMFADevice", &serial, &extra)
            .await?;
        if !tags.is_empty() {
            self.authorize_with(caller, "iam:TagMFADevice", &serial, &extra)
                .await?;
        }
        let seed = identity::totp::generate_seed();
        let sealed = self.secrets.seal(&seed).map_err(ServiceError::internal)?;
        let device = UnassignedDevice {
            name: name.to_string(),
            path: path.to_string(),
            key_id: sealed.key_id,
            nonce: sealed.nonce,
            ciphertext: sealed.ciphertext,
            created_at: caller.now,
        };
        self.store
            .create_mfa_device(
                &device,
                &tags,
                &permit.audit(caller, "virtual MFA device created"),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Duplicate { .. } => ServiceError::AlreadyExists {
                    field: "name",
                    message: "MFADevice entity at the same path and name already exists.".into(),
                },
                other => other.into(),
            })?;
        let url = identity::totp::otpauth_url("Portcullis", name, &seed);
        Ok(CreatedDevice {
            serial,
            tags,
            seed_base32: identity::totp::seed_base32(&seed),
            qr_png: identity::totp::qr_png(&url).ok_or_else(|| {
                ServiceError::internal("the QR code of a device URL could not be drawn")
            })?,
        })
    }

    /// `iam:EnableMFADevice`: the unassigned device `serial` becomes the user's,
    /// proven by two consecutive codes; the user's console sessions end.
    pub async fn enable_mfa_device(
        &self,
        caller: &Caller,
        user_name: &str,
        serial: &str,
        codes: (&str, &str),
    ) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(caller, "iam:EnableMFADevice", user_name, Extra::boundary_of)
            .await?;
        let (path, name) = self
            .device_name(caller, serial)
            .ok_or_else(|| no_device(serial))?;
        if user.mfa_enabled {
            return Err(ServiceError::LimitExceeded {
                field: "serial_number",
                message: format!(
                    "User {} already has an MFA device; Portcullis keeps one per user. Deactivate it first.",
                    user.name
                ),
            });
        }
        let device = self
            .store
            .unassigned_mfa_device(name)
            .await?
            .filter(|device| device.path == path)
            .ok_or_else(|| no_device(serial))?;
        let seed = self
            .secrets
            .open(&Sealed {
                key_id: device.key_id.clone(),
                nonce: device.nonce.clone(),
                ciphertext: device.ciphertext.clone(),
            })
            .map_err(ServiceError::internal)?;
        let now = u64::try_from(caller.now.unix_timestamp()).unwrap_or(0);
        let Some(step) = identity::totp::consecutive(&seed, codes.0, codes.1, now, 1, None) else {
            self.store
                .audit(&caller.audit(
                    "iam:EnableMFADevice",
                    &user.arn,
                    store::Outcome::Failure,
                    format!("wrong codes for {serial}"),
                ))
                .await?;
            return Err(wrong_codes());
        };
        self.store
            .assign_mfa_device(
                &device.name,
                &user.id,
                step,
                &permit.audit(caller, format!("{serial} enabled; sessions ended")),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => no_device(serial),
                other => other.into(),
            })
    }

    /// `iam:ResyncMFADevice`: two consecutive codes found within ten minutes of now
    /// set the device's clock drift, which later checks allow for.
    pub async fn resync_mfa_device(
        &self,
        caller: &Caller,
        user_name: &str,
        serial: &str,
        codes: (&str, &str),
    ) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(caller, "iam:ResyncMFADevice", user_name, Extra::boundary_of)
            .await?;
        if !user.mfa_enabled || serial != user.mfa_serial(&caller.account_id) {
            return Err(no_device(serial));
        }
        let seed = self.open_seed(&user)?;
        let now = caller.now.unix_timestamp();
        let found = identity::totp::consecutive(
            &seed,
            codes.0,
            codes.1,
            u64::try_from(now).unwrap_or(0),
            RESYNC_WINDOW,
            user.mfa_last_step,
        );
        let Some(step) = found else {
            self.store
                .audit(&caller.audit(
                    "iam:ResyncMFADevice",
                    &user.arn,
                    store::Outcome::Failure,
                    format!("wrong codes for {serial}"),
                ))
                .await?;
            return Err(wrong_codes());
        };
        let drift = step - now / identity::totp::STEP_SECONDS as i64;
        let drift = i32::try_from(drift).unwrap_or(0);
        self.store
            .resync_mfa(
                &user.id,
                step,
                drift,
                &permit.audit(caller, format!("{serial} resynchronised ({drift} step(s))")),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => wrong_codes(),
                other => other.into(),
            })
    }

    /// `iam:DeactivateMFADevice`: the user's device is unassigned and kept (delete it
    /// with `DeleteVirtualMFADevice`); the user's sessions end.
    pub async fn deactivate_mfa_device(
        &self,
        caller: &Caller,
        user_name: &str,
        serial: &str,
    ) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(
                caller,
                "iam:DeactivateMFADevice",
                user_name,
                Extra::boundary_of,
            )
            .await?;
        if !user.mfa_enabled || serial != user.mfa_serial(&caller.account_id) {
            return Err(ServiceError::NotFound {
                field: Some("serial_number"),
                message: format!("MFA Device with serial number {serial} does not exist."),
            });
        }
        self.store
            .unassign_mfa_device(
                &user.id,
                &permit.audit(caller, format!("{serial} deactivated; sessions ended")),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Duplicate { .. } => ServiceError::Conflict(format!(
                    "An unassigned device named like {serial} exists; delete it first."
                )),
                other => other.into(),
            })
    }

    /// `iam:DeleteVirtualMFADevice`: only an unassigned device.
    pub async fn delete_virtual_mfa_device(
        &self,
        caller: &Caller,
        serial: &str,
    ) -> Result<(), ServiceError> {
        let device = self
            .mfa_device_for(caller, "iam:DeleteVirtualMFADevice", serial, Extra::new())
            .await?;
        if device.assigned {
            return Err(ServiceError::DeleteConflict(
                "MFA device is still in use: deactivate it first.".into(),
            ));
        }
        let audit = device.permit.audit(caller, "virtual MFA device deleted");
        self.store
            .delete_mfa_device(&device.name, &audit)
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => no_device(serial),
                other => other.into(),
            })
    }

    /// `iam:ListVirtualMFADevices`: assigned ones with their users, then unassigned.
    pub async fn virtual_mfa_devices(
        &self,
        caller: &Caller,
        which: Assignment,
    ) -> Result<Vec<DeviceRow>, ServiceError> {
        self.authorize(caller, "iam:ListVirtualMFADevices", "*")
            .await?;
        let mut rows = Vec::new();
        if which != Assignment::Unassigned {
            for device in self.store.assigned_mfa_devices().await? {
                if let Some(user) = self.store.user_by_id(&device.user_id).await? {
                    rows.push(DeviceRow {
                        serial: arn::at(&caller.account_id, "mfa", &device.path, &device.name),
                        user: Some((user, device.enabled_at.unwrap_or(caller.now))),
                    });
                }
            }
        }
        if which != Assignment::Assigned {
            for device in self.store.unassigned_mfa_devices().await? {
                rows.push(DeviceRow {
                    serial: arn::at(&caller.account_id, "mfa", &device.path, &device.name),
                    user: None,
                });
            }
        }
        Ok(rows)
    }
}
