//! A role's instance profiles, on its page: the profiles that hand the role to
//! workloads, a form to make one holding it, and Remove on each.

use leptos::prelude::*;

use crate::api::roles::{role_instance_profiles, CreateInstanceProfile, RemoveFromInstanceProfile};
use crate::components::{action_error, field, FieldError, FormError, Guard, LoadError};

#[component]
pub fn InstanceProfilesPanel(#[prop(into)] role: String) -> impl IntoView {
    let create = ServerAction::<CreateInstanceProfile>::new();
    let remove = ServerAction::<RemoveFromInstanceProfile>::new();
    let (create_error, remove_error) = (action_error(create.value()), action_error(remove.value()));
    let of = role.clone();
    let panel = Resource::new(
        move || (create.version().get(), remove.version().get()),
        move |_| role_instance_profiles(of.clone()),
    );
    view! {
        <section class="panel" data-testid="instance-profiles">
            <h2>"Instance profiles"</h2>
            <p>"An instance profile hands this role to a workload (an EC2 instance), which then acts with the role's permissions. Making one passes the role: it needs iam:PassRole on it."</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let role = role.clone();
                    Suspend::new(async move {
                        match panel.await {
                            Ok(v) => {
                                let rows = v.profiles.iter().cloned().map(|(name, arn)| {
                                    let (role, label) = (role.clone(), format!("Remove from {name}"));
                                    view! {
                                        <tr>
                                            <td>{name.clone()}</td>
                                            <td><code>{arn}</code></td>
                                            <td class="actions">
                                                <Guard reason=v.refusals.reason("iam:RemoveRoleFromInstanceProfile") action="iam:RemoveRoleFromInstanceProfile" compact=true>
                                                    <ActionForm action=remove attr:class="inline-form">
                                                        <input type="hidden" name="role" value=role/>
                                                        <input type="hidden" name="name" value=name/>
                                                        <button type="submit" class="link danger" aria-label=label>"Remove"</button>
                                                    </ActionForm>
                                                </Guard>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view();
                                view! {
                                    {if v.profiles.is_empty() {
                                        view! { <p data-testid="no-instance-profiles">"In no instance profile."</p> }.into_any()
                                    } else {
                                        view! {
                                            <table class="table">
                                                <thead><tr><th>"Name"</th><th>"ARN"</th><th>"Actions"</th></tr></thead>
                                                <tbody>{rows}</tbody>
                                            </table>
                                        }.into_any()
                                    }}
                                    <Guard reason=v.refusals.reason("iam:CreateInstanceProfile") action="iam:CreateInstanceProfile">
                                        <ActionForm action=create attr:class="row-form">
                                            <input type="hidden" name="role" value=role.clone()/>
                                            <label for="new-instance-profile">"New instance profile"</label>
                                            <input id="new-instance-profile" name="name" required maxlength="128" autocomplete="off"/>
                                            <button type="submit">"Create with this role"</button>
                                        </ActionForm>
                                    </Guard>
                                    <FieldError message=field(create_error, "name")/>
                                }.into_any()
                            }
                            Err(e) => view! { <LoadError error=e/> }.into_any(),
                        }
                    })
                }}
            </Transition>
            <FormError error=create_error/>
            <FormError error=remove_error/>
        </section>
    }
}
