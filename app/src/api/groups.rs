//! Groups: list, create, rename, delete, and their members.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub name: String,
    pub members: i64,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub name: String,
    pub arn: String,
    pub created: String,
    pub members: Vec<String>,
    /// The group's policies and roles; every member has them.
    pub access: crate::api::permissions::Access,
    /// Changes on this page the signed-in principal may not make.
    pub refusals: crate::api::permissions::Refusals,
}

#[cfg(feature = "ssr")]
fn store_error(e: store::StoreError, field: &str) -> AppError {
    use crate::ssr::respond;
    match e {
        store::StoreError::Duplicate { .. } => respond(AppError::field(field, e.to_string())),
        store::StoreError::NotFound { .. } => respond(AppError::NotFound(e.to_string())),
        other => crate::ssr::auth::internal(other),
    }
}

#[server]
pub async fn list_groups() -> Result<Vec<GroupRow>, AppError> {
    use crate::ssr::auth::{internal, state};
    crate::ssr::authorize("iam:ListGroups", crate::ssr::Target::Groups).await?;
    let state = state()?;
    Ok(state
        .store
        .list_groups()
        .await
        .map_err(internal)?
        .into_iter()
        .map(|g| GroupRow {
            name: g.name,
            members: g.members,
            created: crate::api::users::format::date(g.created_at),
        })
        .collect())
}

#[server]
pub async fn create_group(name: String) -> Result<(), AppError> {
    use crate::ssr::auth::state;
    use crate::ssr::respond;
    let permit =
        crate::ssr::permit("iam:CreateGroup", crate::ssr::Target::Group(name.trim())).await?;
    let name = name.trim().to_string();
    if let Err(message) = crate::validate::group_name(&name) {
        return Err(respond(AppError::field("name", message)));
    }
    let state = state()?;
    state
        .store
        .create_group(&permit.principal.account_id, &name, &permit.audit(""))
        .await
        .map_err(|e| store_error(e, "name"))?;
    leptos_axum::redirect(&format!("/groups/{name}"));
    Ok(())
}

#[server]
pub async fn group_overview(name: String) -> Result<GroupDetail, AppError> {
    use crate::ssr::auth::{internal, state};
    use crate::ssr::respond;
    use crate::ssr::Target;
    let principal = crate::ssr::authorize("iam:GetGroup", Target::Group(&name)).await?;
    let refusals = crate::ssr::authz::refusals(
        &principal,
        &[
            ("iam:AddUserToGroup", Target::Group(&name)),
            ("iam:RemoveUserFromGroup", Target::Group(&name)),
            ("iam:UpdateGroup", Target::Group(&name)),
            ("iam:DeleteGroup", Target::Group(&name)),
        ],
    )
    .await?;
    let state = state()?;
    let Some(group) = state.store.group(&name).await.map_err(internal)? else {
        return Err(respond(AppError::NotFound(format!(
            "No group named \"{name}\" exists."
        ))));
    };
    let permissions = state
        .store
        .own_permissions(store::Holder::Group, &group.name)
        .await
        .map_err(internal)?;
    let access = crate::api::permissions::server::access(
        &state.store,
        &principal,
        store::Holder::Group,
        &group.name,
        permissions,
    )
    .await?;
    Ok(GroupDetail {
        name: group.name,
        arn: group.arn,
        created: crate::api::users::format::date(group.created_at),
        members: group.members,
        access,
        refusals,
    })
}

#[server]
pub async fn rename_group(name: String, new_name: String) -> Result<(), AppError> {
    use crate::ssr::auth::state;
    use crate::ssr::respond;
    let permit = crate::ssr::permit("iam:UpdateGroup", crate::ssr::Target::Group(&name)).await?;
    let new_name = new_name.trim().to_string();
    if let Err(message) = crate::validate::group_name(&new_name) {
        return Err(respond(AppError::field("new_name", message)));
    }
    let state = state()?;
    state
        .store
        .rename_group(
            &permit.principal.account_id,
            &name,
            &new_name,
            &permit.audit(format!("renamed to {new_name}")),
        )
        .await
        .map_err(|e| store_error(e, "new_name"))?;
    leptos_axum::redirect(&format!("/groups/{new_name}"));
    Ok(())
}

#[server]
pub async fn delete_group(name: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::auth::state;
    use crate::ssr::respond;
    let permit = crate::ssr::permit("iam:DeleteGroup", crate::ssr::Target::Group(&name)).await?;
    if confirm.trim() != name {
        return Err(respond(AppError::field(
            "confirm",
            format!("Type {name} to confirm the deletion."),
        )));
    }
    let state = state()?;
    state
        .store
        .delete_group(&name, &permit.audit("group and memberships deleted"))
        .await
        .map_err(|e| store_error(e, "confirm"))?;
    leptos_axum::redirect("/groups");
    Ok(())
}

/// Adds a user to a group; `back` is where to return (the group or the user page).
#[server]
pub async fn add_member(group: String, user: String, back: String) -> Result<(), AppError> {
    use crate::ssr::auth::state;
    use crate::ssr::respond;
    let permit =
        crate::ssr::permit("iam:AddUserToGroup", crate::ssr::Target::Group(&group)).await?;
    let user = user.trim().to_string();
    if user.is_empty() {
        return Err(respond(AppError::field(
            "user",
            "Enter the name of the user to add.",
        )));
    }
    if group.trim().is_empty() {
        return Err(respond(AppError::field("group", "Choose a group.")));
    }
    let state = state()?;
    state
        .store
        .add_member(&group, &user, &permit.audit(format!("added {user}")))
        .await
        .map_err(|e| match e {
            store::StoreError::NotFound { what: "user", .. } => {
                respond(AppError::field("user", e.to_string()))
            }
            store::StoreError::NotFound { .. } => respond(AppError::field("group", e.to_string())),
            other => store_error(other, "user"),
        })?;
    crate::ssr::auth::redirect_back(&back, "/groups");
    Ok(())
}

#[server]
pub async fn remove_member(group: String, user: String, back: String) -> Result<(), AppError> {
    use crate::ssr::auth::state;
    let permit =
        crate::ssr::permit("iam:RemoveUserFromGroup", crate::ssr::Target::Group(&group)).await?;
    let state = state()?;
    state
        .store
        .remove_member(&group, &user, &permit.audit(format!("removed {user}")))
        .await
        .map_err(|e| store_error(e, "user"))?;
    crate::ssr::auth::redirect_back(&back, "/groups");
    Ok(())
}
