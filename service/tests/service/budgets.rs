//! Budgets: alerts once per threshold and period, signed webhooks to a real local
//! HTTP receiver with a retry, and the budget state as a condition key.

use std::sync::{Arc, Mutex};

use model::Holder;
use service::costs::{ImportControl, ImportLimits, ImportSource, Importer};
use service::ServiceError;
use spend::FormatChoice;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::world;

/// The sample file, found through the directory `cargo test` runs us from (a test
/// binary reused from another checkout must not read that checkout's files).
fn sample() -> std::path::PathBuf {
    std::path::PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into()),
    )
    .join("../spend/tests/data/focus_sample.csv")
}
const SECRET: &str = "webhook-secret-0123456789";
const PM_PASSWORD: &str = "Pm-Password-2026!";

#[derive(Debug, Clone)]
struct Received {
    signature: String,
    body: String,
}

/// A real HTTP server on a free port: answers 500 to the first request and 200 after.
async fn receiver() -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let log = log.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(socket);
                let mut length = 0usize;
                let mut signature = String::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).await.unwrap();
                    let line = line.trim_end().to_string();
                    if line.is_empty() {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    if lower.starts_with("x-portcullis-signature:") {
                        signature = line["x-portcullis-signature:".len()..].trim().to_string();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).await.unwrap();
                let first = {
                    let mut log = log.lock().unwrap();
                    log.push(Received {
                        signature,
                        body: String::from_utf8(body).unwrap(),
                    });
                    log.len() == 1
                };
                let status = if first {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let mut socket = reader.into_inner();
                socket
                    .write_all(
                        format!(
                            "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .await
                    .unwrap();
            });
        }
    });
    (url, seen)
}

#[tokio::test]
async fn an_exceeded_budget_alerts_once_signs_its_webhook_and_becomes_a_condition() {
    let world = world().await;
    let root_session = world.set_up().await;
    let root = world.caller(&root_session).await.unwrap();
    vienna_with_the_sample(&world, &root).await;

    // Bad input is refused with the field and the rule.
    let mut form = model::costs::BudgetForm {
        group: "vienna".into(),
        // The newest data (one row) is in October 2024; September's spend is in the year.
        period: "yearly".into(),
        amount: "-5".into(),
        actual_thresholds: "50, 100".into(),
        forecast_thresholds: "100".into(),
        webhook_url: String::new(),
        webhook_secret: String::new(),
        email_to: String::new(),
    };
    let err = world.service.set_budget(&root, &form).await.unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Invalid {
                field: "amount",
                ..
            }
        ),
        "{err:?}"
    );
    let (url, seen) = receiver().await;
    form.amount = "0.005".into();
    form.webhook_url = url.clone();
    let err = world.service.set_budget(&root, &form).await.unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Invalid {
                field: "webhook_secret",
                ..
            }
        ),
        "{err:?}"
    );
    form.webhook_secret = SECRET.into();
    world.service.set_budget(&root, &form).await.unwrap();

    let page = world.service.budgets(&root).await.unwrap();
    assert_eq!(page.budgets.len(), 1);
    let state = page.budgets[0].state.clone().unwrap();
    assert_eq!(state.status, "exceeded", "{state:?}");
    // Actual 50 and 100, forecast 100: three alerts, each once.
    assert_eq!(page.alerts.len(), 3, "{:?}", page.alerts);
    assert_eq!(
        world.service.evaluate_budgets().await.unwrap(),
        0,
        "no alert twice in a period"
    );

    // The first delivery meets a 500 and is retried after its delay.
    assert_eq!(world.service.deliver_webhooks().await.unwrap(), 2);
    assert_eq!(seen.lock().unwrap().len(), 3);
    assert_eq!(
        world.service.deliver_webhooks().await.unwrap(),
        0,
        "not before the delay"
    );
    world.clock.advance(time::Duration::seconds(11));
    assert_eq!(world.service.deliver_webhooks().await.unwrap(), 1);
    let deliveries = world.service.webhook_deliveries().await.unwrap();
    assert!(
        deliveries.iter().all(|d| d.state == "delivered"),
        "{deliveries:?}"
    );
    assert!(deliveries.iter().any(|d| d.attempts == 2));

    // Each request is signed: HMAC-SHA256 over "TIMESTAMP.BODY" with the secret.
    for request in seen.lock().unwrap().iter() {
        let (t, v1) = request.signature.split_once(",v1=").unwrap();
        let t: i64 = t.trim_start_matches("t=").parse().unwrap();
        assert_eq!(
            v1,
            service::budgets::sign(SECRET.as_bytes(), t, &request.body)
        );
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["group"], "Vienna");
    }

    // A member of the group now carries portcullis:BudgetStatus = exceeded.
    world.user(&root_session, "pm", PM_PASSWORD).await;
    world
        .service
        .add_member(&root, "Vienna", "pm")
        .await
        .unwrap();
    world
        .service
        .put_inline_policy(
            &root,
            Holder::User,
            "pm",
            "stop-when-over",
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","Action":["iam:ListGroups","iam:ListUsers"],"Resource":"*"},
                {"Effect":"Deny","Action":"iam:ListGroups","Resource":"*","Condition":{"StringEquals":{"portcullis:BudgetStatus":"exceeded"}}}]}"#,
        )
        .await
        .unwrap();
    let (change, _) = world.sign_in("pm", PM_PASSWORD).await;
    let pm = world.caller(&crate::state(&change)).await.unwrap();
    assert_eq!(pm.budget.as_ref().map(|b| b.0.as_str()), Some("exceeded"));
    assert!(matches!(
        world.service.list_groups(&pm).await,
        Err(ServiceError::AccessDenied(_))
    ));
    assert!(world
        .service
        .list_users(&pm, "", Default::default(), false, 1)
        .await
        .is_ok());
}

/// A real SMTP server on a free port that keeps every message it is given.
async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let messages = Arc::new(Mutex::new(Vec::new()));
    let kept = messages.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut read = BufReader::new(read);
                write.write_all(b"220 sink ready\r\n").await.unwrap();
                let mut envelope = String::new();
                loop {
                    let mut line = String::new();
                    if read.read_line(&mut line).await.unwrap() == 0 {
                        break;
                    }
                    let command = line.trim_end().to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if command.starts_with("MAIL") || command.starts_with("RCPT") {
                        envelope.push_str(&line);
                        b"250 OK\r\n"
                    } else if command == "DATA" {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut message = envelope.clone();
                        loop {
                            let mut data = String::new();
                            read.read_line(&mut data).await.unwrap();
                            if data == ".\r\n" {
                                break;
                            }
                            message.push_str(&data);
                        }
                        kept.lock().unwrap().push(message);
                        b"250 queued\r\n"
                    } else if command == "QUIT" {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        b"500 what\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (address, messages)
}

#[tokio::test]
async fn budget_alerts_are_mailed_through_the_smtp_relay() {
    let (address, messages) = smtp_sink().await;
    let world = crate::world_with(service::Options {
        smtp: Some(service::mail::Smtp::relay(
            address,
            "alerts@portcullis.test",
        )),
        ..Default::default()
    })
    .await;
    let root = world.caller(&world.set_up().await).await.unwrap();
    vienna_with_the_sample(&world, &root).await;
    let mut form = model::costs::BudgetForm {
        group: "Vienna".into(),
        period: "yearly".into(),
        amount: "0.005".into(),
        actual_thresholds: "100".into(),
        email_to: "not an address".into(),
        ..Default::default()
    };
    let err = world.service.set_budget(&root, &form).await.unwrap_err();
    assert!(
        matches!(
            err,
            ServiceError::Invalid {
                field: "email_to",
                ..
            }
        ),
        "{err:?}"
    );
    form.email_to = "pm@example.com, Finance@Example.com".into();
    world.service.set_budget(&root, &form).await.unwrap();
    assert_eq!(world.service.deliver_webhooks().await.unwrap(), 1);
    let messages = messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert!(message.contains("RCPT TO:<pm@example.com>"), "{message}");
    assert!(
        message.contains("RCPT TO:<Finance@Example.com>"),
        "{message}"
    );
    assert!(
        message.contains("Subject: Budget alert: Vienna crossed 100% of its budget"),
        "{message}"
    );
}

/// The group Vienna, the FOCUS sample imported, and its business units starting with
/// Vienna placed there.
async fn vienna_with_the_sample(world: &crate::World, root: &service::Caller) {
    world.service.create_group(root, "Vienna").await.unwrap();
    world
        .service
        .import_costs(
            Importer::Caller(root),
            vec![ImportSource {
                name: "focus_sample.csv".into(),
                bytes: Box::new(std::fs::File::open(sample()).unwrap()),
            }],
            FormatChoice::Auto,
            ImportLimits::default(),
            ImportControl::default(),
        )
        .await
        .unwrap();
    world
        .service
        .save_cost_rules(
            root,
            r#"{"rules":[{"name":"vienna","when":{"on":"tag","key":"business_unit","test":{"prefix":"Vienna"}},"then":{"to":"group","group":"Vienna"}}]}"#,
        )
        .await
        .unwrap();
}
