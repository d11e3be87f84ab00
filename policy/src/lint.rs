//! Policy findings in the manner of IAM Access Analyzer's policy validation.
//!
//! Errors are documents AWS would reject. Security warnings are grants broader than they
//! look (Allow with NotAction, `iam:PassRole` on `*`, admin-equivalent or
//! privilege-escalating grants, public resource policies). Warnings are statements that
//! cannot do what their author meant (unknown actions, keys that never apply, statements
//! that can never match). Every finding carries its position for the editor.

use std::fmt;

use crate::catalog::{catalog, ActionInfo, Service};
use crate::condition::{Comparison, CompiledCondition, Family};
use crate::document::{pointer_child, Effect, PolicyDocument, Statement, Version};
use crate::error::{Location, PolicyErrors, PolicyKind};
use crate::json::Span;
use crate::pattern::Pattern;
use crate::request::NoVariables;
use crate::time::parse_date_millis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    SecurityWarning,
    Warning,
    Suggestion,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::SecurityWarning => "security-warning",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    /// Stable identifier, for suppressions and tests (`PASS_ROLE_WITH_STAR_IN_RESOURCE`).
    pub code: &'static str,
    pub message: String,
    pub location: Location,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}[{}]: {} ({})",
            self.location.line,
            self.location.column,
            self.severity.as_str(),
            self.code,
            self.message,
            if self.location.pointer.is_empty() {
                "/"
            } else {
                &self.location.pointer
            }
        )
    }
}

/// Actions that let a principal grant itself more: on `*` they are admin in disguise.
const ESCALATION_ACTIONS: &[&str] = &[
    "iam:attachuserpolicy",
    "iam:attachgrouppolicy",
    "iam:attachrolepolicy",
    "iam:putuserpolicy",
    "iam:putgrouppolicy",
    "iam:putrolepolicy",
    "iam:createpolicyversion",
    "iam:setdefaultpolicyversion",
    "iam:updateassumerolepolicy",
    "iam:addusertogroup",
    "iam:createaccesskey",
    "iam:createloginprofile",
    "iam:updateloginprofile",
];

/// Services whose ARNs use their own prefix, so a resource of another service can
/// never be what their actions act on.
const SELF_ARN_SERVICES: &[&str] = &[
    "apigateway",
    "cloudformation",
    "cloudtrail",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "eks",
    "elasticache",
    "events",
    "glacier",
    "iam",
    "kms",
    "lambda",
    "logs",
    "rds",
    "redshift",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "states",
];

/// Lints a policy document of the given kind.
pub fn lint(text: &str, kind: PolicyKind) -> Vec<Finding> {
    match PolicyDocument::parse(text, kind) {
        Ok(document) => lint_document(text, kind, &document),
        Err(errors) => malformed(errors),
    }
}

/// The findings of a document already parsed from `text`, for callers that also need
/// the document (the console's summary), so it is parsed once.
pub fn lint_document(text: &str, kind: PolicyKind, document: &PolicyDocument) -> Vec<Finding> {
    let mut linter = Linter {
        text,
        kind,
        findings: Vec::new(),
    };
    linter.document(document);
    let mut findings = linter.findings;
    findings.sort_by_key(|f| (f.location.start, f.severity));
    findings
}

/// The reasons a document does not parse, as error findings.
pub fn malformed(errors: PolicyErrors) -> Vec<Finding> {
    errors
        .0
        .into_iter()
        .map(|e| Finding {
            severity: Severity::Error,
            code: "MALFORMED_POLICY",
            message: format!("{} {}", e.aws_message(), e.detail()),
            location: e.location,
        })
        .collect()
}

struct Linter<'a> {
    text: &'a str,
    kind: PolicyKind,
    findings: Vec<Finding>,
}

impl Linter<'_> {
    fn add(
        &mut self,
        severity: Severity,
        code: &'static str,
        message: String,
        pointer: &str,
        span: Span,
    ) {
        self.findings.push(Finding {
            severity,
            code,
            message,
            location: Location::new(self.text, pointer, span),
        });
    }

    fn document(&mut self, document: &PolicyDocument) {
        match document.version {
            None => self.add(
                Severity::Warning,
                "MISSING_VERSION",
                "Without \"Version\": \"2012-10-17\" the policy is read with the 2008 grammar: policy variables stay literal text. Add the Version element.".into(),
                "",
                Span::default(),
            ),
            Some(Version::V2008_10_17) => self.add(
                Severity::Suggestion,
                "OLD_VERSION",
                "Version 2008-10-17 does not support policy variables; use 2012-10-17.".into(),
                "/Version",
                Span::default(),
            ),
            Some(Version::V2012_10_17) => {}
        }
        let variables = document.substitutes_variables();
        for statement in &document.statements {
            self.statement(statement, variables);
        }
    }

    fn statement(&mut self, statement: &Statement, variables: bool) {
        let actions = &statement.actions;
        let resource_any = statement
            .resources
            .as_ref()
            .is_none_or(|r| !r.negated && r.items.iter().any(|i| i.value == "*"));
        let unconditional = statement.conditions.is_empty();
        let lowered: Vec<String> = actions
            .items
            .iter()
            .map(|a| a.value.to_ascii_lowercase())
            .collect();

        if statement.effect == Effect::Allow {
            self.security(statement, &lowered, resource_any, unconditional);
        }
        if self.kind == PolicyKind::Resource && statement.principal.is_none() {
            self.add(
                Severity::Warning,
                "NO_PRINCIPAL",
                "This statement names no `Principal`, so it applies to nobody (AWS stores it; the other statements still apply).".into(),
                &statement.pointer,
                statement.span,
            );
        }
        if actions.negated && actions.items.iter().any(|a| a.value == "*") {
            self.add(
                Severity::Warning,
                "NEVER_MATCHES",
                "NotAction \"*\" excludes every action, so this statement never applies.".into(),
                &actions.pointer,
                actions.span,
            );
        }
        if let Some(resources) = &statement.resources {
            if resources.negated && resources.items.iter().any(|r| r.value == "*") {
                self.add(
                    Severity::Warning,
                    "NEVER_MATCHES",
                    "NotResource \"*\" excludes every resource, so this statement never applies."
                        .into(),
                    &resources.pointer,
                    resources.span,
                );
            }
        }
        // Known actions of this statement, for key applicability.
        let mut known: Vec<(&Service, &ActionInfo)> = Vec::new();
        let mut all_known = !actions.negated;
        let mut seen: Vec<&str> = Vec::new();
        for (item, lower) in actions.items.iter().zip(&lowered) {
            if seen.contains(&lower.as_str()) {
                self.add(
                    Severity::Suggestion,
                    "REDUNDANT_ACTION",
                    format!(
                        "`{}` is listed more than once in this statement.",
                        item.value
                    ),
                    &item.pointer,
                    item.span,
                );
            }
            seen.push(lower);
            let Some((prefix, name)) = item.value.split_once(':') else {
                all_known = false;
                continue;
            };
            let name_ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_*?".contains(c));
            if !name_ok {
                // AWS stores it; no request's action looks like it.
                all_known = false;
                let fix = if name.contains(',') {
                    " List each action as its own string."
                } else {
                    ""
                };
                self.add(
                    Severity::Warning,
                    "INVALID_ACTION_NAME",
                    format!(
                        "`{}` is not an action name (letters, digits, `*` and `?` after the colon), so it matches no request.{fix}",
                        item.value
                    ),
                    &item.pointer,
                    item.span,
                );
                continue;
            }
            if prefix.contains(['*', '?']) {
                all_known = false;
                continue;
            }
            let Some(service) = catalog().service(prefix) else {
                all_known = false;
                self.add(
                    Severity::Warning,
                    "UNKNOWN_SERVICE",
                    format!("The service prefix `{prefix}` is not a known service, so `{}` matches no action.", item.value),
                    &item.pointer,
                    item.span,
                );
                continue;
            };
            let matching: Vec<&ActionInfo> = service.matching(name).collect();
            if matching.is_empty() {
                all_known = false;
                self.add(
                    Severity::Warning,
                    "UNKNOWN_ACTION",
                    format!(
                        "`{}` matches no action of {} ({prefix}).",
                        item.value, service.name
                    ),
                    &item.pointer,
                    item.span,
                );
            }
            known.extend(matching.into_iter().map(|a| (service, a)));
        }
        for condition in &statement.conditions {
            let key = &condition.key.value;
            if condition.values.is_empty() {
                self.add(
                    Severity::Warning,
                    "EMPTY_CONDITION_VALUES",
                    format!(
                        "`{key}` lists no values: {} never holds for it.",
                        condition.operator_name.value
                    ),
                    &condition.key.pointer,
                    condition.key.span,
                );
            }
            let Some((vendor, _)) = key.split_once(':') else {
                self.add(
                    Severity::Warning,
                    "CONDITION_KEY_WITHOUT_VENDOR",
                    format!("`{key}` has no service prefix (such as `aws:{key}`): no request carries it."),
                    &condition.key.pointer,
                    condition.key.span,
                );
                continue;
            };
            if vendor.eq_ignore_ascii_case("aws") || crate::catalog::is_global_key(key) {
                continue;
            }
            // Federation keys are named after the token, not a service: `saml:sub`
            // (listed for sts:AssumeRoleWithSAML) and an OpenID Connect provider's
            // `HOST:sub`, whose host has a dot no service prefix has.
            let federated =
                vendor.contains('.') || known.iter().any(|(s, a)| key_applies(s, a, key));
            if catalog().service(vendor).is_none() {
                if !federated {
                    self.add(
                        Severity::Warning,
                        "UNKNOWN_CONDITION_KEY",
                        format!(
                            "`{key}` belongs to no known service; it is never present in a request."
                        ),
                        &condition.key.pointer,
                        condition.key.span,
                    );
                }
                continue;
            }
            if all_known && !known.is_empty() && !known.iter().any(|(s, a)| key_applies(s, a, key))
            {
                self.add(
                    Severity::Warning,
                    "CONDITION_KEY_NOT_APPLICABLE",
                    format!("`{key}` is not a condition key of any action in this statement, so this condition never holds for them."),
                    &condition.key.pointer,
                    condition.key.span,
                );
            }
        }
        self.resource_mismatch(statement);
        self.conditions(statement, variables);
    }

    fn security(
        &mut self,
        statement: &Statement,
        lowered: &[String],
        resource_any: bool,
        unconditional: bool,
    ) {
        let actions = &statement.actions;
        if actions.negated {
            self.add(
                Severity::SecurityWarning,
                "ALLOW_WITH_NOT_ACTION",
                "Allow with NotAction grants every action not listed, including ones added to services later. List the actions to allow instead.".into(),
                &actions.pointer,
                actions.span,
            );
        }
        if let Some(resources) = &statement.resources {
            if resources.negated {
                self.add(
                    Severity::SecurityWarning,
                    "ALLOW_WITH_NOT_RESOURCE",
                    "Allow with NotResource grants every resource not listed, including future ones. List the resources to allow instead.".into(),
                    &resources.pointer,
                    resources.span,
                );
            }
        }
        let grants = |action: &str| -> bool {
            if actions.negated {
                return !lowered
                    .iter()
                    .any(|p| Pattern::wildcard(p).matches(action, &NoVariables));
            }
            lowered
                .iter()
                .any(|p| Pattern::wildcard(p).matches(action, &NoVariables))
        };
        if resource_any && grants("iam:passrole") {
            self.add(
                Severity::SecurityWarning,
                "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                "iam:PassRole on \"*\" lets the holder hand any role, including admin roles, to a service. Name the roles in Resource.".into(),
                &actions.pointer,
                actions.span,
            );
        }
        if resource_any && unconditional && !actions.negated {
            let full = lowered.iter().any(|a| a == "*" || a == "*:*");
            let iam_all = lowered.iter().any(|a| a == "iam:*");
            if full || iam_all {
                self.add(
                    Severity::SecurityWarning,
                    "ADMIN_EQUIVALENT",
                    if full {
                        "This statement grants every action on every resource: full administrator access.".into()
                    } else {
                        "iam:* on \"*\" can grant itself any permission: it is equivalent to administrator access.".into()
                    },
                    &actions.pointer,
                    actions.span,
                );
                return;
            }
            let escalations: Vec<&str> = ESCALATION_ACTIONS
                .iter()
                .copied()
                .filter(|a| grants(a))
                .collect();
            if !escalations.is_empty() {
                self.add(
                    Severity::SecurityWarning,
                    "PRIVILEGE_ESCALATION",
                    format!(
                        "Granting {} on \"*\" lets the holder give itself more permissions. Limit Resource to specific users, groups, roles or policies.",
                        escalations.join(", ")
                    ),
                    &actions.pointer,
                    actions.span,
                );
            }
        }
        if self.kind == PolicyKind::Resource && unconditional {
            if let Some(principal) = &statement.principal {
                let public = !principal.negated
                    && (principal.everyone
                        || principal.entries.iter().any(|(_, v)| v.value == "*"));
                if public {
                    self.add(
                        Severity::SecurityWarning,
                        "PUBLIC_ACCESS",
                        "Principal \"*\" without a condition grants access to anyone, including anonymous callers.".into(),
                        &principal.pointer,
                        principal.span,
                    );
                }
            }
        }
    }

    fn resource_mismatch(&mut self, statement: &Statement) {
        let Some(resources) = &statement.resources else {
            return;
        };
        if resources.negated || statement.actions.negated {
            return;
        }
        let mut services: Vec<String> = Vec::new();
        for item in &statement.actions.items {
            match item.value.split_once(':') {
                Some((prefix, _))
                    if SELF_ARN_SERVICES.contains(&prefix.to_ascii_lowercase().as_str()) =>
                {
                    services.push(prefix.to_ascii_lowercase())
                }
                Some((prefix, _)) if prefix.eq_ignore_ascii_case("sts") => {
                    services.push("sts".into());
                    services.push("iam".into());
                }
                _ => return,
            }
        }
        let mut mismatched = true;
        for item in &resources.items {
            match item.value.split(':').nth(2) {
                Some(service) if !service.contains(['*', '?']) && !service.contains("${") => {
                    if services.iter().any(|s| s.eq_ignore_ascii_case(service)) {
                        mismatched = false;
                    }
                }
                _ => mismatched = false,
            }
        }
        if mismatched {
            self.add(
                Severity::Warning,
                "RESOURCE_ACTION_MISMATCH",
                format!(
                    "No resource here belongs to the service of the actions ({}), so this statement never matches.",
                    services.join(", ")
                ),
                &resources.pointer,
                resources.span,
            );
        }
    }

    fn conditions(&mut self, statement: &Statement, variables: bool) {
        // Bounds on single-valued keys, to find ranges that are empty.
        let mut lower: Vec<(String, bool, f64, &str, Span)> = Vec::new();
        let mut upper: Vec<(String, bool, f64)> = Vec::new();
        let mut null_true: Vec<String> = Vec::new();
        let mut required: Vec<(String, String, Span)> = Vec::new();
        for condition in &statement.conditions {
            let values: Vec<String> = condition.values.iter().map(|v| v.value.clone()).collect();
            let compiled = CompiledCondition::compile(
                condition.operator,
                &condition.key.value,
                &values,
                variables,
            );
            for index in compiled.unreadable_values() {
                if let Some(value) = condition.values.get(index) {
                    self.add(
                        Severity::Warning,
                        "INVALID_CONDITION_VALUE",
                        format!(
                            "`{}` is not a valid value for {}, so it never matches.",
                            value.value, condition.operator_name.value
                        ),
                        &value.pointer,
                        value.span,
                    );
                }
            }
            let op = condition.operator;
            let key = condition.key.value.to_ascii_lowercase();
            if op.family == Family::Null {
                if values.iter().all(|v| v.eq_ignore_ascii_case("true")) {
                    null_true.push(key.clone());
                }
                continue;
            }
            if op.qualifier.is_some() || op.if_exists || op.negated {
                continue;
            }
            required.push((
                key.clone(),
                condition.operator_name.pointer.clone(),
                condition.key.span,
            ));
            let number = |v: &str| -> Option<f64> {
                match op.family {
                    Family::Numeric(_) => v.trim().parse::<f64>().ok(),
                    Family::Date(_) => parse_date_millis(v).map(|m| m as f64),
                    _ => None,
                }
            };
            // With several values AWS ORs them: the loosest bound counts.
            let bounds: Vec<f64> = values.iter().filter_map(|v| number(v)).collect();
            if bounds.len() != values.len() || bounds.is_empty() {
                continue;
            }
            let cmp = match op.family {
                Family::Numeric(c) | Family::Date(c) => c,
                _ => continue,
            };
            match cmp {
                Comparison::GreaterThan | Comparison::GreaterThanEquals => {
                    let strict = cmp == Comparison::GreaterThan;
                    let min = bounds.iter().copied().fold(f64::INFINITY, f64::min);
                    lower.push((key, strict, min, "", condition.key.span));
                }
                Comparison::LessThan | Comparison::LessThanEquals => {
                    let strict = cmp == Comparison::LessThan;
                    let max = bounds.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    upper.push((key, strict, max));
                }
                Comparison::Equals => {}
            }
        }
        let condition_pointer = pointer_child(&statement.pointer, "Condition");
        for (key, lower_strict, low, _, span) in &lower {
            for (other, upper_strict, high) in &upper {
                let empty = if *lower_strict || *upper_strict {
                    low >= high
                } else {
                    low > high
                };
                if key == other && empty {
                    self.add(
                        Severity::Warning,
                        "NEVER_MATCHES",
                        format!("The conditions on `{key}` ask for a value above one bound and below a smaller one: no request can satisfy both."),
                        &condition_pointer,
                        *span,
                    );
                }
            }
        }
        for (key, _, span) in &required {
            if null_true.contains(key) {
                self.add(
                    Severity::Warning,
                    "NEVER_MATCHES",
                    format!("`{key}` must be absent (Null: true) and also match a value: no request can satisfy both."),
                    &condition_pointer,
                    *span,
                );
            }
        }
    }
}

/// Whether a service key (possibly a template such as `s3:ExistingObjectTag/${TagKey}`)
/// applies to an action.
fn key_applies(service: &Service, action: &ActionInfo, key: &str) -> bool {
    service
        .keys_of(action)
        .any(|candidate| match candidate.find(['$', '<']) {
            Some(cut) => {
                let prefix = candidate.get(..cut).unwrap_or_default();
                key.len() > prefix.len()
                    && key
                        .get(..prefix.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
            }
            None => candidate.eq_ignore_ascii_case(key),
        })
}
