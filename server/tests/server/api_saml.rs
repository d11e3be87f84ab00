//! SAML providers and `AssumeRoleWithSAML`, with responses signed by xmlsec1 (the
//! reference XML signature implementation, not the code under test) as an identity
//! provider signs them, and the attacks SAML libraries have fallen to: a changed
//! assertion, another key, no signature, a wrapped second assertion, a duplicated
//! ID, a comment inside the NameID, SHA-1, entity expansion, another issuer or
//! audience, a stale or expired assertion, a role the assertion does not offer.

use std::sync::atomic::{AtomicUsize, Ordering};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::api::{
    api_app, assert_error, call_owned, call_with_token, field, pair, ROOT_KEY, ROOT_SECRET,
};
use super::*;

const ISSUER_KEY: &str = include_str!("keys/issuer.pem");
const ISSUER_CERT: &str = include_str!("keys/server-cert.pem");
const ATTACKER_KEY: &str = include_str!("keys/attacker.pem");
const ATTACKER_CERT: &str = include_str!("keys/attacker-cert.pem");
const ENTITY: &str = "https://idp.example.com/metadata";
const RECIPIENT: &str = "https://signin.aws.amazon.com/saml";

/// The base64 body of a PEM certificate, as metadata carries it.
fn cert_body(pem: &str) -> String {
    pem.lines().filter(|l| !l.starts_with("-----")).collect()
}

/// An identity provider's metadata naming `certs` as its signing certificates.
fn metadata(entity: &str, certs: &[&str]) -> String {
    let keys: String = certs
        .iter()
        .map(|c| {
            format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                cert_body(c)
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}" validUntil="2036-01-01T00:00:00Z">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    {keys}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#
    )
}

#[derive(Clone, Copy, PartialEq)]
enum Signed {
    Assertion,
    Response,
    Nothing,
}

/// A SAML response as an identity provider writes it; `signed()` has xmlsec1 sign it.
#[derive(Clone)]
struct Response {
    /// The assertion's ID: a new one for each response, as an IdP makes them.
    id: String,
    issuer: String,
    /// The NameID's content, as XML (so a test can put a comment in it).
    subject: String,
    issued: OffsetDateTime,
    not_on_or_after: OffsetDateTime,
    audience: String,
    attributes: Vec<(String, Vec<String>)>,
    signed: Signed,
    key: &'static str,
    cert: &'static str,
    digest: &'static str,
    method: &'static str,
    /// Unprefixed elements under default namespaces, as Entra ID writes them
    /// (`<Assertion xmlns=…>`, `<Signature xmlns=…>`), instead of `saml:`/`ds:`.
    unprefixed: bool,
}

fn at(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

impl Response {
    fn new(now: OffsetDateTime, role: &str, provider: &str) -> Response {
        Response {
            id: next_id(),
            issuer: ENTITY.into(),
            subject: "alice@example.com".into(),
            issued: now,
            not_on_or_after: now + time::Duration::minutes(5),
            audience: "urn:amazon:webservices".into(),
            attributes: vec![
                (
                    "https://aws.amazon.com/SAML/Attributes/Role".into(),
                    vec![format!("{role},{provider}")],
                ),
                (
                    "https://aws.amazon.com/SAML/Attributes/RoleSessionName".into(),
                    vec!["alice@example.com".into()],
                ),
            ],
            signed: Signed::Assertion,
            key: ISSUER_KEY,
            cert: ISSUER_CERT,
            digest: "http://www.w3.org/2001/04/xmlenc#sha256",
            method: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            unprefixed: false,
        }
    }

    /// A copy with `change` made, under a new assertion ID.
    fn with(mut self, change: impl FnOnce(&mut Response)) -> Response {
        self.id = next_id();
        change(&mut self);
        self
    }

    fn signature(&self, id: &str) -> String {
        let signature = format!(
            r##"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{method}"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="xs"/></ds:Transform></ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue></ds:SignatureValue><ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo></ds:Signature>"##,
            method = self.method,
            digest = self.digest,
        );
        if self.unprefixed {
            signature
                .replace("<ds:", "<")
                .replace("</ds:", "</")
                .replace("xmlns:ds=", "xmlns=")
        } else {
            signature
        }
    }

    fn assertion(&self) -> String {
        let assertion = self.prefixed_assertion();
        if self.unprefixed {
            assertion
                .replace("<saml:", "<")
                .replace("</saml:", "</")
                .replace("xmlns:saml=", "xmlns=")
        } else {
            assertion
        }
    }

    fn prefixed_assertion(&self) -> String {
        let attributes: String = self
            .attributes
            .iter()
            .map(|(name, values)| {
                let values: String = values
                    .iter()
                    .map(|v| {
                        format!(
                            r#"<saml:AttributeValue xsi:type="xs:string">{v}</saml:AttributeValue>"#
                        )
                    })
                    .collect();
                format!(r#"<saml:Attribute Name="{name}">{values}</saml:Attribute>"#)
            })
            .collect();
        let signature = if self.signed == Signed::Assertion {
            self.signature(&self.id)
        } else {
            String::new()
        };
        format!(
            r#"<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{id}" Version="2.0" IssueInstant="{issued}">
    <saml:Issuer>{issuer}</saml:Issuer>{signature}
    <saml:Subject>
      <saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="{RECIPIENT}"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="{issued}" NotOnOrAfter="{until}">
      <saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="{issued}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>
    <saml:AttributeStatement>{attributes}</saml:AttributeStatement>
  </saml:Assertion>"#,
            id = self.id,
            issued = at(self.issued),
            issuer = self.issuer,
            subject = self.subject,
            until = at(self.not_on_or_after),
            audience = self.audience,
        )
    }

    /// The response around `assertion` (itself, or a crafted one).
    fn around(&self, assertion: &str) -> String {
        let signature = if self.signed == Signed::Response {
            self.signature("_response1")
        } else {
            String::new()
        };
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_response1" Version="2.0" IssueInstant="{issued}" Destination="{RECIPIENT}">
  <saml:Issuer xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">{issuer}</saml:Issuer>{signature}
  <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
  {assertion}
</samlp:Response>"#,
            issued = at(self.issued),
            issuer = self.issuer,
        )
    }

    /// The XML after xmlsec1 signed it (or as written, for `Signed::Nothing`).
    fn signed(&self) -> String {
        let xml = self.around(&self.assertion());
        if self.signed == Signed::Nothing {
            return xml;
        }
        sign(&xml, self.key, self.cert)
    }

    fn encoded(&self) -> String {
        STANDARD.encode(self.signed())
    }
}

fn next_id() -> String {
    static IDS: AtomicUsize = AtomicUsize::new(0);
    format!("_assertion{}", IDS.fetch_add(1, Ordering::SeqCst))
}

/// Has xmlsec1 fill in the signature templates of `xml`.
fn sign(xml: &str, key: &str, cert: &str) -> String {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "portcullis-saml-{}-{}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (template, key_file, cert_file) = (dir.join("t.xml"), dir.join("k.pem"), dir.join("c.pem"));
    std::fs::write(&template, xml).unwrap();
    std::fs::write(&key_file, key).unwrap();
    std::fs::write(&cert_file, cert).unwrap();
    let output = std::process::Command::new("xmlsec1")
        .arg("--sign")
        .arg("--privkey-pem")
        .arg(format!("{},{}", key_file.display(), cert_file.display()))
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
        ])
        .args([
            "--id-attr:ID",
            "urn:oasis:names:tc:SAML:2.0:protocol:Response",
        ])
        .arg(&template)
        .output()
        .expect("xmlsec1 (scripts/setup.sh --for-tests installs it)");
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        output.status.success(),
        "xmlsec1: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Sends the unsigned call, as boto3 and the CLI do.
async fn assume(
    app: &TestApp,
    role: &str,
    provider: &str,
    assertion: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut form = vec![
        ("Action", "AssumeRoleWithSAML"),
        ("Version", "2011-06-15"),
        ("RoleArn", role),
        ("PrincipalArn", provider),
        ("SAMLAssertion", assertion),
    ];
    form.extend_from_slice(extra);
    let response = reqwest::Client::new()
        .post(format!("{}/", app.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

fn invalid_replay(answer: &(u16, String)) {
    assert_error(
        answer,
        400,
        "InvalidIdentityToken",
        "This SAML assertion was already used: a bearer assertion is good once. Sign in at the identity provider again.",
    );
}

#[tokio::test]
async fn saml_providers_are_managed_as_aws_manages_them() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let document = metadata(ENTITY, &[ISSUER_CERT]);
    let created = root(vec![
        pair("Action", "CreateSAMLProvider"),
        pair("Name", "Corp"),
        pair("SAMLMetadataDocument", &document),
        pair("Tags.member.1.Key", "team"),
        pair("Tags.member.1.Value", "identity"),
    ])
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    let arn = format!("arn:aws:iam::{account}:saml-provider/Corp");
    assert_eq!(field(&created.1, "SAMLProviderArn"), arn);

    // The same name in another case, a bad name, short or broken metadata: refused,
    // and nothing written.
    let again = root(vec![
        pair("Action", "CreateSAMLProvider"),
        pair("Name", "CORP"),
        pair("SAMLMetadataDocument", &document),
    ])
    .await;
    assert_eq!(again.0, 409, "{}", again.1);
    assert_eq!(field(&again.1, "Code"), "EntityAlreadyExists");
    let bad_name = root(vec![
        pair("Action", "CreateSAMLProvider"),
        pair("Name", "has space"),
        pair("SAMLMetadataDocument", &document),
    ])
    .await;
    assert_eq!(bad_name.0, 400, "{}", bad_name.1);
    let short = root(vec![
        pair("Action", "CreateSAMLProvider"),
        pair("Name", "Short"),
        pair("SAMLMetadataDocument", "<md:EntityDescriptor/>"),
    ])
    .await;
    assert_error(
        &short,
        400,
        "ValidationError",
        "1 validation error detected: Value '<md:EntityDescriptor/>' at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length greater than or equal to 1000",
    );
    let no_certificate = document.replace(&cert_body(ISSUER_CERT), "");
    let no_certificate = format!("{no_certificate}{}", " ".repeat(1000));
    let broken = root(vec![
        pair("Action", "CreateSAMLProvider"),
        pair("Name", "Broken"),
        pair("SAMLMetadataDocument", &no_certificate),
    ])
    .await;
    assert_eq!(broken.0, 400, "{}", broken.1);
    assert!(
        field(&broken.1, "Message").starts_with("Could not parse metadata"),
        "{}",
        broken.1
    );
    let laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="&lol2;">{}</md:EntityDescriptor>"#,
        " ".repeat(1000)
    );
    let entities = root(vec![
        pair("Action", "CreateSAMLProvider"),
        pair("Name", "Laughs"),
        pair("SAMLMetadataDocument", &laughs),
    ])
    .await;
    assert_eq!(entities.0, 400, "{}", entities.1);
    assert_eq!(app.store.saml_providers().await.unwrap().len(), 1);

    let got = root(vec![
        pair("Action", "GetSAMLProvider"),
        pair("SAMLProviderArn", &arn),
    ])
    .await;
    assert_eq!(got.0, 200, "{}", got.1);
    assert_eq!(field(&got.1, "ValidUntil"), "2036-01-01T00:00:00Z");
    assert!(
        got.1.contains("<Key>team</Key><Value>identity</Value>"),
        "{}",
        got.1
    );
    assert!(got.1.contains(&cert_body(ISSUER_CERT)), "{}", got.1);
    let listed = root(vec![pair("Action", "ListSAMLProviders")]).await;
    assert_eq!(field(&listed.1, "Arn"), arn);
    let missing_arn = format!("arn:aws:iam::{account}:saml-provider/corp");
    let missing = root(vec![
        pair("Action", "GetSAMLProvider"),
        pair("SAMLProviderArn", &missing_arn),
    ])
    .await;
    assert_error(
        &missing,
        404,
        "NoSuchEntity",
        &format!("Manifest not found for arn {missing_arn}"),
    );
    let tagged = root(vec![
        pair("Action", "TagSAMLProvider"),
        pair("SAMLProviderArn", &arn),
        pair("Tags.member.1.Key", "owner"),
        pair("Tags.member.1.Value", "it"),
    ])
    .await;
    assert_eq!(tagged.0, 200, "{}", tagged.1);
    let tags = root(vec![
        pair("Action", "ListSAMLProviderTags"),
        pair("SAMLProviderArn", &arn),
    ])
    .await;
    assert!(
        tags.1.contains("<Key>owner</Key><Value>it</Value>"),
        "{}",
        tags.1
    );
    let encrypted = root(vec![
        pair("Action", "UpdateSAMLProvider"),
        pair("SAMLProviderArn", &arn),
        pair("AssertionEncryptionMode", "Required"),
    ])
    .await;
    assert_eq!(
        field(&encrypted.1, "Code"),
        "InvalidInput",
        "{}",
        encrypted.1
    );
    let nothing = root(vec![
        pair("Action", "UpdateSAMLProvider"),
        pair("SAMLProviderArn", &arn),
    ])
    .await;
    assert_error(
        &nothing,
        400,
        "InvalidInput",
        "Unable to update identity provider. No updates are defined for metadata or encryption assertion.",
    );

    // A user may manage only what a policy grants: a Deny on the provider holds.
    let user = root(vec![
        pair("Action", "CreateUser"),
        pair("UserName", "idp-admin"),
    ])
    .await;
    assert_eq!(user.0, 200, "{}", user.1);
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"iam:*SAMLProvider*","Resource":"*"}},{{"Effect":"Deny","Action":"iam:DeleteSAMLProvider","Resource":"{arn}"}}]}}"#
    );
    root(vec![
        pair("Action", "PutUserPolicy"),
        pair("UserName", "idp-admin"),
        pair("PolicyName", "saml"),
        pair("PolicyDocument", &policy),
    ])
    .await;
    let key = root(vec![
        pair("Action", "CreateAccessKey"),
        pair("UserName", "idp-admin"),
    ])
    .await;
    let (key_id, secret) = (
        field(&key.1, "AccessKeyId"),
        field(&key.1, "SecretAccessKey"),
    );
    let delete = call_owned(
        &app,
        &key_id,
        &secret,
        &[
            pair("Action", "DeleteSAMLProvider"),
            pair("SAMLProviderArn", &arn),
        ],
    )
    .await;
    assert_eq!(delete.0, 403, "{}", delete.1);
    assert!(
        field(&delete.1, "Message").contains("with an explicit deny"),
        "{}",
        delete.1
    );
    let listed = call_owned(
        &app,
        &key_id,
        &secret,
        &[pair("Action", "ListSAMLProviders")],
    )
    .await;
    assert_eq!(listed.0, 200, "{}", listed.1);
    let deleted = root(vec![
        pair("Action", "DeleteSAMLProvider"),
        pair("SAMLProviderArn", &arn),
    ])
    .await;
    assert_eq!(deleted.0, 200, "{}", deleted.1);
    assert!(app.store.saml_providers().await.unwrap().is_empty());
}

#[tokio::test]
async fn signed_saml_responses_assume_a_role_and_forged_ones_do_not() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let root = |params: Vec<(String, String)>| {
        let app = &app;
        async move { call_owned(app, ROOT_KEY, ROOT_SECRET, &params).await }
    };
    let created = root(vec![
        pair("Action", "CreateSAMLProvider"),
        pair("Name", "Corp"),
        pair("SAMLMetadataDocument", &metadata(ENTITY, &[ISSUER_CERT])),
    ])
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    let provider = format!("arn:aws:iam::{account}:saml-provider/Corp");
    let trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithSAML","Condition":{{"StringEquals":{{"SAML:aud":"{RECIPIENT}","saml:sub":"alice@example.com","saml:sub_type":"persistent","saml:doc":"{account}/Corp"}}}}}}]}}"#
    );
    let role = root(vec![
        pair("Action", "CreateRole"),
        pair("RoleName", "Auditor"),
        pair("AssumeRolePolicyDocument", &trust),
    ])
    .await;
    assert_eq!(role.0, 200, "{}", role.1);
    let role_arn = format!("arn:aws:iam::{account}:role/Auditor");
    let allowed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}"#;
    root(vec![
        pair("Action", "PutRolePolicy"),
        pair("RoleName", "Auditor"),
        pair("PolicyName", "list"),
        pair("PolicyDocument", allowed),
    ])
    .await;
    // A role the assertion does not offer.
    let admin_trust = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{provider}"}},"Action":"sts:AssumeRoleWithSAML"}}]}}"#
    );
    root(vec![
        pair("Action", "CreateRole"),
        pair("RoleName", "Admin"),
        pair("AssumeRolePolicyDocument", &admin_trust),
    ])
    .await;
    let admin_arn = format!("arn:aws:iam::{account}:role/Admin");

    let now = app.service.clock().now();
    let good = Response::new(now, &role_arn, &provider);
    let first = good.encoded();
    let answer = assume(&app, &role_arn, &provider, &first, &[]).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    // A bearer assertion is good once: the same one again is a replay.
    invalid_replay(&assume(&app, &role_arn, &provider, &first, &[]).await);
    assert!(
        answer.1.starts_with("<AssumeRoleWithSAMLResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithSAMLResult><Credentials>"),
        "{}",
        answer.1
    );
    let session_arn = format!("arn:aws:sts::{account}:assumed-role/Auditor/alice@example.com");
    assert_eq!(field(&answer.1, "Arn"), session_arn);
    assert_eq!(field(&answer.1, "Subject"), "alice@example.com");
    assert_eq!(field(&answer.1, "SubjectType"), "persistent");
    assert_eq!(field(&answer.1, "Issuer"), ENTITY);
    assert_eq!(field(&answer.1, "Audience"), RECIPIENT);
    assert_eq!(
        field(&answer.1, "NameQualifier"),
        service::saml::name_qualifier(ENTITY, &account, "Corp")
    );
    let (key, secret, token) = (
        field(&answer.1, "AccessKeyId"),
        field(&answer.1, "SecretAccessKey"),
        field(&answer.1, "SessionToken"),
    );
    let who = call_with_token(
        &app,
        &key,
        &secret,
        &token,
        "sts",
        &[("Action", "GetCallerIdentity")],
    )
    .await;
    assert_eq!(field(&who.1, "Arn"), session_arn);
    let users = call_with_token(
        &app,
        &key,
        &secret,
        &token,
        "iam",
        &[("Action", "ListUsers")],
    )
    .await;
    assert_eq!(users.0, 200, "{}", users.1);
    let create = call_with_token(
        &app,
        &key,
        &secret,
        &token,
        "iam",
        &[("Action", "CreateUser"), ("UserName", "x")],
    )
    .await;
    assert_eq!(create.0, 403, "{}", create.1);

    // The whole response signed instead of the assertion: also what IdPs send.
    let response_signed = good.clone().with(|r| r.signed = Signed::Response);
    let answer = assume(&app, &role_arn, &provider, &response_signed.encoded(), &[]).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    // Default namespaces instead of prefixes (the assertion's and the signature's),
    // signed either way: canonical XML must declare them where they are used.
    for signed in [Signed::Assertion, Signed::Response] {
        let unprefixed = good.clone().with(|r| {
            r.unprefixed = true;
            r.signed = signed;
        });
        let xml = unprefixed.signed();
        assert!(
            xml.contains("<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"),
            "{xml}"
        );
        assert!(
            xml.contains("<Assertion xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\""),
            "{xml}"
        );
        let answer = assume(&app, &role_arn, &provider, &STANDARD.encode(xml), &[]).await;
        assert_eq!(answer.0, 200, "{}", answer.1);
    }
    // SessionDuration shortens the session.
    let short = good.clone().with(|r| {
        r.attributes.push((
            "https://aws.amazon.com/SAML/Attributes/SessionDuration".into(),
            vec!["900".into()],
        ))
    });
    let answer = assume(&app, &role_arn, &provider, &short.encoded(), &[]).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    let expires = OffsetDateTime::parse(&field(&answer.1, "Expiration"), &Rfc3339).unwrap();
    assert!((expires - now).whole_seconds() <= 960, "{}", answer.1);

    let invalid = |answer: &(u16, String), message: &str| {
        assert_error(answer, 400, "InvalidIdentityToken", message);
    };
    let signature_invalid = "Response signature invalid";

    // Changed after signing: the subject, an attribute, the role offered.
    let signed = good.signed();
    for (from, to) in [
        (
            "alice@example.com</saml:NameID>",
            "admin@example.com</saml:NameID>",
        ),
        ("role/Auditor,", "role/Admin,"),
    ] {
        assert!(signed.contains(from), "{from}");
        let forged = STANDARD.encode(signed.replace(from, to));
        invalid(
            &assume(&app, &role_arn, &provider, &forged, &[]).await,
            signature_invalid,
        );
    }
    // Signed by another key (its certificate in KeyInfo, which is never believed).
    let other_key = good.clone().with(|r| {
        r.key = ATTACKER_KEY;
        r.cert = ATTACKER_CERT;
    });
    invalid(
        &assume(&app, &role_arn, &provider, &other_key.encoded(), &[]).await,
        signature_invalid,
    );
    // Not signed at all.
    let unsigned = good.clone().with(|r| r.signed = Signed::Nothing);
    invalid(
        &assume(&app, &role_arn, &provider, &unsigned.encoded(), &[]).await,
        signature_invalid,
    );
    // SHA-1.
    let sha1 = good.clone().with(|r| {
        r.digest = "http://www.w3.org/2000/09/xmldsig#sha1";
        r.method = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
    });
    invalid(
        &assume(&app, &role_arn, &provider, &sha1.encoded(), &[]).await,
        signature_invalid,
    );

    // Wrapping: the signed assertion kept, an unsigned one for the admin role beside
    // it, or the signed one hidden in an extension with a forged one under its ID.
    let evil = good
        .clone()
        .with(|r| {
            r.id = good.id.clone();
            r.signed = Signed::Nothing;
            r.subject = "admin@example.com".into();
            r.attributes[0].1 = vec![format!("{admin_arn},{provider}")];
        })
        .assertion();
    let signed_assertion = {
        let start = signed.find("<saml:Assertion").unwrap();
        let end = signed.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
        signed[start..end].to_string()
    };
    let two = good.around(&format!(
        "{}{signed_assertion}",
        evil.replace(&good.id, "_other")
    ));
    invalid(
        &assume(&app, &admin_arn, &provider, &STANDARD.encode(&two), &[]).await,
        "Invalid SAML response: the response must hold exactly one Assertion",
    );
    let hidden = good.around(&format!(
        "<samlp:Extensions>{signed_assertion}</samlp:Extensions>{evil}"
    ));
    invalid(
        &assume(&app, &admin_arn, &provider, &STANDARD.encode(&hidden), &[]).await,
        "Invalid SAML response: two elements have the same ID",
    );
    let renamed = good.around(&format!(
        "<samlp:Extensions>{signed_assertion}</samlp:Extensions>{}",
        evil.replace(&good.id, "_other")
    ));
    let answer = assume(&app, &admin_arn, &provider, &STANDARD.encode(&renamed), &[]).await;
    invalid(&answer, signature_invalid);

    // A comment in the NameID: the signature covers the text without it, and the
    // subject is the whole text, never the part before the comment.
    let commented = good
        .clone()
        .with(|r| r.subject = "alice@example.com<!---->.evil.example".into());
    let answer = assume(&app, &role_arn, &provider, &commented.encoded(), &[]).await;
    assert_error(
        &answer,
        403,
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithSAML",
    );

    // Another issuer signing with the right key, another audience.
    let elsewhere = good
        .clone()
        .with(|r| r.issuer = "https://other.example.com".into());
    invalid(
        &assume(&app, &role_arn, &provider, &elsewhere.encoded(), &[]).await,
        "Issuer not present in specified provider",
    );
    let audience = good
        .clone()
        .with(|r| r.audience = "https://sp.example.com".into());
    invalid(
        &assume(&app, &role_arn, &provider, &audience.encoded(), &[]).await,
        "Response does not contain the required audience",
    );
    // Expired, and issued too long ago.
    let expired = good.clone().with(|r| {
        r.issued = now - time::Duration::minutes(4);
        r.not_on_or_after = now - time::Duration::minutes(1);
    });
    assert_error(
        &assume(&app, &role_arn, &provider, &expired.encoded(), &[]).await,
        400,
        "ExpiredTokenException",
        "Response has expired",
    );
    let stale = good.clone().with(|r| {
        r.issued = now - time::Duration::minutes(10);
        r.not_on_or_after = now + time::Duration::minutes(50);
    });
    assert_error(
        &assume(&app, &role_arn, &provider, &stale.encoded(), &[]).await,
        400,
        "ExpiredTokenException",
        "Token must be redeemed within 5 minutes of issuance",
    );
    // A role the assertion does not offer, and attributes AWS requires.
    let other_role = good.clone().with(|_| {});
    let answer = assume(&app, &admin_arn, &provider, &other_role.encoded(), &[]).await;
    assert_error(
        &answer,
        403,
        "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithSAML",
    );
    let nameless = good.clone().with(|r| r.attributes.truncate(1));
    invalid(
        &assume(&app, &role_arn, &provider, &nameless.encoded(), &[]).await,
        "RoleSessionName is required in AuthnResponse",
    );
    let spaced = good
        .clone()
        .with(|r| r.attributes[1].1 = vec!["alice smith".into()]);
    invalid(
        &assume(&app, &role_arn, &provider, &spaced.encoded(), &[]).await,
        "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}",
    );
    // Session tags need sts:TagSession in the trust policy, which this role lacks.
    let tagged = good.clone().with(|r| {
        r.attributes.push((
            "https://aws.amazon.com/SAML/Attributes/PrincipalTag:team".into(),
            vec!["audit".into()],
        ))
    });
    let answer = assume(&app, &role_arn, &provider, &tagged.encoded(), &[]).await;
    assert_error(
        &answer,
        403,
        "AccessDenied",
        "Not authorized to perform sts:TagSession",
    );
    // Not XML, a DTD, a provider that does not exist.
    let not_xml = assume(&app, &role_arn, &provider, &STANDARD.encode("not xml"), &[]).await;
    assert_eq!(
        field(&not_xml.1, "Code"),
        "InvalidIdentityToken",
        "{}",
        not_xml.1
    );
    assert!(
        field(&not_xml.1, "Message").starts_with("Invalid SAML response: not XML"),
        "{}",
        not_xml.1
    );
    let dtd = signed.replacen(
        "<samlp:Response",
        "<!DOCTYPE r [<!ENTITY x \"x\">]><samlp:Response",
        1,
    );
    let answer = assume(&app, &role_arn, &provider, &STANDARD.encode(dtd), &[]).await;
    assert_eq!(
        field(&answer.1, "Code"),
        "InvalidIdentityToken",
        "{}",
        answer.1
    );
    let nowhere = format!("arn:aws:iam::{account}:saml-provider/Nowhere");
    let elsewhere_provider = good.clone().with(|_| {});
    invalid(
        &assume(
            &app,
            &role_arn,
            &nowhere,
            &elsewhere_provider.encoded(),
            &[],
        )
        .await,
        "Specified provider doesn't exist.",
    );
    let short = assume(&app, &role_arn, &provider, "abc", &[]).await;
    assert_eq!(field(&short.1, "Code"), "ValidationError", "{}", short.1);

    // Every refusal is in the audit log with its reason.
    let audited = app
        .store
        .audit_log(&store::AuditFilter {
            action: "sts:AssumeRoleWithSAML".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let denied = audited
        .iter()
        .filter(|r| r.outcome == store::Outcome::Denied)
        .count();
    assert!(denied >= 18, "{denied} refusals audited: {audited:?}");
    assert!(audited.iter().any(|r| r.outcome == store::Outcome::Success
        && r.actor == format!("SAML user alice@example.com from {provider}")));

    // A rotated certificate: responses signed with the old key stop working.
    let rotated = root(vec![
        pair("Action", "UpdateSAMLProvider"),
        pair("SAMLProviderArn", &provider),
        pair("SAMLMetadataDocument", &metadata(ENTITY, &[ATTACKER_CERT])),
    ])
    .await;
    assert_eq!(rotated.0, 200, "{}", rotated.1);
    let old_key = good.clone().with(|_| {});
    invalid(
        &assume(&app, &role_arn, &provider, &old_key.encoded(), &[]).await,
        signature_invalid,
    );
    let new_key = good.clone().with(|r| {
        r.key = ATTACKER_KEY;
        r.cert = ATTACKER_CERT;
    });
    let answer = assume(&app, &role_arn, &provider, &new_key.encoded(), &[]).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    // A deleted provider's responses are refused.
    root(vec![
        pair("Action", "DeleteSAMLProvider"),
        pair("SAMLProviderArn", &provider),
    ])
    .await;
    let after = new_key.clone().with(|_| {});
    invalid(
        &assume(&app, &role_arn, &provider, &after.encoded(), &[]).await,
        "Specified provider doesn't exist.",
    );
}

#[tokio::test]
async fn a_deeply_nested_response_is_refused_without_harm() {
    let app = api_app().await;
    let account = app.store.account_id().await.unwrap().unwrap();
    let created = call_owned(
        &app,
        ROOT_KEY,
        ROOT_SECRET,
        &[
            pair("Action", "CreateSAMLProvider"),
            pair("Name", "Corp"),
            pair("SAMLMetadataDocument", &metadata(ENTITY, &[ISSUER_CERT])),
        ],
    )
    .await;
    assert_eq!(created.0, 200, "{}", created.1);
    // Within the size limits, nested far deeper than a thread's stack would survive
    // a recursive walk, under a signature the verifier would canonicalise.
    let depth = 9_000;
    let nested = format!(
        r##"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r"><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_r"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AA==</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AA==</ds:SignatureValue></ds:Signature>{}{}</samlp:Response>"##,
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let answer = assume(
        &app,
        &format!("arn:aws:iam::{account}:role/Any"),
        &format!("arn:aws:iam::{account}:saml-provider/Corp"),
        &STANDARD.encode(nested),
        &[],
    )
    .await;
    assert_eq!(
        field(&answer.1, "Code"),
        "InvalidIdentityToken",
        "{}",
        answer.1
    );
    assert!(
        field(&answer.1, "Message").contains("nested more than 64 deep"),
        "{}",
        answer.1
    );
}
