//! The templates: valid, and granting what their names say.

use policy::lint::{lint, Severity};
use policy::templates::{template, templates};
use policy::{Context, Decision, Evaluator, PolicyDocument, PolicyKind, PolicySet};

use crate::support::*;

fn compiled(name: &str) -> PolicySet {
    let t = template(name).unwrap();
    let doc = PolicyDocument::parse(&t.document, PolicyKind::Template).unwrap();
    PolicySet::from_documents([(t.name, &doc)])
}

fn decide_in(set: &PolicySet, action: &str) -> Decision {
    Evaluator::new(set).decide(&request(user("alice"), action, "*", Context::new()))
}

fn decide_with(name: &str, action: &str) -> Decision {
    decide_in(&compiled(name), action)
}

#[test]
fn all_templates_parse_without_lint_errors() {
    let names: Vec<&str> = templates().iter().map(|t| t.name).collect();
    assert_eq!(
        names,
        [
            "AdministratorAccess",
            "PowerUserAccess",
            "ReadOnlyAccess",
            "IAMReadOnlyAccess",
            "SecurityAudit",
            "Billing",
            "BillingReadOnly"
        ]
    );
    for t in templates() {
        let findings = lint(&t.document, PolicyKind::Template);
        let errors: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error || f.code == "UNKNOWN_ACTION")
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", t.name);
    }
}

#[test]
fn templates_grant_what_their_names_say() {
    use Decision::*;
    let cases = [
        ("AdministratorAccess", "iam:CreateUser", Allow),
        ("PowerUserAccess", "ec2:RunInstances", Allow),
        ("PowerUserAccess", "iam:CreateUser", ImplicitDeny),
        ("PowerUserAccess", "iam:ListRoles", Allow),
        (
            "PowerUserAccess",
            "organizations:LeaveOrganization",
            ImplicitDeny,
        ),
        ("ReadOnlyAccess", "s3:GetObject", Allow),
        ("ReadOnlyAccess", "ec2:DescribeInstances", Allow),
        ("ReadOnlyAccess", "iam:ListUsers", Allow),
        ("ReadOnlyAccess", "iam:GetUser", Allow),
        ("ReadOnlyAccess", "s3:PutObject", ImplicitDeny),
        ("ReadOnlyAccess", "iam:CreateUser", ImplicitDeny),
        ("ReadOnlyAccess", "iam:AttachUserPolicy", ImplicitDeny),
        ("ReadOnlyAccess", "dynamodb:DeleteTable", ImplicitDeny),
        ("IAMReadOnlyAccess", "iam:ListUsers", Allow),
        ("IAMReadOnlyAccess", "s3:GetObject", ImplicitDeny),
        ("IAMReadOnlyAccess", "iam:DeleteUser", ImplicitDeny),
        ("SecurityAudit", "iam:GetAccountAuthorizationDetails", Allow),
        ("SecurityAudit", "s3:GetBucketPolicy", Allow),
        ("SecurityAudit", "ec2:DescribeSecurityGroups", Allow),
        ("SecurityAudit", "s3:GetObject", ImplicitDeny),
        (
            "SecurityAudit",
            "secretsmanager:GetSecretValue",
            ImplicitDeny,
        ),
        ("Billing", "budgets:ModifyBudget", Allow),
        ("Billing", "ce:GetCostAndUsage", Allow),
        ("Billing", "ec2:RunInstances", ImplicitDeny),
        ("BillingReadOnly", "ce:GetCostAndUsage", Allow),
        ("BillingReadOnly", "budgets:ViewBudget", Allow),
        ("BillingReadOnly", "budgets:ModifyBudget", ImplicitDeny),
        ("BillingReadOnly", "iam:ListUsers", ImplicitDeny),
    ];
    for (name, action, expected) in cases {
        assert_eq!(decide_with(name, action), expected, "{name} {action}");
    }
}

#[test]
fn read_only_covers_every_read_action_of_the_catalogue_and_no_write() {
    use policy::catalog::{catalog, AccessLevel};
    let read_only = compiled("ReadOnlyAccess");
    for service in catalog().services() {
        for action in &service.actions {
            let name = format!("{}:{}", service.prefix, action.name);
            let read = matches!(action.level, AccessLevel::List | AccessLevel::Read);
            assert_eq!(
                decide_in(&read_only, &name) == Decision::Allow,
                read,
                "{name} ({:?})",
                action.level
            );
        }
    }
}
