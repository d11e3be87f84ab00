//! OpenID Connect and SAML providers: the identity providers page's server functions.

use leptos::prelude::*;

use crate::error::AppError;
pub use model::providers::ProvidersView;

#[server]
pub async fn identity_providers() -> Result<ProvidersView, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .providers_overview(&caller)
        .await
        .map_err(respond)
}

#[server]
pub async fn create_identity_provider(
    url: String,
    audiences: String,
    thumbprints: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .create_oidc_provider(
            &caller,
            &url,
            &model::providers::split_list(&audiences),
            &model::providers::split_list(&thumbprints),
            &[],
        )
        .await
        .map(|_| ())
        .map_err(respond)
}

#[server]
pub async fn delete_identity_provider(arn: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_oidc_provider(&caller, &arn)
        .await
        .map_err(respond)
}

#[server]
pub async fn add_audience(arn: String, audience: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .add_oidc_client_id(&caller, &arn, audience.trim())
        .await
        .map_err(respond)
}

#[server]
pub async fn remove_audience(arn: String, audience: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .remove_oidc_client_id(&caller, &arn, &audience)
        .await
        .map_err(respond)
}

#[server]
pub async fn create_saml_provider(name: String, metadata: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .create_saml_provider(&caller, &name, &metadata, &[])
        .await
        .map(|_| ())
        .map_err(respond)
}

#[server]
pub async fn update_saml_provider(arn: String, metadata: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .update_saml_provider(&caller, &arn, &metadata)
        .await
        .map_err(respond)
}

#[server]
pub async fn delete_saml_provider(arn: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .delete_saml_provider(&caller, &arn)
        .await
        .map_err(respond)
}
