//! Groups and their members.

use model::groups::{GroupDetail, GroupRow};
use model::Holder;
use store::{Group, User};

use crate::authz::{arn, Permit};
use crate::error::OnField;
use crate::{format, Caller, Service, ServiceError};

impl Service {
    /// Looks the group up and authorizes `action` on its stored ARN (or on the ARN
    /// the name would have, when there is none, before saying so).
    pub(crate) async fn group_for(
        &self,
        caller: &Caller,
        action: &'static str,
        name: &str,
    ) -> Result<(Group, Permit), ServiceError> {
        let name = name.trim();
        let found = self.store.group(name).await?;
        let resource = match &found {
            Some(group) => group.arn.clone(),
            None => arn::group(&caller.account_id, name),
        };
        let permit = self.authorize(caller, action, &resource).await?;
        let group = found.ok_or_else(|| ServiceError::no_such("group", name))?;
        Ok((group, permit))
    }

    pub async fn list_groups(&self, caller: &Caller) -> Result<Vec<GroupRow>, ServiceError> {
        self.authorize(caller, "iam:ListGroups", &arn::groups(&caller.account_id))
            .await?;
        Ok(self
            .store
            .list_groups()
            .await?
            .into_iter()
            .map(|g| GroupRow {
                name: g.name,
                members: g.members,
                created: format::date(g.created_at),
            })
            .collect())
    }

    /// Creates a group at path `/` (the console's form).
    pub async fn create_group(&self, caller: &Caller, name: &str) -> Result<Group, ServiceError> {
        self.create_group_at(caller, "/", name).await
    }

    /// Creates a group under `path` (AWS's `CreateGroup`).
    pub async fn create_group_at(
        &self,
        caller: &Caller,
        path: &str,
        name: &str,
    ) -> Result<Group, ServiceError> {
        let name = name.trim();
        model::validate::group_name(name).map_err(|m| ServiceError::invalid("name", m))?;
        let path = crate::authz::entity_path(path)?;
        let permit = self
            .authorize(
                caller,
                "iam:CreateGroup",
                &arn::at(&caller.account_id, "group", path, name),
            )
            .await?;
        self.store
            .create_group(&caller.account_id, path, name, &permit.audit(caller, ""))
            .await
            .on_field("name")
    }

    pub async fn group_overview(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<GroupDetail, ServiceError> {
        let (group, _) = self.group_for(caller, "iam:GetGroup", name).await?;
        let refusals = self
            .refusals(
                caller,
                &[
                    ("iam:AddUserToGroup", group.arn.clone()),
                    ("iam:RemoveUserFromGroup", group.arn.clone()),
                    ("iam:UpdateGroup", group.arn.clone()),
                    ("iam:DeleteGroup", group.arn.clone()),
                ],
            )
            .await?;
        let permissions = self.store.own_permissions(Holder::Group, &group.id).await?;
        let access = self
            .access(
                caller,
                Holder::Group,
                &group.id,
                &group.name,
                &group.arn,
                permissions,
            )
            .await?;
        Ok(GroupDetail {
            name: group.name,
            arn: group.arn,
            created: format::date(group.created_at),
            members: group.members,
            access,
            refusals,
        })
    }

    /// Renames a group: AWS authorizes `iam:UpdateGroup` on both the old and the new
    /// name, so a Deny on either stops it.
    pub async fn rename_group(
        &self,
        caller: &Caller,
        name: &str,
        new_name: &str,
    ) -> Result<Group, ServiceError> {
        self.update_group(caller, name, Some(new_name), None).await
    }

    /// Renames a group or moves it to another path (AWS's `UpdateGroup`).
    pub async fn update_group(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> Result<Group, ServiceError> {
        let (group, permit) = self.group_for(caller, "iam:UpdateGroup", name).await?;
        let new_name = match new_name.map(str::trim) {
            Some(n) => {
                model::validate::group_name(n).map_err(|m| ServiceError::invalid("new_name", m))?;
                n.to_string()
            }
            None => group.name.clone(),
        };
        let new_path = match new_path {
            Some(p) => crate::authz::entity_path(p)?.to_string(),
            None => crate::lookup::entity_path(&group.arn, "group"),
        };
        let new_arn = arn::at(&caller.account_id, "group", &new_path, &new_name);
        if new_arn == group.arn {
            return Ok(group);
        }
        self.authorize(caller, "iam:UpdateGroup", &new_arn).await?;
        self.store
            .rename_group(
                &group.id,
                &new_name,
                &new_arn,
                &permit.audit(caller, format!("now {new_arn}")),
            )
            .await
            .on_field("new_name")?;
        Ok(Group {
            name: new_name,
            arn: new_arn,
            ..group
        })
    }

    pub async fn delete_group(
        &self,
        caller: &Caller,
        name: &str,
        confirm: &str,
    ) -> Result<(), ServiceError> {
        let (group, permit) = self.group_for(caller, "iam:DeleteGroup", name).await?;
        if confirm.trim() != group.name {
            return Err(ServiceError::invalid(
                "confirm",
                format!("Type {} to confirm the deletion.", group.name),
            ));
        }
        self.store
            .delete_group(
                &group.id,
                &permit.audit(caller, "group and memberships deleted"),
            )
            .await?;
        Ok(())
    }

    /// Deletes a group without members or policies (AWS's `DeleteGroup`).
    pub async fn delete_unused_group(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(), ServiceError> {
        let (group, permit) = self.group_for(caller, "iam:DeleteGroup", name).await?;
        self.store
            .delete_unused_group(&group.id, &permit.audit(caller, "group deleted"))
            .await?;
        Ok(())
    }

    /// The user a membership change names, for the `user` field.
    async fn member(&self, name: &str) -> Result<User, ServiceError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ServiceError::invalid("user", "Enter the name of the user."));
        }
        self.store
            .user_by_name(name)
            .await?
            .ok_or_else(|| ServiceError::no_such_in("user", "user", name))
    }

    /// Adds a user to a group, as `iam:AddUserToGroup` on the group.
    pub async fn add_member(
        &self,
        caller: &Caller,
        group: &str,
        user: &str,
    ) -> Result<(), ServiceError> {
        if group.trim().is_empty() {
            return Err(ServiceError::invalid("group", "Choose a group."));
        }
        let (group, permit) = self.group_for(caller, "iam:AddUserToGroup", group).await?;
        let user = self.member(user).await?;
        self.store
            .add_member(
                &group.id,
                &user.id,
                &permit.audit(caller, format!("added {}", user.arn)),
            )
            .await?;
        Ok(())
    }

    pub async fn remove_member(
        &self,
        caller: &Caller,
        group: &str,
        user: &str,
    ) -> Result<(), ServiceError> {
        let (group, permit) = self
            .group_for(caller, "iam:RemoveUserFromGroup", group)
            .await?;
        let user = self.member(user).await?;
        self.store
            .remove_member(
                &group.id,
                &user.id,
                &permit.audit(caller, format!("removed {}", user.arn)),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => ServiceError::no_such_in(
                    "user",
                    &format!("member of {}", group.name),
                    &user.name,
                ),
                other => other.into(),
            })?;
        Ok(())
    }
}
