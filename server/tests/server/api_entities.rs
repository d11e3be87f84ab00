//! Paths, renames, policy versions and password changes through the API, with
//! AWS's texts, and the refusals an attacker would try: a move onto a denied path,
//! a rename onto a taken name in another case, the default version deleted.

use super::api::{
    api_app, assert_error, call_api, call_owned, console_user, field, pair, ROOT_KEY, ROOT_SECRET,
};
use super::*;

/// A self-signed certificate for the test key `attacker.pem`, made by the openssl
/// command (the key goes in on stdin, so no path is involved).
fn self_signed(days: u32, common_name: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(["req", "-x509", "-key", "/dev/stdin", "-sha256"])
        .args([
            "-days",
            &days.to_string(),
            "-subj",
            &format!("/CN={common_name}"),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(include_str!("keys/attacker.pem").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// Every `<tag>` text in `xml`, in order.
fn all(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split(&close).next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn paths_renames_and_policy_versions_as_aws_answers_them() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };

    // Users under a path: the path is part of the ARN and of the listing.
    let created = root(vec![
        pair("Action", "CreateUser"),
        pair("UserName", "alice"),
        pair("Path", "/engineering/"),
    ])
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    assert_eq!(field(&created.1, "Path"), "/engineering/");
    assert_eq!(
        field(&created.1, "Arn"),
        format!("arn:aws:iam::{account}:user/engineering/alice")
    );
    for bad in ["engineering/", "/engineering", "/has space/", "//"] {
        let refused = root(vec![
            pair("Action", "CreateUser"),
            pair("UserName", "bad"),
            pair("Path", bad),
        ])
        .await;
        assert_error(
            &refused,
            400,
            "ValidationError",
            &format!("1 validation error detected: Value '{bad}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"),
        );
    }
    assert!(app.store.user_by_name("bad").await.unwrap().is_none());
    root(vec![pair("Action", "CreateUser"), pair("UserName", "bob")]).await;
    let listed = root(vec![
        pair("Action", "ListUsers"),
        pair("PathPrefix", "/engineering/"),
    ])
    .await;
    assert_eq!(all(&listed.1, "UserName"), ["alice"], "{}", listed.1);
    let everyone = root(vec![pair("Action", "ListUsers")]).await;
    assert_eq!(all(&everyone.1, "UserName"), ["alice", "bob"]);

    // bob may change users under /engineering/ only: moving alice out is authorized
    // on the new ARN too, and refused; a move within is not.
    let rules = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:UpdateUser","iam:GetUser"],"Resource":"arn:aws:iam::{account}:user/engineering/*"}},{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::{account}:role/service/*"}}]}}"#
    );
    let put = root(vec![
        pair("Action", "PutUserPolicy"),
        pair("UserName", "bob"),
        pair("PolicyName", "engineering-only"),
        pair("PolicyDocument", &rules),
    ])
    .await;
    assert_eq!(put.0, 200, "{}", put.1);
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "bob"),
    ])
    .await;
    let (bob_key, bob_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let bob = |params: Vec<(String, String)>| {
        let (app, bob_key, bob_secret) = (&app, bob_key.clone(), bob_secret.clone());
        async move { call_owned(app, &bob_key, &bob_secret, &params).await }
    };
    let moved_out = bob(vec![
        pair("Action", "UpdateUser"),
        pair("UserName", "alice"),
        pair("NewPath", "/admins/"),
    ])
    .await;
    assert_error(
        &moved_out,
        403,
        "AccessDenied",
        &format!("User: arn:aws:iam::{account}:user/bob is not authorized to perform: iam:UpdateUser on resource: arn:aws:iam::{account}:user/admins/alice because no identity-based policy allows the iam:UpdateUser action"),
    );
    let renamed = bob(vec![
        pair("Action", "UpdateUser"),
        pair("UserName", "ALICE"),
        pair("NewUserName", "alicia"),
        pair("NewPath", "/engineering/platform/"),
    ])
    .await;
    assert_eq!(renamed.0, 200, "{}", renamed.1);
    let got = bob(vec![pair("Action", "GetUser"), pair("UserName", "alicia")]).await;
    assert_eq!(
        field(&got.1, "Arn"),
        format!("arn:aws:iam::{account}:user/engineering/platform/alicia")
    );
    let gone = root(vec![pair("Action", "GetUser"), pair("UserName", "alice")]).await;
    assert_error(
        &gone,
        404,
        "NoSuchEntity",
        "The user with name alice cannot be found.",
    );
    // Onto a taken name, in another case: refused, nothing changed.
    let taken = root(vec![
        pair("Action", "UpdateUser"),
        pair("UserName", "alicia"),
        pair("NewUserName", "BOB"),
    ])
    .await;
    assert_error(
        &taken,
        409,
        "EntityAlreadyExists",
        "User with name BOB already exists.",
    );
    assert!(app.store.user_by_name("alicia").await.unwrap().is_some());
    let audited = app
        .store
        .audit_log(&store::AuditFilter {
            action: "iam:UpdateUser".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audited
            .iter()
            .any(|e| e.detail.contains("user/engineering/platform/alicia")),
        "{audited:?}"
    );

    // Groups: a path at creation, a new name and path later.
    let group = root(vec![
        pair("Action", "CreateGroup"),
        pair("GroupName", "Builders"),
        pair("Path", "/teams/"),
    ])
    .await;
    assert_eq!(
        field(&group.1, "Arn"),
        format!("arn:aws:iam::{account}:group/teams/Builders")
    );
    let regrouped = root(vec![
        pair("Action", "UpdateGroup"),
        pair("GroupName", "builders"),
        pair("NewGroupName", "Makers"),
    ])
    .await;
    assert_eq!(regrouped.0, 200, "{}", regrouped.1);
    let listed = root(vec![
        pair("Action", "ListGroups"),
        pair("PathPrefix", "/teams/"),
    ])
    .await;
    assert_eq!(all(&listed.1, "GroupName"), ["Makers"]);
    assert_eq!(
        field(&listed.1, "Arn"),
        format!("arn:aws:iam::{account}:group/teams/Makers")
    );

    // Roles: a path, a maximum session in any number of seconds, a description.
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let role = root(vec![
        pair("Action", "CreateRole"),
        pair("RoleName", "Deployer"),
        pair("Path", "/service/"),
        pair("MaxSessionDuration", "5400"),
        pair("AssumeRolePolicyDocument", &trust),
    ])
    .await;
    assert_eq!(role.0, 200, "{}", role.1);
    assert_eq!(field(&role.1, "Path"), "/service/");
    assert_eq!(field(&role.1, "MaxSessionDuration"), "5400");
    let described = root(vec![
        pair("Action", "UpdateRoleDescription"),
        pair("RoleName", "Deployer"),
        pair("Description", "Ships releases"),
    ])
    .await;
    assert_eq!(described.0, 200, "{}", described.1);
    assert!(described
        .1
        .starts_with("<UpdateRoleDescriptionResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><UpdateRoleDescriptionResult><Role>"));
    assert_eq!(field(&described.1, "Description"), "Ships releases");
    assert_eq!(field(&described.1, "MaxSessionDuration"), "5400");
    let role_arn = format!("arn:aws:iam::{account}:role/service/Deployer");
    let assumed = call_api(
        &app,
        &bob_key,
        &bob_secret,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", &role_arn),
            ("RoleSessionName", "release"),
        ],
    )
    .await;
    assert_eq!(assumed.0, 200, "{}", assumed.1);
    assert_eq!(
        field(&assumed.1, "Arn"),
        format!("arn:aws:sts::{account}:assumed-role/Deployer/release")
    );
    // The ARN without its path names no role.
    let pathless = call_api(
        &app,
        &bob_key,
        &bob_secret,
        "sts",
        &[
            ("Action", "AssumeRole"),
            ("Version", "2011-06-15"),
            ("RoleArn", &format!("arn:aws:iam::{account}:role/Deployer")),
            ("RoleSessionName", "release"),
        ],
    )
    .await;
    assert_eq!(pathless.0, 403, "{}", pathless.1);

    // Policies under a path, and their versions.
    let document = |bucket: &str| {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
        )
    };
    let policy = root(vec![
        pair("Action", "CreatePolicy"),
        pair("PolicyName", "Reports"),
        pair("Path", "/team/"),
        pair("PolicyDocument", &document("v1")),
    ])
    .await;
    assert_eq!(policy.0, 200, "{}", policy.1);
    let arn = format!("arn:aws:iam::{account}:policy/team/Reports");
    assert_eq!(field(&policy.1, "Arn"), arn);
    assert_eq!(field(&policy.1, "Path"), "/team/");
    let local = root(vec![
        pair("Action", "ListPolicies"),
        pair("Scope", "Local"),
        pair("PathPrefix", "/team/"),
    ])
    .await;
    assert_eq!(all(&local.1, "PolicyName"), ["Reports"]);
    let elsewhere = root(vec![
        pair("Action", "ListPolicies"),
        pair("Scope", "Local"),
        pair("PathPrefix", "/other/"),
    ])
    .await;
    assert!(all(&elsewhere.1, "PolicyName").is_empty());
    for bucket in ["v2", "v3"] {
        let version = root(vec![
            pair("Action", "CreatePolicyVersion"),
            pair("PolicyArn", &arn),
            pair("PolicyDocument", &document(bucket)),
        ])
        .await;
        assert_eq!(version.0, 200, "{}", version.1);
    }
    let versions = root(vec![
        pair("Action", "ListPolicyVersions"),
        pair("PolicyArn", &arn),
    ])
    .await;
    assert_eq!(versions.0, 200, "{}", versions.1);
    let mut ids = all(&versions.1, "VersionId");
    ids.sort();
    assert_eq!(ids, ["v1", "v2", "v3"]);
    assert_eq!(
        all(&versions.1, "IsDefaultVersion")
            .iter()
            .filter(|d| *d == "true")
            .count(),
        1
    );
    assert!(
        !versions.1.contains("<Document>"),
        "listings leave documents out"
    );
    let made_default = root(vec![
        pair("Action", "SetDefaultPolicyVersion"),
        pair("PolicyArn", &arn),
        pair("VersionId", "v3"),
    ])
    .await;
    assert_eq!(made_default.0, 200, "{}", made_default.1);
    let got = root(vec![pair("Action", "GetPolicy"), pair("PolicyArn", &arn)]).await;
    assert_eq!(field(&got.1, "DefaultVersionId"), "v3");
    let default_kept = root(vec![
        pair("Action", "DeletePolicyVersion"),
        pair("PolicyArn", &arn),
        pair("VersionId", "v3"),
    ])
    .await;
    assert_error(
        &default_kept,
        409,
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
    );
    for missing in ["DeletePolicyVersion", "SetDefaultPolicyVersion"] {
        let answer = root(vec![
            pair("Action", missing),
            pair("PolicyArn", &arn),
            pair("VersionId", "v9"),
        ])
        .await;
        assert_error(
            &answer,
            404,
            "NoSuchEntity",
            &format!("Policy {arn} version v9 does not exist or is not attachable."),
        );
    }
    let bad_id = root(vec![
        pair("Action", "DeletePolicyVersion"),
        pair("PolicyArn", &arn),
        pair("VersionId", "1"),
    ])
    .await;
    assert_eq!(bad_id.0, 400, "{}", bad_id.1);
    let deleted = root(vec![
        pair("Action", "DeletePolicyVersion"),
        pair("PolicyArn", &arn),
        pair("VersionId", "v1"),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    let versions = root(vec![
        pair("Action", "ListPolicyVersions"),
        pair("PolicyArn", &arn),
    ])
    .await;
    let mut ids = all(&versions.1, "VersionId");
    ids.sort();
    assert_eq!(ids, ["v2", "v3"]);
    // The policy under its path attaches like any other; bob may not touch versions.
    let attached = root(vec![
        pair("Action", "AttachUserPolicy"),
        pair("UserName", "bob"),
        pair("PolicyArn", &arn),
    ])
    .await;
    assert_eq!(attached.0, 200, "{}", attached.1);
    let refused = bob(vec![
        pair("Action", "SetDefaultPolicyVersion"),
        pair("PolicyArn", &arn),
        pair("VersionId", "v2"),
    ])
    .await;
    assert_eq!(refused.0, 403, "{}", refused.1);
    let (policy_row, _) = app.store.customer_policy("Reports").await.unwrap().unwrap();
    assert_eq!(policy_row.default_version, 3);

    // Instance profiles under a path.
    let profile = root(vec![
        pair("Action", "CreateInstanceProfile"),
        pair("InstanceProfileName", "Web"),
        pair("Path", "/web/"),
    ])
    .await;
    assert_eq!(profile.0, 200, "{}", profile.1);
    assert_eq!(
        field(&profile.1, "Arn"),
        format!("arn:aws:iam::{account}:instance-profile/web/Web")
    );
    let profiles = root(vec![
        pair("Action", "ListInstanceProfiles"),
        pair("PathPrefix", "/web/"),
    ])
    .await;
    assert_eq!(all(&profiles.1, "InstanceProfileName"), ["Web"]);
}

#[tokio::test]
async fn users_change_their_own_password_through_the_api_and_the_policy_can_be_reset() {
    let app = api_app().await;
    set_up(&app, &client()).await;
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    root(vec![pair("Action", "CreateUser"), pair("UserName", "dana")]).await;
    let profile = root(vec![
        pair("Action", "CreateLoginProfile"),
        pair("UserName", "dana"),
        pair("Password", "Dana-Console-Pass-2026"),
    ])
    .await;
    assert_eq!(profile.0, 200, "{}", profile.1);
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "dana"),
    ])
    .await;
    let (dana_key, dana_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let dana = |params: Vec<(String, String)>| {
        let (app, k, s) = (&app, dana_key.clone(), dana_secret.clone());
        async move { call_owned(app, &k, &s, &params).await }
    };
    let browser = client();
    assert_done(
        &app.call(
            &browser,
            app::api::auth::SignIn::PATH,
            &[("identity", "dana"), ("password", "Dana-Console-Pass-2026")],
        )
        .await,
    );

    let wrong = dana(vec![
        pair("Action", "ChangePassword"),
        pair("OldPassword", "not-her-password"),
        pair("NewPassword", "Dana-Next-Pass-2027"),
    ])
    .await;
    assert_eq!(wrong.0, 403, "{}", wrong.1);
    assert_eq!(field(&wrong.1, "Code"), "AccessDenied");
    let weak = dana(vec![
        pair("Action", "ChangePassword"),
        pair("OldPassword", "Dana-Console-Pass-2026"),
        pair("NewPassword", "short"),
    ])
    .await;
    assert_eq!(weak.0, 400, "{}", weak.1);
    assert_eq!(field(&weak.1, "Code"), "PasswordPolicyViolation");
    let changed = dana(vec![
        pair("Action", "ChangePassword"),
        pair("OldPassword", "Dana-Console-Pass-2026"),
        pair("NewPassword", "Dana-Next-Pass-2027"),
    ])
    .await;
    assert_eq!(changed.0, 200, "{}", changed.1);
    // The console session signed in with the old password has ended.
    let whoami = app
        .call(&browser, app::api::auth::Whoami::PATH, &[])
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(whoami, "null");
    let old_again = dana(vec![
        pair("Action", "ChangePassword"),
        pair("OldPassword", "Dana-Console-Pass-2026"),
        pair("NewPassword", "Dana-Third-Pass-2028"),
    ])
    .await;
    assert_eq!(old_again.0, 403, "{}", old_again.1);
    let by_root = root(vec![
        pair("Action", "ChangePassword"),
        pair("OldPassword", "x"),
        pair("NewPassword", "y"),
    ])
    .await;
    assert_eq!(field(&by_root.1, "Code"), "InvalidUserType");

    // The policy: tightened, then deleted back to Portcullis's default.
    let tightened = root(vec![
        pair("Action", "UpdateAccountPasswordPolicy"),
        pair("MinimumPasswordLength", "24"),
    ])
    .await;
    assert_eq!(tightened.0, 200, "{}", tightened.1);
    let refused = dana(vec![pair("Action", "DeleteAccountPasswordPolicy")]).await;
    assert_eq!(refused.0, 403, "{}", refused.1);
    let deleted = root(vec![pair("Action", "DeleteAccountPasswordPolicy")]).await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    let policy = root(vec![pair("Action", "GetAccountPasswordPolicy")]).await;
    assert_eq!(field(&policy.1, "MinimumPasswordLength"), "10");
}

#[tokio::test]
async fn service_linked_roles_are_protected_and_deleted_with_a_task() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let made = root(vec![
        pair("Action", "CreateServiceLinkedRole"),
        pair("AWSServiceName", "autoscaling.amazonaws.com"),
        pair("Description", "Scales the web tier"),
    ])
    .await;
    assert_eq!(made.0, 200, "{}", made.1);
    let name = "AWSServiceRoleForAutoScaling";
    assert_eq!(field(&made.1, "RoleName"), name);
    assert_eq!(
        field(&made.1, "Path"),
        "/aws-service-role/autoscaling.amazonaws.com/"
    );
    assert_eq!(
        field(&made.1, "Arn"),
        format!("arn:aws:iam::{account}:role/aws-service-role/autoscaling.amazonaws.com/{name}")
    );
    assert!(field(&made.1, "AssumeRolePolicyDocument").contains("autoscaling.amazonaws.com"));
    let again = root(vec![
        pair("Action", "CreateServiceLinkedRole"),
        pair("AWSServiceName", "autoscaling.amazonaws.com"),
    ])
    .await;
    assert_error(
        &again,
        400,
        "InvalidInput",
        &format!("Service role name {name} has been taken in this account, please try a different suffix."),
    );
    let suffixed = root(vec![
        pair("Action", "CreateServiceLinkedRole"),
        pair("AWSServiceName", "autoscaling.amazonaws.com"),
        pair("CustomSuffix", "blue"),
    ])
    .await;
    assert_eq!(field(&suffixed.1, "RoleName"), format!("{name}_blue"));
    let bad = root(vec![
        pair("Action", "CreateServiceLinkedRole"),
        pair("AWSServiceName", "autoscaling"),
    ])
    .await;
    assert_eq!(field(&bad.1, "Code"), "InvalidInput", "{}", bad.1);

    // Only its service changes it: trust, policies, boundary, deletion are refused.
    let protected = format!(
        "Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    );
    let document =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    for params in [
        vec![
            pair("Action", "UpdateAssumeRolePolicy"),
            pair("PolicyDocument", document),
        ],
        vec![
            pair("Action", "PutRolePolicy"),
            pair("PolicyName", "wide"),
            pair("PolicyDocument", document),
        ],
        vec![
            pair("Action", "AttachRolePolicy"),
            pair("PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
        ],
        vec![
            pair("Action", "PutRolePermissionsBoundary"),
            pair(
                "PermissionsBoundary",
                "arn:aws:iam::aws:policy/ReadOnlyAccess",
            ),
        ],
        vec![pair("Action", "DeleteRole")],
    ] {
        let mut params = params;
        params.push(pair("RoleName", &name.to_lowercase()));
        let refused = root(params.clone()).await;
        assert_error(&refused, 400, "UnmodifiableEntity", &protected);
    }
    let role = app.store.role(name).await.unwrap().unwrap();
    assert!(role.trust_policy.contains("autoscaling.amazonaws.com"));
    let described = root(vec![
        pair("Action", "UpdateRoleDescription"),
        pair("RoleName", name),
        pair("Description", "Scales everything"),
    ])
    .await;
    assert_eq!(described.0, 200, "{}", described.1);
    // The reserved path is not for CreateRole.
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{account}:root"}},"Action":"sts:AssumeRole"}}]}}"#
    );
    let squatted = root(vec![
        pair("Action", "CreateRole"),
        pair("RoleName", "Squatter"),
        pair("Path", "/aws-service-role/ecs.amazonaws.com/"),
        pair("AssumeRolePolicyDocument", &trust),
    ])
    .await;
    assert_eq!(squatted.0, 400, "{}", squatted.1);
    assert!(app.store.role("Squatter").await.unwrap().is_none());
    root(vec![
        pair("Action", "CreateRole"),
        pair("RoleName", "Plain"),
        pair("AssumeRolePolicyDocument", &trust),
    ])
    .await;
    let not_linked = root(vec![
        pair("Action", "DeleteServiceLinkedRole"),
        pair("RoleName", "Plain"),
    ])
    .await;
    assert_eq!(
        field(&not_linked.1, "Code"),
        "InvalidInput",
        "{}",
        not_linked.1
    );

    let deleted = root(vec![
        pair("Action", "DeleteServiceLinkedRole"),
        pair("RoleName", name),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    let task = field(&deleted.1, "DeletionTaskId");
    assert!(
        task.starts_with(&format!(
            "task/aws-service-role/autoscaling.amazonaws.com/{name}/"
        )),
        "{task}"
    );
    let status = root(vec![
        pair("Action", "GetServiceLinkedRoleDeletionStatus"),
        pair("DeletionTaskId", &task),
    ])
    .await;
    assert_eq!(field(&status.1, "Status"), "SUCCEEDED", "{}", status.1);
    let unknown = root(vec![
        pair("Action", "GetServiceLinkedRoleDeletionStatus"),
        pair("DeletionTaskId", "task/not-a-task"),
    ])
    .await;
    assert_eq!(unknown.0, 404, "{}", unknown.1);
    assert!(app.store.role(name).await.unwrap().is_none());
}

#[tokio::test]
async fn server_certificates_keep_their_key_sealed_and_refuse_a_key_of_another_pair() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let body = include_str!("keys/server-cert.pem");
    let key = include_str!("keys/issuer-pkcs1.pem");
    let upload = |name: &str, key: &str, body: &str| {
        vec![
            pair("Action", "UploadServerCertificate"),
            pair("ServerCertificateName", name),
            pair("Path", "/cloudfront/"),
            pair("CertificateBody", body),
            pair("PrivateKey", key),
        ]
    };
    let mut first = upload("web", key, body);
    first.push(pair("Tags.member.1.Key", "site"));
    first.push(pair("Tags.member.1.Value", "www"));
    let made = root(first).await;
    assert_eq!(made.0, 200, "{}", made.1);
    assert_eq!(
        field(&made.1, "Arn"),
        format!("arn:aws:iam::{account}:server-certificate/cloudfront/web")
    );
    assert!(field(&made.1, "ServerCertificateId").starts_with("ASCA"));
    assert_eq!(field(&made.1, "Expiration"), "2036-11-30T21:10:32Z");
    assert_eq!(field(&made.1, "Value"), "www");
    assert_error(
        &root(upload("WEB", key, body)).await,
        409,
        "EntityAlreadyExists",
        "The Server Certificate with name WEB already exists.",
    );
    assert_error(
        &root(upload(
            "other",
            include_str!("keys/attacker-pkcs1.pem"),
            body,
        ))
        .await,
        400,
        "KeyPairMismatch",
        "The private key did not match the public key provided by the certificate.",
    );
    let garbage = root(upload(
        "garbage",
        key,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    ))
    .await;
    assert_eq!(
        field(&garbage.1, "Code"),
        "MalformedCertificate",
        "{}",
        garbage.1
    );
    let not_a_key = root(upload("nokey", "not a key", body)).await;
    assert_eq!(
        field(&not_a_key.1, "Code"),
        "MalformedCertificate",
        "{}",
        not_a_key.1
    );
    assert_eq!(app.store.server_certificates().await.unwrap().len(), 1);
    // A PKCS #8 key of the same pair is the same key.
    let pkcs8 = root(upload("web-pkcs8", include_str!("keys/issuer.pem"), body)).await;
    assert_eq!(pkcs8.0, 200, "{}", pkcs8.1);

    // The key is sealed at rest and never answered back.
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT key_ciphertext FROM server_certificates WHERE name = 'web'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("PRIVATE KEY"));
    let got = root(vec![
        pair("Action", "GetServerCertificate"),
        pair("ServerCertificateName", "Web"),
    ])
    .await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(field(&got.1, "CertificateBody"), body.trim());
    assert!(!got.1.contains("PRIVATE KEY"));
    let listed = root(vec![
        pair("Action", "ListServerCertificates"),
        pair("PathPrefix", "/cloudfront/"),
    ])
    .await;
    assert!(
        listed
            .1
            .contains("<ServerCertificateName>web</ServerCertificateName>"),
        "{}",
        listed.1
    );
    assert!(!listed.1.contains("CertificateBody"));
    let moved = root(vec![
        pair("Action", "UpdateServerCertificate"),
        pair("ServerCertificateName", "web"),
        pair("NewServerCertificateName", "web-renamed"),
        pair("NewPath", "/elb/"),
    ])
    .await;
    assert_eq!(moved.0, 200, "{}", moved.1);
    let got = root(vec![
        pair("Action", "GetServerCertificate"),
        pair("ServerCertificateName", "web-renamed"),
    ])
    .await;
    assert_eq!(
        field(&got.1, "Arn"),
        format!("arn:aws:iam::{account}:server-certificate/elb/web-renamed")
    );
    let tagged = root(vec![
        pair("Action", "TagServerCertificate"),
        pair("ServerCertificateName", "web-renamed"),
        pair("Tags.member.1.Key", "owner"),
        pair("Tags.member.1.Value", "edge"),
    ])
    .await;
    assert_eq!(tagged.0, 200, "{}", tagged.1);
    let tags = root(vec![
        pair("Action", "ListServerCertificateTags"),
        pair("ServerCertificateName", "web-renamed"),
    ])
    .await;
    assert!(
        tags.1.contains("<Key>owner</Key><Value>edge</Value>"),
        "{}",
        tags.1
    );
    let deleted = root(vec![
        pair("Action", "DeleteServerCertificate"),
        pair("ServerCertificateName", "web-renamed"),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    assert_error(
        &root(vec![
            pair("Action", "GetServerCertificate"),
            pair("ServerCertificateName", "web-renamed"),
        ])
        .await,
        404,
        "NoSuchEntity",
        "The Server Certificate with name web-renamed cannot be found.",
    );
}

#[tokio::test]
async fn signing_certificates_are_checked_limited_to_two_and_block_user_deletion() {
    let app = api_app().await;
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    root(vec![
        pair("Action", "CreateUser"),
        pair("UserName", "signer"),
    ])
    .await;
    root(vec![
        pair("Action", "CreateUser"),
        pair("UserName", "other"),
    ])
    .await;
    let body = include_str!("keys/server-cert.pem");
    let upload = |user: &str, body: &str| {
        vec![
            pair("Action", "UploadSigningCertificate"),
            pair("UserName", user),
            pair("CertificateBody", body),
        ]
    };
    let made = root(upload("signer", body)).await;
    assert_eq!(made.0, 200, "{}", made.1);
    let id = field(&made.1, "CertificateId");
    assert!(id.len() >= 24, "{id}");
    assert_eq!(field(&made.1, "Status"), "Active");
    assert_eq!(field(&made.1, "UserName"), "signer");
    // One certificate belongs to one user of the account, however its PEM is wrapped.
    let rewrapped = body.replace('\n', "\r\n");
    let again = root(upload("other", &rewrapped)).await;
    assert_eq!(
        field(&again.1, "Code"),
        "DuplicateCertificate",
        "{}",
        again.1
    );
    let garbage = root(upload(
        "signer",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    ))
    .await;
    assert_eq!(
        field(&garbage.1, "Code"),
        "MalformedCertificate",
        "{}",
        garbage.1
    );
    // A second certificate (another key pair), then the quota.
    let second_body = self_signed(30, "second");
    let second = root(upload("signer", &second_body)).await;
    assert_eq!(second.0, 200, "{}", second.1);
    let third_body = self_signed(31, "third");
    assert_error(
        &root(upload("signer", &third_body)).await,
        409,
        "LimitExceeded",
        "Cannot exceed quota for SigningCertificatesPerUser: 2",
    );
    let listed = root(vec![
        pair("Action", "ListSigningCertificates"),
        pair("UserName", "signer"),
    ])
    .await;
    assert_eq!(
        listed.1.matches("<CertificateId>").count(),
        2,
        "{}",
        listed.1
    );
    // Another user's certificate id is not found through this user.
    let crossed = root(vec![
        pair("Action", "UpdateSigningCertificate"),
        pair("UserName", "other"),
        pair("CertificateId", &id),
        pair("Status", "Inactive"),
    ])
    .await;
    assert_error(
        &crossed,
        404,
        "NoSuchEntity",
        &format!("The Certificate with id {id} cannot be found."),
    );
    let inactive = root(vec![
        pair("Action", "UpdateSigningCertificate"),
        pair("UserName", "signer"),
        pair("CertificateId", &id),
        pair("Status", "Inactive"),
    ])
    .await;
    assert_eq!(inactive.0, 200, "{}", inactive.1);
    // The credential report shows both, the first now inactive.
    root(vec![pair("Action", "GenerateCredentialReport")]).await;
    let report = root(vec![pair("Action", "GetCredentialReport")]).await;
    let csv = {
        use base64::Engine;
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(field(&report.1, "Content"))
                .unwrap(),
        )
        .unwrap()
    };
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = csv
        .lines()
        .find(|l| l.starts_with("signer,"))
        .unwrap()
        .split(',')
        .collect();
    let column = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        (column("cert_1_active"), column("cert_2_active")),
        ("false", "true")
    );
    assert!(column("cert_1_last_rotated").ends_with("+00:00"), "{csv}");
    let blocked = root(vec![
        pair("Action", "DeleteUser"),
        pair("UserName", "signer"),
    ])
    .await;
    assert_error(
        &blocked,
        409,
        "DeleteConflict",
        "Cannot delete entity, must delete signing certificates first.",
    );
    for cert in [id, field(&second.1, "CertificateId")] {
        let deleted = root(vec![
            pair("Action", "DeleteSigningCertificate"),
            pair("UserName", "signer"),
            pair("CertificateId", &cert),
        ])
        .await;
        assert_eq!(deleted.0, 200, "{}", deleted.1);
    }
    let gone = root(vec![
        pair("Action", "DeleteUser"),
        pair("UserName", "signer"),
    ])
    .await;
    assert_eq!(gone.0, 200, "{}", gone.1);
}

#[tokio::test]
async fn mfa_device_tags_follow_the_device_and_decide_access() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let serial = format!("arn:aws:iam::{account}:mfa/ops-token");
    let created = root(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "ops-token"),
        pair("Tags.member.1.Key", "team"),
        pair("Tags.member.1.Value", "security"),
    ])
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    assert!(
        created
            .1
            .contains("<Tags><member><Key>team</Key><Value>security</Value></member></Tags>"),
        "{}",
        created.1
    );
    let list = |serial: String| {
        root(vec![
            pair("Action", "ListMFADeviceTags"),
            pair("SerialNumber", &serial),
        ])
    };
    let listed = list(serial.clone()).await;
    assert!(
        listed.1.contains("<Key>team</Key><Value>security</Value>"),
        "{}",
        listed.1
    );
    // The serial in another case is the same device.
    let tagged = root(vec![
        pair("Action", "TagMFADevice"),
        pair(
            "SerialNumber",
            &format!("arn:aws:iam::{account}:mfa/OPS-TOKEN"),
        ),
        pair("Tags.member.1.Key", "TEAM"),
        pair("Tags.member.1.Value", "platform"),
    ])
    .await;
    assert_eq!(tagged.0, 200, "{}", tagged.1);
    let listed = list(serial.clone()).await;
    assert!(
        listed.1.contains("<Key>TEAM</Key><Value>platform</Value>"),
        "{}",
        listed.1
    );
    assert!(!listed.1.contains("security"), "{}", listed.1);
    let missing = list(format!("arn:aws:iam::{account}:mfa/nobody")).await;
    assert_error(
        &missing,
        404,
        "NoSuchEntity",
        &format!(
            "VirtualMFADevice with serial number arn:aws:iam::{account}:mfa/nobody doesn't exist."
        ),
    );
    let too_many: Vec<(String, String)> = (0..51)
        .flat_map(|n| {
            [
                pair(&format!("Tags.member.{}.Key", n + 1), &format!("k{n}")),
                pair(&format!("Tags.member.{}.Value", n + 1), "v"),
            ]
        })
        .collect();
    let mut params = vec![
        pair("Action", "TagMFADevice"),
        pair("SerialNumber", &serial),
    ];
    params.extend(too_many);
    let limit = root(params).await;
    assert_ne!(limit.0, 200, "{}", limit.1);

    // A policy keyed on the device's tags: the tagged device is out of reach, an
    // untagged one is not; creating with tags needs iam:TagMFADevice.
    root(vec![
        pair("Action", "CreateUser"),
        pair("UserName", "mfa-admin"),
    ])
    .await;
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":["iam:*MFADevice*","iam:ListVirtualMFADevices"],"Resource":"*"}},{{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::{account}:mfa/*","Condition":{{"StringEquals":{{"aws:ResourceTag/TEAM":"platform"}}}}}},{{"Effect":"Deny","Action":"iam:TagMFADevice","Resource":"*","Condition":{{"Null":{{"aws:ResourceTag/TEAM":"true"}},"ForAnyValue:StringEquals":{{"aws:TagKeys":"owner"}}}}}}]}}"#
    );
    root(vec![
        pair("Action", "PutUserPolicy"),
        pair("UserName", "mfa-admin"),
        pair("PolicyName", "mfa"),
        pair("PolicyDocument", &policy),
    ])
    .await;
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "mfa-admin"),
    ])
    .await;
    let (key_id, secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let as_admin = |params: Vec<(String, String)>| {
        let (app, key_id, secret) = (&app, key_id.clone(), secret.clone());
        async move { call_owned(app, &key_id, &secret, &params).await }
    };
    let refused = as_admin(vec![
        pair("Action", "UntagMFADevice"),
        pair("SerialNumber", &serial),
        pair("TagKeys.member.1", "TEAM"),
    ])
    .await;
    assert_eq!(refused.0, 403, "{}", refused.1);
    assert!(
        field(&refused.1, "Message").contains(&serial),
        "{}",
        refused.1
    );
    let delete = as_admin(vec![
        pair("Action", "DeleteVirtualMFADevice"),
        pair("SerialNumber", &serial),
    ])
    .await;
    assert_eq!(delete.0, 403, "{}", delete.1);
    let plain = as_admin(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "spare"),
    ])
    .await;
    assert_eq!(plain.0, 200, "{}", plain.1);
    // A refused caller writes nothing, not even the device's empty tag row.
    root(vec![
        pair("Action", "CreateUser"),
        pair("UserName", "mfa-none"),
    ])
    .await;
    let none_key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "mfa-none"),
    ])
    .await;
    let peek = call_owned(
        &app,
        &field(&none_key.1, "AccessKeyId"),
        &field(&none_key.1, "SecretAccessKey"),
        &[
            pair("Action", "ListMFADeviceTags"),
            pair("SerialNumber", &format!("arn:aws:iam::{account}:mfa/spare")),
        ],
    )
    .await;
    assert_eq!(peek.0, 403, "{}", peek.1);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM mfa_device_tags WHERE id = 'spare'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "a refused read made a row");
    let owner = as_admin(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "spare2"),
        pair("Tags.member.1.Key", "owner"),
        pair("Tags.member.1.Value", "me"),
    ])
    .await;
    assert_eq!(owner.0, 403, "{}", owner.1);
    assert!(
        field(&owner.1, "Message").contains("iam:TagMFADevice"),
        "{}",
        owner.1
    );
    assert!(app
        .store
        .unassigned_mfa_device("spare2")
        .await
        .unwrap()
        .is_none());

    // Deleted, the device's tags go with it: a new device of the name has none.
    let deleted = root(vec![
        pair("Action", "DeleteVirtualMFADevice"),
        pair("SerialNumber", &serial),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    let again = root(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "OPS-token"),
    ])
    .await;
    assert_eq!(again.0, 200, "{}", again.1);
    let listed = list(format!("arn:aws:iam::{account}:mfa/OPS-token")).await;
    assert_eq!(listed.0, 200, "{}", listed.1);
    assert!(!listed.1.contains("<member>"), "{}", listed.1);
    // Under a path: the serial carries it; the name at another path is not it.
    let pathed = root(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "pathed"),
        pair("Path", "/ops/"),
    ])
    .await;
    assert_eq!(pathed.0, 200, "{}", pathed.1);
    let pathed_serial = format!("arn:aws:iam::{account}:mfa/ops/pathed");
    assert_eq!(field(&pathed.1, "SerialNumber"), pathed_serial);
    let elsewhere = list(format!("arn:aws:iam::{account}:mfa/pathed")).await;
    assert_eq!(
        field(&elsewhere.1, "Code"),
        "NoSuchEntity",
        "{}",
        elsewhere.1
    );
    let listed = root(vec![pair("Action", "ListVirtualMFADevices")]).await;
    assert!(
        listed
            .1
            .contains(&format!("<SerialNumber>{pathed_serial}</SerialNumber>")),
        "{}",
        listed.1
    );
    let bad_path = root(vec![
        pair("Action", "CreateVirtualMFADevice"),
        pair("VirtualMFADeviceName", "badpath"),
        pair("Path", "ops"),
    ])
    .await;
    assert_eq!(
        field(&bad_path.1, "Code"),
        "ValidationError",
        "{}",
        bad_path.1
    );
    let deleted = root(vec![
        pair("Action", "DeleteVirtualMFADevice"),
        pair("SerialNumber", &pathed_serial),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
}

/// A console refusal carries the decision sealed; an administrator decodes it with
/// `DecodeAuthorizationMessage`; nobody else reads it, and nobody forges one.
#[tokio::test]
async fn console_refusals_carry_an_encoded_message_only_the_allowed_can_decode() {
    use leptos::server_fn::ServerFn;
    let app = api_app().await;
    set_up(&app, &client()).await;
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    root(vec![pair("Action", "CreateUser"), pair("UserName", "finn")]).await;
    let browser = console_user(&app, "erin", "Erin-Console-Pass-2026").await;
    let refused = app
        .call(
            &browser,
            app::api::users::ListUsers::PATH,
            &[
                ("search", ""),
                ("sort", "name"),
                ("descending", "false"),
                ("page", "0"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 403);
    let body: serde_json::Value = refused.json().await.unwrap();
    let encoded = body["Denied"]["encoded"].as_str().unwrap().to_string();
    assert!(
        body["Denied"]["message"]
            .as_str()
            .unwrap()
            .contains("not allowed to perform iam:ListUsers"),
        "{body}"
    );
    assert!(
        !encoded.contains("iam:ListUsers"),
        "sealed, not readable: {encoded}"
    );

    let decode = |key: String, secret: String, message: String| {
        let app = &app;
        async move {
            call_api(
                app,
                &key,
                &secret,
                "sts",
                &[
                    ("Action", "DecodeAuthorizationMessage"),
                    ("EncodedMessage", &message),
                ],
            )
            .await
        }
    };
    let decoded = decode(ROOT_KEY.into(), ROOT_SECRET.into(), encoded.clone()).await;
    assert_eq!(decoded.0, 200, "{}", decoded.1);
    let message: serde_json::Value =
        serde_json::from_str(&field(&decoded.1, "DecodedMessage")).unwrap();
    assert_eq!(message["allowed"], false);
    assert_eq!(message["explicitDeny"], false);
    assert_eq!(message["context"]["action"], "iam:ListUsers");
    assert!(message["context"]["principal"]["arn"]
        .as_str()
        .unwrap()
        .ends_with(":user/erin"));
    let keys: Vec<&str> = message["context"]["conditions"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["key"].as_str())
        .collect();
    assert!(
        keys.iter().any(|k| k.eq_ignore_ascii_case("aws:SourceIp")),
        "{keys:?}"
    );

    // A user without sts:DecodeAuthorizationMessage may not read it.
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "finn"),
    ])
    .await;
    let (finn_key, finn_secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let denied = decode(finn_key, finn_secret, encoded.clone()).await;
    assert_eq!(denied.0, 403, "{}", denied.1);
    assert_eq!(field(&denied.1, "Code"), "AccessDenied");
    // Changed, cut, or made up: refused with AWS's code, nothing decoded.
    let mut changed: Vec<char> = encoded.chars().collect();
    let last = changed.len() - 2;
    changed[last] = if changed[last] == 'A' { 'B' } else { 'A' };
    for bad in [
        changed.into_iter().collect::<String>(),
        encoded[..encoded.len() / 2].to_string(),
        "pcam1.a2V5.bm9uY2U.Y2lwaGVy".to_string(),
        "not a message".to_string(),
    ] {
        let answer = decode(ROOT_KEY.into(), ROOT_SECRET.into(), bad.clone()).await;
        assert_eq!(
            field(&answer.1, "Code"),
            "InvalidAuthorizationMessageException",
            "{bad}: {}",
            answer.1
        );
    }
    let long = decode(ROOT_KEY.into(), ROOT_SECRET.into(), "a".repeat(10_241)).await;
    assert_eq!(field(&long.1, "Code"), "ValidationError", "{}", long.1);
}
