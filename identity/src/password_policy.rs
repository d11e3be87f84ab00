//! The account password policy, with AWS's fields and ranges.

use serde::{Deserialize, Serialize};
use std::fmt;

/// AWS's account password policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    /// 6–128.
    pub minimum_password_length: u8,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    /// Whether IAM users may change their own password.
    pub allow_users_to_change_password: bool,
    /// Days, 1–1095; `None` means passwords never expire.
    pub max_password_age: Option<u16>,
    /// How many previous passwords may not be reused, 1–24.
    pub password_reuse_prevention: Option<u8>,
    /// With an expired password, only an administrator can reset it.
    pub hard_expiry: bool,
}

impl Default for PasswordPolicy {
    /// A sensible start: long passwords of mixed characters, changeable by their owner.
    fn default() -> Self {
        PasswordPolicy {
            minimum_password_length: 10,
            require_symbols: false,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            allow_users_to_change_password: true,
            max_password_age: None,
            password_reuse_prevention: None,
            hard_expiry: false,
        }
    }
}

/// The longest password accepted: longer ones only cost hashing time.
pub const MAX_PASSWORD_LENGTH: usize = 128;

/// One rule of the policy, as shown next to the password field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasswordRule {
    MinimumLength(u8),
    MaximumLength,
    Symbol,
    Number,
    Uppercase,
    Lowercase,
}

impl fmt::Display for PasswordRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordRule::MinimumLength(n) => write!(f, "At least {n} characters"),
            PasswordRule::MaximumLength => write!(f, "At most {MAX_PASSWORD_LENGTH} characters"),
            PasswordRule::Symbol => {
                write!(
                    f,
                    "At least one symbol (! @ # $ % ^ & * ( ) _ + - = [ ] {{ }} | ')"
                )
            }
            PasswordRule::Number => write!(f, "At least one number (0-9)"),
            PasswordRule::Uppercase => write!(f, "At least one uppercase letter (A-Z)"),
            PasswordRule::Lowercase => write!(f, "At least one lowercase letter (a-z)"),
        }
    }
}

/// A policy field outside its range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("{field}: {message}")]
pub struct PolicyFieldError {
    pub field: String,
    pub message: String,
}

impl PasswordPolicy {
    /// The rules this policy imposes, in display order.
    pub fn rules(&self) -> Vec<PasswordRule> {
        let mut rules = vec![
            PasswordRule::MinimumLength(self.minimum_password_length),
            PasswordRule::MaximumLength,
        ];
        if self.require_uppercase_characters {
            rules.push(PasswordRule::Uppercase);
        }
        if self.require_lowercase_characters {
            rules.push(PasswordRule::Lowercase);
        }
        if self.require_numbers {
            rules.push(PasswordRule::Number);
        }
        if self.require_symbols {
            rules.push(PasswordRule::Symbol);
        }
        rules
    }

    /// Each rule with whether `password` meets it, for the live checklist.
    pub fn evaluate(&self, password: &str) -> Vec<(PasswordRule, bool)> {
        self.rules()
            .into_iter()
            .map(|rule| (rule, rule.is_met(password)))
            .collect()
    }

    /// The rules `password` breaks; empty when it is acceptable.
    pub fn unmet(&self, password: &str) -> Vec<PasswordRule> {
        self.rules()
            .into_iter()
            .filter(|rule| !rule.is_met(password))
            .collect()
    }

    /// Checks every field against AWS's ranges.
    pub fn validate(&self) -> Result<(), PolicyFieldError> {
        let fail = |field: &str, message: &str| {
            Err(PolicyFieldError {
                field: field.to_string(),
                message: message.to_string(),
            })
        };
        if !(6..=128).contains(&self.minimum_password_length) {
            return fail(
                "minimum_password_length",
                "must be between 6 and 128 characters",
            );
        }
        if let Some(age) = self.max_password_age {
            if !(1..=1095).contains(&age) {
                return fail("max_password_age", "must be between 1 and 1095 days");
            }
        }
        if let Some(count) = self.password_reuse_prevention {
            if !(1..=24).contains(&count) {
                return fail(
                    "password_reuse_prevention",
                    "must be between 1 and 24 previous passwords",
                );
            }
        }
        Ok(())
    }

    /// Whether a password set `age_days` ago has expired.
    pub fn is_expired(&self, age_days: i64) -> bool {
        self.max_password_age
            .is_some_and(|max| age_days >= i64::from(max))
    }
}

fn is_symbol(c: char) -> bool {
    c.is_ascii_punctuation()
}

impl PasswordRule {
    pub fn is_met(self, password: &str) -> bool {
        match self {
            PasswordRule::MinimumLength(n) => password.chars().count() >= usize::from(n),
            PasswordRule::MaximumLength => password.chars().count() <= MAX_PASSWORD_LENGTH,
            PasswordRule::Symbol => password.chars().any(is_symbol),
            PasswordRule::Number => password.chars().any(|c| c.is_ascii_digit()),
            PasswordRule::Uppercase => password.chars().any(|c| c.is_ascii_uppercase()),
            PasswordRule::Lowercase => password.chars().any(|c| c.is_ascii_lowercase()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> PasswordPolicy {
        PasswordPolicy {
            minimum_password_length: 12,
            require_symbols: true,
            ..PasswordPolicy::default()
        }
    }

    #[test]
    fn each_rule_is_reported() {
        let p = strict();
        assert_eq!(p.unmet("Abcdefghij1!"), vec![]);
        assert_eq!(p.unmet("Abcdefgh1!"), vec![PasswordRule::MinimumLength(12)]);
        assert_eq!(p.unmet("abcdefghij1!"), vec![PasswordRule::Uppercase]);
        assert_eq!(p.unmet("ABCDEFGHIJ1!"), vec![PasswordRule::Lowercase]);
        assert_eq!(p.unmet("Abcdefghijk!"), vec![PasswordRule::Number]);
        assert_eq!(p.unmet("Abcdefghijk1"), vec![PasswordRule::Symbol]);
        let long = format!("Aa1!{}", "x".repeat(200));
        assert_eq!(p.unmet(&long), vec![PasswordRule::MaximumLength]);
        // Length counts characters, not bytes.
        let relaxed = PasswordPolicy {
            minimum_password_length: 6,
            require_numbers: false,
            require_uppercase_characters: false,
            require_lowercase_characters: false,
            ..PasswordPolicy::default()
        };
        assert!(relaxed
            .unmet("ééééé")
            .contains(&PasswordRule::MinimumLength(6)));
        assert!(relaxed.unmet("éééééé").is_empty());
    }

    #[test]
    fn ranges_match_aws() {
        let ok = PasswordPolicy::default();
        assert!(ok.validate().is_ok());
        let bad =
            |p: PasswordPolicy, field: &str| assert_eq!(p.validate().unwrap_err().field, field);
        bad(
            PasswordPolicy {
                minimum_password_length: 5,
                ..ok.clone()
            },
            "minimum_password_length",
        );
        bad(
            PasswordPolicy {
                minimum_password_length: 129,
                ..ok.clone()
            },
            "minimum_password_length",
        );
        bad(
            PasswordPolicy {
                max_password_age: Some(0),
                ..ok.clone()
            },
            "max_password_age",
        );
        bad(
            PasswordPolicy {
                max_password_age: Some(1096),
                ..ok.clone()
            },
            "max_password_age",
        );
        bad(
            PasswordPolicy {
                password_reuse_prevention: Some(25),
                ..ok.clone()
            },
            "password_reuse_prevention",
        );
        assert!(PasswordPolicy {
            max_password_age: Some(1095),
            password_reuse_prevention: Some(24),
            minimum_password_length: 128,
            ..ok
        }
        .validate()
        .is_ok());
    }

    #[test]
    fn expiry() {
        let p = PasswordPolicy {
            max_password_age: Some(90),
            ..PasswordPolicy::default()
        };
        assert!(!p.is_expired(89));
        assert!(p.is_expired(90));
        assert!(!PasswordPolicy::default().is_expired(10_000));
    }
}
