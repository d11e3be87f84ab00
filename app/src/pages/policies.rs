//! Managed policies: the list, creating one, one policy's versions and summary.

use super::tags::TagsPanel;
use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_params_map;

use super::policy_editor::{PolicyEditor, PolicySummary};
use crate::api::policies::{
    list_policies, policy_overview, CreatePolicy, CreatePolicyVersion, DeletePolicy,
    DeletePolicyVersion, SetDefaultVersion,
};
use crate::components::{action_error, field, FieldError, FormError, Guard, GuardFor, LoadError};

#[component]
pub fn PoliciesPage() -> impl IntoView {
    let policies = Resource::new(|| (), |_| list_policies());
    view! {
        <Title text="Policies · Portcullis"/>
        <div class="page-head">
            <h1>"Policies"</h1>
            <a class="button primary" href="/policies/new">"Create policy"</a>
        </div>
        <p class="lead">"Every console action is decided by these policies, with default deny. Built-in policies are read-only; your own keep up to five versions."</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match policies.await {
                    Ok(rows) => view! {
                        <table class="data" data-testid="policies-table">
                            <thead><tr><th scope="col">"Policy"</th><th scope="col">"Type"</th><th scope="col">"Description"</th><th scope="col">"Attached to"</th><th scope="col">"Updated"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|p| view! {
                                    <tr>
                                        <td><a href=format!("/policies/{}", p.name)><strong>{p.name.clone()}</strong></a><br/><code>{p.arn.clone()}</code></td>
                                        <td>{if p.template { "Built-in" } else { "Customer managed" }}</td>
                                        <td>{p.description.clone()}</td>
                                        <td>{if p.template { String::from("—") } else { p.attachments.to_string() }}</td>
                                        <td>{p.updated.clone()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

const STARTER: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ReadReports",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"]
    }
  ]
}"#;

#[component]
pub fn NewPolicyPage() -> impl IntoView {
    let create = ServerAction::<CreatePolicy>::new();
    let error = action_error(create.value());
    view! {
        <Title text="Create policy · Portcullis"/>
        <p class="crumbs"><a href="/policies">"Policies"</a>" / Create"</p>
        <h1>"Create policy"</h1>
        <GuardFor action="iam:CreatePolicy" resource="policy/*">
        <ActionForm action=create>
            <label for="policy-name">"Policy name"</label>
            <input id="policy-name" type="text" name="name" maxlength="128" required/>
            <FieldError message=field(error, "name")/>
            <label for="policy-description">"Description (optional)"</label>
            <input id="policy-description" type="text" name="description" maxlength="1000"/>
            <FieldError message=field(error, "description")/>
            <label for="document">"Policy document"</label>
            <PolicyEditor initial=STARTER.to_string()/>
            <FieldError message=field(error, "document")/>
            <FormError error=error/>
            <button type="submit" class="primary">"Create policy"</button>
        </ActionForm>
        </GuardFor>
    }
}

#[component]
pub fn PolicyPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.read().get("name").unwrap_or_default();
    let new_version = ServerAction::<CreatePolicyVersion>::new();
    let set_default = ServerAction::<SetDefaultVersion>::new();
    let delete_version = ServerAction::<DeletePolicyVersion>::new();
    let delete = ServerAction::<DeletePolicy>::new();
    let detail = Resource::new(
        move || {
            (
                name(),
                new_version.version().get(),
                set_default.version().get(),
                delete_version.version().get(),
            )
        },
        |(name, ..)| policy_overview(name),
    );
    let (version_error, default_error, delete_version_error, delete_error) = (
        action_error(new_version.value()),
        action_error(set_default.value()),
        action_error(delete_version.value()),
        action_error(delete.value()),
    );
    view! {
        <Title text=move || format!("{} · Policies · Portcullis", name())/>
        <p class="crumbs"><a href="/policies">"Policies"</a>" / "{name}</p>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(p) => {
                        let policy_name = p.row.name.clone();
                        let default_document = p.versions.iter().find(|v| v.is_default).map(|v| v.document.clone()).unwrap_or_default();
                        let attached = if p.attached_to.is_empty() {
                            "Not attached to any user, group or role, nor used as a boundary.".to_string()
                        } else {
                            format!("Attached to {}.", p.attached_to.join(", "))
                        };
                        let versions = p.versions.iter().map(|v| {
                            let (n1, n2) = (policy_name.clone(), policy_name.clone());
                            let version = v.version;
                            let actions = (!p.row.template && !v.is_default).then(|| view! {
                                <Guard reason=p.refusals.reason("iam:SetDefaultPolicyVersion") action="iam:SetDefaultPolicyVersion" compact=true>
                                <ActionForm action=set_default attr:class="inline-form">
                                    <input type="hidden" name="name" value=n1/>
                                    <input type="hidden" name="version" value=version/>
                                    <button type="submit" class="link" aria-label=format!("Make v{version} the default")>"Make default"</button>
                                </ActionForm>
                                </Guard>
                                <Guard reason=p.refusals.reason("iam:DeletePolicyVersion") action="iam:DeletePolicyVersion" compact=true>
                                <ActionForm action=delete_version attr:class="inline-form">
                                    <input type="hidden" name="name" value=n2/>
                                    <input type="hidden" name="version" value=version/>
                                    <button type="submit" class="link" aria-label=format!("Delete v{version}")>"Delete"</button>
                                </ActionForm>
                                </Guard>
                            });
                            view! {
                                <tr>
                                    <td>{format!("v{version}")}{v.is_default.then(|| view! { " " <span class="badge">"Default"</span> })}</td>
                                    <td>{v.created.clone()}</td>
                                    <td><details><summary>"Show JSON"</summary><pre class="policy">{v.document.clone()}</pre></details></td>
                                    <td>{actions}</td>
                                </tr>
                            }
                        }).collect_view();
                        let editing = (!p.row.template).then(|| {
                            let (edit_name, delete_name, tags_name) =
                                (policy_name.clone(), policy_name.clone(), policy_name.clone());
                            let (refused_version, refused_delete) = (
                                p.refusals.reason("iam:CreatePolicyVersion"),
                                p.refusals.reason("iam:DeletePolicy"),
                            );
                            view! {
                                <section class="panel">
                                    <h2>"Edit: save as a new version"</h2>
                                    <Guard reason=refused_version action="iam:CreatePolicyVersion">
                                    <ActionForm action=new_version>
                                        <input type="hidden" name="name" value=edit_name/>
                                        <label for="document">"Policy document"</label>
                                        <PolicyEditor initial=default_document.clone()/>
                                        <FieldError message=field(version_error, "document")/>
                                        <label class="check"><input type="checkbox" name="set_as_default" value="on" checked/>" Make this the default version (it applies at once)"</label>
                                        <FormError error=version_error/>
                                        <button type="submit" class="primary">"Save new version"</button>
                                    </ActionForm>
                                    </Guard>
                                </section>
                                <TagsPanel kind="policy" name=tags_name/>
                                <section class="panel danger-zone">
                                    <h2>"Delete policy"</h2>
                                    <p>"A policy can only be deleted once it is detached everywhere. Type the policy name to confirm."</p>
                                    <Guard reason=refused_delete action="iam:DeletePolicy">
                                    <ActionForm action=delete>
                                        <input type="hidden" name="name" value=delete_name/>
                                        <label for="confirm-delete">"Policy name"</label>
                                        <input id="confirm-delete" type="text" name="confirm" autocomplete="off"/>
                                        <FieldError message=field(delete_error, "confirm")/>
                                        <FormError error=delete_error/>
                                        <button type="submit" class="danger">"Delete policy"</button>
                                    </ActionForm>
                                    </Guard>
                                </section>
                            }
                        });
                        view! {
                            <h1>{p.row.name.clone()}</h1>
                            <dl class="summary">
                                <dt>"ARN"</dt><dd><code>{p.row.arn.clone()}</code></dd>
                                <dt>"Type"</dt><dd>{if p.row.template { "Built-in (read-only)" } else { "Customer managed" }}</dd>
                                <dt>"Description"</dt><dd>{p.row.description.clone()}</dd>
                                <dt>"Usage"</dt><dd data-testid="policy-usage">{attached}</dd>
                            </dl>
                            <section class="panel">
                                <PolicySummary rows=p.check.summary.clone() unrecognized=p.check.unrecognized.clone()/>
                            </section>
                            <section class="panel">
                                <h2>"Versions"</h2>
                                <table class="data" data-testid="policy-versions">
                                    <thead><tr><th scope="col">"Version"</th><th scope="col">"Created"</th><th scope="col">"Document"</th><th scope="col"></th></tr></thead>
                                    <tbody>{versions}</tbody>
                                </table>
                                <FormError error=default_error/>
                                <FormError error=delete_version_error/>
                            </section>
                            {editing}
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
