//! Managed policies: the list with each document, and the permissions panel that user
//! and group pages share.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::permissions::{list_policies, AttachPolicy, AttachedPolicy, DetachPolicy};
use crate::components::{action_error, field, FieldError, FormError};

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let policies = Resource::new(|| (), |_| list_policies());
    view! {
        <Title text="Policies · Portcullis"/>
        <h1>"Policies"</h1>
        <p class="lead">"Managed policies ready to attach to users and groups. Every console action is decided by these policies, with default deny."</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match policies.await {
                    Ok(rows) => view! {
                        <table class="data" data-testid="policies-table">
                            <thead><tr><th scope="col">"Policy"</th><th scope="col">"Description"</th><th scope="col">"Document"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|p| view! {
                                    <tr>
                                        <td><strong>{p.name.clone()}</strong><br/><code>{p.arn.clone()}</code></td>
                                        <td>{p.description.clone()}</td>
                                        <td><details><summary>"Show JSON"</summary><pre class="policy">{p.document.clone()}</pre></details></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Attached policies of a user or group, with attach and detach.
#[component]
pub fn PermissionsPanel(
    holder: &'static str,
    name: String,
    attached: Vec<AttachedPolicy>,
    available: Vec<(String, String)>,
    attach: ServerAction<AttachPolicy>,
    detach: ServerAction<DetachPolicy>,
) -> impl IntoView {
    let back = format!("/{holder}s/{name}");
    let attach_error = action_error(attach.value());
    let detach_error = action_error(detach.value());
    let rows = attached
        .into_iter()
        .map(|p| {
            let (name, back, label) = (name.clone(), back.clone(), p.name.clone());
            let remove = p.direct.then(|| {
                view! {
                    <ActionForm action=detach attr:class="inline-form">
                        <input type="hidden" name="holder" value=holder/>
                        <input type="hidden" name="name" value=name/>
                        <input type="hidden" name="policy_arn" value=p.arn.clone()/>
                        <input type="hidden" name="back" value=back/>
                        <button type="submit" class="link" aria-label=format!("Detach {label}")>"Detach"</button>
                    </ActionForm>
                }
            });
            view! { <tr><td><a href="/policies">{p.name.clone()}</a></td><td>{p.via.clone()}</td><td>{remove}</td></tr> }
        })
        .collect_view();
    let options = available
        .into_iter()
        .map(|(label, arn)| view! { <option value=arn>{label}</option> })
        .collect_view();
    view! {
        <section class="panel" data-testid="permissions">
            <h2>"Permissions"</h2>
            <table class="data"><thead><tr><th scope="col">"Policy"</th><th scope="col">"Applies through"</th><th scope="col"></th></tr></thead><tbody>{rows}</tbody></table>
            <ActionForm action=attach attr:class="row-form">
                <input type="hidden" name="holder" value=holder/>
                <input type="hidden" name="name" value=name.clone()/>
                <input type="hidden" name="back" value=back.clone()/>
                <label for="attach-policy">"Attach policy"</label>
                <select id="attach-policy" name="policy_arn">{options}</select>
                <button type="submit">"Attach"</button>
            </ActionForm>
            <FieldError message=field(attach_error, "policy_arn")/>
            <FormError error=attach_error/>
            <FormError error=detach_error/>
        </section>
    }
}
