//! Managed policies: the templates, and attaching them to users and groups.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A policy as the console lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub name: String,
    pub arn: String,
    pub description: String,
    pub document: String,
}

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

#[cfg(feature = "ssr")]
pub fn all_policies() -> Vec<PolicyRow> {
    let mut rows: Vec<PolicyRow> = crate::ssr::authz::templates()
        .iter()
        .map(|(arn, (template, _))| PolicyRow {
            name: template.name.to_string(),
            arn: arn.clone(),
            description: template.description.to_string(),
            document: template.document.clone(),
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

#[server]
pub async fn list_policies() -> Result<Vec<PolicyRow>, AppError> {
    crate::ssr::authorize("iam:ListPolicies", crate::ssr::Target::Any).await?;
    Ok(all_policies())
}

/// Attaches a managed policy to a user or a group (`holder`: `user` or `group`).
#[server]
pub async fn attach_policy(
    holder: String,
    name: String,
    policy_arn: String,
    back: String,
) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::{client_ip, respond, Target};
    if !crate::ssr::authz::templates().contains_key(&policy_arn) {
        return Err(respond(AppError::field(
            "policy_arn",
            "Choose a policy to attach.",
        )));
    }
    let state = state()?;
    let ip = client_ip().await;
    let result = match holder.as_str() {
        "user" => {
            let p = crate::ssr::authorize("iam:AttachUserPolicy", Target::User(&name)).await?;
            let arn = format!("arn:aws:iam::{}:user/{name}", p.account_id);
            state
                .store
                .attach_user_policy(
                    &name,
                    &policy_arn,
                    &p.audit(
                        "iam:AttachUserPolicy",
                        &arn,
                        &ip,
                        format!("attached {policy_arn}"),
                    ),
                )
                .await
        }
        "group" => {
            let p = crate::ssr::authorize("iam:AttachGroupPolicy", Target::Group(&name)).await?;
            let arn = format!("arn:aws:iam::{}:group/{name}", p.account_id);
            state
                .store
                .attach_group_policy(
                    &name,
                    &policy_arn,
                    &p.audit(
                        "iam:AttachGroupPolicy",
                        &arn,
                        &ip,
                        format!("attached {policy_arn}"),
                    ),
                )
                .await
        }
        _ => {
            return Err(respond(AppError::field(
                "holder",
                "Policies attach to users or groups.",
            )))
        }
    };
    match result {
        Ok(()) => {}
        Err(e @ store::AttachError::QuotaReached(_)) => {
            return Err(respond(AppError::field("policy_arn", e.to_string())))
        }
        Err(store::AttachError::Store(e @ store::StoreError::NotFound { .. })) => {
            return Err(respond(AppError::NotFound(e.to_string())))
        }
        Err(e) => return Err(internal(e)),
    }
    leptos_axum::redirect(if back.starts_with('/') {
        &back
    } else {
        "/policies"
    });
    Ok(())
}

#[server]
pub async fn detach_policy(
    holder: String,
    name: String,
    policy_arn: String,
    back: String,
) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::{client_ip, respond, Target};
    let state = state()?;
    let ip = client_ip().await;
    let result = match holder.as_str() {
        "user" => {
            let p = crate::ssr::authorize("iam:DetachUserPolicy", Target::User(&name)).await?;
            let arn = format!("arn:aws:iam::{}:user/{name}", p.account_id);
            state
                .store
                .detach_user_policy(
                    &name,
                    &policy_arn,
                    &p.audit(
                        "iam:DetachUserPolicy",
                        &arn,
                        &ip,
                        format!("detached {policy_arn}"),
                    ),
                )
                .await
        }
        "group" => {
            let p = crate::ssr::authorize("iam:DetachGroupPolicy", Target::Group(&name)).await?;
            let arn = format!("arn:aws:iam::{}:group/{name}", p.account_id);
            state
                .store
                .detach_group_policy(
                    &name,
                    &policy_arn,
                    &p.audit(
                        "iam:DetachGroupPolicy",
                        &arn,
                        &ip,
                        format!("detached {policy_arn}"),
                    ),
                )
                .await
        }
        _ => {
            return Err(respond(AppError::field(
                "holder",
                "Policies attach to users or groups.",
            )))
        }
    };
    match result {
        Ok(()) => {}
        Err(e @ store::StoreError::NotFound { .. }) => {
            return Err(respond(AppError::NotFound(e.to_string())))
        }
        Err(e) => return Err(internal(e)),
    }
    leptos_axum::redirect(if back.starts_with('/') {
        &back
    } else {
        "/policies"
    });
    Ok(())
}
