//! Outside the console: first-run setup, sign-in, MFA, forced password change.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

use crate::api::auth::{
    account_password_policy, current_stage, setup_needs, ChangeRequiredPassword, SetUpAccount,
    SignIn, Stage, VerifyMfa,
};
use crate::components::{action_error, field, FieldError, FormError, LoadError, NewPassword};

/// Sends the browser where its stage belongs when it is not on `here`.
fn redirect_unless(stage: Stage, here: Stage) -> Option<&'static str> {
    if stage == here {
        return None;
    }
    Some(match stage {
        Stage::SetUp => "/setup",
        Stage::SignIn => "/signin",
        Stage::Mfa => "/signin/mfa",
        Stage::ChangePassword => "/change-password",
        Stage::SignedIn => "/",
    })
}

#[component]
fn Card(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=format!("{title} · Portcullis")/>
        <div class="auth-page">
            <div class="auth-card">
                <div class="brand">"Portcullis"</div>
                <h1>{title}</h1>
                {children()}
            </div>
        </div>
    }
}

#[component]
pub fn SetUpPage() -> impl IntoView {
    let stage = Resource::new_blocking(|| (), |_| current_stage());
    let policy = Resource::new_blocking(|| (), |_| account_password_policy());
    let needs = Resource::new_blocking(|| (), |_| setup_needs());
    let action = ServerAction::<SetUpAccount>::new();
    let value = action_error(action.value());
    view! {
        <Card title="Set up Portcullis">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let stage = stage.await;
                    let policy = policy.await;
                    let token_required = needs.await.map(|n| n.token_required).unwrap_or(true);
                    match (stage, policy) {
                        (Ok(stage), _) if redirect_unless(stage, Stage::SetUp).is_some() => {
                            let path = redirect_unless(stage, Stage::SetUp).unwrap_or("/");
                            view! { <Redirect path=path/> }.into_any()
                        }
                        (Ok(_), Ok(policy)) => view! {
                            <p class="lead">"Create the root user. It can do everything, so keep its password safe and use it only to set up administrators."</p>
                            <ActionForm action=action>
                                {token_required.then(|| view! {
                                    <label for="token">"Setup token"</label>
                                    <input id="token" type="text" name="token" autocomplete="off" required/>
                                    <p class="hint">"Portcullis printed this one-time token in its log when it started. It proves you run this server."</p>
                                    <FieldError message=field(value, "token")/>
                                })}
                                <label for="email">"Root email address"</label>
                                <input id="email" type="email" name="email" autocomplete="username" required/>
                                <FieldError message=field(value, "email")/>
                                <NewPassword policy error=field(value, "password")/>
                                <label for="confirm">"Confirm password"</label>
                                <input id="confirm" type="password" name="confirm" autocomplete="new-password"/>
                                <FieldError message=field(value, "confirm")/>
                                <FormError error=value/>
                                <button type="submit" class="primary" disabled=move || action.pending().get()>"Create root user"</button>
                            </ActionForm>
                        }.into_any(),
                        (Err(e), _) | (_, Err(e)) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </Card>
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let stage = Resource::new_blocking(|| (), |_| current_stage());
    let action = ServerAction::<SignIn>::new();
    let value = action_error(action.value());
    view! {
        <Card title="Sign in">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match stage.await {
                        Ok(Stage::SetUp) => view! { <Redirect path="/setup"/> }.into_any(),
                        Ok(Stage::SignedIn) => view! { <Redirect path="/"/> }.into_any(),
                        _ => view! {
                            <ActionForm action=action>
                                <label for="identity">"User name, or root email address"</label>
                                <input id="identity" type="text" name="identity" autocomplete="username" required autofocus/>
                                <FieldError message=field(value, "identity")/>
                                <label for="password">"Password"</label>
                                <input id="password" type="password" name="password" autocomplete="current-password" required/>
                                <FieldError message=field(value, "password")/>
                                <FormError error=value/>
                                <button type="submit" class="primary" disabled=move || action.pending().get()>"Sign in"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </Card>
    }
}

#[component]
pub fn MfaPage() -> impl IntoView {
    let stage = Resource::new_blocking(|| (), |_| current_stage());
    let action = ServerAction::<VerifyMfa>::new();
    let value = action_error(action.value());
    view! {
        <Card title="Multi-factor authentication">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match stage.await {
                        Ok(stage) if redirect_unless(stage, Stage::Mfa).is_some() => {
                            let path = redirect_unless(stage, Stage::Mfa).unwrap_or("/");
                            view! { <Redirect path=path/> }.into_any()
                        }
                        _ => view! {
                            <p class="lead">"Enter the 6-digit code from your authenticator app, or one of your recovery codes."</p>
                            <ActionForm action=action>
                                <label for="code">"Code"</label>
                                <input id="code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus/>
                                <FieldError message=field(value, "code")/>
                                <FormError error=value/>
                                <button type="submit" class="primary" disabled=move || action.pending().get()>"Verify"</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </Card>
    }
}

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let stage = Resource::new_blocking(|| (), |_| current_stage());
    let policy = Resource::new_blocking(|| (), |_| account_password_policy());
    let action = ServerAction::<ChangeRequiredPassword>::new();
    let value = action_error(action.value());
    view! {
        <Card title="Choose a new password">
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match (stage.await, policy.await) {
                        (Ok(stage), _) if redirect_unless(stage, Stage::ChangePassword).is_some() => {
                            let path = redirect_unless(stage, Stage::ChangePassword).unwrap_or("/");
                            view! { <Redirect path=path/> }.into_any()
                        }
                        (Ok(_), Ok(policy)) => view! {
                            <p class="lead">"Your password must be changed before you continue."</p>
                            <ActionForm action=action>
                                <NewPassword policy error=field(value, "password")/>
                                <label for="confirm">"Confirm new password"</label>
                                <input id="confirm" type="password" name="confirm" autocomplete="new-password"/>
                                <FieldError message=field(value, "confirm")/>
                                <FormError error=value/>
                                <button type="submit" class="primary" disabled=move || action.pending().get()>"Change password"</button>
                            </ActionForm>
                        }.into_any(),
                        (Err(e), _) | (_, Err(e)) => view! { <LoadError error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </Card>
    }
}
