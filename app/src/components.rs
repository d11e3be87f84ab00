//! Small pieces shared by the pages: field errors, the live password checklist.

use identity::PasswordPolicy;
use leptos::prelude::*;

use crate::error::{general_message, AppError};

/// Loads `path` afresh once `action` succeeds. Switching identity (a role session or
/// back) changes what every part of the page may show, so nothing rendered for the
/// old identity is kept. Runs only in the browser (effects do not run on the server).
pub fn reload_after<T>(action: ServerAction<T>, path: &'static str)
where
    T: leptos::server_fn::ServerFn<Output = ()> + Clone + Send + Sync + 'static,
    T::Error: Send + Sync + 'static,
{
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(())))) {
            let _ = window().location().set_href(path);
        }
    });
}

/// The last error of an action, as a signal the form's messages read.
pub fn action_error<T, W>(value: W) -> Signal<Option<AppError>>
where
    T: Send + Sync + Clone + 'static,
    W: With<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())))
}

/// The message for one field from an action's last error.
pub fn field(error: Signal<Option<AppError>>, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.with(|e| e.as_ref().and_then(|e| e.for_field(name))))
}

/// A field's error message, announced to screen readers.
#[component]
pub fn FieldError(message: Signal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|m| view! { <p class="field-error" role="alert">{m}</p> })
    }
}

/// A labelled text input, an optional hint and its field's error: most rows of the
/// console's forms. `key` names the field in the action's errors, `name` in the form.
#[component]
pub fn TextField(
    id: &'static str,
    label: &'static str,
    name: &'static str,
    key: &'static str,
    error: Signal<Option<AppError>>,
    #[prop(optional)] value: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(optional)] required: bool,
    /// Never filled in by the browser (an external ID, a confirmation).
    #[prop(optional)]
    no_autofill: bool,
    /// A secret: typed as a password, never filled in by the browser.
    #[prop(optional)]
    secret: bool,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input id=id type=if secret { "password" } else { "text" } name=name value=value
            placeholder=placeholder inputmode=inputmode maxlength=maxlength required=required
            autocomplete=(secret || no_autofill).then_some("off")/>
        {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
        <FieldError message=field(error, key)/>
    }
}

/// The error of an action that is not about one field.
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.with(|e| {
            e.as_ref().and_then(general_message).map(|m| {
                view! {
                    <p class="form-error" role="alert">{m}</p>
                    {e.as_ref().and_then(encoded_message)}
                }
            })
        })
    }
}

/// Why a page's data could not be loaded (not allowed, not found, …), announced.
#[component]
pub fn LoadError(error: AppError) -> impl IntoView {
    view! {
        <p class="form-error" role="alert">{error.to_string()}</p>
        {encoded_message(&error)}
    }
}

/// A policy refusal's encoded message, folded away: the refused person passes it to
/// an administrator, who reads the decision's details with
/// `aws sts decode-authorization-message` (it needs `sts:DecodeAuthorizationMessage`).
fn encoded_message(error: &AppError) -> Option<impl IntoView> {
    match error {
        AppError::Denied { encoded, .. } => {
            let encoded = encoded.clone();
            Some(view! {
                <details class="encoded-message">
                    <summary>"Encoded authorization message (for an administrator)"</summary>
                    <p class="muted">"An administrator allowed sts:DecodeAuthorizationMessage reads the decision's details with: aws sts decode-authorization-message --encoded-message …"</p>
                    <code data-testid="encoded-message">{encoded}</code>
                </details>
            })
        }
        _ => None,
    }
}

/// Each rule of the password policy, ticked as the password meets it.
#[component]
pub fn PasswordChecklist(policy: PasswordPolicy, password: ReadSignal<String>) -> impl IntoView {
    let rules = policy.rules();
    view! {
        <ul class="password-rules" aria-live="polite">
            {rules
                .into_iter()
                .map(|rule| {
                    let met = move || rule.is_met(&password.get());
                    view! {
                        <li class:met=met class:unmet=move || !met()>
                            <span class="mark">{move || if met() { "✓" } else { "•" }}</span>
                            {rule.to_string()}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// A password input with its live checklist.
#[component]
pub fn NewPassword(
    policy: PasswordPolicy,
    #[prop(default = "password")] name: &'static str,
    #[prop(default = "New password")] label: &'static str,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let (password, set_password) = signal(String::new());
    view! {
        <label for=name>{label}</label>
        <input
            id=name
            type="password"
            name=name
            autocomplete="new-password"
            on:input:target=move |ev| set_password.set(ev.target().value())
        />
        <FieldError message=error/>
        <PasswordChecklist policy password/>
    }
}

/// A form the signed-in principal may not use: shown disabled, with the engine's
/// reason. Hiding it would leave people guessing; the server refuses it regardless.
/// A `compact` guard (a button in a table row) keeps the reason in its tooltip, so a
/// long list does not repeat it on every row.
#[component]
pub fn Guard(
    reason: Option<String>,
    action: &'static str,
    #[prop(optional)] compact: bool,
    children: Children,
) -> impl IntoView {
    match reason {
        Some(reason) => {
            let message = format!("Not allowed ({action}): {reason}.");
            let note = (!compact).then(|| {
                view! { <p class="denied-reason" data-testid="denied-reason">{message.clone()}</p> }
            });
            view! {
                <fieldset class="guard" disabled=true title=message>
                    {children()}
                    {note}
                </fieldset>
            }
            .into_any()
        }
        None => children().into_any(),
    }
}

/// [`Guard`] for a form outside the page's data: asks the engine, for this form's
/// action on `resource` (`user/*`, `*`, …), before showing it.
#[component]
pub fn GuardFor(
    action: &'static str,
    resource: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let refusals = Resource::new(
        || (),
        move |_| crate::api::permissions::my_refusals(vec![(action.into(), resource.into())]),
    );
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    let reason = refusals.await.ok().and_then(|r| r.reason(action));
                    view! { <Guard reason action>{children()}</Guard> }
                })
            }}
        </Suspense>
    }
}
