//! Configuration from environment variables, over an optional TOML file.
//!
//! Environment wins over the file so containers and CI can override one value without
//! editing it. Nothing secret has a default: without a key, embedded mode generates one
//! under the data folder; with `DATABASE_URL` a key must be given.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    secret_key: Option<String>,
    secure_cookies: Option<bool>,
    log_format: Option<String>,
    trusted_proxies: Option<Vec<String>>,
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// `None`: run the embedded PostgreSQL under `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// 64 hex characters; generated under `data_dir` when absent in embedded mode.
    pub secret_key: Option<String>,
    /// Mark the session cookie Secure (serve behind TLS).
    pub secure_cookies: bool,
    pub json_logs: bool,
    /// Sign-in attempts allowed per client address per five minutes.
    pub sign_in_rate: u32,
    /// Proxies (CIDR ranges) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<policy::condition::Cidr>,
    /// The 12-digit account id a new installation gets (random when unset).
    pub account_id: Option<String>,
    /// Limits on one billing import (`PORTCULLIS_COST_MAX_ROWS`,
    /// `PORTCULLIS_COST_MAX_BYTES`, `PORTCULLIS_COST_DAILY_GROUPS`).
    pub cost_limits: service::costs::ImportLimits,
    /// The SMTP relay for budget alert e-mails (`PORTCULLIS_SMTP`, `PORTCULLIS_SMTP_FROM`).
    pub smtp: Option<service::mail::Smtp>,
    /// A root access key (id, secret) to create at start when root has none, so a
    /// fresh server can be driven by the API alone.
    pub bootstrap_root_key: Option<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("the configuration file {0} is not valid: {1}")]
    Parse(PathBuf, String),
    #[error("{name} = {value:?} is not valid: {why}")]
    Value {
        name: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("set both PORTCULLIS_BOOTSTRAP_ROOT_ACCESS_KEY_ID and PORTCULLIS_BOOTSTRAP_ROOT_SECRET_ACCESS_KEY, or neither")]
    HalfBootstrap,
    /// Not echoing the value: it may hold the SMTP password.
    #[error("PORTCULLIS_SMTP is not valid: {0}")]
    Smtp(String),
}

impl Config {
    /// Reads `PORTCULLIS_CONFIG` (default `portcullis.toml` if it exists), then the
    /// environment: `PORTCULLIS_LISTEN`, `DATABASE_URL`, `PORTCULLIS_DATA_DIR`,
    /// `PORTCULLIS_SECRET_KEY`, `PORTCULLIS_SECURE_COOKIES`, `PORTCULLIS_LOG_FORMAT`,
    /// `PORTCULLIS_SIGNIN_RATE`, `PORTCULLIS_TRUSTED_PROXIES`.
    pub fn load() -> Result<Config, ConfigError> {
        let path = std::env::var_os("PORTCULLIS_CONFIG").map(PathBuf::from);
        let file = match &path {
            Some(path) => Some(path.clone()),
            None => Some(PathBuf::from("portcullis.toml")).filter(|p| p.exists()),
        };
        let file_config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| ConfigError::Read(path.clone(), e))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| ConfigError::Parse(path.clone(), e.to_string()))?
            }
            None => FileConfig::default(),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let listen_text = env("PORTCULLIS_LISTEN")
            .or(file_config.listen)
            .unwrap_or_else(|| "127.0.0.1:3000".into());
        let listen = listen_text.parse().map_err(|_| ConfigError::Value {
            name: "PORTCULLIS_LISTEN",
            value: listen_text.clone(),
            why: "expected an address and port such as 127.0.0.1:3000",
        })?;
        let secure_text = env("PORTCULLIS_SECURE_COOKIES").map(|v| v.to_ascii_lowercase());
        let secure_cookies = match secure_text.as_deref() {
            None => file_config.secure_cookies.unwrap_or(false),
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(other) => {
                return Err(ConfigError::Value {
                    name: "PORTCULLIS_SECURE_COOKIES",
                    value: other.into(),
                    why: "expected true or false",
                })
            }
        };
        let log_format = env("PORTCULLIS_LOG_FORMAT")
            .or(file_config.log_format)
            .unwrap_or_else(|| "text".into());
        let rate_text = env("PORTCULLIS_SIGNIN_RATE").unwrap_or_else(|| "60".into());
        let sign_in_rate = rate_text.parse().map_err(|_| ConfigError::Value {
            name: "PORTCULLIS_SIGNIN_RATE",
            value: rate_text.clone(),
            why: "expected a whole number of sign-in attempts per address per five minutes",
        })?;
        let proxy_texts: Vec<String> = match env("PORTCULLIS_TRUSTED_PROXIES") {
            Some(list) => list
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            None => file_config.trusted_proxies.unwrap_or_default(),
        };
        let mut trusted_proxies = Vec::new();
        for text in proxy_texts {
            match policy::condition::Cidr::parse(&text) {
                Some(range) => trusted_proxies.push(range),
                None => {
                    return Err(ConfigError::Value {
                        name: "PORTCULLIS_TRUSTED_PROXIES",
                        value: text,
                        why: "expected IP ranges such as 10.0.0.0/8, separated by commas",
                    })
                }
            }
        }
        let account_id = env("PORTCULLIS_ACCOUNT_ID");
        if let Some(id) = &account_id {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ConfigError::Value {
                    name: "PORTCULLIS_ACCOUNT_ID",
                    value: id.clone(),
                    why: "expected a 12-digit account id such as 123456789012",
                });
            }
        }
        let mut cost_limits = service::costs::ImportLimits::default();
        for (name, slot) in [
            ("PORTCULLIS_COST_MAX_ROWS", &mut cost_limits.max_rows),
            ("PORTCULLIS_COST_MAX_BYTES", &mut cost_limits.max_bytes),
            (
                "PORTCULLIS_COST_DAILY_GROUPS",
                &mut cost_limits.daily_groups,
            ),
        ] {
            if let Some(text) = env(name) {
                *slot = text
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or(ConfigError::Value {
                        name,
                        value: text,
                        why: "expected a whole number greater than 0",
                    })?;
            }
        }
        let smtp = match env("PORTCULLIS_SMTP") {
            Some(url) => Some(
                service::mail::Smtp::parse(
                    &url,
                    &env("PORTCULLIS_SMTP_FROM").unwrap_or_else(|| "portcullis@localhost".into()),
                    env("PORTCULLIS_SMTP_CA").map(PathBuf::from),
                )
                .map_err(ConfigError::Smtp)?,
            ),
            None => None,
        };
        let bootstrap_root_key = match (
            env("PORTCULLIS_BOOTSTRAP_ROOT_ACCESS_KEY_ID"),
            env("PORTCULLIS_BOOTSTRAP_ROOT_SECRET_ACCESS_KEY"),
        ) {
            (Some(id), Some(secret)) => Some((id, secret)),
            (None, None) => None,
            _ => return Err(ConfigError::HalfBootstrap),
        };
        Ok(Config {
            bootstrap_root_key,
            smtp,
            cost_limits,
            account_id,
            trusted_proxies,
            sign_in_rate,
            listen,
            database_url: env("DATABASE_URL").or(file_config.database_url),
            data_dir: env("PORTCULLIS_DATA_DIR")
                .map(PathBuf::from)
                .or(file_config.data_dir)
                .unwrap_or_else(|| PathBuf::from("data")),
            secret_key: env("PORTCULLIS_SECRET_KEY").or(file_config.secret_key),
            secure_cookies,
            json_logs: log_format == "json",
        })
    }
}
