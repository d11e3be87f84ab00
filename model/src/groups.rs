//! Groups as the groups list and a group's page show them.

use serde::{Deserialize, Serialize};

use crate::{Access, Refusals};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub name: String,
    pub members: i64,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub name: String,
    pub arn: String,
    pub created: String,
    pub members: Vec<String>,
    /// The group's policies and roles; every member has them.
    pub access: Access,
    /// Changes on this page the signed-in principal may not make.
    pub refusals: Refusals,
}
