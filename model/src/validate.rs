//! Input rules shared by the forms and the server functions.

/// AWS's user and group name characters: letters, digits and `+=,.@_-`.
fn name_chars_ok(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// An IAM user name: `[\w+=,.@-]{1,64}`.
pub fn user_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Enter a user name.".into());
    }
    if name.chars().count() > 64 {
        return Err("User names have at most 64 characters.".into());
    }
    if !name_chars_ok(name) {
        return Err("Use only letters, digits and + = , . @ _ - (no spaces).".into());
    }
    // The console and the audit log call the account's root user "root".
    if name.eq_ignore_ascii_case("root") {
        return Err("\"root\" is the name of the account's root user. Choose another name.".into());
    }
    Ok(())
}

/// A group name: same characters, at most 128.
pub fn group_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Enter a group name.".into());
    }
    if name.chars().count() > 128 {
        return Err("Group names have at most 128 characters.".into());
    }
    if !name_chars_ok(name) {
        return Err("Use only letters, digits and + = , . @ _ - (no spaces).".into());
    }
    Ok(())
}

/// A role name: same characters, at most 64.
pub fn role_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("Enter a role name.".into());
    }
    if name.chars().count() > 64 {
        return Err("Role names have at most 64 characters.".into());
    }
    if !name_chars_ok(name) {
        return Err("Use only letters, digits and + = , . @ _ - (no spaces).".into());
    }
    Ok(())
}

/// An ExternalId as AWS accepts it: 2 to 1,224 characters of `[\w+=,.@:/-]`.
pub fn external_id(id: &str) -> Result<(), String> {
    let length = id.chars().count();
    if !(2..=1224).contains(&length) {
        return Err("An external ID has 2 to 1,224 characters.".into());
    }
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/_-".contains(c))
    {
        return Err("Use only letters, digits and + = , . @ : / _ - in an external ID.".into());
    }
    Ok(())
}

/// A plausible email address for the root user.
pub fn email(email: &str) -> Result<(), String> {
    let valid = email.len() <= 254
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
        && !email.contains(char::is_whitespace);
    if valid {
        Ok(())
    } else {
        Err("Enter an email address such as admin@example.com.".into())
    }
}

/// Tags as `key=value` lines: AWS's limits of 50 tags, keys ≤ 128, values ≤ 256.
pub fn tags(text: &str) -> Result<std::collections::BTreeMap<String, String>, String> {
    let mut tags = std::collections::BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("Line {}: write each tag as key=value.", i + 1));
        };
        let (key, value) = (key.trim(), value.trim());
        tag(key, value).map_err(|m| format!("Line {}: {m}", i + 1))?;
        tags.insert(key.to_string(), value.to_string());
    }
    if tags.len() > 50 {
        return Err("A user can have at most 50 tags.".into());
    }
    Ok(tags)
}

/// One tag: a key of 1 to 128 characters not starting with `aws:`, a value of at
/// most 256.
pub fn tag(key: &str, value: &str) -> Result<(), String> {
    if key.is_empty() || key.chars().count() > 128 {
        return Err("a tag key has 1 to 128 characters.".into());
    }
    if value.chars().count() > 256 {
        return Err("a tag value has at most 256 characters.".into());
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err("tag keys starting with aws: are reserved.".into());
    }
    Ok(())
}

/// Whether a form's return address is a path on this site: `//host` and `/\\host`
/// would send the browser elsewhere, and control characters could split a header.
pub fn is_local_path(back: &str) -> bool {
    back.starts_with('/')
        && !back
            .get(1..)
            .is_some_and(|rest| rest.starts_with(['/', '\\']))
        && !back.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(user_name("alice.smith+ops@corp").is_ok());
        assert!(user_name("").is_err());
        assert!(user_name("has space").is_err());
        assert!(user_name(&"a".repeat(65)).is_err());
        assert!(user_name(&"a".repeat(64)).is_ok());
        assert!(group_name(&"g".repeat(128)).is_ok());
        assert!(group_name("ops/team").is_err());
        assert!(user_name("root").is_err());
        assert!(user_name("ROOT").is_err());
        assert!(user_name("rooted").is_ok());
    }

    #[test]
    fn return_addresses_stay_on_the_site() {
        assert!(is_local_path("/groups/readers"));
        assert!(is_local_path("/"));
        for elsewhere in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "",
            "groups",
            "/users\r\nSet-Cookie: x=1",
            "/users\u{7f}",
        ] {
            assert!(!is_local_path(elsewhere), "{elsewhere:?}");
        }
    }

    #[test]
    fn emails_and_tags() {
        assert!(email("root@example.com").is_ok());
        assert!(email("root@localhost").is_err());
        assert!(email("no-at.example.com").is_err());
        assert_eq!(
            tags("team=blue\n\ncost-center = 42").map(|t| t.len()),
            Ok(2)
        );
        assert!(tags("novalue").is_err());
        assert!(tags("aws:x=1").is_err());
    }
}
