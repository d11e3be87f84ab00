//! Identity providers: the OpenID Connect issuers whose tokens workloads trade for a
//! role's credentials (`AssumeRoleWithWebIdentity`), their audiences, and a form to
//! register one; and the SAML 2.0 identity providers whose signed responses people
//! trade for a role's credentials (`AssumeRoleWithSAML`), by their metadata.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::providers::{
    identity_providers, AddAudience, CreateIdentityProvider, CreateSamlProvider,
    DeleteIdentityProvider, DeleteSamlProvider, RemoveAudience, UpdateSamlProvider,
};
use crate::components::{action_error, field, FieldError, FormError, Guard, LoadError};

#[component]
pub fn IdentityProvidersPage() -> impl IntoView {
    let create = ServerAction::<CreateIdentityProvider>::new();
    let delete = ServerAction::<DeleteIdentityProvider>::new();
    let add = ServerAction::<AddAudience>::new();
    let remove = ServerAction::<RemoveAudience>::new();
    let saml_create = ServerAction::<CreateSamlProvider>::new();
    let saml_update = ServerAction::<UpdateSamlProvider>::new();
    let saml_delete = ServerAction::<DeleteSamlProvider>::new();
    let (saml_create_error, saml_update_error, saml_delete_error) = (
        action_error(saml_create.value()),
        action_error(saml_update.value()),
        action_error(saml_delete.value()),
    );
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
                (
                    saml_create.version().get(),
                    saml_update.version().get(),
                    saml_delete.version().get(),
                ),
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
        <h2>"SAML 2.0 providers"</h2>
        <p>"Identity providers (Okta, Entra ID, AD FS, Keycloak, Shibboleth) whose signed SAML responses people trade for a role's temporary credentials with AssumeRoleWithSAML. Paste the provider's metadata (its entity ID and signing certificate); a role trusts the provider in its trust policy (\"Federated\": the provider's ARN, action sts:AssumeRoleWithSAML). The provider must send AWS's attributes (Role, RoleSessionName) and the audience urn:amazon:webservices."</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(v) if v.refusals.reason("iam:ListSAMLProviders").is_some() => view! {
                        <p class="muted" data-testid="saml-refused">{format!("SAML providers are not shown: {}", v.refusals.reason("iam:ListSAMLProviders").unwrap_or_default())}</p>
                    }.into_any(),
                    Ok(v) if v.saml.is_empty() => view! {
                        <p class="empty" data-testid="no-saml-providers">"No SAML providers yet."</p>
                    }.into_any(),
                    Ok(v) => {
                        let rows = v.saml.iter().map(|p| {
                            let (arn_update, arn_delete) = (p.arn.clone(), p.arn.clone());
                            let delete_label = format!("Delete SAML provider {}", p.name);
                            let replace_label = format!("New metadata for {}", p.name);
                            view! {
                                <tr data-testid="saml-provider">
                                    <td>{p.name.clone()}<br/><code class="muted">{p.arn.clone()}</code></td>
                                    <td><code>{p.entity_id.clone()}</code></td>
                                    <td>{p.valid_until.clone().unwrap_or_else(|| "—".into())}</td>
                                    <td>{p.created.clone()}</td>
                                    <td class="actions">
                                        <Guard reason=v.refusals.reason("iam:UpdateSAMLProvider") action="iam:UpdateSAMLProvider" compact=true>
                                            <details>
                                                <summary>"Replace metadata"</summary>
                                                <ActionForm action=saml_update attr:class="stack-form">
                                                    <input type="hidden" name="arn" value=arn_update/>
                                                    <textarea name="metadata" rows="4" required aria-label=replace_label></textarea>
                                                    <button type="submit" class="link">"Save metadata"</button>
                                                </ActionForm>
                                            </details>
                                        </Guard>
                                        <Guard reason=v.refusals.reason("iam:DeleteSAMLProvider") action="iam:DeleteSAMLProvider" compact=true>
                                            <ActionForm action=saml_delete attr:class="inline-form">
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
                                <thead><tr><th scope="col">"Provider"</th><th scope="col">"Entity ID (issuer)"</th><th scope="col">"Metadata valid until"</th><th scope="col">"Created"</th><th scope="col">"Actions"</th></tr></thead>
                                <tbody>{rows}</tbody>
                            </table>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
        <FieldError message=field(saml_update_error, "metadata")/>
        <FormError error=saml_update_error/>
        <FormError error=saml_delete_error/>
        <section class="panel">
            <h2>"Add a SAML provider"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let refused = page.await.ok().and_then(|v| v.refusals.reason("iam:CreateSAMLProvider"));
                    view! {
                        <Guard reason=refused action="iam:CreateSAMLProvider">
                            <ActionForm action=saml_create attr:class="stack-form">
                                <label for="saml-name">"Name"</label>
                                <input id="saml-name" name="name" required maxlength="128" placeholder="Corp"/>
                                <label for="saml-metadata">"Metadata document (XML from the identity provider)"</label>
                                <textarea id="saml-metadata" name="metadata" rows="6" required placeholder="<EntityDescriptor xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=…>"></textarea>
                                <button type="submit" class="primary">"Add SAML provider"</button>
                            </ActionForm>
                        </Guard>
                    }
                })}
            </Transition>
            <FieldError message=field(saml_create_error, "name")/>
            <FieldError message=field(saml_create_error, "metadata")/>
            <FormError error=saml_create_error/>
        </section>
    }
}
