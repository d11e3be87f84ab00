//! STS actions (2011-06-15).

use service::{Caller, Service};

use crate::error::ApiError;
use crate::iam::{Action, Answer};
use crate::params::Params;
use crate::xml::Xml;

pub const ACTIONS: &[Action] = &[Action {
    name: "GetCallerIdentity",
    catalogue: "sts:GetCallerIdentity",
    audited: false,
}];

pub fn action(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// Runs one STS action for `caller`.
pub async fn call(_service: &Service, caller: &Caller, name: &str, _params: &Params) -> Answer {
    match name {
        // Needs no permission, as in AWS: a Deny cannot hide who you are.
        "GetCallerIdentity" => {
            let mut x = Xml::new();
            let user_id = match (&caller.role, caller.user.is_root) {
                (Some(role), _) => format!("{}:{}", role.role_id, caller.user.name),
                (None, true) => caller.account_id.clone(),
                (None, false) => caller.user.id.clone(),
            };
            x.text("Arn", &caller.arn())
                .text("UserId", &user_id)
                .text("Account", &caller.account_id);
            Ok(Some(x))
        }
        other => Err(ApiError::invalid_action(other, "2011-06-15")),
    }
}
