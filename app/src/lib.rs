//! The Portcullis console: pages, components and server functions.
//!
//! Rendered on the server (SSR) and hydrated in the browser by `frontend`. Forms are
//! `ActionForm`s, so they work as plain HTML posts before the wasm has loaded.

pub mod api;
pub mod charts;
pub mod components;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

use crate::pages::*;

/// The HTML document around the app. Every route renders in `SsrMode::Async`: the
/// server waits for its data and sends complete HTML, so pages and forms work before
/// (or without) the wasm, and redirects and statuses are set before the body.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/portcullis.css"/>
        <Title text="Portcullis"/>
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=StaticSegment("setup") view=SetUpPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("signin") view=SignInPage ssr=SsrMode::Async/>
                <Route path=(StaticSegment("signin"), StaticSegment("mfa")) view=MfaPage ssr=SsrMode::Async/>
                <Route path=StaticSegment("change-password") view=ChangePasswordPage ssr=SsrMode::Async/>
                <ParentRoute path=StaticSegment("") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("users"), ParamSegment("name")) view=UserPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("groups") view=GroupsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("groups"), ParamSegment("name")) view=GroupPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("policies") view=PoliciesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("policies"), StaticSegment("new")) view=NewPolicyPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("policies"), ParamSegment("name")) view=PolicyPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("roles") view=RolesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("roles"), ParamSegment("name")) view=RolePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("switch-role") view=SwitchRolePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("identity-providers") view=IdentityProvidersPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("simulator") view=SimulatorPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("security") view=SecurityPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("spend") view=SpendPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("spend"), StaticSegment("imports")) view=SpendImportsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("spend"), StaticSegment("rules")) view=SpendRulesPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("spend"), StaticSegment("budgets")) view=SpendBudgetsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("spend"), StaticSegment("explore")) view=SpendExplorerPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("spend"), StaticSegment("groups"), ParamSegment("name")) view=GroupSpendPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
