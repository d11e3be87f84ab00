//! The signed-in frame: navigation, who you are, sign-out; redirects to sign-in when
//! there is no session.

use leptos::prelude::*;

use crate::components::LoadError;
use crate::error::AppError;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect, A};

use crate::api::auth::{whoami, Me, SignOut};
use crate::api::roles::SwitchBack;

/// The signed-in identity, loaded once by the layout; pages that show it await it.
#[derive(Clone, Copy)]
pub struct MeResource(pub Resource<Result<Option<Me>, AppError>>);

/// The frame around every console page. Only the top bar and the menu wait for
/// `whoami`: the page itself sits outside that wait, so it is built once per render
/// (inside it, the page was rebuilt when `whoami` resolved and loaded its data twice).
#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let me = Resource::new_blocking(|| (), |_| whoami());
    provide_context(MeResource(me));
    let sign_out = ServerAction::<SignOut>::new();
    let switch_back = ServerAction::<SwitchBack>::new();
    crate::components::reload_after(switch_back, "/");
    view! {
        <div class="console">
            <header class="topbar">
                <a class="brand" href="/">"Portcullis"</a>
                <Suspense fallback=|| view! { <span class="loading">"Loading…"</span> }>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(Some(me)) => view! {
                                <span class="account">"Account " <code>{me.account_id.clone()}</code></span>
                                <RegionPicker region=me.region.clone() regions=me.regions.clone()/>
                                {match me.role.clone() {
                                    Some(role) => view! {
                                        <span class="role-session" data-testid="role-session" title=role.arn.clone()>
                                            <strong>{role.role.clone()}</strong>" as "{me.name.clone()}" · ends "{role.ends.clone()}
                                        </span>
                                        <ActionForm action=switch_back attr:class="signout">
                                            <button type="submit" class="link">{format!("Back to {}", me.name)}</button>
                                        </ActionForm>
                                    }.into_any(),
                                    None => view! {
                                        <span class="whoami" data-testid="whoami">{me.name.clone()}</span>
                                        {(!me.is_root).then(|| view! { <a class="switch-role" href="/switch-role">"Switch role"</a> })}
                                    }.into_any(),
                                }}
                                <ActionForm action=sign_out attr:class="signout">
                                    <button type="submit" class="link">"Sign out"</button>
                                </ActionForm>
                            }.into_any(),
                            Ok(None) => view! { <Redirect path="/signin"/> }.into_any(),
                            Err(e) => view! { <LoadError error=e/> }.into_any(),
                        }
                    })}
                </Suspense>
            </header>
            <div class="frame">
                <nav class="sidebar" aria-label="Console">
                    <A href="/" exact=true>"Dashboard"</A>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            let menu = me.await.ok().flatten().map(|me| me.menu).unwrap_or_default();
                            view! {
                                {menu.spend.then(|| view! { <A href="/spend">"Spend"</A> })}
                                {menu.users.then(|| view! { <A href="/users">"Users"</A> })}
                                {menu.groups.then(|| view! { <A href="/groups">"Groups"</A> })}
                                {menu.roles.then(|| view! { <A href="/roles">"Roles"</A> })}
                                {menu.identity_providers.then(|| view! { <A href="/identity-providers">"Identity providers"</A> })}
                                {menu.policies.then(|| view! { <A href="/policies">"Policies"</A> })}
                                {menu.simulator.then(|| view! { <A href="/simulator">"Policy simulator"</A> })}
                                {menu.settings.then(|| view! { <A href="/settings">"Account settings"</A> })}
                                {menu.audit.then(|| view! { <A href="/audit">"Audit log"</A> })}
                            }
                        })}
                    </Suspense>
                    <A href="/security">"My security credentials"</A>
                </nav>
                <main class="content">
                    <Outlet/>
                </main>
            </div>
        </div>
    }
}

/// The region switch: a plain form, so the whole page reloads in the new region.
#[component]
fn RegionPicker(region: String, regions: Vec<String>) -> impl IntoView {
    use leptos::server_fn::ServerFn;
    let location = leptos_router::hooks::use_location();
    let back = move || location.pathname.get();
    let options = regions
        .into_iter()
        .map(|r| {
            let selected = r == region;
            view! { <option value=r.clone() selected=selected>{r.clone()}</option> }
        })
        .collect_view();
    view! {
        <form class="region" method="post" action=crate::api::auth::ChooseRegion::url()>
            <input type="hidden" name="back" value=back/>
            <label for="region-picker">"Region"</label>
            <select id="region-picker" name="region" on:change:target=|ev| {
                if let Some(form) = ev.target().form() {
                    let _ = form.submit();
                }
            }>{options}</select>
            <button type="submit" class="link">"Switch"</button>
        </form>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found · Portcullis"/>
        <div class="auth-page">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <a href="/">"Go to the dashboard"</a>
            </div>
        </div>
    }
}
