//! Condition operators: their names, their compiled values and how they decide.
//!
//! AWS's rules, in one place: several values of one key are ORed; a missing key makes
//! positive operators false and negated ones true; `…IfExists` is true when the key is
//! missing; `ForAllValues:` is true for a missing or empty key and `ForAnyValue:` false;
//! values that do not parse (a number that is not a number) never match.

use std::borrow::Cow;

use crate::pattern::{tokenize, Pattern, Token};
use crate::request::{Context, ContextValue, Lookup};
use crate::time::parse_date_millis;

/// `ForAnyValue:` or `ForAllValues:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Equals,
    LessThan,
    LessThanEquals,
    GreaterThan,
    GreaterThanEquals,
}

/// The operator family, which decides how values are read and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric(Comparison),
    Date(Comparison),
    Bool,
    Binary,
    IpAddress,
    /// `ArnEquals` and `ArnLike` behave the same in AWS: wildcards per ARN component.
    Arn,
    Null,
}

/// A parsed operator name such as `ForAllValues:StringNotLikeIfExists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operator {
    pub qualifier: Option<SetQualifier>,
    pub family: Family,
    pub negated: bool,
    pub if_exists: bool,
}

impl Operator {
    /// Reads an operator name; `None` if it is not one AWS knows.
    pub fn parse(text: &str) -> Option<Operator> {
        let (qualifier, rest) = if let Some(rest) = strip_prefix_ci(text, "ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), rest)
        } else if let Some(rest) = strip_prefix_ci(text, "ForAllValues:") {
            (Some(SetQualifier::ForAllValues), rest)
        } else {
            (None, text)
        };
        let (name, if_exists) = match strip_suffix_ci(rest, "IfExists") {
            Some(name) => (name, true),
            None => (rest, false),
        };
        use Comparison::*;
        let (family, negated) = match name.to_ascii_lowercase().as_str() {
            "stringequals" => (Family::String, false),
            "stringnotequals" => (Family::String, true),
            "stringequalsignorecase" => (Family::StringIgnoreCase, false),
            "stringnotequalsignorecase" => (Family::StringIgnoreCase, true),
            "stringlike" => (Family::StringLike, false),
            "stringnotlike" => (Family::StringLike, true),
            "numericequals" => (Family::Numeric(Equals), false),
            "numericnotequals" => (Family::Numeric(Equals), true),
            "numericlessthan" => (Family::Numeric(LessThan), false),
            "numericlessthanequals" => (Family::Numeric(LessThanEquals), false),
            "numericgreaterthan" => (Family::Numeric(GreaterThan), false),
            "numericgreaterthanequals" => (Family::Numeric(GreaterThanEquals), false),
            "dateequals" => (Family::Date(Equals), false),
            "datenotequals" => (Family::Date(Equals), true),
            "datelessthan" => (Family::Date(LessThan), false),
            "datelessthanequals" => (Family::Date(LessThanEquals), false),
            "dategreaterthan" => (Family::Date(GreaterThan), false),
            "dategreaterthanequals" => (Family::Date(GreaterThanEquals), false),
            "bool" => (Family::Bool, false),
            "binaryequals" => (Family::Binary, false),
            "ipaddress" => (Family::IpAddress, false),
            "notipaddress" => (Family::IpAddress, true),
            "arnequals" | "arnlike" => (Family::Arn, false),
            "arnnotequals" | "arnnotlike" => (Family::Arn, true),
            "null" if !if_exists && qualifier.is_none() => (Family::Null, false),
            _ => return None,
        };
        Some(Operator {
            qualifier,
            family,
            negated,
            if_exists,
        })
    }

    /// Whether values of this operator may contain policy variables.
    pub fn takes_variables(&self) -> bool {
        matches!(
            self.family,
            Family::String | Family::StringIgnoreCase | Family::StringLike | Family::Arn
        )
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| text.get(prefix.len()..))
        .flatten()
}

fn strip_suffix_ci<'a>(text: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = text.len().checked_sub(suffix.len())?;
    let tail = text.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix)
        .then(|| text.get(..cut))
        .flatten()
}

/// A string value that may contain variables.
#[derive(Debug, Clone)]
pub enum Text {
    Literal(Box<str>),
    Dynamic(Vec<Token>),
}

impl Text {
    fn compile(value: &str, variables: bool) -> Text {
        match tokenize(value, false, variables) {
            Ok(tokens) if tokens.iter().any(|t| matches!(t, Token::Variable { .. })) => {
                Text::Dynamic(tokens)
            }
            _ => Text::Literal(literal_text(value, variables).into()),
        }
    }

    fn resolve<'a>(&'a self, vars: &'a dyn Lookup) -> Option<Cow<'a, str>> {
        match self {
            Text::Literal(s) => Some(Cow::Borrowed(s)),
            Text::Dynamic(tokens) => {
                let mut out = String::new();
                for token in tokens {
                    match token {
                        Token::Literal(s) => out.push_str(s),
                        Token::Star => out.push('*'),
                        Token::Question => out.push('?'),
                        Token::Variable { key, default } => {
                            out.push_str(vars.single(key).or(default.as_deref())?)
                        }
                    }
                }
                Some(Cow::Owned(out))
            }
        }
    }
}

/// The literal text of a value with `${*}`, `${?}`, `${$}` resolved.
fn literal_text(value: &str, variables: bool) -> String {
    if !variables {
        return value.to_string();
    }
    match tokenize(value, false, true) {
        Ok(tokens) => tokens
            .into_iter()
            .map(|t| match t {
                Token::Literal(s) => s,
                Token::Star => "*".into(),
                Token::Question => "?".into(),
                Token::Variable { key, .. } => format!("${{{key}}}"),
            })
            .collect(),
        Err(_) => value.to_string(),
    }
}

/// An IPv4 or IPv6 network, stored as a 128-bit prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    v6: bool,
    network: u128,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
            None => (text.trim(), None),
        };
        let (v6, bits, max) = match parse_ip(addr)? {
            (false, bits) => (false, bits, 32),
            (true, bits) => (true, bits, 128),
        };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return None;
        }
        Some(Cidr {
            v6,
            network: bits & mask(prefix, max),
            prefix,
        })
    }

    pub fn contains(&self, text: &str) -> bool {
        let Some((v6, bits)) = parse_ip(text.trim()) else {
            return false;
        };
        let bits = match (self.v6, v6) {
            (false, false) | (true, true) => bits,
            // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address.
            (false, true) if bits >> 32 == 0xffff => bits & 0xffff_ffff,
            _ => return false,
        };
        let max = if self.v6 { 128 } else { 32 };
        bits & mask(self.prefix, max) == self.network
    }
}

fn mask(prefix: u8, max: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let all: u128 = if max == 32 { 0xffff_ffff } else { u128::MAX };
    all & !((1u128 << (max - prefix)).wrapping_sub(1))
}

fn parse_ip(text: &str) -> Option<(bool, u128)> {
    if let Ok(v4) = text.parse::<std::net::Ipv4Addr>() {
        return Some((false, u128::from(u32::from(v4))));
    }
    text.parse::<std::net::Ipv6Addr>()
        .ok()
        .map(|v6| (true, u128::from(v6)))
}

/// An ARN pattern compared component by component (six colon-separated parts).
#[derive(Debug, Clone)]
pub struct ArnPattern {
    parts: Option<Vec<Pattern>>,
}

impl ArnPattern {
    fn compile(value: &str, variables: bool) -> ArnPattern {
        let raw: Vec<&str> = value.splitn(6, ':').collect();
        if raw.len() != 6 {
            // `*` alone matches any ARN; other text with fewer parts never matches.
            if value == "*" {
                return ArnPattern {
                    parts: Some(vec![Pattern::Any; 6]),
                };
            }
            return ArnPattern { parts: None };
        }
        let parts = raw
            .iter()
            .map(|p| {
                tokenize(p, true, variables)
                    .map(Pattern::compile)
                    .unwrap_or_else(|_| Pattern::Exact((*p).into()))
            })
            .collect();
        ArnPattern { parts: Some(parts) }
    }

    fn matches(&self, arn: &str, vars: &dyn Lookup) -> bool {
        let Some(parts) = &self.parts else {
            return false;
        };
        let mut given = arn.splitn(6, ':');
        for pattern in parts {
            match given.next() {
                Some(part) if pattern.matches(part, vars) => {}
                _ => return false,
            }
        }
        true
    }
}

/// Condition values compiled for their operator family; `None` marks a value that
/// cannot be read for the family and so never matches.
#[derive(Debug, Clone)]
pub enum Values {
    Text(Vec<Text>),
    Like(Vec<Pattern>),
    Number(Vec<Option<f64>>),
    Date(Vec<Option<i64>>),
    Bool(Vec<Option<bool>>),
    Binary(Vec<Option<Vec<u8>>>),
    Ip(Vec<Option<Cidr>>),
    Arn(Vec<ArnPattern>),
    Null(Vec<Option<bool>>),
}

/// One operator, one key, its values: the unit AWS ANDs with the others.
#[derive(Debug, Clone)]
pub struct CompiledCondition {
    pub operator: Operator,
    /// Lower-cased, as context keys are stored.
    pub key: Box<str>,
    pub values: Values,
}

impl CompiledCondition {
    pub fn compile(operator: Operator, key: &str, values: &[String], variables: bool) -> Self {
        let vars = variables && operator.takes_variables();
        let values = match operator.family {
            Family::String | Family::StringIgnoreCase => {
                Values::Text(values.iter().map(|v| Text::compile(v, vars)).collect())
            }
            Family::StringLike => Values::Like(
                values
                    .iter()
                    .map(|v| {
                        tokenize(v, true, vars)
                            .map(Pattern::compile)
                            .unwrap_or_else(|_| Pattern::Exact(v.as_str().into()))
                    })
                    .collect(),
            ),
            Family::Numeric(_) => Values::Number(values.iter().map(|v| parse_number(v)).collect()),
            Family::Date(_) => Values::Date(values.iter().map(|v| parse_date_millis(v)).collect()),
            Family::Bool => Values::Bool(values.iter().map(|v| parse_bool(v)).collect()),
            Family::Binary => Values::Binary(values.iter().map(|v| base64_decode(v)).collect()),
            Family::IpAddress => Values::Ip(values.iter().map(|v| Cidr::parse(v)).collect()),
            Family::Arn => Values::Arn(
                values
                    .iter()
                    .map(|v| ArnPattern::compile(v, vars))
                    .collect(),
            ),
            Family::Null => Values::Null(values.iter().map(|v| parse_bool(v)).collect()),
        };
        CompiledCondition {
            operator,
            key: key.to_ascii_lowercase().into(),
            values,
        }
    }

    /// Indices of values that can never match (unreadable for the operator), for lint.
    pub fn unreadable_values(&self) -> Vec<usize> {
        fn nones<T>(v: &[Option<T>]) -> Vec<usize> {
            v.iter()
                .enumerate()
                .filter(|(_, x)| x.is_none())
                .map(|(i, _)| i)
                .collect()
        }
        match &self.values {
            Values::Number(v) => nones(v),
            Values::Date(v) => nones(v),
            Values::Bool(v) | Values::Null(v) => nones(v),
            Values::Binary(v) => nones(v),
            Values::Ip(v) => nones(v),
            Values::Arn(v) => v
                .iter()
                .enumerate()
                .filter(|(_, a)| a.parts.is_none())
                .map(|(i, _)| i)
                .collect(),
            Values::Text(_) | Values::Like(_) => Vec::new(),
        }
    }

    /// Evaluates against the request context (which also resolves variables).
    pub fn evaluate(&self, context: &Context) -> bool {
        let operator = self.operator;
        let found = context.get_lower(&self.key);
        if let Values::Null(expected) = &self.values {
            let absent = match found {
                None => true,
                Some(ContextValue::Multi(v)) => v.is_empty(),
                Some(ContextValue::Single(_)) => false,
            };
            return expected.contains(&Some(absent));
        }
        let Some(found) = found else {
            if operator.if_exists {
                return true;
            }
            return match operator.qualifier {
                Some(SetQualifier::ForAllValues) => true,
                Some(SetQualifier::ForAnyValue) => false,
                None => operator.negated,
            };
        };
        let one = |value: &str| operator.negated != self.any_value_matches(value, context);
        match (operator.qualifier, found) {
            (Some(SetQualifier::ForAllValues), v) => v.values().iter().all(|c| one(c)),
            (Some(SetQualifier::ForAnyValue), v) => v.values().iter().any(|c| one(c)),
            (None, ContextValue::Single(c)) => one(c),
            // A multivalued key without a set qualifier: AWS compares each member, and a
            // positive operator matches when any member does.
            (None, ContextValue::Multi(v)) => {
                let any = v.iter().any(|c| self.any_value_matches(c, context));
                operator.negated != any
            }
        }
    }

    /// Whether the context value `given` matches any of the policy's values.
    fn any_value_matches(&self, given: &str, vars: &Context) -> bool {
        match &self.values {
            Values::Text(values) => {
                let ignore_case = self.operator.family == Family::StringIgnoreCase;
                values.iter().any(|v| match v.resolve(vars) {
                    Some(v) if ignore_case => eq_ignore_case(&v, given),
                    Some(v) => *v == *given,
                    None => false,
                })
            }
            Values::Like(patterns) => patterns.iter().any(|p| p.matches(given, vars)),
            Values::Number(values) => {
                let Some(given) = parse_number(given) else {
                    return false;
                };
                let Family::Numeric(cmp) = self.operator.family else {
                    return false;
                };
                values
                    .iter()
                    .flatten()
                    .any(|v| compare(cmp, given.partial_cmp(v)))
            }
            Values::Date(values) => {
                let Some(given) = parse_date_millis(given) else {
                    return false;
                };
                let Family::Date(cmp) = self.operator.family else {
                    return false;
                };
                values
                    .iter()
                    .flatten()
                    .any(|v| compare(cmp, Some(given.cmp(v))))
            }
            Values::Bool(values) => {
                let given = parse_bool(given);
                given.is_some() && values.contains(&given)
            }
            Values::Binary(values) => {
                let given = base64_decode(given);
                given.is_some() && values.contains(&given)
            }
            Values::Ip(values) => values.iter().flatten().any(|c| c.contains(given)),
            Values::Arn(values) => values.iter().any(|a| a.matches(given, vars)),
            Values::Null(_) => false,
        }
    }
}

fn compare(cmp: Comparison, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::*;
    matches!(
        (cmp, ordering),
        (Comparison::Equals, Some(Equal))
            | (Comparison::LessThan, Some(Less))
            | (Comparison::LessThanEquals, Some(Less | Equal))
            | (Comparison::GreaterThan, Some(Greater))
            | (Comparison::GreaterThanEquals, Some(Greater | Equal))
    )
}

fn eq_ignore_case(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars()
        .flat_map(char::to_lowercase)
        .eq(b.chars().flat_map(char::to_lowercase))
}

fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() || text.contains(|c: char| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
        return None;
    }
    text.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Standard base64 with optional padding.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0u8;
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_names() {
        let op = Operator::parse("ForAllValues:StringNotLikeIfExists").unwrap();
        assert_eq!(op.qualifier, Some(SetQualifier::ForAllValues));
        assert_eq!(op.family, Family::StringLike);
        assert!(op.negated && op.if_exists);
        assert!(Operator::parse("NullIfExists").is_none());
        assert!(Operator::parse("StringEqualz").is_none());
        assert!(Operator::parse("ForSomeValues:StringEquals").is_none());
    }

    #[test]
    fn cidrs() {
        let c = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(c.contains("203.0.113.7"));
        assert!(!c.contains("203.0.114.7"));
        assert!(c.contains("::ffff:203.0.113.9"));
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::1"));
        assert!(!v6.contains("2001:db9::1"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8"));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("10.0.0/8").is_none());
    }

    #[test]
    fn base64() {
        assert_eq!(base64_decode("QmluYXJ5").unwrap(), b"Binary");
        assert_eq!(base64_decode("YQ==").unwrap(), b"a");
        assert!(base64_decode("%%").is_none());
    }
}
