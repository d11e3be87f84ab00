//! The permissions panels that user, group and role pages share: managed policies,
//! inline policies, the permissions boundary and the roles given.

use leptos::prelude::*;

use crate::api::permissions::actions::{
    ATTACH, DELETE_BOUNDARY, DELETE_INLINE, DETACH, PUT_BOUNDARY, PUT_INLINE,
};
use crate::api::permissions::{
    Access, AttachPolicy, DeleteInlinePolicy, DetachPolicy, GrantRole, Holder, PutInlinePolicy,
    SetBoundary,
};
use crate::components::{action_error, field, FieldError, FormError, Guard};

/// A starting point for a new inline policy.
const INLINE_SKELETON: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [],
      "Resource": "*"
    }
  ]
}"#;

/// The changes the panels make; a page reloads its data when any of them completes.
#[derive(Clone, Copy)]
pub struct AccessActions {
    pub attach: ServerAction<AttachPolicy>,
    pub detach: ServerAction<DetachPolicy>,
    pub put_inline: ServerAction<PutInlinePolicy>,
    pub delete_inline: ServerAction<DeleteInlinePolicy>,
    pub boundary: ServerAction<SetBoundary>,
    pub grant: ServerAction<GrantRole>,
}

impl AccessActions {
    pub fn new() -> AccessActions {
        AccessActions {
            attach: ServerAction::new(),
            detach: ServerAction::new(),
            put_inline: ServerAction::new(),
            delete_inline: ServerAction::new(),
            boundary: ServerAction::new(),
            grant: ServerAction::new(),
        }
    }

    /// Changes whenever one of the panels' changes completes.
    pub fn version(&self) -> usize {
        self.attach.version().get()
            + self.detach.version().get()
            + self.put_inline.version().get()
            + self.delete_inline.version().get()
            + self.boundary.version().get()
            + self.grant.version().get()
    }
}

impl Default for AccessActions {
    fn default() -> Self {
        AccessActions::new()
    }
}

/// Which identity a form changes: `(holder, name)`, copyable into every form.
type Who = StoredValue<(String, String)>;

fn who(access: &Access) -> Who {
    StoredValue::new((access.holder.what().to_string(), access.name.clone()))
}

/// Hidden fields naming the holder and where to come back to.
#[component]
fn HolderFields(who: Who) -> impl IntoView {
    let (holder, name) = who.get_value();
    let back = format!("/{holder}s/{name}");
    view! {
        <input type="hidden" name="holder" value=holder/>
        <input type="hidden" name="name" value=name/>
        <input type="hidden" name="back" value=back/>
    }
}

#[component]
pub fn AccessPanels(access: Access, actions: AccessActions) -> impl IntoView {
    let boundary = (access.holder != Holder::Group).then(|| {
        view! { <BoundaryPanel access=access.clone() action=actions.boundary/> }
    });
    let roles = (access.holder != Holder::Role).then(|| {
        view! { <RolesGivenPanel access=access.clone() action=actions.grant/> }
    });
    view! {
        <PoliciesPanel access=access.clone() actions/>
        <InlinePanel access=access.clone() actions/>
        {roles}
        {boundary}
    }
}

/// Every policy that applies, with where it comes from; attach and detach managed
/// policies.
#[component]
fn PoliciesPanel(access: Access, actions: AccessActions) -> impl IntoView {
    let who = who(&access);
    let attach_error = action_error(actions.attach.value());
    let detach_error = action_error(actions.detach.value());
    let delete_error = action_error(actions.delete_inline.value());
    let rows = access
        .policies
        .clone()
        .into_iter()
        .map(|p| {
            let label = p.name.clone();
            let remove = match (p.arn.clone(), p.direct) {
                (Some(arn), true) => Some(view! {
                    <Guard reason=access.refused(DETACH) action=access.action(DETACH) compact=true>
                        <ActionForm action=actions.detach attr:class="inline-form">
                            <HolderFields who/>
                            <input type="hidden" name="policy_arn" value=arn/>
                            <button type="submit" class="link" aria-label=format!("Detach {label}")>"Detach"</button>
                        </ActionForm>
                    </Guard>
                }.into_any()),
                (None, true) => Some(view! {
                    <Guard reason=access.refused(DELETE_INLINE) action=access.action(DELETE_INLINE) compact=true>
                        <ActionForm action=actions.delete_inline attr:class="inline-form">
                            <HolderFields who/>
                            <input type="hidden" name="policy_name" value=label.clone()/>
                            <button type="submit" class="link" aria-label=format!("Delete inline policy {label}")>"Delete"</button>
                        </ActionForm>
                    </Guard>
                }.into_any()),
                _ => None,
            };
            let name = match &p.arn {
                Some(_) => view! { <a href=format!("/policies/{}", p.name)>{p.name.clone()}</a> }.into_any(),
                None => view! { <span>{p.name.clone()}" "<span class="badge">"inline"</span></span> }.into_any(),
            };
            view! { <tr><td>{name}</td><td>{p.via.clone()}</td><td>{remove}</td></tr> }
        })
        .collect_view();
    let empty = access.policies.is_empty().then(|| {
        view! { <p class="empty">"No policies. Without one, everything is denied."</p> }
    });
    let options = access
        .available_policies
        .iter()
        .map(|(label, arn)| view! { <option value=arn.clone()>{label.clone()}</option> })
        .collect_view();
    view! {
        <section class="panel" data-testid="permissions">
            <h2>"Permissions"</h2>
            {empty}
            <table class="data"><thead><tr><th scope="col">"Policy"</th><th scope="col">"Applies through"</th><th scope="col"></th></tr></thead><tbody>{rows}</tbody></table>
            <Guard reason=access.refused(ATTACH) action=access.action(ATTACH)>
                <ActionForm action=actions.attach attr:class="row-form">
                    <HolderFields who/>
                    <label for="attach-policy">"Attach policy"</label>
                    <select id="attach-policy" name="policy_arn">{options}</select>
                    <button type="submit">"Attach"</button>
                </ActionForm>
            </Guard>
            <FieldError message=field(attach_error, "policy_arn")/>
            <FormError error=attach_error/>
            <FormError error=detach_error/>
            <FormError error=delete_error/>
        </section>
    }
}

/// The identity's own inline policies: read, edit and add.
#[component]
fn InlinePanel(access: Access, actions: AccessActions) -> impl IntoView {
    let who = who(&access);
    let put_error = action_error(actions.put_inline.value());
    let existing = access
        .policies
        .clone()
        .into_iter()
        .filter(|p| p.arn.is_none() && p.direct)
        .map(|p| {
            let id = format!("inline-{}", p.name);
            view! {
                <details class="inline-policy">
                    <summary>{p.name.clone()}</summary>
                    <ActionForm action=actions.put_inline>
                        <HolderFields who/>
                        <input type="hidden" name="policy_name" value=p.name.clone()/>
                        <label for=id.clone()>"Document"</label>
                        <textarea id=id class="code" name="document" rows="10" spellcheck="false">{p.document.clone().unwrap_or_default()}</textarea>
                        <button type="submit">"Save changes"</button>
                    </ActionForm>
                </details>
            }
        })
        .collect_view();
    let limit = access.inline_limit;
    let refused = access.refused(PUT_INLINE);
    let put = access.action(PUT_INLINE);
    view! {
        <section class="panel" data-testid="inline-policies">
            <h2>"Inline policies"</h2>
            <p class="hint">{format!("Embedded in this {} alone and deleted with it. Together at most {limit} characters, not counting white space.", access.holder.what())}</p>
            <Guard reason=refused action=put>
            {existing}
            <details class="inline-policy" open=move || put_error.with(Option::is_some)>
                <summary>"Add inline policy"</summary>
                <ActionForm action=actions.put_inline>
                    <HolderFields who/>
                    <label for="inline-name">"Policy name"</label>
                    <input id="inline-name" type="text" name="policy_name" maxlength="128"/>
                    <FieldError message=field(put_error, "policy_name")/>
                    <label for="inline-document">"Document"</label>
                    <textarea id="inline-document" class="code" name="document" rows="10" spellcheck="false">{INLINE_SKELETON}</textarea>
                    <button type="submit" class="primary">"Save inline policy"</button>
                </ActionForm>
            </details>
            </Guard>
            <FieldError message=field(put_error, "document")/>
            <FormError error=put_error/>
        </section>
    }
}

/// The ceiling on what the identity may do, whatever its policies allow.
#[component]
fn BoundaryPanel(access: Access, action: ServerAction<SetBoundary>) -> impl IntoView {
    let who = who(&access);
    let error = action_error(action.value());
    let current = match &access.boundary {
        Some((name, _)) => view! {
            <p>"Boundary: "<a href=format!("/policies/{name}")><strong>{name.clone()}</strong></a>". Only what it also allows is allowed."</p>
            <Guard reason=access.refused(DELETE_BOUNDARY) action=access.action(DELETE_BOUNDARY) compact=true>
                <ActionForm action=action attr:class="inline-form">
                    <HolderFields who/>
                    <input type="hidden" name="policy_arn" value=""/>
                    <button type="submit" class="link">"Remove boundary"</button>
                </ActionForm>
            </Guard>
        }
        .into_any(),
        None => view! { <p>"No boundary: the policies above apply in full."</p> }.into_any(),
    };
    // Any managed policy can be a boundary, attached here or not.
    let mut choices: Vec<(String, String)> = access.available_policies.clone();
    choices.extend(
        access
            .policies
            .iter()
            .filter(|p| p.direct)
            .filter_map(|p| p.arn.clone().map(|arn| (p.name.clone(), arn))),
    );
    choices.sort();
    let options = choices
        .into_iter()
        .map(|(label, arn)| view! { <option value=arn>{label}</option> })
        .collect_view();
    view! {
        <section class="panel" data-testid="boundary">
            <h2>"Permissions boundary"</h2>
            {current}
            <Guard reason=access.refused(PUT_BOUNDARY) action=access.action(PUT_BOUNDARY)>
                <ActionForm action=action attr:class="row-form">
                    <HolderFields who/>
                    <label for="boundary-policy">"Set boundary"</label>
                    <select id="boundary-policy" name="policy_arn">{options}</select>
                    <button type="submit">"Set boundary"</button>
                </ActionForm>
            </Guard>
            <FieldError message=field(error, "boundary")/>
            <FormError error=error/>
        </section>
    }
}

/// Roles given to a user or group: their policies apply here too.
#[component]
fn RolesGivenPanel(access: Access, action: ServerAction<GrantRole>) -> impl IntoView {
    let who = who(&access);
    let error = action_error(action.value());
    let rows = access
        .roles
        .clone()
        .into_iter()
        .map(|role| {
            view! {
                <tr>
                    <td><a href=format!("/roles/{role}")>{role.clone()}</a></td>
                    <td>
                        <Guard reason=access.refused(DETACH) action=access.action(DETACH) compact=true>
                            <ActionForm action=action attr:class="inline-form">
                                <HolderFields who/>
                                <input type="hidden" name="role" value=role.clone()/>
                                <input type="hidden" name="give" value="false"/>
                                <button type="submit" class="link" aria-label=format!("Take back role {role}")>"Take back"</button>
                            </ActionForm>
                        </Guard>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let none_left = access.available_roles.is_empty().then(|| {
        view! { <option value="" disabled=true selected=true>"No other roles"</option> }
    });
    let options = access
        .available_roles
        .iter()
        .map(|role| view! { <option value=role.clone()>{role.clone()}</option> })
        .collect_view();
    view! {
        <section class="panel" data-testid="roles-given">
            <h2>"Roles"</h2>
            <p class="hint">"A role's policies apply to everyone it is given to; edit the role once and all of them change."</p>
            <table class="data"><tbody>{rows}</tbody></table>
            <Guard reason=access.refused(ATTACH) action=access.action(ATTACH)>
                <ActionForm action=action attr:class="row-form">
                    <HolderFields who/>
                    <input type="hidden" name="give" value="true"/>
                    <label for="give-role">"Give role"</label>
                    <select id="give-role" name="role">{none_left}{options}</select>
                    <button type="submit">"Give role"</button>
                </ActionForm>
            </Guard>
            <FieldError message=field(error, "role")/>
            <FormError error=error/>
        </section>
    }
}
