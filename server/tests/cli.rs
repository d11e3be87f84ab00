//! The `portcullis policy` command line, run as a CI pipeline would run it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn portcullis(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// A file in this test's own folder under target/ (cleaned with the target).
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("portcullis-cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn lint_exits_non_zero_on_errors_and_prints_positions() {
    let good = temp_file(
        "good.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    let bad = temp_file(
        "bad.json",
        "{\"Version\":\"2012-10-17\",\n\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"GetObject\",\"Resource\":\"*\"}]}",
    );
    let ok = portcullis(&["policy", "lint", good.to_str().unwrap()], None);
    assert!(ok.status.success(), "{ok:?}");
    assert!(ok.stdout.is_empty());

    let out = portcullis(
        &[
            "policy",
            "lint",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("bad.json:2:41: error[MALFORMED_POLICY]: Actions/Conditions must be prefaced by a vendor"), "{text}");
    assert!(text.contains("/Statement/0/Action"), "{text}");
}

#[test]
fn lint_warnings_fail_only_when_asked() {
    let risky = temp_file(
        "risky.json",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}"#,
    );
    let path = risky.to_str().unwrap();
    let relaxed = portcullis(&["policy", "lint", path], None);
    assert!(relaxed.status.success());
    assert!(String::from_utf8_lossy(&relaxed.stdout)
        .contains("security-warning[PASS_ROLE_WITH_STAR_IN_RESOURCE]"));
    let strict = portcullis(
        &[
            "policy",
            "lint",
            "--fail-on",
            "security-warning",
            "--json",
            path,
        ],
        None,
    );
    assert_eq!(strict.status.code(), Some(1));
    let line: serde_json::Value =
        serde_json::from_slice(strict.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["code"], "PASS_ROLE_WITH_STAR_IN_RESOURCE");
    assert_eq!(line["line"], 1);
}

const CASE_ALLOW: &str = r#"{"identity_policies":[{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}]}],"resource_policy":null,"permission_boundary":null,"session_policy":null,"request":{"principal":{"type":"user","arn":"arn:aws:iam::123456789012:user/alice","account":"123456789012","tags":{"team":"blue"}},"action":"s3:GetObject","resource":{"arn":"arn:aws:s3:::b/k","account":"123456789012"},"context":{"aws:SourceIp":"203.0.113.7","aws:TagKeys":["a","b"]}}}"#;

#[test]
fn simulate_one_case_file() {
    let case = temp_file("case.json", CASE_ALLOW);
    let out = portcullis(
        &["policy", "simulate", "--input", case.to_str().unwrap()],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["decision"], "Allow");
    assert_eq!(answer["blocked_by"], serde_json::json!([]));
    assert_eq!(answer["matched"][0]["sid"], "Read");
    assert_eq!(answer["matched"][0]["layer"], "identity");
}

#[test]
fn simulate_a_stream_answers_line_by_line() {
    let deny = CASE_ALLOW.replace("203.0.113.7", "198.51.100.1");
    let boundary = CASE_ALLOW.replace(
        r#""permission_boundary":null"#,
        r#""permission_boundary":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
    );
    let explicit = CASE_ALLOW.replace(
        r#""resource_policy":null"#,
        r#""resource_policy":{"Version":"2012-10-17","Statement":[{"Sid":"Lock","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    let input = format!("{CASE_ALLOW}\n{deny}\n{boundary}\n{explicit}\n");
    let out = portcullis(&["policy", "simulate", "--input", "-"], Some(&input));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["decision"], "Allow");
    assert_eq!(lines[1]["decision"], "ImplicitDeny");
    assert_eq!(lines[1]["blocked_by"], serde_json::json!(["identity"]));
    assert_eq!(lines[2]["decision"], "ImplicitDeny");
    assert_eq!(
        lines[2]["blocked_by"],
        serde_json::json!(["permissions_boundary"])
    );
    assert_eq!(lines[3]["decision"], "ExplicitDeny");
    assert_eq!(
        lines[3]["blocked_by"],
        serde_json::json!(["resource_policy"])
    );
    assert_eq!(lines[3]["matched"][1]["sid"], "Lock");
}

#[test]
fn simulate_reports_bad_cases_without_stopping() {
    let bad_policy = CASE_ALLOW.replace(
        r#""Action":"s3:GetObject","Resource""#,
        r#""Action":"GetObject","Resource""#,
    );
    let input = format!("not json\n{bad_policy}\n{CASE_ALLOW}\n");
    let out = portcullis(&["policy", "simulate", "--input", "-"], Some(&input));
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].contains("\"error\""));
    assert!(
        lines[1].contains("Actions/Conditions must be prefaced by a vendor"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("\"Allow\""));
}

#[test]
fn templates_list_and_print() {
    let list = portcullis(&["policy", "templates"], None);
    assert!(list.status.success());
    assert!(String::from_utf8_lossy(&list.stdout).contains("BillingReadOnly"));
    let one = portcullis(&["policy", "templates", "PowerUserAccess"], None);
    let doc: serde_json::Value = serde_json::from_slice(&one.stdout).unwrap();
    assert_eq!(doc["Statement"][0]["NotAction"][0], "iam:*");
    let missing = portcullis(&["policy", "templates", "Nope"], None);
    assert_eq!(missing.status.code(), Some(2));
}
