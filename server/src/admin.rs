//! Shell commands for operators: migrations and root password recovery. They call
//! the same service as the console, so the same rules and audit apply.

use std::io::BufRead;

use identity::hashing::PasswordHasher;
use service::{Clock, Options, Service};

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
/// users can read), under the account password policy; root's sessions end.
pub async fn reset_root_password(config: &Config, remove_mfa: bool) -> Result<(), BoxError> {
    let mut db = database::open(config).await?;
    let result = async {
        let service = Service::new(
            db.store.clone(),
            PasswordHasher::for_this_machine()?,
            database::secret_box(config)?,
            Clock::system(),
            Options::default(),
        );
        eprintln!("New root password (read from standard input):");
        let mut password = String::new();
        std::io::stdin().lock().read_line(&mut password)?;
        let password = password.trim_end_matches(['\n', '\r']).to_string();
        service.reset_root_password(&password, remove_mfa).await?;
        println!(
            "root password reset; its sessions ended{}",
            if remove_mfa { "; MFA removed" } else { "" }
        );
        Ok::<(), BoxError>(())
    }
    .await;
    if let Some(cluster) = db.cluster.as_mut() {
        cluster.stop();
    }
    result
}
