//! Allocation rules: every cost belongs to a group, or is visibly Unallocated.
//!
//! Rules are ordered and the first that matches wins, like AWS Cost Categories. They
//! match on what the bill says about a cost (tags, sub-account, service, region,
//! resource, charge category, the principal that created the resource) and place it
//! in one group or split it among several. Placement is a pure function of the rules
//! and a [`CostKey`] (the dimensions rules can see), so the store applies it to each
//! distinct key once, not to every line item.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::item::{normalise_tag_key, tag_value_text, LineItem};

/// A whole rule set as the console edits it and as it is exported and imported.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    pub when: Matcher,
    pub then: Target,
}

/// What a rule looks at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "snake_case", deny_unknown_fields)]
pub enum Matcher {
    Tag {
        key: String,
        test: ValueTest,
    },
    SubAccount {
        test: ValueTest,
    },
    Service {
        test: ValueTest,
    },
    Region {
        test: ValueTest,
    },
    /// A resource id or ARN.
    Resource {
        test: ValueTest,
    },
    ChargeCategory {
        test: ValueTest,
    },
    /// Costs whose `aws:createdBy` tag names a user of this account who has a
    /// billing group.
    Creator,
    /// Every cost that reached this rule: a catch-all, usually a shared split last.
    Any,
}

/// How a value is compared: trimmed and ignoring case, as exports spell the same
/// thing several ways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ValueTest {
    Equals(String),
    Prefix(String),
    OneOf(Vec<String>),
}

impl ValueTest {
    pub fn matches(&self, value: &str) -> bool {
        let value = value.trim();
        match self {
            ValueTest::Equals(v) => value.eq_ignore_ascii_case(v.trim()),
            ValueTest::Prefix(p) => {
                let p = p.trim();
                value.len() >= p.len()
                    && value
                        .get(..p.len())
                        .is_some_and(|head| head.eq_ignore_ascii_case(p))
            }
            ValueTest::OneOf(vs) => vs.iter().any(|v| value.eq_ignore_ascii_case(v.trim())),
        }
    }
}

/// Where a matched cost goes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case", deny_unknown_fields)]
pub enum Target {
    Group {
        group: String,
    },
    /// The billing group of the user named by `aws:createdBy`.
    CreatorsGroup,
    Split(Split),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Split {
    pub groups: Vec<String>,
    pub method: SplitMethod,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SplitMethod {
    Even,
    /// In proportion to each group's directly allocated spend.
    Proportional,
    /// Fixed percentages, one per group, adding up to exactly 100.
    Percentages(Vec<String>),
}

/// Why a rule set cannot be saved; names the rule and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("rule {position}: give the rule a name")]
    NoName { position: usize },
    #[error("rule {position} ({name}): another rule is already called that")]
    DuplicateName { position: usize, name: String },
    #[error("rule {position} ({name}): the tag key is empty")]
    EmptyTagKey { position: usize, name: String },
    #[error("rule {position} ({name}): the value to match is empty")]
    EmptyValue { position: usize, name: String },
    #[error("rule {position} ({name}): there is no group named {group}")]
    NoSuchGroup {
        position: usize,
        name: String,
        group: String,
    },
    #[error("rule {position} ({name}): a split needs at least two different groups")]
    SplitTooSmall { position: usize, name: String },
    #[error("rule {position} ({name}): give one percentage per group ({groups} groups, {given} percentages)")]
    PercentageCount {
        position: usize,
        name: String,
        groups: usize,
        given: usize,
    },
    #[error("rule {position} ({name}): {value:?} is not a percentage between 0 and 100 with at most 6 decimals")]
    BadPercentage {
        position: usize,
        name: String,
        value: String,
    },
    #[error("rule {position} ({name}): the percentages add up to {sum}, not 100")]
    PercentagesNot100 {
        position: usize,
        name: String,
        sum: String,
    },
    #[error("rule {position} ({name}): \"creator's group\" only follows a creator match")]
    CreatorTargetWithoutCreator { position: usize, name: String },
    #[error("the rules are not valid JSON for a rule set: {0}")]
    Json(String),
}

impl ValueTest {
    fn describe(&self) -> String {
        match self {
            ValueTest::Equals(v) => format!("is \"{v}\""),
            ValueTest::Prefix(p) => format!("starts with \"{p}\""),
            ValueTest::OneOf(vs) => format!("is one of {}", quoted(vs)),
        }
    }
}

fn quoted(values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!("\"{v}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Matcher {
    /// The condition in words, for people reading a rule list.
    pub fn describe(&self) -> String {
        match self {
            Matcher::Tag { key, test } => format!("tag {key} {}", test.describe()),
            Matcher::SubAccount { test } => format!("sub-account {}", test.describe()),
            Matcher::Service { test } => format!("service {}", test.describe()),
            Matcher::Region { test } => format!("region {}", test.describe()),
            Matcher::Resource { test } => format!("resource {}", test.describe()),
            Matcher::ChargeCategory { test } => format!("charge category {}", test.describe()),
            Matcher::Creator => "created by a user of this account".into(),
            Matcher::Any => "any cost that reaches this rule".into(),
        }
    }
}

impl Target {
    /// Where the cost goes, in words.
    pub fn describe(&self) -> String {
        match self {
            Target::Group { group } => format!("group {group}"),
            Target::CreatorsGroup => "the creator's billing group".into(),
            Target::Split(split) => {
                let how = match &split.method {
                    SplitMethod::Even => "evenly".to_string(),
                    SplitMethod::Proportional => "in proportion to direct spend".to_string(),
                    SplitMethod::Percentages(p) => format!(
                        "by {}",
                        p.iter()
                            .map(|v| format!("{v} %"))
                            .collect::<Vec<_>>()
                            .join(" / ")
                    ),
                };
                format!("split {how} among {}", split.groups.join(", "))
            }
        }
    }

    /// Whether costs can land in the named group (names compare without case). A
    /// creator's-group rule can reach any group.
    pub fn may_reach(&self, group: &str) -> bool {
        match self {
            Target::Group { group: g } => g.eq_ignore_ascii_case(group),
            Target::CreatorsGroup => true,
            Target::Split(split) => split.groups.iter().any(|g| g.eq_ignore_ascii_case(group)),
        }
    }
}

impl Rule {
    /// "When …, to …".
    pub fn describe(&self) -> String {
        format!("When {}, to {}", self.when.describe(), self.then.describe())
    }
}

impl RuleSet {
    pub fn from_json(text: &str) -> Result<RuleSet, RulesError> {
        serde_json::from_str(text).map_err(|e| RulesError::Json(e.to_string()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks every rule; `group_exists` answers for group names (case-insensitive,
    /// as group names are).
    pub fn validate(&self, group_exists: impl Fn(&str) -> bool) -> Result<(), RulesError> {
        let mut seen: Vec<String> = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            let position = index + 1;
            let name = rule.name.trim().to_string();
            if name.is_empty() {
                return Err(RulesError::NoName { position });
            }
            if seen.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                return Err(RulesError::DuplicateName { position, name });
            }
            seen.push(name.clone());
            let test = match &rule.when {
                Matcher::Tag { key, test } => {
                    if key.trim().is_empty() {
                        return Err(RulesError::EmptyTagKey { position, name });
                    }
                    Some(test)
                }
                Matcher::SubAccount { test }
                | Matcher::Service { test }
                | Matcher::Region { test }
                | Matcher::Resource { test }
                | Matcher::ChargeCategory { test } => Some(test),
                Matcher::Creator | Matcher::Any => None,
            };
            let empty = match test {
                Some(ValueTest::Equals(v)) | Some(ValueTest::Prefix(v)) => v.trim().is_empty(),
                Some(ValueTest::OneOf(vs)) => vs.iter().all(|v| v.trim().is_empty()),
                None => false,
            };
            if empty {
                return Err(RulesError::EmptyValue { position, name });
            }
            match &rule.then {
                Target::Group { group } => {
                    if !group_exists(group) {
                        return Err(RulesError::NoSuchGroup {
                            position,
                            name,
                            group: group.clone(),
                        });
                    }
                }
                Target::CreatorsGroup => {
                    if rule.when != Matcher::Creator {
                        return Err(RulesError::CreatorTargetWithoutCreator { position, name });
                    }
                }
                Target::Split(split) => {
                    let mut distinct: Vec<String> = Vec::new();
                    for group in &split.groups {
                        if !group_exists(group) {
                            return Err(RulesError::NoSuchGroup {
                                position,
                                name,
                                group: group.clone(),
                            });
                        }
                        if !distinct.iter().any(|g| g.eq_ignore_ascii_case(group)) {
                            distinct.push(group.clone());
                        }
                    }
                    if distinct.len() < 2 || distinct.len() != split.groups.len() {
                        return Err(RulesError::SplitTooSmall { position, name });
                    }
                    if let SplitMethod::Percentages(given) = &split.method {
                        if given.len() != split.groups.len() {
                            return Err(RulesError::PercentageCount {
                                position,
                                name,
                                groups: split.groups.len(),
                                given: given.len(),
                            });
                        }
                        let mut sum: i64 = 0;
                        for value in given {
                            match micro_percent(value) {
                                Some(p) => sum += p,
                                None => {
                                    return Err(RulesError::BadPercentage {
                                        position,
                                        name,
                                        value: value.clone(),
                                    })
                                }
                            }
                        }
                        if sum != 100 * MICRO {
                            return Err(RulesError::PercentagesNot100 {
                                position,
                                name,
                                sum: format_micro(sum),
                            });
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The first rule that places this cost, or `None` (Unallocated).
    /// `creators_group` names the billing group of a user named by `aws:createdBy`.
    pub fn place(
        &self,
        key: &CostKey,
        creators_group: impl Fn(&str) -> Option<String>,
    ) -> Option<Placement> {
        for (index, rule) in self.rules.iter().enumerate() {
            let hit = match &rule.when {
                Matcher::Tag { key: wanted, test } => {
                    let wanted = normalise_tag_key(wanted);
                    key.tags.iter().any(|(k, v)| {
                        normalise_tag_key(k) == wanted && test.matches(&tag_value_text(v))
                    })
                }
                Matcher::SubAccount { test } => test.matches(&key.sub_account_id),
                Matcher::Service { test } => test.matches(&key.service_name),
                Matcher::Region { test } => test.matches(&key.region_id),
                Matcher::Resource { test } => {
                    !key.resource_id.is_empty() && test.matches(&key.resource_id)
                }
                Matcher::ChargeCategory { test } => test.matches(&key.charge_category),
                Matcher::Creator => key
                    .created_by
                    .as_deref()
                    .and_then(creator_user_name)
                    .and_then(&creators_group)
                    .is_some(),
                Matcher::Any => true,
            };
            if !hit {
                continue;
            }
            let to = match &rule.then {
                Target::Group { group } => To::Group(group.clone()),
                Target::CreatorsGroup => {
                    match key
                        .created_by
                        .as_deref()
                        .and_then(creator_user_name)
                        .and_then(&creators_group)
                    {
                        Some(group) => To::Group(group),
                        None => continue,
                    }
                }
                Target::Split(split) => To::Split(split.clone()),
            };
            return Some(Placement { rule: index, to });
        }
        None
    }
}

/// Where a rule put a cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Index of the rule in the set.
    pub rule: usize,
    pub to: To,
}

#[derive(Debug, Clone, PartialEq)]
pub enum To {
    Group(String),
    Split(Split),
}

/// The user an `aws:createdBy` value names, when it names an IAM user
/// (`IAMUser:AIDA…:alice`); roles and root are not users with billing groups.
pub fn creator_user_name(created_by: &str) -> Option<&str> {
    let mut parts = created_by.trim().splitn(3, ':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(kind), Some(_id), Some(name))
            if kind.eq_ignore_ascii_case("IAMUser") && !name.is_empty() =>
        {
            Some(name)
        }
        _ => None,
    }
}

/// The dimensions of a cost that rules can see. Line items sharing all of them are
/// placed alike, so placement runs once per key.
#[derive(Debug, Clone, PartialEq)]
pub struct CostKey {
    pub billing_account_id: String,
    pub sub_account_id: String,
    pub provider: String,
    pub service_name: String,
    pub region_id: String,
    pub availability_zone: String,
    pub resource_id: String,
    pub charge_category: String,
    pub currency: String,
    /// Tags as written, serialised as a JSON object with sorted keys.
    pub tags: BTreeMap<String, serde_json::Value>,
    pub created_by: Option<String>,
}

impl CostKey {
    /// A stable 64-bit identity (FNV-1a over the fields), the same in every process
    /// and version, so the store can key rollups and placements by it.
    pub fn id(&self) -> i64 {
        let tags = serde_json::to_string(&self.tags).unwrap_or_default();
        key_hash([
            self.billing_account_id.as_str(),
            &self.sub_account_id,
            &self.provider,
            &self.service_name,
            &self.region_id,
            &self.availability_zone,
            &self.resource_id,
            &self.charge_category,
            &self.currency,
            &tags,
        ])
    }

    /// [`CostKey::id`] of an item's key without building the key (the import's hot
    /// path); `tags_json` is [`LineItem::tags_json`].
    pub fn id_of(item: &LineItem, tags_json: &str) -> i64 {
        key_hash(CostKey::fields_of(item, tags_json))
    }

    /// An item's key fields in the order [`CostKey::id`] hashes them (and the store
    /// keeps them): account, sub-account, provider, service, region, zone, resource,
    /// charge category, currency, tags.
    pub fn fields_of<'a>(item: &'a LineItem, tags_json: &'a str) -> [&'a str; 10] {
        [
            item.billing_account_id.as_str(),
            &item.sub_account_id,
            &item.provider,
            &item.service_name,
            &item.region_id,
            &item.availability_zone,
            &item.resource_id,
            &item.charge_category,
            &item.currency,
            tags_json,
        ]
    }
}

/// FNV-1a over the fields, each ended by a unit separator.
fn key_hash(fields: [&str; 10]) -> i64 {
    let mut text = Vec::new();
    key_text(fields, &mut text);
    fnv1a(&text)
}

/// The bytes [`key_hash`] hashes: every field, each ended by a unit separator.
fn key_text(fields: [&str; 10], text: &mut Vec<u8>) {
    for field in fields {
        text.extend_from_slice(field.as_bytes());
        text.push(0x1f);
    }
}

fn fnv1a(bytes: &[u8]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The import's [`CostKey::id_of`], remembered per key: FNV-1a takes a byte at a
/// time (a tenth of the import's encoding thread), while the rows of one key repeat
/// it tens of times. The memory is keyed by the standard library's SipHash of the
/// key's bytes, which takes eight bytes a step and is seeded per process, so a file
/// cannot be crafted to make two keys meet; by chance two keys meet as rarely as
/// two share an FNV id, which the ids accept already. 16 bytes a key, at most
/// [`KEY_IDS_HELD`] keys: past that the memory starts over.
#[derive(Debug)]
pub struct KeyIds {
    text: Vec<u8>,
    seeded: std::collections::hash_map::RandomState,
    /// The SipHash is the key here: a plain Fx hash of it suffices.
    ids: rustc_hash::FxHashMap<u64, i64>,
    held: usize,
}

/// Keys a [`KeyIds`] remembers at most (16 MiB).
pub const KEY_IDS_HELD: usize = 1 << 20;

impl Default for KeyIds {
    fn default() -> KeyIds {
        KeyIds::holding(KEY_IDS_HELD)
    }
}

impl KeyIds {
    /// Remembers at most `held` keys.
    pub fn holding(held: usize) -> KeyIds {
        KeyIds {
            text: Vec::with_capacity(512),
            seeded: Default::default(),
            ids: Default::default(),
            held,
        }
    }

    /// [`CostKey::id_of`], the same id always.
    pub fn id_of(&mut self, item: &LineItem, tags_json: &str) -> i64 {
        self.text.clear();
        key_text(CostKey::fields_of(item, tags_json), &mut self.text);
        let seen = std::hash::BuildHasher::hash_one(&self.seeded, self.text.as_slice());
        if let Some(id) = self.ids.get(&seen) {
            return *id;
        }
        if self.ids.len() >= self.held {
            self.ids.clear();
        }
        let id = fnv1a(&self.text);
        self.ids.insert(seen, id);
        id
    }
}

const MICRO: i64 = 1_000_000;

/// A percentage as millionths of a percent, exactly.
fn micro_percent(text: &str) -> Option<i64> {
    let text = text.trim().trim_end_matches('%').trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || whole.len() > 3 || fraction.len() > 6 {
        return None;
    }
    if !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let padded: String = fraction
        .chars()
        .chain(std::iter::repeat('0'))
        .take(6)
        .collect();
    let fraction: i64 = padded.parse().ok()?;
    let value = whole * MICRO + fraction;
    (value <= 100 * MICRO).then_some(value)
}

fn format_micro(value: i64) -> String {
    let text = format!("{}.{:06}", value / MICRO, value % MICRO);
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A fraction of a cost, in units of 10⁻¹²; the shares of one cost add up to
/// exactly [`Share::WHOLE`], so allocated plus Unallocated is always the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Share(pub i64);

impl Share {
    pub const WHOLE: Share = Share(1_000_000_000_000);

    /// As `NUMERIC` text.
    pub fn to_decimal(self) -> String {
        let whole = self.0 / Share::WHOLE.0;
        let fraction = self.0 % Share::WHOLE.0;
        format!("{whole}.{fraction:012}")
    }
}

/// How a placed cost divides among groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Allocation {
    pub rule: usize,
    pub shares: Vec<(String, Share)>,
}

impl Split {
    /// The split's shares; `direct` is each group's directly allocated spend (for
    /// proportional splits; nothing or nothing positive means even).
    pub fn shares(&self, direct: impl Fn(&str) -> f64) -> Vec<(String, Share)> {
        let weights: Vec<f64> = match &self.method {
            SplitMethod::Even => vec![1.0; self.groups.len()],
            SplitMethod::Percentages(ps) => ps
                .iter()
                .map(|p| micro_percent(p).unwrap_or(0) as f64)
                .collect(),
            SplitMethod::Proportional => {
                let w: Vec<f64> = self.groups.iter().map(|g| direct(g).max(0.0)).collect();
                if w.iter().sum::<f64>() > 0.0 {
                    w
                } else {
                    vec![1.0; self.groups.len()]
                }
            }
        };
        let total: f64 = weights.iter().sum();
        let mut shares = Vec::with_capacity(self.groups.len());
        let mut given: i64 = 0;
        for (index, (group, weight)) in self.groups.iter().zip(&weights).enumerate() {
            let share = if index + 1 == self.groups.len() {
                Share::WHOLE.0 - given
            } else if let SplitMethod::Percentages(ps) = &self.method {
                // Exact: millionths of a percent are 10⁻⁸, a whole number of units.
                micro_percent(ps.get(index).map(String::as_str).unwrap_or("0")).unwrap_or(0)
                    * 10_000
            } else {
                ((weight / total) * Share::WHOLE.0 as f64).floor() as i64
            };
            given += share;
            shares.push((group.clone(), Share(share)));
        }
        shares
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(tags: &[(&str, &str)]) -> CostKey {
        CostKey {
            billing_account_id: "1".into(),
            sub_account_id: "222".into(),
            provider: "AWS".into(),
            service_name: "Amazon EC2".into(),
            region_id: "us-east-1".into(),
            availability_zone: String::new(),
            resource_id: "arn:aws:ec2:us-east-1:222:instance/i-1".into(),
            charge_category: "Usage".into(),
            currency: "USD".into(),
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
                .collect(),
            created_by: None,
        }
    }

    fn rules(json: &str) -> RuleSet {
        RuleSet::from_json(json).unwrap()
    }

    #[test]
    fn remembered_key_ids_are_the_fnv_ids() {
        let plan = crate::generate::Plan {
            rows: 3_000,
            months: 2,
            start: time::macros::date!(2026 - 10 - 01),
            seed: 11,
            format: crate::Format::Focus,
            creators: vec!["alice".into()],
        };
        let mut file = Vec::new();
        crate::generate::write(&plan, &mut file).unwrap();
        let mut reader = crate::Reader::open(
            Box::new(std::io::Cursor::new(file)),
            "k.csv",
            crate::FormatChoice::Auto,
            10_000,
        )
        .unwrap();
        // One memory that starts over many times, one that holds every key.
        let (mut small, mut large) = (KeyIds::holding(40), KeyIds::default());
        let mut keys = std::collections::HashSet::new();
        while let Some(item) = reader.next_item().unwrap() {
            let item = item.unwrap();
            let tags = item.tags_json();
            let id = CostKey::id_of(&item, tags);
            assert_eq!(small.id_of(&item, tags), id);
            assert_eq!(large.id_of(&item, tags), id);
            keys.insert(id);
        }
        assert!(keys.len() > 40, "{} keys", keys.len());
        // The ids are the persisted ones: FNV-1a of the fields, as computed apart.
        assert_eq!(key(&[("team", "web")]).id(), 0x77c2_5465_4d2b_f2e4);
    }

    #[test]
    fn first_match_wins_and_tags_match_loosely() {
        let set = rules(
            r#"{"rules":[
            {"name":"vienna","when":{"on":"tag","key":"business_unit","test":{"equals":"ViennaAI"}},"then":{"to":"group","group":"Vienna"}},
            {"name":"ec2","when":{"on":"service","test":{"prefix":"amazon"}},"then":{"to":"group","group":"Compute"}}
        ]}"#,
        );
        let placed = set
            .place(&key(&[(" Business_Unit", " viennaai ")]), |_| None)
            .unwrap();
        assert_eq!((placed.rule, placed.to), (0, To::Group("Vienna".into())));
        let placed = set
            .place(&key(&[("business_unit", "Other")]), |_| None)
            .unwrap();
        assert_eq!(placed.rule, 1);
        let mut other = key(&[]);
        other.service_name = "Azure".into();
        assert_eq!(set.place(&other, |_| None), None);
    }

    #[test]
    fn creator_goes_to_their_billing_group_or_falls_through() {
        let set = rules(
            r#"{"rules":[
            {"name":"creators","when":{"on":"creator"},"then":{"to":"creators_group"}},
            {"name":"rest","when":{"on":"any"},"then":{"to":"group","group":"Shared"}}
        ]}"#,
        );
        let mut k = key(&[]);
        k.created_by = Some("IAMUser:AIDAX:alice".into());
        let group = |user: &str| (user == "alice").then(|| "Web".to_string());
        assert_eq!(set.place(&k, group).unwrap().to, To::Group("Web".into()));
        k.created_by = Some("IAMUser:AIDAY:bob".into());
        assert_eq!(set.place(&k, group).unwrap().rule, 1);
        k.created_by = Some("AssumedRole:AROA:s".into());
        assert_eq!(set.place(&k, group).unwrap().rule, 1);
    }

    #[test]
    fn validation_names_the_rule_and_the_fix() {
        let exists = |g: &str| ["a", "b"].contains(&g.to_ascii_lowercase().as_str());
        let bad = rules(
            r#"{"rules":[{"name":"x","when":{"on":"any"},"then":{"to":"split","groups":["a","b"],"method":{"percentages":["50","40"]}}}]}"#,
        );
        assert_eq!(
            bad.validate(exists).unwrap_err().to_string(),
            "rule 1 (x): the percentages add up to 90, not 100"
        );
        let bad = rules(
            r#"{"rules":[{"name":"x","when":{"on":"any"},"then":{"to":"group","group":"c"}}]}"#,
        );
        assert!(matches!(
            bad.validate(exists),
            Err(RulesError::NoSuchGroup { .. })
        ));
        let bad = rules(
            r#"{"rules":[{"name":"x","when":{"on":"any"},"then":{"to":"split","groups":["a","A"],"method":"even"}}]}"#,
        );
        assert!(matches!(
            bad.validate(exists),
            Err(RulesError::SplitTooSmall { .. })
        ));
        assert!(matches!(
            RuleSet::from_json(r#"{"rules":[{"name":"x"}]}"#),
            Err(RulesError::Json(_))
        ));
        let good = rules(
            r#"{"rules":[{"name":"x","when":{"on":"any"},"then":{"to":"split","groups":["a","b"],"method":{"percentages":["33.333333","66.666667"]}}}]}"#,
        );
        assert_eq!(good.validate(exists), Ok(()));
    }

    #[test]
    fn shares_add_up_to_exactly_one() {
        for n in 2..9 {
            let split = Split {
                groups: (0..n).map(|i| format!("g{i}")).collect(),
                method: SplitMethod::Even,
            };
            let total: i64 = split.shares(|_| 0.0).iter().map(|(_, s)| s.0).sum();
            assert_eq!(total, Share::WHOLE.0);
        }
        let split = Split {
            groups: vec!["a".into(), "b".into()],
            method: SplitMethod::Proportional,
        };
        let shares = split.shares(|g| if g == "a" { 3.0 } else { 1.0 });
        assert_eq!(shares[0].1, Share(750_000_000_000));
        assert_eq!(shares[1].1, Share(250_000_000_000));
        assert_eq!(Share(250_000_000_000).to_decimal(), "0.250000000000");
        assert_eq!(Share::WHOLE.to_decimal(), "1.000000000000");
    }

    #[test]
    fn key_ids_are_stable() {
        let a = key(&[("team", "x")]);
        assert_eq!(a.id(), a.clone().id());
        assert_ne!(a.id(), key(&[("team", "y")]).id());
    }
}
