//! JSON Web Tokens as OpenID Connect providers sign them, checked against the keys
//! the provider publishes (its JWKS document). Only RSA PKCS #1 v1.5 (RS256, RS384,
//! RS512) is accepted: it is what GitHub Actions, Kubernetes, Google and most
//! providers sign ID tokens with, and a token naming any other algorithm (`none`,
//! `HS256` with a public key as secret) is refused outright rather than guessed at.
//! A key whose JWK names an algorithm verifies only tokens of that algorithm.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::sha2::{Sha256, Sha384, Sha512};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::Value;

/// AWS's limit on `WebIdentityToken`.
pub const MAX_TOKEN_CHARS: usize = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("The ID Token provided is not a valid JWT: {0}.")]
    Malformed(&'static str),
    #[error("The token is signed with {0}; only RS256, RS384 and RS512 tokens are accepted.")]
    Algorithm(String),
    #[error("The token's key id is not among the provider's published keys.")]
    UnknownKey,
    #[error("The token's signature does not match the provider's key.")]
    BadSignature,
}

/// A token read but not yet trusted: its claims say which provider to ask for keys.
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    /// `RS256`, `RS384` or `RS512`.
    algorithm: &'static str,
    signed: String,
    signature: Vec<u8>,
    key_id: Option<String>,
    pub claims: Claims,
}

/// The claims AWS reads from an ID token (and all of them, for condition keys).
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    pub issuer: String,
    pub subject: String,
    pub audiences: Vec<String>,
    /// Unix seconds.
    pub expires: i64,
    pub not_before: Option<i64>,
    pub all: serde_json::Map<String, Value>,
}

fn part(text: &str) -> Result<Vec<u8>, JwtError> {
    URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed("a part is not base64url"))
}

fn object(bytes: &[u8]) -> Result<serde_json::Map<String, Value>, JwtError> {
    match serde_json::from_slice(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JwtError::Malformed("a part is not a JSON object")),
    }
}

/// Reads a compact JWS (`header.payload.signature`).
pub fn read(token: &str) -> Result<UnverifiedToken, JwtError> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(JwtError::Malformed("it is longer than 20,000 characters"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed("it does not have three parts"));
    };
    let head = object(&part(header)?)?;
    let algorithm = match head.get("alg").and_then(Value::as_str) {
        Some("RS256") => "RS256",
        Some("RS384") => "RS384",
        Some("RS512") => "RS512",
        Some(other) => return Err(JwtError::Algorithm(other.to_string())),
        None => return Err(JwtError::Malformed("its header names no algorithm")),
    };
    let all = object(&part(payload)?)?;
    let text = |name: &str| all.get(name).and_then(Value::as_str).map(str::to_string);
    let number = |name: &str| all.get(name).and_then(Value::as_f64).map(|n| n as i64);
    let audiences = match all.get("aud") {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) => many
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    let claims = Claims {
        issuer: text("iss").ok_or(JwtError::Malformed("it has no iss claim"))?,
        subject: text("sub").ok_or(JwtError::Malformed("it has no sub claim"))?,
        audiences,
        expires: number("exp").ok_or(JwtError::Malformed("it has no exp claim"))?,
        not_before: number("nbf"),
        all,
    };
    let signed_len = header.len() + 1 + payload.len();
    Ok(UnverifiedToken {
        algorithm,
        signed: token.get(..signed_len).unwrap_or_default().to_string(),
        signature: part(signature)?,
        key_id: head.get("kid").and_then(Value::as_str).map(str::to_string),
        claims,
    })
}

/// An RSA key from a JWK (`kty` RSA, `n`, `e`), if it is one meant for signatures
/// with `algorithm`.
fn rsa_key(jwk: &Value, algorithm: &str) -> Option<RsaPublicKey> {
    if jwk.get("kty").and_then(Value::as_str) != Some("RSA") {
        return None;
    }
    if jwk
        .get("use")
        .and_then(Value::as_str)
        .is_some_and(|u| u != "sig")
    {
        return None;
    }
    if jwk
        .get("alg")
        .and_then(Value::as_str)
        .is_some_and(|a| a != algorithm)
    {
        return None;
    }
    let n = part(jwk.get("n")?.as_str()?).ok()?;
    let e = part(jwk.get("e")?.as_str()?).ok()?;
    RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).ok()
}

impl UnverifiedToken {
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// Checks the signature against the provider's JWKS document (`{"keys": […]}`):
    /// the key the token names, or, without a `kid`, any of its RSA keys.
    pub fn verify(&self, jwks: &Value) -> Result<(), JwtError> {
        let keys = jwks
            .get("keys")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let candidates: Vec<RsaPublicKey> = keys
            .iter()
            .filter(|k| match &self.key_id {
                Some(id) => k.get("kid").and_then(Value::as_str) == Some(id),
                None => true,
            })
            .filter_map(|k| rsa_key(k, self.algorithm))
            .collect();
        if candidates.is_empty() {
            return Err(JwtError::UnknownKey);
        }
        let signature =
            Signature::try_from(self.signature.as_slice()).map_err(|_| JwtError::BadSignature)?;
        let signed = self.signed.as_bytes();
        let good = candidates.into_iter().any(|key| match self.algorithm {
            "RS384" => VerifyingKey::<Sha384>::new(key)
                .verify(signed, &signature)
                .is_ok(),
            "RS512" => VerifyingKey::<Sha512>::new(key)
                .verify(signed, &signature)
                .is_ok(),
            _ => VerifyingKey::<Sha256>::new(key)
                .verify(signed, &signature)
                .is_ok(),
        });
        if good {
            Ok(())
        } else {
            Err(JwtError::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(v.to_string())
    }

    #[test]
    fn malformed_and_unsafe_tokens_are_refused_before_any_key_is_fetched() {
        assert!(matches!(read("abc"), Err(JwtError::Malformed(_))));
        assert!(matches!(read("a.b.c.d"), Err(JwtError::Malformed(_))));
        let payload = b64(&serde_json::json!({"iss":"https://x","sub":"s","aud":"a","exp":1}));
        for alg in ["none", "HS256", "ES256", "rs256"] {
            let token = format!("{}.{payload}.", b64(&serde_json::json!({ "alg": alg })));
            assert_eq!(read(&token).unwrap_err(), JwtError::Algorithm(alg.into()));
        }
        let no_exp = b64(&serde_json::json!({"iss":"https://x","sub":"s"}));
        let token = format!("{}.{no_exp}.AA", b64(&serde_json::json!({"alg":"RS256"})));
        assert!(matches!(read(&token), Err(JwtError::Malformed(_))));
        let long = "a".repeat(MAX_TOKEN_CHARS + 1);
        assert!(matches!(read(&long), Err(JwtError::Malformed(_))));
    }

    #[test]
    fn audiences_are_a_string_or_a_list() {
        let head = b64(&serde_json::json!({"alg":"RS256","kid":"k1"}));
        let payload =
            b64(&serde_json::json!({"iss":"https://x","sub":"s","aud":["a","b"],"exp":5}));
        let token = read(&format!("{head}.{payload}.AA")).unwrap();
        assert_eq!(token.claims.audiences, ["a", "b"]);
        assert_eq!(token.key_id(), Some("k1"));
        assert_eq!(
            token.verify(&serde_json::json!({"keys": []})),
            Err(JwtError::UnknownKey)
        );
    }

    #[test]
    fn rs384_and_rs512_verify_with_the_right_key_and_only_as_named() {
        use rsa::pkcs1v15::SigningKey;
        use rsa::pkcs8::DecodePrivateKey;
        use rsa::signature::{SignatureEncoding, Signer};
        use rsa::traits::PublicKeyParts;
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(include_str!(
            "../../server/tests/server/keys/issuer.pem"
        ))
        .unwrap();
        let public = key.to_public_key();
        let jwk = |alg: Option<&str>| {
            let mut jwk = serde_json::json!({
                "kty": "RSA", "kid": "k1",
                "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            });
            if let Some(alg) = alg {
                jwk["alg"] = Value::String(alg.into());
            }
            serde_json::json!({ "keys": [jwk] })
        };
        let payload = b64(&serde_json::json!({"iss":"https://x","sub":"s","aud":"a","exp":5}));
        let token = |alg: &str, sign: &dyn Fn(&[u8]) -> Vec<u8>| {
            let signed = format!(
                "{}.{payload}",
                b64(&serde_json::json!({"alg": alg, "kid": "k1"}))
            );
            let signature = URL_SAFE_NO_PAD.encode(sign(signed.as_bytes()));
            read(&format!("{signed}.{signature}")).unwrap()
        };
        let sha384 = |m: &[u8]| SigningKey::<Sha384>::new(key.clone()).sign(m).to_vec();
        let sha512 = |m: &[u8]| SigningKey::<Sha512>::new(key.clone()).sign(m).to_vec();
        let sha256 = |m: &[u8]| SigningKey::<Sha256>::new(key.clone()).sign(m).to_vec();
        assert_eq!(token("RS384", &sha384).verify(&jwk(None)), Ok(()));
        assert_eq!(token("RS512", &sha512).verify(&jwk(Some("RS512"))), Ok(()));
        assert_eq!(token("RS256", &sha256).verify(&jwk(Some("RS256"))), Ok(()));
        // A header naming one hash over a signature made with another fails; a key
        // published for RS256 does not verify an RS512 token.
        assert_eq!(
            token("RS512", &sha256).verify(&jwk(None)),
            Err(JwtError::BadSignature)
        );
        assert_eq!(
            token("RS512", &sha512).verify(&jwk(Some("RS256"))),
            Err(JwtError::UnknownKey)
        );
    }
}
