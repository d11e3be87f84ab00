//! The console's pages.

mod access;
mod access_keys;
mod audit;
mod group_spend;
mod groups;
mod home;
mod instance_profiles;
mod layout;
mod policies;
mod policy_editor;
mod roles;
mod rule_order;
mod security;
mod service_credentials;
mod settings;
mod signin;
mod simulator;
mod spend;
mod ssh_keys;
mod tags;
mod uploader;
mod users;

pub use audit::AuditPage;
pub use group_spend::GroupSpendPage;
pub use groups::{GroupPage, GroupsPage};
pub use home::HomePage;
pub use layout::{ConsoleLayout, NotFound};
pub use policies::{NewPolicyPage, PoliciesPage, PolicyPage};
pub use roles::{RolePage, RolesPage, SwitchRolePage};
pub use security::SecurityPage;
pub use settings::SettingsPage;
pub use signin::{ChangePasswordPage, MfaPage, SetUpPage, SignInPage};
pub use simulator::SimulatorPage;
pub use spend::{SpendBudgetsPage, SpendExplorerPage, SpendImportsPage, SpendPage, SpendRulesPage};
pub use users::{UserPage, UsersPage};
