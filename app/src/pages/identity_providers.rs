//! Identity providers: the OpenID Connect issuers whose tokens workloads trade for a
//! role's credentials (`AssumeRoleWithWebIdentity`), their audiences, and a form to
//! register one.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::providers::{
    identity_providers, AddAudience, CreateIdentityProvider, DeleteIdentityProvider, RemoveAudience,
};
use crate::components::{action_error, field, FieldError, FormError, Guard, LoadError};

#[component]
pub fn IdentityProvidersPage() -> impl IntoView {
    let create = ServerAction::<CreateIdentityProvider>::new();
    let delete = ServerAction::<DeleteIdentityProvider>::new();
    let add = ServerAction::<AddAudience>::new();
    let remove = ServerAction::<RemoveAudience>::new();
    let (create_error, delete_error, add_error, remove_error) = (
        action_error(create.value()),
        action_error(delete.value()),
        action_error(add.value()),
        action_error(remove.value()),
    );
    let page = Resource::new(
        move || {
            (
                create.version().get(),
                delete.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |_| identity_providers(),
    );
    view! {
        <Title text="Identity providers · Portcullis"/>
        <h1>"Identity providers"</h1>
        <p>"OpenID Connect issuers (GitHub Actions, a Kubernetes cluster, another cloud) whose signed tokens a workload trades for a role's temporary credentials with AssumeRoleWithWebIdentity. A role trusts a provider in its trust policy (\"Federated\": the provider's ARN), usually with conditions on the token's sub and aud."</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) if v.providers.is_empty() => view! {
                        <p class="empty" data-testid="no-providers">"No identity providers yet."</p>
                    }.into_any(),
                    Ok(v) => {
                        let rows = v.providers.iter().map(|p| {
                            let audiences = p.audiences.iter().cloned().map(|aud| {
                                let (arn, label) = (p.arn.clone(), format!("Remove audience {aud}"));
                                view! {
                                    <li>
                                        <code>{aud.clone()}</code>" "
                                        <Guard reason=v.refusals.reason("iam:RemoveClientIDFromOpenIDConnectProvider") action="iam:RemoveClientIDFromOpenIDConnectProvider" compact=true>
                                            <ActionForm action=remove attr:class="inline-form">
                                                <input type="hidden" name="arn" value=arn/>
                                                <input type="hidden" name="audience" value=aud/>
                                                <button type="submit" class="link danger" aria-label=label>"Remove"</button>
                                            </ActionForm>
                                        </Guard>
                                    </li>
                                }
                            }).collect_view();
                            let (arn_add, arn_delete) = (p.arn.clone(), p.arn.clone());
                            let delete_label = format!("Delete {}", p.url);
                            view! {
                                <tr data-testid="provider">
                                    <td>{p.url.clone()}<br/><code class="muted">{p.arn.clone()}</code></td>
                                    <td>
                                        <ul class="plain">{audiences}</ul>
                                        <Guard reason=v.refusals.reason("iam:AddClientIDToOpenIDConnectProvider") action="iam:AddClientIDToOpenIDConnectProvider" compact=true>
                                            <ActionForm action=add attr:class="inline-form">
                                                <input type="hidden" name="arn" value=arn_add/>
                                                <input name="audience" required maxlength="255" aria-label="New audience" placeholder="audience"/>
                                                <button type="submit" class="link">"Add"</button>
                                            </ActionForm>
                                        </Guard>
                                    </td>
                                    <td>{p.created.clone()}</td>
                                    <td class="actions">
                                        <Guard reason=v.refusals.reason("iam:DeleteOpenIDConnectProvider") action="iam:DeleteOpenIDConnectProvider" compact=true>
                                            <ActionForm action=delete attr:class="inline-form">
                                                <input type="hidden" name="arn" value=arn_delete/>
                                                <button type="submit" class="link danger" aria-label=delete_label>"Delete"</button>
                                            </ActionForm>
                                        </Guard>
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        view! {
                            <table class="data">
                                <thead><tr><th scope="col">"Provider"</th><th scope="col">"Audiences"</th><th scope="col">"Created"</th><th scope="col">"Actions"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
        <FieldError message=field(add_error, "client_id")/>
        <FormError error=add_error/>
        <FormError error=remove_error/>
        <FormError error=delete_error/>
        <section class="panel">
            <h2>"Add a provider"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let refused = page.await.ok().and_then(|v| v.refusals.reason("iam:CreateOpenIDConnectProvider"));
                    view! {
                        <Guard reason=refused action="iam:CreateOpenIDConnectProvider">
                            <ActionForm action=create attr:class="stack-form">
                                <label for="provider-url">"Issuer URL"</label>
                                <input id="provider-url" name="url" type="url" required maxlength="255" placeholder="https://token.actions.githubusercontent.com"/>
                                <label for="provider-audiences">"Audiences (client IDs), separated by commas or lines"</label>
                                <textarea id="provider-audiences" name="audiences" rows="2" placeholder="sts.amazonaws.com"></textarea>
                                <label for="provider-thumbprints">"Certificate thumbprints (optional, kept for AWS's tools)"</label>
                                <textarea id="provider-thumbprints" name="thumbprints" rows="1"></textarea>
                                <button type="submit" class="primary">"Add provider"</button>
                            </ActionForm>
                        </Guard>
                    }
                })}
            </Transition>
            <FieldError message=field(create_error, "url")/>
            <FieldError message=field(create_error, "client_id")/>
            <FieldError message=field(create_error, "thumbprint")/>
            <FormError error=create_error/>
        </section>
    }
}
