//! The audit log with filters (kept in the URL, so a filtered view can be shared).

use leptos::prelude::*;

use crate::components::LoadError;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::audit::audit_log;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &'static str| move || query.read().get(key).unwrap_or_default();
    let (actor, action, target, outcome) =
        (get("actor"), get("action"), get("target"), get("outcome"));
    let rows = Resource::new(
        move || (actor(), action(), target(), outcome()),
        |(actor, action, target, outcome)| audit_log(actor, action, target, outcome),
    );
    view! {
        <Title text="Audit log · Portcullis"/>
        <h1>"Audit log"</h1>
        <form method="get" action="/audit" class="toolbar filters" role="search">
            <label>"Who "<input type="text" name="actor" value=actor/></label>
            <label>"Action "<input type="text" name="action" value=action/></label>
            <label>"Target "<input type="text" name="target" value=target/></label>
            <label>"Result "
                <select name="outcome">
                    <option value="" selected=move || outcome().is_empty()>"Any"</option>
                    <option value="success" selected=move || outcome() == "success">"Success"</option>
                    <option value="failure" selected=move || outcome() == "failure">"Failure"</option>
                    <option value="denied" selected=move || outcome() == "denied">"Denied"</option>
                </select>
            </label>
            <button type="submit">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(rows) => view! {
                        <table class="data" data-testid="audit-table">
                            <thead><tr>
                                <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th>
                                <th scope="col">"Target"</th><th scope="col">"Result"</th><th scope="col">"Source IP"</th><th scope="col">"Detail"</th>
                            </tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr>
                                        <td>{r.at}</td><td><code>{r.actor}</code></td><td>{r.action}</td><td><code>{r.target}</code></td>
                                        <td class=r.outcome.clone()>{r.outcome.clone()}</td><td>{r.source_ip}</td><td>{r.detail}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
