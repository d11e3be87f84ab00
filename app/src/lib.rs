//! The Portcullis console: pages, components and server functions.
//!
//! Rendered on the server (SSR) and hydrated in the browser by `frontend`. Forms are
//! `ActionForm`s, so they work as plain HTML posts before the wasm has loaded.

pub mod api;
pub mod components;
pub mod error;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod validate;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{ParamSegment, StaticSegment};

use crate::pages::*;

/// The HTML document around the app.
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
                <Route path=StaticSegment("setup") view=SetUpPage/>
                <Route path=StaticSegment("signin") view=SignInPage/>
                <Route path=(StaticSegment("signin"), StaticSegment("mfa")) view=MfaPage/>
                <Route path=StaticSegment("change-password") view=ChangePasswordPage/>
                <ParentRoute path=StaticSegment("") view=ConsoleLayout>
                    <Route path=StaticSegment("") view=HomePage/>
                    <Route path=StaticSegment("users") view=UsersPage/>
                    <Route path=(StaticSegment("users"), ParamSegment("name")) view=UserPage/>
                    <Route path=StaticSegment("groups") view=GroupsPage/>
                    <Route path=(StaticSegment("groups"), ParamSegment("name")) view=GroupPage/>
                    <Route path=StaticSegment("security") view=SecurityPage/>
                    <Route path=StaticSegment("settings") view=SettingsPage/>
                    <Route path=StaticSegment("audit") view=AuditPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
