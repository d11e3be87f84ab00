//! Encoded authorization messages, as AWS's services return them with a refusal
//! ("Encoded authorization failure message: …"): the decision's details (whether an
//! explicit Deny decided, the statements that matched, the request's context keys)
//! sealed with the server's key. The refused user passes the message on; only a
//! caller allowed `sts:DecodeAuthorizationMessage` reads it, and nobody can forge
//! one (the seal is authenticated).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use identity::secret_box::Sealed;
use policy::{Decision, Effect, Explanation, Request};
use serde_json::{json, Value};

use crate::{Caller, Service, ServiceError};

/// Marks a message of ours (and its format's version).
const PREFIX: &str = "pcam1.";
/// AWS's bound on `EncodedMessage`.
pub const MAX_ENCODED_CHARS: usize = 10_240;
/// The context is cut to keep the sealed message under that bound.
const MAX_CONTEXT_BYTES: usize = 5_000;

fn items(values: impl IntoIterator<Item = Value>) -> Value {
    json!({ "items": values.into_iter().collect::<Vec<_>>() })
}

/// The decoded message, in the shape AWS's `DecodedMessage` has.
fn details(caller: &Caller, request: &Request, explanation: &Explanation) -> Value {
    let matched = explanation.matched.iter().map(|m| {
        json!({
            "statementId": m.sid.clone().unwrap_or_else(|| format!("#{}", m.statement)),
            "effect": if m.effect == Effect::Allow { "ALLOW" } else { "DENY" },
            "policy": m.policy,
            "layer": format!("{:?}", m.layer),
        })
    });
    let mut conditions = Vec::new();
    let mut size = 0;
    for (key, value) in request.context.iter() {
        let values: Vec<Value> = value
            .values()
            .iter()
            .take(5)
            .map(|v| json!({ "value": v.chars().take(128).collect::<String>() }))
            .collect();
        let item = json!({ "key": key, "values": items(values) });
        size += item.to_string().len();
        if size > MAX_CONTEXT_BYTES {
            break;
        }
        conditions.push(item);
    }
    json!({
        "allowed": explanation.decision == Decision::Allow,
        "explicitDeny": explanation.decision == Decision::ExplicitDeny,
        "matchedStatements": items(matched),
        "failures": items([]),
        "context": {
            "principal": {
                "id": caller.user.id,
                "arn": caller.arn(),
            },
            "action": request.action,
            "resource": request.resource.arn,
            "conditions": items(conditions),
        },
    })
}

fn invalid() -> ServiceError {
    ServiceError::invalid(
        "encoded_message",
        "The encoded authorization message is not valid: it was changed, cut short, or not issued by this account's servers.",
    )
}

impl Service {
    /// The encoded message of a refusal, or `None` when it cannot be sealed (the
    /// refusal is then given without one).
    pub(crate) fn encode_refusal(
        &self,
        caller: &Caller,
        request: &Request,
        explanation: &Explanation,
    ) -> Option<String> {
        let text = details(caller, request, explanation).to_string();
        let sealed = self.secrets.seal(text.as_bytes()).ok()?;
        Some(format!(
            "{PREFIX}{}.{}.{}",
            URL_SAFE_NO_PAD.encode(sealed.key_id.as_bytes()),
            URL_SAFE_NO_PAD.encode(&sealed.nonce),
            URL_SAFE_NO_PAD.encode(&sealed.ciphertext)
        ))
    }

    /// `sts:DecodeAuthorizationMessage`: the details of a refusal, for a caller the
    /// policies allow to read them.
    pub async fn decode_authorization_message(
        &self,
        caller: &Caller,
        encoded: &str,
    ) -> Result<String, ServiceError> {
        self.authorize(caller, "sts:DecodeAuthorizationMessage", "*")
            .await?;
        let mut parts = encoded
            .trim()
            .strip_prefix(PREFIX)
            .ok_or_else(invalid)?
            .split('.');
        let (Some(key_id), Some(nonce), Some(ciphertext), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| invalid());
        let sealed = Sealed {
            key_id: String::from_utf8(decode(key_id)?).map_err(|_| invalid())?,
            nonce: decode(nonce)?,
            ciphertext: decode(ciphertext)?,
        };
        let text = self.secrets.open(&sealed).map_err(|_| invalid())?;
        String::from_utf8(text).map_err(|_| invalid())
    }
}
