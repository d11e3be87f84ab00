//! Load on the AWS-compatible API: signed `sts:GetCallerIdentity` and `iam:GetUser`
//! requests, as boto3 sends them, from keep-alive connections, against one or more
//! servers side by side (Portcullis and moto_server in `scripts/bench-api`).
//!
//! ```text
//! cargo run --release -p portcullis --example apiload -- KEY SECRET SECONDS CONCURRENCY NAME=URL...
//! ```
//! Prints requests per second, p50 and p99 per server and workload, and each
//! server's throughput as a multiple of the last one named.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::time::{Duration, Instant};

use identity::sigv4::{self, HttpRequest};

struct Workload {
    name: &'static str,
    service: &'static str,
    body: &'static str,
}

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "GetCallerIdentity",
        service: "sts",
        body: "Action=GetCallerIdentity&Version=2011-06-15",
    },
    Workload {
        name: "GetUser",
        service: "iam",
        body: "Action=GetUser&Version=2010-05-08&UserName=bench",
    },
];

/// One signed POST, as botocore builds it.
fn signed(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    secret: &str,
    service: &str,
    body: &str,
) -> reqwest::RequestBuilder {
    let host = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let amz_date = sigv4::format_amz_date(now);
    let headers = vec![
        (
            "content-type".to_string(),
            "application/x-www-form-urlencoded; charset=utf-8".to_string(),
        ),
        ("host".to_string(), host),
        ("x-amz-date".to_string(), amz_date.clone()),
    ];
    let request = HttpRequest {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        body: body.as_bytes(),
    };
    let authorization = sigv4::sign(&request, key, secret, "us-east-1", service, &amz_date);
    client
        .post(url)
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .header("x-amz-date", amz_date)
        .header("authorization", authorization)
        .body(body.to_string())
}

struct Result {
    requests: usize,
    errors: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

async fn run(
    url: &str,
    key: &str,
    secret: &str,
    workload: &Workload,
    seconds: u64,
    concurrency: usize,
) -> Result {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .tcp_nodelay(true)
        .build()
        .unwrap();
    // Warm up: connections open, caches filled.
    for _ in 0..concurrency * 4 {
        let _ = signed(&client, url, key, secret, workload.service, workload.body)
            .send()
            .await;
    }
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, url, key, secret) = (
            client.clone(),
            url.to_string(),
            key.to_string(),
            secret.to_string(),
        );
        let (service, body) = (workload.service, workload.body);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let sent = Instant::now();
                let ok = match signed(&client, &url, &key, &secret, service, body)
                    .send()
                    .await
                {
                    Ok(response) => {
                        let good = response.status().is_success();
                        let _ = response.bytes().await;
                        good
                    }
                    Err(_) => false,
                };
                latencies.push(sent.elapsed());
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (mut l, e) = task.await.unwrap();
        latencies.append(&mut l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Result {
        requests: latencies.len(),
        errors,
        per_second: latencies.len() as f64 / elapsed,
        p50: at(0.50),
        p99: at(0.99),
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        eprintln!("usage: apiload KEY SECRET SECONDS CONCURRENCY NAME=URL...");
        std::process::exit(2);
    }
    let (key, secret) = (&args[1], &args[2]);
    let seconds: u64 = args[3].parse().unwrap();
    let concurrency: usize = args[4].parse().unwrap();
    let servers: Vec<(String, String)> = args[5..]
        .iter()
        .map(|a| {
            let (n, u) = a.split_once('=').expect("NAME=URL");
            (n.to_string(), u.to_string())
        })
        .collect();
    println!("{seconds} s per run, {concurrency} keep-alive connections, signed as botocore signs");
    for workload in WORKLOADS {
        let mut rates = Vec::new();
        for (name, url) in &servers {
            let r = run(url, key, secret, workload, seconds, concurrency).await;
            println!(
                "{:<18} {:<11} {:>8} requests {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}",
                workload.name,
                name,
                r.requests,
                r.per_second,
                r.p50.as_secs_f64() * 1000.0,
                r.p99.as_secs_f64() * 1000.0,
                r.errors
            );
            rates.push((name.clone(), r.per_second));
        }
        if let Some((last, base)) = rates.last().cloned() {
            for (name, rate) in &rates[..rates.len() - 1] {
                println!(
                    "{:<18} {name} / {last}: {:.1}x",
                    workload.name,
                    rate / base.max(f64::MIN_POSITIVE)
                );
            }
        }
    }
}
