//! Shell commands for operators: migrations and root password recovery.

use std::io::BufRead;

use identity::hashing::PasswordHasher;
use store::{AuditEntry, Outcome};

use crate::config::Config;
use crate::database;
use crate::serve::BoxError;

pub async fn migrate(config: &Config) -> Result<(), BoxError> {
    let mut db = database::open(config).await?;
    println!("migrations applied");
    if let Some(cluster) = db.cluster.as_mut() {
        cluster.stop();
    }
    Ok(())
}

/// Sets root's password from standard input (never from the command line, which other
/// users can read), after checking it against the account password policy.
pub async fn reset_root_password(config: &Config, remove_mfa: bool) -> Result<(), BoxError> {
    let mut db = database::open(config).await?;
    let result = async {
        let Some(account) = db.store.account_id().await? else {
            return Err::<(), BoxError>(
                "the account is not set up yet: open the console to create the root user".into(),
            );
        };
        eprintln!("New root password (read from standard input):");
        let mut password = String::new();
        std::io::stdin().lock().read_line(&mut password)?;
        let password = password.trim_end_matches(['\n', '\r']).to_string();
        let policy = db.store.settings().await?.password_policy;
        let unmet = policy.unmet(&password);
        if !unmet.is_empty() {
            let rules: Vec<String> = unmet.iter().map(|r| r.to_string()).collect();
            return Err(format!(
                "the password does not meet the policy: {}",
                rules.join("; ")
            )
            .into());
        }
        let hash = PasswordHasher::for_this_machine()?.hash(password).await?;
        let entry = |action: &'static str, detail: &str| AuditEntry {
            actor: "shell".into(),
            action,
            target: format!("arn:aws:iam::{account}:root"),
            source_ip: "local".into(),
            outcome: Outcome::Success,
            detail: detail.into(),
        };
        db.store
            .set_password(
                &account,
                &hash,
                false,
                &entry("portcullis:ResetRootPassword", "reset from the shell"),
            )
            .await?;
        if remove_mfa {
            db.store
                .disable_mfa(
                    &account,
                    &entry("iam:DeactivateMFADevice", "root MFA removed from the shell"),
                )
                .await?;
        }
        println!(
            "root password reset{}",
            if remove_mfa { "; MFA removed" } else { "" }
        );
        Ok(())
    }
    .await;
    if let Some(cluster) = db.cluster.as_mut() {
        cluster.stop();
    }
    result
}
