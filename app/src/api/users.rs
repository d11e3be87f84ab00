//! Users: list, create, inspect, reset password, unlock, deactivate MFA, delete.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// One row of the users table, formatted for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub name: String,
    pub console_access: bool,
    pub mfa_enabled: bool,
    pub groups: i64,
    pub last_sign_in: String,
    pub password_age: String,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPage {
    pub rows: Vec<UserRow>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivityRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub outcome: String,
    pub source_ip: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserDetail {
    pub name: String,
    pub arn: String,
    pub id: String,
    pub created: String,
    pub console_access: bool,
    pub password_reset_required: bool,
    pub password_age: String,
    pub last_sign_in: String,
    pub locked: bool,
    pub mfa_enabled: bool,
    pub groups: Vec<String>,
    pub all_groups: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub activity: Vec<ActivityRow>,
    /// A generated password, shown once to the administrator who set it.
    pub generated_password: Option<String>,
    /// What applies to the user (directly, through groups and roles), its roles
    /// and its permissions boundary.
    pub access: crate::api::permissions::Access,
    /// Changes on this page the signed-in principal may not make.
    pub refusals: crate::api::permissions::Refusals,
}

pub const PER_PAGE: i64 = 25;

#[cfg(feature = "ssr")]
pub(crate) mod format {
    use time::OffsetDateTime;

    pub fn date(t: OffsetDateTime) -> String {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        )
    }

    pub fn ago(t: Option<OffsetDateTime>, now: OffsetDateTime, never: &str) -> String {
        match t {
            None => never.into(),
            Some(t) => {
                let days = (now - t).whole_days();
                match days {
                    0 => "Today".into(),
                    1 => "1 day".into(),
                    d => format!("{d} days"),
                }
            }
        }
    }
}

#[cfg(feature = "ssr")]
const FLASH_PASSWORD: &str = "flash_generated_password";

/// A random password that meets the policy (at least 20 characters).
#[cfg(feature = "ssr")]
fn generate_password(policy: &identity::PasswordPolicy) -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@#$%^&*()-_=+";
    let length = usize::from(policy.minimum_password_length).max(20);
    let mut rng = rand::rngs::OsRng;
    loop {
        let candidate: String = (0..length)
            .map(|_| {
                char::from(
                    CHARS
                        .get(rng.gen_range(0..CHARS.len()))
                        .copied()
                        .unwrap_or(b'x'),
                )
            })
            .collect();
        if policy.unmet(&candidate).is_empty() {
            return candidate;
        }
    }
}

/// The IAM user `name`, or a 404 that names it.
#[cfg(feature = "ssr")]
async fn existing_user(state: &crate::ssr::AppState, name: &str) -> Result<store::User, AppError> {
    match state
        .store
        .user_by_name(name)
        .await
        .map_err(crate::ssr::auth::internal)?
    {
        Some(user) => Ok(user),
        None => Err(crate::ssr::respond(AppError::NotFound(format!(
            "No user named \"{name}\" exists."
        )))),
    }
}

#[server]
pub async fn list_users(
    search: String,
    sort: String,
    descending: bool,
    page: i64,
) -> Result<UserPage, AppError> {
    use crate::ssr::auth::{internal, state};
    crate::ssr::authorize("iam:ListUsers", crate::ssr::Target::Users).await?;
    let state = state()?;
    let sort = match sort.as_str() {
        "created" => store::UserSort::Created,
        "last_sign_in" => store::UserSort::LastSignIn,
        _ => store::UserSort::Name,
    };
    let query = store::UserQuery {
        search: search.chars().take(64).collect(),
        sort,
        descending,
        page: page.max(0),
        per_page: PER_PAGE,
    };
    let result = state.store.list_users(&query).await.map_err(internal)?;
    let now = state.clock.now();
    Ok(UserPage {
        rows: result
            .items
            .into_iter()
            .map(|u| UserRow {
                name: u.name,
                console_access: u.has_password,
                mfa_enabled: u.mfa_enabled,
                groups: u.groups,
                last_sign_in: u
                    .last_sign_in_at
                    .map_or_else(|| "Never".into(), format::date),
                password_age: if u.has_password {
                    format::ago(u.password_changed_at, now, "None")
                } else {
                    "None".into()
                },
                created: format::date(u.created_at),
            })
            .collect(),
        total: result.total,
        page: query.page,
        per_page: PER_PAGE,
    })
}

/// Creates a user. `password_mode`: `none`, `custom` or `generated`; a generated
/// password is shown once on the user's page.
#[server]
pub async fn create_user(
    name: String,
    password_mode: String,
    password: String,
    require_reset: Option<String>,
    tags: String,
) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, session, state};
    use crate::ssr::{client_ip, respond};
    let principal =
        crate::ssr::authorize("iam:CreateUser", crate::ssr::Target::User(name.trim())).await?;
    let state = state()?;
    let name = name.trim().to_string();
    if let Err(message) = crate::validate::user_name(&name) {
        return Err(respond(AppError::field("name", message)));
    }
    let tags = crate::validate::tags(&tags).map_err(|m| respond(AppError::field("tags", m)))?;
    let policy = state
        .store
        .settings()
        .await
        .map_err(internal)?
        .password_policy;
    let (hash, generated) = match password_mode.as_str() {
        "none" => (None, None),
        "custom" => {
            crate::api::auth::check_new_password(&policy, &password, &password, None).await?;
            (Some(crate::api::auth::hash(&password).await?), None)
        }
        "generated" => {
            let password = generate_password(&policy);
            (
                Some(crate::api::auth::hash(&password).await?),
                Some(password),
            )
        }
        _ => {
            return Err(respond(AppError::field(
                "password_mode",
                "Choose how to set the console password.",
            )))
        }
    };
    let ip = client_ip().await;
    let account = principal.account_id.clone();
    let arn = format!("arn:aws:iam::{account}:user/{name}");
    let new_user = store::NewUser {
        name: name.clone(),
        password_reset_required: hash.is_some() && require_reset.is_some(),
        password_hash: hash,
        tags,
    };
    let audit = principal.audit(
        "iam:CreateUser",
        &arn,
        &ip,
        if new_user.password_hash.is_some() {
            "with console password"
        } else {
            "without console password"
        },
    );
    match state.store.create_user(&account, &new_user, &audit).await {
        Ok(_) => {}
        Err(e @ store::StoreError::Duplicate { .. }) => {
            return Err(respond(AppError::field("name", e.to_string())))
        }
        Err(e) => return Err(internal(e)),
    }
    if let Some(password) = generated {
        session()
            .await?
            .insert(FLASH_PASSWORD, password)
            .await
            .map_err(internal)?;
    }
    leptos_axum::redirect(&format!("/users/{name}"));
    Ok(())
}

#[server]
pub async fn user_overview(name: String) -> Result<UserDetail, AppError> {
    use crate::ssr::auth::{internal, session, state};
    use crate::ssr::Target;
    let principal = crate::ssr::authorize("iam:GetUser", Target::User(&name)).await?;
    let state = state()?;
    let user = existing_user(&state, &name).await?;
    let refusals = crate::ssr::authz::refusals(
        &principal,
        &[
            ("iam:DeleteUser", Target::User(&name)),
            ("iam:UpdateLoginProfile", Target::User(&name)),
            ("iam:DeactivateMFADevice", Target::User(&name)),
            ("iam:AddUserToGroup", Target::Groups),
            ("iam:RemoveUserFromGroup", Target::Groups),
        ],
    )
    .await?;
    let now = state.clock.now();
    let groups = state
        .store
        .groups_of_user(&user.id)
        .await
        .map_err(internal)?;
    let all_groups = state
        .store
        .list_groups()
        .await
        .map_err(internal)?
        .into_iter()
        .map(|g| g.name)
        .collect();
    let activity = state
        .store
        .audit_log(&store::AuditFilter {
            target: user.name.clone(),
            limit: 20,
            ..Default::default()
        })
        .await
        .map_err(internal)?
        .into_iter()
        .filter(|r| r.target == user.arn || r.target == user.name)
        .map(|r| ActivityRow {
            at: format::date(r.at),
            actor: r.actor,
            action: r.action,
            outcome: r.outcome.as_str().into(),
            source_ip: r.source_ip,
            detail: r.detail,
        })
        .collect();
    let generated_password = session()
        .await?
        .remove::<String>(FLASH_PASSWORD)
        .await
        .map_err(internal)?;
    let permissions = state
        .store
        .user_permissions(&user.id)
        .await
        .map_err(internal)?;
    let access = crate::api::permissions::server::access(
        &state.store,
        &principal,
        store::Holder::User,
        &user.name,
        permissions,
    )
    .await?;
    Ok(UserDetail {
        name: user.name.clone(),
        arn: user.arn.clone(),
        id: user.id.clone(),
        created: format::date(user.created_at),
        console_access: user.password_hash.is_some(),
        password_reset_required: user.password_reset_required,
        password_age: format::ago(user.password_changed_at, now, "No password"),
        last_sign_in: user
            .last_sign_in_at
            .map_or_else(|| "Never".into(), format::date),
        locked: user.locked_until.is_some_and(|t| t > now),
        mfa_enabled: user.mfa_enabled,
        groups,
        all_groups,
        tags: user.tags.into_iter().collect(),
        activity,
        generated_password,
        access,
        refusals,
    })
}

/// Deletes a user after the administrator typed its name to confirm.
#[server]
pub async fn delete_user(name: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::respond;
    let permit = crate::ssr::permit("iam:DeleteUser", crate::ssr::Target::User(&name)).await?;
    if confirm.trim() != name {
        return Err(respond(AppError::field(
            "confirm",
            format!("Type {name} to confirm the deletion."),
        )));
    }
    let state = state()?;
    let audit = permit.audit("user, memberships and credentials deleted");
    match state.store.delete_user(&name, &audit).await {
        Ok(()) => {}
        Err(e @ store::StoreError::NotFound { .. }) => {
            return Err(respond(AppError::NotFound(e.to_string())))
        }
        Err(e) => return Err(internal(e)),
    }
    leptos_axum::redirect("/users");
    Ok(())
}

/// Sets (or generates) a user's console password.
#[server]
pub async fn reset_user_password(
    name: String,
    password_mode: String,
    password: String,
    require_reset: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, session, state};
    use crate::ssr::client_ip;
    let principal =
        crate::ssr::authorize("iam:UpdateLoginProfile", crate::ssr::Target::User(&name)).await?;
    let state = state()?;
    let user = existing_user(&state, &name).await?;
    let policy = state
        .store
        .settings()
        .await
        .map_err(internal)?
        .password_policy;
    let (password, generated) = match password_mode.as_str() {
        "custom" => {
            crate::api::auth::check_new_password(&policy, &password, &password, Some(&user.id))
                .await?;
            (password, false)
        }
        _ => (generate_password(&policy), true),
    };
    let hash = crate::api::auth::hash(&password).await?;
    let ip = client_ip().await;
    let audit = principal.audit(
        "iam:UpdateLoginProfile",
        &user.arn,
        &ip,
        "console password reset by administrator",
    );
    state
        .store
        .set_password(&user.id, &hash, require_reset.is_some(), &audit)
        .await
        .map_err(internal)?;
    if generated {
        session()
            .await?
            .insert(FLASH_PASSWORD, password)
            .await
            .map_err(internal)?;
    }
    leptos_axum::redirect(&format!("/users/{name}"));
    Ok(())
}

#[server]
pub async fn unlock_user(name: String) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::client_ip;
    let principal =
        crate::ssr::authorize("iam:UpdateLoginProfile", crate::ssr::Target::User(&name)).await?;
    let state = state()?;
    let user = existing_user(&state, &name).await?;
    let ip = client_ip().await;
    state
        .store
        .unlock_user(
            &user.id,
            &principal.audit("iam:UpdateLoginProfile", &user.arn, &ip, "unlocked"),
        )
        .await
        .map_err(internal)?;
    leptos_axum::redirect(&format!("/users/{name}"));
    Ok(())
}

/// An administrator removes a user's MFA device (lost phone).
#[server]
pub async fn deactivate_user_mfa(name: String) -> Result<(), AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::client_ip;
    let principal =
        crate::ssr::authorize("iam:DeactivateMFADevice", crate::ssr::Target::User(&name)).await?;
    let state = state()?;
    let user = existing_user(&state, &name).await?;
    let ip = client_ip().await;
    state
        .store
        .disable_mfa(
            &user.id,
            &principal.audit(
                "iam:DeactivateMFADevice",
                &user.arn,
                &ip,
                "deactivated by administrator",
            ),
        )
        .await
        .map_err(internal)?;
    leptos_axum::redirect(&format!("/users/{name}"));
    Ok(())
}
