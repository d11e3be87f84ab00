//! The policy simulator page: GET forms, so a simulation is a link to share.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::simulator::{simulate_policies, who_can, SimulationInput};
use crate::error::AppError;

/// An error of the simulator's forms, naming the field.
fn problem(e: &AppError) -> String {
    match e {
        AppError::Invalid(fields) => fields
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

#[component]
pub fn SimulatorPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    let input = move || {
        let q = query.read();
        let get = |key: &str| q.get(key).unwrap_or_default();
        SimulationInput {
            subject_type: get("subject_type"),
            subject: get("subject"),
            policy: get("policy"),
            actions: get("actions"),
            resource: get("resource"),
            source_ip: get("source_ip"),
            region: get("region"),
            availability_zone: get("availability_zone"),
            mfa: q.get("mfa").is_some_and(|v| v == "on"),
            secure_transport: q.get("secure_transport").is_some_and(|v| v == "on"),
            time: get("time"),
            resource_tags: get("resource_tags"),
            budget_status: get("budget_status"),
            budget_used_percent: get("budget_used_percent"),
        }
    };
    let submitted = move || query.read().get("actions").is_some();
    let results = Resource::new(
        move || (submitted(), input()),
        |(submitted, input)| async move {
            if submitted {
                simulate_policies(input).await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    let who_action = get("who_action");
    let who_resource = get("who_resource");
    let who = Resource::new(
        move || (who_action(), who_resource()),
        |(action, resource)| async move {
            if action.is_empty() {
                return Ok(None);
            }
            who_can(SimulationInput {
                actions: action,
                resource,
                ..Default::default()
            })
            .await
            .map(Some)
        },
    );
    let subject_type = get("subject_type");
    let types = move || {
        let chosen = subject_type();
        [("user", "User"), ("group", "Group"), ("role", "Role")]
            .into_iter()
            .map(|(value, label)| {
                let selected = chosen == value;
                view! { <option value=value selected=selected>{label}</option> }
            })
            .collect_view()
    };
    let mfa = move || query.read().get("mfa").is_some_and(|v| v == "on");
    let secure = move || {
        query
            .read()
            .get("secure_transport")
            .is_some_and(|v| v == "on")
    };
    view! {
        <Title text="Policy simulator · Portcullis"/>
        <h1>"Policy simulator"</h1>
        <p class="lead">"See what the policy engine decides for a user, group or role, a pasted policy, or both, and which statements decide it."</p>
        <form method="get" action="/simulator" class="panel">
            <div class="row-form">
                <label for="sim-type">"Simulate"</label>
                <select id="sim-type" name="subject_type">{types}</select>
                <input id="sim-user" type="text" name="subject" value=get("subject") placeholder="Name (empty: only the pasted policy)"/>
            </div>
            <label for="sim-policy">"Additional policy (JSON)"</label>
            <textarea id="sim-policy" name="policy" rows="5">{get("policy")}</textarea>
            <label for="sim-actions">"Actions, one per line"</label>
            <textarea id="sim-actions" name="actions" rows="3" placeholder="iam:CreateUser">{get("actions")}</textarea>
            <label for="sim-resource">"Resource ARN"</label>
            <input id="sim-resource" type="text" name="resource" value=get("resource") placeholder="*"/>
            <label for="sim-tags">"Resource tags (key=value, one per line)"</label>
            <textarea id="sim-tags" name="resource_tags" rows="2">{get("resource_tags")}</textarea>
            <fieldset>
                <legend>"Context"</legend>
                <label for="sim-ip">"Source IP"</label>
                <input id="sim-ip" type="text" name="source_ip" value=get("source_ip") placeholder="203.0.113.7"/>
                <label for="sim-region">"Region"</label>
                <input id="sim-region" type="text" name="region" value=get("region") placeholder="eu-west-1"/>
                <label for="sim-az">"Availability zone (ec2:AvailabilityZone)"</label>
                <input id="sim-az" type="text" name="availability_zone" value=get("availability_zone") placeholder="eu-west-1a"/>
                <label for="sim-time">"Time"</label>
                <input id="sim-time" type="text" name="time" value=get("time") placeholder="Now, or 2026-12-24T18:00:00Z"/>
                <label for="sim-budget">"Budget of the billing group (portcullis:BudgetStatus)"</label>
                <select id="sim-budget" name="budget_status">
                    {move || {
                        let chosen = get("budget_status")();
                        [("", "No budget"), ("ok", "ok"), ("forecast-exceeded", "forecast-exceeded"), ("exceeded", "exceeded")]
                            .into_iter()
                            .map(|(value, label)| view! { <option value=value selected=chosen == value>{label}</option> })
                            .collect_view()
                    }}
                </select>
                <label for="sim-budget-used">"Budget used, % (portcullis:BudgetUsedPercent)"</label>
                <input id="sim-budget-used" type="text" inputmode="decimal" name="budget_used_percent" value=get("budget_used_percent") placeholder="85"/>
                <label class="check"><input type="checkbox" name="mfa" value="on" checked=mfa/>" Signed in with MFA"</label>
                <label class="check"><input type="checkbox" name="secure_transport" value="on" checked=secure/>" Over HTTPS (aws:SecureTransport)"</label>
            </fieldset>
            <div><button type="submit" class="primary">"Simulate"</button></div>
        </form>
        <Transition fallback=|| view! { <p>"Simulating…"</p> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(simulation)) => view! {
                        <table class="data" data-testid="simulation">
                            <thead><tr><th scope="col">"Action"</th><th scope="col">"Decision"</th><th scope="col">"Blocked by"</th><th scope="col">"Matching statements"</th></tr></thead>
                            <tbody>
                                {simulation.rows.into_iter().map(|r| {
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
                        <section data-testid="sim-policies">
                            {simulation.policies.into_iter().map(|p| view! {
                                <div class="panel">
                                    <h3>{p.name.clone()}" "<span class="badge">{p.layer.clone()}</span>" "<span class="hint">{p.via.clone()}</span></h3>
                                    <pre class="policy-text">
                                        {p.pieces.into_iter().map(|(text, hit, effect)| if hit {
                                            view! { <mark class=format!("statement {}", effect.to_lowercase())>{text}</mark> }.into_any()
                                        } else {
                                            view! { <span>{text}</span> }.into_any()
                                        }).collect_view()}
                                    </pre>
                                </div>
                            }).collect_view()}
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{problem(&e)}</p> }.into_any(),
                }
            })}
        </Transition>
        <section class="panel">
            <h2>"Who can do this?"</h2>
            <form method="get" action="/simulator" class="row-form">
                <label for="who-action">"Action"</label>
                <input id="who-action" type="text" name="who_action" value=get("who_action") placeholder="iam:CreateUser"/>
                <label for="who-resource">"Resource ARN"</label>
                <input id="who-resource" type="text" name="who_resource" value=get("who_resource") placeholder="*"/>
                <button type="submit">"Find"</button>
            </form>
            <Transition fallback=|| view! { <p>"Looking…"</p> }>
                {move || Suspend::new(async move {
                    match who.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(rows)) => view! {
                            <table class="data" data-testid="who-can">
                                <thead><tr><th scope="col">"Who"</th><th scope="col">"Allowed by"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|a| view! {
                                        <tr><td><span class="badge">{a.kind}</span>" "{a.name}</td><td>{a.through}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{problem(&e)}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
