//! Who a policy is attached to or embedded in.

use serde::{Deserialize, Serialize};

/// A user, a group or a role: what policies, inline policies and roles are given to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Holder {
    User,
    Group,
    Role,
}

impl Holder {
    /// The form value (`user`, `group`, `role`) as a holder.
    pub fn parse(text: &str) -> Option<Holder> {
        match text {
            "user" => Some(Holder::User),
            "group" => Some(Holder::Group),
            "role" => Some(Holder::Role),
            _ => None,
        }
    }

    /// The form value and the word in messages: `user`, `group`, `role`.
    pub fn what(self) -> &'static str {
        match self {
            Holder::User => "user",
            Holder::Group => "group",
            Holder::Role => "role",
        }
    }

    /// The IAM action for this holder among its `(user, group, role)` spellings.
    pub fn action(self, spellings: crate::access::actions::Spellings) -> &'static str {
        let [user, group, role] = spellings;
        match self {
            Holder::User => user,
            Holder::Group => group,
            Holder::Role => role,
        }
    }
}
