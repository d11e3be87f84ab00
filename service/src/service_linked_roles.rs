//! Service-linked roles: a role a service creates for itself, under the reserved path
//! `/aws-service-role/SERVICE/`, trusted only by that service and changed only by it:
//! its trust, policies and boundary refuse every change (AWS's `UnmodifiableEntity`),
//! and it is deleted with `DeleteServiceLinkedRole`, not `DeleteRole`.

use model::roles::NewRole;
use store::Role;

use crate::authz::{arn, Extra};
use crate::lookup::entity_path;
use crate::{Caller, Service, ServiceError};

/// The path every service-linked role lives under, reserved for them.
pub const RESERVED_PATH: &str = "/aws-service-role/";

/// The changes a service-linked role refuses (its description may still change).
const PROTECTED: &[&str] = &[
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRole",
];

/// The service a role is linked to, from its path, if it is service-linked.
pub fn linked_service(role_arn: &str) -> Option<String> {
    entity_path(role_arn, "role")
        .strip_prefix(RESERVED_PATH)
        .and_then(|rest| rest.strip_suffix('/'))
        .filter(|service| !service.is_empty())
        .map(str::to_string)
}

/// Refuses `action` on a service-linked role when it would change what AWS keeps
/// for the service (AWS's text).
pub(crate) fn check_unprotected(
    role_arn: &str,
    name: &str,
    action: &str,
) -> Result<(), ServiceError> {
    if linked_service(role_arn).is_some() && PROTECTED.contains(&action) {
        return Err(ServiceError::Unmodifiable(format!(
            "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
        )));
    }
    Ok(())
}

/// AWS's role names for the services seen most; others take the service's prefix
/// with a capital first letter.
fn role_suffix(service: &str) -> String {
    let prefix = service.split('.').next().unwrap_or(service);
    let known = [
        ("autoscaling", "AutoScaling"),
        ("elasticloadbalancing", "ElasticLoadBalancing"),
        ("ecs", "ECS"),
        ("eks", "AmazonEKS"),
        ("rds", "RDS"),
        ("elasticbeanstalk", "ElasticBeanstalk"),
        ("spot", "EC2Spot"),
        ("support", "Support"),
        ("trustedadvisor", "TrustedAdvisor"),
        ("organizations", "Organizations"),
        ("cloudtrail", "CloudTrail"),
        ("config", "Config"),
        ("guardduty", "AmazonGuardDuty"),
        ("elasticache", "ElastiCache"),
        ("es", "AmazonElasticsearchService"),
        ("opensearchservice", "AmazonOpenSearchService"),
    ];
    match known.iter().find(|(k, _)| *k == prefix) {
        Some((_, name)) => (*name).to_string(),
        None => {
            let mut chars = prefix.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        }
    }
}

impl Service {
    /// `iam:CreateServiceLinkedRole` (with `iam:AWSServiceName` in context): the
    /// role `AWSServiceRoleForX[_SUFFIX]` that only `service` may assume.
    pub async fn create_service_linked_role(
        &self,
        caller: &Caller,
        service: &str,
        description: &str,
        suffix: Option<&str>,
    ) -> Result<Role, ServiceError> {
        let service = service.trim();
        let valid = service.ends_with(".amazonaws.com")
            && service.len() > ".amazonaws.com".len()
            && service.len() <= 128
            && model::validate::name_chars_ok(service);
        if !valid {
            return Err(ServiceError::invalid(
                "aws_service_name",
                format!("Invalid service name {service}: a service principal such as autoscaling.amazonaws.com."),
            ));
        }
        let mut name = format!("AWSServiceRoleFor{}", role_suffix(service));
        if let Some(suffix) = suffix {
            if suffix.is_empty() || !model::validate::name_chars_ok(suffix) {
                return Err(ServiceError::invalid(
                    "custom_suffix",
                    "A custom suffix uses letters, digits and + = , . @ _ - only.",
                ));
            }
            name = format!("{name}_{suffix}");
        }
        if name.len() > 64 {
            return Err(ServiceError::invalid(
                "custom_suffix",
                format!("The role name {name} would be longer than 64 characters."),
            ));
        }
        let path = format!("{RESERVED_PATH}{service}/");
        let target = arn::at(&caller.account_id, "role", &path, &name);
        let permit = self
            .authorize_with(
                caller,
                "iam:CreateServiceLinkedRole",
                &target,
                &Extra::new().with("iam:AWSServiceName", service),
            )
            .await?;
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }],
        })
        .to_string();
        let tags = Default::default();
        self.store
            .create_role(
                &caller.account_id,
                &store::roles::NewRole {
                    name: &name,
                    path: &path,
                    description: description.trim(),
                    trust_policy: &trust,
                    max_session_seconds: 3600,
                    tags: &tags,
                },
                &permit.audit(caller, format!("linked to {service}")),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Duplicate { .. } => ServiceError::Conflict(format!(
                    "Service role name {name} has been taken in this account, please try a different suffix."
                )),
                other => other.into(),
            })
    }

    /// `iam:DeleteServiceLinkedRole`: deletes it at once and answers AWS's deletion
    /// task id, whose status is then `SUCCEEDED`.
    pub async fn delete_service_linked_role(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<String, ServiceError> {
        let (role, permit) = self
            .role_for(caller, "iam:DeleteServiceLinkedRole", name)
            .await?;
        let Some(service) = linked_service(&role.arn) else {
            return Err(ServiceError::Conflict(format!(
                "Role {} is not a service-linked role: delete it with DeleteRole.",
                role.name
            )));
        };
        self.store
            .delete_unused_role(
                &role.id,
                &permit.audit(caller, "service-linked role deleted"),
            )
            .await?;
        let mut id = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut id);
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!(
            "task/aws-service-role/{service}/{}/{id}",
            role.name
        ))
    }

    /// `iam:GetServiceLinkedRoleDeletionStatus`: deletions finish within their
    /// request, so a task whose role is gone has `SUCCEEDED`.
    pub async fn service_linked_role_deletion_status(
        &self,
        caller: &Caller,
        task: &str,
    ) -> Result<&'static str, ServiceError> {
        let parts: Vec<&str> = task.split('/').collect();
        let (service, name) = match parts.as_slice() {
            ["task", "aws-service-role", service, name, id]
                if !service.is_empty() && !name.is_empty() && id.len() == 32 =>
            {
                (*service, *name)
            }
            _ => {
                return Err(ServiceError::NotFound {
                    field: None,
                    message: format!("Deletion task {task} does not exist."),
                })
            }
        };
        let role_arn = arn::at(
            &caller.account_id,
            "role",
            &format!("{RESERVED_PATH}{service}/"),
            name,
        );
        self.authorize(caller, "iam:GetServiceLinkedRoleDeletionStatus", &role_arn)
            .await?;
        let exists = self
            .store
            .role(name)
            .await?
            .is_some_and(|r: Role| r.arn == role_arn);
        Ok(if exists { "FAILED" } else { "SUCCEEDED" })
    }
}

/// `CreateRole` may not use the reserved path: only `CreateServiceLinkedRole` makes
/// roles there, so a role under it is always a service's.
pub(crate) fn refuse_reserved_path(form: &NewRole) -> Result<(), ServiceError> {
    if form.path.trim().starts_with(RESERVED_PATH) {
        return Err(ServiceError::invalid(
            "path",
            "The path /aws-service-role/ is reserved for service-linked roles: use CreateServiceLinkedRole.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_services_as_aws_makes_them() {
        assert_eq!(role_suffix("autoscaling.amazonaws.com"), "AutoScaling");
        assert_eq!(role_suffix("lambda.amazonaws.com"), "Lambda");
        assert_eq!(
            linked_service(
                "arn:aws:iam::1:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
            )
            .as_deref(),
            Some("ecs.amazonaws.com")
        );
        assert_eq!(linked_service("arn:aws:iam::1:role/Deployer"), None);
        assert!(check_unprotected(
            "arn:aws:iam::1:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
            "AWSServiceRoleForECS",
            "iam:DeleteRole"
        )
        .is_err());
        assert!(check_unprotected(
            "arn:aws:iam::1:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS",
            "AWSServiceRoleForECS",
            "iam:UpdateRoleDescription"
        )
        .is_ok());
    }
}
