//! Input rules shared by the forms and the server functions.

/// AWS's user and group name characters: letters, digits and `+=,.@_-`.
/// IAM's name alphabet, `[\w+=,.@-]` (users, roles, devices, instance profiles).
pub fn name_chars_ok(name: &str) -> bool {
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

/// An IAM path (users, groups, roles, policies, instance profiles): `/` alone, or
/// printable ASCII between a leading and a trailing `/`, at most 512 characters.
/// The path is part of the ARN, so policies can grant `user/engineering/*`.
pub fn entity_path(path: &str) -> Result<(), String> {
    if path.is_empty() || path.chars().count() > 512 {
        return Err("A path has 1 to 512 characters.".into());
    }
    let printable = path.chars().all(|c| ('\u{21}'..='\u{7e}').contains(&c));
    if path != "/" && !(path.len() > 2 && path.starts_with('/') && path.ends_with('/') && printable)
    {
        return Err(
            "A path is / or starts and ends with / with printable characters between (no spaces)."
                .into(),
        );
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
    fn paths() {
        for ok in ["/", "/engineering/", "/a/b/c/", "/~!@#$%^&*()_+{}|:<>?/"] {
            assert!(entity_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "//",
            "//x",
            "engineering/",
            "/engineering",
            "/has space/",
            "/caf\u{e9}/",
        ] {
            assert!(entity_path(bad).is_err(), "{bad}");
        }
        assert!(entity_path(&format!("/{}/", "a".repeat(510))).is_ok());
        assert!(entity_path(&format!("/{}/", "a".repeat(511))).is_err());
    }

    #[test]
    fn emails() {
        assert!(email("root@example.com").is_ok());
        assert!(email("root@localhost").is_err());
        assert!(email("no-at.example.com").is_err());
    }
}
