//! My security credentials: password, MFA enrolment, recovery codes.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::access_keys::AccessKeysPanel;
use super::service_credentials::ServiceCredentialsPanel;
use super::ssh_keys::SshKeysPanel;
use crate::api::auth::SignOutEverywhere;
use crate::api::credentials::{
    credentials_overview, BeginMfa, ChangePassword, ConfirmMfa, RemoveMfa,
};
use crate::components::{action_error, field, FieldError, FormError, LoadError, NewPassword};

#[component]
pub fn SecurityPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let begin = ServerAction::<BeginMfa>::new();
    let confirm = ServerAction::<ConfirmMfa>::new();
    let remove = ServerAction::<RemoveMfa>::new();
    let everywhere = ServerAction::<SignOutEverywhere>::new();
    let everywhere_error = action_error(everywhere.value());
    let query = use_query_map();
    let creds = Resource::new(
        move || {
            (
                change.version().get(),
                begin.version().get(),
                confirm.version().get(),
                remove.version().get(),
            )
        },
        |_| credentials_overview(),
    );
    let (change_value, confirm_value, remove_value, begin_value) = (
        action_error(change.value()),
        action_error(confirm.value()),
        action_error(remove.value()),
        action_error(begin.value()),
    );
    view! {
        <Title text="My security credentials · Portcullis"/>
        <h1>"My security credentials"</h1>
        {move || query.read().get("changed").map(|_| view! { <p class="banner success" role="status">"Your password was changed."</p> })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match creds.await {
                    Ok(c) => view! {
                        {c.in_role_session.then(|| view! {
                            <p class="banner" role="status" data-testid="role-session-credentials">"You are in a role session: your own password and MFA device can be changed only as yourself. Go back to your own identity first."</p>
                        })}
                        <section class="panel">
                            <h2>"Multi-factor authentication (MFA)"</h2>
                            {(!c.new_recovery_codes.is_empty()).then(|| view! {
                                <div class="banner success" role="status">
                                    <h3>"MFA is enabled. Save your recovery codes"</h3>
                                    <p>"Each code signs you in once if you lose your device. They are shown only now."</p>
                                    <ul class="codes" data-testid="recovery-codes">
                                        {c.new_recovery_codes.iter().map(|code| view! { <li><code>{code.clone()}</code></li> }).collect_view()}
                                    </ul>
                                </div>
                            })}
                            {if c.mfa_enabled {
                                view! {
                                    <p data-testid="mfa-status">"A virtual MFA device is enabled. "{format!("{} recovery codes left.", c.recovery_codes_left)}</p>
                                    <ActionForm action=remove attr:class="row-form">
                                        <label for="remove-code">"Current code"</label>
                                        <input id="remove-code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code"/>
                                        <button type="submit" class="danger">"Remove MFA device"</button>
                                    </ActionForm>
                                    <FieldError message=field(remove_value, "code")/>
                                    <FormError error=remove_value/>
                                }.into_any()
                            } else if let Some(enrolment) = c.enrolment.clone() {
                                view! {
                                    <ol class="steps">
                                        <li>"Scan this QR code with an authenticator app (or enter the key by hand)."</li>
                                    </ol>
                                    <div class="qr" inner_html=enrolment.qr_svg.clone()></div>
                                    <p>"Secret key: "<code data-testid="mfa-secret">{enrolment.secret.clone()}</code></p>
                                    <ActionForm action=confirm attr:class="row-form">
                                        <label for="mfa-code">"Code from the app"</label>
                                        <input id="mfa-code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" required/>
                                        <button type="submit" class="primary">"Enable MFA"</button>
                                    </ActionForm>
                                    <FieldError message=field(confirm_value, "code")/>
                                    <FormError error=confirm_value/>
                                }.into_any()
                            } else {
                                view! {
                                    <p data-testid="mfa-status">"No MFA device. Add one so a stolen password is not enough to sign in."</p>
                                    <ActionForm action=begin>
                                        <button type="submit" class="primary">"Set up MFA"</button>
                                    </ActionForm>
                                    <FormError error=begin_value/>
                                }.into_any()
                            }}
                        </section>
                        <AccessKeysPanel user=""/>
                        <SshKeysPanel user=""/>
                        <ServiceCredentialsPanel user=""/>
                        <section class="panel">
                            <h2>"Console password"</h2>
                            {if c.can_change_password {
                                view! {
                                    <ActionForm action=change>
                                        <label for="current">"Current password"</label>
                                        <input id="current" type="password" name="current" autocomplete="current-password"/>
                                        <FieldError message=field(change_value, "current")/>
                                        <NewPassword policy=c.policy.clone() error=field(change_value, "password")/>
                                        <label for="confirm">"Confirm new password"</label>
                                        <input id="confirm" type="password" name="confirm" autocomplete="new-password"/>
                                        <FieldError message=field(change_value, "confirm")/>
                                        <FormError error=change_value/>
                                        <button type="submit" class="primary">"Change password"</button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! { <p>"The account password policy does not let users change their own password. Ask an administrator."</p> }.into_any()
                            }}
                        </section>
                        <section class="panel" data-testid="sign-out-everywhere">
                            <h2>"Sessions"</h2>
                            <p>"Signs you out on every browser and device, this one included. Changing your password or MFA device does this for your other sessions already."</p>
                            <ActionForm action=everywhere>
                                <button type="submit" class="danger">"Sign out everywhere"</button>
                            </ActionForm>
                            <FormError error=everywhere_error/>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
