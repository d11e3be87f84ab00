//! The service-specific credentials panel, on a user's page and on "My security
//! credentials": a user name and password per service (Git over HTTPS to
//! CodeCommit, Keyspaces, Bedrock), the password shown once when made or reset.

use leptos::prelude::*;

use crate::api::access_keys::{
    service_credentials, CreateServiceCredential, DeleteServiceCredential, ResetServiceCredential,
};
use crate::components::{action_error, field, FieldError, FormError, Guard, LoadError};
use model::credentials::NewServiceCredential;

/// The banner with a password shown once.
fn shown_once(credential: NewServiceCredential) -> impl IntoView {
    view! {
        <div class="banner success" role="status" data-testid="new-service-credential">
            <h3>"Credential for "{credential.service_name.clone()}</h3>
            <p>"This is the only time the password can be seen. Save it now; you can reset it later if it is lost."</p>
            <dl class="summary">
                <dt>"User name"</dt><dd><code data-testid="service-user-name">{credential.service_user_name}</code></dd>
                <dt>"Password"</dt><dd><code data-testid="service-password">{credential.password}</code></dd>
            </dl>
        </div>
    }
}

/// `user` empty: the signed-in user's own credentials.
#[component]
pub fn ServiceCredentialsPanel(#[prop(into)] user: String) -> impl IntoView {
    let create = ServerAction::<CreateServiceCredential>::new();
    let reset = ServerAction::<ResetServiceCredential>::new();
    let delete = ServerAction::<DeleteServiceCredential>::new();
    let (create_error, reset_error, delete_error) = (
        action_error(create.value()),
        action_error(reset.value()),
        action_error(delete.value()),
    );
    let owner = user.clone();
    let panel = Resource::new(
        move || {
            (
                create.version().get(),
                reset.version().get(),
                delete.version().get(),
            )
        },
        move |_| service_credentials(owner.clone()),
    );
    // The latest password made, by creation or by reset.
    let shown = RwSignal::new(None::<NewServiceCredential>);
    Effect::new(move |_| {
        if let Some(Ok(made)) = create.value().get() {
            shown.set(Some(made));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(made)) = reset.value().get() {
            shown.set(Some(made));
        }
    });
    let fresh = move || shown.get().map(shown_once);
    view! {
        <section class="panel" data-testid="service-credentials">
            <h2>"Service-specific credentials"</h2>
            <p>"A user name and password for one service that cannot use access keys, such as Git over HTTPS. At most two per service."</p>
            {fresh}
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let user = user.clone();
                    Suspend::new(async move {
                        match panel.await {
                            Ok(v) => {
                                let rows = v.credentials.iter().map(|c| {
                                    let (user_a, user_b) = (user.clone(), user.clone());
                                    let (id_a, id_b) = (c.id.clone(), c.id.clone());
                                    let (reset_label, delete_label) = (format!("Reset password of {}", c.id), format!("Delete credential {}", c.id));
                                    view! {
                                        <tr>
                                            <td>{c.service_name.clone()}</td>
                                            <td><code>{c.service_user_name.clone()}</code></td>
                                            <td>{if c.active { "Active" } else { "Inactive" }}</td>
                                            <td>{c.created.clone()}</td>
                                            <td class="actions">
                                                <Guard reason=v.refusals.reason("iam:ResetServiceSpecificCredential") action="iam:ResetServiceSpecificCredential" compact=true>
                                                    <ActionForm action=reset attr:class="inline-form">
                                                        <input type="hidden" name="user" value=user_a/>
                                                        <input type="hidden" name="id" value=id_a/>
                                                        <button type="submit" class="link" aria-label=reset_label>"Reset password"</button>
                                                    </ActionForm>
                                                </Guard>
                                                <Guard reason=v.refusals.reason("iam:DeleteServiceSpecificCredential") action="iam:DeleteServiceSpecificCredential" compact=true>
                                                    <ActionForm action=delete attr:class="inline-form">
                                                        <input type="hidden" name="user" value=user_b/>
                                                        <input type="hidden" name="id" value=id_b/>
                                                        <button type="submit" class="link danger" aria-label=delete_label>"Delete"</button>
                                                    </ActionForm>
                                                </Guard>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view();
                                let options = v.services.iter().cloned().map(|s| { let label = s.clone(); view! { <option value=s>{label}</option> } }).collect_view();
                                view! {
                                    {if v.credentials.is_empty() {
                                        view! { <p data-testid="no-service-credentials">"No service-specific credentials."</p> }.into_any()
                                    } else {
                                        view! {
                                            <table class="table">
                                                <thead><tr><th>"Service"</th><th>"User name"</th><th>"Status"</th><th>"Created"</th><th>"Actions"</th></tr></thead>
                                                <tbody>{rows}</tbody>
                                            </table>
                                        }.into_any()
                                    }}
                                    <Guard reason=v.refusals.reason("iam:CreateServiceSpecificCredential") action="iam:CreateServiceSpecificCredential">
                                        <ActionForm action=create attr:class="row-form">
                                            <input type="hidden" name="user" value=user.clone()/>
                                            <label for="service-name">"Service"</label>
                                            <select id="service-name" name="service_name">{options}</select>
                                            <button type="submit">"Create credential"</button>
                                        </ActionForm>
                                    </Guard>
                                    <FieldError message=field(create_error, "service_name")/>
                                }.into_any()
                            }
                            Err(e) => view! { <LoadError error=e/> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <FormError error=create_error/>
            <FormError error=reset_error/>
            <FormError error=delete_error/>
        </section>
    }
}
