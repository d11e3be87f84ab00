//! The SSH public keys panel, on a user's page and on "My security credentials":
//! the keys by fingerprint, an upload form, and Make inactive/active and Delete.

use leptos::prelude::*;

use crate::api::access_keys::{ssh_keys, DeleteSshKey, SetSshKeyStatus, UploadSshKey};
use crate::components::{action_error, field, FieldError, FormError, Guard, LoadError};

/// `user` empty: the signed-in user's own keys.
#[component]
pub fn SshKeysPanel(#[prop(into)] user: String) -> impl IntoView {
    let upload = ServerAction::<UploadSshKey>::new();
    let status = ServerAction::<SetSshKeyStatus>::new();
    let delete = ServerAction::<DeleteSshKey>::new();
    let (upload_error, status_error, delete_error) = (
        action_error(upload.value()),
        action_error(status.value()),
        action_error(delete.value()),
    );
    let owner = user.clone();
    let panel = Resource::new(
        move || {
            (
                upload.version().get(),
                status.version().get(),
                delete.version().get(),
            )
        },
        move |_| ssh_keys(owner.clone()),
    );
    let key_error = Signal::derive(move || {
        field(upload_error, "ssh_public_key")
            .get()
            .or_else(|| field(upload_error, "ssh_public_key_encoding").get())
    });
    view! {
        <section class="panel" data-testid="ssh-keys">
            <h2>"SSH public keys"</h2>
            <p>"Keys for tools that sign in over SSH (such as Git hosting). OpenSSH's ssh-rsa format, 2048 bits or more; at most five per user."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let user = user.clone();
                    Suspend::new(async move {
                        match panel.await {
                            Ok(v) => {
                                let rows = v.keys.iter().cloned().map(|k| {
                                    let (user_a, user_b) = (user.clone(), user.clone());
                                    let (id_a, id_b) = (k.id.clone(), k.id.clone());
                                    let (next, label) = if k.active { ("Inactive", "Make inactive") } else { ("Active", "Make active") };
                                    view! {
                                        <tr>
                                            <td><code>{k.id.clone()}</code></td>
                                            <td><code data-testid="ssh-fingerprint">{k.fingerprint.clone()}</code></td>
                                            <td data-testid="ssh-status">{if k.active { "Active" } else { "Inactive" }}</td>
                                            <td>{k.uploaded.clone()}</td>
                                            <td class="actions">
                                                <Guard reason=v.refusals.reason("iam:UpdateSSHPublicKey") action="iam:UpdateSSHPublicKey" compact=true>
                                                    <ActionForm action=status attr:class="inline-form">
                                                        <input type="hidden" name="user" value=user_a/>
                                                        <input type="hidden" name="id" value=id_a/>
                                                        <input type="hidden" name="status" value=next/>
                                                        <button type="submit" class="link">{label}</button>
                                                    </ActionForm>
                                                </Guard>
                                                <Guard reason=v.refusals.reason("iam:DeleteSSHPublicKey") action="iam:DeleteSSHPublicKey" compact=true>
                                                    <ActionForm action=delete attr:class="inline-form">
                                                        <input type="hidden" name="user" value=user_b/>
                                                        <input type="hidden" name="id" value=id_b/>
                                                        <button type="submit" class="link danger" aria-label=format!("Delete SSH key {}", k.id)>"Delete"</button>
                                                    </ActionForm>
                                                </Guard>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view();
                                view! {
                                    {if v.keys.is_empty() {
                                        view! { <p data-testid="no-ssh-keys">"No SSH public keys."</p> }.into_any()
                                    } else {
                                        view! {
                                            <table class="table">
                                                <thead><tr><th>"ID"</th><th>"Fingerprint (MD5)"</th><th>"Status"</th><th>"Uploaded"</th><th>"Actions"</th></tr></thead>
                                                <tbody>{rows}</tbody>
                                            </table>
                                        }.into_any()
                                    }}
                                    <Guard reason=v.refusals.reason("iam:UploadSSHPublicKey") action="iam:UploadSSHPublicKey">
                                        <ActionForm action=upload>
                                            <input type="hidden" name="user" value=user.clone()/>
                                            <label for="ssh-key-body">"Public key (the contents of id_rsa.pub)"</label>
                                            <textarea id="ssh-key-body" name="body" rows="3" required></textarea>
                                            <button type="submit">"Upload SSH public key"</button>
                                        </ActionForm>
                                    </Guard>
                                    <FieldError message=key_error/>
                                }.into_any()
                            }
                            Err(e) => view! { <LoadError error=e/> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <FormError error=upload_error/>
            <FormError error=status_error/>
            <FormError error=delete_error/>
        </section>
    }
}
