//! What a user, group or role is given: managed policies, inline policies, roles
//! given to users and groups, and the permissions boundary of users and roles.

use leptos::prelude::*;

use crate::error::AppError;
pub use model::access::{actions, policy_name};
pub use model::{Access, AttachedPolicy, Holder, Refusals};

/// The holder a form names (`user`, `group`, `role`).
#[cfg(feature = "ssr")]
fn holder(text: &str) -> Result<Holder, AppError> {
    Holder::parse(text).ok_or_else(|| {
        crate::ssr::respond(service::ServiceError::invalid(
            "holder",
            "Policies belong to users, groups or roles.",
        ))
    })
}

/// Attaches a managed policy to a user, group or role, as
/// iam:Attach{User,Group,Role}Policy.
#[server]
pub async fn attach_policy(
    holder: String,
    name: String,
    policy_arn: String,
    back: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, redirect_back, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .attach_policy(&caller, self::holder(&holder)?, &name, &policy_arn)
        .await
        .map_err(respond)?;
    redirect_back(&back, "/policies");
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
    use crate::ssr::{caller, redirect_back, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .detach_policy(&caller, self::holder(&holder)?, &name, &policy_arn)
        .await
        .map_err(respond)?;
    redirect_back(&back, "/policies");
    Ok(())
}

/// Adds or replaces an inline policy.
#[server]
pub async fn put_inline_policy(
    holder: String,
    name: String,
    policy_name: String,
    document: String,
    back: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, redirect_back, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .put_inline_policy(
            &caller,
            self::holder(&holder)?,
            &name,
            &policy_name,
            &document,
        )
        .await
        .map_err(respond)?;
    redirect_back(&back, "/");
    Ok(())
}

/// Deletes an inline policy.
#[server]
pub async fn delete_inline_policy(
    holder: String,
    name: String,
    policy_name: String,
    back: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, redirect_back, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_inline_policy(&caller, self::holder(&holder)?, &name, &policy_name)
        .await
        .map_err(respond)?;
    redirect_back(&back, "/");
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
    use crate::ssr::{caller, redirect_back, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .set_boundary(&caller, self::holder(&holder)?, &name, Some(&policy_arn))
        .await
        .map_err(respond)?;
    redirect_back(&back, "/");
    Ok(())
}

/// Gives a role to a user or group (`give` set) or takes it back.
#[server]
pub async fn grant_role(
    holder: String,
    name: String,
    role: String,
    give: bool,
    back: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, redirect_back, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .grant_role(&caller, self::holder(&holder)?, &name, &role, give)
        .await
        .map_err(respond)?;
    redirect_back(&back, "/");
    Ok(())
}

/// What the signed-in principal would be refused among `checks` (action, resource
/// path such as `user/*` or `*`), for pages that offer those changes.
#[server]
pub async fn my_refusals(checks: Vec<(String, String)>) -> Result<Refusals, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .my_refusals(&caller, &checks)
        .await
        .map_err(respond)
}
