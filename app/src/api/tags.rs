//! Tags in the console: one panel for users, roles and customer policies, over the
//! same operations as the API's `Tag…`/`Untag…`/`List…Tags`.

use leptos::prelude::*;

use crate::error::AppError;
pub use model::tags::TagsView;

/// `kind` as the page names it: `user`, `role` or `policy`.
#[cfg(feature = "ssr")]
fn tagged(kind: &str) -> Result<store::Tagged, AppError> {
    match kind {
        "user" => Ok(store::Tagged::User),
        "role" => Ok(store::Tagged::Role),
        "policy" => Ok(store::Tagged::Policy),
        _ => Err(crate::ssr::refuse(AppError::field(
            "kind",
            "Tags belong to a user, a role or a policy.",
        ))),
    }
}

#[server]
pub async fn entity_tags(kind: String, name: String) -> Result<TagsView, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .tags_view(&caller, tagged(&kind)?, &name)
        .await
        .map_err(respond)
}

/// Adds a tag, or replaces the value of a key the entity has (in any case).
#[server]
pub async fn add_tag(
    kind: String,
    name: String,
    key: String,
    value: String,
) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .tag(
            &caller,
            tagged(&kind)?,
            &name,
            &[(key.trim().to_string(), value.trim().to_string())],
        )
        .await
        .map(|_| ())
        .map_err(respond)
}

#[server]
pub async fn remove_tag(kind: String, name: String, key: String) -> Result<(), AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .untag(&caller, tagged(&kind)?, &name, &[key])
        .await
        .map(|_| ())
        .map_err(respond)
}
