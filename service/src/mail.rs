//! E-mail for budget alerts over SMTP to a relay (a local Postfix, a company relay):
//! plain SMTP without authentication or TLS, as such relays accept from their own
//! network. `PORTCULLIS_SMTP` names it (`host:port`).

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where mail goes and whom it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Smtp {
    pub address: String,
    pub from: String,
}

/// Why a message was not handed over.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("cannot reach the SMTP relay {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("the SMTP relay answered {0:?} to {1}")]
    Refused(String, &'static str),
    #[error("the SMTP conversation failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the SMTP relay did not answer in time")]
    Timeout,
    #[error("{0:?} is not an address mail can be sent to")]
    BadAddress(String),
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
        conversation(smtp, to, subject, text),
    )
    .await
    .map_err(|_| MailError::Timeout)?
}

async fn conversation(
    smtp: &Smtp,
    to: &[String],
    subject: &str,
    text: &str,
) -> Result<(), MailError> {
    let from = mailbox(&smtp.from)?.to_string();
    let recipients: Vec<&str> = to.iter().map(|t| mailbox(t)).collect::<Result<_, _>>()?;
    let stream = TcpStream::connect(&smtp.address)
        .await
        .map_err(|e| MailError::Connect(smtp.address.clone(), e))?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    expect(&mut read, "2", "the greeting").await?;
    write.write_all(b"EHLO portcullis\r\n").await?;
    expect(&mut read, "2", "EHLO").await?;
    write
        .write_all(format!("MAIL FROM:<{from}>\r\n").as_bytes())
        .await?;
    expect(&mut read, "2", "MAIL FROM").await?;
    for recipient in &recipients {
        write
            .write_all(format!("RCPT TO:<{recipient}>\r\n").as_bytes())
            .await?;
        expect(&mut read, "2", "RCPT TO").await?;
    }
    write.write_all(b"DATA\r\n").await?;
    expect(&mut read, "3", "DATA").await?;
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
    write.write_all(message.as_bytes()).await?;
    expect(&mut read, "2", "the message").await?;
    write.write_all(b"QUIT\r\n").await?;
    Ok(())
}

/// Reads one (possibly multi-line) reply and checks its class.
async fn expect(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    class: &str,
    after: &'static str,
) -> Result<(), MailError> {
    loop {
        let mut line = String::new();
        if read.read_line(&mut line).await? == 0 {
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
