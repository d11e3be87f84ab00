//! The policy simulator page: a GET form, so a simulation is a link to share.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::simulator::simulate_policies;

#[component]
pub fn SimulatorPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    let (user, policy, actions, resource, source_ip, region) = (
        get("user"),
        get("policy"),
        get("actions"),
        get("resource"),
        get("source_ip"),
        get("region"),
    );
    let mfa = move || query.read().get("mfa").is_some_and(|v| v == "on");
    let submitted = move || query.read().get("actions").is_some();
    let results = Resource::new(
        move || {
            (
                submitted(),
                user(),
                policy(),
                actions(),
                resource(),
                source_ip(),
                region(),
                mfa(),
            )
        },
        |(submitted, user, policy, actions, resource, source_ip, region, mfa)| async move {
            if submitted {
                simulate_policies(user, policy, actions, resource, source_ip, region, mfa)
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        },
    );
    view! {
        <Title text="Policy simulator · Portcullis"/>
        <h1>"Policy simulator"</h1>
        <p class="lead">"See what the policy engine decides for a user, a pasted policy, or both, and which statements decide it."</p>
        <form method="get" action="/simulator" class="panel">
            <label for="sim-user">"User"</label>
            <input id="sim-user" type="text" name="user" prop:value=user placeholder="User name (their own and their groups' policies)"/>
            <label for="sim-policy">"Additional policy (JSON)"</label>
            <textarea id="sim-policy" name="policy" rows="5" prop:value=policy></textarea>
            <label for="sim-actions">"Actions, one per line"</label>
            <textarea id="sim-actions" name="actions" rows="3" prop:value=actions placeholder="iam:CreateUser"></textarea>
            <label for="sim-resource">"Resource ARN"</label>
            <input id="sim-resource" type="text" name="resource" prop:value=resource placeholder="*"/>
            <label for="sim-ip">"Source IP"</label>
            <input id="sim-ip" type="text" name="source_ip" prop:value=source_ip placeholder="203.0.113.7"/>
            <label for="sim-region">"Region"</label>
            <input id="sim-region" type="text" name="region" prop:value=region placeholder="eu-west-1"/>
            <label class="inline"><input type="checkbox" name="mfa" value="on" prop:checked=mfa/>" Signed in with MFA"</label>
            <div><button type="submit" class="primary">"Simulate"</button></div>
        </form>
        <Transition fallback=|| view! { <p>"Simulating…"</p> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(rows)) => view! {
                        <table class="data" data-testid="simulation">
                            <thead><tr><th scope="col">"Action"</th><th scope="col">"Decision"</th><th scope="col">"Blocked by"</th><th scope="col">"Matching statements"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| {
                                    let class = if r.decision == "Allow" { "success" } else { "denied" };
                                    view! {
                                        <tr>
                                            <td><code>{r.action}</code></td>
                                            <td class=class>{r.decision}</td>
                                            <td>{r.blocked_by.join(", ")}</td>
                                            <td>{r.matched.join("; ")}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => {
                        let message = match &e {
                            crate::error::AppError::Invalid(fields) => fields.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join(" "),
                            other => other.to_string(),
                        };
                        view! { <p class="form-error" role="alert">{message}</p> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}
