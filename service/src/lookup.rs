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
        match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(name) => Ok(self
                .user_for(caller, "iam:GetUser", name, |u| {
                    Extra::new().with_boundary(u.boundary_arn.as_deref())
                })
                .await?
                .0),
            None if caller.role.is_some() => Err(ServiceError::invalid(
                "user",
                "Must specify userName when calling with non-User credentials",
            )),
            None => {
                self.authorize(caller, "iam:GetUser", &caller.user.arn)
                    .await?;
                Ok(caller.user.clone())
            }
        }
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
        let name = name.trim();
        let found = self.store.role(name).await?;
        let resource = match &found {
            Some(role) => role.arn.clone(),
            None => crate::authz::arn::role(&caller.account_id, name),
        };
        self.authorize(caller, "iam:GetRole", &resource).await?;
        found.ok_or_else(|| ServiceError::no_such("role", name))
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
