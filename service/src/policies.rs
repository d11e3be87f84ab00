//! Managed policies: the templates (read-only) and customer-managed policies with
//! versions, plus the editor's live check (lint findings with positions, and the
//! summary of what the document grants).

use model::policies::{FindingRow, PolicyCheck, PolicyDetail, PolicyRow, SummaryRow, VersionRow};
use policy::{PolicyDocument, PolicyKind};
use store::{ManagedPolicy, PolicyVersion};

use crate::authz::{arn, template_named, templates, Extra, Permit};
use crate::error::OnField;
use crate::{format, Caller, Service, ServiceError};

/// The editor's check of a document: findings placed in the text, its size against
/// the quota, and what it grants.
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

/// Parses a document to save; a fault is AWS's `MalformedPolicyDocument` message on
/// `field`, with the place.
pub fn validated(
    text: &str,
    kind: PolicyKind,
    field: &'static str,
) -> Result<PolicyDocument, ServiceError> {
    PolicyDocument::parse(text, kind).map_err(|errors| {
        let message = errors
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
        ServiceError::MalformedPolicy { field, message }
    })
}

/// AWS's managed policy names: `[\w+=,.@-]{1,128}`.
fn policy_name(name: &str) -> Result<(), ServiceError> {
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
        Some(m) => Err(ServiceError::invalid("name", m)),
        None => Ok(()),
    }
}

fn description(text: &str) -> Result<&str, ServiceError> {
    let text = text.trim();
    if text.chars().count() > 1000 {
        return Err(ServiceError::invalid(
            "description",
            "Descriptions have at most 1,000 characters.",
        ));
    }
    Ok(text)
}

fn template_row(arn: &str, template: &policy::templates::Template) -> PolicyRow {
    PolicyRow {
        name: template.name.to_string(),
        arn: arn.to_string(),
        description: template.description.to_string(),
        template: true,
        attachments: 0,
        updated: String::new(),
    }
}

fn customer_row(p: ManagedPolicy) -> PolicyRow {
    PolicyRow {
        name: p.name,
        arn: p.arn,
        description: p.description,
        template: false,
        attachments: p.attachments,
        updated: format::date(p.updated_at),
    }
}

/// A managed policy found by name: one of the templates, or the account's own.
pub(crate) enum Found {
    Template(&'static String, &'static policy::templates::Template),
    Customer(ManagedPolicy, Vec<PolicyVersion>),
}

impl Service {
    /// Every managed policy: the templates, then this account's.
    pub(crate) async fn all_policies(&self) -> Result<Vec<PolicyRow>, ServiceError> {
        let mut rows: Vec<PolicyRow> = templates()
            .iter()
            .map(|(arn, (template, _))| template_row(arn, template))
            .collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows.extend(
            self.store
                .customer_policies()
                .await?
                .into_iter()
                .map(customer_row),
        );
        Ok(rows)
    }

    pub async fn list_policies(&self, caller: &Caller) -> Result<Vec<PolicyRow>, ServiceError> {
        self.authorize(
            caller,
            "iam:ListPolicies",
            &arn::policies(&caller.account_id),
        )
        .await?;
        self.all_policies().await
    }

    /// The editor's live check, for anyone signed in (it reads nothing stored).
    pub fn check_policy(&self, _caller: &Caller, document: &str) -> PolicyCheck {
        check(document, PolicyKind::Managed)
    }

    /// Finds the policy `name` and authorizes `action` on its stored ARN (on the ARN
    /// the name would have, when there is none, before saying so).
    pub(crate) async fn policy_for(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
    ) -> Result<(Found, Permit), ServiceError> {
        self.policy_for_with(caller, action, name, Extra::new())
            .await
    }

    /// [`Service::policy_for`] with the request's own context keys; a customer
    /// policy's tags are added to them.
    pub(crate) async fn policy_for_with(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
        extra: Extra,
    ) -> Result<(Found, Permit), ServiceError> {
        let name = name.trim();
        let found = match template_named(name) {
            Some((arn, (template, _))) => Some(Found::Template(arn, template)),
            None => self
                .store
                .customer_policy(name)
                .await?
                .map(|(policy, versions)| Found::Customer(policy, versions)),
        };
        let resource = match &found {
            Some(Found::Template(arn, _)) => (*arn).clone(),
            Some(Found::Customer(policy, _)) => policy.arn.clone(),
            None => arn::policy(&caller.account_id, name),
        };
        let extra = match &found {
            Some(Found::Customer(policy, _)) => extra.with_resource_tags(&policy.tags),
            _ => extra,
        };
        let permit = self
            .authorize_with(caller, action, &resource, &extra)
            .await?;
        let found = found.ok_or_else(|| {
            ServiceError::no_such_policy(None, &arn::policy(&caller.account_id, name))
        })?;
        Ok((found, permit))
    }

    /// A customer policy to change; the templates are read-only.
    async fn customer_policy_for(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
    ) -> Result<(ManagedPolicy, Permit), ServiceError> {
        match self.policy_for(caller, action, name).await? {
            (Found::Customer(policy, _), permit) => Ok((policy, permit)),
            (Found::Template(arn, _), _) => Err(ServiceError::Conflict(format!(
                "{arn} is built into Portcullis and cannot be changed or deleted. Create your own policy from it instead."
            ))),
        }
    }

    pub async fn policy_overview(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<PolicyDetail, ServiceError> {
        let (found, _) = self.policy_for(caller, "iam:GetPolicy", name).await?;
        match found {
            Found::Template(arn, template) => Ok(PolicyDetail {
                refusals: Default::default(),
                row: template_row(arn, template),
                versions: vec![VersionRow {
                    version: 1,
                    document: template.document.clone(),
                    is_default: true,
                    created: String::new(),
                }],
                attached_to: self.store.policy_attachments(arn).await?,
                check: check(&template.document, PolicyKind::Template),
            }),
            Found::Customer(policy, versions) => {
                let default_document = versions
                    .iter()
                    .find(|v| v.is_default)
                    .map(|v| v.document.clone())
                    .unwrap_or_default();
                let refusals = self
                    .refusals(
                        caller,
                        &[
                            ("iam:CreatePolicyVersion", policy.arn.clone()),
                            ("iam:SetDefaultPolicyVersion", policy.arn.clone()),
                            ("iam:DeletePolicyVersion", policy.arn.clone()),
                            ("iam:DeletePolicy", policy.arn.clone()),
                        ],
                    )
                    .await?;
                Ok(PolicyDetail {
                    refusals,
                    attached_to: self.store.policy_attachments(&policy.arn).await?,
                    check: check(&default_document, PolicyKind::Managed),
                    versions: versions
                        .into_iter()
                        .map(|v| VersionRow {
                            version: v.version,
                            document: v.document,
                            is_default: v.is_default,
                            created: format::date(v.created_at),
                        })
                        .collect(),
                    row: customer_row(policy),
                })
            }
        }
    }

    /// Creates a customer policy under `path` (blank is `/`).
    pub async fn create_policy(
        &self,
        caller: &Caller,
        path: &str,
        name: &str,
        description_text: &str,
        document: &str,
        tags: &[(String, String)],
    ) -> Result<ManagedPolicy, ServiceError> {
        let name = name.trim();
        policy_name(name)?;
        model::tags::check_all(tags)?;
        let tags: std::collections::BTreeMap<String, String> = tags.iter().cloned().collect();
        if template_named(name).is_some() {
            return Err(ServiceError::invalid(
                "name",
                format!("\"{name}\" is the name of a built-in policy. Choose another name."),
            ));
        }
        let description_text = description(description_text)?;
        let path = crate::authz::entity_path(path)?;
        let target = arn::at(&caller.account_id, "policy", path, name);
        let extra = Extra::new().with_request_tags(&tags);
        let permit = self
            .authorize_with(caller, "iam:CreatePolicy", &target, &extra)
            .await?;
        if !tags.is_empty() {
            self.authorize_with(caller, "iam:TagPolicy", &target, &extra)
                .await?;
        }
        validated(document, PolicyKind::Managed, "document")?;
        self.store
            .create_policy(
                &target,
                name,
                description_text,
                document,
                &tags,
                &permit.audit(caller, ""),
            )
            .await
            .on_field("name")
    }

    /// Saves an edited document as a new version, the default one when asked.
    pub async fn create_policy_version(
        &self,
        caller: &Caller,
        name: &str,
        document: &str,
        set_as_default: bool,
    ) -> Result<i32, ServiceError> {
        let (policy, permit) = self
            .customer_policy_for(caller, "iam:CreatePolicyVersion", name)
            .await?;
        validated(document, PolicyKind::Managed, "document")?;
        self.store
            .create_policy_version(
                &policy.id,
                document,
                set_as_default,
                &permit.audit(
                    caller,
                    if set_as_default {
                        "new default version"
                    } else {
                        "new version"
                    },
                ),
            )
            .await
            .on_field("document")
    }

    /// Makes a version the default: how a change is rolled back.
    pub async fn set_default_version(
        &self,
        caller: &Caller,
        name: &str,
        version: i32,
    ) -> Result<(), ServiceError> {
        let (policy, permit) = self
            .customer_policy_for(caller, "iam:SetDefaultPolicyVersion", name)
            .await?;
        self.store
            .set_default_policy_version(
                &policy.id,
                version,
                &permit.audit(caller, format!("v{version} is the default")),
            )
            .await
            .on_field("version")?;
        Ok(())
    }

    pub async fn delete_policy_version(
        &self,
        caller: &Caller,
        name: &str,
        version: i32,
    ) -> Result<(), ServiceError> {
        let (policy, permit) = self
            .customer_policy_for(caller, "iam:DeletePolicyVersion", name)
            .await?;
        self.store
            .delete_policy_version(
                &policy.id,
                version,
                &permit.audit(caller, format!("deleted v{version}")),
            )
            .await
            .on_field("version")?;
        Ok(())
    }

    /// Deletes a customer policy; refused while it is attached, naming where.
    pub async fn delete_policy(
        &self,
        caller: &Caller,
        name: &str,
        confirm: &str,
    ) -> Result<(), ServiceError> {
        let (policy, permit) = self
            .customer_policy_for(caller, "iam:DeletePolicy", name)
            .await?;
        if confirm.trim() != policy.name {
            return Err(ServiceError::invalid(
                "confirm",
                format!("Type \"{}\" to confirm.", policy.name),
            ));
        }
        self.store
            .delete_policy(&policy.id, &permit.audit(caller, ""))
            .await?;
        Ok(())
    }
}
