//! The signed-in identity as pages show it, and where a browser stands in sign-in.

use serde::{Deserialize, Serialize};

/// The signed-in identity as the pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    /// `root`, or the IAM user's name.
    pub name: String,
    pub is_root: bool,
    pub account_id: String,
    /// The ARN requests are made as: the user's, or the role session's.
    pub arn: String,
    pub mfa_enabled: bool,
    /// Root only: the best-practice checklist is not complete yet.
    pub root_needs_mfa: bool,
    pub root_needs_user: bool,
    /// The parts of the console this principal's policies let it open.
    pub menu: Menu,
    /// The region the console acts in, and the account's regions to switch to.
    pub region: String,
    pub regions: Vec<String>,
    /// The role session the console acts in, if the user switched role.
    pub role: Option<ActiveRole>,
}

/// Which console sections the signed-in principal may list (decided by the engine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Menu {
    pub users: bool,
    pub groups: bool,
    pub roles: bool,
    /// OpenID Connect providers (`iam:ListOpenIDConnectProviders`).
    pub identity_providers: bool,
    pub policies: bool,
    pub simulator: bool,
    pub settings: bool,
    pub audit: bool,
    /// Some group's spend (or Unallocated spend) is visible.
    pub spend: bool,
}

/// The role session the console is acting in, for the top bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveRole {
    pub role: String,
    pub arn: String,
    /// When it ends, as `HH:MM UTC`.
    pub ends: String,
}

/// What the sign-in flow needs next for this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    SetUp,
    SignIn,
    Mfa,
    ChangePassword,
    SignedIn,
}

impl Stage {
    /// The page that serves this stage.
    pub fn path(self) -> &'static str {
        match self {
            Stage::SetUp => "/setup",
            Stage::SignIn => "/signin",
            Stage::Mfa => "/signin/mfa",
            Stage::ChangePassword => "/change-password",
            Stage::SignedIn => "/",
        }
    }
}

/// What the setup page needs to know before the account exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupRequirements {
    /// The console listens beyond this machine: the setup token from the server log
    /// is required.
    pub token_required: bool,
}
