//! A readable summary of what a policy grants or denies, per service, in the manner of
//! AWS's policy summary: which access levels (full or limited), on which resources,
//! under which conditions.
//!
//! Built from the catalogue, so "Limited: Read" means the same actions here as in the
//! templates and in lint.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{catalog, AccessLevel, Service};
use crate::document::{Effect, PolicyDocument};
use crate::pattern::Pattern;
use crate::request::NoVariables;

/// How much of one access level of a service the policy covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelCoverage {
    pub level: AccessLevel,
    /// Actions of this level the policy names.
    pub covered: usize,
    /// Actions of this level the service has.
    pub total: usize,
}

/// One service under one effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary {
    pub effect: Effect,
    /// The service prefix (`s3`), or `*` for a `NotAction` statement.
    pub prefix: String,
    /// "Amazon S3", or "All services except IAM" for `NotAction`.
    pub name: String,
    /// Every action of the service.
    pub full: bool,
    /// Per access level, the levels the policy touches (empty for `NotAction`).
    pub levels: Vec<LevelCoverage>,
    /// Resource patterns, `*` for all; `NotResource` entries are prefixed "all except".
    pub resources: Vec<String>,
    /// Conditions as `operator key values`.
    pub conditions: Vec<String>,
}

impl ServiceSummary {
    /// "Full access", or "Limited: List, Read".
    pub fn access(&self) -> String {
        if self.full {
            return "Full access".into();
        }
        let levels: Vec<String> = self
            .levels
            .iter()
            .map(|l| {
                if l.covered == l.total {
                    format!("Full {}", l.level.as_str())
                } else {
                    format!("{} ({} of {})", l.level.as_str(), l.covered, l.total)
                }
            })
            .collect();
        if levels.is_empty() {
            "No known actions".into()
        } else {
            format!("Limited: {}", levels.join(", "))
        }
    }
}

/// The summary of a document.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PolicySummary {
    /// Allows first, then denies; services by name.
    pub services: Vec<ServiceSummary>,
    /// Actions naming no known service or action, which grant nothing.
    pub unrecognized: Vec<String>,
}

#[derive(Default)]
struct Gathered {
    actions: BTreeSet<usize>,
    all: bool,
    resources: BTreeSet<String>,
    conditions: BTreeSet<String>,
}

/// Summarizes a validated document.
pub fn summarize(document: &PolicyDocument) -> PolicySummary {
    let catalog = catalog();
    // (effect order, service prefix) → what the statements name.
    let mut gathered: BTreeMap<(u8, String), Gathered> = BTreeMap::new();
    let mut unrecognized = BTreeSet::new();
    for statement in &document.statements {
        let effect_order = match statement.effect {
            Effect::Allow => 0,
            Effect::Deny => 1,
        };
        let resources: Vec<String> = match &statement.resources {
            Some(clause) if clause.negated => clause
                .items
                .iter()
                .map(|r| format!("all except {}", r.value))
                .collect(),
            Some(clause) => clause.items.iter().map(|r| r.value.clone()).collect(),
            None => vec!["*".into()],
        };
        let conditions: Vec<String> = statement
            .conditions
            .iter()
            .map(|c| {
                let values: Vec<&str> = c.values.iter().map(|v| v.value.as_str()).collect();
                format!(
                    "{} {} {}",
                    c.operator_name.value,
                    c.key.value,
                    values.join(", ")
                )
            })
            .collect();
        let mut add = |prefix: String, f: &mut dyn FnMut(&mut Gathered)| {
            let entry = gathered.entry((effect_order, prefix)).or_default();
            f(entry);
            entry.resources.extend(resources.iter().cloned());
            entry.conditions.extend(conditions.iter().cloned());
        };
        if statement.actions.negated {
            let except: Vec<String> = statement
                .actions
                .items
                .iter()
                .map(|a| a.value.clone())
                .collect();
            add(format!("*:{}", except.join(", ")), &mut |g| g.all = true);
            continue;
        }
        for action in &statement.actions.items {
            let text = action.value.as_str();
            if text == "*" {
                for service in catalog.services() {
                    add(service.prefix.to_string(), &mut |g| g.all = true);
                }
                continue;
            }
            let Some((prefix, pattern)) = text.split_once(':') else {
                unrecognized.insert(text.to_string());
                continue;
            };
            let Some(service) = catalog.service(prefix) else {
                unrecognized.insert(text.to_string());
                continue;
            };
            let pattern = Pattern::wildcard(&pattern.to_ascii_lowercase());
            let indices: Vec<usize> = service
                .actions
                .iter()
                .enumerate()
                .filter(|(_, a)| pattern.matches(&a.name.to_ascii_lowercase(), &NoVariables))
                .map(|(i, _)| i)
                .collect();
            if indices.is_empty() {
                unrecognized.insert(text.to_string());
                continue;
            }
            add(service.prefix.to_string(), &mut |g| {
                g.actions.extend(indices.iter().copied())
            });
        }
    }
    let mut services: Vec<ServiceSummary> = gathered
        .into_iter()
        .map(|((order, key), g)| {
            let effect = if order == 0 {
                Effect::Allow
            } else {
                Effect::Deny
            };
            let resources: Vec<String> = g.resources.into_iter().collect();
            let conditions: Vec<String> = g.conditions.into_iter().collect();
            if let Some(except) = key.strip_prefix("*:") {
                return ServiceSummary {
                    effect,
                    prefix: "*".into(),
                    name: format!("All services except {except}"),
                    full: false,
                    levels: Vec::new(),
                    resources,
                    conditions,
                };
            }
            let service = catalog.service(&key);
            let name = service.map_or_else(|| key.clone(), |s| s.name.to_string());
            let levels = service
                .map(|s| coverage(s, &g.actions, g.all))
                .unwrap_or_default();
            let full = g.all || service.is_some_and(|s| g.actions.len() == s.actions.len());
            ServiceSummary {
                effect,
                prefix: key,
                name,
                full,
                levels,
                resources,
                conditions,
            }
        })
        .collect();
    services.sort_by(|a, b| {
        (a.effect == Effect::Deny, a.prefix == "*", &a.name).cmp(&(
            b.effect == Effect::Deny,
            b.prefix == "*",
            &b.name,
        ))
    });
    PolicySummary {
        services,
        unrecognized: unrecognized.into_iter().collect(),
    }
}

fn coverage(service: &Service, actions: &BTreeSet<usize>, all: bool) -> Vec<LevelCoverage> {
    let mut by_level: BTreeMap<AccessLevel, (usize, usize)> = BTreeMap::new();
    for (index, action) in service.actions.iter().enumerate() {
        let entry = by_level.entry(action.level).or_default();
        entry.1 += 1;
        if all || actions.contains(&index) {
            entry.0 += 1;
        }
    }
    by_level
        .into_iter()
        .filter(|(_, (covered, _))| *covered > 0)
        .map(|(level, (covered, total))| LevelCoverage {
            level,
            covered,
            total,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PolicyKind;

    fn summary(text: &str) -> PolicySummary {
        let document = PolicyDocument::parse(text, PolicyKind::Managed).unwrap();
        summarize(&document)
    }

    #[test]
    fn limited_read_on_one_bucket_with_a_condition() {
        let s = summary(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
                "Resource":"arn:aws:s3:::reports/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}"#,
        );
        assert_eq!(s.services.len(), 1);
        let s3 = &s.services[0];
        assert_eq!(s3.prefix, "s3");
        assert!(!s3.full);
        let levels: Vec<(AccessLevel, usize)> =
            s3.levels.iter().map(|l| (l.level, l.covered)).collect();
        assert_eq!(levels, vec![(AccessLevel::List, 1), (AccessLevel::Read, 1)]);
        assert!(s3.access().starts_with("Limited: List (1 of"));
        assert_eq!(s3.resources, vec!["arn:aws:s3:::reports/*"]);
        assert_eq!(s3.conditions, vec!["IpAddress aws:SourceIp 10.0.0.0/8"]);
    }

    #[test]
    fn service_wildcard_is_full_access_and_denies_come_last() {
        let s = summary(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Deny","Action":"ec2:TerminateInstances","Resource":"*"},
                {"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#,
        );
        assert_eq!(s.services.len(), 2);
        assert_eq!(s.services[0].effect, Effect::Allow);
        assert!(s.services[0].full, "{:?}", s.services[0]);
        assert_eq!(s.services[0].access(), "Full access");
        assert_eq!(s.services[1].effect, Effect::Deny);
        let total = s.services[1].levels[0].total;
        assert_eq!(
            s.services[1].access(),
            format!("Limited: Write (1 of {total})")
        );
    }

    #[test]
    fn not_action_and_unknown_actions() {
        let s = summary(
            r#"{"Version":"2012-10-17","Statement":[
                {"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"},
                {"Effect":"Allow","Action":["s3:MadeUpAction","nosuchservice:Get*"],"Resource":"*"}]}"#,
        );
        assert_eq!(s.services.len(), 1);
        assert_eq!(
            s.services[0].name,
            "All services except iam:*, organizations:*"
        );
        assert_eq!(
            s.unrecognized,
            vec![
                "nosuchservice:Get*".to_string(),
                "s3:MadeUpAction".to_string()
            ]
        );
    }
}
