//! Ready-made policies, built from the catalogue so they stay true to it.
//!
//! ReadOnlyAccess is "List and Read of every service": rather than a hand-kept list it
//! is derived from the catalogue's access levels, compressed to `service:Verb*` where
//! every action with that verb is List or Read, and to exact names where it is not
//! (so `s3:Get*` is used only if no `s3:Get…` action writes).

use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::catalog::{catalog, AccessLevel, ActionInfo, Service};

/// A template: a read-only managed policy every account has.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: &'static str,
    pub description: &'static str,
    /// The policy document, pretty-printed JSON.
    pub document: String,
}

/// The services a project manager's billing policies cover.
pub const BILLING_SERVICES: &[&str] = &[
    "aws-portal",
    "billing",
    "billingconductor",
    "bcm-dashboards",
    "bcm-data-exports",
    "bcm-pricing-calculator",
    "budgets",
    "ce",
    "consolidatedbilling",
    "cost-optimization-hub",
    "cur",
    "freetier",
    "invoicing",
    "payments",
    "pricing",
    "purchase-orders",
    "savingsplans",
    "tax",
];

/// All templates, built once.
pub fn templates() -> &'static [Template] {
    static TEMPLATES: OnceLock<Vec<Template>> = OnceLock::new();
    TEMPLATES.get_or_init(build)
}

/// A template by name (case-sensitive, as AWS policy names are).
pub fn template(name: &str) -> Option<&'static Template> {
    templates().iter().find(|t| t.name == name)
}

fn document(statements: Vec<Value>) -> String {
    let doc = json!({ "Version": "2012-10-17", "Statement": statements });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn is_read(action: &ActionInfo) -> bool {
    matches!(action.level, AccessLevel::List | AccessLevel::Read)
}

/// Names of security-relevant configuration reads: what SecurityAudit may see without
/// reading data (no object contents, secret values or table items).
fn is_metadata_read(action: &ActionInfo) -> bool {
    if action.level == AccessLevel::List {
        return true;
    }
    if action.level != AccessLevel::Read {
        return false;
    }
    let name = &*action.name;
    if name.starts_with("Describe") {
        return true;
    }
    const METADATA: &[&str] = &[
        "Policy",
        "Config",
        "Acl",
        "Attributes",
        "Setting",
        "Status",
        "Encryption",
        "Logging",
        "Versioning",
        "Tagging",
        "Lifecycle",
        "Replication",
        "Location",
        "Notification",
        "PublicAccessBlock",
        "Ownership",
        "Cors",
        "Website",
        "Summary",
        "Report",
        "Credential",
        "Role",
        "User",
        "Group",
        "AccessKeyLastUsed",
        "Rotation",
        "KeyPolicy",
        "Trail",
        "Rule",
        "Alias",
        "Account",
    ];
    name.starts_with("Get") && METADATA.iter().any(|m| name.contains(m))
}

/// The leading capitalised word of an action name: `Describe` of `DescribeInstances`.
fn verb(name: &str) -> &str {
    let end = name
        .char_indices()
        .skip(1)
        .find(|(_, c)| c.is_ascii_uppercase())
        .map(|(i, _)| i)
        .unwrap_or(name.len());
    name.get(..end).unwrap_or(name)
}

/// Actions of `service` that satisfy `keep`, as compact as the catalogue allows.
fn compress(service: &Service, keep: fn(&ActionInfo) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut done_verbs: Vec<&str> = Vec::new();
    for action in service.actions.iter().filter(|a| keep(a)) {
        let v = verb(&action.name);
        if done_verbs.contains(&v) {
            continue;
        }
        let all_kept = service
            .actions
            .iter()
            // Action names match case-insensitively, so `Get*` also covers `GET`.
            .filter(|a| {
                a.name
                    .get(..v.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(v))
            })
            .all(keep);
        if all_kept && v.len() >= 3 {
            out.push(format!("{}:{v}*", service.prefix));
            done_verbs.push(v);
        } else {
            out.push(format!("{}:{}", service.prefix, action.name));
        }
    }
    out
}

fn read_actions(prefixes: Option<&[&str]>, keep: fn(&ActionInfo) -> bool) -> Vec<String> {
    catalog()
        .services()
        .iter()
        .filter(|s| prefixes.is_none_or(|p| p.contains(&&*s.prefix)))
        .flat_map(|s| compress(s, keep))
        .collect()
}

fn build() -> Vec<Template> {
    let everything = document(vec![json!({
        "Effect": "Allow", "Action": "*", "Resource": "*"
    })]);
    let power_user = document(vec![
        json!({
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*", "portcullis:*"],
            "Resource": "*"
        }),
        json!({
            "Effect": "Allow",
            "Action": [
                "account:GetAccountInformation",
                "account:GetPrimaryEmail",
                "account:ListRegions",
                "iam:CreateServiceLinkedRole",
                "iam:DeleteServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeEffectivePolicy",
                "organizations:DescribeOrganization"
            ],
            "Resource": "*"
        }),
    ]);
    let read_only = document(vec![json!({
        "Effect": "Allow", "Action": read_actions(None, is_read), "Resource": "*"
    })]);
    let iam_read_only = document(vec![json!({
        "Effect": "Allow", "Action": read_actions(Some(&["iam"]), is_read), "Resource": "*"
    })]);
    let security_audit = document(vec![json!({
        "Effect": "Allow", "Action": read_actions(None, is_metadata_read), "Resource": "*"
    })]);
    let billing_all: Vec<String> = BILLING_SERVICES.iter().map(|s| format!("{s}:*")).collect();
    let billing = document(vec![
        json!({ "Effect": "Allow", "Action": billing_all, "Resource": "*" }),
        json!({
            "Effect": "Allow",
            "Action": ["account:GetAccountInformation", "account:ListRegions"],
            "Resource": "*"
        }),
        // Portcullis's billing imports are billing administration too.
        json!({
            "Effect": "Allow",
            "Action": ["portcullis:ImportCosts", "portcullis:ListCostImports", "portcullis:RollBackCostImport"],
            "Resource": "*"
        }),
    ]);
    let mut read_only_actions = read_actions(Some(BILLING_SERVICES), is_read);
    read_only_actions.push("portcullis:ListCostImports".to_string());
    let billing_read_only = document(vec![json!({
        "Effect": "Allow",
        "Action": read_only_actions,
        "Resource": "*"
    })]);
    vec![
        Template {
            name: "AdministratorAccess",
            description: "Full access to every service and resource.",
            document: everything,
        },
        Template {
            name: "PowerUserAccess",
            description: "Full access to every service except managing users, groups, roles, policies and account settings.",
            document: power_user,
        },
        Template {
            name: "ReadOnlyAccess",
            description: "List and read every service; change nothing.",
            document: read_only,
        },
        Template {
            name: "IAMReadOnlyAccess",
            description: "List and read users, groups, roles, policies and credentials reports.",
            document: iam_read_only,
        },
        Template {
            name: "SecurityAudit",
            description: "Read security configuration and metadata of every service, without reading data.",
            document: security_audit,
        },
        Template {
            name: "Billing",
            description: "Manage billing, budgets, cost reports and payments.",
            document: billing,
        },
        Template {
            name: "BillingReadOnly",
            description: "See spend, budgets and cost reports; for project managers.",
            document: billing_read_only,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbs() {
        assert_eq!(verb("DescribeInstances"), "Describe");
        assert_eq!(verb("Get"), "Get");
    }
}
