//! Managed policies: the templates (read-only) and customer-managed policies with
//! versions, plus the editor's live check (lint findings with positions, and the
//! summary of what the document grants).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// A managed policy as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRow {
    pub name: String,
    pub arn: String,
    pub description: String,
    /// Shipped with Portcullis (read-only) rather than written by this account.
    pub template: bool,
    /// Users and groups it is attached to (customer policies).
    pub attachments: i64,
    pub updated: String,
}

/// One finding of the engine's lint, placed in the text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRow {
    /// `error`, `security-warning`, `warning` or `suggestion`.
    pub severity: String,
    pub code: String,
    pub message: String,
    pub line: u32,
    pub column: u32,
    /// Byte range in the document.
    pub start: usize,
    pub end: usize,
}

/// One service line of a policy summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// `Allow` or `Deny`.
    pub effect: String,
    pub service: String,
    pub access: String,
    pub resources: String,
    pub conditions: String,
}

/// What the editor shows under the document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PolicyCheck {
    pub findings: Vec<FindingRow>,
    pub summary: Vec<SummaryRow>,
    pub unrecognized: Vec<String>,
    /// Characters that count against the quota, and the quota.
    pub size: usize,
    pub limit: usize,
}

impl PolicyCheck {
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == "error")
    }
}

/// A version of a customer policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub version: i32,
    pub document: String,
    pub is_default: bool,
    pub created: String,
}

/// One managed policy with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyDetail {
    pub row: PolicyRow,
    /// Newest first; a template has one.
    pub versions: Vec<VersionRow>,
    pub attached_to: Vec<String>,
    /// The default version's check.
    pub check: PolicyCheck,
    /// Changes on this page the signed-in principal may not make.
    pub refusals: crate::api::permissions::Refusals,
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::*;
    use crate::ssr::respond;
    use policy::{PolicyDocument, PolicyKind};

    pub fn check(text: &str, kind: PolicyKind) -> PolicyCheck {
        let (findings, summary) = match PolicyDocument::parse(text, kind) {
            Ok(document) => (
                policy::lint::lint_document(text, kind, &document),
                policy::summary::summarize(&document),
            ),
            Err(errors) => (policy::lint::malformed(errors), Default::default()),
        };
        PolicyCheck {
            findings: findings
                .into_iter()
                .map(|f| FindingRow {
                    severity: f.severity.as_str().to_string(),
                    code: f.code.to_string(),
                    message: f.message,
                    line: f.location.line,
                    column: f.location.column,
                    start: f.location.start,
                    end: f.location.end,
                })
                .collect(),
            summary: summary
                .services
                .iter()
                .map(|s| SummaryRow {
                    effect: s.effect.as_str().to_string(),
                    service: s.name.clone(),
                    access: s.access(),
                    resources: if s.resources.iter().any(|r| r == "*") {
                        "All resources".into()
                    } else {
                        s.resources.join(", ")
                    },
                    conditions: if s.conditions.is_empty() {
                        "None".into()
                    } else {
                        s.conditions.join("; ")
                    },
                })
                .collect(),
            unrecognized: summary.unrecognized,
            size: policy::document::policy_size(text),
            limit: kind.size_limit(),
        }
    }

    /// Parses a document to save; a fault is an error on the `document` field that
    /// names the place.
    pub fn validated(text: &str) -> Result<(), AppError> {
        validated_as(text, PolicyKind::Managed, "document")
    }

    /// [`validated`] for any kind of policy (inline, trust, …) and form field.
    pub fn validated_as(text: &str, kind: PolicyKind, field: &str) -> Result<(), AppError> {
        match PolicyDocument::parse(text, kind) {
            Ok(_) => Ok(()),
            Err(errors) => {
                let first = errors
                    .first()
                    .map(|e| {
                        format!(
                            "{} {} (line {}, column {})",
                            e.aws_message(),
                            e.detail(),
                            e.location.line,
                            e.location.column
                        )
                    })
                    .unwrap_or_else(|| "The policy document is not valid.".into());
                Err(respond(AppError::field(field, first)))
            }
        }
    }

    /// AWS's managed policy names: `[\w+=,.@-]{1,128}`.
    pub fn policy_name(name: &str) -> Result<(), AppError> {
        let message = if name.is_empty() {
            Some("Enter a policy name.")
        } else if name.chars().count() > 128 {
            Some("Policy names have at most 128 characters.")
        } else if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
        {
            Some("Use only letters, digits and + = , . @ _ - (no spaces).")
        } else {
            None
        };
        match message {
            Some(m) => Err(respond(AppError::field("name", m))),
            None => Ok(()),
        }
    }

    pub fn store_error(e: store::StoreError, field: &str) -> AppError {
        use store::StoreError as E;
        match e {
            E::Duplicate { .. } | E::VersionLimit { .. } => {
                respond(AppError::field(field, e.to_string()))
            }
            E::InUse { .. } | E::DefaultVersion { .. } => {
                respond(AppError::Conflict(e.to_string()))
            }
            E::NotFound { .. } => respond(AppError::NotFound(e.to_string())),
            other => crate::ssr::auth::internal(other),
        }
    }

    /// Every managed policy: the templates, then this account's.
    pub async fn all_policies(store: &store::Store) -> Result<Vec<PolicyRow>, AppError> {
        let mut rows: Vec<PolicyRow> = crate::ssr::authz::templates()
            .iter()
            .map(|(arn, (template, _))| PolicyRow {
                name: template.name.to_string(),
                arn: arn.clone(),
                description: template.description.to_string(),
                template: true,
                attachments: 0,
                updated: String::new(),
            })
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        let customer = store
            .customer_policies()
            .await
            .map_err(crate::ssr::auth::internal)?;
        rows.extend(customer.into_iter().map(|p| PolicyRow {
            name: p.name,
            arn: p.arn,
            description: p.description,
            template: false,
            attachments: p.attachments,
            updated: crate::api::users::format::date(p.updated_at),
        }));
        Ok(rows)
    }
}

#[cfg(feature = "ssr")]
pub use server::all_policies;

#[server]
pub async fn list_policies() -> Result<Vec<PolicyRow>, AppError> {
    crate::ssr::authorize("iam:ListPolicies", crate::ssr::Target::Any).await?;
    server::all_policies(&crate::ssr::auth::state()?.store).await
}

/// The editor's live check: lint findings with positions, size, and the summary.
#[server]
pub async fn check_policy(document: String) -> Result<PolicyCheck, AppError> {
    crate::ssr::auth::signed_in().await?;
    Ok(server::check(&document, policy::PolicyKind::Managed))
}

#[server]
pub async fn policy_overview(name: String) -> Result<PolicyDetail, AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::{respond, Target};
    let principal = crate::ssr::authorize("iam:GetPolicy", Target::Policy(&name)).await?;
    let state = state()?;
    if let Some((arn, (template, _))) = crate::ssr::authz::template_named(&name) {
        return Ok(PolicyDetail {
            refusals: Default::default(),
            row: PolicyRow {
                name: template.name.to_string(),
                arn: arn.clone(),
                description: template.description.to_string(),
                template: true,
                attachments: 0,
                updated: String::new(),
            },
            versions: vec![VersionRow {
                version: 1,
                document: template.document.clone(),
                is_default: true,
                created: String::new(),
            }],
            attached_to: state
                .store
                .policy_attachments(arn)
                .await
                .map_err(internal)?,
            check: server::check(&template.document, policy::PolicyKind::Template),
        });
    }
    let Some((policy, versions)) = state.store.customer_policy(&name).await.map_err(internal)?
    else {
        return Err(respond(AppError::NotFound(format!(
            "No policy named \"{name}\" exists."
        ))));
    };
    let default_document = versions
        .iter()
        .find(|v| v.is_default)
        .map(|v| v.document.clone())
        .unwrap_or_default();
    let refusals = crate::ssr::authz::refusals(
        &principal,
        &[
            ("iam:CreatePolicyVersion", Target::Policy(&name)),
            ("iam:SetDefaultPolicyVersion", Target::Policy(&name)),
            ("iam:DeletePolicyVersion", Target::Policy(&name)),
            ("iam:DeletePolicy", Target::Policy(&name)),
        ],
    )
    .await?;
    Ok(PolicyDetail {
        refusals,
        attached_to: state
            .store
            .policy_attachments(&policy.arn)
            .await
            .map_err(internal)?,
        check: server::check(&default_document, policy::PolicyKind::Managed),
        versions: versions
            .into_iter()
            .map(|v| VersionRow {
                version: v.version,
                document: v.document,
                is_default: v.is_default,
                created: crate::api::users::format::date(v.created_at),
            })
            .collect(),
        row: PolicyRow {
            name: policy.name,
            arn: policy.arn,
            description: policy.description,
            template: false,
            attachments: policy.attachments,
            updated: crate::api::users::format::date(policy.updated_at),
        },
    })
}

#[server]
pub async fn create_policy(
    name: String,
    description: String,
    document: String,
) -> Result<(), AppError> {
    use crate::ssr::{respond, Target};
    let name = name.trim().to_string();
    server::policy_name(&name)?;
    if crate::ssr::authz::template_named(&name).is_some() {
        return Err(respond(AppError::field(
            "name",
            format!("\"{name}\" is the name of a built-in policy. Choose another name."),
        )));
    }
    if description.chars().count() > 1000 {
        return Err(respond(AppError::field(
            "description",
            "Descriptions have at most 1,000 characters.",
        )));
    }
    let permit = crate::ssr::permit("iam:CreatePolicy", Target::Policy(&name)).await?;
    server::validated(&document)?;
    let state = crate::ssr::auth::state()?;
    state
        .store
        .create_policy(
            &permit.principal.account_id,
            &name,
            description.trim(),
            &document,
            &permit.audit(""),
        )
        .await
        .map_err(|e| server::store_error(e, "name"))?;
    leptos_axum::redirect(&format!("/policies/{name}"));
    Ok(())
}

/// Saves an edited document as a new version, the default one unless unticked.
#[server]
pub async fn create_policy_version(
    name: String,
    document: String,
    set_as_default: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::Target;
    let permit = crate::ssr::permit("iam:CreatePolicyVersion", Target::Policy(&name)).await?;
    server::validated(&document)?;
    let state = crate::ssr::auth::state()?;
    let set_as_default = set_as_default.is_some();
    state
        .store
        .create_policy_version(
            &name,
            &document,
            set_as_default,
            &permit.audit(if set_as_default {
                "new default version"
            } else {
                "new version"
            }),
        )
        .await
        .map_err(|e| server::store_error(e, "document"))?;
    leptos_axum::redirect(&format!("/policies/{name}"));
    Ok(())
}

/// Makes a version the default: how a change is rolled back.
#[server]
pub async fn set_default_version(name: String, version: i32) -> Result<(), AppError> {
    use crate::ssr::Target;
    let permit = crate::ssr::permit("iam:SetDefaultPolicyVersion", Target::Policy(&name)).await?;
    let state = crate::ssr::auth::state()?;
    state
        .store
        .set_default_policy_version(
            &name,
            version,
            &permit.audit(format!("v{version} is the default")),
        )
        .await
        .map_err(|e| server::store_error(e, "version"))?;
    leptos_axum::redirect(&format!("/policies/{name}"));
    Ok(())
}

#[server]
pub async fn delete_policy_version(name: String, version: i32) -> Result<(), AppError> {
    use crate::ssr::Target;
    let permit = crate::ssr::permit("iam:DeletePolicyVersion", Target::Policy(&name)).await?;
    let state = crate::ssr::auth::state()?;
    state
        .store
        .delete_policy_version(&name, version, &permit.audit(format!("deleted v{version}")))
        .await
        .map_err(|e| server::store_error(e, "version"))?;
    leptos_axum::redirect(&format!("/policies/{name}"));
    Ok(())
}

/// Deletes a customer policy; refused while it is attached, naming where.
#[server]
pub async fn delete_policy(name: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::{respond, Target};
    let permit = crate::ssr::permit("iam:DeletePolicy", Target::Policy(&name)).await?;
    if crate::ssr::authz::template_named(&name).is_some() {
        return Err(respond(AppError::Conflict(
            "Built-in policies cannot be deleted.".into(),
        )));
    }
    if confirm.trim() != name {
        return Err(respond(AppError::field(
            "confirm",
            format!("Type \"{name}\" to confirm."),
        )));
    }
    let state = crate::ssr::auth::state()?;
    state
        .store
        .delete_policy(&name, &permit.audit(""))
        .await
        .map_err(|e| server::store_error(e, "confirm"))?;
    leptos_axum::redirect("/policies");
    Ok(())
}
