//! Alert e-mail over TLS, against a real local SMTP server speaking STARTTLS and TLS
//! with a certificate made for the test: the password is only ever sent encrypted, a
//! certificate nobody vouches for is refused, and a server that cannot do STARTTLS is
//! not talked to in the clear.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use service::mail::{send, Security, Smtp};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// A test CA, and a certificate for localhost it signed with its key, made with the
/// openssl command: (CA, certificate, key).
fn certificate(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let path = |name: &str| dir.join(name);
    let openssl = |args: &[&str]| {
        let status = std::process::Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("openssl is installed");
        assert!(status.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-days",
                "1",
                "-subj",
                "/CN=Portcullis test CA",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
            ],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req"][..],
            &ec,
            &[
                "-subj",
                "/CN=localhost",
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        path("leaf.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "leaf.ext",
        "-out",
        "cert.pem",
    ]);
    (path("ca.pem"), path("cert.pem"), path("key.pem"))
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    StartTls,
    Tls,
    /// Offers no STARTTLS.
    PlainOnly,
}

/// What the server saw: the AUTH lines (decoded) and the messages, and whether each
/// arrived over TLS.
#[derive(Default)]
struct Seen {
    auth: Vec<(bool, String)>,
    messages: Vec<(bool, String)>,
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut session: BufReader<S>,
    tls: bool,
    mode: Mode,
    seen: Arc<Mutex<Seen>>,
) -> Option<BufReader<S>> {
    loop {
        let mut line = String::new();
        if session.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let command = line.trim_end().to_string();
        let upper = command.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            let offer = if mode == Mode::StartTls && !tls {
                "250-STARTTLS\r\n"
            } else {
                ""
            };
            session
                .write_all(format!("250-sink\r\n{offer}250 AUTH PLAIN\r\n").as_bytes())
                .await
                .ok()?;
        } else if upper == "STARTTLS" {
            if mode != Mode::StartTls || tls {
                session.write_all(b"502 no\r\n").await.ok()?;
                continue;
            }
            session.write_all(b"220 go ahead\r\n").await.ok()?;
            session.flush().await.ok()?;
            return Some(session);
        } else if let Some(token) = command.strip_prefix("AUTH PLAIN ") {
            use base64::Engine;
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(token)
                .unwrap();
            seen.lock()
                .unwrap()
                .auth
                .push((tls, String::from_utf8(decoded).unwrap()));
            session.write_all(b"235 ok\r\n").await.ok()?;
        } else if upper.starts_with("MAIL") || upper.starts_with("RCPT") {
            session.write_all(b"250 OK\r\n").await.ok()?;
        } else if upper == "DATA" {
            session.write_all(b"354 go ahead\r\n").await.ok()?;
            let mut message = String::new();
            loop {
                let mut data = String::new();
                session.read_line(&mut data).await.ok()?;
                if data == ".\r\n" {
                    break;
                }
                message.push_str(&data);
            }
            seen.lock().unwrap().messages.push((tls, message));
            session.write_all(b"250 queued\r\n").await.ok()?;
        } else if upper == "QUIT" {
            session.write_all(b"221 bye\r\n").await.ok()?;
            return None;
        } else {
            session.write_all(b"500 what\r\n").await.ok()?;
        }
    }
}

async fn sink(mode: Mode, cert: &Path, key: &Path) -> (String, Arc<Mutex<Seen>>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let kept = seen.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            let (acceptor, kept) = (acceptor.clone(), kept.clone());
            tokio::spawn(async move {
                if mode == Mode::Tls {
                    let Ok(stream) = acceptor.accept(socket).await else {
                        return;
                    };
                    let mut session = BufReader::new(stream);
                    session.write_all(b"220 sink ready\r\n").await.unwrap();
                    serve(session, true, mode, kept).await;
                    return;
                }
                let mut session = BufReader::new(socket);
                session.write_all(b"220 sink ready\r\n").await.unwrap();
                if let Some(session) = serve(session, false, mode, kept.clone()).await {
                    let Ok(stream) = acceptor.accept(session.into_inner()).await else {
                        return;
                    };
                    serve(BufReader::new(stream), true, mode, kept).await;
                }
            });
        }
    });
    (format!("localhost:{port}"), seen)
}

fn smtp(address: &str, security: Security, ca: &Path) -> Smtp {
    Smtp {
        security,
        credentials: Some(("alerts@example.com".into(), "s3cret:pass".into())),
        ca_file: Some(ca.to_path_buf()),
        ..Smtp::relay(address, "alerts@example.com")
    }
}

#[tokio::test]
async fn alert_mail_over_starttls_and_tls_with_authentication() {
    let dir = tempdir();
    let (ca, cert, key) = certificate(&dir);
    let to = vec!["pm@example.com".to_string()];
    for (mode, security) in [
        (Mode::StartTls, Security::StartTls),
        (Mode::Tls, Security::Tls),
    ] {
        let (address, seen) = sink(mode, &cert, &key).await;
        send(
            &smtp(&address, security, &ca),
            &to,
            "Budget alert",
            "Vienna crossed 80%.",
        )
        .await
        .unwrap();
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.auth,
            [(true, "\0alerts@example.com\0s3cret:pass".to_string())]
        );
        assert_eq!(seen.messages.len(), 1);
        assert!(seen.messages[0].0, "the message went over TLS");
        assert!(seen.messages[0].1.contains("Vienna crossed 80%."));
    }

    // A certificate no trusted CA signed is refused before anything is sent.
    let (address, seen) = sink(Mode::Tls, &cert, &key).await;
    let other = tempdir();
    let (stranger, _, _) = certificate(&other);
    let refused = send(&smtp(&address, Security::Tls, &stranger), &to, "s", "t").await;
    assert!(
        matches!(refused, Err(service::mail::MailError::Tls(_))),
        "{refused:?}"
    );
    assert!(seen.lock().unwrap().auth.is_empty());

    // A server that offers no STARTTLS gets neither the password nor the message.
    let (address, seen) = sink(Mode::PlainOnly, &cert, &key).await;
    let refused = send(&smtp(&address, Security::StartTls, &ca), &to, "s", "t").await;
    assert!(refused.is_err());
    let seen = seen.lock().unwrap();
    assert!(seen.auth.is_empty() && seen.messages.is_empty());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("portcullis-mail-{}", rand_suffix()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    format!(
        "{}-{}",
        std::process::id(),
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}
