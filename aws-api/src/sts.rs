//! STS actions (2011-06-15).

use http::StatusCode;
use service::sts::{AssumeRoleInput, Credentials, MfaProof};
use service::{Caller, Service};

use crate::error::ApiError;
use crate::iam::{Action, Answer};
use crate::params::Params;
use crate::xml::{date, Xml};

pub const ACTIONS: &[Action] = &[
    Action {
        name: "GetCallerIdentity",
        catalogue: "sts:GetCallerIdentity",
        audited: false,
    },
    Action {
        name: "GetSessionToken",
        catalogue: "sts:GetSessionToken",
        audited: true,
    },
    Action {
        name: "AssumeRole",
        catalogue: "sts:AssumeRole",
        audited: true,
    },
    Action {
        name: "GetFederationToken",
        catalogue: "sts:GetFederationToken",
        audited: true,
    },
    Action {
        name: "GetAccessKeyInfo",
        catalogue: "sts:GetAccessKeyInfo",
        audited: false,
    },
    Action {
        name: "DecodeAuthorizationMessage",
        catalogue: "sts:DecodeAuthorizationMessage",
        audited: false,
    },
];

/// The STS actions that come unsigned: the token or the SAML response is the proof.
pub const WEB_IDENTITY: Action = Action {
    name: "AssumeRoleWithWebIdentity",
    catalogue: "sts:AssumeRoleWithWebIdentity",
    audited: true,
};
pub const SAML: Action = Action {
    name: "AssumeRoleWithSAML",
    catalogue: "sts:AssumeRoleWithSAML",
    audited: true,
};

/// The unsigned action `name`, if it is one.
pub fn unsigned(name: &str) -> Option<&'static Action> {
    [&WEB_IDENTITY, &SAML].into_iter().find(|a| a.name == name)
}

/// `RoleArn` (20 to 2048 characters) and `RoleSessionName`, as every AssumeRole* takes.
fn role_and_session(params: &Params) -> Result<(&str, &str), ApiError> {
    let role_arn = arn_param(params, "RoleArn", "roleArn")?;
    let session_name = params.required("RoleSessionName", "roleSessionName")?;
    pattern(session_name, "roleSessionName", 2, 64, "")?;
    Ok((role_arn, session_name))
}

/// `AssumeRoleWithWebIdentity`'s parameters, with AWS's validation texts.
pub fn web_identity_input(
    params: &Params,
) -> Result<service::web_identity::WebIdentityInput, ApiError> {
    let (role_arn, session_name) = role_and_session(params)?;
    let token = params.required("WebIdentityToken", "webIdentityToken")?;
    let length = token.chars().count();
    if !(4..=identity::jwt::MAX_TOKEN_CHARS).contains(&length) {
        return Err(ApiError::validation(
            None,
            "webIdentityToken",
            "Member must have length less than or equal to 20000",
        ));
    }
    if let Some(provider) = params.get("ProviderId") {
        // AWS takes ProviderId only for OAuth 2.0 providers (Amazon, Facebook); ID
        // tokens from OpenID Connect providers name their issuer themselves.
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValue",
            format!("ProviderId {provider} is not supported: register the OpenID Connect provider and leave ProviderId out."),
        ));
    }
    Ok(service::web_identity::WebIdentityInput {
        role_arn: role_arn.to_string(),
        session_name: session_name.to_string(),
        token: token.to_string(),
        duration_seconds: duration(params, 43_200)?,
        session_policy: session_policy(params)?,
        session_policy_arns: session_policy_arns(params),
    })
}

/// A `RoleArn` or `PrincipalArn`: 20 to 2048 characters.
fn arn_param<'a>(params: &'a Params, name: &str, member: &str) -> Result<&'a str, ApiError> {
    let arn = params.required(name, member)?;
    if !(20..=2048).contains(&arn.chars().count()) {
        return Err(ApiError::validation(
            Some(arn),
            member,
            "Member must have length greater than or equal to 20",
        ));
    }
    Ok(arn)
}

/// `AssumeRoleWithSAML`'s parameters, with AWS's validation texts.
pub fn saml_input(params: &Params) -> Result<service::saml::SamlInput, ApiError> {
    let role_arn = arn_param(params, "RoleArn", "roleArn")?;
    let principal_arn = arn_param(params, "PrincipalArn", "principalArn")?;
    let assertion = params.required("SAMLAssertion", "sAMLAssertion")?;
    let length = assertion.chars().count();
    if length < identity::saml::MIN_ASSERTION_CHARS {
        return Err(ApiError::validation(
            None,
            "sAMLAssertion",
            "Member must have length greater than or equal to 4",
        ));
    }
    if length > identity::saml::MAX_ASSERTION_CHARS {
        return Err(ApiError::validation(
            None,
            "sAMLAssertion",
            "Member must have length less than or equal to 100000",
        ));
    }
    Ok(service::saml::SamlInput {
        role_arn: role_arn.to_string(),
        principal_arn: principal_arn.to_string(),
        assertion: assertion.to_string(),
        duration_seconds: duration(params, 43_200)?,
        session_policy: session_policy(params)?,
        session_policy_arns: session_policy_arns(params),
    })
}

/// AWS's answer to a SAML session.
pub fn saml_xml(session: &service::saml::SamlSession) -> Xml {
    let mut x = Xml::new();
    credentials_xml(&mut x, &session.role.credentials);
    x.element("AssumedRoleUser", |x| {
        x.text("AssumedRoleId", &session.role.assumed_role_id)
            .text("Arn", &session.role.arn);
    });
    if let Some(percent) = session.role.packed_policy_percent {
        x.text("PackedPolicySize", &percent.to_string());
    }
    x.text("Subject", &session.subject)
        .text("SubjectType", &session.subject_type)
        .text("Issuer", &session.issuer)
        .text("Audience", &session.audience)
        .text("NameQualifier", &session.name_qualifier);
    if let Some(source) = &session.role.source_identity {
        x.text("SourceIdentity", source);
    }
    x
}

/// AWS's answer to a web identity session.
pub fn web_identity_xml(session: &service::web_identity::WebIdentitySession) -> Xml {
    let mut x = Xml::new();
    credentials_xml(&mut x, &session.role.credentials);
    x.text("SubjectFromWebIdentityToken", &session.subject);
    x.element("AssumedRoleUser", |x| {
        x.text("AssumedRoleId", &session.role.assumed_role_id)
            .text("Arn", &session.role.arn);
    });
    if let Some(percent) = session.role.packed_policy_percent {
        x.text("PackedPolicySize", &percent.to_string());
    }
    x.text("Provider", &session.provider)
        .text("Audience", &session.audience);
    x
}

pub fn action(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name == name)
}

fn credentials_xml(x: &mut Xml, c: &Credentials) {
    x.element("Credentials", |x| {
        x.text("AccessKeyId", &c.access_key_id)
            .text("SecretAccessKey", &c.secret_access_key)
            .text("SessionToken", &c.session_token)
            .text("Expiration", &date(c.expiration));
    });
}

/// `DurationSeconds` within AWS's bounds for the action.
fn duration(params: &Params, max: i64) -> Result<Option<i64>, ApiError> {
    let Some(text) = params.get("DurationSeconds") else {
        return Ok(None);
    };
    let seconds: i64 = text.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "MalformedInput",
            format!("Invalid value for DurationSeconds: {text}"),
        )
    })?;
    if seconds < 900 {
        return Err(ApiError::validation(
            Some(text),
            "durationSeconds",
            "Member must have value greater than or equal to 900",
        ));
    }
    if seconds > max {
        return Err(ApiError::validation(
            Some(text),
            "durationSeconds",
            &format!("Member must have value less than or equal to {max}"),
        ));
    }
    Ok(Some(seconds))
}

/// `Policy`: an inline session policy of at most 2,048 characters.
fn session_policy(params: &Params) -> Result<Option<String>, ApiError> {
    match params.get("Policy") {
        Some(text) if text.chars().count() > 2048 => Err(ApiError::validation(
            None,
            "policy",
            "Member must have length less than or equal to 2048",
        )),
        other => Ok(other.map(str::to_string)),
    }
}

/// `PolicyArns.member.N.arn`: managed policies used as session policies.
fn session_policy_arns(params: &Params) -> Vec<String> {
    (1..)
        .map_while(|n| params.get(&format!("PolicyArns.member.{n}.arn")))
        .map(str::to_string)
        .collect()
}

/// `TransitiveTagKeys.member.N`: at most 50, each a valid tag key.
fn transitive_tag_keys(params: &Params) -> Result<Vec<String>, ApiError> {
    let keys: Vec<String> = (1..)
        .map_while(|n| params.get(&format!("TransitiveTagKeys.member.{n}")))
        .map(str::to_string)
        .collect();
    if keys.len() > 50 {
        return Err(ApiError::validation(
            None,
            "transitiveTagKeys",
            "Member must have length less than or equal to 50",
        ));
    }
    for key in &keys {
        if model::tags::check(key, "").is_err() {
            return Err(ApiError::validation(
                Some(key),
                "transitiveTagKeys",
                &format!(
                    "Member must satisfy regular expression pattern: {}",
                    model::tags::KEY_PATTERN
                ),
            ));
        }
    }
    Ok(keys)
}

fn pattern(value: &str, member: &str, min: usize, max: usize, extra: &str) -> Result<(), ApiError> {
    let length = value.chars().count();
    if length < min || length > max {
        return Err(ApiError::validation(
            Some(value),
            member,
            &format!("Member must have length between {min} and {max}"),
        ));
    }
    let ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) || extra.contains(c));
    if !ok {
        return Err(ApiError::validation(
            Some(value),
            member,
            &format!("Member must satisfy regular expression pattern: [\\w+=,.@{extra}-]*"),
        ));
    }
    Ok(())
}

/// `SerialNumber` and `TokenCode`, both or neither, in AWS's shapes.
fn mfa(params: &Params) -> Result<Option<MfaProof>, ApiError> {
    match (params.get("SerialNumber"), params.get("TokenCode")) {
        (None, None) => Ok(None),
        (Some(serial), Some(code)) => {
            pattern(serial, "serialNumber", 9, 256, "/:")?;
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ApiError::validation(
                    Some(code),
                    "tokenCode",
                    "Member must satisfy regular expression pattern: [\\d]*",
                ));
            }
            Ok(Some(MfaProof {
                serial_number: serial.to_string(),
                token_code: code.to_string(),
            }))
        }
        (Some(_), None) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            "TokenCode is required when SerialNumber is given.",
        )),
        (None, Some(_)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            "SerialNumber is required when TokenCode is given.",
        )),
    }
}

/// Runs one STS action for `caller`.
pub async fn call(service: &Service, caller: &Caller, name: &str, params: &Params) -> Answer {
    match name {
        // Needs no permission, as in AWS: a Deny cannot hide who you are.
        "GetCallerIdentity" => {
            let mut x = Xml::new();
            let user_id = match (&caller.role, &caller.federated, caller.user.is_root) {
                (Some(role), _, _) => format!("{}:{}", role.role_id, role.session_name),
                (None, Some(federated), _) => format!("{}:{}", caller.account_id, federated.name),
                (None, None, true) => caller.account_id.clone(),
                (None, None, false) => caller.user.id.clone(),
            };
            x.text("Arn", &caller.arn())
                .text("UserId", &user_id)
                .text("Account", &caller.account_id);
            Ok(Some(x))
        }
        "GetFederationToken" => {
            let federated_name = params.required("Name", "name")?;
            pattern(federated_name, "name", 2, 32, "")?;
            let input = service::sts::FederationInput {
                name: federated_name.to_string(),
                duration_seconds: duration(params, 129_600)?,
                session_policy: session_policy(params)?,
                session_policy_arns: session_policy_arns(params),
                tags: params.tags()?,
            };
            let token = service.get_federation_token(caller, &input).await?;
            let mut x = Xml::new();
            credentials_xml(&mut x, &token.credentials);
            x.element("FederatedUser", |x| {
                x.text("FederatedUserId", &token.federated_user_id)
                    .text("Arn", &token.arn);
            });
            if let Some(percent) = token.packed_policy_percent {
                x.text("PackedPolicySize", &percent.to_string());
            }
            Ok(Some(x))
        }
        "DecodeAuthorizationMessage" => {
            let encoded = params.required("EncodedMessage", "encodedMessage")?;
            if encoded.chars().count() > service::authorization_messages::MAX_ENCODED_CHARS {
                return Err(ApiError::validation(
                    None,
                    "encodedMessage",
                    "Member must have length less than or equal to 10240",
                ));
            }
            let decoded = service
                .decode_authorization_message(caller, encoded)
                .await
                .map_err(|e| match e {
                    service::ServiceError::Invalid {
                        field: "encoded_message",
                        message,
                    } => ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "InvalidAuthorizationMessageException",
                        message,
                    ),
                    other => other.into(),
                })?;
            let mut x = Xml::new();
            x.text("DecodedMessage", &decoded);
            Ok(Some(x))
        }
        "GetAccessKeyInfo" => {
            let key_id = params.required("AccessKeyId", "accessKeyId")?;
            if !(16..=128).contains(&key_id.len())
                || !key_id.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(ApiError::validation(
                    Some(key_id),
                    "accessKeyId",
                    "Member must satisfy regular expression pattern: [\\w]*",
                ));
            }
            let account = service.access_key_account(caller, key_id).await?;
            let mut x = Xml::new();
            x.text("Account", &account);
            Ok(Some(x))
        }
        "GetSessionToken" => {
            let seconds = duration(params, 129_600)?;
            let proof = mfa(params)?;
            let credentials = service
                .get_session_token(caller, seconds, proof.as_ref())
                .await?;
            let mut x = Xml::new();
            credentials_xml(&mut x, &credentials);
            Ok(Some(x))
        }
        "AssumeRole" => {
            let (role_arn, session_name) = role_and_session(params)?;
            let external_id = params.get("ExternalId").unwrap_or_default();
            if params.get("ExternalId").is_some() {
                pattern(external_id, "externalId", 2, 1224, ":/")?;
            }
            let input = AssumeRoleInput {
                role_arn: role_arn.to_string(),
                session_name: session_name.to_string(),
                external_id: external_id.to_string(),
                duration_seconds: duration(params, 43_200)?,
                mfa: mfa(params)?,
                session_policy: session_policy(params)?,
                session_policy_arns: session_policy_arns(params),
                tags: params.tags()?,
                transitive_tag_keys: transitive_tag_keys(params)?,
                source_identity: match params.get("SourceIdentity") {
                    Some(source) => {
                        pattern(source, "sourceIdentity", 2, 64, "")?;
                        Some(source.to_string())
                    }
                    None => None,
                },
            };
            let assumed = service.assume_role(caller, &input).await?;
            let mut x = Xml::new();
            credentials_xml(&mut x, &assumed.credentials);
            x.element("AssumedRoleUser", |x| {
                x.text("AssumedRoleId", &assumed.assumed_role_id)
                    .text("Arn", &assumed.arn);
            });
            if let Some(percent) = assumed.packed_policy_percent {
                x.text("PackedPolicySize", &percent.to_string());
            }
            if let Some(source) = &assumed.source_identity {
                x.text("SourceIdentity", source);
            }
            Ok(Some(x))
        }
        other => Err(ApiError::invalid_action(other, "2011-06-15")),
    }
}
