//! Users: the searchable, sortable, paged list with the create form, and one user's page.

use super::service_credentials::ServiceCredentialsPanel;
use super::ssh_keys::SshKeysPanel;
use super::tags::TagsPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::access::{AccessActions, AccessPanels};
use super::access_keys::AccessKeysPanel;
use crate::api::groups::{AddMember, RemoveMember};
use crate::api::users::{
    list_users, user_overview, CreateUser, DeactivateUserMfa, DeleteUser, ResetUserPassword,
    SetBillingGroup, SignOutUser, UnlockUser,
};
use crate::components::{action_error, field, FieldError, FormError, Guard, GuardFor, LoadError};

fn query_link(search: &str, sort: &str, descending: bool, page: i64) -> String {
    let mut link = format!("/users?sort={sort}&page={page}");
    if descending {
        link.push_str("&desc=1");
    }
    if !search.is_empty() {
        let encoded: String = search
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        link.push_str(&format!("&search={encoded}"));
    }
    link
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("search").unwrap_or_default();
    let sort = move || query.read().get("sort").unwrap_or_else(|| "name".into());
    let descending = move || query.read().get("desc").is_some_and(|d| d == "1");
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let create = ServerAction::<CreateUser>::new();
    let value = action_error(create.value());
    let users = Resource::new(
        move || {
            (
                search(),
                sort(),
                descending(),
                page(),
                create.version().get(),
            )
        },
        |(search, sort, descending, page, _)| list_users(search, sort, descending, page),
    );
    view! {
        <Title text="Users · Portcullis"/>
        <h1>"Users"</h1>
        <form method="get" action="/users" class="toolbar" role="search">
            <label for="search" class="visually-hidden">"Search users"</label>
            <input id="search" type="search" name="search" placeholder="Search by name" value=search/>
            <input type="hidden" name="sort" value=sort/>
            <button type="submit">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p>"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(result) => {
                        let (s, so, d, p) = (search(), sort(), descending(), page());
                        let header = |key: &'static str, label: &'static str| {
                            let active = so == key;
                            let link = query_link(&s, key, active && !d, 0);
                            let arrow = if active { if d { " ↓" } else { " ↑" } } else { "" };
                            view! { <th scope="col" aria-sort=if active { if d { "descending" } else { "ascending" } } else { "none" }><a href=link>{label}{arrow}</a></th> }
                        };
                        let last_page = (result.total - 1).max(0) / result.per_page;
                        let prev = (p > 0).then(|| view! { <a href=query_link(&s, &so, d, p - 1) rel="prev">"← Previous"</a> });
                        let next = (p < last_page).then(|| view! { <a href=query_link(&s, &so, d, p + 1) rel="next">"Next →"</a> });
                        view! {
                            <p class="count" data-testid="user-count">{format!("{} users", result.total)}</p>
                            <table class="data">
                                <thead><tr>
                                    {header("name", "User name")}
                                    <th scope="col">"Groups"</th>
                                    <th scope="col">"Console access"</th>
                                    <th scope="col">"MFA"</th>
                                    <th scope="col">"Password age"</th>
                                    {header("last_sign_in", "Last sign-in")}
                                    {header("created", "Created")}
                                </tr></thead>
                                <tbody>
                                    {result.rows.into_iter().map(|u| view! {
                                        <tr>
                                            <td><a href=format!("/users/{}", u.name)>{u.name.clone()}</a></td>
                                            <td>{u.groups}</td>
                                            <td>{if u.console_access { "Enabled" } else { "Disabled" }}</td>
                                            <td>{if u.mfa_enabled { "Virtual" } else { "None" }}</td>
                                            <td>{u.password_age}</td>
                                            <td>{u.last_sign_in}</td>
                                            <td>{u.created}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <nav class="pager" aria-label="Pages">
                                {prev}
                                <span>{format!("Page {} of {}", p + 1, last_page + 1)}</span>
                                {next}
                            </nav>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
        <section class="panel">
            <h2>"Create user"</h2>
            <GuardFor action="iam:CreateUser" resource="user/*">
            <ActionForm action=create>
                <label for="new-name">"User name"</label>
                <input id="new-name" type="text" name="name" maxlength="64" required/>
                <p class="hint">"Up to 64 letters, digits and + = , . @ _ -. Names are unique regardless of case."</p>
                <FieldError message=field(value, "name")/>
                <label for="new-path">"Path (optional)"</label>
                <input id="new-path" type="text" name="path" maxlength="512" placeholder="/"/>
                <p class="hint">"Part of the ARN (user/engineering/alice for /engineering/), so policies can grant a whole path."</p>
                <FieldError message=field(value, "path")/>
                <fieldset>
                    <legend>"Console password"</legend>
                    <label class="inline"><input type="radio" name="password_mode" value="generated" checked/>" Autogenerated"</label>
                    <label class="inline"><input type="radio" name="password_mode" value="custom"/>" Custom"</label>
                    <label class="inline"><input type="radio" name="password_mode" value="none"/>" No console access"</label>
                </fieldset>
                <FieldError message=field(value, "password_mode")/>
                <label for="new-password">"Custom password"</label>
                <input id="new-password" type="password" name="password" autocomplete="new-password"/>
                <p class="hint">"Used when Custom is chosen; it must meet the account password policy."</p>
                <FieldError message=field(value, "password")/>
                <label class="inline"><input type="checkbox" name="require_reset" value="on" checked/>" User must create a new password at next sign-in"</label>
                <label for="new-tags">"Tags (one key=value per line)"</label>
                <textarea id="new-tags" name="tags" rows="2"></textarea>
                <FieldError message=field(value, "tags")/>
                <label for="new-boundary">"Permissions boundary (optional)"</label>
                <input id="new-boundary" type="text" name="boundary" placeholder="arn:aws:iam::aws:policy/PowerUserAccess"/>
                <p class="hint">"The ARN of a managed policy: the most this user may ever be allowed, whatever is attached later."</p>
                <FieldError message=field(value, "boundary")/>
                <FieldError message=field(value, "tags")/>
                <FormError error=value/>
                <button type="submit" class="primary" disabled=move || create.pending().get()>"Create user"</button>
            </ActionForm>
            </GuardFor>
        </section>
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let delete = ServerAction::<DeleteUser>::new();
    let reset = ServerAction::<ResetUserPassword>::new();
    let unlock = ServerAction::<UnlockUser>::new();
    let mfa = ServerAction::<DeactivateUserMfa>::new();
    let sign_out = ServerAction::<SignOutUser>::new();
    let add = ServerAction::<AddMember>::new();
    let remove = ServerAction::<RemoveMember>::new();
    let billing = ServerAction::<SetBillingGroup>::new();
    let access = AccessActions::new();
    let detail = Resource::new(
        move || {
            (
                name(),
                reset.version().get(),
                unlock.version().get(),
                mfa.version().get(),
                sign_out.version().get(),
                add.version().get(),
                remove.version().get(),
                billing.version().get(),
                access.version(),
            )
        },
        |(name, ..)| user_overview(name),
    );
    let delete_value = action_error(delete.value());
    let add_value = action_error(add.value());
    let billing_value = action_error(billing.value());
    let reset_value = action_error(reset.value());
    view! {
        <Title text=move || format!("{} · Users · Portcullis", name())/>
        <p class="crumbs"><a href="/users">"Users"</a>" / "{name}</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(u) => {
                        let back = format!("/users/{}", u.name);
                        let refused = |action: &str| u.refusals.reason(action);
                        let chips = u.groups.iter().map(|g| {
                            let (g, user, back) = (g.clone(), u.name.clone(), back.clone());
                            view! {
                                <li>
                                    <a href=format!("/groups/{g}")>{g.clone()}</a>
                                    <Guard reason=refused("iam:RemoveUserFromGroup") action="iam:RemoveUserFromGroup" compact=true>
                                        <ActionForm action=remove attr:class="inline-form">
                                            <input type="hidden" name="group" value=g.clone()/>
                                            <input type="hidden" name="user" value=user/>
                                            <input type="hidden" name="back" value=back/>
                                            <button type="submit" class="link" aria-label=format!("Remove from {g}")>"Remove"</button>
                                        </ActionForm>
                                    </Guard>
                                </li>
                            }
                        }).collect_view();
                        let joinable: Vec<String> = u.all_groups.iter().filter(|g| !u.groups.contains(g)).cloned().collect();
                        let none_left = joinable.is_empty().then(|| view! { <option value="" disabled=true selected=true>"No other groups"</option> });
                        let options = joinable.into_iter().map(|g| view! { <option value=g.clone()>{g.clone()}</option> }).collect_view();
                        let activity = u.activity.iter().cloned().map(|a| view! {
                            <tr><td>{a.at}</td><td>{a.actor}</td><td>{a.action}</td><td class=a.outcome.clone()>{a.outcome.clone()}</td><td>{a.source_ip}</td></tr>
                        }).collect_view();
                        let (unlock_name, mfa_name, sign_out_name) = (u.name.clone(), u.name.clone(), u.name.clone());
                        let permissions = view! { <AccessPanels access=u.access.clone() actions=access/> };
                        let (add_name, reset_name, delete_name) = (u.name.clone(), u.name.clone(), u.name.clone());
                        view! {
                            <h1>{u.name.clone()}</h1>
                            {u.generated_password.clone().map(|p| view! {
                                <section class="banner success" role="status">
                                    <h2>"Console password"</h2>
                                    <p>"Give this password to the user now; it will not be shown again."</p>
                                    <p><code data-testid="generated-password">{p}</code></p>
                                </section>
                            })}
                            <dl class="summary">
                                <dt>"ARN"</dt><dd><code>{u.arn.clone()}</code></dd>
                                <dt>"User ID"</dt><dd><code>{u.id.clone()}</code></dd>
                                <dt>"Created"</dt><dd>{u.created.clone()}</dd>
                                <dt>"Console access"</dt><dd>{if u.console_access { if u.password_reset_required { "Enabled (must set a new password at next sign-in)" } else { "Enabled" } } else { "Disabled" }}</dd>
                                <dt>"Password age"</dt><dd>{u.password_age.clone()}</dd>
                                <dt>"Last sign-in"</dt><dd>{u.last_sign_in.clone()}</dd>
                                <dt>"MFA"</dt><dd data-testid="user-mfa">{if u.mfa_enabled { "Virtual MFA device" } else { "Not enabled" }}</dd>
                                <dt>"Status"</dt><dd>{if u.locked { "Locked after failed sign-ins" } else { "Active" }}</dd>
                            </dl>
                            {permissions}
                            <section class="panel" data-testid="groups">
                                <h2>"Groups"</h2>
                                <ul class="chips">{chips}</ul>
                                <Guard reason=refused("iam:AddUserToGroup") action="iam:AddUserToGroup">
                                    <ActionForm action=add attr:class="row-form">
                                        <input type="hidden" name="user" value=add_name/>
                                        <input type="hidden" name="back" value=back.clone()/>
                                        <label for="add-group">"Add to group"</label>
                                        <select id="add-group" name="group">{none_left}{options}</select>
                                        <button type="submit">"Add"</button>
                                    </ActionForm>
                                </Guard>
                                <FieldError message=field(add_value, "group")/>
                                <FormError error=add_value/>
                                <p data-testid="billing-group">{match (&u.billing_group, u.billing_group_chosen) {
                                    (Some(g), true) => format!("Billing group: {g} (chosen). Costs this user created go to {g} under creator rules."),
                                    (Some(g), false) => format!("Billing group: {g} (the first group joined)."),
                                    (None, _) => "No billing group: the user is in no group.".to_string(),
                                }}</p>
                                {(!u.groups.is_empty()).then(|| {
                                    let billing_name = u.name.clone();
                                    let choices = u.groups.iter().map(|g| {
                                        let selected = u.billing_group_chosen && u.billing_group.as_deref() == Some(g.as_str());
                                        view! { <option value=g.clone() selected=selected>{g.clone()}</option> }
                                    }).collect_view();
                                    view! {
                                        <Guard reason=refused("portcullis:SetBillingGroup") action="portcullis:SetBillingGroup">
                                            <ActionForm action=billing attr:class="row-form">
                                                <input type="hidden" name="name" value=billing_name/>
                                                <label for="billing-group">"Billing group"</label>
                                                <select id="billing-group" name="billing_group">
                                                    <option value="" selected=!u.billing_group_chosen>"First group joined"</option>
                                                    {choices}
                                                </select>
                                                <button type="submit">"Set"</button>
                                            </ActionForm>
                                        </Guard>
                                    }
                                })}
                                <FieldError message=field(billing_value, "billing_group")/>
                                <FormError error=billing_value/>
                            </section>
                            <AccessKeysPanel user=u.name.clone()/>
                            <TagsPanel kind="user" name=u.name.clone()/>
                            <SshKeysPanel user=u.name.clone()/>
                            <ServiceCredentialsPanel user=u.name.clone()/>
                            <section class="panel">
                                <h2>"Console password"</h2>
                                <Guard reason=refused("iam:UpdateLoginProfile") action="iam:UpdateLoginProfile">
                                <ActionForm action=reset>
                                    <input type="hidden" name="name" value=reset_name/>
                                    <label class="inline"><input type="radio" name="password_mode" value="generated" checked/>" Autogenerate"</label>
                                    <label class="inline"><input type="radio" name="password_mode" value="custom"/>" Custom: "</label>
                                    <input type="password" name="password" aria-label="Custom password" autocomplete="new-password"/>
                                    <FieldError message=field(reset_value, "password")/>
                                    <label class="inline"><input type="checkbox" name="require_reset" value="on" checked/>" Require a new password at next sign-in"</label>
                                    <button type="submit">"Set password"</button>
                                </ActionForm>
                                {u.locked.then(|| view! {
                                    <ActionForm action=unlock>
                                        <input type="hidden" name="name" value=unlock_name/>
                                        <button type="submit">"Unlock sign-in"</button>
                                    </ActionForm>
                                })}
                                </Guard>
                                {u.mfa_enabled.then(|| view! {
                                    <Guard reason=refused("iam:DeactivateMFADevice") action="iam:DeactivateMFADevice">
                                        <ActionForm action=mfa>
                                            <input type="hidden" name="name" value=mfa_name/>
                                            <button type="submit" class="danger">"Deactivate MFA device"</button>
                                        </ActionForm>
                                    </Guard>
                                })}
                            </section>
                            <section class="panel" data-testid="user-sessions">
                                <h2>"Sessions"</h2>
                                <p>"Signs the user out of every browser, for a lost laptop or a leaver. Resetting the password or removing the MFA device does this too."</p>
                                <Guard reason=refused("portcullis:SignOutUser") action="portcullis:SignOutUser">
                                    <ActionForm action=sign_out>
                                        <input type="hidden" name="name" value=sign_out_name/>
                                        <button type="submit" class="danger">"Sign out everywhere"</button>
                                    </ActionForm>
                                </Guard>
                            </section>
                            <section class="panel" data-testid="user-activity">
                                <h2>"Recent activity"</h2>
                                {match u.activity_refused.clone() {
                                    Some(reason) => view! { <p class="denied-reason">{reason}</p> }.into_any(),
                                    None => view! {
                                        <table class="data">
                                            <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Action"</th><th scope="col">"Result"</th><th scope="col">"Source IP"</th></tr></thead>
                                            <tbody>{activity}
                                            </tbody>
                                        </table>
                                    }.into_any(),
                                }}
                            </section>
                            <section class="panel danger-zone">
                                <h2>"Delete user"</h2>
                                <p>"Deleting removes the user's group memberships and credentials. Type the user name to confirm."</p>
                                <Guard reason=refused("iam:DeleteUser") action="iam:DeleteUser">
                                    <ActionForm action=delete>
                                        <input type="hidden" name="name" value=delete_name/>
                                        <label for="confirm-delete">"User name"</label>
                                        <input id="confirm-delete" type="text" name="confirm" autocomplete="off"/>
                                        <FieldError message=field(delete_value, "confirm")/>
                                        <FormError error=delete_value/>
                                        <button type="submit" class="danger">"Delete user"</button>
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
