//! The policy simulator and "who can do this?".

use leptos::prelude::*;

use crate::error::AppError;
pub use model::simulator::{Allowed, PolicyExcerpt, Simulation, SimulationInput, SimulationRow};

#[server]
pub async fn simulate_policies(input: SimulationInput) -> Result<Simulation, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .simulate(&caller, &input)
        .await
        .map_err(respond)
}

/// Every user and role that would be allowed `action` on `resource` in the given
/// context, with the policies that allow it. Root is always allowed.
#[server]
pub async fn who_can(input: SimulationInput) -> Result<Vec<Allowed>, AppError> {
    use crate::ssr::{caller, respond, state};
    let caller = caller().await?;
    state()?
        .service
        .who_can(&caller, &input)
        .await
        .map_err(respond)
}
