//! Load measurements against a running server (loopback only), for the figures in the
//! issues: sign-in throughput as a ratio of raw argon2 verifies, peak server memory
//! under 200 concurrent sign-ins, and the users page with 10,000 users.
//!
//! ```text
//! portcullis serve   (with PORTCULLIS_SIGNIN_RATE=1000000 so the per-address limit stays out of the way)
//! cargo run --release -p portcullis --example load -- http://127.0.0.1:3000 ROOT_EMAIL ROOT_PASSWORD SERVER_PID
//! ```

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leptos::server_fn::ServerFn;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post(
    c: &reqwest::Client,
    base: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::StatusCode {
    c.post(format!("{base}{path}"))
        .header("Origin", base)
        .header("Accept", "application/json")
        .form(form)
        .send()
        .await
        .map(|r| r.status())
        .unwrap_or(reqwest::StatusCode::SERVICE_UNAVAILABLE)
}

/// Signs `c` in, or stops the run.
async fn sign_in(c: &reqwest::Client, base: &str, identity: &str, password: &str) {
    let status = post(
        c,
        base,
        app::api::auth::SignIn::PATH,
        &[("identity", identity), ("password", password)],
    )
    .await;
    assert!(
        status.is_success() || status.is_redirection(),
        "sign-in of {identity} failed: {status}"
    );
}

/// Creates a user with a console password (or none when `password` is empty).
async fn create_user(root: &reqwest::Client, base: &str, name: &str, password: &str) {
    let mode = if password.is_empty() {
        "none"
    } else {
        "custom"
    };
    post(
        root,
        base,
        app::api::users::CreateUser::PATH,
        &[
            ("name", name),
            ("password_mode", mode),
            ("password", password),
            ("tags", ""),
        ],
    )
    .await;
}

/// Times 200 page loads, sorted; each body must contain `expect`.
async fn page_times(c: &reqwest::Client, url: &str, expect: &str) -> Vec<Duration> {
    let mut times = Vec::new();
    for _ in 0..200 {
        let start = Instant::now();
        let body = c
            .get(url)
            .header("Accept", "text/html")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        times.push(start.elapsed());
        assert!(body.contains(expect), "{url} did not render");
    }
    times.sort();
    times
}

fn peak_rss_mib(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Raw argon2id verifies per second using every core, as the ceiling for sign-ins.
fn raw_verifies_per_second(seconds: u64) -> f64 {
    let hash = {
        use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
        argon2::Argon2::default()
            .hash_password(b"Load-Test-Password-1", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string()
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let threads: Vec<_> = (0..cores)
        .map(|_| {
            let (hash, done) = (hash.clone(), done.clone());
            std::thread::spawn(move || {
                while Instant::now() < deadline {
                    assert!(identity::hashing::verify_now("Load-Test-Password-1", &hash));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / seconds as f64
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, email, password, pid] = args.as_slice() else {
        eprintln!("usage: load BASE_URL ROOT_EMAIL ROOT_PASSWORD SERVER_PID");
        std::process::exit(2);
    };
    let base = base.trim_end_matches('/').to_string();
    let root = client();
    sign_in(&root, &base, email, password).await;

    // 1. Peak memory (first, on a fresh server) with 200 concurrent sign-in attempts (unknown names: no lockout).
    let before = peak_rss_mib(pid);
    let burst: Vec<_> = (0..200)
        .map(|i| {
            let base = base.clone();
            tokio::spawn(async move {
                let c = client();
                post(
                    &c,
                    &base,
                    app::api::auth::SignIn::PATH,
                    &[
                        ("identity", &format!("nobody-{i}")),
                        ("password", "Wrong-Password-1"),
                    ],
                )
                .await
            })
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for b in burst {
        *statuses.entry(b.await.unwrap().as_u16()).or_insert(0) += 1;
    }
    println!("200 concurrent sign-ins: statuses {statuses:?}; server peak RSS {before:.1} MiB before, {:.1} MiB after", peak_rss_mib(pid));

    // 2. Sign-in throughput vs raw argon2 verifies, side by side in one run.
    // The raw figure is measured before and after the sign-ins and averaged, so drift
    // in the machine's speed during the run does not bias the ratio.
    let seconds = 10;
    let raw_before = raw_verifies_per_second(seconds / 2);
    let user = "load-user";
    let user_password = "Load-Test-Password-1";
    create_user(&root, &base, user, user_password).await;
    let ok = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (base, ok) = (base.clone(), ok.clone());
            tokio::spawn(async move {
                // A kept-alive connection, as a browser has, but no cookie jar: every
                // attempt is a fresh sign-in that creates a new session.
                let c = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap();
                while Instant::now() < deadline {
                    let s = post(
                        &c,
                        &base,
                        app::api::auth::SignIn::PATH,
                        &[("identity", user), ("password", user_password)],
                    )
                    .await;
                    if s.is_success() || s.is_redirection() {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    let signins = ok.load(Ordering::Relaxed) as f64 / seconds as f64;
    let raw = (raw_before + raw_verifies_per_second(seconds / 2)) / 2.0;
    println!("raw argon2id verifies/s (all cores): {raw:.1}");
    println!("successful sign-ins/s (16 clients):  {signins:.1}");
    println!("ratio: {:.2}", signins / raw);

    // 3. The users page with 10,000 users.
    let existing = root
        .get(format!("{base}/users"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    if !existing.contains("10001 users") {
        let names: Vec<String> = (0..10_000).map(|i| format!("user-{i:05}")).collect();
        let chunks: Vec<Vec<String>> = names.chunks(625).map(|c| c.to_vec()).collect();
        let tasks: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                let (base, root) = (base.clone(), root.clone());
                tokio::spawn(async move {
                    for name in chunk {
                        create_user(&root, &base, &name, "").await;
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
    }
    for (label, path) in [
        ("first page", "/users"),
        (
            "page 200 sorted by creation, descending",
            "/users?sort=created&desc=1&page=200",
        ),
        ("search", "/users?search=user-07"),
    ] {
        let times = page_times(&root, &format!("{base}{path}"), "users").await;
        println!(
            "users page, {label}: p50 {:.1} ms, p90 {:.1} ms (200 requests, 10,001 users)",
            times[100].as_secs_f64() * 1000.0,
            times[180].as_secs_f64() * 1000.0
        );
    }

    // 4. Authorization overhead: the users page as a ReadOnlyAccess user (every check
    //    through the engine), against the measured cost of one check.
    let auditor = "load-auditor";
    create_user(&root, &base, auditor, user_password).await;
    post(
        &root,
        &base,
        app::api::permissions::AttachPolicy::PATH,
        &[
            ("holder", "user"),
            ("name", auditor),
            ("policy_arn", "arn:aws:iam::aws:policy/ReadOnlyAccess"),
            ("back", "/"),
        ],
    )
    .await;
    let reader = client();
    sign_in(&reader, &base, auditor, user_password).await;
    let page = page_times(&reader, &format!("{base}/users"), "10002 users").await;
    let page_p50 = page[100].as_secs_f64();
    // What the console does per check once the user's set is cached: the cache lookup,
    // the request with the console's own context, the engine's explanation. A users page
    // makes 9 checks (7 for the menu, 1 for the list, 1 for the create form's guard).
    let per_check = authorization_check_seconds();
    let overhead = 9.0 * per_check;
    println!(
        "users page as ReadOnlyAccess: p50 {:.2} ms; authorization {:.1} µs per check × 9 = {:.1} µs = {:.2}% of the request",
        page_p50 * 1000.0,
        per_check * 1e6,
        overhead * 1e6,
        overhead / page_p50 * 100.0
    );
}

/// Mean time of one console authorization check against a cached ReadOnlyAccess set.
fn authorization_check_seconds() -> f64 {
    use policy::{Evaluator, PolicyDocument, PolicyKind, PolicySet};
    let template = policy::templates::templates()
        .iter()
        .find(|t| t.name == "ReadOnlyAccess")
        .unwrap();
    let document = PolicyDocument::parse(&template.document, PolicyKind::Template).unwrap();
    let mut set = PolicySet::new();
    set.add(template.name, &document);
    let cache = std::sync::Mutex::new(std::collections::HashMap::from([(
        "AIDAEXAMPLEUSERID0001".to_string(),
        Arc::new(set),
    )]));
    let actions = [
        "iam:ListUsers",
        "iam:ListGroups",
        "iam:ListRoles",
        "iam:ListPolicies",
        "iam:SimulateCustomPolicy",
        "iam:GetAccountPasswordPolicy",
        "cloudtrail:LookupEvents",
        "iam:CreateUser",
    ];
    let rounds = 20_000;
    let start = Instant::now();
    let mut allowed = 0usize;
    for i in 0..rounds {
        let set = cache
            .lock()
            .unwrap()
            .get("AIDAEXAMPLEUSERID0001")
            .cloned()
            .unwrap();
        let context = service::authz::request_context(
            1_795_935_600,
            false,
            None,
            false,
            "127.0.0.1",
            "us-east-1",
        );
        let request = policy::Request::new(
            policy::Principal {
                kind: policy::PrincipalKind::User,
                arn: "arn:aws:iam::123456789012:user/load-auditor".into(),
                account: "123456789012".into(),
                id: Some("AIDAEXAMPLEUSERID0001".into()),
                tags: Default::default(),
                source_arn: None,
            },
            actions[i % actions.len()],
            policy::Resource {
                arn: "arn:aws:iam::123456789012:user/*".into(),
                account: None,
                tags: Default::default(),
            },
            context,
        )
        .unwrap();
        if Evaluator::new(&set).explain(&request).decision == policy::Decision::Allow {
            allowed += 1;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    assert!(
        allowed > 0 && allowed < rounds,
        "ReadOnly allows the lists, not CreateUser"
    );
    elapsed / rounds as f64
}
