//! The dashboard: who you are, and root's best-practice checklist.

use leptos::prelude::*;
use leptos_meta::Title;

use super::layout::MeResource;

#[component]
pub fn HomePage() -> impl IntoView {
    let me = use_context::<MeResource>();
    view! {
        <Title text="Dashboard · Portcullis"/>
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| ()>
        {move || Suspend::new(async move {
            let me = match me {
                Some(MeResource(me)) => me.await.ok().flatten(),
                None => None,
            };
            me.map(|me| {
            // Someone who may see spend and nothing of IAM (a project manager) lands
            // on their spend dashboard.
            let only_spend = me.menu.spend
                && me.menu == (model::session::Menu { spend: true, ..Default::default() });
            if only_spend {
                return view! { <leptos_router::components::Redirect path="/spend"/> }.into_any();
            }
            let banner = (me.is_root && (me.root_needs_mfa || me.root_needs_user)).then(|| view! {
                <section class="banner warning" data-testid="root-banner" role="status">
                    <h2>"Secure your root user"</h2>
                    <p>"You are signed in as root, which can do everything. AWS-style best practice:"</p>
                    <ul>
                        {me.root_needs_mfa.then(|| view! { <li><a href="/security">"Enable MFA for the root user"</a></li> })}
                        {me.root_needs_user.then(|| view! { <li><a href="/users">"Create an IAM user for daily administration"</a>" and sign in as that user."</li> })}
                    </ul>
                </section>
            });
            view! {
                {banner}
                <section class="cards">
                    <div class="card">
                        <h2>"Signed in as"</h2>
                        <p class="big">{match &me.role {
                            Some(role) => format!("{} (role session of {})", role.role, me.name),
                            None => me.name.clone(),
                        }}</p>
                        <p><code>{me.arn.clone()}</code></p>
                    </div>
                    <div class="card">
                        <h2>"Account"</h2>
                        <p class="big"><code>{me.account_id.clone()}</code></p>
                    </div>
                    {(!me.is_root && me.menu == Default::default()).then(|| view! {
                        <div class="card" data-testid="no-permissions">
                            <h2>"Permissions"</h2>
                            <p>{if me.role.is_some() {
                                "This role's policies give access to nothing in the console. Go back to your own identity from the top bar."
                            } else {
                                "No policy gives you access to anything yet. Ask an administrator to attach one to you or to one of your groups. You can still manage your own credentials."
                            }}</p>
                        </div>
                    })}
                    <div class="card">
                        <h2>"MFA"</h2>
                        <p class="big">{if me.mfa_enabled { "Enabled" } else { "Not enabled" }}</p>
                        <a href="/security">"Manage my credentials"</a>
                    </div>
                </section>
            }.into_any()
        })
        })}
        </Suspense>
    }
}
