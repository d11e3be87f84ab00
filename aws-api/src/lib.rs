//! The AWS-compatible door: the Query protocol of IAM (2010-05-08) and STS
//! (2011-06-15) on `POST /` (and `GET /?Action=…`) of the console's port, so the aws
//! CLI, boto3, the SDKs and Terraform drive Portcullis unchanged.
//!
//! A request is authenticated by its SigV4 signature (the service checks key, clock
//! and signature), its parameters are checked with AWS's validation texts, then the
//! same service operation the console calls runs, and the answer is AWS's XML. Every
//! call, allowed or refused, leaves an audit row: changes write their own in their
//! transaction, refusals are written by the engine's door, and this module writes the
//! rest (reads, bad input, failed signatures) like a CloudTrail event.

pub mod error;
pub mod iam;
pub mod params;
pub mod sts;
pub mod xml;

use std::net::SocketAddr;

use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue, Method, StatusCode};
use identity::sigv4::HttpRequest;
use rand::RngCore;
use service::proxies::TrustedProxies;
use service::{Caller, Service};
use store::{AuditEntry, Outcome};

use crate::error::ApiError;
use crate::iam::Action;
use crate::params::Params;
use crate::xml::Api;

/// The largest request body read: IAM's largest documents are well below it.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the door needs: the service, and which proxies to believe about clients.
#[derive(Clone)]
pub struct ApiState {
    pub service: Service,
    pub proxies: TrustedProxies,
}

/// Whether a request is for this door rather than the console: anything posted to
/// `/` (the console posts to its own paths), and `GET /` with an `Action`, a
/// presigned signature or a SigV4 `Authorization` header.
pub fn is_api_request(request: &Request<Body>) -> bool {
    if request.uri().path() != "/" {
        return false;
    }
    if request.method() == Method::POST {
        return true;
    }
    if request.method() != Method::GET {
        return false;
    }
    let query = request.uri().query().unwrap_or_default();
    query
        .split('&')
        .any(|p| p.starts_with("Action=") || p.starts_with("X-Amz-Algorithm="))
        || request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("AWS4-"))
}

/// The middleware: serves API requests, passes everything else to the console.
pub async fn intercept(
    State(state): State<ApiState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if is_api_request(&request) {
        handle(&state, request).await
    } else {
        next.run(request).await
    }
}

/// A request id in the shape AWS uses (a UUID).
fn request_id() -> String {
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        hex.get(0..8).unwrap_or_default(),
        hex.get(8..12).unwrap_or_default(),
        hex.get(13..16).unwrap_or_default(),
        hex.get(17..20).unwrap_or_default(),
        hex.get(20..32).unwrap_or_default()
    )
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(id) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", id);
    }
    response
}

fn error_response(api: Api, error: &ApiError, request_id: &str) -> Response {
    xml_response(
        error.status,
        xml::error(api, error.kind(), error.code, &error.message, request_id),
        request_id,
    )
}

/// One call, from the wire to the wire.
pub async fn handle(state: &ApiState, request: Request<Body>) -> Response {
    let id = request_id();
    let (parts, body) = request.into_parts();
    let body = match to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let error = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("Request body must be at most {MAX_BODY_BYTES} bytes."),
            );
            return error_response(Api::Iam, &error, &id);
        }
    };
    let socket = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let facts = state.proxies.facts(socket, &parts.headers);
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(256)
        .collect::<String>();
    let query = parts.uri.query().unwrap_or_default();
    let mut pairs = params::decode_form(query);
    if parts.method == Method::POST {
        pairs.extend(params::decode_form(&String::from_utf8_lossy(&body)));
    }
    let params = Params::new(pairs);
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let http = HttpRequest {
        method: parts.method.as_str(),
        path: parts.uri.path(),
        query,
        headers: &headers,
        body: &body,
    };
    let action_name = params.get("Action").unwrap_or_default().to_string();
    if let Some(action) = sts::unsigned(&action_name) {
        return federated(state, action, &params, &facts, &user_agent, &id).await;
    }
    let (caller, claim) = match state
        .service
        .authenticate_signed(&http, facts.clone())
        .await
    {
        Ok(found) => found,
        Err(failure) => {
            let error = ApiError::from(failure);
            // Only a refused request is read a second time: for the key it claimed and
            // for the API whose namespace the error is written in (its scope, or else
            // the Version).
            let claimed = identity::sigv4::read(&http).ok();
            let api = match claimed.as_ref().map(|c| c.service.as_str()) {
                Some("sts") => Api::Sts,
                None if params.get("Version") == Some(Api::Sts.version()) => Api::Sts,
                _ => Api::Iam,
            };
            let known = iam::action(&action_name).or_else(|| sts::action(&action_name));
            if let Some(action) = known {
                let entry = AuditEntry {
                    at: state.service.clock().now(),
                    actor: claimed.map_or_else(
                        || "anonymous".to_string(),
                        |c| format!("access key {}", c.access_key_id),
                    ),
                    action: action.catalogue,
                    target: String::new(),
                    source_ip: facts.ip_text(),
                    outcome: Outcome::Denied,
                    detail: format!("api; error {}; {user_agent}", error.code),
                };
                if let Err(e) = state.service.audit_later(entry).await {
                    tracing::warn!("audit of a refused signature: {e}");
                }
            }
            return error_response(api, &error, &id);
        }
    };
    let api = match claim.service.as_str() {
        "iam" => Api::Iam,
        "sts" => Api::Sts,
        other => {
            let error = ApiError::new(
                StatusCode::FORBIDDEN,
                "SignatureDoesNotMatch",
                format!("Credential should be scoped to correct service: 'iam' or 'sts', not '{other}'. "),
            );
            return error_response(Api::Iam, &error, &id);
        }
    };
    if action_name.is_empty() {
        let error = ApiError::new(StatusCode::BAD_REQUEST, "MissingAction", "Missing Action");
        return error_response(api, &error, &id);
    }
    let version = params.get("Version").unwrap_or(api.version());
    let found = match api {
        Api::Iam => iam::action(&action_name),
        Api::Sts => sts::action(&action_name),
    };
    let Some(action) = found.filter(|_| version == api.version()) else {
        let error = ApiError::invalid_action(&action_name, version);
        return error_response(api, &error, &id);
    };
    // A federated user's credentials reach the services, never IAM or STS (AWS lets
    // them call only GetCallerIdentity).
    let federated_refusal = (caller.federated.is_some()
        && !(api == Api::Sts && action.name == "GetCallerIdentity"))
        .then(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "AccessDenied",
                format!(
                    "User: {} is not authorized to perform: {} because credentials from GetFederationToken cannot call IAM or STS operations other than GetCallerIdentity",
                    caller.arn(),
                    action.catalogue
                ),
            )
        });
    let result = match (api, federated_refusal) {
        (_, Some(refusal)) => Err(refusal),
        (Api::Iam, None) => iam::call(&state.service, &caller, action.name, &params).await,
        (Api::Sts, None) => sts::call(&state.service, &caller, action.name, &params).await,
    };
    audit(state, &caller, action, &params, &result, &user_agent).await;
    match result {
        Ok(body) => xml_response(
            StatusCode::OK,
            xml::response(api, action.name, body, &id),
            &id,
        ),
        Err(error) => error_response(api, &error, &id),
    }
}

/// `AssumeRoleWithWebIdentity` and `AssumeRoleWithSAML`, which AWS serves unsigned
/// (a signature, if any, is not what proves the caller: the token is). The service
/// audits what it decides; this audits requests refused before, for their parameters.
async fn federated(
    state: &ApiState,
    action: &'static iam::Action,
    params: &Params,
    facts: &service::caller::RequestFacts,
    user_agent: &str,
    id: &str,
) -> Response {
    let version = params.get("Version").unwrap_or(Api::Sts.version());
    if version != Api::Sts.version() {
        let error = ApiError::invalid_action(action.name, version);
        return error_response(Api::Sts, &error, id);
    }
    let answer = if action.name == sts::SAML.name {
        let input = match sts::saml_input(params) {
            Ok(input) => input,
            Err(error) => {
                return refused_before_service(state, action, facts, user_agent, &error, id).await
            }
        };
        state
            .service
            .assume_role_with_saml(facts, &input)
            .await
            .map(|session| sts::saml_xml(&session))
    } else {
        let input = match sts::web_identity_input(params) {
            Ok(input) => input,
            Err(error) => {
                return refused_before_service(state, action, facts, user_agent, &error, id).await
            }
        };
        state
            .service
            .assume_role_with_web_identity(facts, &input)
            .await
            .map(|session| sts::web_identity_xml(&session))
    };
    match answer {
        Ok(body) => xml_response(
            StatusCode::OK,
            xml::response(Api::Sts, action.name, Some(body), id),
            id,
        ),
        Err(error) => {
            let error = match error {
                // AWS's text, which says neither whether the role exists nor why.
                service::ServiceError::Refused(message) => {
                    ApiError::new(StatusCode::FORBIDDEN, "AccessDenied", message)
                }
                other => ApiError::from(other),
            };
            error_response(Api::Sts, &error, id)
        }
    }
}

/// A federated request whose parameters were refused before the service saw it:
/// audited here (the service audits what it decides), then answered with the error.
async fn refused_before_service(
    state: &ApiState,
    action: &'static iam::Action,
    facts: &service::caller::RequestFacts,
    user_agent: &str,
    error: &ApiError,
    id: &str,
) -> Response {
    let entry = AuditEntry {
        at: state.service.clock().now(),
        actor: "anonymous".into(),
        action: action.catalogue,
        target: String::new(),
        source_ip: facts.ip_text(),
        outcome: Outcome::Failure,
        detail: format!("api; error {}; {user_agent}", error.code),
    };
    if let Err(e) = state.service.audit_later(entry).await {
        tracing::warn!("audit of a refused {} request: {e}", action.name);
    }
    error_response(Api::Sts, error, id)
}

/// The audit row the service did not write: reads, and failures other than the
/// engine's refusals (which the service records with the deciding layer).
async fn audit(
    state: &ApiState,
    caller: &Caller,
    action: &Action,
    params: &Params,
    result: &Result<Option<xml::Xml>, ApiError>,
    user_agent: &str,
) {
    let (outcome, code) = match result {
        Ok(_) if action.audited => return,
        Ok(_) => (Outcome::Success, None),
        Err(e) if e.audited => return,
        Err(e) if e.status == StatusCode::FORBIDDEN => (Outcome::Denied, Some(e.code)),
        Err(e) => (Outcome::Failure, Some(e.code)),
    };
    let mut detail = format!("api; {}", params.for_audit());
    if let Some(code) = code {
        detail.push_str(&format!("; error {code}"));
    }
    if !user_agent.is_empty() {
        detail.push_str(&format!("; {user_agent}"));
    }
    let entry = caller.audit(action.catalogue, "", outcome, detail);
    if let Err(e) = state.service.audit_later(entry).await {
        tracing::warn!("audit of an API call: {e}");
    }
}
