//! The services and actions the engine knows, with access levels and condition keys.
//!
//! Generated from the AWS service authorization reference (see `catalog/`), compiled
//! into the binary and read once on first use, so lint, templates and the console's
//! policy summary agree on what `s3:GetObject` is.

use std::sync::OnceLock;

use crate::fasthash::FastMap;
use crate::pattern::Pattern;
use crate::request::NoVariables;

const SOURCE: &str = include_str!("../catalog/catalog.tsv");
/// Portcullis's own actions (account settings areas, ending sessions), in the same
/// format; kept apart so regenerating AWS's catalogue leaves them alone.
const OWN: &str = include_str!("../catalog/portcullis.tsv");

/// Portcullis's own keys that every request carries (like AWS's `aws:` keys): the
/// state of the budget of the caller's billing group.
pub const GLOBAL_KEYS: &[&str] = &["portcullis:BudgetStatus", "portcullis:BudgetUsedPercent"];

/// Whether a key is present on every request whatever the action.
pub fn is_global_key(key: &str) -> bool {
    key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:"))
        || GLOBAL_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key))
}

/// AWS's access levels, used by templates (ReadOnly = List + Read) and summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AccessLevel {
    List,
    Read,
    Write,
    PermissionsManagement,
    Tagging,
}

impl AccessLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessLevel::List => "List",
            AccessLevel::Read => "Read",
            AccessLevel::Write => "Write",
            AccessLevel::PermissionsManagement => "Permissions management",
            AccessLevel::Tagging => "Tagging",
        }
    }

    fn from_code(code: &str) -> Option<AccessLevel> {
        Some(match code {
            "L" => AccessLevel::List,
            "R" => AccessLevel::Read,
            "W" => AccessLevel::Write,
            "P" => AccessLevel::PermissionsManagement,
            "T" => AccessLevel::Tagging,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct ActionInfo {
    pub name: Box<str>,
    pub level: AccessLevel,
    /// Indices into the service's `condition_keys`.
    keys: Box<[u16]>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub prefix: Box<str>,
    pub name: Box<str>,
    /// Service-specific condition keys (global `aws:` keys apply to every action).
    pub condition_keys: Vec<Box<str>>,
    pub actions: Vec<ActionInfo>,
    by_lower_name: FastMap<Box<str>, usize>,
}

impl Service {
    pub fn action(&self, name: &str) -> Option<&ActionInfo> {
        let index = *self.by_lower_name.get(name.to_ascii_lowercase().as_str())?;
        self.actions.get(index)
    }

    /// Actions whose names match a wildcard pattern (case-insensitive).
    pub fn matching<'s>(&'s self, pattern: &str) -> impl Iterator<Item = &'s ActionInfo> + 's {
        let pattern = Pattern::wildcard(&pattern.to_ascii_lowercase());
        self.actions
            .iter()
            .filter(move |a| pattern.matches(&a.name.to_ascii_lowercase(), &NoVariables))
    }

    /// The condition keys that apply to an action.
    pub fn keys_of<'s>(&'s self, action: &'s ActionInfo) -> impl Iterator<Item = &'s str> + 's {
        action
            .keys
            .iter()
            .filter_map(|&i| self.condition_keys.get(usize::from(i)).map(|k| &**k))
    }
}

/// Every known service.
#[derive(Debug)]
pub struct Catalog {
    services: Vec<Service>,
    by_prefix: FastMap<Box<str>, usize>,
}

impl Catalog {
    pub fn service(&self, prefix: &str) -> Option<&Service> {
        let index = *self.by_prefix.get(prefix.to_ascii_lowercase().as_str())?;
        self.services.get(index)
    }

    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// Looks up `service:Action` exactly.
    pub fn action(&self, action: &str) -> Option<(&Service, &ActionInfo)> {
        let (prefix, name) = action.split_once(':')?;
        let service = self.service(prefix)?;
        Some((service, service.action(name)?))
    }

    fn parse(source: &str) -> Catalog {
        let mut services: Vec<Service> = Vec::new();
        for line in source.lines() {
            let mut fields = line.split('\t');
            match fields.next() {
                Some("S") => {
                    let prefix = fields.next().unwrap_or_default();
                    let name = fields.next().unwrap_or_default();
                    let keys = fields.next().unwrap_or_default();
                    services.push(Service {
                        prefix: prefix.into(),
                        name: name.into(),
                        condition_keys: keys
                            .split(',')
                            .filter(|k| !k.is_empty())
                            .map(Into::into)
                            .collect(),
                        actions: Vec::new(),
                        by_lower_name: FastMap::default(),
                    });
                }
                Some("A") => {
                    let Some(service) = services.last_mut() else {
                        continue;
                    };
                    let name = fields.next().unwrap_or_default();
                    let Some(level) = AccessLevel::from_code(fields.next().unwrap_or_default())
                    else {
                        continue;
                    };
                    let keys = fields
                        .next()
                        .unwrap_or_default()
                        .split(',')
                        .filter_map(|k| k.parse().ok())
                        .collect();
                    service
                        .by_lower_name
                        .insert(name.to_ascii_lowercase().into(), service.actions.len());
                    service.actions.push(ActionInfo {
                        name: name.into(),
                        level,
                        keys,
                    });
                }
                _ => {}
            }
        }
        let by_prefix = services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.prefix.clone(), i))
            .collect();
        Catalog {
            services,
            by_prefix,
        }
    }
}

/// The catalogue, parsed on first use.
pub fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::parse(&format!("{SOURCE}{OWN}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_common_actions() {
        let (service, action) = catalog().action("s3:getobject").unwrap();
        assert_eq!(&*action.name, "GetObject");
        assert_eq!(action.level, AccessLevel::Read);
        assert!(service
            .keys_of(action)
            .any(|k| k == "s3:ExistingObjectTag/<key>"));
        assert_eq!(
            catalog().action("iam:CreateUser").unwrap().1.level,
            AccessLevel::Write
        );
        assert!(
            catalog().action("iam:AttachUserPolicy").unwrap().1.level
                == AccessLevel::PermissionsManagement
        );
        assert!(catalog().service("billing").is_some());
        assert!(catalog().action("s3:NoSuchThing").is_none());
        assert_eq!(
            catalog()
                .action("portcullis:UpdateSessionPolicy")
                .unwrap()
                .1
                .level,
            AccessLevel::Write
        );
        assert!(catalog().service("s3").unwrap().matching("Get*").count() > 10);
    }
}
