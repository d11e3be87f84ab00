//! AWS Signature Version 4, as a server checks it.
//!
//! [`read`] finds the signature a request claims (in its `Authorization` header or,
//! presigned, in its query string) and rebuilds the string the client must have
//! signed; [`Claim::verify`] recomputes the signature with the secret of the claimed
//! access key and compares in constant time. Clock skew, expiry and whether the key
//! exists are the caller's business: this module has no clock and no store.
//!
//! The canonical request follows AWS's rules exactly: the path is decoded,
//! normalised (`.`/`..` segments, repeated slashes) and re-encoded; query parameters
//! are decoded, re-encoded and sorted; only the headers named in `SignedHeaders` are
//! signed, lower-cased, with values trimmed, inner runs of spaces collapsed, folded
//! lines and repeated headers joined by commas.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The parts of an HTTP request a signature covers, as they came over the wire.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The path, still percent-encoded.
    pub path: &'a str,
    /// The query string without `?`, still percent-encoded.
    pub query: &'a str,
    /// Headers in arrival order; names in any case.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// Why a request carries no usable signature. The messages are AWS's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Authorization` header and no presigned query: AWS's
    /// `MissingAuthenticationToken`.
    #[error("Request is missing Authentication Token")]
    Missing,
    /// A signature is there but parts of it are missing or malformed: AWS's
    /// `IncompleteSignature`.
    #[error("{0}")]
    Incomplete(String),
}

/// A signature as a request claims it, with the string it must sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub access_key_id: String,
    /// The scope's date, `YYYYMMDD`.
    pub scope_date: String,
    pub region: String,
    pub service: String,
    /// `X-Amz-Date` as sent (`YYYYMMDDTHHMMSSZ`).
    pub amz_date: String,
    /// `X-Amz-Date` as Unix seconds.
    pub timestamp: i64,
    /// `X-Amz-Expires` of a presigned request, in seconds.
    pub expires: Option<i64>,
    /// `X-Amz-Security-Token`, for temporary credentials.
    pub security_token: Option<String>,
    pub signed_headers: Vec<String>,
    /// The claimed signature, lower-case hex.
    pub signature: String,
    pub canonical_request: String,
    pub string_to_sign: String,
}

impl Claim {
    /// Whether `secret` signs this request as claimed (constant-time comparison).
    pub fn verify(&self, secret: &str) -> bool {
        let key = signing_key(secret, &self.scope_date, &self.region, &self.service);
        let computed = hex(&hmac(&key, self.string_to_sign.as_bytes()));
        computed.as_bytes().ct_eq(self.signature.as_bytes()).into()
    }

    /// `ACCESSKEY/DATE/REGION/SERVICE/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.scope_date, self.region, self.service
        )
    }
}

/// Reads the signature a request claims, from its `Authorization` header or its
/// presigned query string.
pub fn read(request: &HttpRequest<'_>) -> Result<Claim, SignatureError> {
    let authorization = header_values(request.headers, "authorization");
    let query = parse_query(request.query);
    let presigned = query.iter().any(|(k, _)| k == "X-Amz-Algorithm");
    if let Some(value) = authorization.first() {
        if presigned {
            return Err(SignatureError::Incomplete(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified".into(),
            ));
        }
        read_header(request, value, &query)
    } else if presigned {
        read_presigned(request, &query)
    } else {
        Err(SignatureError::Missing)
    }
}

fn incomplete(message: impl Into<String>) -> SignatureError {
    SignatureError::Incomplete(message.into())
}

fn read_header(
    request: &HttpRequest<'_>,
    authorization: &str,
    query: &[(String, String)],
) -> Result<Claim, SignatureError> {
    let rest = authorization.trim();
    let Some(fields) = rest.strip_prefix(ALGORITHM) else {
        let algorithm = rest.split_whitespace().next().unwrap_or_default();
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    };
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in fields.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((key, value)) = part.split_once('=') else {
            return Err(incomplete(format!(
                "Authorization header requires each component to be of the form key=value: '{part}'"
            )));
        };
        match key.trim() {
            "Credential" => credential = Some(value.trim().to_string()),
            "SignedHeaders" => signed_headers = Some(value.trim().to_string()),
            "Signature" => signature = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    if credential.is_none() {
        missing.push("Authorization header requires 'Credential' parameter.");
    }
    if signature.is_none() {
        missing.push("Authorization header requires 'Signature' parameter.");
    }
    if signed_headers.is_none() {
        missing.push("Authorization header requires 'SignedHeaders' parameter.");
    }
    let amz_date = header_values(request.headers, "x-amz-date")
        .first()
        .map(|v| v.trim().to_string());
    if amz_date.is_none() {
        missing.push(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        );
    }
    let (Some(credential), Some(signed_headers), Some(signature), Some(amz_date), true) = (
        credential,
        signed_headers,
        signature,
        amz_date,
        missing.is_empty(),
    ) else {
        return Err(incomplete(format!(
            "{} Authorization={authorization}",
            missing.join(" ")
        )));
    };
    let security_token = header_values(request.headers, "x-amz-security-token")
        .first()
        .map(|v| v.trim().to_string());
    let payload = payload_hash(request);
    finish(
        request,
        query.to_vec(),
        Parts {
            credential,
            signed_headers,
            signature,
            amz_date,
            expires: None,
            security_token,
            payload,
        },
    )
}

fn read_presigned(
    request: &HttpRequest<'_>,
    query: &[(String, String)],
) -> Result<Claim, SignatureError> {
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let algorithm = get("X-Amz-Algorithm").unwrap_or_default();
    if algorithm != ALGORITHM {
        return Err(incomplete(format!(
            "Unsupported AWS 'algorithm': '{algorithm}'"
        )));
    }
    let mut missing = Vec::new();
    for name in [
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
    ] {
        if get(name).is_none() {
            missing.push(format!(
                "AWS query-string parameters must include '{name}'."
            ));
        }
    }
    if !missing.is_empty() {
        return Err(incomplete(format!(
            "{} Re-examine the query-string parameters.",
            missing.join(" ")
        )));
    }
    let expires = match get("X-Amz-Expires") {
        None => None,
        Some(text) => Some(
            text.parse::<i64>()
                .ok()
                .filter(|s| (0..=604_800).contains(s))
                .ok_or_else(|| {
                    incomplete(format!(
                        "X-Amz-Expires must be a number of seconds between 0 and 604800, not '{text}'."
                    ))
                })?,
        ),
    };
    // Everything but the signature itself is signed.
    let signed_query = query
        .iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .cloned()
        .collect();
    finish(
        request,
        signed_query,
        Parts {
            credential: get("X-Amz-Credential").unwrap_or_default(),
            signed_headers: get("X-Amz-SignedHeaders").unwrap_or_default(),
            signature: get("X-Amz-Signature").unwrap_or_default(),
            amz_date: get("X-Amz-Date").unwrap_or_default(),
            expires,
            security_token: get("X-Amz-Security-Token"),
            payload: payload_hash(request),
        },
    )
}

struct Parts {
    credential: String,
    signed_headers: String,
    signature: String,
    amz_date: String,
    expires: Option<i64>,
    security_token: Option<String>,
    payload: String,
}

fn finish(
    request: &HttpRequest<'_>,
    query: Vec<(String, String)>,
    parts: Parts,
) -> Result<Claim, SignatureError> {
    let pieces: Vec<&str> = parts.credential.split('/').collect();
    let [access_key_id, scope_date, region, service, terminator] = pieces.as_slice() else {
        return Err(incomplete(format!(
            "Credential should be scoped to a valid region, not '{}'. Credential should be of the form ACCESSKEY/YYYYMMDD/REGION/SERVICE/aws4_request.",
            parts.credential
        )));
    };
    if *terminator != "aws4_request" {
        return Err(incomplete(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'."
        )));
    }
    let timestamp = parse_amz_date(&parts.amz_date).ok_or_else(|| {
        incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{}'. See http://en.wikipedia.org/wiki/ISO_8601",
            parts.amz_date
        ))
    })?;
    let day = parts.amz_date.get(..8).unwrap_or_default();
    if *scope_date != day {
        return Err(incomplete(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{scope_date}' != '{day}', from '{}'.",
            parts.amz_date
        )));
    }
    let signed_headers: Vec<String> = parts
        .signed_headers
        .split(';')
        .map(str::to_string)
        .collect();
    if !signed_headers.iter().any(|h| h == "host") {
        return Err(incomplete(
            "'Host' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    if signed_headers
        .iter()
        .any(|h| h.is_empty() || h.bytes().any(|b| b.is_ascii_uppercase()))
        || signed_headers
            .windows(2)
            .any(|w| matches!(w, [a, b] if a >= b))
    {
        return Err(incomplete(format!(
            "SignedHeaders must be lower-case header names, sorted and separated by ';': '{}'.",
            parts.signed_headers
        )));
    }
    if parts.signature.len() != 64
        || !parts
            .signature
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(incomplete(
            "The signature must be 64 lower-case hexadecimal characters.",
        ));
    }
    let canonical_request = canonical_request(request, &query, &signed_headers, &parts.payload);
    let scope = format!("{scope_date}/{region}/{service}/aws4_request");
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{scope}\n{}",
        parts.amz_date,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    Ok(Claim {
        access_key_id: access_key_id.to_string(),
        scope_date: scope_date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        amz_date: parts.amz_date,
        timestamp,
        expires: parts.expires,
        security_token: parts.security_token,
        signed_headers,
        signature: parts.signature,
        canonical_request,
        string_to_sign,
    })
}

/// `x-amz-content-sha256` when the client sent one, else the body's hash.
fn payload_hash(request: &HttpRequest<'_>) -> String {
    match header_values(request.headers, "x-amz-content-sha256").first() {
        Some(value) => value.trim().to_string(),
        None => hex(&Sha256::digest(request.body)),
    }
}

/// The canonical request of AWS's rules.
pub fn canonical_request(
    request: &HttpRequest<'_>,
    query: &[(String, String)],
    signed_headers: &[String],
    payload_hash: &str,
) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (percent_encode(k.as_bytes()), percent_encode(v.as_bytes())))
        .collect();
    pairs.sort();
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = header_values(request.headers, name)
            .iter()
            .map(|v| canonical_header_value(v))
            .collect();
        headers.push_str(name);
        headers.push(':');
        headers.push_str(&values.join(","));
        headers.push('\n');
    }
    format!(
        "{}\n{}\n{query}\n{headers}\n{}\n{payload_hash}",
        request.method,
        canonical_path(request.path),
        signed_headers.join(";")
    )
}

/// Decoded, normalised and re-encoded, as AWS does for every service but S3.
fn canonical_path(path: &str) -> String {
    let decoded = percent_decode(path);
    let mut segments: Vec<&[u8]> = Vec::new();
    for segment in decoded.split(|b| *b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::from("/");
    out.push_str(
        &segments
            .iter()
            .map(|s| percent_encode(s))
            .collect::<Vec<_>>()
            .join("/"),
    );
    if !segments.is_empty() && (decoded.ends_with(b"/") || decoded.ends_with(b"/.")) {
        out.push('/');
    }
    out
}

/// Trimmed, folded lines joined by commas, inner runs of spaces made one.
fn canonical_header_value(value: &str) -> String {
    value
        .split('\n')
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(",")
}

fn header_values<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Query parameters decoded (`%XX` only: a `+` stays a plus, as AWS reads it).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (
                String::from_utf8_lossy(&percent_decode(k)).into_owned(),
                String::from_utf8_lossy(&percent_decode(v)).into_owned(),
            )
        })
        .collect()
}

/// `%XX` sequences decoded (a malformed one is kept as it is).
pub fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hi = bytes.get(i + 1).and_then(|c| (*c as char).to_digit(16));
            let lo = bytes.get(i + 2).and_then(|c| (*c as char).to_digit(16));
            if let (Some(hi), Some(lo)) = (hi, lo) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// RFC 3986 encoding: unreserved characters kept, everything else `%XX` upper-case.
pub fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `YYYYMMDDTHHMMSSZ` as Unix seconds.
pub fn parse_amz_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 16 || b.get(8) != Some(&b'T') || b.get(15) != Some(&b'Z') {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = text.get(range)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let month = time::Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(
        i32::try_from(num(0..4)?).ok()?,
        month,
        u8::try_from(num(6..8)?).ok()?,
    )
    .ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(num(9..11)?).ok()?,
        u8::try_from(num(11..13)?).ok()?,
        u8::try_from(num(13..15)?).ok()?,
    )
    .ok()?;
    Some(
        time::PrimitiveDateTime::new(date, clock)
            .assume_utc()
            .unix_timestamp(),
    )
}

/// Formats Unix seconds as `YYYYMMDDTHHMMSSZ` (for AWS's skew messages).
pub fn format_amz_date(seconds: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The key derived from a secret for one day, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC takes keys of any length: this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return [0; 32],
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs a request (for tests and for the benchmark's load client): the headers to
/// add, `X-Amz-Date` and `Authorization`. Signs `host`, `x-amz-date` and every header
/// already given.
pub fn sign(
    request: &HttpRequest<'_>,
    access_key_id: &str,
    secret: &str,
    region: &str,
    service: &str,
    amz_date: &str,
) -> String {
    let mut names: Vec<String> = request
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| n != "authorization")
        .collect();
    names.sort();
    names.dedup();
    let query = parse_query(request.query);
    let payload = payload_hash(request);
    let canonical = canonical_request(request, &query, &names, &payload);
    let day = amz_date.get(..8).unwrap_or_default();
    let scope = format!("{day}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let signature = hex(&hmac(
        &signing_key(secret, day, region, service),
        to_sign.as_bytes(),
    ));
    format!(
        "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={signature}",
        names.join(";")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for text in ["20150830T123600Z", "20000229T000000Z", "19700101T000000Z"] {
            let seconds = parse_amz_date(text).unwrap();
            assert_eq!(format_amz_date(seconds), text);
        }
        assert_eq!(parse_amz_date("20150830T123600Z"), Some(1_440_938_160));
        for bad in [
            "20151330T123600Z",
            "2015083T123600Z",
            "20150830 123600Z",
            "2015083aT123600Z",
        ] {
            assert_eq!(parse_amz_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn paths_normalise() {
        assert_eq!(canonical_path("/"), "/");
        assert_eq!(canonical_path(""), "/");
        assert_eq!(canonical_path("//example//"), "/example/");
        assert_eq!(canonical_path("/example/.."), "/");
        assert_eq!(canonical_path("/./example"), "/example");
        assert_eq!(canonical_path("/example%20space/"), "/example%20space/");
    }
}
