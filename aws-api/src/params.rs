//! Query-protocol parameters (`UserName=alice&Tags.member.1.Key=team`) with AWS's
//! validation texts for missing and malformed values.

use http::StatusCode;

use crate::error::ApiError;
use model::tags::TagError;

/// The parameters of one request, from the query string and the form body.
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
pub fn decode_form(text: &str) -> Vec<(String, String)> {
    let decode = |part: &str| {
        let spaced = part.replace('+', "%20");
        String::from_utf8_lossy(&identity::sigv4::percent_decode(&spaced)).into_owned()
    };
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// AWS's pattern for user, group and role names: `[\w+=,.@-]+`.
fn is_name(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '+' | '=' | ',' | '.' | '@' | '-'))
}

impl Params {
    pub fn new(pairs: Vec<(String, String)>) -> Params {
        Params(pairs)
    }

    /// The first value of `name` (parameter names are case-sensitive, as AWS's are).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A required parameter: missing is AWS's "Member must not be null".
    pub fn required(&self, name: &str, member: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::validation(None, member, "Member must not be null"))
    }

    /// An entity name (`UserName`, `GroupName`): required, 1 to `max` characters of
    /// `[\w+=,.@-]`.
    pub fn name(&self, name: &str, member: &str, max: usize) -> Result<&str, ApiError> {
        let value = self.required(name, member)?;
        check_name(value, member, max)?;
        Ok(value)
    }

    /// An optional entity name; present means valid.
    pub fn optional_name(
        &self,
        name: &str,
        member: &str,
        max: usize,
    ) -> Result<Option<&str>, ApiError> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => {
                check_name(value, member, max)?;
                Ok(Some(value))
            }
        }
    }

    /// An entity's path (`Path`, `NewPath`), with AWS's constraint texts.
    pub fn entity_path(&self, name: &str, member: &str) -> Result<Option<&str>, ApiError> {
        let Some(value) = self.get(name) else {
            return Ok(None);
        };
        if value.is_empty() || value.chars().count() > 512 {
            return Err(ApiError::validation(
                Some(value),
                member,
                "Member must have length between 1 and 512",
            ));
        }
        if model::validate::entity_path(value).is_err() {
            return Err(ApiError::validation(
                Some(value),
                member,
                "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
            ));
        }
        Ok(Some(value))
    }

    /// `PathPrefix`, default `/`: 1 to 512 characters, starting with `/`.
    pub fn path_prefix(&self) -> Result<String, ApiError> {
        let Some(value) = self.get("PathPrefix") else {
            return Ok("/".into());
        };
        if value.is_empty() || value.chars().count() > 512 {
            return Err(ApiError::validation(
                Some(value),
                "pathPrefix",
                "Member must have length between 1 and 512",
            ));
        }
        if !value.starts_with('/') || !value.chars().all(|c| ('\u{21}'..='\u{7f}').contains(&c)) {
            return Err(ApiError::validation(
                Some(value),
                "pathPrefix",
                "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
            ));
        }
        Ok(value.to_string())
    }

    /// `MaxItems` (1 to 1000, default 100) and `Marker`, as a start index.
    pub fn page(&self) -> Result<(usize, usize), ApiError> {
        let max = match self.get("MaxItems") {
            None => 100,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (1..=1000).contains(&n) => n as usize,
                Ok(_) => {
                    return Err(ApiError::validation(
                        Some(text),
                        "maxItems",
                        "Member must have value between 1 and 1000",
                    ))
                }
                Err(_) => {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "MalformedInput",
                        format!("Invalid value for MaxItems: {text}"),
                    ))
                }
            },
        };
        let start = match self.get("Marker") {
            None => 0,
            Some(marker) => marker.parse::<usize>().map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "InvalidInput",
                    "Invalid Marker: use the Marker of the previous response.",
                )
            })?,
        };
        Ok((start, max))
    }

    /// `Tags.member.N.Key`/`.Value` in order of N, with AWS's limits (50 tags, keys
    /// 1–128 characters, values up to 256).
    pub fn tags(&self) -> Result<Vec<(String, String)>, ApiError> {
        let mut indexed: std::collections::BTreeMap<usize, (String, String)> = Default::default();
        for (k, v) in &self.0 {
            let Some(rest) = k.strip_prefix("Tags.member.") else {
                continue;
            };
            let Some((n, field)) = rest.split_once('.') else {
                continue;
            };
            let Ok(n) = n.parse::<usize>() else {
                continue;
            };
            let entry = indexed.entry(n).or_default();
            match field {
                "Key" => entry.0 = v.clone(),
                "Value" => entry.1 = v.clone(),
                _ => {}
            }
        }
        if indexed.len() > 50 {
            return Err(ApiError::validation(
                None,
                "tags",
                "Member must have length less than or equal to 50",
            ));
        }
        let indexed: Vec<(usize, String, String)> =
            indexed.into_iter().map(|(n, (k, v))| (n, k, v)).collect();
        for (n, key, value) in &indexed {
            let rule = match model::tags::check(key, value) {
                Ok(()) => continue,
                Err(rule) => rule,
            };
            let key_member = format!("tags.{n}.member.key");
            let value_member = format!("tags.{n}.member.value");
            return Err(match rule {
                TagError::KeyLength(_) if key.is_empty() => ApiError::validation(
                    Some(key),
                    &key_member,
                    "Member must have length greater than or equal to 1",
                ),
                TagError::KeyLength(_) => ApiError::validation(
                    Some(key),
                    &key_member,
                    "Member must have length less than or equal to 128",
                ),
                TagError::KeyCharacters(_) => ApiError::validation(
                    Some(key),
                    &key_member,
                    &format!(
                        "Member must satisfy regular expression pattern: {}",
                        model::tags::KEY_PATTERN
                    ),
                ),
                TagError::ValueLength(_) => ApiError::validation(
                    Some(value),
                    &value_member,
                    "Member must have length less than or equal to 256",
                ),
                TagError::ValueCharacters(_) => ApiError::validation(
                    Some(value),
                    &value_member,
                    "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
                ),
                TagError::Duplicate(_) => {
                    ApiError::new(StatusCode::BAD_REQUEST, "InvalidInput", rule.to_string())
                }
                other => ApiError::new(StatusCode::BAD_REQUEST, "ValidationError", other.to_string()),
            });
        }
        let pairs: Vec<(String, String)> = indexed
            .iter()
            .map(|(_, k, v)| (k.clone(), v.clone()))
            .collect();
        if let Err(e @ TagError::Duplicate(_)) = model::tags::check_all(&pairs) {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "InvalidInput",
                e.to_string(),
            ));
        }
        Ok(pairs)
    }

    /// The parameters as the audit log records them: names and values, except
    /// secrets and documents (only their length).
    pub fn for_audit(&self) -> String {
        self.0
            .iter()
            .filter(|(k, _)| k != "Action" && k != "Version" && !k.starts_with("X-Amz-"))
            .map(|(k, v)| {
                if k.contains("Password") || k.contains("Secret") || k.contains("Code") {
                    format!("{k}=***")
                } else if k.contains("Document") {
                    format!("{k}=({} characters)", v.chars().count())
                } else {
                    format!("{k}={}", v.chars().take(128).collect::<String>())
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn check_name(value: &str, member: &str, max: usize) -> Result<(), ApiError> {
    let length = value.chars().count();
    if length < 1 {
        return Err(ApiError::validation(
            Some(value),
            member,
            "Member must have length greater than or equal to 1",
        ));
    }
    if length > max {
        return Err(ApiError::validation(
            Some(value),
            member,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    if !is_name(value) {
        return Err(ApiError::validation(
            Some(value),
            member,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_validation() {
        let p = Params::new(decode_form(
            "Action=CreateUser&UserName=a%2Bb&Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=x+y",
        ));
        assert_eq!(p.get("UserName"), Some("a+b"));
        assert_eq!(
            p.tags().unwrap_or_default(),
            vec![("a".into(), "x y".into()), ("b".into(), String::new())]
        );
        let missing = p.required("GroupName", "groupName").unwrap_err();
        assert_eq!(
            missing.message,
            "1 validation error detected: Value null at 'groupName' failed to satisfy constraint: Member must not be null"
        );
        let bad = Params::new(decode_form("UserName=a%20b"));
        let error = bad.name("UserName", "userName", 64).unwrap_err();
        assert_eq!(error.code, "ValidationError");
        assert!(
            error.message.contains("Value 'a b' at 'userName'"),
            "{}",
            error.message
        );
        let long = Params::new(vec![("UserName".into(), "a".repeat(65))]);
        assert!(long
            .name("UserName", "userName", 64)
            .unwrap_err()
            .message
            .ends_with("Member must have length less than or equal to 64"));
    }
}
