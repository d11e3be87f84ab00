//! Role sessions in the console: "Switch role" asks the engine whether the role's
//! trust policy (and, when it trusts the account, the user's own policies) admit the
//! signed-in user, then keeps the role session in the browser session until it ends
//! or the user goes back.

use policy::{ContextValue, Decision, Effect, Layer, PolicyDocument, PolicyKind, PolicySet};
use store::Outcome;

use super::auth::{internal, session, signed_in, state, RoleSession, ROLE_KEY};
use super::authz::request;
use super::{client_ip, respond};
use crate::error::AppError;

/// One answer for a missing role and a refusal, so switching cannot be used to learn
/// which roles exist.
fn refused(role: &str) -> AppError {
    respond(AppError::Forbidden(format!(
        "You cannot switch to role {role}: it does not exist, or its trust policy does not admit you (check the external ID)."
    )))
}

pub async fn switch(role_name: &str, external_id: &str, hours: i32) -> Result<(), AppError> {
    let principal = signed_in().await?;
    if principal.user.is_root {
        return Err(respond(AppError::field(
            "role",
            "The root user cannot switch roles. Sign in as an IAM user to use roles.",
        )));
    }
    if principal.role.is_some() {
        return Err(respond(AppError::field(
            "role",
            "You are already in a role session. Go back to your own identity first.",
        )));
    }
    if role_name.is_empty() {
        return Err(respond(AppError::field("role", "Enter the role's name.")));
    }
    if !external_id.is_empty() {
        if let Err(message) = crate::validate::external_id(external_id) {
            return Err(respond(AppError::field("external_id", message)));
        }
    }
    if !store::roles::session_hours_allowed(hours) {
        return Err(respond(AppError::field(
            "duration_hours",
            "A role session lasts 1 to 12 hours.",
        )));
    }
    let state = state()?;
    let ip = client_ip().await;
    let resource = format!("arn:aws:iam::{}:role/{role_name}", principal.account_id);
    let deny = |detail: String| {
        let mut entry = principal.audit("sts:AssumeRole", &resource, &ip, detail);
        entry.outcome = Outcome::Denied;
        entry
    };
    let Some(role) = state.store.role(role_name).await.map_err(internal)? else {
        state
            .store
            .audit(&deny("refused: no such role".into()))
            .await
            .map_err(internal)?;
        return Err(refused(role_name));
    };
    let trust = PolicyDocument::parse(&role.trust_policy, PolicyKind::Trust).map_err(internal)?;
    let mut trust_set = PolicySet::new();
    trust_set.add("trust policy", &trust);
    let compiled = state.policies.get(&state.store, &principal).await?;
    let mut request = request(&principal, "sts:AssumeRole", &role.arn, &ip)?;
    request.context.insert(
        "sts:RoleSessionName",
        ContextValue::Single(principal.user.name.clone()),
    );
    if !external_id.is_empty() {
        request.context.insert(
            "sts:ExternalId",
            ContextValue::Single(external_id.to_string()),
        );
    }
    let explanation = compiled
        .evaluator()
        .with_resource_policy(&trust_set)
        .explain(&request);
    // Unlike most resource policies, a trust policy is never optional: whatever the
    // user's own policies allow, the role must trust them.
    let trusted = explanation
        .matched
        .iter()
        .any(|m| m.layer == Layer::Resource && m.effect == Effect::Allow);
    if explanation.decision != Decision::Allow || !trusted {
        let layers: Vec<&str> = explanation.blocked_by.iter().map(|l| l.as_str()).collect();
        state
            .store
            .audit(&deny(format!(
                "refused: {} ({})",
                if trusted {
                    explanation.decision.as_str()
                } else {
                    "not trusted"
                },
                if trusted {
                    layers.join(", ")
                } else {
                    "trust policy".to_string()
                }
            )))
            .await
            .map_err(internal)?;
        return Err(refused(role_name));
    }
    let seconds = i64::from(hours) * 3600;
    if seconds > i64::from(role.max_session_seconds) {
        return Err(respond(AppError::field(
            "duration_hours",
            format!(
                "Role {} allows sessions of at most {} hours.",
                role.name,
                role.max_session_seconds / 3600
            ),
        )));
    }
    let now = state.clock.now().unix_timestamp();
    let granted = RoleSession {
        user_id: principal.user.id.clone(),
        role_id: role.id.clone(),
        role_name: role.name.clone(),
        role_arn: role.arn.clone(),
        started: now,
        expires: now + seconds,
    };
    let session = session().await?;
    session.insert(ROLE_KEY, &granted).await.map_err(internal)?;
    state
        .store
        .audit(&principal.audit(
            "sts:AssumeRole",
            &role.arn,
            &ip,
            format!("role session for {hours} h"),
        ))
        .await
        .map_err(internal)?;
    Ok(())
}

pub async fn back() -> Result<(), AppError> {
    let principal = signed_in().await?;
    let session = session().await?;
    let left: Option<RoleSession> = session.remove(ROLE_KEY).await.map_err(internal)?;
    if let Some(role) = left {
        let ip = client_ip().await;
        state()?
            .store
            .audit(&principal.audit(
                "signin:SwitchBack",
                &role.role_arn,
                &ip,
                "back to own identity",
            ))
            .await
            .map_err(internal)?;
    }
    Ok(())
}
