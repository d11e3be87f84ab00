//! The tags panel of a user's, a role's and a customer policy's page: the tags
//! (`aws:ResourceTag/*` to policies; a user's are also `aws:PrincipalTag/*`), a
//! form to add one or change a value, and Remove on each row.

use leptos::prelude::*;

use crate::api::tags::{entity_tags, AddTag, RemoveTag};
use crate::components::{action_error, field, FieldError, FormError, Guard, LoadError};

/// `kind` is `user`, `role` or `policy`; `name` the entity's name.
#[component]
pub fn TagsPanel(kind: &'static str, #[prop(into)] name: String) -> impl IntoView {
    let add = ServerAction::<AddTag>::new();
    let remove = ServerAction::<RemoveTag>::new();
    let (add_error, remove_error) = (action_error(add.value()), action_error(remove.value()));
    let (tag_action, untag_action) = match kind {
        "user" => ("iam:TagUser", "iam:UntagUser"),
        "role" => ("iam:TagRole", "iam:UntagRole"),
        _ => ("iam:TagPolicy", "iam:UntagPolicy"),
    };
    let entity = name.clone();
    let panel = Resource::new(
        move || (add.version().get(), remove.version().get()),
        move |_| entity_tags(kind.to_string(), entity.clone()),
    );
    view! {
        <section class="panel" data-testid="tags">
            <h2>"Tags"</h2>
            <p>"Key–value labels for finding and grouping, and for conditions: policies can test them as aws:ResourceTag/KEY. Keys are unique whatever their case; at most 50."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let name = name.clone();
                    Suspend::new(async move {
                        match panel.await {
                            Ok(v) => {
                                if let Some(reason) = v.untaggable.clone() {
                                    return view! { <p data-testid="untaggable">{reason}</p> }.into_any();
                                }
                                let untag = v.refusals.reason(untag_action);
                                let rows = v.tags.iter().cloned().map(|(key, value)| {
                                    let label = format!("Remove tag {key}");
                                    let entity = name.clone();
                                    view! {
                                        <tr>
                                            <td><code>{key.clone()}</code></td>
                                            <td>{value}</td>
                                            <td class="actions">
                                                <Guard reason=untag.clone() action=untag_action compact=true>
                                                    <ActionForm action=remove attr:class="inline-form">
                                                        <input type="hidden" name="kind" value=kind/>
                                                        <input type="hidden" name="name" value=entity/>
                                                        <input type="hidden" name="key" value=key.clone()/>
                                                        <button type="submit" class="link danger" aria-label=label>"Remove"</button>
                                                    </ActionForm>
                                                </Guard>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view();
                                view! {
                                    {if v.tags.is_empty() {
                                        view! { <p data-testid="no-tags">"No tags."</p> }.into_any()
                                    } else {
                                        view! {
                                            <table class="table">
                                                <thead><tr><th>"Key"</th><th>"Value"</th><th>"Actions"</th></tr></thead>
                                                <tbody>{rows}</tbody>
                                            </table>
                                        }.into_any()
                                    }}
                                    <Guard reason=v.refusals.reason(tag_action) action=tag_action>
                                        <ActionForm action=add attr:class="row-form">
                                            <input type="hidden" name="kind" value=kind/>
                                            <input type="hidden" name="name" value=name.clone()/>
                                            <label for=format!("tag-key-{kind}")>"Key"</label>
                                            <input id=format!("tag-key-{kind}") name="key" required maxlength="128" autocomplete="off"/>
                                            <label for=format!("tag-value-{kind}")>"Value"</label>
                                            <input id=format!("tag-value-{kind}") name="value" maxlength="256" autocomplete="off"/>
                                            <button type="submit" class="primary">"Add tag"</button>
                                        </ActionForm>
                                    </Guard>
                                    <FieldError message=field(add_error, "tags")/>
                                }.into_any()
                            }
                            Err(e) => view! { <LoadError error=e/> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <FormError error=add_error/>
            <FormError error=remove_error/>
        </section>
    }
}
