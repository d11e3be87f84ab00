//! E-mail for budget alerts over SMTP. `PORTCULLIS_SMTP` names the server:
//! `host:port` or `smtp://host:port` for a relay on the local network (plain SMTP, no
//! authentication), `smtp+starttls://USER:PASSWORD@host:587` (STARTTLS, then AUTH
//! PLAIN) or `smtps://USER:PASSWORD@host:465` (TLS from the start) for a provider.
//! Certificates are checked against the system's roots, plus `PORTCULLIS_SMTP_CA`
//! (a PEM file) when a relay uses its own CA. Credentials never cross the network in
//! the clear: a plain URL with a user is refused.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Plain,
    StartTls,
    Tls,
}

/// Where mail goes and whom it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    /// `host:port`.
    pub address: String,
    pub from: String,
    pub security: Security,
    /// User name and password for AUTH PLAIN (only over TLS).
    pub credentials: Option<(String, String)>,
    /// An extra trusted CA certificate (PEM).
    pub ca_file: Option<PathBuf>,
}

impl Smtp {
    /// A plain relay at `host:port`.
    pub fn relay(address: impl Into<String>, from: impl Into<String>) -> Smtp {
        Smtp {
            address: address.into(),
            from: from.into(),
            security: Security::Plain,
            credentials: None,
            ca_file: None,
        }
    }

    /// Reads `PORTCULLIS_SMTP`'s forms (see the module); the error says what to write.
    pub fn parse(url: &str, from: &str, ca_file: Option<PathBuf>) -> Result<Smtp, String> {
        let url = url.trim();
        let (security, rest) = if let Some(rest) = url.strip_prefix("smtps://") {
            (Security::Tls, rest)
        } else if let Some(rest) = url.strip_prefix("smtp+starttls://") {
            (Security::StartTls, rest)
        } else if let Some(rest) = url.strip_prefix("smtp://") {
            (Security::Plain, rest)
        } else if url.contains("://") {
            return Err("use smtp://, smtp+starttls:// or smtps://".into());
        } else {
            (Security::Plain, url)
        };
        let rest = rest.trim_end_matches('/');
        let (credentials, address) = match rest.rsplit_once('@') {
            Some((userinfo, address)) => {
                let (user, password) = userinfo
                    .split_once(':')
                    .ok_or("write the credentials as USER:PASSWORD@")?;
                (
                    Some((percent_decode(user)?, percent_decode(password)?)),
                    address,
                )
            }
            None => (None, rest),
        };
        if credentials.is_some() && security == Security::Plain {
            return Err(
                "a user and password need TLS: use smtp+starttls:// or smtps://".to_string(),
            );
        }
        let (host, port) = address
            .rsplit_once(':')
            .ok_or("write the server as host:port")?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err("write the server as host:port".into());
        }
        Ok(Smtp {
            address: address.to_string(),
            from: from.to_string(),
            security,
            credentials,
            ca_file,
        })
    }

    fn host(&self) -> &str {
        self.address
            .rsplit_once(':')
            .map(|(host, _)| host.trim_start_matches('[').trim_end_matches(']'))
            .unwrap_or(&self.address)
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a % in the credentials must be followed by two hex digits")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the credentials are not UTF-8".to_string())
}

/// Why a message was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("cannot reach the SMTP server {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("the SMTP server answered {0:?} to {1}")]
    Refused(String, &'static str),
    #[error("the SMTP conversation failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the SMTP server did not answer in time")]
    Timeout,
    #[error("{0:?} is not an address mail can be sent to")]
    BadAddress(String),
    #[error("TLS with the SMTP server failed: {0}")]
    Tls(String),
}

/// A mailbox safe to put in an SMTP command: no brackets, no line breaks.
fn mailbox(address: &str) -> Result<&str, MailError> {
    let address = address.trim();
    if address.is_empty()
        || address.len() > 254
        || address
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "<>,;\"".contains(c))
        || !address.contains('@')
    {
        return Err(MailError::BadAddress(address.to_string()));
    }
    Ok(address)
}

/// Sends one text message to `to`.
pub async fn send(smtp: &Smtp, to: &[String], subject: &str, text: &str) -> Result<(), MailError> {
    tokio::time::timeout(
        std::time::Duration::from_secs(20),
        connect_and_send(smtp, to, subject, text),
    )
    .await
    .map_err(|_| MailError::Timeout)?
}

fn tls_connector(smtp: &Smtp) -> Result<tokio_rustls::TlsConnector, MailError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(path) = &smtp.ca_file {
        for cert in CertificateDer::pem_file_iter(path)
            .map_err(|e| MailError::Tls(format!("{}: {e}", path.display())))?
        {
            let cert = cert.map_err(|e| MailError::Tls(format!("{}: {e}", path.display())))?;
            roots
                .add(cert)
                .map_err(|e| MailError::Tls(format!("{}: {e}", path.display())))?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| MailError::Tls(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn connect_and_send(
    smtp: &Smtp,
    to: &[String],
    subject: &str,
    text: &str,
) -> Result<(), MailError> {
    let from = mailbox(&smtp.from)?.to_string();
    let recipients: Vec<String> = to
        .iter()
        .map(|t| mailbox(t).map(str::to_string))
        .collect::<Result<_, _>>()?;
    let stream = TcpStream::connect(&smtp.address)
        .await
        .map_err(|e| MailError::Connect(smtp.address.clone(), e))?;
    let name =
        ServerName::try_from(smtp.host().to_string()).map_err(|e| MailError::Tls(e.to_string()))?;
    match smtp.security {
        Security::Plain => {
            let mut session = BufReader::new(stream);
            expect(&mut session, "2", "the greeting").await?;
            hello(&mut session).await?;
            deliver(session, smtp, &from, &recipients, subject, text).await
        }
        Security::Tls => {
            let stream = tls_connector(smtp)?
                .connect(name, stream)
                .await
                .map_err(|e| MailError::Tls(e.to_string()))?;
            let mut session = BufReader::new(stream);
            expect(&mut session, "2", "the greeting").await?;
            hello(&mut session).await?;
            deliver(session, smtp, &from, &recipients, subject, text).await
        }
        Security::StartTls => {
            let mut session = BufReader::new(stream);
            expect(&mut session, "2", "the greeting").await?;
            hello(&mut session).await?;
            session.write_all(b"STARTTLS\r\n").await?;
            expect(&mut session, "2", "STARTTLS").await?;
            // Nothing read ahead may be trusted once TLS starts.
            if !session.buffer().is_empty() {
                return Err(MailError::Tls(
                    "the server sent data before the TLS handshake".into(),
                ));
            }
            let stream = tls_connector(smtp)?
                .connect(name, session.into_inner())
                .await
                .map_err(|e| MailError::Tls(e.to_string()))?;
            let mut session = BufReader::new(stream);
            hello(&mut session).await?;
            deliver(session, smtp, &from, &recipients, subject, text).await
        }
    }
}

async fn hello<S: AsyncRead + AsyncWrite + Unpin>(
    session: &mut BufReader<S>,
) -> Result<(), MailError> {
    session.write_all(b"EHLO portcullis\r\n").await?;
    expect(session, "2", "EHLO").await
}

/// Authenticates when there are credentials (only ever over TLS), then hands over
/// the message.
async fn deliver<S: AsyncRead + AsyncWrite + Unpin>(
    mut session: BufReader<S>,
    smtp: &Smtp,
    from: &str,
    recipients: &[String],
    subject: &str,
    text: &str,
) -> Result<(), MailError> {
    if let Some((user, password)) = &smtp.credentials {
        use base64::Engine;
        let token = base64::engine::general_purpose::STANDARD
            .encode(format!("\0{user}\0{password}").as_bytes());
        session
            .write_all(format!("AUTH PLAIN {token}\r\n").as_bytes())
            .await?;
        expect(&mut session, "2", "AUTH PLAIN").await?;
    }
    session
        .write_all(format!("MAIL FROM:<{from}>\r\n").as_bytes())
        .await?;
    expect(&mut session, "2", "MAIL FROM").await?;
    for recipient in recipients {
        session
            .write_all(format!("RCPT TO:<{recipient}>\r\n").as_bytes())
            .await?;
        expect(&mut session, "2", "RCPT TO").await?;
    }
    session.write_all(b"DATA\r\n").await?;
    expect(&mut session, "3", "DATA").await?;
    let subject: String = subject.chars().filter(|c| !c.is_control()).collect();
    let mut message = format!(
        "From: Portcullis <{from}>\r\nTo: {}\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        recipients.join(", ")
    );
    for line in text.lines() {
        // Dot-stuffing: a line starting with "." must not end the message.
        if line.starts_with('.') {
            message.push('.');
        }
        message.push_str(line);
        message.push_str("\r\n");
    }
    message.push_str(".\r\n");
    session.write_all(message.as_bytes()).await?;
    expect(&mut session, "2", "the message").await?;
    session.write_all(b"QUIT\r\n").await?;
    session.flush().await?;
    Ok(())
}

/// Reads one (possibly multi-line) reply and checks its class.
async fn expect<S: AsyncRead + AsyncWrite + Unpin>(
    session: &mut BufReader<S>,
    class: &str,
    after: &'static str,
) -> Result<(), MailError> {
    session.flush().await?;
    loop {
        let mut line = String::new();
        if session.read_line(&mut line).await? == 0 {
            return Err(MailError::Refused("(connection closed)".into(), after));
        }
        let line = line.trim_end();
        if !line.starts_with(class) {
            return Err(MailError::Refused(line.to_string(), after));
        }
        // "250-…" continues, "250 …" ends.
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        let relay = Smtp::parse("mail.local:25", "a@b", None).unwrap();
        assert_eq!(
            (relay.security, relay.address.as_str()),
            (Security::Plain, "mail.local:25")
        );
        let provider =
            Smtp::parse("smtps://ses%40x:p%3Ass@email.example:465", "a@b", None).unwrap();
        assert_eq!(provider.security, Security::Tls);
        assert_eq!(
            provider.credentials,
            Some(("ses@x".to_string(), "p:ss".to_string()))
        );
        assert_eq!(provider.host(), "email.example");
        let start = Smtp::parse("smtp+starttls://u:p@smtp.example:587", "a@b", None).unwrap();
        assert_eq!(start.security, Security::StartTls);
        assert!(Smtp::parse("smtp://u:p@relay:25", "a@b", None)
            .unwrap_err()
            .contains("need TLS"));
        assert!(Smtp::parse("http://relay:25", "a@b", None).is_err());
        assert!(Smtp::parse("relay", "a@b", None).is_err());
        assert!(Smtp::parse("smtps://u:p%zz@h:1", "a@b", None).is_err());
    }
}
