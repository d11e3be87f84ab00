//! What a user, group or role is given: managed policies (templates and
//! customer-managed), inline policies, roles given to users and groups, and the
//! permissions boundary of users and roles.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// IAM's spellings of each change for a user, a group and a role, in that order
/// (groups have no permissions boundary).
pub mod actions {
    pub type Spellings = [&'static str; 3];
    pub const ATTACH: Spellings = [
        "iam:AttachUserPolicy",
        "iam:AttachGroupPolicy",
        "iam:AttachRolePolicy",
    ];
    pub const DETACH: Spellings = [
        "iam:DetachUserPolicy",
        "iam:DetachGroupPolicy",
        "iam:DetachRolePolicy",
    ];
    pub const PUT_INLINE: Spellings = [
        "iam:PutUserPolicy",
        "iam:PutGroupPolicy",
        "iam:PutRolePolicy",
    ];
    pub const DELETE_INLINE: Spellings = [
        "iam:DeleteUserPolicy",
        "iam:DeleteGroupPolicy",
        "iam:DeleteRolePolicy",
    ];
    pub const PUT_BOUNDARY: Spellings = [
        "iam:PutUserPermissionsBoundary",
        "",
        "iam:PutRolePermissionsBoundary",
    ];
    pub const DELETE_BOUNDARY: Spellings = [
        "iam:DeleteUserPermissionsBoundary",
        "",
        "iam:DeleteRolePermissionsBoundary",
    ];
}

/// A policy that applies to a user, group or role, and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachedPolicy {
    pub name: String,
    /// The managed policy's ARN; `None` for an inline policy.
    pub arn: Option<String>,
    /// `Attached directly`, `Group readers`, `Role Auditor through group readers`, …
    pub via: String,
    /// Attached to or embedded in this identity itself, so it can be removed here.
    pub direct: bool,
    /// An inline policy's document, to read and edit in place.
    pub document: Option<String>,
}

/// Everything the console shows and offers about an identity's permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Access {
    /// `user`, `group` or `role`.
    pub holder: String,
    pub name: String,
    pub policies: Vec<AttachedPolicy>,
    /// Managed policies that can still be attached: (name, ARN).
    pub available_policies: Vec<(String, String)>,
    /// The permissions boundary (name, ARN); users and roles only.
    pub boundary: Option<(String, String)>,
    /// Roles given to this user or group directly.
    pub roles: Vec<String>,
    /// Roles that can still be given.
    pub available_roles: Vec<String>,
    /// AWS's quota for this identity's inline policies, in characters.
    pub inline_limit: usize,
    /// The panels' changes the signed-in principal may not make.
    pub refusals: Refusals,
}

/// The changes a page offers that the signed-in principal would be refused, by
/// action, with the engine's reason; the page disables those controls and says why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusals(pub std::collections::BTreeMap<String, String>);

impl Refusals {
    pub fn reason(&self, action: &str) -> Option<String> {
        self.0.get(action).cloned()
    }
}

impl Access {
    /// The IAM action for this holder among its `(user, group, role)` spellings.
    pub fn action(&self, spellings: actions::Spellings) -> &'static str {
        let [user, group, role] = spellings;
        match self.holder.as_str() {
            "user" => user,
            "group" => group,
            _ => role,
        }
    }

    /// Why the signed-in principal may not make this change here, if it may not.
    pub fn refused(&self, spellings: actions::Spellings) -> Option<String> {
        self.refusals.reason(self.action(spellings))
    }
}

/// Name of a policy from its ARN.
pub fn policy_name(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::*;
    use crate::ssr::auth::internal;
    use crate::ssr::{respond, Target};
    use store::{AttachError, Holder, StoreError};

    /// The console's form value for a holder, or an error on `holder`.
    pub fn parse_holder(text: &str) -> Result<Holder, AppError> {
        Holder::parse(text).ok_or_else(|| {
            respond(AppError::field(
                "holder",
                "Policies belong to users, groups or roles.",
            ))
        })
    }

    pub fn target(holder: Holder, name: &str) -> Target<'_> {
        match holder {
            Holder::User => Target::User(name),
            Holder::Group => Target::Group(name),
            Holder::Role => Target::Role(name),
        }
    }

    /// The engine's kind for an inline policy of this holder (sets its size quota).
    pub fn inline_kind(holder: Holder) -> policy::PolicyKind {
        match holder {
            Holder::User => policy::PolicyKind::InlineUser,
            Holder::Group => policy::PolicyKind::InlineGroup,
            Holder::Role => policy::PolicyKind::InlineRole,
        }
    }

    /// IAM's action for a change on a holder, among its spellings.
    pub fn action(holder: Holder, spellings: actions::Spellings) -> &'static str {
        let [user, group, role] = spellings;
        match holder {
            Holder::User => user,
            Holder::Group => group,
            Holder::Role => role,
        }
    }

    /// Authorizes the change `spellings` names on the holder `name`.
    pub async fn permit_on(
        holder: Holder,
        name: &str,
        spellings: actions::Spellings,
    ) -> Result<crate::ssr::Permit, AppError> {
        crate::ssr::permit(action(holder, spellings), target(holder, name)).await
    }

    /// A managed policy's ARN that names a template or a customer policy; `field`
    /// carries the error.
    pub fn known_policy(arn: &str, field: &str) -> Result<(), AppError> {
        let arn = arn.trim();
        if arn.is_empty() {
            return Err(respond(AppError::field(field, "Choose a policy.")));
        }
        if arn.starts_with(store::permissions::TEMPLATE_ARN_PREFIX)
            && !crate::ssr::authz::templates().contains_key(arn)
        {
            return Err(respond(AppError::field(
                field,
                format!("No policy {arn} exists."),
            )));
        }
        Ok(())
    }

    pub fn attach_error(e: AttachError, field: &str) -> AppError {
        match e {
            e @ (AttachError::QuotaReached(_)
            | AttachError::NoSuchPolicy(_)
            | AttachError::InlineQuota { .. }
            | AttachError::NoBoundary) => respond(AppError::field(field, e.to_string())),
            AttachError::Store(e) => store_error(e),
        }
    }

    pub fn store_error(e: StoreError) -> AppError {
        match e {
            e @ StoreError::NotFound { .. } => respond(AppError::NotFound(e.to_string())),
            other => internal(other),
        }
    }

    /// Builds the permissions view of a holder from what applies to it, with what the
    /// signed-in principal may not change there.
    pub async fn access(
        store: &store::Store,
        principal: &crate::ssr::Principal,
        holder: Holder,
        name: &str,
        permissions: store::Permissions,
    ) -> Result<Access, AppError> {
        use actions::*;
        let mut spellings = vec![ATTACH, DETACH, PUT_INLINE, DELETE_INLINE];
        if holder != Holder::Group {
            spellings.extend([PUT_BOUNDARY, DELETE_BOUNDARY]);
        }
        let checks: Vec<_> = spellings
            .into_iter()
            .map(|s| (action(holder, s), target(holder, name)))
            .collect();
        let refusals = crate::ssr::authz::refusals(principal, &checks).await?;
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
        let available_policies = crate::api::policies::all_policies(store)
            .await?
            .into_iter()
            .filter(|row| {
                !policies
                    .iter()
                    .any(|p| p.direct && p.arn.as_deref() == Some(row.arn.as_str()))
            })
            .map(|row| (row.name, row.arn))
            .collect();
        let roles = store.roles_given(holder, name).await.map_err(internal)?;
        let available_roles = if holder == Holder::Role {
            Vec::new()
        } else {
            store
                .roles()
                .await
                .map_err(internal)?
                .into_iter()
                .map(|r| r.name)
                .filter(|r| !roles.contains(r))
                .collect()
        };
        Ok(Access {
            holder: holder.what().to_string(),
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
}

/// Attaches a managed policy to a user, group or role (`holder`), as
/// iam:Attach{User,Group,Role}Policy.
#[server]
pub async fn attach_policy(
    holder: String,
    name: String,
    policy_arn: String,
    back: String,
) -> Result<(), AppError> {
    use server::*;
    let holder = parse_holder(&holder)?;
    known_policy(&policy_arn, "policy_arn")?;
    let permit = permit_on(holder, &name, actions::ATTACH).await?;
    let state = crate::ssr::auth::state()?;
    let policy_arn = policy_arn.trim();
    state
        .store
        .attach_policy(
            holder,
            &name,
            policy_arn,
            &permit.audit(format!("attached {policy_arn}")),
        )
        .await
        .map_err(|e| attach_error(e, "policy_arn"))?;
    crate::ssr::auth::redirect_back(&back, "/policies");
    Ok(())
}

/// Detaches a managed policy from a user, group or role.
#[server]
pub async fn detach_policy(
    holder: String,
    name: String,
    policy_arn: String,
    back: String,
) -> Result<(), AppError> {
    use server::*;
    let holder = parse_holder(&holder)?;
    let permit = permit_on(holder, &name, actions::DETACH).await?;
    let state = crate::ssr::auth::state()?;
    state
        .store
        .detach_policy(
            holder,
            &name,
            &policy_arn,
            &permit.audit(format!("detached {policy_arn}")),
        )
        .await
        .map_err(store_error)?;
    crate::ssr::auth::redirect_back(&back, "/policies");
    Ok(())
}

/// Adds or replaces an inline policy, within AWS's quota for the holder's inline
/// policies together (users 2,048, groups 5,120, roles 10,240 characters).
#[server]
pub async fn put_inline_policy(
    holder: String,
    name: String,
    policy_name: String,
    document: String,
    back: String,
) -> Result<(), AppError> {
    use server::*;
    let holder = parse_holder(&holder)?;
    let policy_name = policy_name.trim().to_string();
    crate::api::policies::server::policy_name(&policy_name)
        .map_err(|_| respond_name_error(&policy_name))?;
    let permit = permit_on(holder, &name, actions::PUT_INLINE).await?;
    let kind = inline_kind(holder);
    crate::api::policies::server::validated_as(&document, kind, "document")?;
    let state = crate::ssr::auth::state()?;
    state
        .store
        .put_inline_policy(
            holder,
            &name,
            &policy_name,
            &document,
            kind.size_limit(),
            &permit.audit(format!("put inline policy {policy_name}")),
        )
        .await
        .map_err(|e| attach_error(e, "document"))?;
    crate::ssr::auth::redirect_back(&back, "/");
    Ok(())
}

/// The inline policy name's rules, on the form's `policy_name` field.
#[cfg(feature = "ssr")]
fn respond_name_error(name: &str) -> AppError {
    let message = if name.is_empty() {
        "Enter a name for the inline policy."
    } else {
        "Inline policy names have 1 to 128 letters, digits and + = , . @ _ - (no spaces)."
    };
    crate::ssr::respond(AppError::field("policy_name", message))
}

/// Deletes an inline policy.
#[server]
pub async fn delete_inline_policy(
    holder: String,
    name: String,
    policy_name: String,
    back: String,
) -> Result<(), AppError> {
    use server::*;
    let holder = parse_holder(&holder)?;
    let permit = permit_on(holder, &name, actions::DELETE_INLINE).await?;
    let state = crate::ssr::auth::state()?;
    state
        .store
        .delete_inline_policy(
            holder,
            &name,
            &policy_name,
            &permit.audit(format!("deleted inline policy {policy_name}")),
        )
        .await
        .map_err(store_error)?;
    crate::ssr::auth::redirect_back(&back, "/");
    Ok(())
}

/// Sets the permissions boundary of a user or role; an empty `policy_arn` removes it.
#[server]
pub async fn set_boundary(
    holder: String,
    name: String,
    policy_arn: String,
    back: String,
) -> Result<(), AppError> {
    use server::*;
    let holder = parse_holder(&holder)?;
    let policy_arn = policy_arn.trim();
    let remove = policy_arn.is_empty();
    if !remove {
        known_policy(policy_arn, "boundary")?;
    }
    if holder == store::Holder::Group {
        return Err(attach_error(store::AttachError::NoBoundary, "boundary"));
    }
    let spellings = if remove {
        actions::DELETE_BOUNDARY
    } else {
        actions::PUT_BOUNDARY
    };
    let permit = permit_on(holder, &name, spellings).await?;
    let state = crate::ssr::auth::state()?;
    let detail = if remove {
        "removed the permissions boundary".to_string()
    } else {
        format!("set the permissions boundary to {policy_arn}")
    };
    state
        .store
        .set_boundary(
            holder,
            &name,
            (!remove).then_some(policy_arn),
            &permit.audit(detail),
        )
        .await
        .map_err(|e| attach_error(e, "boundary"))?;
    crate::ssr::auth::redirect_back(&back, "/");
    Ok(())
}

/// Gives a role to a user or group (`give` set) or takes it back: the role's policies
/// apply to the holder. Changing what a user or group may do is permissions
/// management, so it is authorized as attaching or detaching a policy on the holder.
#[server]
pub async fn grant_role(
    holder: String,
    name: String,
    role: String,
    give: bool,
    back: String,
) -> Result<(), AppError> {
    use server::*;
    let holder = parse_holder(&holder)?;
    if holder == store::Holder::Role {
        return Err(crate::ssr::respond(AppError::field(
            "holder",
            "Roles are given to users and groups.",
        )));
    }
    let role = role.trim().to_string();
    if role.is_empty() {
        return Err(crate::ssr::respond(AppError::field(
            "role",
            "Choose a role.",
        )));
    }
    let spellings = if give {
        actions::ATTACH
    } else {
        actions::DETACH
    };
    let permit = permit_on(holder, &name, spellings).await?;
    let state = crate::ssr::auth::state()?;
    let store = &state.store;
    let detail = if give {
        format!("gave role {role}")
    } else {
        format!("took back role {role}")
    };
    let result = store
        .grant_role(holder, &name, &role, give, &permit.audit(detail))
        .await;
    result.map_err(|e| match e {
        e @ store::StoreError::NotFound { what: "role", .. } => {
            crate::ssr::respond(AppError::field("role", e.to_string()))
        }
        other => store_error(other),
    })?;
    crate::ssr::auth::redirect_back(&back, "/");
    Ok(())
}

/// What the signed-in principal would be refused among `checks` (action, resource
/// path such as `user/*` or `*`), for pages that offer those changes.
#[server]
pub async fn my_refusals(checks: Vec<(String, String)>) -> Result<Refusals, AppError> {
    use crate::ssr::Target;
    let principal = crate::ssr::signed_in().await?;
    let targets: Vec<(&str, Target<'_>)> = checks
        .iter()
        .map(|(action, path)| {
            let target = match path.split_once('/') {
                Some(("user", "*")) => Target::Users,
                Some(("group", "*")) => Target::Groups,
                Some(("role", "*")) => Target::Roles,
                Some(("user", name)) => Target::User(name),
                Some(("group", name)) => Target::Group(name),
                Some(("role", name)) => Target::Role(name),
                Some(("policy", name)) => Target::Policy(name),
                _ => Target::Any,
            };
            (action.as_str(), target)
        })
        .collect();
    crate::ssr::authz::refusals(&principal, &targets).await
}
