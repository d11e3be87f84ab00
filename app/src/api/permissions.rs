//! Attaching managed policies (templates and customer-managed) to users and groups.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A policy that applies to a user or group, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachedPolicy {
    pub name: String,
    pub arn: String,
    /// `Attached directly` or `Group NAME`.
    pub via: String,
    pub direct: bool,
}

/// Name of a policy from its ARN.
pub fn policy_name(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

/// Attaches or detaches a managed policy on a user or a group, authorized as the
/// matching IAM action and audited.
#[cfg(feature = "ssr")]
async fn change_attachment(
    holder: &str,
    name: &str,
    policy_arn: &str,
    attach: bool,
) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::{respond, Target};
    use store::Holder;
    let (action, target, kind) = match (holder, attach) {
        ("user", true) => ("iam:AttachUserPolicy", Target::User(name), Holder::User),
        ("user", false) => ("iam:DetachUserPolicy", Target::User(name), Holder::User),
        ("group", true) => ("iam:AttachGroupPolicy", Target::Group(name), Holder::Group),
        ("group", false) => ("iam:DetachGroupPolicy", Target::Group(name), Holder::Group),
        _ => {
            return Err(respond(AppError::field(
                "holder",
                "Policies attach to users or groups.",
            )))
        }
    };
    if attach && policy_arn.trim().is_empty() {
        return Err(respond(AppError::field(
            "policy_arn",
            "Choose a policy to attach.",
        )));
    }
    let permit = crate::ssr::permit(action, target).await?;
    let state = state()?;
    let verb = if attach { "attached" } else { "detached" };
    let audit = permit.audit(format!("{verb} {policy_arn}"));
    let store = &state.store;
    let result = if attach {
        store.attach_policy(kind, name, policy_arn, &audit).await
    } else {
        store
            .detach_policy(kind, name, policy_arn, &audit)
            .await
            .map_err(Into::into)
    };
    match result {
        Ok(()) => Ok(()),
        Err(e @ (store::AttachError::QuotaReached(_) | store::AttachError::NoSuchPolicy(_))) => {
            Err(respond(AppError::field("policy_arn", e.to_string())))
        }
        Err(store::AttachError::Store(e @ store::StoreError::NotFound { .. })) => {
            Err(respond(AppError::NotFound(e.to_string())))
        }
        Err(e) => Err(internal(e)),
    }
}

/// Attaches a managed policy to a user or a group (`holder`: `user` or `group`).
#[server]
pub async fn attach_policy(
    holder: String,
    name: String,
    policy_arn: String,
    back: String,
) -> Result<(), AppError> {
    change_attachment(&holder, &name, &policy_arn, true).await?;
    crate::ssr::auth::redirect_back(&back, "/policies");
    Ok(())
}

/// Detaches a managed policy from a user or a group.
#[server]
pub async fn detach_policy(
    holder: String,
    name: String,
    policy_arn: String,
    back: String,
) -> Result<(), AppError> {
    change_attachment(&holder, &name, &policy_arn, false).await?;
    crate::ssr::auth::redirect_back(&back, "/policies");
    Ok(())
}
