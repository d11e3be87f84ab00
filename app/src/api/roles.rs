//! Roles: create, edit, delete; and switching to one (a role session) and back.

// The create form posts each field as its own argument, so that it works as a plain
// HTML form before the wasm loads; the server function mirrors the form.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleRow {
    pub name: String,
    pub description: String,
    /// Who may assume it, in short.
    pub trusted: String,
    pub max_session_hours: i32,
    /// Users and groups it is given to.
    pub holders: usize,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDetail {
    pub name: String,
    pub arn: String,
    pub description: String,
    pub created: String,
    pub max_session_hours: i32,
    pub trust_policy: String,
    /// One line per trusted entity, with the conditions that apply to it.
    pub trusted: Vec<String>,
    /// `user alice`, `group auditors`.
    pub holders: Vec<String>,
    pub access: crate::api::permissions::Access,
    /// Changes on this page the signed-in principal may not make.
    pub refusals: crate::api::permissions::Refusals,
}

/// The role session the console is acting in, for the top bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveRole {
    pub role: String,
    pub arn: String,
    /// When it ends, as `HH:MM UTC`.
    pub ends: String,
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::*;
    use crate::ssr::respond;
    use policy::{Effect, PolicyDocument, PolicyKind};

    /// Who a trust policy admits, one line per Allow statement's principals and
    /// conditions: `arn:aws:iam::…:user/auditor (StringEquals sts:ExternalId)`.
    pub fn trusted(text: &str) -> Vec<String> {
        let Ok(document) = PolicyDocument::parse(text, PolicyKind::Trust) else {
            return vec!["The trust policy no longer parses.".into()];
        };
        document
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
            .filter_map(|s| {
                let clause = s.principal.as_ref()?;
                let who = if clause.everyone {
                    "Anyone".to_string()
                } else {
                    clause
                        .entries
                        .iter()
                        .map(|(kind, value)| {
                            let value = &value.value;
                            match kind {
                                policy::document::PrincipalType::Aws => value.clone(),
                                other => format!("{} {value}", other.as_str()),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let conditions: Vec<String> = s
                    .conditions
                    .iter()
                    .map(|c| {
                        let key = &c.key.value;
                        let values: Vec<&str> = c.values.iter().map(|v| v.value.as_str()).collect();
                        // The external ID is a shared secret: say that one is needed, not which.
                        if key.eq_ignore_ascii_case("sts:ExternalId") {
                            format!("{} {key}", c.operator_name.value)
                        } else {
                            format!("{} {key} = {}", c.operator_name.value, values.join(" | "))
                        }
                    })
                    .collect();
                Some(if conditions.is_empty() {
                    who
                } else {
                    format!("{who} when {}", conditions.join(" and "))
                })
            })
            .collect()
    }

    /// A trust policy built from the create form: the listed users and other
    /// accounts (a third party's auditors, say), or with neither every user of this
    /// account whose own policies allow `sts:AssumeRole`; with an external ID and MFA
    /// when asked for.
    pub fn trust_policy(
        account: &str,
        users: &[String],
        accounts: &[String],
        external_id: &str,
        require_mfa: bool,
    ) -> String {
        let mut principals: Vec<String> = users
            .iter()
            .map(|u| format!("arn:aws:iam::{account}:user/{u}"))
            .chain(accounts.iter().map(|a| format!("arn:aws:iam::{a}:root")))
            .collect();
        if principals.is_empty() {
            principals.push(format!("arn:aws:iam::{account}:root"));
        }
        // Written by hand to keep AWS's element order (serde_json would sort keys).
        let quote = |text: &str| serde_json::Value::from(text).to_string();
        let aws = principals
            .iter()
            .map(|p| quote(p))
            .collect::<Vec<_>>()
            .join(", ");
        let mut conditions = Vec::new();
        if !external_id.is_empty() {
            conditions.push(format!(
                "\"StringEquals\": {{ \"sts:ExternalId\": {} }}",
                quote(external_id)
            ));
        }
        if require_mfa {
            conditions.push("\"Bool\": { \"aws:MultiFactorAuthPresent\": \"true\" }".into());
        }
        let condition = if conditions.is_empty() {
            String::new()
        } else {
            format!(
                ",\n      \"Condition\": {{\n        {}\n      }}",
                conditions.join(",\n        ")
            )
        };
        format!(
            "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Principal\": {{ \"AWS\": [{aws}] }},\n      \"Action\": \"sts:AssumeRole\"{condition}\n    }}\n  ]\n}}"
        )
    }

    /// Hours of a role's maximum session: AWS allows 1 to 12.
    pub fn max_session(hours: i32) -> Result<i32, AppError> {
        if store::roles::session_hours_allowed(hours) {
            Ok(hours * 3600)
        } else {
            Err(respond(AppError::field(
                "max_session_hours",
                "The maximum session lasts 1 to 12 hours.",
            )))
        }
    }

    pub fn description(text: &str) -> Result<&str, AppError> {
        let text = text.trim();
        if text.chars().count() > 1000 {
            return Err(respond(AppError::field(
                "description",
                "Descriptions have at most 1,000 characters.",
            )));
        }
        Ok(text)
    }

    pub fn store_error(e: store::StoreError, field: &str) -> AppError {
        match e {
            e @ store::StoreError::Duplicate { .. } => {
                respond(AppError::field(field, e.to_string()))
            }
            e @ store::StoreError::NotFound { .. } => respond(AppError::NotFound(e.to_string())),
            other => crate::ssr::auth::internal(other),
        }
    }
}

#[server]
pub async fn list_roles() -> Result<Vec<RoleRow>, AppError> {
    use crate::ssr::auth::{internal, state};
    crate::ssr::authorize("iam:ListRoles", crate::ssr::Target::Roles).await?;
    Ok(state()?
        .store
        .roles()
        .await
        .map_err(internal)?
        .into_iter()
        .map(|r| RoleRow {
            trusted: server::trusted(&r.trust_policy).join("; "),
            name: r.name,
            description: r.description,
            max_session_hours: r.max_session_seconds / 3600,
            holders: r.holders.len(),
            created: crate::api::users::format::date(r.created_at),
        })
        .collect())
}

/// Creates a role. Its trust policy is the pasted document, or one built from the
/// trusted users, external ID and MFA fields.
#[server]
pub async fn create_role(
    name: String,
    description: String,
    trusted_users: String,
    trusted_accounts: String,
    external_id: String,
    require_mfa: Option<String>,
    max_session_hours: i32,
    trust_policy: String,
) -> Result<(), AppError> {
    use crate::ssr::{respond, Target};
    let name = name.trim().to_string();
    if let Err(message) = crate::validate::role_name(&name) {
        return Err(respond(AppError::field("name", message)));
    }
    let description = server::description(&description)?.to_string();
    let max_session = server::max_session(max_session_hours)?;
    let permit = crate::ssr::permit("iam:CreateRole", Target::Role(&name)).await?;
    let state = crate::ssr::auth::state()?;
    let account = permit.principal.account_id.clone();
    let document = if trust_policy.trim().is_empty() {
        let external_id = external_id.trim();
        if !external_id.is_empty() {
            if let Err(message) = crate::validate::external_id(external_id) {
                return Err(respond(AppError::field("external_id", message)));
            }
        }
        let mut users = Vec::new();
        for user in trusted_users
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            match state
                .store
                .user_by_name(user)
                .await
                .map_err(crate::ssr::auth::internal)?
            {
                Some(found) if !found.is_root => users.push(found.name),
                _ => {
                    return Err(respond(AppError::field(
                        "trusted_users",
                        format!("No user named \"{user}\" exists."),
                    )))
                }
            }
        }
        let mut accounts = Vec::new();
        for other in trusted_accounts
            .split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
        {
            if other.len() != 12 || !other.chars().all(|c| c.is_ascii_digit()) {
                return Err(respond(AppError::field(
                    "trusted_accounts",
                    format!("\"{other}\" is not an account ID: account IDs are 12 digits."),
                )));
            }
            accounts.push(other.to_string());
        }
        server::trust_policy(
            &account,
            &users,
            &accounts,
            external_id,
            require_mfa.is_some(),
        )
    } else {
        trust_policy
    };
    crate::api::policies::server::validated_as(
        &document,
        policy::PolicyKind::Trust,
        "trust_policy",
    )?;
    state
        .store
        .create_role(
            &account,
            &name,
            &description,
            &document,
            max_session,
            &permit.audit(""),
        )
        .await
        .map_err(|e| server::store_error(e, "name"))?;
    leptos_axum::redirect(&format!("/roles/{name}"));
    Ok(())
}

#[server]
pub async fn role_overview(name: String) -> Result<RoleDetail, AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::respond;
    use crate::ssr::Target;
    let principal = crate::ssr::authorize("iam:GetRole", Target::Role(&name)).await?;
    let refusals = crate::ssr::authz::refusals(
        &principal,
        &[
            ("iam:UpdateAssumeRolePolicy", Target::Role(&name)),
            ("iam:UpdateRole", Target::Role(&name)),
            ("iam:DeleteRole", Target::Role(&name)),
        ],
    )
    .await?;
    let state = state()?;
    let Some(role) = state.store.role(&name).await.map_err(internal)? else {
        return Err(respond(AppError::NotFound(format!(
            "No role named \"{name}\" exists."
        ))));
    };
    let permissions = state
        .store
        .role_permissions(&role.id)
        .await
        .map_err(internal)?;
    let access = crate::api::permissions::server::access(
        &state.store,
        &principal,
        store::Holder::Role,
        &role.name,
        permissions,
    )
    .await?;
    Ok(RoleDetail {
        trusted: server::trusted(&role.trust_policy),
        name: role.name,
        arn: role.arn,
        description: role.description,
        created: crate::api::users::format::date(role.created_at),
        max_session_hours: role.max_session_seconds / 3600,
        trust_policy: role.trust_policy,
        holders: role.holders,
        access,
        refusals,
    })
}

/// Replaces who may assume the role.
#[server]
pub async fn update_trust_policy(name: String, trust_policy: String) -> Result<(), AppError> {
    let permit = crate::ssr::permit(
        "iam:UpdateAssumeRolePolicy",
        crate::ssr::Target::Role(&name),
    )
    .await?;
    crate::api::policies::server::validated_as(
        &trust_policy,
        policy::PolicyKind::Trust,
        "trust_policy",
    )?;
    crate::ssr::auth::state()?
        .store
        .update_trust_policy(&name, &trust_policy, &permit.audit("trust policy replaced"))
        .await
        .map_err(|e| server::store_error(e, "trust_policy"))?;
    leptos_axum::redirect(&format!("/roles/{name}"));
    Ok(())
}

/// Changes the description and the maximum session.
#[server]
pub async fn update_role(
    name: String,
    description: String,
    max_session_hours: i32,
) -> Result<(), AppError> {
    let description = server::description(&description)?.to_string();
    let max_session = server::max_session(max_session_hours)?;
    let permit = crate::ssr::permit("iam:UpdateRole", crate::ssr::Target::Role(&name)).await?;
    crate::ssr::auth::state()?
        .store
        .update_role(
            &name,
            &description,
            max_session,
            &permit.audit(format!("maximum session {max_session_hours} h")),
        )
        .await
        .map_err(|e| server::store_error(e, "description"))?;
    leptos_axum::redirect(&format!("/roles/{name}"));
    Ok(())
}

#[server]
pub async fn delete_role(name: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::respond;
    let permit = crate::ssr::permit("iam:DeleteRole", crate::ssr::Target::Role(&name)).await?;
    if confirm.trim() != name {
        return Err(respond(AppError::field(
            "confirm",
            format!("Type {name} to confirm the deletion."),
        )));
    }
    crate::ssr::auth::state()?
        .store
        .delete_role(
            &name,
            &permit.audit("role, its policies and grants deleted"),
        )
        .await
        .map_err(|e| server::store_error(e, "confirm"))?;
    leptos_axum::redirect("/roles");
    Ok(())
}

/// Starts a session of `role` in this console, if its trust policy admits the
/// signed-in user (with the external ID given, and the session's MFA), for
/// `duration_hours` within the role's maximum. Decided by the engine as
/// `sts:AssumeRole`, with the trust policy as the role's resource policy.
#[server]
pub async fn switch_role(
    role: String,
    external_id: String,
    duration_hours: i32,
) -> Result<(), AppError> {
    crate::ssr::roles::switch(role.trim(), external_id.trim(), duration_hours).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the role session: the console acts as the user again.
#[server]
pub async fn switch_back() -> Result<(), AppError> {
    crate::ssr::roles::back().await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(all(test, feature = "ssr"))]
#[allow(clippy::panic)]
mod tests {
    use policy::{
        Context, Decision, Evaluator, PolicyDocument, PolicyKind, PolicySet, Principal,
        PrincipalKind, Request, Resource,
    };

    fn assume(trust: &str, user: &str, external_id: Option<&str>) -> Decision {
        let document = PolicyDocument::parse(trust, PolicyKind::Trust).unwrap_or_else(|e| {
            panic!("{e}\n{trust}");
        });
        let mut trust_set = PolicySet::new();
        trust_set.add("trust", &document);
        let identity = PolicySet::new();
        let mut context = Context::new();
        if let Some(id) = external_id {
            context = context.with("sts:ExternalId", id);
        }
        let request = Request::new(
            Principal {
                kind: PrincipalKind::User,
                arn: format!("arn:aws:iam::111122223333:user/{user}"),
                account: "111122223333".into(),
                id: None,
                tags: Default::default(),
            },
            "sts:AssumeRole",
            Resource {
                arn: "arn:aws:iam::111122223333:role/Auditor".into(),
                account: None,
                tags: Default::default(),
            },
            context,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        Evaluator::new(&identity)
            .with_resource_policy(&trust_set)
            .decide(&request)
    }

    #[test]
    fn built_trust_policies_admit_the_named_users_with_the_external_id() {
        let trust = super::server::trust_policy(
            "111122223333",
            &["audrey".into()],
            &["444455556666".into()],
            "a\"b-1",
            false,
        );
        assert!(
            trust.find("\"Effect\"") < trust.find("\"Principal\""),
            "{trust}"
        );
        assert_eq!(assume(&trust, "audrey", Some("a\"b-1")), Decision::Allow);
        assert_eq!(
            assume(&trust, "audrey", Some("other")),
            Decision::ImplicitDeny
        );
        assert_eq!(assume(&trust, "audrey", None), Decision::ImplicitDeny);
        assert_eq!(
            assume(&trust, "paul", Some("a\"b-1")),
            Decision::ImplicitDeny
        );
        let mfa = super::server::trust_policy("111122223333", &["audrey".into()], &[], "", true);
        assert_eq!(assume(&mfa, "audrey", None), Decision::ImplicitDeny);
    }
}
