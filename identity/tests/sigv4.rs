//! AWS's Signature Version 4 test suite (in `sigv4-suite/`, Apache-2.0, AWS's NOTICE
//! beside it): for every signed request, the canonical request and string to sign we
//! rebuild must be AWS's, AWS's signature must verify with the example secret, and
//! any change to a signed part must make it fail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

use identity::sigv4::{self, HttpRequest};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct Parsed {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Parsed {
    fn request(&self) -> HttpRequest<'_> {
        HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// A `.req`/`.sreq` file: request line, headers (a line starting with a space
/// continues the previous one), an empty line, the body.
fn parse(text: &str) -> Parsed {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let first = lines.next().unwrap();
    let method = first.split(' ').next().unwrap().to_string();
    let target = first
        .strip_prefix(&format!("{method} "))
        .unwrap()
        .strip_suffix(" HTTP/1.1")
        .unwrap();
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with(' ') || line.starts_with('\t') {
            let last = headers.last_mut().unwrap();
            last.1.push('\n');
            last.1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.to_string(), value.to_string()));
        }
    }
    Parsed {
        method,
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            let name = path.file_name().unwrap().to_str().unwrap().to_string();
            if path.join(format!("{name}.sreq")).exists() {
                out.push(path.clone());
            }
            cases(&path, out);
        }
    }
}

/// Cases whose files disagree with each other in AWS's published suite (the signed
/// request lacks the `Content-Type` its canonical request lists), so no verifier can
/// pass them as written.
const INCONSISTENT: &[&str] = &[
    "post-x-www-form-urlencoded",
    "post-x-www-form-urlencoded-parameters",
];

#[test]
fn aws_suite_verifies() {
    // Where `cargo test` runs us from, not where this binary was first built.
    let manifest =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let root = Path::new(&manifest).join("tests/sigv4-suite");
    let mut found = Vec::new();
    cases(&root, &mut found);
    assert!(found.len() >= 28, "suite not found: {}", found.len());
    let mut checked = 0;
    for dir in found {
        let name = dir.file_name().unwrap().to_str().unwrap().to_string();
        if INCONSISTENT.contains(&name.as_str()) {
            continue;
        }
        let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{name}.{ext}"))).unwrap();
        let signed = parse(&read("sreq"));
        let claim = sigv4::read(&signed.request()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            claim.canonical_request,
            read("creq"),
            "{name}: canonical request"
        );
        assert_eq!(claim.string_to_sign, read("sts"), "{name}: string to sign");
        assert!(claim.verify(SECRET), "{name}: AWS's signature must verify");
        assert!(
            !claim.verify("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ"),
            "{name}: other secret"
        );
        assert_eq!(claim.access_key_id, "AKIDEXAMPLE");
        assert_eq!(
            (claim.region.as_str(), claim.service.as_str()),
            ("us-east-1", "service")
        );

        // Change what was signed: the signature no longer fits.
        let mut tampered = parse(&read("sreq"));
        for (header, value) in tampered.headers.iter_mut() {
            if header.eq_ignore_ascii_case("x-amz-date") {
                *value = "20150830T123601Z".into();
            }
        }
        let claim = sigv4::read(&tampered.request()).unwrap();
        assert!(
            !claim.verify(SECRET),
            "{name}: a changed date must not verify"
        );
        let mut tampered = parse(&read("sreq"));
        tampered.body.extend_from_slice(b"&Extra=1");
        tampered.query.push_str(if tampered.query.is_empty() {
            "Extra=1"
        } else {
            "&Extra=1"
        });
        let claim = sigv4::read(&tampered.request()).unwrap();
        assert!(
            !claim.verify(SECRET),
            "{name}: an added parameter must not verify"
        );
        checked += 1;
    }
    assert!(checked >= 26, "only {checked} cases checked");
}

#[test]
fn presigned_and_signing_agree() {
    // Sign a request with our signer, then read it back both ways.
    let headers = vec![
        ("Host".to_string(), "127.0.0.1:3000".to_string()),
        (
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        ),
        ("X-Amz-Date".to_string(), "20261203T120000Z".to_string()),
    ];
    let body = b"Action=ListUsers&Version=2010-05-08".to_vec();
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: &body,
    };
    let authorization = sigv4::sign(
        &request,
        "AKIAEXAMPLE",
        SECRET,
        "us-east-1",
        "iam",
        "20261203T120000Z",
    );
    let mut signed = headers.clone();
    signed.push(("Authorization".into(), authorization));
    let claim = sigv4::read(&HttpRequest {
        headers: &signed,
        ..request
    })
    .unwrap();
    assert!(claim.verify(SECRET));
    assert_eq!(claim.service, "iam");
    assert_eq!(
        claim.timestamp,
        sigv4::parse_amz_date("20261203T120000Z").unwrap()
    );

    // Nothing to read: MissingAuthenticationToken; half a header: IncompleteSignature.
    assert_eq!(
        sigv4::read(&request).unwrap_err(),
        sigv4::SignatureError::Missing
    );
    let mut half = headers.clone();
    half.push((
        "Authorization".into(),
        "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261203/us-east-1/iam/aws4_request".into(),
    ));
    let error = sigv4::read(&HttpRequest {
        headers: &half,
        ..request
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("requires 'Signature' parameter"), "{error}");
    assert!(
        error.contains("requires 'SignedHeaders' parameter"),
        "{error}"
    );
    let mut other_day = headers.clone();
    other_day.push(("Authorization".into(), format!("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261202/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature={}", "0".repeat(64))));
    let error = sigv4::read(&HttpRequest {
        headers: &other_day,
        ..request
    })
    .unwrap_err()
    .to_string();
    assert!(
        error.starts_with("Date in Credential scope does not match"),
        "{error}"
    );
    let mut no_host = headers.clone();
    no_host.push(("Authorization".into(), format!("AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261203/us-east-1/iam/aws4_request, SignedHeaders=x-amz-date, Signature={}", "0".repeat(64))));
    let error = sigv4::read(&HttpRequest {
        headers: &no_host,
        ..request
    })
    .unwrap_err()
    .to_string();
    assert!(error.contains("'Host' must be a 'SignedHeader'"), "{error}");

    // A presigned GET: the query carries everything, the signature covers the rest.
    let host = vec![("Host".to_string(), "127.0.0.1:3000".to_string())];
    let unsigned = "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261203%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261203T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host";
    let get = HttpRequest {
        method: "GET",
        path: "/",
        query: unsigned,
        headers: &host,
        body: b"",
    };
    let query = sigv4::parse_query(unsigned);
    let canonical = sigv4::canonical_request(
        &get,
        &query,
        &["host".to_string()],
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    let key = sigv4::signing_key(SECRET, "20261203", "us-east-1", "sts");
    use hmac::Mac;
    use sha2::Digest;
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n20261203T120000Z\n20261203/us-east-1/sts/aws4_request\n{}",
        hex(&sha2::Sha256::digest(canonical.as_bytes()))
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(to_sign.as_bytes());
    let signature = hex(&mac.finalize().into_bytes());
    let full = format!("{unsigned}&X-Amz-Signature={signature}");
    let claim = sigv4::read(&HttpRequest {
        query: &full,
        ..get
    })
    .unwrap();
    assert_eq!(claim.expires, Some(60));
    assert!(claim.verify(SECRET));
    let moved = full.replace("X-Amz-Expires=60", "X-Amz-Expires=600");
    assert!(!sigv4::read(&HttpRequest {
        query: &moved,
        ..get
    })
    .unwrap()
    .verify(SECRET));
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
