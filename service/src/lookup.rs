//! Identities as stored, for doors that print them whole (the AWS API's `GetUser`,
//! `ListUsers`, `ListGroups`, `GetGroup`), authorized like the console's pages.

use store::{Group, GroupSummary, User};

use crate::authz::Extra;
use crate::{Caller, Service, ServiceError};

impl Service {
    /// A user by name, or the caller's own user (`iam:GetUser`).
    pub async fn get_user(
        &self,
        caller: &Caller,
        name: Option<&str>,
    ) -> Result<User, ServiceError> {
        Ok(self.user_or_own(caller, "iam:GetUser", name).await?.0)
    }

    /// The user whose MFA devices are listed (`iam:ListMFADevices`): `name`, or the
    /// caller's own user.
    pub async fn mfa_owner(
        &self,
        caller: &Caller,
        name: Option<&str>,
    ) -> Result<User, ServiceError> {
        Ok(self
            .user_or_own(caller, "iam:ListMFADevices", name)
            .await?
            .0)
    }

    /// All IAM users whose path starts with `path_prefix`, by name (`iam:ListUsers`).
    pub async fn users_under(
        &self,
        caller: &Caller,
        path_prefix: &str,
    ) -> Result<Vec<User>, ServiceError> {
        // AWS authorizes a listing on the path it lists: `…:user/` for all.
        let resource = format!("arn:aws:iam::{}:user{path_prefix}", caller.account_id);
        self.authorize(caller, "iam:ListUsers", &resource).await?;
        Ok(self
            .store
            .all_users()
            .await?
            .into_iter()
            .filter(|u| entity_path(&u.arn, "user").starts_with(path_prefix))
            .collect())
    }

    /// All groups whose path starts with `path_prefix` (`iam:ListGroups`).
    pub async fn groups_under(
        &self,
        caller: &Caller,
        path_prefix: &str,
    ) -> Result<Vec<GroupSummary>, ServiceError> {
        let resource = format!("arn:aws:iam::{}:group{path_prefix}", caller.account_id);
        self.authorize(caller, "iam:ListGroups", &resource).await?;
        Ok(self
            .store
            .list_groups()
            .await?
            .into_iter()
            .filter(|g| entity_path(&g.arn, "group").starts_with(path_prefix))
            .collect())
    }

    /// A group with its members (`iam:GetGroup`).
    pub async fn get_group(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(Group, Vec<User>), ServiceError> {
        let (group, _) = self.group_for(caller, "iam:GetGroup", name).await?;
        let mut members = Vec::new();
        for member in &group.members {
            if let Some(user) = self.store.user_by_name(member).await? {
                members.push(user);
            }
        }
        Ok((group, members))
    }
}

impl Service {
    /// A role by name (`iam:GetRole`).
    pub async fn get_role(&self, caller: &Caller, name: &str) -> Result<store::Role, ServiceError> {
        Ok(self.role_for(caller, "iam:GetRole", name).await?.0)
    }
}

/// The path of an IAM entity from its ARN: `arn:aws:iam::1:user/a/b/alice` → `/a/b/`.
pub fn entity_path(arn: &str, kind: &str) -> String {
    let marker = format!(":{kind}/");
    let Some((_, rest)) = arn.split_once(&marker) else {
        return "/".into();
    };
    match rest.rfind('/') {
        Some(end) => format!("/{}", rest.get(..=end).unwrap_or_default()),
        None => "/".into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_from_arns() {
        assert_eq!(super::entity_path("arn:aws:iam::1:user/alice", "user"), "/");
        assert_eq!(
            super::entity_path("arn:aws:iam::1:user/a/b/alice", "user"),
            "/a/b/"
        );
        assert_eq!(super::entity_path("arn:aws:iam::1:root", "user"), "/");
    }
}

/// A managed policy as the API prints it: a template (AWS-managed) or a customer one.
#[derive(Debug, Clone)]
pub struct ManagedPolicyView {
    pub name: String,
    pub id: String,
    pub arn: String,
    pub description: String,
    pub default_version: i32,
    pub attachments: i64,
    pub created_at: time::OffsetDateTime,
    pub updated_at: time::OffsetDateTime,
    /// `(version, document, is default, created)`, newest first.
    pub versions: Vec<store::PolicyVersion>,
    pub aws_managed: bool,
    pub tags: std::collections::BTreeMap<String, String>,
}

/// The templates have no row: a stable id from the name, and the day the catalogue
/// they come from was taken.
fn template_view(
    arn: &str,
    template: &policy::templates::Template,
    attachments: i64,
) -> ManagedPolicyView {
    use sha2::Digest;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = sha2::Sha256::digest(template.name.as_bytes());
    let tail: String = digest
        .iter()
        .take(17)
        .map(|b| {
            ALPHABET
                .get(usize::from(*b) % 32)
                .map_or('A', |c| *c as char)
        })
        .collect();
    let day = time::OffsetDateTime::from_unix_timestamp(1_787_356_800)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    ManagedPolicyView {
        name: template.name.to_string(),
        id: format!("ANPA{tail}"),
        arn: arn.to_string(),
        description: template.description.to_string(),
        default_version: 1,
        attachments,
        created_at: day,
        updated_at: day,
        versions: vec![store::PolicyVersion {
            version: 1,
            document: template.document.clone(),
            is_default: true,
            created_at: day,
        }],
        aws_managed: true,
        tags: Default::default(),
    }
}

/// A customer policy without its versions (a listing, a policy just created).
impl From<store::ManagedPolicy> for ManagedPolicyView {
    fn from(p: store::ManagedPolicy) -> Self {
        customer_view(p, Vec::new())
    }
}

fn customer_view(
    p: store::ManagedPolicy,
    versions: Vec<store::PolicyVersion>,
) -> ManagedPolicyView {
    ManagedPolicyView {
        name: p.name,
        id: p.id,
        arn: p.arn,
        description: p.description,
        default_version: p.default_version,
        attachments: p.attachments,
        created_at: p.created_at,
        updated_at: p.updated_at,
        versions,
        aws_managed: false,
        tags: p.tags,
    }
}

impl Service {
    /// A managed policy by name, authorized as `action` on its ARN.
    pub async fn managed_policy(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
    ) -> Result<ManagedPolicyView, ServiceError> {
        let (found, _) = self.policy_for(caller, action, name).await?;
        Ok(match found {
            crate::policies::Found::Template(arn, template) => {
                let attachments = self.store.policy_attachments(arn).await?.len() as i64;
                template_view(arn, template, attachments)
            }
            crate::policies::Found::Customer(policy, versions) => customer_view(policy, versions),
        })
    }

    /// Every managed policy (`iam:ListPolicies`): the templates, then the account's.
    pub async fn managed_policies(
        &self,
        caller: &Caller,
    ) -> Result<Vec<ManagedPolicyView>, ServiceError> {
        self.authorize(
            caller,
            "iam:ListPolicies",
            &crate::authz::arn::policies(&caller.account_id),
        )
        .await?;
        let mut out = Vec::new();
        let mut templates: Vec<_> = crate::authz::templates().iter().collect();
        templates.sort_by_key(|(arn, _)| arn.as_str());
        for (arn, (template, _)) in templates {
            let attachments = self.store.policy_attachments(arn).await?.len() as i64;
            out.push(template_view(arn, template, attachments));
        }
        for policy in self.store.customer_policies().await? {
            out.push(policy.into());
        }
        Ok(out)
    }

    /// What is attached to or embedded in a user, group or role itself, authorized as
    /// the read `action` (`iam:ListAttachedUserPolicies`, `iam:GetRolePolicy`, …).
    pub async fn own_policies(
        &self,
        caller: &Caller,
        holder: model::Holder,
        name: &str,
        action: &'static str,
    ) -> Result<Vec<store::EffectivePolicy>, ServiceError> {
        let (row, _) = self
            .holder_as(caller, holder, name, action, Extra::new())
            .await?;
        let mut permissions = self.store.own_permissions(holder, &row.id).await?;
        permissions.policies.retain(|p| p.direct);
        Ok(permissions.policies)
    }

    /// Every role whose path starts with `path_prefix` (`iam:ListRoles`).
    pub async fn roles_under(
        &self,
        caller: &Caller,
        path_prefix: &str,
    ) -> Result<Vec<store::Role>, ServiceError> {
        let resource = format!("arn:aws:iam::{}:role{path_prefix}", caller.account_id);
        self.authorize(caller, "iam:ListRoles", &resource).await?;
        Ok(self
            .store
            .roles()
            .await?
            .into_iter()
            .filter(|r| entity_path(&r.arn, "role").starts_with(path_prefix))
            .collect())
    }

    /// The groups a user is in (`iam:ListGroupsForUser` on the user).
    pub async fn groups_of(&self, caller: &Caller, name: &str) -> Result<Vec<Group>, ServiceError> {
        let (user, _) = self
            .user_for(caller, "iam:ListGroupsForUser", name, Extra::boundary_of)
            .await?;
        let mut groups = Vec::new();
        for name in self.store.groups_of_user(&user.id).await? {
            if let Some(group) = self.store.group(&name).await? {
                groups.push(group);
            }
        }
        Ok(groups)
    }
}

/// An identity's own policies: inline `(name, document)` and attached `(name, ARN)`.
#[derive(Debug, Clone, Default)]
pub struct OwnPolicies {
    pub inline: Vec<(String, String)>,
    pub attached: Vec<(String, String)>,
}

impl From<store::Permissions> for OwnPolicies {
    fn from(permissions: store::Permissions) -> Self {
        let mut own = OwnPolicies::default();
        for policy in permissions.policies.into_iter().filter(|p| p.direct) {
            match (policy.policy_arn, policy.document) {
                (Some(arn), _) => own.attached.push((policy.name, arn)),
                (None, Some(document)) => own.inline.push((policy.name, document)),
                (None, None) => {}
            }
        }
        own
    }
}

/// The whole account's identities and policies at once (AWS's
/// `GetAccountAuthorizationDetails`, which auditing tools read).
#[derive(Debug, Clone, Default)]
pub struct AuthorizationDetails {
    /// Each user with its groups' names and its own policies.
    pub users: Vec<(User, Vec<String>, OwnPolicies)>,
    pub groups: Vec<(GroupSummary, OwnPolicies)>,
    /// Each role with its own policies and the instance profiles holding it.
    pub roles: Vec<(
        store::Role,
        OwnPolicies,
        Vec<store::instance_profiles::InstanceProfile>,
    )>,
    /// Customer policies, and AWS's that are attached somewhere, with versions.
    pub policies: Vec<ManagedPolicyView>,
}

/// Which parts of the details to read (AWS's `Filter`); all when none is named.
#[derive(Debug, Clone, Copy, Default)]
pub struct DetailParts {
    pub users: bool,
    pub groups: bool,
    pub roles: bool,
    pub local_policies: bool,
    pub aws_policies: bool,
}

impl Service {
    /// `iam:GetAccountAuthorizationDetails`.
    pub async fn authorization_details(
        &self,
        caller: &Caller,
        parts: DetailParts,
    ) -> Result<AuthorizationDetails, ServiceError> {
        self.authorize(caller, "iam:GetAccountAuthorizationDetails", "*")
            .await?;
        let mut details = AuthorizationDetails::default();
        if parts.users {
            for user in self.store.all_users().await? {
                let groups = self.store.groups_of_user(&user.id).await?;
                let own = self
                    .store
                    .own_permissions(model::Holder::User, &user.id)
                    .await?;
                details.users.push((user, groups, own.into()));
            }
        }
        if parts.groups {
            for group in self.store.list_groups().await? {
                let own = self
                    .store
                    .own_permissions(model::Holder::Group, &group.id)
                    .await?;
                details.groups.push((group, own.into()));
            }
        }
        if parts.roles {
            for role in self.store.roles().await? {
                let own = self.store.role_permissions(&role.id).await?;
                let profiles = self.store.instance_profiles(Some(&role.id)).await?;
                details.roles.push((role, own.into(), profiles));
            }
        }
        if parts.aws_policies {
            let mut templates: Vec<_> = crate::authz::templates().iter().collect();
            templates.sort_by_key(|(arn, _)| arn.as_str());
            for (arn, (template, _)) in templates {
                let attachments = self.store.policy_attachments(arn).await?.len() as i64;
                if attachments > 0 {
                    details
                        .policies
                        .push(template_view(arn, template, attachments));
                }
            }
        }
        if parts.local_policies {
            for policy in self.store.customer_policies().await? {
                let versions = self
                    .store
                    .customer_policy(&policy.name)
                    .await?
                    .map(|(_, versions)| versions)
                    .unwrap_or_default();
                details.policies.push(customer_view(policy, versions));
            }
        }
        Ok(details)
    }
}
