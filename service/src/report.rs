//! The credential report: one CSV line per user (root first) in AWS's columns, so
//! the scripts and auditors' tools that read AWS's report read this one.

use store::{AccessKey, User};
use time::OffsetDateTime;

use crate::{Caller, Service, ServiceError};

/// AWS's columns, in AWS's order.
pub const COLUMNS: &str = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated";

/// AWS's timestamp in the report: `2026-12-03T11:46:51+00:00`.
fn stamp(t: OffsetDateTime) -> String {
    crate::format::iso8601(t, "+00:00")
}

fn yes(value: bool) -> &'static str {
    if value {
        "true"
    } else {
        "false"
    }
}

/// A CSV field: quoted when it holds a comma, a quote or a line break.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn key_columns(key: Option<&AccessKey>) -> [String; 5] {
    match key {
        None => [
            "false".into(),
            "N/A".into(),
            "N/A".into(),
            "N/A".into(),
            "N/A".into(),
        ],
        Some(k) => [
            yes(k.active).into(),
            stamp(k.created_at),
            k.last_used_at.map_or("N/A".into(), stamp),
            k.last_used_region.clone().unwrap_or_else(|| "N/A".into()),
            k.last_used_service.clone().unwrap_or_else(|| "N/A".into()),
        ],
    }
}

/// A signing certificate's two columns: active, and when it was uploaded.
fn certificate_columns(
    certificate: Option<&store::signing_certificates::SigningCertificate>,
) -> [String; 2] {
    match certificate {
        None => ["false".into(), "N/A".into()],
        Some(c) => [yes(c.active).into(), stamp(c.uploaded_at)],
    }
}

fn line(
    user: &User,
    keys: &[AccessKey],
    certificates: &[store::signing_certificates::SigningCertificate],
    max_age_days: Option<u16>,
) -> String {
    let (name, password_enabled, last_changed, next_rotation) = if user.is_root {
        (
            "<root_account>".to_string(),
            "not_supported".to_string(),
            "not_supported".to_string(),
            "not_supported".to_string(),
        )
    } else {
        let enabled = user.password_hash.is_some();
        let changed = user.password_changed_at.filter(|_| enabled);
        let next = match (changed, max_age_days) {
            (Some(at), Some(days)) => stamp(at + time::Duration::days(i64::from(days))),
            _ => "N/A".into(),
        };
        (
            user.name.clone(),
            yes(enabled).to_string(),
            changed.map_or("N/A".into(), stamp),
            next,
        )
    };
    let last_used = match (
        user.password_hash.is_some() || user.is_root,
        user.last_sign_in_at,
    ) {
        (_, Some(at)) => stamp(at),
        (true, None) => "no_information".into(),
        (false, None) => "N/A".into(),
    };
    let mut columns = vec![
        name,
        user.arn.clone(),
        stamp(user.created_at),
        password_enabled,
        last_used,
        last_changed,
        next_rotation,
        yes(user.mfa_enabled).into(),
    ];
    columns.extend(key_columns(keys.first()));
    columns.extend(key_columns(keys.get(1)));
    columns.extend(certificate_columns(certificates.first()));
    columns.extend(certificate_columns(certificates.get(1)));
    columns
        .iter()
        .map(|c| field(c))
        .collect::<Vec<_>>()
        .join(",")
}

impl Service {
    /// `iam:GenerateCredentialReport`: builds the report now and keeps it.
    pub async fn generate_credential_report(&self, caller: &Caller) -> Result<(), ServiceError> {
        let permit = self
            .authorize(caller, "iam:GenerateCredentialReport", "*")
            .await?;
        self.flush_key_uses().await?;
        let max_age = self
            .store
            .settings()
            .await?
            .password_policy
            .max_password_age;
        let mut users = Vec::new();
        if let Some(root) = self.store.root().await? {
            users.push(root);
        }
        users.extend(self.store.all_users().await?);
        let mut csv = String::from(COLUMNS);
        csv.push('\n');
        for user in &users {
            let keys = self.store.access_keys_of(&user.id).await?;
            let certificates = self.store.signing_certificates_of(&user.id).await?;
            csv.push_str(&line(user, &keys, &certificates, max_age));
            csv.push('\n');
        }
        let audit = permit.audit(caller, format!("{} users", users.len()));
        self.store.save_credential_report(&csv, &audit).await?;
        Ok(())
    }

    /// `iam:GetCredentialReport`: the last report and when it was made; `None` when
    /// none was generated yet.
    pub async fn credential_report(
        &self,
        caller: &Caller,
    ) -> Result<Option<(OffsetDateTime, String)>, ServiceError> {
        self.authorize(caller, "iam:GetCredentialReport", "*")
            .await?;
        Ok(self.store.credential_report().await?)
    }
}
