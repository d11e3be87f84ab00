//! The account as a whole through the API: its summary of entities and quotas, its
//! alias, and who a managed policy is attached to.

use store::{Group, Role, User};

use crate::lookup::ManagedPolicyView;
use crate::{Caller, Service, ServiceError};

/// AWS's pattern for account aliases: 3 to 63 lower-case letters, digits and single
/// hyphens, starting and ending with a letter or digit.
pub fn valid_alias(alias: &str) -> bool {
    let bytes = alias.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !alias.starts_with('-')
        && !alias.ends_with('-')
        && !alias.contains("--")
}

/// Where a managed policy is attached.
#[derive(Debug, Clone, Default)]
pub struct PolicyEntities {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub roles: Vec<Role>,
}

impl Service {
    /// `iam:GetAccountSummary`: counts of entities and the quotas Portcullis enforces.
    pub async fn account_summary(
        &self,
        caller: &Caller,
    ) -> Result<Vec<(&'static str, i64)>, ServiceError> {
        self.authorize(caller, "iam:GetAccountSummary", "*").await?;
        let users = self.store.all_users().await?;
        let root = self.store.root().await?;
        let root_keys = match &root {
            Some(r) => self.store.access_keys_of(&r.id).await?.len(),
            None => 0,
        };
        let mfa_in_use = users.iter().filter(|u| u.mfa_enabled).count()
            + usize::from(root.as_ref().is_some_and(|r| r.mfa_enabled));
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        Ok(vec![
            ("Users", count(users.len())),
            ("UsersQuota", 5000),
            ("Groups", count(self.store.list_groups().await?.len())),
            ("GroupsQuota", 300),
            ("Roles", count(self.store.roles().await?.len())),
            ("RolesQuota", 1000),
            (
                "Policies",
                count(self.store.customer_policies().await?.len()),
            ),
            ("PoliciesQuota", 1500),
            ("PolicyVersionsInUseQuota", 10000),
            ("AttachedPoliciesPerUserQuota", 10),
            ("AttachedPoliciesPerGroupQuota", 10),
            ("AttachedPoliciesPerRoleQuota", 10),
            ("GroupsPerUserQuota", 10),
            (
                "AccessKeysPerUserQuota",
                store::access_keys::MAX_ACCESS_KEYS,
            ),
            ("MFADevices", count(mfa_in_use)),
            ("MFADevicesInUse", count(mfa_in_use)),
            (
                "AccountMFAEnabled",
                i64::from(root.as_ref().is_some_and(|r| r.mfa_enabled)),
            ),
            ("AccountAccessKeysPresent", i64::from(root_keys > 0)),
            ("UserPolicySizeQuota", 2048),
            ("GroupPolicySizeQuota", 5120),
            ("PolicySizeQuota", 6144),
            ("VersionsPerPolicyQuota", 5),
        ])
    }

    /// `iam:ListAccountAliases`.
    pub async fn account_aliases(&self, caller: &Caller) -> Result<Vec<String>, ServiceError> {
        self.authorize(caller, "iam:ListAccountAliases", "*")
            .await?;
        Ok(self.store.account_alias().await?.into_iter().collect())
    }

    /// `iam:CreateAccountAlias`: sets the alias (replacing the old one).
    pub async fn create_account_alias(
        &self,
        caller: &Caller,
        alias: &str,
    ) -> Result<(), ServiceError> {
        let permit = self
            .authorize(caller, "iam:CreateAccountAlias", "*")
            .await?;
        if !valid_alias(alias) {
            return Err(ServiceError::invalid(
                "alias",
                "An account alias has 3 to 63 lower-case letters, digits and single hyphens, and starts and ends with a letter or digit.",
            ));
        }
        self.store
            .create_account_alias(alias, &permit.audit(caller, format!("alias {alias}")))
            .await?;
        Ok(())
    }

    /// `iam:DeleteAccountAlias`.
    pub async fn delete_account_alias(
        &self,
        caller: &Caller,
        alias: &str,
    ) -> Result<(), ServiceError> {
        let permit = self
            .authorize(caller, "iam:DeleteAccountAlias", "*")
            .await?;
        self.store
            .delete_account_alias(
                alias,
                &permit.audit(caller, format!("alias {alias} removed")),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => ServiceError::NotFound {
                    field: Some("alias"),
                    message: format!("The account alias {alias} cannot be found."),
                },
                other => other.into(),
            })
    }

    /// `iam:ListEntitiesForPolicy`: the users, groups and roles `policy` is attached to.
    pub async fn entities_for_policy(
        &self,
        policy: &ManagedPolicyView,
    ) -> Result<PolicyEntities, ServiceError> {
        let mut out = PolicyEntities::default();
        let mut seen = std::collections::BTreeSet::new();
        for holder in self.store.policy_attachments(&policy.arn).await? {
            // Boundaries count too, as AWS lists them when no usage filter is given.
            let holder = holder
                .strip_suffix(" (boundary)")
                .unwrap_or(&holder)
                .to_string();
            if !seen.insert(holder.clone()) {
                continue;
            }
            match holder.split_once(' ') {
                Some(("user", name)) => out.users.extend(self.store.user_by_name(name).await?),
                Some(("group", name)) => out.groups.extend(self.store.group(name).await?),
                Some(("role", name)) => out.roles.extend(self.store.role(name).await?),
                _ => {}
            }
        }
        Ok(out)
    }
}
