//! What a user, group or role is given: managed policies (templates and
//! customer-managed), inline policies, roles given to users and groups, and the
//! permissions boundary of users and roles.
//!
//! Each change is authorized on the holder's stored ARN with the context AWS sends:
//! `iam:PolicyARN` for attachments, `iam:PermissionsBoundary` for the holder's
//! boundary, so AWS's standard guardrails ("never attach AdministratorAccess", "only
//! users inside this boundary") hold here too.

use model::access::actions::{self, Spellings};
use model::{Access, AttachedPolicy, Holder, Refusals};
use policy::PolicyKind;

use crate::authz::{arn, templates, Extra, Permit};
use crate::error::OnField;
use crate::{Caller, Service, ServiceError};

/// A user, group or role found by name, with what authorization needs of it.
#[derive(Debug, Clone)]
pub(crate) struct HolderRow {
    pub id: String,
    pub name: String,
    pub arn: String,
    pub boundary: Option<String>,
    /// `aws:ResourceTag/*` of requests about it (groups have none).
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The engine's kind for an inline policy of this holder (sets its size quota).
pub fn inline_kind(holder: Holder) -> PolicyKind {
    match holder {
        Holder::User => PolicyKind::InlineUser,
        Holder::Group => PolicyKind::InlineGroup,
        Holder::Role => PolicyKind::InlineRole,
    }
}

/// AWS's inline policy names: `[\w+=,.@-]{1,128}`.
fn inline_name(name: &str) -> Result<(), ServiceError> {
    if name.is_empty() {
        return Err(ServiceError::invalid(
            "policy_name",
            "Enter a name for the inline policy.",
        ));
    }
    if name.chars().count() > 128
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    {
        return Err(ServiceError::invalid(
            "policy_name",
            "Inline policy names have 1 to 128 letters, digits and + = , . @ _ - (no spaces).",
        ));
    }
    Ok(())
}

impl Service {
    /// The user, group or role `name`.
    pub(crate) async fn find_holder(
        &self,
        holder: Holder,
        name: &str,
    ) -> Result<Option<HolderRow>, ServiceError> {
        Ok(match holder {
            Holder::User => self.store.user_by_name(name).await?.map(|u| HolderRow {
                id: u.id,
                name: u.name,
                arn: u.arn,
                boundary: u.boundary_arn,
                tags: u.tags,
            }),
            Holder::Group => self.store.group(name).await?.map(|g| HolderRow {
                id: g.id,
                name: g.name,
                arn: g.arn,
                boundary: None,
                tags: Default::default(),
            }),
            Holder::Role => self.store.role(name).await?.map(|r| HolderRow {
                id: r.id,
                name: r.name,
                arn: r.arn,
                boundary: r.boundary_arn,
                tags: r.tags,
            }),
        })
    }

    /// Looks the holder up, then authorizes the change `spellings` names on its
    /// stored ARN with `iam:PermissionsBoundary` (its current boundary) and `extra`.
    async fn holder_for(
        &self,
        caller: &Caller,
        holder: Holder,
        name: &str,
        spellings: Spellings,
        extra: Extra,
    ) -> Result<(HolderRow, Permit), ServiceError> {
        self.holder_as(caller, holder, name, holder.action(spellings), extra)
            .await
    }

    /// Looks the holder up, then authorizes `action` on its stored ARN with its
    /// boundary (`iam:PermissionsBoundary`), its tags (`aws:ResourceTag/*`) and
    /// `extra`; a missing holder is authorized on the ARN it would have, so a refusal
    /// never tells whether it exists.
    pub(crate) async fn holder_as(
        &self,
        caller: &Caller,
        holder: Holder,
        name: &str,
        action: &'static str,
        extra: Extra,
    ) -> Result<(HolderRow, Permit), ServiceError> {
        let name = name.trim();
        let found = self.find_holder(holder, name).await?;
        let permit = match &found {
            Some(row) => {
                let extra = extra
                    .with_boundary(row.boundary.as_deref())
                    .with_resource_tags(&row.tags);
                self.authorize_with(caller, action, &row.arn, &extra)
                    .await?
            }
            None => {
                let resource = match holder {
                    Holder::User => arn::user(&caller.account_id, name),
                    Holder::Group => arn::group(&caller.account_id, name),
                    Holder::Role => arn::role(&caller.account_id, name),
                };
                self.authorize_with(caller, action, &resource, &extra)
                    .await?
            }
        };
        let row = found.ok_or_else(|| ServiceError::no_such(holder.what(), name))?;
        if holder == Holder::Role {
            crate::service_linked_roles::check_unprotected(&row.arn, &row.name, action)?;
        }
        Ok((row, permit))
    }

    /// A managed policy's ARN that names a template or a customer policy; `field`
    /// carries the error. Templates live in code, so their ARNs are checked here.
    pub(crate) fn known_policy(&self, arn: &str, field: &'static str) -> Result<(), ServiceError> {
        if arn.is_empty() {
            return Err(ServiceError::invalid(field, "Choose a policy."));
        }
        if arn.starts_with(store::permissions::TEMPLATE_ARN_PREFIX)
            && !templates().contains_key(arn)
        {
            return Err(ServiceError::no_such_policy(Some(field), arn));
        }
        Ok(())
    }

    /// Attaches a managed policy, as `iam:Attach{User,Group,Role}Policy` with
    /// `iam:PolicyARN`.
    pub async fn attach_policy(
        &self,
        caller: &Caller,
        holder: Holder,
        name: &str,
        policy_arn: &str,
    ) -> Result<(), ServiceError> {
        self.known_policy(policy_arn.trim(), "policy_arn")?;
        self.change_attachment(caller, holder, name, policy_arn, true)
            .await
    }

    /// Detaches a managed policy, as `iam:Detach{User,Group,Role}Policy` with
    /// `iam:PolicyARN`.
    pub async fn detach_policy(
        &self,
        caller: &Caller,
        holder: Holder,
        name: &str,
        policy_arn: &str,
    ) -> Result<(), ServiceError> {
        self.change_attachment(caller, holder, name, policy_arn, false)
            .await
    }

    async fn change_attachment(
        &self,
        caller: &Caller,
        holder: Holder,
        name: &str,
        policy_arn: &str,
        attach: bool,
    ) -> Result<(), ServiceError> {
        let policy_arn = policy_arn.trim();
        let spellings = if attach {
            actions::ATTACH
        } else {
            actions::DETACH
        };
        let (row, permit) = self
            .holder_for(
                caller,
                holder,
                name,
                spellings,
                Extra::new().with("iam:PolicyARN", policy_arn),
            )
            .await?;
        if attach {
            let audit = permit.audit(caller, format!("attached {policy_arn}"));
            self.store
                .attach_policy(holder, &row.id, policy_arn, &audit)
                .await
                .on_field("policy_arn")
        } else {
            let audit = permit.audit(caller, format!("detached {policy_arn}"));
            self.store
                .detach_policy(holder, &row.id, policy_arn, &audit)
                .await
                .on_field("policy_arn")
        }
    }

    /// Adds or replaces an inline policy, within AWS's quota for the holder's inline
    /// policies together (users 2,048, groups 5,120, roles 10,240 characters).
    pub async fn put_inline_policy(
        &self,
        caller: &Caller,
        holder: Holder,
        name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), ServiceError> {
        let policy_name = policy_name.trim();
        inline_name(policy_name)?;
        let (row, permit) = self
            .holder_for(caller, holder, name, actions::PUT_INLINE, Extra::new())
            .await?;
        let kind = inline_kind(holder);
        crate::policies::validated(document, kind, "document")?;
        self.store
            .put_inline_policy(
                holder,
                &row.id,
                policy_name,
                document,
                kind.size_limit(),
                &permit.audit(caller, format!("put inline policy {policy_name}")),
            )
            .await
            .on_field("document")?;
        Ok(())
    }

    pub async fn delete_inline_policy(
        &self,
        caller: &Caller,
        holder: Holder,
        name: &str,
        policy_name: &str,
    ) -> Result<(), ServiceError> {
        let policy_name = policy_name.trim();
        let (row, permit) = self
            .holder_for(caller, holder, name, actions::DELETE_INLINE, Extra::new())
            .await?;
        self.store
            .delete_inline_policy(
                holder,
                &row.id,
                policy_name,
                &permit.audit(caller, format!("deleted inline policy {policy_name}")),
            )
            .await
            .on_field("policy_name")?;
        Ok(())
    }

    /// Sets the permissions boundary of a user or role (`None` removes it), as
    /// `iam:Put…PermissionsBoundary` with the new boundary as `iam:PermissionsBoundary`,
    /// or `iam:Delete…PermissionsBoundary` with the current one.
    pub async fn set_boundary(
        &self,
        caller: &Caller,
        holder: Holder,
        name: &str,
        policy_arn: Option<&str>,
    ) -> Result<(), ServiceError> {
        if holder == Holder::Group {
            return Err(ServiceError::invalid(
                "boundary",
                "Groups have no permissions boundary; set one on the users or roles instead.",
            ));
        }
        let policy_arn = policy_arn.map(str::trim).filter(|a| !a.is_empty());
        let (row, permit) = match policy_arn {
            Some(new) => {
                self.known_policy(new, "boundary")?;
                // The new boundary is the one the change is about.
                let name = name.trim();
                let found = self.find_holder(holder, name).await?;
                let resource = found.as_ref().map_or_else(
                    || match holder {
                        Holder::Role => arn::role(&caller.account_id, name),
                        _ => arn::user(&caller.account_id, name),
                    },
                    |r| r.arn.clone(),
                );
                let permit = self
                    .authorize_with(
                        caller,
                        holder.action(actions::PUT_BOUNDARY),
                        &resource,
                        &Extra::new()
                            .with("iam:PermissionsBoundary", new)
                            .with_resource_tags(
                                &found.as_ref().map(|r| r.tags.clone()).unwrap_or_default(),
                            ),
                    )
                    .await?;
                let row = found.ok_or_else(|| ServiceError::no_such(holder.what(), name))?;
                if holder == Holder::Role {
                    crate::service_linked_roles::check_unprotected(
                        &row.arn,
                        &row.name,
                        "iam:PutRolePermissionsBoundary",
                    )?;
                }
                (row, permit)
            }
            None => {
                self.holder_for(caller, holder, name, actions::DELETE_BOUNDARY, Extra::new())
                    .await?
            }
        };
        let detail = match policy_arn {
            Some(arn) => format!("set the permissions boundary to {arn}"),
            None => "removed the permissions boundary".to_string(),
        };
        self.store
            .set_boundary(holder, &row.id, policy_arn, &permit.audit(caller, detail))
            .await
            .on_field("boundary")?;
        Ok(())
    }

    /// Gives a role to a user or group (`give`) or takes it back: the role's policies
    /// apply to the holder. That changes what they may do, so it is authorized as
    /// attaching (or detaching) each of the role's managed policies to the holder,
    /// with `iam:PolicyARN` naming it: a guardrail against attaching a policy also
    /// stops handing it over inside a role.
    pub async fn grant_role(
        &self,
        caller: &Caller,
        holder: Holder,
        name: &str,
        role: &str,
        give: bool,
    ) -> Result<(), ServiceError> {
        if holder == Holder::Role {
            return Err(ServiceError::invalid(
                "holder",
                "Roles are given to users and groups.",
            ));
        }
        let role_name = role.trim();
        if role_name.is_empty() {
            return Err(ServiceError::invalid("role", "Choose a role."));
        }
        let spellings = if give {
            actions::ATTACH
        } else {
            actions::DETACH
        };
        let (row, permit) = self
            .holder_for(caller, holder, name, spellings, Extra::new())
            .await?;
        let role = self
            .store
            .role(role_name)
            .await?
            .ok_or_else(|| ServiceError::no_such_in("role", "role", role_name))?;
        let bundled = self.store.role_permissions(&role.id).await?;
        for arn in bundled
            .policies
            .iter()
            .filter_map(|p| p.policy_arn.as_deref())
        {
            self.authorize_with(
                caller,
                holder.action(spellings),
                &row.arn,
                &Extra::new()
                    .with("iam:PolicyARN", arn)
                    .with_boundary(row.boundary.as_deref()),
            )
            .await?;
        }
        let detail = if give {
            format!("gave role {}", role.arn)
        } else {
            format!("took back role {}", role.arn)
        };
        self.store
            .grant_role(
                holder,
                &row.id,
                &role.id,
                give,
                &permit.audit(caller, detail),
            )
            .await
            .on_field("role")?;
        Ok(())
    }

    /// The permissions panel of a holder: what applies to it, what can still be
    /// attached or given, and what the caller may not change there.
    pub(crate) async fn access(
        &self,
        caller: &Caller,
        holder: Holder,
        id: &str,
        name: &str,
        holder_arn: &str,
        permissions: store::Permissions,
    ) -> Result<Access, ServiceError> {
        let mut spellings = vec![
            actions::ATTACH,
            actions::DETACH,
            actions::PUT_INLINE,
            actions::DELETE_INLINE,
        ];
        if holder != Holder::Group {
            spellings.extend([actions::PUT_BOUNDARY, actions::DELETE_BOUNDARY]);
        }
        let checks: Vec<(&str, String)> = spellings
            .into_iter()
            .map(|s| (holder.action(s), holder_arn.to_string()))
            .collect();
        let refusals = self.refusals(caller, &checks).await?;
        let policies: Vec<AttachedPolicy> = permissions
            .policies
            .into_iter()
            .map(|p| AttachedPolicy {
                document: if p.policy_arn.is_none() {
                    p.document
                } else {
                    None
                },
                name: p.name,
                arn: p.policy_arn,
                via: p.via,
                direct: p.direct,
            })
            .collect();
        let available_policies = self
            .all_policies()
            .await?
            .into_iter()
            .filter(|row| {
                !policies
                    .iter()
                    .any(|p| p.direct && p.arn.as_deref() == Some(row.arn.as_str()))
            })
            .map(|row| (row.name, row.arn))
            .collect();
        let roles = self.store.roles_given(holder, id).await?;
        let available_roles = if holder == Holder::Role {
            Vec::new()
        } else {
            self.store
                .roles()
                .await?
                .into_iter()
                .map(|r| r.name)
                .filter(|r| !roles.contains(r))
                .collect()
        };
        Ok(Access {
            holder,
            name: name.to_string(),
            policies,
            available_policies,
            boundary: permissions
                .boundary
                .and_then(|b| b.policy_arn.map(|arn| (b.name, arn))),
            roles,
            available_roles,
            inline_limit: inline_kind(holder).size_limit(),
            refusals,
        })
    }

    /// What the caller would be refused among `checks`: (action, resource path such
    /// as `user/alice`, `group/*` or `*`), for forms outside a page's own data.
    pub async fn my_refusals(
        &self,
        caller: &Caller,
        checks: &[(String, String)],
    ) -> Result<Refusals, ServiceError> {
        let account = &caller.account_id;
        let targets: Vec<(&str, String)> = checks
            .iter()
            .take(50)
            .map(|(action, path)| {
                let resource = match path.split_once('/') {
                    Some((kind @ ("user" | "group" | "role" | "policy"), name)) => {
                        format!("arn:aws:iam::{account}:{kind}/{name}")
                    }
                    _ => "*".to_string(),
                };
                (action.as_str(), resource)
            })
            .collect();
        self.refusals(caller, &targets).await
    }
}
