//! Groups: list and create; one group's members, rename and delete.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::access::{AccessActions, AccessPanels};
use crate::api::groups::{
    group_overview, list_groups, AddMember, CreateGroup, DeleteGroup, RemoveMember, RenameGroup,
};
use crate::components::{action_error, field, FieldError, FormError, Guard, GuardFor, LoadError};

#[component]
pub fn GroupsPage() -> impl IntoView {
    let create = ServerAction::<CreateGroup>::new();
    let value = action_error(create.value());
    let groups = Resource::new(move || create.version().get(), |_| list_groups());
    view! {
        <Title text="Groups · Portcullis"/>
        <h1>"Groups"</h1>
        <Transition fallback=|| view! { <p>"Loading groups…"</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No groups yet. Groups let you manage users who need the same access together."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="data">
                            <thead><tr><th scope="col">"Group name"</th><th scope="col">"Members"</th><th scope="col">"Created"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|g| view! {
                                    <tr><td><a href=format!("/groups/{}", g.name)>{g.name.clone()}</a></td><td>{g.members}</td><td>{g.created}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
        <section class="panel">
            <h2>"Create group"</h2>
            <GuardFor action="iam:CreateGroup" resource="group/*">
                <ActionForm action=create attr:class="row-form">
                    <label for="group-name">"Group name"</label>
                    <input id="group-name" type="text" name="name" maxlength="128" required/>
                    <label for="group-path">"Path (optional)"</label>
                    <input id="group-path" type="text" name="path" maxlength="512" placeholder="/"/>
                    <button type="submit" class="primary">"Create group"</button>
                </ActionForm>
            </GuardFor>
            <FieldError message=field(value, "name")/>
            <FieldError message=field(value, "path")/>
            <FormError error=value/>
        </section>
    }
}

#[component]
pub fn GroupPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let add = ServerAction::<AddMember>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let rename = ServerAction::<RenameGroup>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    let access = AccessActions::new();
    let detail = Resource::new(
        move || {
            (
                name(),
                add.version().get(),
                remove.version().get(),
                access.version(),
            )
        },
        |(name, ..)| group_overview(name),
    );
    let (add_value, rename_value, delete_value) = (
        action_error(add.value()),
        action_error(rename.value()),
        action_error(delete.value()),
    );
    view! {
        <Title text=move || format!("{} · Groups · Portcullis", name())/>
        <p class="crumbs"><a href="/groups">"Groups"</a>" / "{name}</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(g) => {
                        let back = format!("/groups/{}", g.name);
                        let member_count = g.members.len();
                        let refused = |action: &str| g.refusals.reason(action);
                        let member_rows = g.members.iter().map(|m| {
                            let (group, back, m) = (g.name.clone(), back.clone(), m.clone());
                            view! {
                                <tr>
                                    <td><a href=format!("/users/{m}")>{m.clone()}</a></td>
                                    <td>
                                        <Guard reason=refused("iam:RemoveUserFromGroup") action="iam:RemoveUserFromGroup" compact=true>
                                            <ActionForm action=remove attr:class="inline-form">
                                                <input type="hidden" name="group" value=group/>
                                                <input type="hidden" name="user" value=m.clone()/>
                                                <input type="hidden" name="back" value=back/>
                                                <button type="submit" class="link" aria-label=format!("Remove {m}")>"Remove"</button>
                                            </ActionForm>
                                        </Guard>
                                    </td>
                                </tr>
                            }
                        }).collect_view();
                        let (add_group, rename_group, delete_group) = (g.name.clone(), g.name.clone(), g.name.clone());
                        let permissions = view! { <AccessPanels access=g.access.clone() actions=access/> };
                        view! {
                            <h1>{g.name.clone()}</h1>
                            <dl class="summary">
                                <dt>"ARN"</dt><dd><code>{g.arn.clone()}</code></dd>
                                <dt>"Created"</dt><dd>{g.created.clone()}</dd>
                            </dl>
                            <section class="panel">
                                <h2>{format!("Members ({member_count})")}</h2>
                                <table class="data"><tbody>{member_rows}</tbody></table>
                                <Guard reason=refused("iam:AddUserToGroup") action="iam:AddUserToGroup">
                                    <ActionForm action=add attr:class="row-form">
                                        <input type="hidden" name="group" value=add_group/>
                                        <input type="hidden" name="back" value=back.clone()/>
                                        <label for="member">"Add user"</label>
                                        <input id="member" type="text" name="user" placeholder="User name"/>
                                        <button type="submit">"Add member"</button>
                                    </ActionForm>
                                </Guard>
                                <FieldError message=field(add_value, "user")/>
                                <FormError error=add_value/>
                            </section>
                            {permissions}
                            <section class="panel">
                                <h2>"Rename"</h2>
                                <Guard reason=refused("iam:UpdateGroup") action="iam:UpdateGroup">
                                    <ActionForm action=rename attr:class="row-form">
                                        <input type="hidden" name="name" value=rename_group.clone()/>
                                        <label for="new-name">"New name"</label>
                                        <input id="new-name" type="text" name="new_name" value=rename_group/>
                                        <button type="submit">"Rename"</button>
                                    </ActionForm>
                                </Guard>
                                <FieldError message=field(rename_value, "new_name")/>
                                <FormError error=rename_value/>
                            </section>
                            <section class="panel danger-zone">
                                <h2>"Delete group"</h2>
                                <p>"Members stay as users; they only leave this group. Type the group name to confirm."</p>
                                <Guard reason=refused("iam:DeleteGroup") action="iam:DeleteGroup">
                                    <ActionForm action=delete>
                                        <input type="hidden" name="name" value=delete_group/>
                                        <label for="confirm-delete">"Group name"</label>
                                        <input id="confirm-delete" type="text" name="confirm" autocomplete="off"/>
                                        <FieldError message=field(delete_value, "confirm")/>
                                        <FormError error=delete_value/>
                                        <button type="submit" class="danger">"Delete group"</button>
                                    </ActionForm>
                                </Guard>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
