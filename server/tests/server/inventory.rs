//! Every server function is a public POST endpoint. Apart from the few that serve
//! sign-in itself, each must need a signed-in caller, and (apart from one's own
//! credentials and identity) each must be decided by the policy engine: a user with
//! no policy is refused. New server functions are picked up from the registry, so
//! one that skips the service's authorization fails here.

use leptos::server_fn::ServerFn;

use super::*;

/// Before sign-in: where the browser stands, setup, the sign-in steps, sign-out.
fn before_sign_in() -> Vec<&'static str> {
    vec![
        app::api::auth::CurrentStage::PATH,
        app::api::auth::SetupNeeds::PATH,
        app::api::auth::AccountPasswordPolicy::PATH,
        app::api::auth::Whoami::PATH,
        app::api::auth::SetUpAccount::PATH,
        app::api::auth::SignIn::PATH,
        app::api::auth::VerifyMfa::PATH,
        app::api::auth::ChangeRequiredPassword::PATH,
        app::api::auth::SignOut::PATH,
    ]
}

/// Signed in, but about oneself: one's identity, region, own credentials, the
/// editor's stateless check, role switching (the trust policy decides), and the
/// question of what one may do.
fn about_oneself() -> Vec<&'static str> {
    vec![
        app::api::auth::ChooseRegion::PATH,
        app::api::auth::SignOutEverywhere::PATH,
        app::api::credentials::CredentialsOverview::PATH,
        app::api::credentials::ChangePassword::PATH,
        app::api::credentials::BeginMfa::PATH,
        app::api::credentials::ConfirmMfa::PATH,
        app::api::credentials::RemoveMfa::PATH,
        app::api::policies::CheckPolicy::PATH,
        app::api::permissions::MyRefusals::PATH,
        app::api::roles::SwitchRole::PATH,
        app::api::roles::SwitchBack::PATH,
    ]
}

/// A SAML provider's metadata that passes every check but authorization.
fn saml_metadata() -> &'static str {
    let body: String = include_str!("keys/server-cert.pem")
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let document = format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>"#
    );
    Box::leak(document.into_boxed_str())
}

/// One form that every server function can read: each takes the fields it needs
/// and ignores the rest.
fn every_field() -> Vec<(&'static str, &'static str)> {
    vec![
        ("name", "inventory"),
        ("new_name", "inventory2"),
        ("confirm", "inventory"),
        ("user", "inventory"),
        ("group", "inventory"),
        ("role", "inventory"),
        ("holder", "user"),
        ("kind", "user"),
        ("body", "ssh-rsa AAAA"),
        ("service_name", "codecommit.amazonaws.com"),
        ("key", "inventory-key"),
        ("value", "inventory-value"),
        ("back", "/"),
        ("url", "https://issuer.example"),
        ("audiences", "sts.amazonaws.com"),
        ("audience", "sts.amazonaws.com"),
        ("thumbprints", ""),
        ("metadata", saml_metadata()),
        (
            "arn",
            "arn:aws:iam::123456789012:oidc-provider/issuer.example",
        ),
        ("policy_arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
        ("policy_name", "inventory"),
        (
            "document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
        ),
        ("trust_policy", ""),
        ("description", ""),
        ("trusted_users", ""),
        ("trusted_accounts", ""),
        ("external_id", ""),
        ("max_session_hours", "1"),
        ("duration_hours", "1"),
        ("version", "1"),
        ("give", "true"),
        ("password_mode", "none"),
        ("password", ""),
        ("current", "x"),
        ("tags", ""),
        ("boundary", ""),
        ("search", ""),
        ("sort", "name"),
        ("descending", "false"),
        ("page", "0"),
        ("actor", ""),
        ("action", ""),
        ("target", ""),
        ("outcome", ""),
        ("code", "000000"),
        ("region", "us-east-1"),
        ("identity", "x"),
        ("email", "x"),
        ("minimum_password_length", "8"),
        ("max_password_age", ""),
        ("password_reuse_prevention", ""),
        ("lockout_threshold", "5"),
        ("lockout_minutes", "15"),
        ("session_idle_minutes", "60"),
        ("session_max_hours", "12"),
        ("sign_in_ranges", ""),
        ("regions", "us-east-1"),
        ("availability_zones", ""),
        ("from", ""),
        ("to", ""),
        ("tag", ""),
        ("by", "service"),
        ("filter_by", ""),
        ("filter", ""),
        ("every", ""),
        ("id", "1"),
        ("status", "Inactive"),
        ("period", "monthly"),
        ("amount", "10"),
        ("actual_thresholds", "100"),
        ("forecast_thresholds", ""),
        ("webhook_url", ""),
        ("webhook_secret", ""),
        ("billing_group", ""),
        ("email_to", ""),
        ("form[group]", "inventory"),
        ("form[period]", "monthly"),
        ("form[amount]", "10"),
        ("form[actual_thresholds]", "100"),
        ("form[forecast_thresholds]", ""),
        ("form[webhook_url]", ""),
        ("form[webhook_secret]", ""),
        ("input[subject_type]", "user"),
        ("input[subject]", "inventory"),
        ("input[policy]", ""),
        ("input[actions]", "iam:GetUser"),
        ("input[resource]", ""),
        ("input[source_ip]", ""),
        ("input[region]", ""),
        ("input[availability_zone]", ""),
        ("input[mfa]", "false"),
        ("input[secure_transport]", "false"),
        ("input[time]", ""),
        ("input[resource_tags]", ""),
        ("checks[0][0]", "iam:GetUser"),
        ("checks[0][1]", "user/inventory"),
    ]
}

#[tokio::test]
async fn every_server_function_needs_a_caller_and_the_engine_decides() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    let password = "Nobody-Password-1234";
    assert_done(
        &app.call(
            &root,
            app::api::users::CreateUser::PATH,
            &[
                ("name", "nobody"),
                ("password_mode", "custom"),
                ("password", password),
                ("tags", ""),
            ],
        )
        .await,
    );
    let nobody = client();
    assert_done(
        &app.call(
            &nobody,
            app::api::auth::SignIn::PATH,
            &[("identity", "nobody"), ("password", password)],
        )
        .await,
    );
    let form = every_field();
    let open = before_sign_in();
    let own = about_oneself();
    let mut paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    paths.sort();
    paths.dedup();
    assert!(paths.len() > 50, "{paths:?}");
    let mut checked = 0;
    for path in &paths {
        if open.contains(&path.as_str()) {
            continue;
        }
        let anonymous = app.call(&client(), path, &form).await;
        assert_eq!(anonymous.status(), 401, "{path} without a session");
        if own.contains(&path.as_str()) {
            continue;
        }
        let refused = app.call(&nobody, path, &form).await;
        let status = refused.status();
        let body = refused.text().await.unwrap();
        assert_eq!(status, 403, "{path} for a user with no policy: {body}");
        assert!(body.contains("not allowed to perform"), "{path}: {body}");
        checked += 1;
    }
    assert!(checked > 35, "only {checked} checked");
    // Nothing the refused calls named was created.
    assert!(app.store.user_by_name("inventory").await.unwrap().is_none());
    assert!(app.store.group("inventory").await.unwrap().is_none());
}

/// A crafted post that leaves fields out gets a 400 that names the problem, never
/// a 500.
#[tokio::test]
async fn missing_fields_are_a_bad_request() {
    let app = spawn_app(fresh_store().await, &SecretBox::generate_key()).await;
    let root = client();
    set_up(&app, &root).await;
    for path in [
        app::api::costs::SetBudget::PATH,
        app::api::costs::Explore::PATH,
        app::api::users::CreateUser::PATH,
    ] {
        let response = app.call(&root, path, &[]).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        assert_eq!(status, 400, "{path}: {body}");
    }
}
