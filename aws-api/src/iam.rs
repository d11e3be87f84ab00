//! IAM actions (2010-05-08): parameters checked with AWS's texts, then the same
//! service operation the console calls, then AWS's XML.

use model::Holder;
use service::lookup::entity_path;
use service::{Caller, Service};
use store::User;

use crate::error::ApiError;
use crate::params::Params;
use crate::xml::{date, Xml};

/// What an action answers: its result element, if it has one.
pub type Answer = Result<Option<Xml>, ApiError>;

/// An IAM action this door serves: its name, its catalogue action, and whether the
/// service writes the audit row of a success itself (changes do; reads do not).
pub struct Action {
    pub name: &'static str,
    pub catalogue: &'static str,
    pub audited: bool,
}

macro_rules! actions {
    ($($name:literal => $audited:literal),* $(,)?) => {
        &[$(Action { name: $name, catalogue: concat!("iam:", $name), audited: $audited }),*]
    };
}

pub const ACTIONS: &[Action] = actions![
    "GetUser" => false,
    "ListUsers" => false,
    "CreateUser" => true,
    "DeleteUser" => true,
    "CreateGroup" => true,
    "GetGroup" => false,
    "ListGroups" => false,
    "DeleteGroup" => true,
    "AddUserToGroup" => true,
    "RemoveUserFromGroup" => true,
    "AttachUserPolicy" => true,
    "DetachUserPolicy" => true,
    "AttachGroupPolicy" => true,
    "DetachGroupPolicy" => true,
    "CreatePolicy" => true,
    "CreateRole" => true,
    "GetRole" => false,
    "AttachRolePolicy" => true,
    "DetachRolePolicy" => true,
    "ListRoles" => false,
    "DeleteRole" => true,
    "ListGroupsForUser" => false,
    "ListAttachedUserPolicies" => false,
    "ListAttachedGroupPolicies" => false,
    "ListAttachedRolePolicies" => false,
    "ListUserPolicies" => false,
    "ListGroupPolicies" => false,
    "ListRolePolicies" => false,
    "GetUserPolicy" => false,
    "GetGroupPolicy" => false,
    "GetRolePolicy" => false,
    "PutUserPolicy" => true,
    "PutGroupPolicy" => true,
    "PutRolePolicy" => true,
    "DeleteUserPolicy" => true,
    "DeleteGroupPolicy" => true,
    "DeleteRolePolicy" => true,
    "ListPolicies" => false,
    "GetPolicy" => false,
    "GetPolicyVersion" => false,
    "CreatePolicyVersion" => true,
    "DeletePolicy" => true,
    "GetAccountPasswordPolicy" => false,
    "UpdateAccountPasswordPolicy" => true,
    "CreateLoginProfile" => true,
    "GetLoginProfile" => false,
    "UpdateLoginProfile" => true,
    "DeleteLoginProfile" => true,
    "TagUser" => true,
    "UntagUser" => true,
    "ListUserTags" => false,
    "TagRole" => true,
    "UntagRole" => true,
    "ListRoleTags" => false,
    "TagPolicy" => true,
    "UntagPolicy" => true,
    "ListPolicyTags" => false,
    "UpdateAssumeRolePolicy" => true,
    "UpdateRole" => true,
    "PutUserPermissionsBoundary" => true,
    "DeleteUserPermissionsBoundary" => true,
    "PutRolePermissionsBoundary" => true,
    "DeleteRolePermissionsBoundary" => true,
    "SimulatePrincipalPolicy" => false,
    "SimulateCustomPolicy" => false,
    "GenerateCredentialReport" => true,
    "GetCredentialReport" => false,
    "GetAccountSummary" => false,
    "ListAccountAliases" => false,
    "CreateAccountAlias" => true,
    "DeleteAccountAlias" => true,
    "ListEntitiesForPolicy" => false,
    "ListMFADevices" => false,
    "DeactivateMFADevice" => true,
    "CreateServiceSpecificCredential" => true,
    "ListServiceSpecificCredentials" => false,
    "UpdateServiceSpecificCredential" => true,
    "ResetServiceSpecificCredential" => true,
    "DeleteServiceSpecificCredential" => true,
    "UploadSSHPublicKey" => true,
    "GetSSHPublicKey" => false,
    "ListSSHPublicKeys" => false,
    "UpdateSSHPublicKey" => true,
    "DeleteSSHPublicKey" => true,
    "CreateInstanceProfile" => true,
    "GetInstanceProfile" => false,
    "ListInstanceProfiles" => false,
    "ListInstanceProfilesForRole" => false,
    "AddRoleToInstanceProfile" => true,
    "RemoveRoleFromInstanceProfile" => true,
    "DeleteInstanceProfile" => true,
    "TagInstanceProfile" => true,
    "UntagInstanceProfile" => true,
    "ListInstanceProfileTags" => false,
    "GetContextKeysForCustomPolicy" => false,
    "GetContextKeysForPrincipalPolicy" => false,
    "GetAccountAuthorizationDetails" => false,
    "CreateVirtualMFADevice" => true,
    "EnableMFADevice" => true,
    "ResyncMFADevice" => true,
    "ListVirtualMFADevices" => false,
    "DeleteVirtualMFADevice" => true,
    "TagMFADevice" => true,
    "UntagMFADevice" => true,
    "ListMFADeviceTags" => false,
    "CreateAccessKey" => true,
    "ListAccessKeys" => false,
    "UpdateAccessKey" => true,
    "DeleteAccessKey" => true,
    "GetAccessKeyLastUsed" => false,
    "UpdateUser" => true,
    "UpdateGroup" => true,
    "ListPolicyVersions" => false,
    "DeletePolicyVersion" => true,
    "SetDefaultPolicyVersion" => true,
    "ChangePassword" => true,
    "DeleteAccountPasswordPolicy" => true,
    "UpdateRoleDescription" => true,
    "CreateOpenIDConnectProvider" => true,
    "GetOpenIDConnectProvider" => false,
    "ListOpenIDConnectProviders" => false,
    "DeleteOpenIDConnectProvider" => true,
    "AddClientIDToOpenIDConnectProvider" => true,
    "RemoveClientIDFromOpenIDConnectProvider" => true,
    "UpdateOpenIDConnectProviderThumbprint" => true,
    "TagOpenIDConnectProvider" => true,
    "UntagOpenIDConnectProvider" => true,
    "ListOpenIDConnectProviderTags" => false,
    "CreateSAMLProvider" => true,
    "GetSAMLProvider" => false,
    "ListSAMLProviders" => false,
    "UpdateSAMLProvider" => true,
    "DeleteSAMLProvider" => true,
    "TagSAMLProvider" => true,
    "UntagSAMLProvider" => true,
    "ListSAMLProviderTags" => false,
    "CreateServiceLinkedRole" => true,
    "DeleteServiceLinkedRole" => true,
    "GetServiceLinkedRoleDeletionStatus" => false,
    "UploadServerCertificate" => true,
    "GetServerCertificate" => false,
    "ListServerCertificates" => false,
    "UpdateServerCertificate" => true,
    "DeleteServerCertificate" => true,
    "TagServerCertificate" => true,
    "UntagServerCertificate" => true,
    "ListServerCertificateTags" => false,
    "UploadSigningCertificate" => true,
    "ListSigningCertificates" => false,
    "UpdateSigningCertificate" => true,
    "DeleteSigningCertificate" => true,
];

pub fn action(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// A group's fields, from a group or a group summary.
fn group_xml(x: &mut Xml, arn: &str, name: &str, id: &str, created: time::OffsetDateTime) {
    x.text("Path", &entity_path(arn, "group"))
        .text("GroupName", name)
        .text("GroupId", id)
        .text("Arn", arn)
        .text("CreateDate", &date(created));
}

/// A user's fields; listings leave tags out, as AWS's do.
fn user_xml(x: &mut Xml, u: &User, account: &str) {
    user_fields(x, u, account, true);
}

fn listed_user_xml(x: &mut Xml, u: &User, account: &str) {
    user_fields(x, u, account, false);
}

fn user_fields(x: &mut Xml, u: &User, account: &str, with_tags: bool) {
    x.text("Path", &entity_path(&u.arn, "user"));
    if u.is_root {
        x.text("UserId", account);
    } else {
        x.text("UserName", &u.name).text("UserId", &u.id);
    }
    x.text("Arn", &u.arn)
        .text("CreateDate", &date(u.created_at));
    if let Some(used) = u.last_sign_in_at {
        x.text("PasswordLastUsed", &date(used));
    }
    if let Some(boundary) = &u.boundary_arn {
        x.element("PermissionsBoundary", |x| {
            x.text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .text("PermissionsBoundaryArn", boundary);
        });
    }
    if with_tags {
        tags_xml(x, &u.tags);
    }
}

/// A document as AWS returns it inside XML: percent-encoded JSON.
fn url_encoded(text: &str) -> String {
    identity::sigv4::percent_encode(text.as_bytes())
}

fn login_profile_xml(x: &mut Xml, profile: &service::profiles::LoginProfile) {
    x.element("LoginProfile", |x| {
        x.text("UserName", &profile.user_name)
            .text("CreateDate", &date(profile.created_at))
            .text(
                "PasswordResetRequired",
                if profile.password_reset_required {
                    "true"
                } else {
                    "false"
                },
            );
    });
}

/// A role as `GetRole` and `CreateRole` answer it, with its tags.
fn role_xml(x: &mut Xml, r: &store::Role) {
    listed_role_xml(x, r);
    tags_xml(x, &r.tags);
}

/// Tags as AWS lists them inside an entity; none leaves the element out.
fn tags_xml(x: &mut Xml, tags: &std::collections::BTreeMap<String, String>) {
    if !tags.is_empty() {
        x.list("Tags", tags, |x, (k, v)| {
            x.text("Key", k).text("Value", v);
        });
    }
}

/// A role in a listing: no tags, as AWS's `ListRoles` leaves them out.
fn listed_role_xml(x: &mut Xml, r: &store::Role) {
    x.text("Path", &entity_path(&r.arn, "role"))
        .text("RoleName", &r.name)
        .text("RoleId", &r.id)
        .text("Arn", &r.arn)
        .text("CreateDate", &date(r.created_at))
        .text("AssumeRolePolicyDocument", &url_encoded(&r.trust_policy));
    if !r.description.is_empty() {
        x.text("Description", &r.description);
    }
    x.text("MaxSessionDuration", &r.max_session_seconds.to_string());
    if let Some(boundary) = &r.boundary_arn {
        x.element("PermissionsBoundary", |x| {
            x.text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .text("PermissionsBoundaryArn", boundary);
        });
    }
}

/// The user, group or role an action's name is about, and its name parameter.
fn holder_param(action: &str, params: &Params) -> Result<(Holder, String), ApiError> {
    if action.contains("User") {
        Ok((
            Holder::User,
            params.name("UserName", "userName", 128)?.to_string(),
        ))
    } else if action.contains("Group") {
        Ok((
            Holder::Group,
            params.name("GroupName", "groupName", 128)?.to_string(),
        ))
    } else {
        Ok((
            Holder::Role,
            params.name("RoleName", "roleName", 64)?.to_string(),
        ))
    }
}

/// The element naming the holder in `Get…Policy` answers.
fn holder_element(holder: Holder) -> &'static str {
    match holder {
        Holder::User => "UserName",
        Holder::Group => "GroupName",
        Holder::Role => "RoleName",
    }
}

/// A managed policy's name from its ARN (AWS-managed or this account's).
fn policy_name_of<'a>(arn: &'a str, account: &str) -> Result<&'a str, ApiError> {
    arn.strip_prefix("arn:aws:iam::aws:policy/")
        .or_else(|| arn.strip_prefix(&format!("arn:aws:iam::{account}:policy/")))
        .and_then(|rest| rest.rsplit('/').next())
        .filter(|name| !name.is_empty())
        .ok_or_else(|| no_such_policy(arn))
}

/// A server certificate's metadata, as every answer about one shows it.
fn certificate_metadata_xml(x: &mut Xml, c: &store::server_certificates::ServerCertificate) {
    x.text("Path", &entity_path(&c.arn, "server-certificate"))
        .text("ServerCertificateName", &c.name)
        .text("ServerCertificateId", &c.id)
        .text("Arn", &c.arn)
        .text("UploadDate", &date(c.uploaded_at))
        .text("Expiration", &date(c.expires_at));
}

/// `OpenIDConnectProviderArn`, 20 to 2048 characters.
fn oidc_arn(params: &Params) -> Result<&str, ApiError> {
    let arn = params.required("OpenIDConnectProviderArn", "openIDConnectProviderArn")?;
    if !(20..=2048).contains(&arn.chars().count()) {
        return Err(ApiError::validation(
            Some(arn),
            "openIDConnectProviderArn",
            "Member must have length greater than or equal to 20",
        ));
    }
    Ok(arn)
}

/// `SAMLProviderArn`, 20 to 2048 characters.
fn saml_arn(params: &Params) -> Result<&str, ApiError> {
    let arn = params.required("SAMLProviderArn", "sAMLProviderArn")?;
    if !(20..=2048).contains(&arn.chars().count()) {
        return Err(ApiError::validation(
            Some(arn),
            "sAMLProviderArn",
            "Member must have length greater than or equal to 20",
        ));
    }
    Ok(arn)
}

/// `SAMLMetadataDocument`: AWS checks its length before anything else.
fn saml_metadata(params: &Params) -> Result<&str, ApiError> {
    let document = params.required("SAMLMetadataDocument", "sAMLMetadataDocument")?;
    let length = document.chars().count();
    if length < identity::saml::MIN_METADATA_CHARS {
        return Err(ApiError::validation(
            Some(document),
            "sAMLMetadataDocument",
            "Member must have length greater than or equal to 1000",
        ));
    }
    if length > identity::saml::MAX_METADATA_CHARS {
        return Err(ApiError::validation(
            None,
            "sAMLMetadataDocument",
            "Member must have length less than or equal to 10000000",
        ));
    }
    Ok(document)
}

fn no_such_version(arn: &str, version: i32) -> ApiError {
    ApiError::new(
        http::StatusCode::NOT_FOUND,
        "NoSuchEntity",
        format!("Policy {arn} version v{version} does not exist or is not attachable."),
    )
}

fn no_such_policy(arn: &str) -> ApiError {
    ApiError::new(
        http::StatusCode::NOT_FOUND,
        "NoSuchEntity",
        format!("Policy {arn} does not exist or is not attachable."),
    )
}

/// The managed policy a `PolicyArn` names, authorized as `action`.
async fn managed(
    service: &Service,
    caller: &Caller,
    params: &Params,
    action: &'static str,
) -> Result<service::lookup::ManagedPolicyView, ApiError> {
    let arn = policy_arn(params)?;
    let name = policy_name_of(arn, &caller.account_id)?;
    let view = service.managed_policy(caller, action, name).await?;
    if !view.arn.eq_ignore_ascii_case(arn) {
        return Err(no_such_policy(arn));
    }
    Ok(view)
}

/// A managed policy's fields; listings leave out the description, and only
/// `Get`/`Create` answer tags (the caller adds them).
fn policy_xml(x: &mut Xml, p: &service::lookup::ManagedPolicyView, with_description: bool) {
    x.text("PolicyName", &p.name)
        .text("PolicyId", &p.id)
        .text("Arn", &p.arn)
        .text("Path", &entity_path(&p.arn, "policy"))
        .text("DefaultVersionId", &format!("v{}", p.default_version))
        .text("AttachmentCount", &p.attachments.to_string())
        .text("PermissionsBoundaryUsageCount", "0")
        .text("IsAttachable", "true");
    if with_description && !p.description.is_empty() {
        x.text("Description", &p.description);
    }
    x.text("CreateDate", &date(p.created_at))
        .text("UpdateDate", &date(p.updated_at));
}

/// `vN` as a version number.
fn version_id(params: &Params) -> Result<i32, ApiError> {
    let text = params.required("VersionId", "versionId")?;
    text.strip_prefix('v')
        .and_then(|n| n.parse::<i32>().ok())
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ApiError::validation(
                Some(text),
                "versionId",
                "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
            )
        })
}

/// A boolean parameter as botocore writes it; absent is `false`, as AWS reads it.
fn flag(params: &Params, name: &str, member: &str) -> Result<bool, ApiError> {
    match params.get(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(ApiError::validation(
            Some(other),
            member,
            "Member must be true or false",
        )),
    }
}

/// A whole-number parameter within `range`; absent is `None`.
fn number(
    params: &Params,
    name: &str,
    member: &str,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.get(name) else {
        return Ok(None);
    };
    match text.parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::validation(
            Some(text),
            member,
            &format!(
                "Member must have value between {} and {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

/// The password policy's refusals are AWS's `PasswordPolicyViolation`.
fn password_error(error: service::ServiceError) -> ApiError {
    match error {
        service::ServiceError::Invalid {
            field: "password",
            message,
        } => ApiError::new(
            http::StatusCode::BAD_REQUEST,
            "PasswordPolicyViolation",
            message,
        ),
        other => other.into(),
    }
}

/// The entity a `Tag…`/`Untag…`/`List…Tags` action is about: a user or role by
/// name, a customer policy by its ARN (AWS's own policies by theirs, which the
/// service then refuses to tag).
fn tag_subject(
    action: &str,
    params: &Params,
    account: &str,
) -> Result<(store::Tagged, String), ApiError> {
    if action.contains("ServerCertificate") {
        Ok((
            store::Tagged::ServerCertificate,
            params
                .name("ServerCertificateName", "serverCertificateName", 128)?
                .to_string(),
        ))
    } else if action.contains("OpenIDConnectProvider") {
        Ok((store::Tagged::OidcProvider, oidc_arn(params)?.to_string()))
    } else if action.contains("MFADevice") {
        Ok((store::Tagged::MfaDevice, serial_number(params)?.to_string()))
    } else if action.contains("SAMLProvider") {
        Ok((store::Tagged::SamlProvider, saml_arn(params)?.to_string()))
    } else if action.contains("InstanceProfile") {
        Ok((
            store::Tagged::InstanceProfile,
            params
                .name("InstanceProfileName", "instanceProfileName", 128)?
                .to_string(),
        ))
    } else if action.ends_with("UserTags") || action.ends_with("User") {
        Ok((
            store::Tagged::User,
            params.name("UserName", "userName", 128)?.to_string(),
        ))
    } else if action.ends_with("RoleTags") || action.ends_with("Role") {
        Ok((
            store::Tagged::Role,
            params.name("RoleName", "roleName", 64)?.to_string(),
        ))
    } else {
        let arn = policy_arn(params)?;
        let name = policy_name_of(arn, account)?;
        let exact = arn == format!("arn:aws:iam::{account}:policy/{name}")
            || (arn == format!("arn:aws:iam::aws:policy/{name}")
                && service::authz::template_named(name).is_some());
        if !exact {
            return Err(no_such_policy(arn));
        }
        Ok((store::Tagged::Policy, name.to_string()))
    }
}

/// `TagKeys.member.N`, in order.
fn tag_keys(params: &Params) -> Result<Vec<String>, ApiError> {
    let mut keys = Vec::new();
    for n in 1..=51 {
        match params.get(&format!("TagKeys.member.{n}")) {
            Some(key) => keys.push(key.to_string()),
            None => break,
        }
    }
    if keys.is_empty() {
        return Err(ApiError::validation(
            None,
            "tagKeys",
            "Member must not be null",
        ));
    }
    if keys.len() > 50 {
        return Err(ApiError::validation(
            None,
            "tagKeys",
            "Member must have length less than or equal to 50",
        ));
    }
    Ok(keys)
}

/// `NAME.member.1`, `NAME.member.2`, … in order, up to the first gap.
fn members(params: &Params, name: &str) -> Vec<String> {
    (1..)
        .map_while(|n| {
            params
                .get(&format!("{name}.member.{n}"))
                .map(str::to_string)
        })
        .collect()
}

/// The simulator's input from AWS's parameters: actions, one resource, one extra
/// policy, and the context keys the simulator models. Anything else is refused by
/// name rather than silently left out of the decision.
fn simulation(
    params: &Params,
    subject_type: &str,
    subject: &str,
) -> Result<model::simulator::SimulationInput, ApiError> {
    let invalid =
        |message: String| ApiError::new(http::StatusCode::BAD_REQUEST, "InvalidInput", message);
    let actions = members(params, "ActionNames");
    if actions.is_empty() {
        return Err(ApiError::validation(
            None,
            "actionNames",
            "Member must not be null",
        ));
    }
    let resources = members(params, "ResourceArns");
    if resources.len() > 1 {
        return Err(invalid(
            "Simulate one resource per call: Portcullis takes a single ResourceArns member.".into(),
        ));
    }
    let policies = members(params, "PolicyInputList");
    if policies.len() > 1 {
        return Err(invalid(
            "Simulate one policy per call: Portcullis takes a single PolicyInputList member."
                .into(),
        ));
    }
    let mut input = model::simulator::SimulationInput {
        subject_type: subject_type.to_string(),
        subject: subject.to_string(),
        policy: policies.into_iter().next().unwrap_or_default(),
        actions: actions.join("\n"),
        resource: resources.into_iter().next().unwrap_or_else(|| "*".into()),
        ..Default::default()
    };
    for n in 1.. {
        let prefix = format!("ContextEntries.member.{n}");
        let Some(key) = params.get(&format!("{prefix}.ContextKeyName")) else {
            break;
        };
        let values = members(params, &format!("{prefix}.ContextKeyValues"));
        let value = values.first().cloned().unwrap_or_default();
        match key.to_ascii_lowercase().as_str() {
            "aws:sourceip" => input.source_ip = value,
            "aws:requestedregion" => input.region = value,
            "ec2:availabilityzone" => input.availability_zone = value,
            "aws:multifactorauthpresent" => input.mfa = value.eq_ignore_ascii_case("true"),
            "aws:securetransport" => input.secure_transport = value.eq_ignore_ascii_case("true"),
            "aws:currenttime" => input.time = value,
            "portcullis:budgetstatus" => input.budget_status = value,
            "portcullis:budgetusedpercent" => input.budget_used_percent = value,
            _ => {
                return Err(invalid(format!(
                    "Context key {key} is not modelled by the simulator yet: it takes aws:SourceIp, aws:RequestedRegion, ec2:AvailabilityZone, aws:MultiFactorAuthPresent, aws:SecureTransport, aws:CurrentTime and the budget keys."
                )))
            }
        }
    }
    Ok(input)
}

fn simulation_xml(x: &mut Xml, simulation: &model::simulator::Simulation, resource: &str) {
    x.list("EvaluationResults", &simulation.rows, |x, row| {
        let decision = match row.decision.as_str() {
            "Allow" => "allowed",
            "ExplicitDeny" => "explicitDeny",
            _ => "implicitDeny",
        };
        x.text("EvalActionName", &row.action)
            .text("EvalResourceName", resource)
            .text("EvalDecision", decision);
        x.list("MatchedStatements", &row.matched, |x, matched| {
            // "Allow: POLICY, STATEMENT"
            let policy = matched
                .split_once(": ")
                .and_then(|(_, rest)| rest.rsplit_once(", "))
                .map_or(matched.as_str(), |(policy, _)| policy);
            x.text("SourcePolicyId", policy)
                .text("SourcePolicyType", "IAM Policy");
        });
        x.element("MissingContextValues", |_| {});
    });
    x.text("IsTruncated", "false");
}

/// One page of `items` from the request's `Marker`, with `IsTruncated`/`Marker`.
fn page<T>(
    x: &mut Xml,
    params: &Params,
    list: &str,
    items: &[T],
    mut each: impl FnMut(&mut Xml, &T),
) -> Result<(), ApiError> {
    let (start, max) = params.page()?;
    let end = start.saturating_add(max).min(items.len());
    let slice = items.get(start.min(items.len())..end).unwrap_or_default();
    x.list(list, slice, |x, item| each(x, item));
    let truncated = end < items.len();
    x.text("IsTruncated", if truncated { "true" } else { "false" });
    if truncated {
        x.text("Marker", &end.to_string());
    }
    Ok(())
}

fn policy_arn(params: &Params) -> Result<&str, ApiError> {
    let arn = params.required("PolicyArn", "policyArn")?;
    let length = arn.chars().count();
    if !(20..=2048).contains(&length) {
        return Err(ApiError::validation(
            Some(arn),
            "policyArn",
            "Member must have length greater than or equal to 20",
        ));
    }
    Ok(arn)
}

/// An instance profile with its role (listed as `ListRoles` lists roles); `Get` and
/// `Create` answer its tags too.
fn instance_profile_xml(
    x: &mut Xml,
    p: &store::instance_profiles::InstanceProfile,
    with_tags: bool,
) {
    x.text("Path", &entity_path(&p.arn, "instance-profile"))
        .text("InstanceProfileName", &p.name)
        .text("InstanceProfileId", &p.id)
        .text("Arn", &p.arn)
        .text("CreateDate", &date(p.created_at));
    x.list("Roles", p.role.iter(), listed_role_xml);
    if with_tags {
        tags_xml(x, &p.tags);
    }
}

/// The user, group or role a `PolicySourceArn` of this account names.
fn principal_of(arn: &str, account: &str) -> Result<(Holder, String), ApiError> {
    let prefix = format!("arn:aws:iam::{account}:");
    let rest = arn.strip_prefix(&prefix).unwrap_or_default();
    let found = [
        ("user/", Holder::User),
        ("group/", Holder::Group),
        ("role/", Holder::Role),
    ]
    .into_iter()
    .find_map(|(kind, holder)| rest.strip_prefix(kind).map(|name| (holder, name)));
    match found {
        Some((holder, name)) if !name.is_empty() && !name.contains('/') => {
            Ok((holder, name.to_string()))
        }
        _ => Err(ApiError::new(
            http::StatusCode::BAD_REQUEST,
            "InvalidInput",
            format!("Invalid ARN {arn}: name a user, group or role of account {account}."),
        )),
    }
}

/// Inline policies as AWS lists them in the details: name and encoded document.
fn inline_list(x: &mut Xml, list: &str, inline: &[(String, String)]) {
    x.list(list, inline, |x, (name, document)| {
        x.text("PolicyName", name)
            .text("PolicyDocument", &url_encoded(document));
    });
}

fn attached_list(x: &mut Xml, attached: &[(String, String)]) {
    x.list("AttachedManagedPolicies", attached, |x, (name, arn)| {
        x.text("PolicyName", name).text("PolicyArn", arn);
    });
}

fn boundary_xml(x: &mut Xml, boundary: Option<&str>) {
    if let Some(arn) = boundary {
        x.element("PermissionsBoundary", |x| {
            x.text("PermissionsBoundaryType", "PermissionsBoundaryPolicy")
                .text("PermissionsBoundaryArn", arn);
        });
    }
}

/// `GetAccountAuthorizationDetails`'s answer, one page of users, then groups, roles
/// and policies, with `Marker` counting across all four lists.
fn authorization_details_xml(
    details: &service::lookup::AuthorizationDetails,
    params: &Params,
    account: &str,
) -> Result<Xml, ApiError> {
    let (start, max) = params.page()?;
    let total =
        details.users.len() + details.groups.len() + details.roles.len() + details.policies.len();
    let end = start.saturating_add(max).min(total);
    let mut offset = 0;
    // The part of one list that falls in [start, end).
    let mut window = |len: usize| {
        let from = start.clamp(offset, offset + len) - offset;
        let to = end.clamp(offset, offset + len) - offset;
        offset += len;
        from..to
    };
    let users = details
        .users
        .get(window(details.users.len()))
        .unwrap_or_default();
    let groups = details
        .groups
        .get(window(details.groups.len()))
        .unwrap_or_default();
    let roles = details
        .roles
        .get(window(details.roles.len()))
        .unwrap_or_default();
    let policies = details
        .policies
        .get(window(details.policies.len()))
        .unwrap_or_default();
    let mut x = Xml::new();
    x.list("UserDetailList", users, |x, (user, groups, own)| {
        x.text("Path", &entity_path(&user.arn, "user"))
            .text("UserName", user.display_name())
            .text("UserId", if user.is_root { account } else { &user.id })
            .text("Arn", &user.arn)
            .text("CreateDate", &date(user.created_at));
        inline_list(x, "UserPolicyList", &own.inline);
        x.list("GroupList", groups, |x, group| {
            x.escaped(group);
        });
        attached_list(x, &own.attached);
        boundary_xml(x, user.boundary_arn.as_deref());
        tags_xml(x, &user.tags);
    });
    x.list("GroupDetailList", groups, |x, (group, own)| {
        group_xml(x, &group.arn, &group.name, &group.id, group.created_at);
        inline_list(x, "GroupPolicyList", &own.inline);
        attached_list(x, &own.attached);
    });
    x.list("RoleDetailList", roles, |x, (role, own, profiles)| {
        x.text("Path", &entity_path(&role.arn, "role"))
            .text("RoleName", &role.name)
            .text("RoleId", &role.id)
            .text("Arn", &role.arn)
            .text("CreateDate", &date(role.created_at))
            .text("AssumeRolePolicyDocument", &url_encoded(&role.trust_policy));
        x.list("InstanceProfileList", profiles, |x, p| {
            instance_profile_xml(x, p, false)
        });
        inline_list(x, "RolePolicyList", &own.inline);
        attached_list(x, &own.attached);
        boundary_xml(x, role.boundary_arn.as_deref());
        tags_xml(x, &role.tags);
    });
    x.list("Policies", policies, |x, p| {
        policy_xml(x, p, true);
        x.list("PolicyVersionList", &p.versions, |x, v| {
            x.text("Document", &url_encoded(&v.document))
                .text("VersionId", &format!("v{}", v.version))
                .text(
                    "IsDefaultVersion",
                    if v.is_default { "true" } else { "false" },
                )
                .text("CreateDate", &date(v.created_at));
        });
    });
    let truncated = end < total;
    x.text("IsTruncated", if truncated { "true" } else { "false" });
    if truncated {
        x.text("Marker", &end.to_string());
    }
    Ok(x)
}

/// An SSH public key as AWS answers it; listings leave out the body and fingerprint.
fn ssh_key_xml(x: &mut Xml, owner: &str, key: &store::ssh_keys::SshPublicKey, whole: bool) {
    x.text("UserName", owner).text("SSHPublicKeyId", &key.id);
    if whole {
        x.text("Fingerprint", &key.fingerprint)
            .text("SSHPublicKeyBody", &key.body);
    }
    x.text("Status", if key.active { "Active" } else { "Inactive" })
        .text("UploadDate", &date(key.uploaded_at));
}

/// `Status`: `Active` is true, `Inactive` false; `values` is AWS's enum set for the
/// action's error text.
fn status(params: &Params, values: &str) -> Result<bool, ApiError> {
    match params.required("Status", "status")? {
        "Active" => Ok(true),
        "Inactive" => Ok(false),
        other => Err(ApiError::validation(
            Some(other),
            "status",
            &format!("Member must satisfy enum value set: {values}"),
        )),
    }
}

/// A signing certificate as AWS answers it, body included.
fn signing_certificate_xml(
    x: &mut Xml,
    owner: &str,
    c: &store::signing_certificates::SigningCertificate,
) {
    x.text("UserName", owner)
        .text("CertificateId", &c.id)
        .text("CertificateBody", &c.body)
        .text("Status", if c.active { "Active" } else { "Inactive" })
        .text("UploadDate", &date(c.uploaded_at));
}

/// A service-specific credential as AWS answers it: with its password only when
/// created or reset.
fn service_credential_xml(
    x: &mut Xml,
    owner: &str,
    c: &store::service_credentials::ServiceCredential,
    password: Option<&str>,
) {
    x.text("CreateDate", &date(c.created_at))
        .text("ServiceName", &c.service_name)
        .text("ServiceUserName", &c.service_user_name);
    if let Some(password) = password {
        x.text("ServicePassword", password);
    }
    x.text("ServiceSpecificCredentialId", &c.id)
        .text("UserName", owner)
        .text("Status", if c.active { "Active" } else { "Inactive" });
}

/// `SerialNumber`: 9 to 256 of `[\w+=/:,.@-]`, as AWS checks it.
fn serial_number(params: &Params) -> Result<&str, ApiError> {
    let serial = params.required("SerialNumber", "serialNumber")?;
    let length = serial.chars().count();
    if !(9..=256).contains(&length) {
        return Err(ApiError::validation(
            Some(serial),
            "serialNumber",
            "Member must have length greater than or equal to 9",
        ));
    }
    if !serial
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=/:,.@-".contains(c))
    {
        return Err(ApiError::validation(
            Some(serial),
            "serialNumber",
            "Member must satisfy regular expression pattern: [\\w+=/:,.@-]+",
        ));
    }
    Ok(serial)
}

/// `AuthenticationCode1`/`2`: six digits, as AWS checks them.
fn authentication_code<'a>(
    params: &'a Params,
    name: &str,
    member: &str,
) -> Result<&'a str, ApiError> {
    let code = params.required(name, member)?;
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::validation(
            Some(code),
            member,
            "Member must satisfy regular expression pattern: [\\d]+",
        ));
    }
    Ok(code)
}

/// An id parameter of AWS's `[\w]+` shape (`AccessKeyId`, `SSHPublicKeyId`,
/// `ServiceSpecificCredentialId`): `min` to 128 word characters.
fn word_id<'a>(
    params: &'a Params,
    name: &str,
    member: &str,
    min: usize,
) -> Result<&'a str, ApiError> {
    let id = params.required(name, member)?;
    if !(min..=128).contains(&id.len())
        || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(ApiError::validation(
            Some(id),
            member,
            "Member must satisfy regular expression pattern: [\\w]+",
        ));
    }
    Ok(id)
}

fn access_key_id(params: &Params) -> Result<&str, ApiError> {
    word_id(params, "AccessKeyId", "accessKeyId", 16)
}

fn ssh_key_id(params: &Params) -> Result<&str, ApiError> {
    word_id(params, "SSHPublicKeyId", "sSHPublicKeyId", 20)
}

fn service_credential_id(params: &Params) -> Result<&str, ApiError> {
    word_id(
        params,
        "ServiceSpecificCredentialId",
        "serviceSpecificCredentialId",
        20,
    )
}

/// Runs one IAM action for `caller`.
pub async fn call(service: &Service, caller: &Caller, name: &str, params: &Params) -> Answer {
    let account = caller.account_id.as_str();
    match name {
        "GetUser" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let user = service.get_user(caller, user_name).await?;
            let mut x = Xml::new();
            x.element("User", |x| user_xml(x, &user, account));
            Ok(Some(x))
        }
        "ListUsers" => {
            let prefix = params.path_prefix()?;
            let users = service.users_under(caller, &prefix).await?;
            let mut x = Xml::new();
            page(&mut x, params, "Users", &users, |x, u| {
                listed_user_xml(x, u, account)
            })?;
            Ok(Some(x))
        }
        "CreateUser" => {
            let user_name = params.name("UserName", "userName", 64)?;
            let path = params.entity_path("Path", "path")?.unwrap_or("/");
            let input = service::users::NewUserInput {
                name: user_name.to_string(),
                path: path.to_string(),
                password_mode: model::users::PasswordMode::None,
                password: String::new(),
                require_reset: false,
                tags: String::new(),
                tag_pairs: params.tags()?,
                boundary: params.get("PermissionsBoundary").map(str::to_string),
            };
            let created = service.create_user(caller, input).await?;
            let mut x = Xml::new();
            x.element("User", |x| user_xml(x, &created.user, account));
            Ok(Some(x))
        }
        "DeleteUser" => {
            let user_name = params.name("UserName", "userName", 128)?;
            service.delete_unused_user(caller, user_name).await?;
            Ok(None)
        }
        "CreateGroup" => {
            let group = params.name("GroupName", "groupName", 128)?;
            let path = params.entity_path("Path", "path")?.unwrap_or("/");
            let created = service.create_group_at(caller, path, group).await?;
            let mut x = Xml::new();
            x.element("Group", |x| {
                group_xml(
                    x,
                    &created.arn,
                    &created.name,
                    &created.id,
                    created.created_at,
                );
            });
            Ok(Some(x))
        }
        "GetGroup" => {
            let group = params.name("GroupName", "groupName", 128)?;
            let (group, members) = service.get_group(caller, group).await?;
            let mut x = Xml::new();
            x.element("Group", |x| {
                group_xml(x, &group.arn, &group.name, &group.id, group.created_at);
            });
            page(&mut x, params, "Users", &members, |x, u| {
                listed_user_xml(x, u, account)
            })?;
            Ok(Some(x))
        }
        "ListGroups" => {
            let prefix = params.path_prefix()?;
            let groups = service.groups_under(caller, &prefix).await?;
            let mut x = Xml::new();
            page(&mut x, params, "Groups", &groups, |x, g| {
                group_xml(x, &g.arn, &g.name, &g.id, g.created_at);
            })?;
            Ok(Some(x))
        }
        "DeleteGroup" => {
            let group = params.name("GroupName", "groupName", 128)?;
            service.delete_unused_group(caller, group).await?;
            Ok(None)
        }
        "AddUserToGroup" | "RemoveUserFromGroup" => {
            let group = params.name("GroupName", "groupName", 128)?;
            let user = params.name("UserName", "userName", 128)?;
            if name == "AddUserToGroup" {
                service.add_member(caller, group, user).await?;
            } else {
                service.remove_member(caller, group, user).await?;
            }
            Ok(None)
        }
        "AttachUserPolicy" | "DetachUserPolicy" | "AttachGroupPolicy" | "DetachGroupPolicy"
        | "AttachRolePolicy" | "DetachRolePolicy" => {
            let (holder, holder_name) = if name.ends_with("UserPolicy") {
                (Holder::User, params.name("UserName", "userName", 128)?)
            } else if name.ends_with("GroupPolicy") {
                (Holder::Group, params.name("GroupName", "groupName", 128)?)
            } else {
                (Holder::Role, params.name("RoleName", "roleName", 64)?)
            };
            let arn = policy_arn(params)?;
            if name.starts_with("Attach") {
                service
                    .attach_policy(caller, holder, holder_name, arn)
                    .await?;
            } else {
                service
                    .detach_policy(caller, holder, holder_name, arn)
                    .await?;
            }
            Ok(None)
        }
        "CreatePolicy" => {
            let policy_name = params.name("PolicyName", "policyName", 128)?;
            let document = params.required("PolicyDocument", "policyDocument")?;
            let description = params.get("Description").unwrap_or_default();
            let path = params.entity_path("Path", "path")?.unwrap_or("/");
            let created = service
                .create_policy(
                    caller,
                    path,
                    policy_name,
                    description,
                    document,
                    &params.tags()?,
                )
                .await?;
            let view = service::lookup::ManagedPolicyView::from(created);
            let mut x = Xml::new();
            x.element("Policy", |x| {
                policy_xml(x, &view, true);
                tags_xml(x, &view.tags);
            });
            Ok(Some(x))
        }
        "CreateRole" => {
            let role_name = params.name("RoleName", "roleName", 64)?;
            let document =
                params.required("AssumeRolePolicyDocument", "assumeRolePolicyDocument")?;
            let seconds = match params.get("MaxSessionDuration") {
                None => 3600,
                Some(text) => match text.parse::<i32>() {
                    Ok(n) if (3600..=43_200).contains(&n) => n,
                    _ => {
                        return Err(ApiError::validation(
                            Some(text),
                            "maxSessionDuration",
                            "Member must have value between 3600 and 43200",
                        ))
                    }
                },
            };
            let path = params.entity_path("Path", "path")?.unwrap_or("/");
            let form = model::roles::NewRole {
                name: role_name.to_string(),
                description: params.get("Description").unwrap_or_default().to_string(),
                trusted_users: String::new(),
                trusted_accounts: String::new(),
                external_id: String::new(),
                require_mfa: false,
                max_session_hours: seconds / 3600,
                trust_policy: document.to_string(),
                tags: params.tags()?,
                path: path.to_string(),
                max_session_seconds: Some(seconds),
            };
            let role = service.create_role(caller, form).await?;
            let mut x = Xml::new();
            x.element("Role", |x| role_xml(x, &role));
            Ok(Some(x))
        }
        "GetRole" => {
            let role_name = params.name("RoleName", "roleName", 64)?;
            let role = service.get_role(caller, role_name).await?;
            let mut x = Xml::new();
            x.element("Role", |x| role_xml(x, &role));
            Ok(Some(x))
        }
        "ListRoles" => {
            let prefix = params.path_prefix()?;
            let roles = service.roles_under(caller, &prefix).await?;
            let mut x = Xml::new();
            page(&mut x, params, "Roles", &roles, listed_role_xml)?;
            Ok(Some(x))
        }
        "DeleteRole" => {
            let role_name = params.name("RoleName", "roleName", 64)?;
            service.delete_unused_role(caller, role_name).await?;
            Ok(None)
        }
        "ListGroupsForUser" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let groups = service.groups_of(caller, user_name).await?;
            let mut x = Xml::new();
            page(&mut x, params, "Groups", &groups, |x, g| {
                group_xml(x, &g.arn, &g.name, &g.id, g.created_at);
            })?;
            Ok(Some(x))
        }
        "ListAttachedUserPolicies" | "ListAttachedGroupPolicies" | "ListAttachedRolePolicies" => {
            let (holder, holder_name) = holder_param(name, params)?;
            let catalogue = action(name).map_or("iam:ListAttachedUserPolicies", |a| a.catalogue);
            let policies = service
                .own_policies(caller, holder, &holder_name, catalogue)
                .await?;
            let attached: Vec<(String, String)> = policies
                .into_iter()
                .filter_map(|p| p.policy_arn.map(|arn| (p.name, arn)))
                .collect();
            let mut x = Xml::new();
            page(
                &mut x,
                params,
                "AttachedPolicies",
                &attached,
                |x, (n, a)| {
                    x.text("PolicyName", n).text("PolicyArn", a);
                },
            )?;
            Ok(Some(x))
        }
        "ListUserPolicies" | "ListGroupPolicies" | "ListRolePolicies" => {
            let (holder, holder_name) = holder_param(name, params)?;
            let catalogue = action(name).map_or("iam:ListUserPolicies", |a| a.catalogue);
            let policies = service
                .own_policies(caller, holder, &holder_name, catalogue)
                .await?;
            let names: Vec<String> = policies
                .into_iter()
                .filter(|p| p.policy_arn.is_none())
                .map(|p| p.name)
                .collect();
            let mut x = Xml::new();
            page(&mut x, params, "PolicyNames", &names, |x, n| {
                x.escaped(n);
            })?;
            Ok(Some(x))
        }
        "GetUserPolicy" | "GetGroupPolicy" | "GetRolePolicy" => {
            let (holder, holder_name) = holder_param(name, params)?;
            let policy_name = params.name("PolicyName", "policyName", 128)?;
            let catalogue = action(name).map_or("iam:GetUserPolicy", |a| a.catalogue);
            let policies = service
                .own_policies(caller, holder, &holder_name, catalogue)
                .await?;
            let found = policies
                .into_iter()
                .find(|p| p.policy_arn.is_none() && p.name.eq_ignore_ascii_case(policy_name))
                .ok_or_else(|| {
                    ApiError::new(
                        http::StatusCode::NOT_FOUND,
                        "NoSuchEntity",
                        format!(
                            "The {} policy with name {policy_name} cannot be found.",
                            holder.what()
                        ),
                    )
                })?;
            let mut x = Xml::new();
            x.text(holder_element(holder), &holder_name)
                .text("PolicyName", &found.name)
                .text(
                    "PolicyDocument",
                    &url_encoded(found.document.as_deref().unwrap_or_default()),
                );
            Ok(Some(x))
        }
        "PutUserPolicy" | "PutGroupPolicy" | "PutRolePolicy" => {
            let (holder, holder_name) = holder_param(name, params)?;
            let policy_name = params.name("PolicyName", "policyName", 128)?;
            let document = params.required("PolicyDocument", "policyDocument")?;
            service
                .put_inline_policy(caller, holder, &holder_name, policy_name, document)
                .await?;
            Ok(None)
        }
        "DeleteUserPolicy" | "DeleteGroupPolicy" | "DeleteRolePolicy" => {
            let (holder, holder_name) = holder_param(name, params)?;
            let policy_name = params.name("PolicyName", "policyName", 128)?;
            service
                .delete_inline_policy(caller, holder, &holder_name, policy_name)
                .await?;
            Ok(None)
        }
        "ListPolicies" => {
            let scope = params.get("Scope").unwrap_or("All");
            if !matches!(scope, "All" | "AWS" | "Local") {
                return Err(ApiError::validation(
                    Some(scope),
                    "scope",
                    "Member must satisfy enum value set: [All, AWS, Local]",
                ));
            }
            let only_attached = params.get("OnlyAttached") == Some("true");
            let prefix = params.path_prefix()?;
            let policies: Vec<_> = service
                .managed_policies(caller)
                .await?
                .into_iter()
                .filter(|p| match scope {
                    "AWS" => p.aws_managed,
                    "Local" => !p.aws_managed,
                    _ => true,
                })
                .filter(|p| !only_attached || p.attachments > 0)
                .filter(|p| entity_path(&p.arn, "policy").starts_with(prefix.as_str()))
                .collect();
            let mut x = Xml::new();
            page(&mut x, params, "Policies", &policies, |x, p| {
                policy_xml(x, p, false)
            })?;
            Ok(Some(x))
        }
        "GetPolicy" => {
            let view = managed(service, caller, params, "iam:GetPolicy").await?;
            let mut x = Xml::new();
            x.element("Policy", |x| {
                policy_xml(x, &view, true);
                tags_xml(x, &view.tags);
            });
            Ok(Some(x))
        }
        "GetPolicyVersion" => {
            let version = version_id(params)?;
            let view = managed(service, caller, params, "iam:GetPolicyVersion").await?;
            let found = view
                .versions
                .iter()
                .find(|v| v.version == version)
                .ok_or_else(|| no_such_version(&view.arn, version))?;
            let mut x = Xml::new();
            x.element("PolicyVersion", |x| {
                x.text("Document", &url_encoded(&found.document))
                    .text("VersionId", &format!("v{}", found.version))
                    .text(
                        "IsDefaultVersion",
                        if found.is_default { "true" } else { "false" },
                    )
                    .text("CreateDate", &date(found.created_at));
            });
            Ok(Some(x))
        }
        "CreatePolicyVersion" => {
            let arn = policy_arn(params)?;
            let policy_name = policy_name_of(arn, account)?;
            let document = params.required("PolicyDocument", "policyDocument")?;
            let default = params.get("SetAsDefault") == Some("true");
            let version = service
                .create_policy_version(caller, policy_name, document, default)
                .await?;
            let mut x = Xml::new();
            x.element("PolicyVersion", |x| {
                x.text("VersionId", &format!("v{version}"))
                    .text("IsDefaultVersion", if default { "true" } else { "false" })
                    .text("CreateDate", &date(caller.now));
            });
            Ok(Some(x))
        }
        "ListPolicyVersions" => {
            let view = managed(service, caller, params, "iam:ListPolicyVersions").await?;
            let mut x = Xml::new();
            page(&mut x, params, "Versions", &view.versions, |x, v| {
                x.text("VersionId", &format!("v{}", v.version))
                    .text(
                        "IsDefaultVersion",
                        if v.is_default { "true" } else { "false" },
                    )
                    .text("CreateDate", &date(v.created_at));
            })?;
            Ok(Some(x))
        }
        "DeletePolicyVersion" | "SetDefaultPolicyVersion" => {
            let version = version_id(params)?;
            let catalogue = if name == "DeletePolicyVersion" {
                "iam:DeletePolicyVersion"
            } else {
                "iam:SetDefaultPolicyVersion"
            };
            let view = managed(service, caller, params, catalogue).await?;
            if !view.versions.iter().any(|v| v.version == version) {
                return Err(no_such_version(&view.arn, version));
            }
            if name == "DeletePolicyVersion" {
                if version == view.default_version {
                    return Err(ApiError::new(
                        http::StatusCode::CONFLICT,
                        "DeleteConflict",
                        "Cannot delete the default version of a policy.",
                    ));
                }
                service
                    .delete_policy_version(caller, &view.name, version)
                    .await?;
            } else {
                service
                    .set_default_version(caller, &view.name, version)
                    .await?;
            }
            Ok(None)
        }
        "UpdateUser" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let new_name = params.optional_name("NewUserName", "newUserName", 64)?;
            let new_path = params.entity_path("NewPath", "newPath")?;
            service
                .update_user(caller, user_name, new_name, new_path)
                .await?;
            Ok(None)
        }
        "UpdateGroup" => {
            let group = params.name("GroupName", "groupName", 128)?;
            let new_name = params.optional_name("NewGroupName", "newGroupName", 128)?;
            let new_path = params.entity_path("NewPath", "newPath")?;
            service
                .update_group(caller, group, new_name, new_path)
                .await?;
            Ok(None)
        }
        "ChangePassword" => {
            let old = params.required("OldPassword", "oldPassword")?;
            let new = params.required("NewPassword", "newPassword")?;
            if caller.is_root() {
                return Err(ApiError::new(
                    http::StatusCode::BAD_REQUEST,
                    "InvalidUserType",
                    "The root user changes its password in the console, not with ChangePassword.",
                ));
            }
            service
                .change_password(caller, old, new, new)
                .await
                .map_err(|e| match e {
                    service::ServiceError::Invalid {
                        field: "current",
                        message,
                    } => ApiError::new(http::StatusCode::FORBIDDEN, "AccessDenied", message),
                    other => password_error(other),
                })?;
            Ok(None)
        }
        "DeleteAccountPasswordPolicy" => {
            service.delete_password_policy(caller).await?;
            Ok(None)
        }
        "UpdateRoleDescription" => {
            let role_name = params.name("RoleName", "roleName", 64)?;
            let description = params.required("Description", "description")?;
            service
                .update_role_description(caller, role_name, description)
                .await?;
            let role = service.get_role(caller, role_name).await?;
            let mut x = Xml::new();
            x.element("Role", |x| role_xml(x, &role));
            Ok(Some(x))
        }
        "UploadServerCertificate" => {
            let input = service::server_certificates::UploadInput {
                name: params
                    .name("ServerCertificateName", "serverCertificateName", 128)?
                    .to_string(),
                path: params
                    .entity_path("Path", "path")?
                    .unwrap_or("/")
                    .to_string(),
                body: params
                    .required("CertificateBody", "certificateBody")?
                    .to_string(),
                private_key: params.required("PrivateKey", "privateKey")?.to_string(),
                chain: params.get("CertificateChain").map(str::to_string),
                tags: params.tags()?,
            };
            let certificate = service.upload_server_certificate(caller, &input).await?;
            let mut x = Xml::new();
            x.element("ServerCertificateMetadata", |x| {
                certificate_metadata_xml(x, &certificate)
            });
            tags_xml(&mut x, &certificate.tags);
            Ok(Some(x))
        }
        "GetServerCertificate" => {
            let certificate = service
                .server_certificate(
                    caller,
                    params.name("ServerCertificateName", "serverCertificateName", 128)?,
                )
                .await?;
            let mut x = Xml::new();
            x.element("ServerCertificate", |x| {
                x.element("ServerCertificateMetadata", |x| {
                    certificate_metadata_xml(x, &certificate)
                });
                x.text("CertificateBody", &certificate.body);
                if let Some(chain) = &certificate.chain {
                    x.text("CertificateChain", chain);
                }
                tags_xml(x, &certificate.tags);
            });
            Ok(Some(x))
        }
        "ListServerCertificates" => {
            let prefix = params.path_prefix()?;
            let certificates = service.server_certificates_under(caller, &prefix).await?;
            let mut x = Xml::new();
            page(
                &mut x,
                params,
                "ServerCertificateMetadataList",
                &certificates,
                certificate_metadata_xml,
            )?;
            Ok(Some(x))
        }
        "UpdateServerCertificate" => {
            let name = params.name("ServerCertificateName", "serverCertificateName", 128)?;
            let new_name = params.optional_name(
                "NewServerCertificateName",
                "newServerCertificateName",
                128,
            )?;
            let new_path = params.entity_path("NewPath", "newPath")?;
            service
                .update_server_certificate(caller, name, new_name, new_path)
                .await?;
            Ok(None)
        }
        "DeleteServerCertificate" => {
            let name = params.name("ServerCertificateName", "serverCertificateName", 128)?;
            service.delete_server_certificate(caller, name).await?;
            Ok(None)
        }
        "CreateServiceLinkedRole" => {
            let service_name = params.required("AWSServiceName", "aWSServiceName")?;
            let description = params.get("Description").unwrap_or_default();
            let suffix = params.get("CustomSuffix");
            let role = service
                .create_service_linked_role(caller, service_name, description, suffix)
                .await
                .map_err(|e| match e {
                    service::ServiceError::Invalid { message, .. } => {
                        ApiError::new(http::StatusCode::BAD_REQUEST, "InvalidInput", message)
                    }
                    other => other.into(),
                })?;
            let mut x = Xml::new();
            x.element("Role", |x| role_xml(x, &role));
            Ok(Some(x))
        }
        "DeleteServiceLinkedRole" => {
            let role_name = params.name("RoleName", "roleName", 64)?;
            let task = service
                .delete_service_linked_role(caller, role_name)
                .await?;
            let mut x = Xml::new();
            x.text("DeletionTaskId", &task);
            Ok(Some(x))
        }
        "GetServiceLinkedRoleDeletionStatus" => {
            let task = params.required("DeletionTaskId", "deletionTaskId")?;
            let status = service
                .service_linked_role_deletion_status(caller, task)
                .await?;
            let mut x = Xml::new();
            x.text("Status", status);
            Ok(Some(x))
        }
        "CreateOpenIDConnectProvider" => {
            let url = params.required("Url", "url")?;
            let client_ids = members(params, "ClientIDList");
            let thumbprints = members(params, "ThumbprintList");
            let provider = service
                .create_oidc_provider(caller, url, &client_ids, &thumbprints, &params.tags()?)
                .await?;
            let mut x = Xml::new();
            x.text("OpenIDConnectProviderArn", &provider.arn);
            tags_xml(&mut x, &provider.tags);
            Ok(Some(x))
        }
        "GetOpenIDConnectProvider" => {
            let provider = service.oidc_provider(caller, oidc_arn(params)?).await?;
            let mut x = Xml::new();
            // AWS answers the URL without its scheme.
            let url = provider
                .url
                .strip_prefix("https://")
                .or_else(|| provider.url.strip_prefix("http://"))
                .unwrap_or(&provider.url);
            x.text("Url", url);
            x.list("ClientIDList", &provider.client_ids, |x, id| {
                x.escaped(id);
            });
            x.list("ThumbprintList", &provider.thumbprints, |x, print| {
                x.escaped(print);
            });
            x.text("CreateDate", &date(provider.created_at));
            tags_xml(&mut x, &provider.tags);
            Ok(Some(x))
        }
        "ListOpenIDConnectProviders" => {
            let providers = service.oidc_providers(caller).await?;
            let mut x = Xml::new();
            x.list("OpenIDConnectProviderList", &providers, |x, p| {
                x.text("Arn", &p.arn);
            });
            Ok(Some(x))
        }
        "DeleteOpenIDConnectProvider" => {
            service
                .delete_oidc_provider(caller, oidc_arn(params)?)
                .await?;
            Ok(None)
        }
        "AddClientIDToOpenIDConnectProvider" | "RemoveClientIDFromOpenIDConnectProvider" => {
            let arn = oidc_arn(params)?;
            let client_id = params.required("ClientID", "clientID")?;
            if name.starts_with("Add") {
                service.add_oidc_client_id(caller, arn, client_id).await?;
            } else {
                service
                    .remove_oidc_client_id(caller, arn, client_id)
                    .await?;
            }
            Ok(None)
        }
        "UpdateOpenIDConnectProviderThumbprint" => {
            let arn = oidc_arn(params)?;
            let thumbprints = members(params, "ThumbprintList");
            if thumbprints.is_empty() {
                return Err(ApiError::validation(
                    None,
                    "thumbprintList",
                    "Member must not be null",
                ));
            }
            service
                .update_oidc_thumbprints(caller, arn, &thumbprints)
                .await?;
            Ok(None)
        }
        "CreateSAMLProvider" => {
            let name = params.required("Name", "name")?;
            let document = saml_metadata(params)?;
            if params.get("AddPrivateKey").is_some()
                || params.get("AssertionEncryptionMode") == Some("Required")
            {
                return Err(ApiError::new(
                    http::StatusCode::BAD_REQUEST,
                    "InvalidInput",
                    "Encrypted SAML assertions are not supported here: leave out AddPrivateKey and AssertionEncryptionMode=Required, and have the identity provider sign the assertion unencrypted.",
                ));
            }
            let provider = service
                .create_saml_provider(caller, name, document, &params.tags()?)
                .await?;
            let mut x = Xml::new();
            x.text("SAMLProviderArn", &provider.arn);
            tags_xml(&mut x, &provider.tags);
            Ok(Some(x))
        }
        "GetSAMLProvider" => {
            let provider = service.saml_provider(caller, saml_arn(params)?).await?;
            let mut x = Xml::new();
            x.text("SAMLProviderUUID", &provider.id)
                .text("SAMLMetadataDocument", &provider.metadata)
                .text("CreateDate", &date(provider.created_at));
            if let Some(until) = provider.valid_until {
                x.text("ValidUntil", &date(until));
            }
            x.text("AssertionEncryptionMode", "Allowed");
            tags_xml(&mut x, &provider.tags);
            Ok(Some(x))
        }
        "ListSAMLProviders" => {
            let providers = service.saml_providers(caller).await?;
            let mut x = Xml::new();
            x.list("SAMLProviderList", &providers, |x, p| {
                x.text("Arn", &p.arn);
                if let Some(until) = p.valid_until {
                    x.text("ValidUntil", &date(until));
                }
                x.text("CreateDate", &date(p.created_at));
            });
            Ok(Some(x))
        }
        "UpdateSAMLProvider" => {
            let arn = saml_arn(params)?;
            if params.get("AddPrivateKey").is_some()
                || params.get("RemovePrivateKey").is_some()
                || params.get("AssertionEncryptionMode") == Some("Required")
            {
                return Err(ApiError::new(
                    http::StatusCode::BAD_REQUEST,
                    "InvalidInput",
                    "Encrypted SAML assertions are not supported here: there are no private keys to add or remove.",
                ));
            }
            if params.get("SAMLMetadataDocument").is_none() {
                return Err(ApiError::new(
                    http::StatusCode::BAD_REQUEST,
                    "InvalidInput",
                    "Unable to update identity provider. No updates are defined for metadata or encryption assertion.",
                ));
            }
            let document = saml_metadata(params)?;
            service.update_saml_provider(caller, arn, document).await?;
            let mut x = Xml::new();
            x.text("SAMLProviderArn", arn);
            Ok(Some(x))
        }
        "DeleteSAMLProvider" => {
            service
                .delete_saml_provider(caller, saml_arn(params)?)
                .await?;
            Ok(None)
        }
        "DeletePolicy" => {
            let arn = policy_arn(params)?;
            let policy_name = policy_name_of(arn, account)?;
            service
                .delete_policy(caller, policy_name, policy_name)
                .await?;
            Ok(None)
        }
        "GetAccountPasswordPolicy" => {
            let settings = service.account_settings(caller).await?;
            let p = settings.account.password_policy;
            let b = |v: bool| if v { "true" } else { "false" };
            let mut x = Xml::new();
            x.element("PasswordPolicy", |x| {
                x.text(
                    "MinimumPasswordLength",
                    &p.minimum_password_length.to_string(),
                )
                .text("RequireSymbols", b(p.require_symbols))
                .text("RequireNumbers", b(p.require_numbers))
                .text(
                    "RequireUppercaseCharacters",
                    b(p.require_uppercase_characters),
                )
                .text(
                    "RequireLowercaseCharacters",
                    b(p.require_lowercase_characters),
                )
                .text(
                    "AllowUsersToChangePassword",
                    b(p.allow_users_to_change_password),
                )
                .text("ExpirePasswords", b(p.max_password_age.is_some()));
                if let Some(days) = p.max_password_age {
                    x.text("MaxPasswordAge", &days.to_string());
                }
                if let Some(count) = p.password_reuse_prevention {
                    x.text("PasswordReusePrevention", &count.to_string());
                }
                x.text("HardExpiry", b(p.hard_expiry));
            });
            Ok(Some(x))
        }
        "UpdateAccountPasswordPolicy" => {
            let form = model::settings::PasswordPolicyForm {
                minimum_password_length: number(
                    params,
                    "MinimumPasswordLength",
                    "minimumPasswordLength",
                    6..=128,
                )?
                .unwrap_or(6)
                .to_string(),
                require_symbols: flag(params, "RequireSymbols", "requireSymbols")?,
                require_numbers: flag(params, "RequireNumbers", "requireNumbers")?,
                require_uppercase_characters: flag(
                    params,
                    "RequireUppercaseCharacters",
                    "requireUppercaseCharacters",
                )?,
                require_lowercase_characters: flag(
                    params,
                    "RequireLowercaseCharacters",
                    "requireLowercaseCharacters",
                )?,
                allow_users_to_change_password: flag(
                    params,
                    "AllowUsersToChangePassword",
                    "allowUsersToChangePassword",
                )?,
                max_password_age: number(params, "MaxPasswordAge", "maxPasswordAge", 1..=1095)?
                    .map(|n| n.to_string())
                    .unwrap_or_default(),
                password_reuse_prevention: number(
                    params,
                    "PasswordReusePrevention",
                    "passwordReusePrevention",
                    1..=24,
                )?
                .map(|n| n.to_string())
                .unwrap_or_default(),
                hard_expiry: flag(params, "HardExpiry", "hardExpiry")?,
            };
            service.update_password_policy(caller, &form).await?;
            Ok(None)
        }
        "CreateLoginProfile" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let password = params.required("Password", "password")?;
            let reset = flag(params, "PasswordResetRequired", "passwordResetRequired")?;
            let profile = service
                .create_login_profile(caller, user_name, password, reset)
                .await
                .map_err(password_error)?;
            let mut x = Xml::new();
            login_profile_xml(&mut x, &profile);
            Ok(Some(x))
        }
        "GetLoginProfile" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let profile = service.login_profile(caller, user_name).await?;
            let mut x = Xml::new();
            login_profile_xml(&mut x, &profile);
            Ok(Some(x))
        }
        "UpdateLoginProfile" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let reset = flag(params, "PasswordResetRequired", "passwordResetRequired")?;
            service
                .update_login_profile(caller, user_name, params.get("Password"), reset)
                .await
                .map_err(password_error)?;
            Ok(None)
        }
        "DeleteLoginProfile" => {
            let user_name = params.name("UserName", "userName", 128)?;
            service.delete_login_profile(caller, user_name).await?;
            Ok(None)
        }
        "TagUser"
        | "TagRole"
        | "TagPolicy"
        | "TagInstanceProfile"
        | "TagOpenIDConnectProvider"
        | "TagSAMLProvider"
        | "TagMFADevice"
        | "TagServerCertificate" => {
            let (tagged, subject) = tag_subject(name, params, account)?;
            let tags = params.tags()?;
            if tags.is_empty() {
                return Err(ApiError::validation(
                    None,
                    "tags",
                    "Member must not be null",
                ));
            }
            service.tag(caller, tagged, &subject, &tags).await?;
            Ok(None)
        }
        "UntagUser"
        | "UntagRole"
        | "UntagPolicy"
        | "UntagInstanceProfile"
        | "UntagOpenIDConnectProvider"
        | "UntagSAMLProvider"
        | "UntagMFADevice"
        | "UntagServerCertificate" => {
            let (tagged, subject) = tag_subject(name, params, account)?;
            let keys = tag_keys(params)?;
            service.untag(caller, tagged, &subject, &keys).await?;
            Ok(None)
        }
        "ListUserTags"
        | "ListRoleTags"
        | "ListPolicyTags"
        | "ListInstanceProfileTags"
        | "ListOpenIDConnectProviderTags"
        | "ListSAMLProviderTags"
        | "ListMFADeviceTags"
        | "ListServerCertificateTags" => {
            let (tagged, subject) = tag_subject(name, params, account)?;
            let tags: Vec<(String, String)> = service
                .tags_of(caller, tagged, &subject)
                .await?
                .into_iter()
                .collect();
            let mut x = Xml::new();
            page(&mut x, params, "Tags", &tags, |x, (k, v)| {
                x.text("Key", k).text("Value", v);
            })?;
            Ok(Some(x))
        }
        "UpdateAssumeRolePolicy" => {
            let role_name = params.name("RoleName", "roleName", 64)?;
            let document = params.required("PolicyDocument", "policyDocument")?;
            service
                .update_trust_policy(caller, role_name, document)
                .await?;
            Ok(None)
        }
        "UpdateRole" => {
            let role_name = params.name("RoleName", "roleName", 64)?;
            let current = service.get_role(caller, role_name).await?;
            let description = params
                .get("Description")
                .map_or(current.description.clone(), str::to_string);
            let seconds = number(
                params,
                "MaxSessionDuration",
                "maxSessionDuration",
                3600..=43_200,
            )?
            .unwrap_or(i64::from(current.max_session_seconds));
            let seconds = i32::try_from(seconds).unwrap_or(3600);
            service
                .update_role(caller, role_name, &description, seconds)
                .await?;
            // AWS answers UpdateRole with an empty result element, which SDKs expect.
            Ok(Some(Xml::new()))
        }
        "PutUserPermissionsBoundary"
        | "PutRolePermissionsBoundary"
        | "DeleteUserPermissionsBoundary"
        | "DeleteRolePermissionsBoundary" => {
            let (holder, holder_name) = holder_param(name, params)?;
            let boundary = if name.starts_with("Put") {
                let arn = params.required("PermissionsBoundary", "permissionsBoundary")?;
                Some(arn)
            } else {
                None
            };
            service
                .set_boundary(caller, holder, &holder_name, boundary)
                .await?;
            Ok(None)
        }
        "SimulatePrincipalPolicy" => {
            let source = params.required("PolicySourceArn", "policySourceArn")?;
            let prefix = format!("arn:aws:iam::{account}:");
            let (kind, rest) = source
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split_once('/'))
                .filter(|(kind, _)| matches!(*kind, "user" | "group" | "role"))
                .ok_or_else(|| {
                    ApiError::new(
                        http::StatusCode::BAD_REQUEST,
                        "InvalidInput",
                        format!(
                            "Invalid ARN {source}: simulate a user, group or role of this account."
                        ),
                    )
                })?;
            let subject = rest.rsplit('/').next().unwrap_or(rest);
            let input = simulation(params, kind, subject)?;
            let result = service.simulate(caller, &input).await?;
            let mut x = Xml::new();
            simulation_xml(&mut x, &result, &input.resource);
            Ok(Some(x))
        }
        "SimulateCustomPolicy" => {
            if members(params, "PolicyInputList").is_empty() {
                return Err(ApiError::validation(
                    None,
                    "policyInputList",
                    "Member must not be null",
                ));
            }
            let input = simulation(params, "user", "")?;
            let result = service.simulate(caller, &input).await?;
            let mut x = Xml::new();
            simulation_xml(&mut x, &result, &input.resource);
            Ok(Some(x))
        }
        "GenerateCredentialReport" => {
            service.generate_credential_report(caller).await?;
            let mut x = Xml::new();
            x.text("State", "COMPLETE")
                .text("Description", "The credential report was generated.");
            Ok(Some(x))
        }
        "GetCredentialReport" => {
            use base64::Engine;
            let Some((generated, content)) = service.credential_report(caller).await? else {
                return Err(ApiError::new(
                    http::StatusCode::GONE,
                    "ReportNotPresent",
                    "Credential report not present. Call GenerateCredentialReport first.",
                ));
            };
            let mut x = Xml::new();
            x.text(
                "Content",
                &base64::engine::general_purpose::STANDARD.encode(content.as_bytes()),
            )
            .text("ReportFormat", "text/csv")
            .text("GeneratedTime", &date(generated));
            Ok(Some(x))
        }
        "GetAccountSummary" => {
            let summary = service.account_summary(caller).await?;
            let mut x = Xml::new();
            x.element("SummaryMap", |x| {
                for (key, value) in &summary {
                    x.element("entry", |x| {
                        x.text("key", key).text("value", &value.to_string());
                    });
                }
            });
            Ok(Some(x))
        }
        "ListAccountAliases" => {
            let aliases = service.account_aliases(caller).await?;
            let mut x = Xml::new();
            page(&mut x, params, "AccountAliases", &aliases, |x, a| {
                x.escaped(a);
            })?;
            Ok(Some(x))
        }
        "CreateAccountAlias" | "DeleteAccountAlias" => {
            let alias = params.required("AccountAlias", "accountAlias")?;
            if !service::account::valid_alias(alias) {
                return Err(ApiError::validation(
                    Some(alias),
                    "accountAlias",
                    "Member must satisfy regular expression pattern: ^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$",
                ));
            }
            if name == "CreateAccountAlias" {
                service.create_account_alias(caller, alias).await?;
            } else {
                service.delete_account_alias(caller, alias).await?;
            }
            Ok(None)
        }
        "ListEntitiesForPolicy" => {
            let view = managed(service, caller, params, "iam:ListEntitiesForPolicy").await?;
            let entities = service.entities_for_policy(&view).await?;
            let mut x = Xml::new();
            x.list("PolicyGroups", &entities.groups, |x, g| {
                x.text("GroupName", &g.name).text("GroupId", &g.id);
            });
            x.list("PolicyUsers", &entities.users, |x, u| {
                x.text("UserName", &u.name).text("UserId", &u.id);
            });
            x.list("PolicyRoles", &entities.roles, |x, r| {
                x.text("RoleName", &r.name).text("RoleId", &r.id);
            });
            x.text("IsTruncated", "false");
            Ok(Some(x))
        }
        "ListMFADevices" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let user = service.mfa_owner(caller, user_name).await?;
            let devices: Vec<&User> = std::iter::once(&user).filter(|u| u.mfa_enabled).collect();
            let mut x = Xml::new();
            page(&mut x, params, "MFADevices", &devices, |x, u| {
                x.text("UserName", u.display_name())
                    .text("SerialNumber", &u.mfa_serial(account))
                    .text(
                        "EnableDate",
                        &date(u.mfa_enabled_at.unwrap_or(u.created_at)),
                    );
            })?;
            Ok(Some(x))
        }
        "DeactivateMFADevice" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let serial = serial_number(params)?;
            service
                .deactivate_mfa_device(caller, user_name, serial)
                .await?;
            Ok(None)
        }
        "CreateServiceSpecificCredential" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let service_name = params.required("ServiceName", "serviceName")?;
            let (owner, credential, password) = service
                .create_service_credential(caller, Some(user_name), service_name)
                .await?;
            let mut x = Xml::new();
            x.element("ServiceSpecificCredential", |x| {
                service_credential_xml(x, &owner, &credential, Some(&password))
            });
            Ok(Some(x))
        }
        "ListServiceSpecificCredentials" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let (owner, credentials) = service
                .service_credentials(caller, user_name, params.get("ServiceName"))
                .await?;
            let mut x = Xml::new();
            x.list("ServiceSpecificCredentials", &credentials, |x, c| {
                service_credential_xml(x, owner.display_name(), c, None)
            });
            Ok(Some(x))
        }
        "UpdateServiceSpecificCredential" | "ResetServiceSpecificCredential" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let id = service_credential_id(params)?;
            let active = if name == "UpdateServiceSpecificCredential" {
                Some(status(params, "[Active, Inactive, Expired]")?)
            } else {
                None
            };
            let (owner, credential, password) = service
                .change_service_credential(caller, user_name, id, active)
                .await?;
            Ok(password.map(|password| {
                let mut x = Xml::new();
                x.element("ServiceSpecificCredential", |x| {
                    service_credential_xml(x, &owner, &credential, Some(&password))
                });
                x
            }))
        }
        "DeleteServiceSpecificCredential" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let id = service_credential_id(params)?;
            service
                .delete_service_credential(caller, user_name, id)
                .await?;
            Ok(None)
        }
        "UploadSSHPublicKey" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let body = params.required("SSHPublicKeyBody", "sSHPublicKeyBody")?;
            if body.chars().count() > 16_384 {
                return Err(ApiError::validation(
                    None,
                    "sSHPublicKeyBody",
                    "Member must have length less than or equal to 16384",
                ));
            }
            let (owner, key) = service
                .upload_ssh_key(caller, Some(user_name), body)
                .await?;
            let mut x = Xml::new();
            x.element("SSHPublicKey", |x| ssh_key_xml(x, &owner, &key, true));
            Ok(Some(x))
        }
        "GetSSHPublicKey" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let id = ssh_key_id(params)?;
            match params.required("Encoding", "encoding")? {
                "SSH" => {}
                "PEM" => {
                    return Err(ApiError::new(
                        http::StatusCode::BAD_REQUEST,
                        "UnrecognizedPublicKeyEncoding",
                        "Portcullis answers SSH public keys in SSH encoding only: ask with Encoding SSH.",
                    ))
                }
                other => {
                    return Err(ApiError::validation(
                        Some(other),
                        "encoding",
                        "Member must satisfy enum value set: [SSH, PEM]",
                    ))
                }
            }
            let (owner, key) = service.ssh_key(caller, Some(user_name), id).await?;
            let mut x = Xml::new();
            x.element("SSHPublicKey", |x| ssh_key_xml(x, &owner, &key, true));
            Ok(Some(x))
        }
        "ListSSHPublicKeys" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let (owner, keys) = service.ssh_keys(caller, user_name).await?;
            let mut x = Xml::new();
            page(&mut x, params, "SSHPublicKeys", &keys, |x, k| {
                ssh_key_xml(x, owner.display_name(), k, false)
            })?;
            Ok(Some(x))
        }
        "UpdateSSHPublicKey" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let id = ssh_key_id(params)?;
            let active = status(params, "[Active, Inactive, Expired]")?;
            service
                .set_ssh_key_active(caller, Some(user_name), id, active)
                .await?;
            Ok(None)
        }
        "DeleteSSHPublicKey" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let id = ssh_key_id(params)?;
            service.delete_ssh_key(caller, Some(user_name), id).await?;
            Ok(None)
        }
        "UploadSigningCertificate" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let body = params.required("CertificateBody", "certificateBody")?;
            let (owner, certificate) = service
                .upload_signing_certificate(caller, user_name, body)
                .await?;
            let mut x = Xml::new();
            x.element("Certificate", |x| {
                signing_certificate_xml(x, &owner, &certificate)
            });
            Ok(Some(x))
        }
        "ListSigningCertificates" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let (owner, certificates) = service.signing_certificates(caller, user_name).await?;
            let mut x = Xml::new();
            page(&mut x, params, "Certificates", &certificates, |x, c| {
                signing_certificate_xml(x, &owner, c)
            })?;
            Ok(Some(x))
        }
        "UpdateSigningCertificate" | "DeleteSigningCertificate" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let id = word_id(params, "CertificateId", "certificateId", 24)?;
            if name == "DeleteSigningCertificate" {
                service
                    .delete_signing_certificate(caller, user_name, id)
                    .await?;
                return Ok(None);
            }
            let active = status(params, "[Active, Inactive, Expired]")?;
            service
                .set_signing_certificate_active(caller, user_name, id, active)
                .await?;
            Ok(None)
        }
        "CreateInstanceProfile" => {
            let profile_name = params.name("InstanceProfileName", "instanceProfileName", 128)?;
            let path = params.entity_path("Path", "path")?.unwrap_or("/");
            let profile = service
                .create_instance_profile(caller, path, profile_name, None, &params.tags()?)
                .await?;
            let mut x = Xml::new();
            x.element("InstanceProfile", |x| {
                instance_profile_xml(x, &profile, true)
            });
            Ok(Some(x))
        }
        "GetInstanceProfile" => {
            let profile_name = params.name("InstanceProfileName", "instanceProfileName", 128)?;
            let profile = service.get_instance_profile(caller, profile_name).await?;
            let mut x = Xml::new();
            x.element("InstanceProfile", |x| {
                instance_profile_xml(x, &profile, true)
            });
            Ok(Some(x))
        }
        "ListInstanceProfiles" | "ListInstanceProfilesForRole" => {
            let (role, prefix) = if name == "ListInstanceProfilesForRole" {
                (
                    Some(params.name("RoleName", "roleName", 64)?),
                    "/".to_string(),
                )
            } else {
                (None, params.path_prefix()?)
            };
            let mut profiles = service.list_instance_profiles(caller, role).await?;
            profiles.retain(|p| entity_path(&p.arn, "instance-profile").starts_with(&prefix));
            let mut x = Xml::new();
            page(&mut x, params, "InstanceProfiles", &profiles, |x, p| {
                instance_profile_xml(x, p, false)
            })?;
            Ok(Some(x))
        }
        "AddRoleToInstanceProfile" | "RemoveRoleFromInstanceProfile" => {
            let profile_name = params.name("InstanceProfileName", "instanceProfileName", 128)?;
            let role_name = params.name("RoleName", "roleName", 64)?;
            if name == "AddRoleToInstanceProfile" {
                service
                    .add_role_to_instance_profile(caller, profile_name, role_name)
                    .await?;
            } else {
                service
                    .remove_role_from_instance_profile(caller, profile_name, role_name)
                    .await?;
            }
            Ok(None)
        }
        "DeleteInstanceProfile" => {
            let profile_name = params.name("InstanceProfileName", "instanceProfileName", 128)?;
            service
                .delete_instance_profile(caller, profile_name)
                .await?;
            Ok(None)
        }
        "GetContextKeysForCustomPolicy" | "GetContextKeysForPrincipalPolicy" => {
            let documents = members(params, "PolicyInputList");
            let subject = if name == "GetContextKeysForPrincipalPolicy" {
                let source = params.required("PolicySourceArn", "policySourceArn")?;
                Some(principal_of(source, account)?)
            } else {
                if documents.is_empty() {
                    return Err(ApiError::validation(
                        None,
                        "policyInputList",
                        "Member must not be null",
                    ));
                }
                None
            };
            let keys = service
                .context_keys(
                    caller,
                    subject.as_ref().map(|(h, n)| (*h, n.as_str())),
                    &documents,
                )
                .await?;
            let mut x = Xml::new();
            x.list("ContextKeyNames", &keys, |x, key| {
                x.escaped(key);
            });
            Ok(Some(x))
        }
        "GetAccountAuthorizationDetails" => {
            let filters = members(params, "Filter");
            let wants = |part: &str| filters.is_empty() || filters.iter().any(|f| f == part);
            for filter in &filters {
                if ![
                    "User",
                    "Role",
                    "Group",
                    "LocalManagedPolicy",
                    "AWSManagedPolicy",
                ]
                .contains(&filter.as_str())
                {
                    return Err(ApiError::validation(
                        Some(filter),
                        "filter",
                        "Member must satisfy constraint: [Member must satisfy enum value set: [User, Role, Group, LocalManagedPolicy, AWSManagedPolicy]]",
                    ));
                }
            }
            let parts = service::lookup::DetailParts {
                users: wants("User"),
                groups: wants("Group"),
                roles: wants("Role"),
                local_policies: wants("LocalManagedPolicy"),
                aws_policies: wants("AWSManagedPolicy"),
            };
            let details = service.authorization_details(caller, parts).await?;
            Ok(Some(authorization_details_xml(&details, params, account)?))
        }
        "CreateVirtualMFADevice" => {
            let name = params.name("VirtualMFADeviceName", "virtualMFADeviceName", 226)?;
            let path = params.entity_path("Path", "path")?.unwrap_or("/");
            let created = service
                .create_virtual_mfa_device(caller, path, name, &params.tags()?)
                .await?;
            use base64::Engine;
            let b64 = &base64::engine::general_purpose::STANDARD;
            let mut x = Xml::new();
            x.element("VirtualMFADevice", |x| {
                x.text("SerialNumber", &created.serial)
                    .text(
                        "Base32StringSeed",
                        &b64.encode(created.seed_base32.as_bytes()),
                    )
                    .text("QRCodePNG", &b64.encode(&created.qr_png));
                tags_xml(x, &created.tags);
            });
            Ok(Some(x))
        }
        "EnableMFADevice" | "ResyncMFADevice" => {
            let user_name = params.name("UserName", "userName", 128)?;
            let serial = serial_number(params)?;
            let codes = (
                authentication_code(params, "AuthenticationCode1", "authenticationCode1")?,
                authentication_code(params, "AuthenticationCode2", "authenticationCode2")?,
            );
            if name == "EnableMFADevice" {
                service
                    .enable_mfa_device(caller, user_name, serial, codes)
                    .await?;
            } else {
                service
                    .resync_mfa_device(caller, user_name, serial, codes)
                    .await?;
            }
            Ok(None)
        }
        "ListVirtualMFADevices" => {
            let which = match params.get("AssignmentStatus") {
                None | Some("Any") => service::mfa_devices::Assignment::Any,
                Some("Assigned") => service::mfa_devices::Assignment::Assigned,
                Some("Unassigned") => service::mfa_devices::Assignment::Unassigned,
                Some(other) => {
                    return Err(ApiError::validation(
                        Some(other),
                        "assignmentStatus",
                        "Member must satisfy enum value set: [Unassigned, Any, Assigned]",
                    ))
                }
            };
            let devices = service.virtual_mfa_devices(caller, which).await?;
            let mut x = Xml::new();
            page(&mut x, params, "VirtualMFADevices", &devices, |x, d| {
                x.text("SerialNumber", &d.serial);
                if let Some((user, enabled)) = &d.user {
                    x.element("User", |x| listed_user_xml(x, user, account));
                    x.text("EnableDate", &date(*enabled));
                }
            })?;
            Ok(Some(x))
        }
        "DeleteVirtualMFADevice" => {
            let serial = serial_number(params)?;
            service.delete_virtual_mfa_device(caller, serial).await?;
            Ok(None)
        }
        "CreateAccessKey" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let key = service.create_access_key(caller, user_name).await?;
            let mut x = Xml::new();
            x.element("AccessKey", |x| {
                x.text("UserName", &key.user_name)
                    .text("AccessKeyId", &key.id)
                    .text("Status", "Active")
                    .text("SecretAccessKey", &key.secret)
                    .text("CreateDate", &date(key.created_at));
            });
            Ok(Some(x))
        }
        "ListAccessKeys" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let (owner, keys) = service.list_access_keys(caller, user_name).await?;
            let owner_name = owner.display_name().to_string();
            let mut x = Xml::new();
            x.text("UserName", &owner_name);
            page(&mut x, params, "AccessKeyMetadata", &keys, |x, k| {
                x.text("UserName", &owner_name)
                    .text("AccessKeyId", &k.id)
                    .text("Status", if k.active { "Active" } else { "Inactive" })
                    .text("CreateDate", &date(k.created_at));
            })?;
            Ok(Some(x))
        }
        "UpdateAccessKey" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let id = access_key_id(params)?;
            let active = status(params, "[Active, Inactive]")?;
            service
                .update_access_key(caller, user_name, id, active)
                .await?;
            Ok(None)
        }
        "DeleteAccessKey" => {
            let user_name = params.optional_name("UserName", "userName", 128)?;
            let id = access_key_id(params)?;
            service.delete_access_key(caller, user_name, id).await?;
            Ok(None)
        }
        "GetAccessKeyLastUsed" => {
            let id = access_key_id(params)?;
            let used = service.access_key_last_used(caller, id).await?;
            let mut x = Xml::new();
            x.text("UserName", &used.user_name);
            x.element("AccessKeyLastUsed", |x| {
                if let Some(at) = used.at {
                    x.text("LastUsedDate", &date(at));
                }
                x.text("ServiceName", used.service.as_deref().unwrap_or("N/A"))
                    .text("Region", used.region.as_deref().unwrap_or("N/A"));
            });
            Ok(Some(x))
        }
        other => Err(ApiError::invalid_action(other, "2010-05-08")),
    }
}
