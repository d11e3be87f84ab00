//! Tags on IAM entities (users, roles, customer policies) under AWS's rules: keys of
//! 1–128 and values of 0–256 characters from `[\p{L}\p{Z}\p{N}_.:/=+\-@]`, no
//! `aws:` prefix, at most 50 per entity, and keys unique regardless of case (a key
//! written in another case replaces the tag instead of adding a second one, so a
//! condition on `aws:ResourceTag/Team` can never see two answers).

use std::collections::BTreeMap;

/// A tag panel: the entity's tags and the changes the viewer may not make.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TagsView {
    pub tags: Vec<(String, String)>,
    /// `iam:Tag…`/`iam:Untag…` the viewer would be refused, with the reason.
    pub refusals: crate::Refusals,
    /// The entity cannot carry tags (an AWS-managed policy): why.
    pub untaggable: Option<String>,
}

/// AWS's quota of tags per IAM entity.
pub const MAX_TAGS: usize = 50;

/// The pattern AWS quotes in its validation errors for keys (values: `*`).
pub const KEY_PATTERN: &str = "[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+";

/// Why a set of tags was refused, in AWS's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagError {
    KeyLength(String),
    KeyCharacters(String),
    ValueLength(String),
    ValueCharacters(String),
    Reserved(String),
    /// Two keys in one request that differ only in case.
    Duplicate(String),
    /// More than [`MAX_TAGS`] on the entity after the change.
    TooMany,
}

impl std::fmt::Display for TagError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TagError::KeyLength(k) => write!(f, "Tag key \"{k}\" must have 1 to 128 characters."),
            TagError::KeyCharacters(k) => write!(
                f,
                "Tag key \"{k}\" may only hold letters, digits, spaces and _ . : / = + - @."
            ),
            TagError::ValueLength(v) => {
                write!(f, "Tag value \"{v}\" must have at most 256 characters.")
            }
            TagError::ValueCharacters(v) => write!(
                f,
                "Tag value \"{v}\" may only hold letters, digits, spaces and _ . : / = + - @."
            ),
            TagError::Reserved(k) => write!(
                f,
                "Tag key \"{k}\": keys starting with aws: are reserved for AWS use."
            ),
            TagError::Duplicate(_) => f.write_str(
                "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
            ),
            TagError::TooMany => f.write_str("The number of tags has reached the maximum limit."),
        }
    }
}

impl std::error::Error for TagError {}

/// Whether `c` is one of the characters AWS allows in tags.
fn allowed(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

/// One tag's key and value under AWS's rules.
pub fn check(key: &str, value: &str) -> Result<(), TagError> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err(TagError::KeyLength(key.into()));
    }
    if !key.chars().all(allowed) {
        return Err(TagError::KeyCharacters(key.into()));
    }
    if key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("aws:")) {
        return Err(TagError::Reserved(key.into()));
    }
    if value.chars().count() > 256 {
        return Err(TagError::ValueLength(value.into()));
    }
    if !value.chars().all(allowed) {
        return Err(TagError::ValueCharacters(value.into()));
    }
    Ok(())
}

/// A request's tags, each checked, with no two keys equal regardless of case.
pub fn check_all(tags: &[(String, String)]) -> Result<(), TagError> {
    let mut seen = std::collections::HashSet::new();
    for (key, value) in tags {
        check(key, value)?;
        if !seen.insert(key.to_lowercase()) {
            return Err(TagError::Duplicate(key.clone()));
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(TagError::TooMany);
    }
    Ok(())
}

/// `existing` with `added` set (a key in another case replaces the old tag) and
/// `removed` keys gone (in any case), within [`MAX_TAGS`].
pub fn change(
    existing: &BTreeMap<String, String>,
    added: &[(String, String)],
    removed: &[String],
) -> Result<BTreeMap<String, String>, TagError> {
    check_all(added)?;
    let mut tags: BTreeMap<String, String> = existing
        .iter()
        .filter(|(k, _)| {
            !removed.iter().any(|r| r.to_lowercase() == k.to_lowercase())
                && !added
                    .iter()
                    .any(|(a, _)| a.to_lowercase() == k.to_lowercase())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    tags.extend(added.iter().cloned());
    if tags.len() > MAX_TAGS {
        return Err(TagError::TooMany);
    }
    Ok(tags)
}

/// Tags written one `key=value` per line, as the console's forms take them.
pub fn parse_lines(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut tags = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("Line {}: write each tag as key=value.", i + 1));
        };
        tags.push((key.trim().to_string(), value.trim().to_string()));
    }
    check_all(&tags).map_err(|e| e.to_string())?;
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_key_in_another_case_replaces_the_tag() {
        let tags = change(&map(&[("Team", "red")]), &pairs(&[("team", "blue")]), &[]).unwrap();
        assert_eq!(tags, map(&[("team", "blue")]));
    }

    #[test]
    fn removal_ignores_case() {
        let tags = change(
            &map(&[("Team", "red"), ("Env", "x")]),
            &[],
            &["TEAM".into()],
        )
        .unwrap();
        assert_eq!(tags, map(&[("Env", "x")]));
    }

    #[test]
    fn duplicates_in_one_request_are_refused() {
        assert_eq!(
            check_all(&pairs(&[("Team", "a"), ("TEAM", "b")])),
            Err(TagError::Duplicate("TEAM".into()))
        );
    }

    #[test]
    fn aws_rules_on_characters_length_and_prefix() {
        assert!(check("cost center", "Ünïcödé 12 @/:+=-_.").is_ok());
        assert_eq!(check("a*b", ""), Err(TagError::KeyCharacters("a*b".into())));
        assert_eq!(
            check("k", "v;"),
            Err(TagError::ValueCharacters("v;".into()))
        );
        assert_eq!(check("", "v"), Err(TagError::KeyLength(String::new())));
        assert!(matches!(
            check(&"k".repeat(129), ""),
            Err(TagError::KeyLength(_))
        ));
        assert!(check(&"k".repeat(128), &"v".repeat(256)).is_ok());
        assert!(matches!(
            check("k", &"v".repeat(257)),
            Err(TagError::ValueLength(_))
        ));
        assert_eq!(check("AWS:x", ""), Err(TagError::Reserved("AWS:x".into())));
    }

    #[test]
    fn console_lines() {
        assert_eq!(
            parse_lines("team=blue\n\ncost-center = 42").map(|t| t.len()),
            Ok(2)
        );
        assert!(parse_lines("novalue").is_err());
        assert!(parse_lines("aws:x=1").is_err());
        assert!(parse_lines("Team=a\nteam=b").is_err());
    }

    #[test]
    fn fifty_tags_at_most_after_the_change() {
        let fifty: BTreeMap<String, String> =
            (0..50).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(
            change(&fifty, &pairs(&[("new", "")]), &[]),
            Err(TagError::TooMany)
        );
        assert!(change(&fifty, &pairs(&[("K1", "replaced")]), &[]).is_ok());
    }
}
