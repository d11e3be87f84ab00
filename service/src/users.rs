//! IAM users: list, create, inspect, reset a password, unlock, remove an MFA device,
//! end sessions, delete.

use std::collections::BTreeMap;

use model::audit::ActivityRow;
use model::users::{PasswordMode, UserDetail, UserPage, UserRow, UserSort, PER_PAGE};
use model::Holder;
use store::{Outcome, User};

use crate::authz::{arn, Extra, Permit};
use crate::error::OnField;
use crate::format;
use crate::passwords::generate_password;
use crate::{Caller, Service, ServiceError};

/// A user to create, as the form or the API gives it.
#[derive(Debug, Clone)]
pub struct NewUserInput {
    pub name: String,
    /// `/` or `/a/b/` (blank is `/`).
    pub path: String,
    pub password_mode: PasswordMode,
    pub password: String,
    pub require_reset: bool,
    /// `key=value` lines (the console's form).
    pub tags: String,
    /// Tags as pairs (the API's `Tags.member.N`), added to those of `tags`.
    pub tag_pairs: Vec<(String, String)>,
    /// A managed policy's ARN to set as the permissions boundary.
    pub boundary: Option<String>,
}

/// A created user, and the generated password to show once.
#[derive(Debug, Clone)]
pub struct CreatedUser {
    pub user: User,
    pub generated_password: Option<String>,
}

/// Choosing a user's billing group: Portcullis's own action, on the user.
pub const SET_BILLING_GROUP: &str = "portcullis:SetBillingGroup";
impl Service {
    /// Looks `name` up and authorizes `action` on the user's stored ARN, or, when
    /// there is no such user, on the ARN the name would have (so a refusal looks the
    /// same whether the user exists or not). Then `NoSuchEntity` if it does not.
    pub(crate) async fn user_for(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
        extra: impl FnOnce(&User) -> Extra,
    ) -> Result<(User, Permit), ServiceError> {
        let found = self.store.user_by_name(name.trim()).await?;
        let permit = match &found {
            Some(user) => {
                let extra = extra(user).with_resource_tags(&user.tags);
                self.authorize_with(caller, action, &user.arn, &extra)
                    .await?
            }
            None => {
                self.authorize(caller, action, &arn::user(&caller.account_id, name.trim()))
                    .await?
            }
        };
        let user = found.ok_or_else(|| ServiceError::no_such("user", name.trim()))?;
        Ok((user, permit))
    }

    /// The user an operation names, or without a name the caller's own user (AWS's
    /// rule for keys, `GetUser`, MFA devices), authorized as `action` on its ARN with
    /// its boundary in context. Role sessions have no user of their own: they must
    /// name one.
    pub(crate) async fn user_or_own(
        &self,
        caller: &Caller,
        action: &'static str,
        name: Option<&str>,
    ) -> Result<(User, Permit), ServiceError> {
        match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => {
                self.user_for(caller, action, name, Extra::boundary_of)
                    .await
            }
            None if caller.role.is_some() => Err(ServiceError::invalid(
                "user",
                "Must specify userName when calling with non-User credentials",
            )),
            None => {
                let permit = self.authorize(caller, action, &caller.user.arn).await?;
                Ok((caller.user.clone(), permit))
            }
        }
    }

    pub async fn list_users(
        &self,
        caller: &Caller,
        search: &str,
        sort: UserSort,
        descending: bool,
        page: i64,
    ) -> Result<UserPage, ServiceError> {
        self.authorize(caller, "iam:ListUsers", &arn::users(&caller.account_id))
            .await?;
        let query = store::UserQuery {
            search: search.chars().take(64).collect(),
            sort,
            descending,
            page: page.max(0),
            per_page: PER_PAGE,
        };
        let result = self.store.list_users(&query).await?;
        let now = caller.now;
        Ok(UserPage {
            rows: result
                .items
                .into_iter()
                .map(|u| UserRow {
                    name: u.name,
                    console_access: u.has_password,
                    mfa_enabled: u.mfa_enabled,
                    groups: u.groups,
                    last_sign_in: u
                        .last_sign_in_at
                        .map_or_else(|| "Never".into(), format::date),
                    password_age: if u.has_password {
                        format::ago(u.password_changed_at, now, "None")
                    } else {
                        "None".into()
                    },
                    created: format::date(u.created_at),
                })
                .collect(),
            total: result.total,
            page: query.page,
            per_page: PER_PAGE,
        })
    }

    /// Creates a user, as `iam:CreateUser` with the request's tags (`aws:RequestTag/*`,
    /// `aws:TagKeys`) and boundary (`iam:PermissionsBoundary`) in context; tags also
    /// need `iam:TagUser` and a boundary `iam:PutUserPermissionsBoundary`, as in AWS.
    pub async fn create_user(
        &self,
        caller: &Caller,
        input: NewUserInput,
    ) -> Result<CreatedUser, ServiceError> {
        let name = input.name.trim().to_string();
        model::validate::user_name(&name).map_err(|m| ServiceError::invalid("name", m))?;
        let mut pairs =
            model::tags::parse_lines(&input.tags).map_err(|m| ServiceError::invalid("tags", m))?;
        pairs.extend(input.tag_pairs.iter().cloned());
        model::tags::check_all(&pairs)?;
        let tags: BTreeMap<String, String> = pairs.into_iter().collect();
        let boundary = input
            .boundary
            .as_deref()
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .map(String::from);
        let path = crate::authz::entity_path(&input.path)?.to_string();
        let target = arn::at(&caller.account_id, "user", &path, &name);
        let extra = Extra::new()
            .with_request_tags(&tags)
            .with_boundary(boundary.as_deref());
        let permit = self
            .authorize_with(caller, "iam:CreateUser", &target, &extra)
            .await?;
        if !tags.is_empty() {
            self.authorize_with(caller, "iam:TagUser", &target, &extra)
                .await?;
        }
        if let Some(boundary) = &boundary {
            self.authorize_with(caller, "iam:PutUserPermissionsBoundary", &target, &extra)
                .await?;
            self.known_policy(boundary, "boundary")?;
        }
        let policy = self.store.settings().await?.password_policy;
        let (hash, generated) = match input.password_mode {
            PasswordMode::None => (None, None),
            PasswordMode::Custom => {
                self.check_new_password(&policy, &input.password, &input.password, None)
                    .await?;
                (Some(self.hash_password(&input.password).await?), None)
            }
            PasswordMode::Generated => {
                let password = generate_password(&policy);
                (Some(self.hash_password(&password).await?), Some(password))
            }
        };
        let detail = match (&hash, &boundary) {
            (Some(_), Some(b)) => format!("with console password; boundary {b}"),
            (Some(_), None) => "with console password".to_string(),
            (None, Some(b)) => format!("without console password; boundary {b}"),
            (None, None) => "without console password".to_string(),
        };
        let new_user = store::NewUser {
            name,
            path,
            password_reset_required: hash.is_some() && input.require_reset,
            password_hash: hash,
            tags,
            boundary_arn: boundary,
        };
        let user = self
            .store
            .create_user(
                &caller.account_id,
                &new_user,
                caller.now,
                &permit.audit(caller, detail),
            )
            .await
            .on_field("name")?;
        Ok(CreatedUser {
            user,
            generated_password: generated,
        })
    }

    /// Everything a user's page shows, with the changes the caller may not make.
    /// `generated_password` is the one-time password to show, if the door kept one.
    pub async fn user_overview(
        &self,
        caller: &Caller,
        name: &str,
        generated_password: Option<String>,
    ) -> Result<UserDetail, ServiceError> {
        let (user, _) = self
            .user_for(caller, "iam:GetUser", name, |_| Extra::new())
            .await?;
        let refusals = self
            .refusals(
                caller,
                &[
                    ("iam:DeleteUser", user.arn.clone()),
                    ("iam:UpdateLoginProfile", user.arn.clone()),
                    ("iam:DeactivateMFADevice", user.arn.clone()),
                    ("portcullis:SignOutUser", user.arn.clone()),
                    ("iam:AddUserToGroup", arn::groups(&caller.account_id)),
                    (SET_BILLING_GROUP, user.arn.clone()),
                    ("iam:RemoveUserFromGroup", arn::groups(&caller.account_id)),
                ],
            )
            .await?;
        let now = caller.now;
        let groups = self.store.groups_of_user(&user.id).await?;
        let (chosen, billing_group) = self.store.billing_group(&user.id).await?;
        let all_groups = self
            .store
            .list_groups()
            .await?
            .into_iter()
            .map(|g| g.name)
            .collect();
        // The user's history is the audit log's: only for those who may read it.
        let audit = self
            .refusals(caller, &[(crate::audit::LOOKUP, "*".to_string())])
            .await?;
        let activity_refused = audit
            .reason(crate::audit::LOOKUP)
            .map(|reason| format!("Not allowed ({}): {reason}.", crate::audit::LOOKUP));
        let activity = if activity_refused.is_none() {
            self.store
                .audit_about(&user.arn, 20)
                .await?
                .into_iter()
                .map(crate::audit::row)
                .collect()
        } else {
            Vec::<ActivityRow>::new()
        };
        let permissions = self.store.user_permissions(&user.id).await?;
        let access = self
            .access(
                caller,
                Holder::User,
                &user.id,
                &user.name,
                &user.arn,
                permissions,
            )
            .await?;
        Ok(UserDetail {
            name: user.name.clone(),
            arn: user.arn.clone(),
            id: user.id.clone(),
            created: format::date(user.created_at),
            console_access: user.password_hash.is_some(),
            password_reset_required: user.password_reset_required,
            password_age: format::ago(user.password_changed_at, now, "No password"),
            last_sign_in: user
                .last_sign_in_at
                .map_or_else(|| "Never".into(), format::date),
            locked: user.locked_until.is_some_and(|t| t > now),
            mfa_enabled: user.mfa_enabled,
            groups,
            all_groups,
            billing_group,
            billing_group_chosen: chosen.is_some(),
            activity,
            activity_refused,
            generated_password,
            access,
            refusals,
        })
    }

    /// Chooses the group a user's created resources are billed to (one of the
    /// user's groups; empty: the first group joined), then places costs again.
    pub async fn set_billing_group(
        &self,
        caller: &Caller,
        name: &str,
        group: &str,
    ) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(caller, SET_BILLING_GROUP, name, |_| Extra::new())
            .await?;
        if user.is_root {
            return Err(ServiceError::no_such("user", name.trim()));
        }
        let group = group.trim();
        let group_id = if group.is_empty() {
            None
        } else {
            let found = self
                .store
                .group(group)
                .await?
                .ok_or_else(|| ServiceError::no_such_in("billing_group", "group", group))?;
            if !found
                .members
                .iter()
                .any(|m| m.eq_ignore_ascii_case(&user.name))
            {
                return Err(ServiceError::invalid(
                    "billing_group",
                    format!(
                        "{} is not in {}; a billing group is one of the user's groups.",
                        user.name, found.name
                    ),
                ));
            }
            Some(found.id)
        };
        let detail = match &group_id {
            Some(_) => format!("billing group {group}"),
            None => "billing group: the first group joined".to_string(),
        };
        self.store
            .set_billing_group(&user.id, group_id.as_deref(), &permit.audit(caller, detail))
            .await?;
        self.reallocate(None).await?;
        self.evaluate_budgets().await?;
        Ok(())
    }

    /// Deletes a user after the administrator typed its name to confirm.
    pub async fn delete_user(
        &self,
        caller: &Caller,
        name: &str,
        confirm: &str,
    ) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(caller, "iam:DeleteUser", name, Extra::boundary_of)
            .await?;
        if confirm.trim() != user.name {
            return Err(ServiceError::invalid(
                "confirm",
                format!("Type {} to confirm the deletion.", user.name),
            ));
        }
        self.store
            .delete_user(
                &user.id,
                &permit.audit(caller, "user, memberships and credentials deleted"),
            )
            .await?;
        Ok(())
    }

    /// Renames a user or moves it to another path (AWS's `UpdateUser`): authorized as
    /// `iam:UpdateUser` on both the old and the new ARN, so a Deny on either stops it.
    /// Its sessions, keys and memberships follow (they hold its id, not its name).
    pub async fn update_user(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<User, ServiceError> {
        let (user, permit) = self
            .user_for(caller, "iam:UpdateUser", name, Extra::boundary_of)
            .await?;
        let new_name = match new_name.map(str::trim) {
            Some(n) => {
                model::validate::user_name(n).map_err(|m| ServiceError::invalid("new_name", m))?;
                n.to_string()
            }
            None => user.name.clone(),
        };
        let new_path = match new_path {
            Some(p) => crate::authz::entity_path(p)?.to_string(),
            None => crate::lookup::entity_path(&user.arn, "user"),
        };
        let new_arn = arn::at(&caller.account_id, "user", &new_path, &new_name);
        if new_arn == user.arn {
            return Ok(user);
        }
        self.authorize(caller, "iam:UpdateUser", &new_arn).await?;
        self.store
            .rename_user(
                &user.id,
                &new_name,
                &new_arn,
                &permit.audit(caller, format!("now {new_arn}")),
            )
            .await
            .on_field("new_name")?;
        Ok(User {
            name: new_name,
            arn: new_arn,
            ..user
        })
    }

    /// Deletes a user that has no credentials, memberships or policies left (AWS's
    /// `DeleteUser`: the API's callers remove those first, as AWS's do).
    pub async fn delete_unused_user(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(caller, "iam:DeleteUser", name, Extra::boundary_of)
            .await?;
        self.store
            .delete_unused_user(&user.id, &permit.audit(caller, "user deleted"))
            .await?;
        Ok(())
    }

    /// Sets (or generates) a user's console password; the user's sessions end.
    /// Returns the generated password, to show once.
    pub async fn reset_user_password(
        &self,
        caller: &Caller,
        name: &str,
        mode: PasswordMode,
        password: &str,
        require_reset: bool,
    ) -> Result<Option<String>, ServiceError> {
        let (user, permit) = self
            .user_for(caller, "iam:UpdateLoginProfile", name, |_| Extra::new())
            .await?;
        let policy = self.store.settings().await?.password_policy;
        let (password, generated) = match mode {
            PasswordMode::Custom => {
                self.check_new_password(&policy, password, password, Some(&user.id))
                    .await?;
                (password.to_string(), false)
            }
            PasswordMode::Generated | PasswordMode::None => (generate_password(&policy), true),
        };
        let hash = self.hash_password(&password).await?;
        self.store
            .set_password(
                &user.id,
                &hash,
                require_reset,
                caller.now,
                &permit.audit(
                    caller,
                    "console password reset by administrator; sessions ended",
                ),
            )
            .await?;
        Ok(generated.then_some(password))
    }

    /// Sets `user`'s console password under the account's password policy, as the
    /// already authorized `action`; the user's sessions end.
    pub(crate) async fn set_password_as(
        &self,
        caller: &Caller,
        user: &User,
        action: &'static str,
        password: &str,
        require_reset: bool,
    ) -> Result<(), ServiceError> {
        let policy = self.store.settings().await?.password_policy;
        self.check_new_password(&policy, password, password, Some(&user.id))
            .await?;
        let hash = self.hash_password(password).await?;
        self.store
            .set_password(
                &user.id,
                &hash,
                require_reset,
                caller.now,
                &caller.audit(
                    action,
                    &user.arn,
                    Outcome::Success,
                    "console password set; sessions ended",
                ),
            )
            .await?;
        Ok(())
    }

    pub async fn unlock_user(&self, caller: &Caller, name: &str) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(caller, "iam:UpdateLoginProfile", name, |_| Extra::new())
            .await?;
        self.store
            .unlock_user(&user.id, &permit.audit(caller, "unlocked"))
            .await?;
        Ok(())
    }

    /// An administrator removes a user's MFA device (lost phone); the user's
    /// sessions end.
    pub async fn deactivate_user_mfa(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(caller, "iam:DeactivateMFADevice", name, |_| Extra::new())
            .await?;
        if !user.mfa_enabled {
            return Err(ServiceError::Conflict(format!(
                "{} has no MFA device.",
                user.name
            )));
        }
        self.store
            .disable_mfa(
                &user.id,
                &permit.audit(caller, "deactivated by administrator; sessions ended"),
            )
            .await?;
        Ok(())
    }

    /// Ends every console session of a user (a stolen laptop, a leaver).
    pub async fn sign_out_user(&self, caller: &Caller, name: &str) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(caller, "portcullis:SignOutUser", name, |_| Extra::new())
            .await?;
        self.store
            .end_sessions(&user.id, &permit.audit(caller, "all sessions ended"))
            .await?;
        Ok(())
    }

    /// The root user's password from the shell: the same policy as everywhere,
    /// audited as the operator; root's sessions end, and with `remove_mfa` its MFA
    /// device goes too (a lost authenticator).
    pub async fn reset_root_password(
        &self,
        password: &str,
        remove_mfa: bool,
    ) -> Result<(), ServiceError> {
        let Some(root) = self.store.root().await? else {
            return Err(ServiceError::Conflict(
                "The account is not set up yet: open the console to create the root user.".into(),
            ));
        };
        let policy = self.store.settings().await?.password_policy;
        self.check_new_password(&policy, password, password, Some(&root.id))
            .await?;
        let hash = self.hash_password(password).await?;
        let now = self.clock.now();
        let entry = |action: &'static str, detail: &str| store::AuditEntry {
            at: now,
            actor: "shell".into(),
            action,
            target: root.arn.clone(),
            source_ip: "local".into(),
            outcome: Outcome::Success,
            detail: detail.into(),
        };
        self.store
            .set_password(
                &root.id,
                &hash,
                false,
                now,
                &entry(
                    "portcullis:ResetRootPassword",
                    "reset from the shell; sessions ended",
                ),
            )
            .await?;
        if remove_mfa && root.mfa_enabled {
            self.store
                .disable_mfa(
                    &root.id,
                    &entry("iam:DeactivateMFADevice", "root MFA removed from the shell"),
                )
                .await?;
        }
        Ok(())
    }
}
