//! Instance profiles (AWS's `…InstanceProfile…` actions): created empty, given one
//! role (which needs `iam:PassRole` on it, as in AWS), listed, and deleted once
//! empty; a role in a profile cannot be deleted.

use std::collections::BTreeMap;

use store::instance_profiles::{InstanceProfile, ProfileRoleError};

use crate::authz::{Extra, Permit};
use crate::{Caller, Service, ServiceError};

/// AWS's rule for instance profile names: 1 to 128 of `[\w+=,.@-]`.
fn check_name(name: &str) -> Result<(), ServiceError> {
    let ok =
        !name.is_empty() && name.chars().count() <= 128 && model::validate::name_chars_ok(name);
    if ok {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "name",
            "An instance profile name has 1 to 128 letters, digits and _ + = , . @ -.",
        ))
    }
}

fn profile_arn(account: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:instance-profile/{name}")
}

/// AWS's words for a profile that is not there.
fn no_profile(name: &str) -> ServiceError {
    ServiceError::NotFound {
        field: Some("name"),
        message: format!("Instance Profile {name} cannot be found."),
    }
}

impl From<ProfileRoleError> for ServiceError {
    fn from(e: ProfileRoleError) -> Self {
        match e {
            ProfileRoleError::Full => ServiceError::LimitExceeded {
                field: "role",
                message: e.to_string(),
            },
            ProfileRoleError::NotThere => ServiceError::NotFound {
                field: Some("role"),
                message: e.to_string(),
            },
            ProfileRoleError::Store(store) => store.into(),
        }
    }
}

impl Service {
    /// The profile `name`, authorized as `action` on its ARN with its tags (and
    /// `extra`); a missing one is authorized on the ARN it would have.
    pub(crate) async fn instance_profile_for(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
        extra: Extra,
    ) -> Result<(InstanceProfile, Permit), ServiceError> {
        let name = name.trim();
        let found = self.store.instance_profile(name).await?;
        let (resource, extra) = match &found {
            Some(profile) => (profile.arn.clone(), extra.with_resource_tags(&profile.tags)),
            None => (profile_arn(&caller.account_id, name), extra),
        };
        let permit = self
            .authorize_with(caller, action, &resource, &extra)
            .await?;
        let profile = found.ok_or_else(|| no_profile(name))?;
        Ok((profile, permit))
    }

    /// `iam:CreateInstanceProfile` (tags need `iam:TagInstanceProfile` too); with a
    /// role, the profile is made holding it in the same step, authorized as
    /// `iam:AddRoleToInstanceProfile` and `iam:PassRole` too (the console's form).
    pub async fn create_instance_profile(
        &self,
        caller: &Caller,
        path: &str,
        name: &str,
        role: Option<&str>,
        tags: &[(String, String)],
    ) -> Result<InstanceProfile, ServiceError> {
        let name = name.trim();
        check_name(name)?;
        model::tags::check_all(tags)?;
        let tags: BTreeMap<String, String> = tags.iter().cloned().collect();
        let path = crate::authz::entity_path(path)?;
        let target = crate::authz::arn::at(&caller.account_id, "instance-profile", path, name);
        let extra = Extra::new().with_request_tags(&tags);
        let permit = self
            .authorize_with(caller, "iam:CreateInstanceProfile", &target, &extra)
            .await?;
        if !tags.is_empty() {
            self.authorize_with(caller, "iam:TagInstanceProfile", &target, &extra)
                .await?;
        }
        let role = match role {
            Some(role) => {
                self.authorize(caller, "iam:AddRoleToInstanceProfile", &target)
                    .await?;
                let passed = Extra::new().with("iam:PassedToService", "ec2.amazonaws.com");
                Some(
                    self.role_for_with(caller, "iam:PassRole", role, passed)
                        .await?
                        .0,
                )
            }
            None => None,
        };
        self.store
            .create_instance_profile(
                &caller.account_id,
                path,
                name,
                role.as_ref(),
                &tags,
                &permit.audit(caller, "instance profile created"),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Duplicate { .. } => ServiceError::AlreadyExists {
                    field: "name",
                    message: format!("Instance Profile {name} already exists."),
                },
                other => other.into(),
            })
    }

    /// `iam:GetInstanceProfile`.
    pub async fn get_instance_profile(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<InstanceProfile, ServiceError> {
        Ok(self
            .instance_profile_for(caller, "iam:GetInstanceProfile", name, Extra::new())
            .await?
            .0)
    }

    /// A role page's instance profiles panel: the profiles holding the role, and the
    /// changes the viewer may not make.
    pub async fn role_instance_profiles(
        &self,
        caller: &Caller,
        role: &str,
    ) -> Result<model::roles::InstanceProfilesView, ServiceError> {
        let profiles = self.list_instance_profiles(caller, Some(role)).await?;
        let any = profile_arn(&caller.account_id, "*");
        let refusals = self
            .refusals(
                caller,
                &[
                    ("iam:CreateInstanceProfile", any.clone()),
                    ("iam:RemoveRoleFromInstanceProfile", any),
                ],
            )
            .await?;
        Ok(model::roles::InstanceProfilesView {
            profiles: profiles.into_iter().map(|p| (p.name, p.arn)).collect(),
            refusals,
        })
    }

    /// `iam:ListInstanceProfiles`, or with a role `iam:ListInstanceProfilesForRole`.
    pub async fn list_instance_profiles(
        &self,
        caller: &Caller,
        role: Option<&str>,
    ) -> Result<Vec<InstanceProfile>, ServiceError> {
        match role {
            None => {
                self.authorize(
                    caller,
                    "iam:ListInstanceProfiles",
                    &profile_arn(&caller.account_id, ""),
                )
                .await?;
                Ok(self.store.instance_profiles(None).await?)
            }
            Some(name) => {
                let (role, _) = self
                    .role_for(caller, "iam:ListInstanceProfilesForRole", name)
                    .await?;
                Ok(self.store.instance_profiles(Some(&role.id)).await?)
            }
        }
    }

    /// `iam:AddRoleToInstanceProfile`, with `iam:PassRole` on the role for EC2.
    pub async fn add_role_to_instance_profile(
        &self,
        caller: &Caller,
        profile: &str,
        role: &str,
    ) -> Result<(), ServiceError> {
        let (profile, permit) = self
            .instance_profile_for(
                caller,
                "iam:AddRoleToInstanceProfile",
                profile,
                Extra::new(),
            )
            .await?;
        let (role, _) = self
            .role_for_with(
                caller,
                "iam:PassRole",
                role,
                Extra::new().with("iam:PassedToService", "ec2.amazonaws.com"),
            )
            .await?;
        Ok(self
            .store
            .add_role_to_instance_profile(
                &profile.id,
                &role.id,
                &permit.audit(caller, format!("role {} added", role.name)),
            )
            .await?)
    }

    /// `iam:RemoveRoleFromInstanceProfile`.
    pub async fn remove_role_from_instance_profile(
        &self,
        caller: &Caller,
        profile: &str,
        role: &str,
    ) -> Result<(), ServiceError> {
        let (profile, permit) = self
            .instance_profile_for(
                caller,
                "iam:RemoveRoleFromInstanceProfile",
                profile,
                Extra::new(),
            )
            .await?;
        let role = self
            .store
            .role(role.trim())
            .await?
            .ok_or_else(|| ServiceError::no_such("role", role.trim()))?;
        Ok(self
            .store
            .remove_role_from_instance_profile(
                &profile.id,
                &role.id,
                &permit.audit(caller, format!("role {} removed", role.name)),
            )
            .await?)
    }

    /// `iam:DeleteInstanceProfile`: only an empty one.
    pub async fn delete_instance_profile(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(), ServiceError> {
        let (profile, permit) = self
            .instance_profile_for(caller, "iam:DeleteInstanceProfile", name, Extra::new())
            .await?;
        Ok(self
            .store
            .delete_instance_profile(
                &profile.id,
                &permit.audit(caller, "instance profile deleted"),
            )
            .await?)
    }
}
