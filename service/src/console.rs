//! What the console's frame needs about the caller: who they are, which sections
//! the menu opens, the region to act in.

use model::session::{ActiveRole, Me, Menu};

use crate::authz::arn;
use crate::{format, Caller, Service, ServiceError};

impl Service {
    /// The signed-in identity, and the sections its policies let it list.
    pub async fn whoami(&self, caller: &Caller) -> Result<Me, ServiceError> {
        let (root_needs_mfa, root_needs_user) = if caller.is_root() {
            let users = self.store.console_user_count().await?;
            (!caller.user.mfa_enabled, users == 0)
        } else {
            (false, false)
        };
        let account = &caller.account_id;
        let refused = self
            .refusals(
                caller,
                &[
                    ("iam:ListUsers", arn::users(account)),
                    ("iam:ListGroups", arn::groups(account)),
                    ("iam:ListRoles", arn::roles(account)),
                    ("iam:ListOpenIDConnectProviders", "*".into()),
                    ("iam:ListPolicies", arn::policies(account)),
                    ("iam:SimulateCustomPolicy", "*".into()),
                    ("iam:GetAccountPasswordPolicy", "*".into()),
                    (crate::audit::LOOKUP, "*".into()),
                ],
            )
            .await?;
        let menu = Menu {
            users: refused.allows("iam:ListUsers"),
            groups: refused.allows("iam:ListGroups"),
            roles: refused.allows("iam:ListRoles"),
            identity_providers: refused.allows("iam:ListOpenIDConnectProviders"),
            policies: refused.allows("iam:ListPolicies"),
            simulator: refused.allows("iam:SimulateCustomPolicy"),
            settings: refused.allows("iam:GetAccountPasswordPolicy"),
            audit: refused.allows(crate::audit::LOOKUP),
            spend: !self.spend_visible_nowhere(caller).await?,
        };
        let role = caller.role.as_ref().map(|r| ActiveRole {
            role: r.role_name.clone(),
            arn: caller.arn(),
            ends: format::clock_time(r.expires),
        });
        Ok(Me {
            menu,
            role,
            name: caller.user.display_name().to_string(),
            is_root: caller.user.is_root,
            account_id: caller.account_id.clone(),
            arn: caller.arn(),
            mfa_enabled: caller.user.mfa_enabled,
            root_needs_mfa,
            root_needs_user,
            regions: self.store.settings().await?.regions,
            region: caller.region.clone(),
        })
    }

    /// Checks that `region` is one of the account's; the door remembers the choice
    /// and later requests carry it as `aws:RequestedRegion`.
    pub async fn choose_region(
        &self,
        _caller: &Caller,
        region: &str,
    ) -> Result<String, ServiceError> {
        let settings = self.store.settings().await?;
        if settings.regions.iter().any(|r| r == region) {
            Ok(region.to_string())
        } else {
            Err(ServiceError::invalid(
                "region",
                format!("\"{region}\" is not one of this account's regions."),
            ))
        }
    }

    /// The account password policy, shown next to password fields before sign-in.
    pub async fn password_policy(&self) -> Result<identity::PasswordPolicy, ServiceError> {
        Ok(self.store.settings().await?.password_policy)
    }
}
