//! Groups: list, create, rename, delete, and their members.

use leptos::prelude::*;

use crate::error::AppError;
pub use model::groups::{GroupDetail, GroupRow};

#[server]
pub async fn list_groups() -> Result<Vec<GroupRow>, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?.service.list_groups(&caller).await.map_err(respond)
}

#[server]
pub async fn create_group(name: String, #[server(default)] path: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let group = state()?
        .service
        .create_group_at(&caller, &path, &name)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/groups/{}", group.name));
    Ok(())
}

#[server]
pub async fn group_overview(name: String) -> Result<GroupDetail, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .group_overview(&caller, &name)
        .await
        .map_err(respond)
}

#[server]
pub async fn rename_group(name: String, new_name: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let group = state()?
        .service
        .rename_group(&caller, &name, &new_name)
        .await
        .map_err(respond)?;
    leptos_axum::redirect(&format!("/groups/{}", group.name));
    Ok(())
}

#[server]
pub async fn delete_group(name: String, confirm: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_group(&caller, &name, &confirm)
        .await
        .map_err(respond)?;
    leptos_axum::redirect("/groups");
    Ok(())
}

/// Adds a user to a group; `back` is where to return (the group or the user page).
#[server]
pub async fn add_member(group: String, user: String, back: String) -> Result<(), AppError> {
    use crate::ssr::{caller, redirect_back, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .add_member(&caller, &group, &user)
        .await
        .map_err(respond)?;
    redirect_back(&back, "/groups");
    Ok(())
}

#[server]
pub async fn remove_member(group: String, user: String, back: String) -> Result<(), AppError> {
    use crate::ssr::{caller, redirect_back, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .remove_member(&caller, &group, &user)
        .await
        .map_err(respond)?;
    redirect_back(&back, "/groups");
    Ok(())
}
