//! Account settings, one form per area (each its own action, so a policy can hand out
//! one area without the others): password policy, lockout, sessions, sign-in
//! networks, regions.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::settings::{
    account_settings, SettingsArea, UpdateLockout, UpdatePasswordPolicy, UpdateRegions,
    UpdateSessions, UpdateSignInRanges,
};
use crate::components::{action_error, field, FieldError, FormError, Guard, LoadError};
use crate::error::AppError;

/// A whole-number field with its hint and error.
fn number(
    error: Signal<Option<AppError>>,
    id: &'static str,
    label: &'static str,
    current: String,
    hint: &'static str,
) -> impl IntoView {
    view! {
        <label for=id>{label}</label>
        <input id=id type="text" inputmode="numeric" name=id value=current/>
        <p class="hint">{hint}</p>
        <FieldError message=field(error, id)/>
    }
}

fn check(id: &'static str, label: &'static str, on: bool) -> impl IntoView {
    view! { <label class="inline"><input type="checkbox" name=id value="on" checked=on/>" "{label}</label> }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let password = ServerAction::<UpdatePasswordPolicy>::new();
    let lockout = ServerAction::<UpdateLockout>::new();
    let sessions = ServerAction::<UpdateSessions>::new();
    let networks = ServerAction::<UpdateSignInRanges>::new();
    let regions = ServerAction::<UpdateRegions>::new();
    let (password_error, lockout_error, sessions_error, networks_error, regions_error) = (
        action_error(password.value()),
        action_error(lockout.value()),
        action_error(sessions.value()),
        action_error(networks.value()),
        action_error(regions.value()),
    );
    let query = use_query_map();
    let settings = Resource::new(
        move || {
            (
                password.version().get(),
                lockout.version().get(),
                sessions.version().get(),
                networks.version().get(),
                regions.version().get(),
            )
        },
        |_| account_settings(),
    );
    view! {
        <Title text="Account settings · Portcullis"/>
        <h1>"Account settings"</h1>
        {move || query.read().get("saved").map(|_| view! { <p class="banner success" role="status">"Settings saved."</p> })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(page) => {
                        let s = page.account.clone();
                        let p = s.password_policy.clone();
                        let guard = |area: SettingsArea| (page.refusals.reason(area.action()), area.action());
                        let (password_refused, password_action) = guard(SettingsArea::PasswordPolicy);
                        let (lockout_refused, lockout_action) = guard(SettingsArea::Lockout);
                        let (sessions_refused, sessions_action) = guard(SettingsArea::Sessions);
                        let (networks_refused, networks_action) = guard(SettingsArea::SignInRanges);
                        let (regions_refused, regions_action) = guard(SettingsArea::Regions);
                        view! {
                            <section class="panel" data-testid="settings-password">
                                <h2>"Password policy"</h2>
                                <Guard reason=password_refused action=password_action>
                                <ActionForm action=password>
                                    {number(password_error, "minimum_password_length", "Minimum length", p.minimum_password_length.to_string(), "6 to 128 characters.")}
                                    {check("require_uppercase_characters", "Require at least one uppercase letter (A-Z)", p.require_uppercase_characters)}
                                    {check("require_lowercase_characters", "Require at least one lowercase letter (a-z)", p.require_lowercase_characters)}
                                    {check("require_numbers", "Require at least one number", p.require_numbers)}
                                    {check("require_symbols", "Require at least one symbol", p.require_symbols)}
                                    {check("allow_users_to_change_password", "Allow users to change their own password", p.allow_users_to_change_password)}
                                    {number(password_error, "max_password_age", "Password expiry (days)", p.max_password_age.map(|v| v.to_string()).unwrap_or_default(), "1 to 1095 days; empty means passwords never expire.")}
                                    {check("hard_expiry", "Expired passwords can only be reset by an administrator", p.hard_expiry)}
                                    {number(password_error, "password_reuse_prevention", "Prevent reuse of the last … passwords", p.password_reuse_prevention.map(|v| v.to_string()).unwrap_or_default(), "1 to 24; empty allows reuse.")}
                                    <FormError error=password_error/>
                                    <button type="submit" class="primary">"Save password policy"</button>
                                </ActionForm>
                                </Guard>
                            </section>
                            <section class="panel" data-testid="settings-lockout">
                                <h2>"Sign-in lockout"</h2>
                                <Guard reason=lockout_refused action=lockout_action>
                                <ActionForm action=lockout>
                                    {number(lockout_error, "lockout_threshold", "Failed sign-ins before the account locks", s.lockout_threshold.to_string(), "1 to 100. Wrong MFA codes and wrong current passwords count too.")}
                                    {number(lockout_error, "lockout_minutes", "Lock duration (minutes)", s.lockout_minutes.to_string(), "1 to 1440.")}
                                    <FormError error=lockout_error/>
                                    <button type="submit" class="primary">"Save lockout"</button>
                                </ActionForm>
                                </Guard>
                            </section>
                            <section class="panel" data-testid="settings-sessions">
                                <h2>"Sessions"</h2>
                                <Guard reason=sessions_refused action=sessions_action>
                                <ActionForm action=sessions>
                                    {number(sessions_error, "session_idle_minutes", "Sign out after inactivity (minutes)", s.session_idle_minutes.to_string(), "5 to 1440.")}
                                    {number(sessions_error, "session_max_hours", "Sign out after (hours), whatever the activity", s.session_max_hours.to_string(), "1 to 720.")}
                                    <FormError error=sessions_error/>
                                    <button type="submit" class="primary">"Save session limits"</button>
                                </ActionForm>
                                </Guard>
                            </section>
                            <section class="panel" data-testid="settings-networks">
                                <h2>"Sign-in networks"</h2>
                                <Guard reason=networks_refused action=networks_action>
                                <ActionForm action=networks>
                                    <label for="sign_in_ranges">"Allow console sign-in only from these IP ranges"</label>
                                    <textarea id="sign_in_ranges" name="sign_in_ranges" rows="3" placeholder="203.0.113.0/24">{s.sign_in_ranges.join("\n")}</textarea>
                                    <p class="hint">"One CIDR range per line. Empty allows any address. Refused attempts are audited."</p>
                                    <FieldError message=field(networks_error, "sign_in_ranges")/>
                                    <FormError error=networks_error/>
                                    <button type="submit" class="primary">"Save sign-in networks"</button>
                                </ActionForm>
                                </Guard>
                            </section>
                            <section class="panel" data-testid="settings-regions">
                                <h2>"Regions"</h2>
                                <Guard reason=regions_refused action=regions_action>
                                <ActionForm action=regions>
                                    <label for="regions">"Regions"</label>
                                    <textarea id="regions" name="regions" rows="3">{s.regions.join("\n")}</textarea>
                                    <p class="hint">"One per line. The console's region picker offers these; the chosen one is aws:RequestedRegion."</p>
                                    <FieldError message=field(regions_error, "regions")/>
                                    <label for="availability_zones">"Availability zones"</label>
                                    <textarea id="availability_zones" name="availability_zones" rows="3">{s.availability_zones.join("\n")}</textarea>
                                    <p class="hint">"One per line, each in one of the regions above."</p>
                                    <FieldError message=field(regions_error, "availability_zones")/>
                                    <FormError error=regions_error/>
                                    <button type="submit" class="primary">"Save regions"</button>
                                </ActionForm>
                                </Guard>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
