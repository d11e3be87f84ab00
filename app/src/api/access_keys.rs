//! Access keys in the console: list, create (the secret shown once), make active or
//! inactive, delete. `user` empty means the signed-in user's own keys.

use leptos::prelude::*;

use crate::error::AppError;
pub use model::credentials::{AccessKeyRow, AccessKeysView, NewAccessKey};

#[cfg(feature = "ssr")]
fn owner(user: &str) -> Option<&str> {
    Some(user.trim()).filter(|u| !u.is_empty())
}

/// `Active` or `Inactive`, as the status forms send it.
#[cfg(feature = "ssr")]
fn active(status: &str) -> Result<bool, AppError> {
    match status {
        "Active" => Ok(true),
        "Inactive" => Ok(false),
        _ => Err(crate::ssr::refuse(AppError::field(
            "status",
            "Choose Active or Inactive.",
        ))),
    }
}

#[server]
pub async fn access_keys(user: String) -> Result<AccessKeysView, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .access_keys_view(&caller, owner(&user))
        .await
        .map_err(respond)
}

/// Creates a key and answers its secret, which is never shown again.
#[server]
pub async fn create_access_key(user: String) -> Result<NewAccessKey, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let key = state()?
        .service
        .create_access_key(&caller, owner(&user))
        .await
        .map_err(respond)?;
    Ok(NewAccessKey {
        user_name: key.user_name,
        id: key.id,
        secret: key.secret,
    })
}

/// `status` is `Active` or `Inactive`.
#[server]
pub async fn set_access_key_status(
    user: String,
    id: String,
    status: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let active = active(&status)?;
    state()?
        .service
        .update_access_key(&caller, owner(&user), &id, active)
        .await
        .map_err(respond)
}

#[server]
pub async fn delete_access_key(user: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_access_key(&caller, owner(&user), &id)
        .await
        .map_err(respond)
}

/// SSH public keys: `user` empty means the signed-in user's own.
#[server]
pub async fn ssh_keys(user: String) -> Result<model::credentials::SshKeysView, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .ssh_keys_view(&caller, owner(&user))
        .await
        .map_err(respond)
}

#[server]
pub async fn upload_ssh_key(user: String, body: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .upload_ssh_key(&caller, owner(&user), &body)
        .await
        .map(|_| ())
        .map_err(respond)
}

/// `status` is `Active` or `Inactive`.
#[server]
pub async fn set_ssh_key_status(user: String, id: String, status: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let active = active(&status)?;
    state()?
        .service
        .set_ssh_key_active(&caller, owner(&user), &id, active)
        .await
        .map_err(respond)
}

#[server]
pub async fn delete_ssh_key(user: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_ssh_key(&caller, owner(&user), &id)
        .await
        .map_err(respond)
}

/// Service-specific credentials: `user` empty means the signed-in user's own.
#[server]
pub async fn service_credentials(
    user: String,
) -> Result<model::credentials::ServiceCredentialsView, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .service_credentials_view(&caller, owner(&user))
        .await
        .map_err(respond)
}

/// Creates a credential and answers its password, which is never shown again.
#[server]
pub async fn create_service_credential(
    user: String,
    service_name: String,
) -> Result<model::credentials::NewServiceCredential, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let (_, credential, password) = state()?
        .service
        .create_service_credential(&caller, owner(&user), &service_name)
        .await
        .map_err(respond)?;
    Ok(model::credentials::NewServiceCredential {
        service_name: credential.service_name,
        service_user_name: credential.service_user_name,
        password,
    })
}

/// A new password for a credential, answered once.
#[server]
pub async fn reset_service_credential(
    user: String,
    id: String,
) -> Result<model::credentials::NewServiceCredential, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    let (_, credential, password) = state()?
        .service
        .change_service_credential(&caller, owner(&user), &id, None)
        .await
        .map_err(respond)?;
    Ok(model::credentials::NewServiceCredential {
        service_name: credential.service_name,
        service_user_name: credential.service_user_name,
        password: password.unwrap_or_default(),
    })
}

#[server]
pub async fn delete_service_credential(user: String, id: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_service_credential(&caller, owner(&user), &id)
        .await
        .map_err(respond)
}
