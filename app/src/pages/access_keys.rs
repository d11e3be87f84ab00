//! The access keys panel, on a user's page and on "My security credentials": the
//! keys with their last use, a new key's secret shown once (with AWS's CSV file to
//! download), and the controls the viewer may not use disabled with the reason.

use leptos::prelude::*;

use crate::api::access_keys::{
    access_keys, CreateAccessKey, DeleteAccessKey, NewAccessKey, SetAccessKeyStatus,
};
use crate::components::{action_error, FormError, Guard, LoadError};

/// AWS's credentials file for a new key, as a `data:` link (nothing stored).
fn csv_link(key: &NewAccessKey) -> String {
    let csv = format!(
        "Access key ID,Secret access key\n{},{}\n",
        key.id, key.secret
    );
    let encoded: String = csv
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("data:text/csv;charset=utf-8,{encoded}")
}

/// `user` empty: the signed-in user's own keys.
#[component]
pub fn AccessKeysPanel(#[prop(into)] user: String) -> impl IntoView {
    let create = ServerAction::<CreateAccessKey>::new();
    let status = ServerAction::<SetAccessKeyStatus>::new();
    let delete = ServerAction::<DeleteAccessKey>::new();
    let (create_error, status_error, delete_error) = (
        action_error(create.value()),
        action_error(status.value()),
        action_error(delete.value()),
    );
    let owner = user.clone();
    let panel = Resource::new(
        move || {
            (
                create.version().get(),
                status.version().get(),
                delete.version().get(),
            )
        },
        move |_| access_keys(owner.clone()),
    );
    let new_key = move || {
        create.value().get().and_then(|r| r.ok()).map(|key| {
            let file = format!("{}_accessKeys.csv", key.user_name);
            view! {
                <div class="banner success" role="status" data-testid="new-access-key">
                    <h3>"Access key created"</h3>
                    <p>"This is the only time the secret access key can be seen or downloaded. Save it now; you can create a new key later if it is lost."</p>
                    <dl class="summary">
                        <dt>"Access key ID"</dt><dd><code data-testid="new-key-id">{key.id.clone()}</code></dd>
                        <dt>"Secret access key"</dt><dd><code data-testid="new-key-secret">{key.secret.clone()}</code></dd>
                    </dl>
                    <a class="button" href=csv_link(&key) download=file>"Download .csv file"</a>
                </div>
            }
        })
    };
    view! {
        <section class="panel" data-testid="access-keys">
            <h2>"Access keys"</h2>
            <p>"Access keys sign requests to Portcullis's AWS-compatible API, so the aws CLI, the SDKs and Terraform act with these permissions. At most two per user: rotate by creating the second, switching, then deleting the first."</p>
            {new_key}
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let user = user.clone();
                    Suspend::new(async move {
                        match panel.await {
                            Ok(v) => {
                                let refused = |action: &str| v.refusals.reason(action);
                                let rows = v.keys.iter().cloned().map(|k| {
                                    let (user_a, user_b) = (user.clone(), user.clone());
                                    let (id_a, id_b) = (k.id.clone(), k.id.clone());
                                    let (next, label) = if k.active { ("Inactive", "Make inactive") } else { ("Active", "Make active") };
                                    view! {
                                        <tr>
                                            <td><code>{k.id.clone()}</code></td>
                                            <td data-testid="key-status">{if k.active { "Active" } else { "Inactive" }}</td>
                                            <td>{k.created.clone()}" ("{k.age.clone()}")"</td>
                                            <td>{k.last_used.clone()}</td>
                                            <td class="actions">
                                                <Guard reason=refused("iam:UpdateAccessKey") action="iam:UpdateAccessKey" compact=true>
                                                    <ActionForm action=status attr:class="inline-form">
                                                        <input type="hidden" name="user" value=user_a/>
                                                        <input type="hidden" name="id" value=id_a/>
                                                        <input type="hidden" name="status" value=next/>
                                                        <button type="submit" class="link">{label}</button>
                                                    </ActionForm>
                                                </Guard>
                                                <Guard reason=refused("iam:DeleteAccessKey") action="iam:DeleteAccessKey" compact=true>
                                                    <ActionForm action=delete attr:class="inline-form">
                                                        <input type="hidden" name="user" value=user_b/>
                                                        <input type="hidden" name="id" value=id_b/>
                                                        <button type="submit" class="link danger" aria-label=format!("Delete {}", k.id)>"Delete"</button>
                                                    </ActionForm>
                                                </Guard>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view();
                                view! {
                                    {v.owner_is_root.then(|| view! {
                                        <p class="banner warning" role="note" data-testid="root-key-warning">"These are the root user's keys: they can do anything, and no policy limits them. Prefer keys of an IAM user with only the permissions the task needs."</p>
                                    })}
                                    {v.list_refused.clone().map(|reason| view! { <p class="denied-reason" data-testid="denied-reason">{reason}</p> })}
                                    {(v.list_refused.is_none()).then(|| if v.keys.is_empty() {
                                        view! { <p data-testid="no-access-keys">"No access keys."</p> }.into_any()
                                    } else {
                                        view! {
                                            <table class="table">
                                                <thead><tr><th>"Access key ID"</th><th>"Status"</th><th>"Created"</th><th>"Last used"</th><th>"Actions"</th></tr></thead>
                                                <tbody>{rows}</tbody>
                                            </table>
                                        }.into_any()
                                    })}
                                    <Guard reason=refused("iam:CreateAccessKey") action="iam:CreateAccessKey">
                                        <ActionForm action=create>
                                            <input type="hidden" name="user" value=user.clone()/>
                                            <button type="submit" class="primary">"Create access key"</button>
                                        </ActionForm>
                                    </Guard>
                                }.into_any()
                            }
                            Err(e) => view! { <LoadError error=e/> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <FormError error=create_error/>
            <FormError error=status_error/>
            <FormError error=delete_error/>
        </section>
    }
}
