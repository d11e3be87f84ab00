//! Account settings: password policy, lockout, sessions, sign-in ranges and regions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::settings::{account_settings, UpdateAccountSettings};
use crate::components::{action_error, field, FieldError, FormError, Guard, LoadError};

#[component]
pub fn SettingsPage() -> impl IntoView {
    let update = ServerAction::<UpdateAccountSettings>::new();
    let value = action_error(update.value());
    let query = use_query_map();
    let settings = Resource::new(move || update.version().get(), |_| account_settings());
    let number =
        move |id: &'static str, label: &'static str, current: String, hint: &'static str| {
            view! {
                <label for=id>{label}</label>
                <input id=id type="text" inputmode="numeric" name=id value=current/>
                <p class="hint">{hint}</p>
                <FieldError message=field(value, id)/>
            }
        };
    let check = move |id: &'static str, label: &'static str, on: bool| {
        view! { <label class="inline"><input type="checkbox" name=id value="on" checked=on/>" "{label}</label> }
    };
    view! {
        <Title text="Account settings · Portcullis"/>
        <h1>"Account settings"</h1>
        {move || query.read().get("saved").map(|_| view! { <p class="banner success" role="status">"Settings saved."</p> })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => {
                        let p = s.password_policy.clone();
                        view! {
                            <Guard reason=s.refusals.reason("iam:UpdateAccountPasswordPolicy") action="iam:UpdateAccountPasswordPolicy">
                            <ActionForm action=update>
                                <section class="panel">
                                    <h2>"Password policy"</h2>
                                    {number("minimum_password_length", "Minimum length", p.minimum_password_length.to_string(), "6 to 128 characters.")}
                                    {check("require_uppercase_characters", "Require at least one uppercase letter (A-Z)", p.require_uppercase_characters)}
                                    {check("require_lowercase_characters", "Require at least one lowercase letter (a-z)", p.require_lowercase_characters)}
                                    {check("require_numbers", "Require at least one number", p.require_numbers)}
                                    {check("require_symbols", "Require at least one symbol", p.require_symbols)}
                                    {check("allow_users_to_change_password", "Allow users to change their own password", p.allow_users_to_change_password)}
                                    {number("max_password_age", "Password expiry (days)", p.max_password_age.map(|v| v.to_string()).unwrap_or_default(), "1 to 1095 days; empty means passwords never expire.")}
                                    {check("hard_expiry", "Expired passwords can only be reset by an administrator", p.hard_expiry)}
                                    {number("password_reuse_prevention", "Prevent reuse of the last … passwords", p.password_reuse_prevention.map(|v| v.to_string()).unwrap_or_default(), "1 to 24; empty allows reuse.")}
                                </section>
                                <section class="panel">
                                    <h2>"Sign-in lockout"</h2>
                                    {number("lockout_threshold", "Failed sign-ins before the account locks", s.lockout_threshold.to_string(), "1 to 100.")}
                                    {number("lockout_minutes", "Lock duration (minutes)", s.lockout_minutes.to_string(), "1 to 1440.")}
                                </section>
                                <section class="panel">
                                    <h2>"Sessions"</h2>
                                    {number("session_idle_minutes", "Sign out after inactivity (minutes)", s.session_idle_minutes.to_string(), "5 to 1440.")}
                                    {number("session_max_hours", "Sign out after (hours), whatever the activity", s.session_max_hours.to_string(), "1 to 720.")}
                                </section>
                                <section class="panel">
                                    <h2>"Network and regions"</h2>
                                    <label for="sign_in_ranges">"Allow console sign-in only from these IP ranges"</label>
                                    <textarea id="sign_in_ranges" name="sign_in_ranges" rows="3" placeholder="203.0.113.0/24">{s.sign_in_ranges.join("\n")}</textarea>
                                    <p class="hint">"One CIDR range per line. Empty allows any address. Refused attempts are audited."</p>
                                    <FieldError message=field(value, "sign_in_ranges")/>
                                    <label for="regions">"Regions"</label>
                                    <textarea id="regions" name="regions" rows="3">{s.regions.join("\n")}</textarea>
                                    <p class="hint">"One per line. The console's region picker offers these; the chosen one is aws:RequestedRegion."</p>
                                    <FieldError message=field(value, "regions")/>
                                    <label for="availability_zones">"Availability zones"</label>
                                    <textarea id="availability_zones" name="availability_zones" rows="3">{s.availability_zones.join("\n")}</textarea>
                                    <p class="hint">"One per line, each in one of the regions above."</p>
                                    <FieldError message=field(value, "availability_zones")/>
                                </section>
                                <FormError error=value/>
                                <button type="submit" class="primary">"Save settings"</button>
                            </ActionForm>
                            </Guard>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
