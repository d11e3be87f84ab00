//! Roles: create, edit, delete; and role sessions ("Switch role"), decided by the
//! engine as `sts:AssumeRole` with the trust policy as the role's resource policy.

use model::roles::{NewRole, RoleDetail, RoleRow};
use model::Holder;
use policy::{Decision, Effect, Layer, PolicyDocument, PolicyKind, PolicySet};
use store::{Outcome, Role};

use crate::authz::{arn, engine_request, Extra, Permit};
use crate::caller::RoleSession;
use crate::error::OnField;
use crate::{format, Caller, Service, ServiceError};

/// Who a trust policy admits, one line per Allow statement's principals and
/// conditions: `arn:aws:iam::…:user/auditor when StringEquals sts:ExternalId`.
pub fn trusted(text: &str) -> Vec<String> {
    let Ok(document) = PolicyDocument::parse_stored(text, PolicyKind::Trust) else {
        return vec!["The trust policy no longer parses.".into()];
    };
    document
        .statements
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .filter_map(|s| {
            let clause = s.principal.as_ref()?;
            let who = if clause.everyone {
                "Anyone".to_string()
            } else {
                clause
                    .entries
                    .iter()
                    .map(|(kind, value)| {
                        let value = &value.value;
                        match kind {
                            policy::document::PrincipalType::Aws => value.clone(),
                            other => format!("{} {value}", other.as_str()),
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let conditions: Vec<String> = s
                .conditions
                .iter()
                .map(|c| {
                    let key = &c.key.value;
                    let values: Vec<&str> = c.values.iter().map(|v| v.value.as_str()).collect();
                    // The external ID is a shared secret: say that one is needed, not which.
                    if key.eq_ignore_ascii_case("sts:ExternalId") {
                        format!("{} {key}", c.operator_name.value)
                    } else {
                        format!("{} {key} = {}", c.operator_name.value, values.join(" | "))
                    }
                })
                .collect();
            Some(if conditions.is_empty() {
                who
            } else {
                format!("{who} when {}", conditions.join(" and "))
            })
        })
        .collect()
}

/// A trust policy built from the create form: the listed users and other accounts
/// (a third party's auditors, say), or with neither every user of this account
/// whose own policies allow `sts:AssumeRole`; with an external ID and MFA when asked.
pub fn trust_policy(
    account: &str,
    users: &[String],
    accounts: &[String],
    external_id: &str,
    require_mfa: bool,
) -> String {
    let mut principals: Vec<String> = users
        .iter()
        .map(|u| arn::user(account, u))
        .chain(accounts.iter().map(|a| arn::account(a)))
        .collect();
    if principals.is_empty() {
        principals.push(arn::account(account));
    }
    // Written by hand to keep AWS's element order (serde_json would sort keys).
    let quote = |text: &str| serde_json::Value::from(text).to_string();
    let aws = principals
        .iter()
        .map(|p| quote(p))
        .collect::<Vec<_>>()
        .join(", ");
    let mut conditions = Vec::new();
    if !external_id.is_empty() {
        conditions.push(format!(
            "\"StringEquals\": {{ \"sts:ExternalId\": {} }}",
            quote(external_id)
        ));
    }
    if require_mfa {
        conditions.push("\"Bool\": { \"aws:MultiFactorAuthPresent\": \"true\" }".into());
    }
    let condition = if conditions.is_empty() {
        String::new()
    } else {
        format!(
            ",\n      \"Condition\": {{\n        {}\n      }}",
            conditions.join(",\n        ")
        )
    };
    format!(
        "{{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {{\n      \"Effect\": \"Allow\",\n      \"Principal\": {{ \"AWS\": [{aws}] }},\n      \"Action\": \"sts:AssumeRole\"{condition}\n    }}\n  ]\n}}"
    )
}

/// Hours of a role's maximum session: AWS allows 1 to 12.
/// A maximum session in seconds: 1 to 12 hours, as AWS allows.
fn max_session(seconds: i32) -> Result<i32, ServiceError> {
    if (3600..=43_200).contains(&seconds) {
        Ok(seconds)
    } else {
        Err(ServiceError::invalid(
            "max_session_hours",
            "The maximum session lasts 1 to 12 hours (3600 to 43200 seconds).",
        ))
    }
}

/// A role's trust policy as the engine's resource policy.
pub(crate) fn trust_set(role: &Role) -> Result<PolicySet, ServiceError> {
    let trust = PolicyDocument::parse_stored(&role.trust_policy, PolicyKind::Trust)
        .map_err(ServiceError::internal)?;
    let mut set = PolicySet::new();
    set.add("trust policy", &trust);
    Ok(set)
}

/// Whether a statement of the trust policy itself allowed the request (an identity
/// policy allowing sts:AssumeRole is never enough).
pub(crate) fn trust_allowed(explanation: &policy::Explanation) -> bool {
    explanation
        .matched
        .iter()
        .any(|m| m.layer == Layer::Resource && m.effect == Effect::Allow)
}

fn description(text: &str) -> Result<&str, ServiceError> {
    let text = text.trim();
    if text.chars().count() > 1000 {
        return Err(ServiceError::invalid(
            "description",
            "Descriptions have at most 1,000 characters.",
        ));
    }
    Ok(text)
}

/// Names in a list field, split by commas, spaces and lines.
fn names(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ' ', '\n', '\r'])
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// One answer for a missing role and a refusal, so switching cannot be used to
/// learn which roles exist.
fn cannot_switch(role: &str) -> String {
    format!(
        "You cannot switch to role {role}: it does not exist, or its trust policy does not admit you (check the external ID)."
    )
}

/// The context of a request to assume a role: its session name and external id.
pub(crate) fn trust_context(session_name: &str, external_id: &str) -> Extra {
    let extra = Extra::new().with("sts:RoleSessionName", session_name);
    if external_id.is_empty() {
        extra
    } else {
        extra.with("sts:ExternalId", external_id)
    }
}

impl Service {
    pub(crate) async fn role_for(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
    ) -> Result<(Role, Permit), ServiceError> {
        self.role_for_with(caller, action, name, Extra::new()).await
    }

    /// [`Service::role_for`] with the request's own context keys; the role's
    /// boundary and tags are added to them.
    pub(crate) async fn role_for_with(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
        extra: Extra,
    ) -> Result<(Role, Permit), ServiceError> {
        let name = name.trim();
        let found = self.store.role(name).await?;
        let resource = match &found {
            Some(role) => role.arn.clone(),
            None => arn::role(&caller.account_id, name),
        };
        let extra = match &found {
            Some(role) => extra
                .with_boundary(role.boundary_arn.as_deref())
                .with_resource_tags(&role.tags),
            None => extra,
        };
        let permit = self
            .authorize_with(caller, action, &resource, &extra)
            .await?;
        let role = found.ok_or_else(|| ServiceError::no_such("role", name))?;
        crate::service_linked_roles::check_unprotected(&role.arn, &role.name, action)?;
        Ok((role, permit))
    }

    /// The role a `RoleArn` names in this account (path included), without any
    /// authorization: the trust policy decides who may assume it.
    pub(crate) async fn role_by_arn(
        &self,
        account: &str,
        role_arn: &str,
    ) -> Result<Option<Role>, ServiceError> {
        let name = role_arn
            .strip_prefix(&format!("arn:aws:iam::{account}:role/"))
            .and_then(|rest| rest.rsplit('/').next())
            .unwrap_or_default();
        if name.is_empty() {
            return Ok(None);
        }
        Ok(self
            .store
            .role(name)
            .await?
            .filter(|r| r.arn.eq_ignore_ascii_case(role_arn)))
    }

    pub async fn list_roles(&self, caller: &Caller) -> Result<Vec<RoleRow>, ServiceError> {
        self.authorize(caller, "iam:ListRoles", &arn::roles(&caller.account_id))
            .await?;
        Ok(self
            .store
            .roles()
            .await?
            .into_iter()
            .map(|r| RoleRow {
                trusted: trusted(&r.trust_policy).join("; "),
                name: r.name,
                description: r.description,
                max_session_hours: r.max_session_seconds / 3600,
                holders: r.holders.len(),
                created: format::date(r.created_at),
            })
            .collect())
    }

    /// Creates a role. Its trust policy is the pasted document, or one built from
    /// the trusted users and accounts, external ID and MFA fields.
    pub async fn create_role(&self, caller: &Caller, form: NewRole) -> Result<Role, ServiceError> {
        let name = form.name.trim();
        model::validate::role_name(name).map_err(|m| ServiceError::invalid("name", m))?;
        let description = description(&form.description)?;
        let max_session = max_session(
            form.max_session_seconds
                .unwrap_or(form.max_session_hours.saturating_mul(3600)),
        )?;
        model::tags::check_all(&form.tags)?;
        let tags: std::collections::BTreeMap<String, String> = form.tags.iter().cloned().collect();
        crate::service_linked_roles::refuse_reserved_path(&form)?;
        let path = crate::authz::entity_path(&form.path)?;
        let target = arn::at(&caller.account_id, "role", path, name);
        let extra = Extra::new().with_request_tags(&tags);
        let permit = self
            .authorize_with(caller, "iam:CreateRole", &target, &extra)
            .await?;
        if !tags.is_empty() {
            self.authorize_with(caller, "iam:TagRole", &target, &extra)
                .await?;
        }
        let document = if form.trust_policy.trim().is_empty() {
            let external_id = form.external_id.trim();
            if !external_id.is_empty() {
                model::validate::external_id(external_id)
                    .map_err(|m| ServiceError::invalid("external_id", m))?;
            }
            let mut users = Vec::new();
            for user in names(&form.trusted_users) {
                match self.store.user_by_name(user).await? {
                    Some(found) => users.push(found.name),
                    None => return Err(ServiceError::no_such_in("trusted_users", "user", user)),
                }
            }
            let mut accounts = Vec::new();
            for other in names(&form.trusted_accounts) {
                if other.len() != 12 || !other.chars().all(|c| c.is_ascii_digit()) {
                    return Err(ServiceError::invalid(
                        "trusted_accounts",
                        format!("\"{other}\" is not an account ID: account IDs are 12 digits."),
                    ));
                }
                accounts.push(other.to_string());
            }
            trust_policy(
                &caller.account_id,
                &users,
                &accounts,
                external_id,
                form.require_mfa,
            )
        } else {
            form.trust_policy.clone()
        };
        crate::policies::validated(&document, PolicyKind::Trust, "trust_policy")?;
        self.store
            .create_role(
                &caller.account_id,
                &store::roles::NewRole {
                    name,
                    path,
                    description,
                    trust_policy: &document,
                    max_session_seconds: max_session,
                    tags: &tags,
                },
                &permit.audit(caller, ""),
            )
            .await
            .on_field("name")
    }

    pub async fn role_overview(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<RoleDetail, ServiceError> {
        let (role, _) = self.role_for(caller, "iam:GetRole", name).await?;
        let refusals = self
            .refusals(
                caller,
                &[
                    ("iam:UpdateAssumeRolePolicy", role.arn.clone()),
                    ("iam:UpdateRole", role.arn.clone()),
                    ("iam:DeleteRole", role.arn.clone()),
                    ("iam:PutRolePolicy", role.arn.clone()),
                ],
            )
            .await?;
        let active_sessions = self
            .store
            .active_role_sessions(&role.id, caller.now)
            .await?;
        let permissions = self.store.role_permissions(&role.id).await?;
        let access = self
            .access(
                caller,
                Holder::Role,
                &role.id,
                &role.name,
                &role.arn,
                permissions,
            )
            .await?;
        Ok(RoleDetail {
            trusted: trusted(&role.trust_policy),
            name: role.name,
            arn: role.arn,
            description: role.description,
            created: format::date(role.created_at),
            max_session_hours: role.max_session_seconds / 3600,
            trust_policy: role.trust_policy,
            holders: role.holders,
            active_sessions,
            access,
            refusals,
        })
    }

    /// Replaces who may assume the role.
    pub async fn update_trust_policy(
        &self,
        caller: &Caller,
        name: &str,
        document: &str,
    ) -> Result<(), ServiceError> {
        let (role, permit) = self
            .role_for(caller, "iam:UpdateAssumeRolePolicy", name)
            .await?;
        crate::policies::validated(document, PolicyKind::Trust, "trust_policy")?;
        self.store
            .update_trust_policy(
                &role.id,
                document,
                &permit.audit(caller, "trust policy replaced"),
            )
            .await?;
        Ok(())
    }

    /// Changes the description and the maximum session (in seconds).
    pub async fn update_role(
        &self,
        caller: &Caller,
        name: &str,
        description_text: &str,
        max_session_seconds: i32,
    ) -> Result<(), ServiceError> {
        let max_session = max_session(max_session_seconds)?;
        self.change_role(
            caller,
            "iam:UpdateRole",
            name,
            description_text,
            Some(max_session),
        )
        .await
    }

    /// Changes only the description (AWS's `UpdateRoleDescription`, its own action).
    pub async fn update_role_description(
        &self,
        caller: &Caller,
        name: &str,
        description_text: &str,
    ) -> Result<(), ServiceError> {
        self.change_role(
            caller,
            "iam:UpdateRoleDescription",
            name,
            description_text,
            None,
        )
        .await
    }

    async fn change_role(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
        description_text: &str,
        max_session: Option<i32>,
    ) -> Result<(), ServiceError> {
        let description_text = description(description_text)?;
        let (role, permit) = self.role_for(caller, action, name).await?;
        let max_session = max_session.unwrap_or(role.max_session_seconds);
        self.store
            .update_role(
                &role.id,
                description_text,
                max_session,
                &permit.audit(caller, format!("maximum session {max_session} s")),
            )
            .await?;
        Ok(())
    }

    pub async fn delete_role(
        &self,
        caller: &Caller,
        name: &str,
        confirm: &str,
    ) -> Result<(), ServiceError> {
        let (role, permit) = self.role_for(caller, "iam:DeleteRole", name).await?;
        if confirm.trim() != role.name {
            return Err(ServiceError::invalid(
                "confirm",
                format!("Type {} to confirm the deletion.", role.name),
            ));
        }
        self.store
            .delete_role(
                &role.id,
                &permit.audit(caller, "role, its policies and grants deleted"),
            )
            .await?;
        Ok(())
    }

    /// Starts a session of `role_name` for the caller, if its trust policy admits
    /// them (with the external ID given and the sign-in's MFA), for `hours` within
    /// the role's maximum. The session is recorded with its audit row; the door
    /// keeps its id.
    pub async fn switch_role(
        &self,
        caller: &Caller,
        role_name: &str,
        external_id: &str,
        hours: i32,
    ) -> Result<RoleSession, ServiceError> {
        let role_name = role_name.trim();
        let external_id = external_id.trim();
        if caller.user.is_root {
            return Err(ServiceError::invalid(
                "role",
                "The root user cannot switch roles. Sign in as an IAM user to use roles.",
            ));
        }
        if caller.role.is_some() {
            return Err(ServiceError::invalid(
                "role",
                "You are already in a role session. Go back to your own identity first.",
            ));
        }
        if role_name.is_empty() {
            return Err(ServiceError::invalid("role", "Enter the role's name."));
        }
        if !external_id.is_empty() {
            model::validate::external_id(external_id)
                .map_err(|m| ServiceError::invalid("external_id", m))?;
        }
        if !store::roles::session_hours_allowed(hours) {
            return Err(ServiceError::invalid(
                "duration_hours",
                "A role session lasts 1 to 12 hours.",
            ));
        }
        const ASSUME: &str = "sts:AssumeRole";
        let refused = |detail: String, resource: &str| {
            caller.audit(ASSUME, resource, Outcome::Denied, detail)
        };
        let Some(role) = self.store.role(role_name).await? else {
            let resource = arn::role(&caller.account_id, role_name);
            self.store
                .audit(&refused("refused: no such role".into(), &resource))
                .await?;
            return Err(ServiceError::Refused(cannot_switch(role_name)));
        };
        if let Err(detail) = self
            .check_trust(
                caller,
                &role,
                ASSUME,
                &trust_context(&caller.user.name, external_id),
            )
            .await?
        {
            self.store.audit(&refused(detail, &role.arn)).await?;
            return Err(ServiceError::Refused(cannot_switch(role_name)));
        }
        let seconds = i64::from(hours) * 3600;
        if seconds > i64::from(role.max_session_seconds) {
            return Err(ServiceError::invalid(
                "duration_hours",
                format!(
                    "Role {} allows sessions of at most {} hours.",
                    role.name,
                    role.max_session_seconds / 3600
                ),
            ));
        }
        let now = caller.now.unix_timestamp();
        let audit = caller.audit(
            ASSUME,
            &role.arn,
            Outcome::Success,
            format!("role session for {hours} h"),
        );
        let id = self
            .store
            .start_role_session(
                &caller.user.id,
                &role.id,
                &caller.user.name,
                now,
                now + seconds,
                &audit,
            )
            .await?;
        Ok(RoleSession {
            id,
            user_id: caller.user.id.clone(),
            role_id: role.id,
            role_name: role.name,
            role_arn: role.arn,
            session_name: caller.user.name.clone(),
            started: now,
            expires: now + seconds,
            tags: role.tags,
            attributes: Default::default(),
        })
    }

    /// Whether `role`'s trust policy, with the caller's own policies, lets the caller
    /// start a session named `session_name`: `Err(detail)` for the audit row if not.
    /// Unlike most resource policies, a trust policy is never optional: whatever the
    /// caller's own policies allow, the role must trust them.
    /// Whether the role's trust policy (with the caller's own policies) allows
    /// `action` (`sts:AssumeRole`, `sts:TagSession`, `sts:SetSourceIdentity`) with the
    /// request's context `extra`; `Err` carries the audit detail of a refusal.
    pub(crate) async fn check_trust(
        &self,
        caller: &Caller,
        role: &store::Role,
        action: &'static str,
        extra: &Extra,
    ) -> Result<Result<(), String>, ServiceError> {
        let trust_set = trust_set(role)?;
        let compiled = self.compiled(caller).await?;
        let request = engine_request(caller, action, &role.arn, extra)?;
        let explanation = compiled
            .evaluator_for(caller)
            .with_resource_policy(&trust_set)
            .explain(&request);
        let trusted = trust_allowed(&explanation);
        if explanation.decision == Decision::Allow && trusted {
            return Ok(Ok(()));
        }
        let layers: Vec<&str> = explanation.blocked_by.iter().map(|l| l.as_str()).collect();
        Ok(Err(if trusted {
            format!(
                "refused {action}: {} ({})",
                explanation.decision.as_str(),
                layers.join(", ")
            )
        } else {
            format!("refused {action}: not trusted (trust policy)")
        }))
    }

    /// Deletes a role with no policies left and given to nobody (AWS's `DeleteRole`).
    pub async fn delete_unused_role(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(), ServiceError> {
        let (role, permit) = self.role_for(caller, "iam:DeleteRole", name).await?;
        self.store
            .delete_unused_role(&role.id, &permit.audit(caller, "role deleted"))
            .await?;
        Ok(())
    }

    /// Ends the caller's role session: requests act as the user again.
    pub async fn switch_back(&self, caller: &Caller) -> Result<(), ServiceError> {
        let Some(role) = &caller.role else {
            return Ok(());
        };
        let audit = caller.audit(
            "signin:SwitchBack",
            &role.role_arn,
            Outcome::Success,
            "back to own identity",
        );
        self.store.end_role_session(&role.id, &audit).await?;
        Ok(())
    }
}
