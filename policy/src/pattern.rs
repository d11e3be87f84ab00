//! Wildcard patterns (`*`, `?`) with policy variables, compiled once.
//!
//! Policies are read once and evaluated millions of times, so each pattern is turned
//! into the cheapest matcher that fits it: anything, an exact string, a prefix, or a
//! segmented glob. A variable such as `${aws:username}` is resolved at evaluation time
//! and its value always matches literally, as AWS documents (`${*}` is a literal `*`).

use crate::request::Lookup;

/// One piece of a pattern as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Token {
    Literal(String),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    Question,
    /// `${key}` or `${key, 'default'}`; `key` is lower-cased.
    Variable {
        key: String,
        default: Option<String>,
    },
}

/// Why a `${...}` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableError {
    pub detail: String,
}

/// Splits a pattern into tokens. With `variables` false (policy version 2008-10-17 or a
/// place where AWS does not substitute), `${...}` is plain text.
pub fn tokenize(text: &str, wildcards: bool, variables: bool) -> Result<Vec<Token>, VariableError> {
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if variables && rest.starts_with("${") {
            let Some(end) = rest.find('}') else {
                return Err(VariableError {
                    detail: format!("the policy variable in `{text}` has no closing `}}`"),
                });
            };
            let inner = rest.get(2..end).unwrap_or_default();
            match inner {
                "*" | "?" | "$" => literal.push_str(inner),
                _ => {
                    flush(&mut literal, &mut tokens);
                    tokens.push(parse_variable(inner, text)?);
                }
            }
            rest = rest.get(end + 1..).unwrap_or_default();
            continue;
        }
        match c {
            '*' if wildcards => {
                flush(&mut literal, &mut tokens);
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
            }
            '?' if wildcards => {
                flush(&mut literal, &mut tokens);
                tokens.push(Token::Question);
            }
            _ => literal.push(c),
        }
        rest = rest.get(c.len_utf8()..).unwrap_or_default();
    }
    flush(&mut literal, &mut tokens);
    Ok(tokens)
}

fn flush(literal: &mut String, tokens: &mut Vec<Token>) {
    if !literal.is_empty() {
        tokens.push(Token::Literal(std::mem::take(literal)));
    }
}

fn parse_variable(inner: &str, whole: &str) -> Result<Token, VariableError> {
    let (key, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((key, default)) => {
            let default = default.trim();
            let quoted = default
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .ok_or_else(|| VariableError {
                    detail: format!(
                        "the default value of the policy variable in `{whole}` must be in single quotes"
                    ),
                })?;
            (key.trim(), Some(quoted.to_string()))
        }
    };
    let valid = !key.is_empty()
        && key.contains(':')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_:/.@+=,".contains(c));
    if !valid {
        return Err(VariableError {
            detail: format!("`${{{inner}}}` in `{whole}` is not a policy variable"),
        });
    }
    Ok(Token::Variable {
        key: key.to_ascii_lowercase(),
        default,
    })
}

/// True if the text contains a `${...}` that would be substituted under 2012-10-17.
pub fn has_variable(text: &str) -> bool {
    text.contains("${")
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// `*`
    Any,
    Exact(Box<str>),
    /// `prefix*`
    Prefix(Box<str>),
    Glob(Glob),
    /// Contains variables: resolved per request, then matched as a glob.
    Dynamic(Vec<Token>),
}

impl Pattern {
    pub fn compile(tokens: Vec<Token>) -> Pattern {
        if tokens.iter().any(|t| matches!(t, Token::Variable { .. })) {
            return Pattern::Dynamic(tokens);
        }
        match tokens.as_slice() {
            [] => Pattern::Exact("".into()),
            [Token::Star] => Pattern::Any,
            [Token::Literal(s)] => Pattern::Exact(s.as_str().into()),
            [Token::Literal(s), Token::Star] => Pattern::Prefix(s.as_str().into()),
            _ => Pattern::Glob(Glob::new(tokens.iter().map(Piece::from_token))),
        }
    }

    /// Compiles a plain wildcard pattern (no variables), such as an action.
    pub fn wildcard(text: &str) -> Pattern {
        // Without variables tokenizing cannot fail.
        Pattern::compile(tokenize(text, true, false).unwrap_or_default())
    }

    pub fn is_any(&self) -> bool {
        matches!(self, Pattern::Any)
    }

    /// Matches `text`; variables are looked up in `vars`. An unresolvable variable
    /// without a default means no match, as in AWS.
    pub fn matches(&self, text: &str, vars: &dyn Lookup) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(s) => &**s == text,
            Pattern::Prefix(p) => text.starts_with(&**p),
            Pattern::Glob(g) => g.matches(text),
            Pattern::Dynamic(tokens) => {
                let mut pieces = Vec::with_capacity(tokens.len());
                for token in tokens {
                    match token {
                        Token::Variable { key, default } => {
                            match vars.single(key).or(default.as_deref()) {
                                Some(value) => pieces.push(Piece::Literal(value.into())),
                                None => return false,
                            }
                        }
                        other => pieces.push(Piece::from_token(other)),
                    }
                }
                Glob::new(pieces.into_iter()).matches(text)
            }
        }
    }

    /// The literal text when the pattern has no wildcard and no variable.
    pub fn as_exact(&self) -> Option<&str> {
        match self {
            Pattern::Exact(s) => Some(s),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
enum Piece {
    Literal(Box<str>),
    Star,
    Question,
}

impl Piece {
    fn from_token(token: &Token) -> Piece {
        match token {
            Token::Literal(s) => Piece::Literal(s.as_str().into()),
            Token::Star => Piece::Star,
            Token::Question => Piece::Question,
            // Only reached for variables left unresolved by a caller; never matches text
            // that AWS would not match, because a literal `${` rarely occurs in ARNs.
            Token::Variable { key, .. } => Piece::Literal(format!("${{{key}}}").into()),
        }
    }
}

/// A pattern split at its stars: the first segment is anchored at the start, the last
/// at the end, and the ones between are found leftmost-first, which is exact for globs
/// that only know `*` and `?`.
#[derive(Debug, Clone)]
pub struct Glob {
    segments: Vec<Vec<SegmentPiece>>,
    starts_with_star: bool,
    ends_with_star: bool,
}

#[derive(Debug, Clone)]
enum SegmentPiece {
    Literal(Box<str>),
    AnyChars(usize),
}

impl Glob {
    fn new(pieces: impl Iterator<Item = Piece>) -> Glob {
        let pieces: Vec<Piece> = pieces.collect();
        let starts_with_star = matches!(pieces.first(), Some(Piece::Star));
        let ends_with_star = matches!(pieces.last(), Some(Piece::Star));
        let mut segments = Vec::new();
        let mut current: Vec<SegmentPiece> = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Star => {
                    if !current.is_empty() {
                        segments.push(std::mem::take(&mut current));
                    }
                }
                Piece::Question => match current.last_mut() {
                    Some(SegmentPiece::AnyChars(n)) => *n += 1,
                    _ => current.push(SegmentPiece::AnyChars(1)),
                },
                Piece::Literal(s) => match current.last_mut() {
                    Some(SegmentPiece::Literal(prev)) => {
                        *prev = format!("{prev}{s}").into();
                    }
                    _ => current.push(SegmentPiece::Literal(s)),
                },
            }
        }
        if !current.is_empty() {
            segments.push(current);
        }
        Glob {
            segments,
            starts_with_star,
            ends_with_star,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        let count = self.segments.len();
        if count == 0 {
            return self.starts_with_star || text.is_empty();
        }
        let mut pos = 0;
        for (i, segment) in self.segments.iter().enumerate() {
            let first = i == 0;
            let last = i + 1 == count;
            let rest = text.get(pos..).unwrap_or_default();
            if first && !self.starts_with_star {
                match match_at(segment, rest) {
                    Some(len) => pos += len,
                    None => return false,
                }
                if last && !self.ends_with_star {
                    return pos == text.len();
                }
                continue;
            }
            if last && !self.ends_with_star {
                // Anchored at the end: the segment must match the tail exactly.
                let width = segment_chars(segment);
                let Some(start) = tail_start(rest, width) else {
                    return false;
                };
                let tail = rest.get(start..).unwrap_or_default();
                return match_at(segment, tail) == Some(tail.len());
            }
            match find(segment, rest) {
                Some((start, len)) => pos += start + len,
                None => return false,
            }
        }
        true
    }
}

/// Characters a segment consumes (literals count their chars).
fn segment_chars(segment: &[SegmentPiece]) -> usize {
    segment
        .iter()
        .map(|p| match p {
            SegmentPiece::Literal(s) => s.chars().count(),
            SegmentPiece::AnyChars(n) => *n,
        })
        .sum()
}

/// Byte offset where the last `width` characters of `text` start.
fn tail_start(text: &str, width: usize) -> Option<usize> {
    if width == 0 {
        return Some(text.len());
    }
    text.char_indices().rev().nth(width - 1).map(|(i, _)| i)
}

/// Length in bytes of the match of `segment` at the very start of `text`.
fn match_at(segment: &[SegmentPiece], text: &str) -> Option<usize> {
    let mut pos = 0;
    for piece in segment {
        let rest = text.get(pos..)?;
        match piece {
            SegmentPiece::Literal(s) => {
                if !rest.starts_with(&**s) {
                    return None;
                }
                pos += s.len();
            }
            SegmentPiece::AnyChars(n) => {
                let mut chars = rest.char_indices();
                let mut consumed = 0;
                for _ in 0..*n {
                    let (_, c) = chars.next()?;
                    consumed += c.len_utf8();
                }
                pos += consumed;
            }
        }
    }
    Some(pos)
}

/// Leftmost match of `segment` in `text`: (start, length).
fn find(segment: &[SegmentPiece], text: &str) -> Option<(usize, usize)> {
    if let Some(SegmentPiece::Literal(first)) = segment.first() {
        let mut from = 0;
        while let Some(found) = text.get(from..)?.find(&**first) {
            let start = from + found;
            if let Some(len) = match_at(segment, text.get(start..)?) {
                return Some((start, len));
            }
            from = start + text.get(start..)?.chars().next()?.len_utf8();
        }
        return None;
    }
    for (start, _) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if let Some(len) = match_at(segment, text.get(start..)?) {
            return Some((start, len));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::NoVariables;

    fn m(pattern: &str, text: &str) -> bool {
        Pattern::wildcard(pattern).matches(text, &NoVariables)
    }

    #[test]
    fn wildcards() {
        assert!(m("*", ""));
        assert!(m("a*", "abc"));
        assert!(m("*c", "abc"));
        assert!(m("a*c", "ac"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*b*", "abc"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/x/y"));
        assert!(!m("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket2/x"));
        assert!(m("*ab", "aab"));
        assert!(m("?*?", "ab"));
        assert!(!m("?*?", "a"));
        assert!(m("é?", "éü"));
        assert!(m("a**b", "ab"));
        assert!(!m("abc", "abcd"));
    }

    #[test]
    fn special_variables_are_literal() {
        let tokens = tokenize("a${*}b${?}${$}", true, true).unwrap();
        let p = Pattern::compile(tokens);
        assert!(p.matches("a*b?$", &NoVariables));
        assert!(!p.matches("axb?$", &NoVariables));
    }

    #[test]
    fn variable_syntax_errors() {
        assert!(tokenize("${aws:username", true, true).is_err());
        assert!(tokenize("${aws:username, fallback}", true, true).is_err());
        assert!(tokenize("${}", true, true).is_err());
        assert!(tokenize("${aws:username, 'x'}", true, true).is_ok());
        assert_eq!(
            tokenize("${aws:x}", true, false).unwrap(),
            vec![Token::Literal("${aws:x}".into())]
        );
    }
}
