//! Roles: the list with the create form, one role's page, and "Switch role".

use super::instance_profiles::InstanceProfilesPanel;
use super::tags::TagsPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::access::{AccessActions, AccessPanels};
use crate::api::roles::{
    list_roles, role_overview, CreateRole, DeleteRole, RevokeRoleSessions, SwitchRole, UpdateRole,
    UpdateTrustPolicy,
};
use crate::components::{
    action_error, field, reload_after, FieldError, FormError, Guard, GuardFor, LoadError, TextField,
};

/// The choices of a maximum or requested session, in hours.
fn hour_options(selected: i32, up_to: i32) -> impl IntoView {
    (1..=up_to)
        .map(|h| {
            let label = if h == 1 {
                "1 hour".to_string()
            } else {
                format!("{h} hours")
            };
            view! { <option value=h selected=h == selected>{label}</option> }
        })
        .collect_view()
}

#[component]
pub fn RolesPage() -> impl IntoView {
    let create = ServerAction::<CreateRole>::new();
    let error = action_error(create.value());
    let roles = Resource::new(move || create.version().get(), |_| list_roles());
    view! {
        <Title text="Roles · Portcullis"/>
        <div class="page-head">
            <h1>"Roles"</h1>
            <a class="button" href="/switch-role">"Switch role"</a>
        </div>
        <p class="lead">"A role is a named set of policies. Give it to users and groups and they all get its policies; or let people switch to it for a limited session, as its trust policy allows."</p>
        <Transition fallback=|| view! { <p>"Loading roles…"</p> }>
            {move || Suspend::new(async move {
                match roles.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="empty">"No roles yet."</p> }.into_any(),
                    Ok(rows) => view! {
                        <table class="data" data-testid="roles-table">
                            <thead><tr><th scope="col">"Role"</th><th scope="col">"Who may switch to it"</th><th scope="col">"Given to"</th><th scope="col">"Max session"</th><th scope="col">"Created"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr>
                                        <td><a href=format!("/roles/{}", r.name)><strong>{r.name.clone()}</strong></a><br/>{r.description.clone()}</td>
                                        <td>{r.trusted.clone()}</td>
                                        <td>{r.holders}</td>
                                        <td>{format!("{} h", r.max_session_hours)}</td>
                                        <td>{r.created.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
        <section class="panel" data-testid="create-role">
            <h2>"Create role"</h2>
            <GuardFor action="iam:CreateRole" resource="role/*">
            <ActionForm action=create>
                <TextField id="role-name" label="Role name" name="name" key="name" error=error maxlength=64 required=true/>
                <TextField id="role-path" label="Path (optional)" name="path" key="path" error=error maxlength=512 placeholder="/"/>
                <TextField id="role-description" label="Description (optional)" name="description" key="description"
                    error=error maxlength=1000/>
                <fieldset>
                    <legend>"Who may switch to it"</legend>
                    <TextField id="trusted-users" label="Users (names, separated by commas)" name="trusted_users"
                        key="trusted_users" error=error
                        hint="With no users and no accounts, any user of this account whose own policies (or groups') allow sts:AssumeRole on the role may switch to it: that is how a group's members are trusted."/>
                    <TextField id="trusted-accounts" label="Other accounts (12-digit IDs, for third parties)"
                        name="trusted_accounts" key="trusted_accounts" error=error inputmode="numeric"/>
                    <TextField id="external-id" label="External ID (optional, for third parties such as auditors)"
                        name="external_id" key="external_id" error=error no_autofill=true/>
                    <label class="check"><input type="checkbox" name="require_mfa" value="on"/>" Require MFA"</label>
                    <details>
                        <summary>"Or write the trust policy yourself"</summary>
                        <label for="trust-policy">"Trust policy (replaces the choices above)"</label>
                        <textarea id="trust-policy" class="code" name="trust_policy" rows="10" spellcheck="false"></textarea>
                    </details>
                    <FieldError message=field(error, "trust_policy")/>
                </fieldset>
                <label for="max-session">"Maximum session"</label>
                <select id="max-session" name="max_session_hours">{hour_options(1, 12)}</select>
                <FieldError message=field(error, "max_session_hours")/>
                <FormError error=error/>
                <button type="submit" class="primary">"Create role"</button>
            </ActionForm>
            </GuardFor>
        </section>
    }
}

#[component]
pub fn RolePage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let access = AccessActions::new();
    let trust = ServerAction::<UpdateTrustPolicy>::new();
    let update = ServerAction::<UpdateRole>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let revoke = ServerAction::<RevokeRoleSessions>::new();
    let revoke_error = action_error(revoke.value());
    let detail = Resource::new(
        move || {
            (
                name(),
                access.version(),
                trust.version().get(),
                update.version().get(),
                revoke.version().get(),
            )
        },
        |(name, ..)| role_overview(name),
    );
    let (trust_error, update_error, delete_error) = (
        action_error(trust.value()),
        action_error(update.value()),
        action_error(delete.value()),
    );
    view! {
        <Title text=move || format!("{} · Roles · Portcullis", name())/>
        <p class="crumbs"><a href="/roles">"Roles"</a>" / "{name}</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(r) => {
                        let holders = if r.holders.is_empty() {
                            view! { "Nobody yet." }.into_any()
                        } else {
                            r.holders.iter().map(|h| {
                                // `user alice` or `group auditors`: link to their page.
                                let (kind, name) = h.split_once(' ').unwrap_or(("user", h));
                                view! { <a class="chip" href=format!("/{kind}s/{name}")>{h.clone()}</a>" " }
                            }).collect_view().into_any()
                        };
                        let trusted = r.trusted.iter().map(|t| view! { <li>{t.clone()}</li> }).collect_view();
                        let (n1, n2, n3, n4) = (r.name.clone(), r.name.clone(), r.name.clone(), r.name.clone());
                        let refused = |action: &str| r.refusals.reason(action);
                        view! {
                            <div class="page-head">
                                <h1>{r.name.clone()}</h1>
                                <a class="button" href=format!("/switch-role?role={}", r.name)>"Switch to this role"</a>
                            </div>
                            <dl class="summary">
                                <dt>"ARN"</dt><dd><code>{r.arn.clone()}</code></dd>
                                <dt>"Description"</dt><dd>{r.description.clone()}</dd>
                                <dt>"Created"</dt><dd>{r.created.clone()}</dd>
                                <dt>"Maximum session"</dt><dd>{format!("{} h", r.max_session_hours)}</dd>
                                <dt>"Given to"</dt><dd data-testid="role-holders">{holders}</dd>
                            </dl>
                            <AccessPanels access=r.access.clone() actions=access/>
                            <section class="panel" data-testid="trust">
                                <h2>"Trust policy"</h2>
                                <p class="hint">"Who may switch to this role. Naming the account (…:root) leaves it to each user's own policies to allow sts:AssumeRole on the role."</p>
                                <ul>{trusted}</ul>
                                <Guard reason=refused("iam:UpdateAssumeRolePolicy") action="iam:UpdateAssumeRolePolicy">
                                <ActionForm action=trust>
                                    <input type="hidden" name="name" value=n1/>
                                    <label for="trust-document">"Document"</label>
                                    <textarea id="trust-document" class="code" name="trust_policy" rows="12" spellcheck="false">{r.trust_policy.clone()}</textarea>
                                    <FieldError message=field(trust_error, "trust_policy")/>
                                    <FormError error=trust_error/>
                                    <button type="submit">"Save trust policy"</button>
                                </ActionForm>
                                </Guard>
                            </section>
                            <section class="panel">
                                <h2>"Settings"</h2>
                                <Guard reason=refused("iam:UpdateRole") action="iam:UpdateRole">
                                <ActionForm action=update>
                                    <input type="hidden" name="name" value=n2/>
                                    <label for="edit-description">"Description"</label>
                                    <input id="edit-description" type="text" name="description" maxlength="1000" value=r.description.clone()/>
                                    <FieldError message=field(update_error, "description")/>
                                    <label for="edit-max-session">"Maximum session"</label>
                                    <select id="edit-max-session" name="max_session_hours">{hour_options(r.max_session_hours, 12)}</select>
                                    <FieldError message=field(update_error, "max_session_hours")/>
                                    <FormError error=update_error/>
                                    <button type="submit">"Save"</button>
                                </ActionForm>
                                </Guard>
                            </section>
                            <TagsPanel kind="role" name=r.name.clone()/>
                            <InstanceProfilesPanel role=r.name.clone()/>
                            <section class="panel" data-testid="role-sessions">
                                <h2>"Sessions"</h2>
                                <p data-testid="active-sessions">{match r.active_sessions {
                                    0 => "No active sessions.".to_string(),
                                    1 => "1 active session.".to_string(),
                                    n => format!("{n} active sessions."),
                                }}</p>
                                <p class="hint">"If a session's credentials may have leaked, revoke: every session started until now ends at once, in the console and through the API. New sessions can start right after, as the trust policy allows."</p>
                                {move || revoke.value().get().and_then(|r| r.ok()).map(|n| view! {
                                    <p class="banner success" role="status">{format!("Revoked {n} session(s).")}</p>
                                })}
                                <Guard reason=refused("iam:PutRolePolicy") action="iam:PutRolePolicy">
                                <ActionForm action=revoke>
                                    <input type="hidden" name="name" value=n4/>
                                    <button type="submit" class="danger">"Revoke active sessions"</button>
                                </ActionForm>
                                </Guard>
                                <FormError error=revoke_error/>
                            </section>
                            <section class="panel danger-zone">
                                <h2>"Delete role"</h2>
                                <p>"Everyone it is given to loses its policies. Sessions already started lose them too. Type the role name to confirm."</p>
                                <Guard reason=refused("iam:DeleteRole") action="iam:DeleteRole">
                                <ActionForm action=delete>
                                    <input type="hidden" name="name" value=n3/>
                                    <label for="confirm-delete">"Role name"</label>
                                    <input id="confirm-delete" type="text" name="confirm" autocomplete="off"/>
                                    <FieldError message=field(delete_error, "confirm")/>
                                    <FormError error=delete_error/>
                                    <button type="submit" class="danger">"Delete role"</button>
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

#[component]
pub fn SwitchRolePage() -> impl IntoView {
    let query = use_query_map();
    let role = move || query.read().get("role").unwrap_or_default();
    let switch = ServerAction::<SwitchRole>::new();
    reload_after(switch, "/");
    let error = action_error(switch.value());
    view! {
        <Title text="Switch role · Portcullis"/>
        <h1>"Switch role"</h1>
        <p class="lead">"Act as a role for a while: the console then does only what the role's policies allow, and shows the role in the top bar until you go back or the session ends."</p>
        <section class="panel">
            <ActionForm action=switch>
                <label for="switch-role">"Role name"</label>
                <input id="switch-role" type="text" name="role" value=role required/>
                <FieldError message=field(error, "role")/>
                <TextField id="switch-external-id" label="External ID (if the role asks for one)" name="external_id"
                    key="external_id" error=error no_autofill=true/>
                <label for="switch-duration">"Session duration"</label>
                <select id="switch-duration" name="duration_hours">{hour_options(1, 12)}</select>
                <FieldError message=field(error, "duration_hours")/>
                <FormError error=error/>
                <button type="submit" class="primary">"Switch role"</button>
            </ActionForm>
        </section>
    }
}
