//! The policy grammar: AWS JSON in, a validated document out.
//!
//! This is the only place that knows the element names. It reports every fault it
//! finds, each with AWS's message and the pointer and line:column of the element, so the
//! console can underline all of them at once; [`PolicyErrors::first`] is what AWS names.

use crate::condition::{Family, Operator};
use crate::error::{Location, PolicyError, PolicyErrorKind, PolicyErrors, PolicyKind};
use crate::json::{self, Json, JsonKind, Member, Span};
use crate::pattern::{has_variable, tokenize};
use crate::time::aws_accepts_date;

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub pointer: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The legacy grammar: no policy variables.
    V2008_10_17,
    V2012_10_17,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// `Action`/`NotAction` or `Resource`/`NotResource`: a list, possibly negated.
#[derive(Debug, Clone, PartialEq)]
pub struct Clause {
    pub negated: bool,
    pub items: Vec<Located<String>>,
    pub pointer: String,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalType {
    Aws,
    Service,
    Federated,
    CanonicalUser,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Service => "Service",
            PrincipalType::Federated => "Federated",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }

    fn parse(name: &str) -> Option<PrincipalType> {
        Some(match name {
            "AWS" => PrincipalType::Aws,
            "Service" => PrincipalType::Service,
            "Federated" => PrincipalType::Federated,
            "CanonicalUser" => PrincipalType::CanonicalUser,
            _ => return None,
        })
    }
}

/// `Principal`/`NotPrincipal`.
#[derive(Debug, Clone, PartialEq)]
pub struct PrincipalClause {
    pub negated: bool,
    /// `"Principal": "*"`.
    pub everyone: bool,
    pub entries: Vec<(PrincipalType, Located<String>)>,
    pub pointer: String,
    pub span: Span,
}

/// One operator + key + values of a `Condition` block.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionClause {
    pub operator: Operator,
    pub operator_name: Located<String>,
    pub key: Located<String>,
    pub values: Vec<Located<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// Position in the `Statement` list (0 when it is a single object).
    pub index: usize,
    pub pointer: String,
    pub span: Span,
    pub sid: Option<Located<String>>,
    pub effect: Effect,
    pub principal: Option<PrincipalClause>,
    pub actions: Clause,
    pub resources: Option<Clause>,
    pub conditions: Vec<ConditionClause>,
}

impl Statement {
    /// `Sid` if given, else `#index`: how explanations name a statement.
    pub fn label(&self) -> String {
        match &self.sid {
            Some(sid) if !sid.value.is_empty() => sid.value.clone(),
            _ => format!("#{}", self.index),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    /// `None` when the document has no `Version` (AWS then reads it as 2008-10-17).
    pub version: Option<Version>,
    pub id: Option<String>,
    pub statements: Vec<Statement>,
}

impl PolicyDocument {
    /// Whether policy variables are substituted (only under 2012-10-17).
    pub fn substitutes_variables(&self) -> bool {
        self.version == Some(Version::V2012_10_17)
    }

    /// Every context key the document refers to, as AWS's `GetContextKeysFor…Policy`
    /// lists them: condition keys, and the policy variables (`${aws:username}`) of its
    /// resources and condition values when they are substituted. Each once whatever
    /// its case, in its first spelling, sorted.
    pub fn context_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        let mut add = |key: &str| {
            if !key.is_empty() && !keys.iter().any(|k| k.eq_ignore_ascii_case(key)) {
                keys.push(key.to_string());
            }
        };
        let variables = self.substitutes_variables();
        for statement in &self.statements {
            for condition in &statement.conditions {
                add(&condition.key.value);
                if variables {
                    for value in &condition.values {
                        variable_keys(&value.value).for_each(&mut add);
                    }
                }
            }
            if let (true, Some(resources)) = (variables, &statement.resources) {
                for item in &resources.items {
                    variable_keys(&item.value).for_each(&mut add);
                }
            }
        }
        keys.sort_by_key(|k| k.to_ascii_lowercase());
        keys
    }

    /// Parses a document that was validated when it was saved, for evaluation. Rules
    /// that only decide whether a document may be saved (size, version, Sid and resource
    /// formats, action vendors, date spellings) can tighten between releases; a stored
    /// policy, and above all a stored Deny, must keep applying as written.
    pub fn parse_stored(text: &str, kind: PolicyKind) -> Result<PolicyDocument, PolicyErrors> {
        let mut reader = Grammar::new(text, kind);
        let document = reader.document();
        match document {
            Some(document) if reader.errors.iter().all(|e| e.kind.is_save_rule()) => Ok(document),
            _ => Self::parse(text, kind),
        }
    }

    /// Parses and validates `text` as a policy of `kind`.
    pub fn parse(text: &str, kind: PolicyKind) -> Result<PolicyDocument, PolicyErrors> {
        let mut reader = Grammar::new(text, kind);
        let document = reader.document();
        let mut errors = reader.errors;
        if errors.is_empty() {
            if let Some(document) = document {
                return Ok(document);
            }
        }
        errors.sort_by_key(|e| (e.rank(), e.location.start));
        Err(PolicyErrors(errors))
    }
}

/// The keys of the `${key}` and `${key, 'default'}` variables in `text`; the
/// special `${*}`, `${?}` and `${$}` are characters, not keys.
fn variable_keys(text: &str) -> impl Iterator<Item = &str> {
    text.split("${").skip(1).filter_map(|rest| {
        let inner = rest.split('}').next()?;
        let key = inner.split(',').next()?.trim();
        (!matches!(key, "*" | "?" | "$")).then_some(key)
    })
}

/// Characters that count against AWS's size quotas: all but white space.
pub fn policy_size(text: &str) -> usize {
    text.chars().filter(|c| !c.is_whitespace()).count()
}

/// Appends a member name to a JSON pointer, escaped per RFC 6901.
pub fn pointer_child(parent: &str, name: &str) -> String {
    format!("{parent}/{}", name.replace('~', "~0").replace('/', "~1"))
}

struct Grammar<'a> {
    text: &'a str,
    kind: PolicyKind,
    errors: Vec<PolicyError>,
    resource_format_fault_seen: bool,
    /// Statement ids seen so far.
    sids: Vec<String>,
}

impl<'a> Grammar<'a> {
    fn new(text: &'a str, kind: PolicyKind) -> Grammar<'a> {
        Grammar {
            text,
            kind,
            errors: Vec::new(),
            resource_format_fault_seen: false,
            sids: Vec::new(),
        }
    }

    fn fail(&mut self, kind: PolicyErrorKind, pointer: &str, span: Span) {
        self.errors.push(PolicyError {
            kind,
            location: Location::new(self.text, pointer, span),
        });
    }

    fn document(&mut self) -> Option<PolicyDocument> {
        let size = policy_size(self.text);
        let limit = self.kind.size_limit();
        if size > limit {
            self.fail(
                PolicyErrorKind::TooLarge {
                    kind: self.kind,
                    limit,
                    size,
                },
                "",
                Span::default(),
            );
        }
        let root = match json::parse(self.text) {
            Ok(root) => root,
            Err(e) => {
                let span = Span {
                    start: e.offset,
                    end: e.offset,
                };
                self.fail(PolicyErrorKind::InvalidJson { detail: e.message }, "", span);
                return None;
            }
        };
        let JsonKind::Object(members) = &root.kind else {
            self.wrong_type("policy document", "an object", &root, "");
            return None;
        };
        let members = self.unique_members(members, "");
        let mut version = None;
        let mut version_member = None;
        let mut id = None;
        let mut statement_member = None;
        for member in members {
            let pointer = pointer_child("", &member.name);
            match member.name.as_str() {
                "Version" => match member.value.as_str() {
                    Some("2012-10-17") => version = Some(Version::V2012_10_17),
                    Some("2008-10-17") => version = Some(Version::V2008_10_17),
                    Some(other) => self.fail(
                        PolicyErrorKind::InvalidVersion {
                            value: other.to_string(),
                        },
                        &pointer,
                        member.value.span,
                    ),
                    None => self.wrong_type("Version", "a string", &member.value, &pointer),
                },
                "Id" => match member.value.as_str() {
                    Some(text) => id = Some(text.to_string()),
                    None => self.wrong_type("Id", "a string", &member.value, &pointer),
                },
                "Statement" => statement_member = Some(member),
                _ => self.unknown(member, &pointer),
            }
            if member.name == "Version" {
                version_member = Some(member);
            }
        }
        let Some(statement_member) = statement_member else {
            self.fail(PolicyErrorKind::MissingStatement, "", root.span);
            return None;
        };
        if self.kind.requires_current_version() && version != Some(Version::V2012_10_17) {
            // Identity policies must use the current grammar; AWS says so even when the
            // document uses no policy variable (trust and resource policies may be older).
            match version_member {
                Some(member) if version.is_some() => self.fail(
                    PolicyErrorKind::VersionTooOld {
                        value: member.value.as_str().map(str::to_string),
                    },
                    "/Version",
                    member.value.span,
                ),
                Some(_) => {}
                None => self.fail(
                    PolicyErrorKind::VersionTooOld { value: None },
                    "",
                    root.span,
                ),
            }
        }
        let statements = self.statements(&statement_member.value, version);
        Some(PolicyDocument {
            version,
            id,
            statements,
        })
    }

    /// Reports repeated member names and returns the members (first occurrence wins).
    fn unique_members<'m>(&mut self, members: &'m [Member], pointer: &str) -> Vec<&'m Member> {
        let mut seen: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        for member in members {
            if seen.contains(&member.name.as_str()) {
                self.fail(
                    PolicyErrorKind::DuplicateElement {
                        name: member.name.clone(),
                    },
                    &pointer_child(pointer, &member.name),
                    member.name_span,
                );
                continue;
            }
            seen.push(&member.name);
            out.push(member);
        }
        out
    }

    fn unknown(&mut self, member: &Member, pointer: &str) {
        self.fail(
            PolicyErrorKind::UnknownElement {
                name: member.name.clone(),
            },
            pointer,
            member.name_span,
        );
    }

    fn wrong_type(&mut self, element: &str, expected: &'static str, value: &Json, pointer: &str) {
        self.fail(
            PolicyErrorKind::WrongType {
                element: element.to_string(),
                expected,
                found: value.type_name(),
            },
            pointer,
            value.span,
        );
    }

    fn statements(&mut self, value: &Json, version: Option<Version>) -> Vec<Statement> {
        let pointer = "/Statement";
        let items: Vec<(usize, String, &Json)> = match &value.kind {
            JsonKind::Object(_) => vec![(0, pointer.to_string(), value)],
            JsonKind::Array(items) if items.is_empty() => {
                self.fail(
                    PolicyErrorKind::EmptyElement {
                        element: "Statement".into(),
                    },
                    pointer,
                    value.span,
                );
                Vec::new()
            }
            JsonKind::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| (i, format!("{pointer}/{i}"), item))
                .collect(),
            _ => {
                self.wrong_type(
                    "Statement",
                    "an object or an array of objects",
                    value,
                    pointer,
                );
                Vec::new()
            }
        };
        let mut statements = Vec::new();
        for (index, pointer, item) in items {
            if let Some(statement) = self.statement(index, &pointer, item, version) {
                statements.push(statement);
            }
        }
        statements
    }

    fn statement(
        &mut self,
        index: usize,
        pointer: &str,
        value: &Json,
        version: Option<Version>,
    ) -> Option<Statement> {
        let JsonKind::Object(members) = &value.kind else {
            self.wrong_type("Statement", "an object", value, pointer);
            return None;
        };
        let members = self.unique_members(members, pointer);
        let mut sid = None;
        let mut effect = None;
        let mut effect_seen = false;
        let mut principal = None;
        let mut not_principal = None;
        let mut action = None;
        let mut not_action = None;
        let mut resource = None;
        let mut not_resource = None;
        let mut conditions = Vec::new();
        for member in members {
            let here = pointer_child(pointer, &member.name);
            match member.name.as_str() {
                "Sid" => sid = self.sid(member, &here),
                "Effect" => {
                    effect_seen = true;
                    effect = self.effect(member, &here);
                }
                "Principal" => principal = self.principal(member, &here, false),
                "NotPrincipal" => not_principal = self.principal(member, &here, true),
                "Action" => action = self.clause(member, &here, false),
                "NotAction" => not_action = self.clause(member, &here, true),
                "Resource" => resource = self.clause(member, &here, false),
                "NotResource" => not_resource = self.clause(member, &here, true),
                "Condition" => conditions = self.conditions(&member.value, &here),
                _ => self.unknown(member, &here),
            }
        }
        if !effect_seen {
            self.fail(PolicyErrorKind::MissingEffect, pointer, value.span);
        }
        let principal = self.pick(
            principal,
            not_principal,
            ("Principal", "NotPrincipal"),
            pointer,
            value.span,
        );
        let actions = self.pick(
            action,
            not_action,
            ("Action", "NotAction"),
            pointer,
            value.span,
        );
        let resources = self.pick(
            resource,
            not_resource,
            ("Resource", "NotResource"),
            pointer,
            value.span,
        );
        // An empty list counts as missing, with AWS's words for a missing element.
        if actions.as_ref().is_none_or(|a| a.items.is_empty()) {
            self.fail(PolicyErrorKind::MissingActions, pointer, value.span);
        }
        let resources = resources.filter(|r| !r.items.is_empty() || self.kind == PolicyKind::Trust);
        self.check_placement(principal.as_ref(), resources.as_ref(), pointer, value.span);
        if let Some(actions) = &actions {
            self.check_actions(actions);
        }
        if let Some(resources) = &resources {
            self.check_resources(resources, version);
        }
        self.check_condition_variables(&conditions, version);
        Some(Statement {
            index,
            pointer: pointer.to_string(),
            span: value.span,
            sid,
            effect: effect?,
            principal,
            actions: actions?,
            resources,
            conditions,
        })
    }

    /// Picks the positive or the negated form, reporting both given at once.
    fn pick<T: HasSpan>(
        &mut self,
        positive: Option<T>,
        negated: Option<T>,
        names: (&'static str, &'static str),
        pointer: &str,
        span: Span,
    ) -> Option<T> {
        match (positive, negated) {
            (Some(_), Some(n)) => {
                let span = n.span_or(span);
                self.fail(
                    PolicyErrorKind::BothPositiveAndNegated {
                        positive: names.0,
                        negated: names.1,
                    },
                    &pointer_child(pointer, names.1),
                    span,
                );
                None
            }
            (p, n) => p.or(n),
        }
    }

    fn sid(&mut self, member: &Member, pointer: &str) -> Option<Located<String>> {
        let Some(text) = member.value.as_str() else {
            self.wrong_type("Sid", "a string", &member.value, pointer);
            return None;
        };
        // Unique across the document, even among statements with other faults; empty
        // Sids may repeat.
        if !text.is_empty() {
            if self.sids.iter().any(|s| s == text) {
                self.fail(
                    PolicyErrorKind::DuplicateSid {
                        sid: text.to_string(),
                    },
                    pointer,
                    member.value.span,
                );
            }
            self.sids.push(text.to_string());
        }
        // Letters and digits (IAM has stored underscores too, as in `Null_Resource`).
        let checked = self.kind.is_identity() || self.kind == PolicyKind::Trust;
        if checked && !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.fail(
                PolicyErrorKind::InvalidSid {
                    sid: text.to_string(),
                    trust: self.kind == PolicyKind::Trust,
                },
                pointer,
                member.value.span,
            );
        }
        Some(Located {
            value: text.to_string(),
            pointer: pointer.to_string(),
            span: member.value.span,
        })
    }

    fn effect(&mut self, member: &Member, pointer: &str) -> Option<Effect> {
        match member.value.as_str() {
            Some("Allow") => Some(Effect::Allow),
            Some("Deny") => Some(Effect::Deny),
            Some(other) => {
                self.fail(
                    PolicyErrorKind::InvalidEffect {
                        value: other.to_string(),
                    },
                    pointer,
                    member.value.span,
                );
                None
            }
            None => {
                self.wrong_type("Effect", "a string", &member.value, pointer);
                None
            }
        }
    }

    /// A string or a non-empty array of strings; `skip_null` leaves out `null` items.
    fn strings(
        &mut self,
        element: &str,
        value: &Json,
        pointer: &str,
        skip_null: bool,
    ) -> Option<Vec<Located<String>>> {
        match &value.kind {
            JsonKind::String(s) => Some(vec![Located {
                value: s.clone(),
                pointer: pointer.to_string(),
                span: value.span,
            }]),
            JsonKind::Array(items) if items.is_empty() => {
                self.fail(
                    PolicyErrorKind::EmptyElement {
                        element: element.to_string(),
                    },
                    pointer,
                    value.span,
                );
                None
            }
            JsonKind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut ok = true;
                for (i, item) in items.iter().enumerate() {
                    if skip_null && matches!(item.kind, JsonKind::Null) {
                        continue;
                    }
                    let here = format!("{pointer}/{i}");
                    match item.as_str() {
                        Some(s) => out.push(Located {
                            value: s.to_string(),
                            pointer: here,
                            span: item.span,
                        }),
                        None => {
                            self.wrong_type(element, "a string", item, &here);
                            ok = false;
                        }
                    }
                }
                ok.then_some(out)
            }
            _ => {
                self.wrong_type(element, "a string or an array of strings", value, pointer);
                None
            }
        }
    }

    fn clause(&mut self, member: &Member, pointer: &str, negated: bool) -> Option<Clause> {
        let items = match &member.value.kind {
            JsonKind::Array(items) if items.is_empty() => Vec::new(),
            // IAM stores a `null` among resources and ignores it.
            _ => {
                let skip_null = member.name.ends_with("Resource");
                self.strings(&member.name, &member.value, pointer, skip_null)?
            }
        };
        Some(Clause {
            negated,
            items,
            pointer: pointer.to_string(),
            span: member.value.span,
        })
    }

    fn principal(
        &mut self,
        member: &Member,
        pointer: &str,
        negated: bool,
    ) -> Option<PrincipalClause> {
        let value = &member.value;
        let mut clause = PrincipalClause {
            negated,
            everyone: false,
            entries: Vec::new(),
            pointer: pointer.to_string(),
            span: value.span,
        };
        match &value.kind {
            JsonKind::String(s) if s == "*" => clause.everyone = true,
            JsonKind::String(s) => {
                self.fail(
                    PolicyErrorKind::InvalidPrincipal {
                        principal_type: "AWS".into(),
                        value: s.clone(),
                    },
                    pointer,
                    value.span,
                );
                return None;
            }
            JsonKind::Object(members) if members.is_empty() => {
                self.fail(
                    PolicyErrorKind::EmptyElement {
                        element: member.name.clone(),
                    },
                    pointer,
                    value.span,
                );
                return None;
            }
            JsonKind::Object(members) => {
                for inner in self.unique_members(members, pointer) {
                    let here = pointer_child(pointer, &inner.name);
                    let Some(principal_type) = PrincipalType::parse(&inner.name) else {
                        self.unknown(inner, &here);
                        continue;
                    };
                    let Some(values) = self.strings(&inner.name, &inner.value, &here, false) else {
                        continue;
                    };
                    for item in values {
                        if !valid_principal(principal_type, &item.value) {
                            self.fail(
                                PolicyErrorKind::InvalidPrincipal {
                                    principal_type: inner.name.clone(),
                                    value: item.value.clone(),
                                },
                                &item.pointer,
                                item.span,
                            );
                            continue;
                        }
                        clause.entries.push((principal_type, item));
                    }
                }
            }
            _ => {
                self.wrong_type(&member.name, "\"*\" or an object", value, pointer);
                return None;
            }
        }
        Some(clause)
    }

    fn conditions(&mut self, value: &Json, pointer: &str) -> Vec<ConditionClause> {
        let JsonKind::Object(operators) = &value.kind else {
            self.wrong_type("Condition", "an object", value, pointer);
            return Vec::new();
        };
        let mut out = Vec::new();
        for op_member in self.unique_members(operators, pointer) {
            let op_pointer = pointer_child(pointer, &op_member.name);
            let operator = Operator::parse(&op_member.name);
            let JsonKind::Object(keys) = &op_member.value.kind else {
                self.wrong_type(
                    &op_member.name,
                    "an object of condition keys",
                    &op_member.value,
                    &op_pointer,
                );
                continue;
            };
            // AWS stores an operator with an empty body, even one it does not know; it
            // holds nothing, so it constrains nothing.
            if operator.is_none() && !keys.is_empty() {
                self.fail(
                    PolicyErrorKind::InvalidConditionOperator {
                        operator: op_member.name.clone(),
                    },
                    &op_pointer,
                    op_member.name_span,
                );
            }
            for key_member in self.unique_members(keys, &op_pointer) {
                let key_pointer = pointer_child(&op_pointer, &key_member.name);
                let Some(values) =
                    self.condition_values(&key_member.name, &key_member.value, &key_pointer)
                else {
                    continue;
                };
                if operator.is_some_and(|o| matches!(o.family, Family::Date(_))) {
                    for value in values.iter().filter(|v| !has_variable(&v.value)) {
                        if !aws_accepts_date(&value.value) {
                            self.fail(
                                PolicyErrorKind::DateLegacyParsing {
                                    value: value.value.clone(),
                                },
                                &value.pointer,
                                value.span,
                            );
                        }
                    }
                }
                if let Some(operator) = operator {
                    out.push(ConditionClause {
                        operator,
                        operator_name: Located {
                            value: op_member.name.clone(),
                            pointer: op_pointer.clone(),
                            span: op_member.name_span,
                        },
                        key: Located {
                            value: key_member.name.clone(),
                            pointer: key_pointer.clone(),
                            span: key_member.name_span,
                        },
                        values,
                    });
                }
            }
        }
        out
    }

    /// Condition values may be strings, numbers or booleans, or arrays of them.
    fn condition_values(
        &mut self,
        key: &str,
        value: &Json,
        pointer: &str,
    ) -> Option<Vec<Located<String>>> {
        let scalar = |item: &Json, pointer: String| -> Option<Located<String>> {
            let text = match &item.kind {
                JsonKind::String(s) => s.clone(),
                JsonKind::Number(n) => n.clone(),
                JsonKind::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some(Located {
                value: text,
                pointer,
                span: item.span,
            })
        };
        match &value.kind {
            // An empty list is stored: no value matches it.
            JsonKind::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let here = format!("{pointer}/{i}");
                    match scalar(item, here.clone()) {
                        Some(v) => out.push(v),
                        None => {
                            self.wrong_type(key, "a string, number or boolean", item, &here);
                            return None;
                        }
                    }
                }
                Some(out)
            }
            _ => match scalar(value, pointer.to_string()) {
                Some(v) => Some(vec![v]),
                None => {
                    self.wrong_type(
                        key,
                        "a string, number, boolean or an array of them",
                        value,
                        pointer,
                    );
                    None
                }
            },
        }
    }

    fn check_placement(
        &mut self,
        principal: Option<&PrincipalClause>,
        resources: Option<&Clause>,
        pointer: &str,
        span: Span,
    ) {
        if self.kind.is_identity() {
            if let Some(p) = principal {
                self.fail(PolicyErrorKind::PrincipalProhibited, &p.pointer, p.span);
            }
            if resources.is_none() {
                self.fail(PolicyErrorKind::MissingResources, pointer, span);
            }
        } else {
            // A resource-policy statement without a principal is stored and never
            // matches (its siblings still apply); a trust policy must name one.
            if principal.is_none() && self.kind == PolicyKind::Trust {
                self.fail(PolicyErrorKind::MissingPrincipal, pointer, span);
            }
            match (self.kind, resources) {
                (PolicyKind::Trust, Some(r)) => {
                    self.fail(PolicyErrorKind::ResourceProhibited, &r.pointer, r.span)
                }
                (PolicyKind::Resource, None) => {
                    self.fail(PolicyErrorKind::MissingResources, pointer, span)
                }
                _ => {}
            }
        }
    }

    /// AWS validates an action's vendor prefix and its single colon, nothing after it:
    /// `s3:GetObject,PutObject` or `s3:` are stored and simply never match a request.
    fn check_actions(&mut self, actions: &Clause) {
        for item in &actions.items {
            let value = &item.value;
            if value == "*" {
                continue;
            }
            let kind = match value.split_once(':') {
                None => Some(PolicyErrorKind::MissingVendor {
                    value: value.clone(),
                }),
                Some((vendor, name)) => {
                    let vendor_ok = !vendor.is_empty()
                        && vendor
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
                    (!vendor_ok || name.contains(':')).then(|| PolicyErrorKind::InvalidAction {
                        value: value.clone(),
                    })
                }
            };
            if let Some(kind) = kind {
                self.fail(kind, &item.pointer, item.span);
                continue;
            }
            // A trust policy speaks only of assuming the role.
            let vendor = value.split_once(':').map(|(v, _)| v).unwrap_or_default();
            if self.kind == PolicyKind::Trust
                && !actions.negated
                && !vendor.eq_ignore_ascii_case("sts")
            {
                self.fail(
                    PolicyErrorKind::TrustActionNotSts {
                        value: value.clone(),
                    },
                    &item.pointer,
                    item.span,
                );
            }
        }
    }

    /// Format faults first; AWS's legacy parser reads a statement's resources only while
    /// no resource so far (in this statement or an earlier one) had a format fault.
    fn check_resources(&mut self, resources: &Clause, version: Option<Version>) {
        let mut well_formed = Vec::with_capacity(resources.items.len());
        for item in &resources.items {
            match resource_format_fault(&item.value) {
                Some(fault) => {
                    self.resource_format_fault_seen = true;
                    self.fail(fault, &item.pointer, item.span);
                }
                None => well_formed.push(item),
            }
        }
        for item in well_formed {
            if !self.resource_format_fault_seen && !resource_parses_legacy(&item.value) {
                self.fail(
                    PolicyErrorKind::ResourceLegacyParsing {
                        value: item.value.clone(),
                    },
                    &item.pointer,
                    item.span,
                );
                continue;
            }
            self.check_variables(item, version);
        }
    }

    fn check_condition_variables(
        &mut self,
        conditions: &[ConditionClause],
        version: Option<Version>,
    ) {
        for condition in conditions {
            if !condition.operator.takes_variables() {
                continue;
            }
            for value in &condition.values {
                self.check_variables(value, version);
            }
        }
    }

    fn check_variables(&mut self, item: &Located<String>, version: Option<Version>) {
        if !has_variable(&item.value) {
            return;
        }
        if version != Some(Version::V2012_10_17) {
            self.fail(
                PolicyErrorKind::VariablesNeedVersion {
                    value: item.value.clone(),
                },
                &item.pointer,
                item.span,
            );
            return;
        }
        if let Err(e) = tokenize(&item.value, true, true) {
            self.fail(
                PolicyErrorKind::InvalidVariable { detail: e.detail },
                &item.pointer,
                item.span,
            );
        }
    }
}

trait HasSpan {
    fn span_or(&self, fallback: Span) -> Span;
}

impl HasSpan for Clause {
    fn span_or(&self, _: Span) -> Span {
        self.span
    }
}

impl HasSpan for PrincipalClause {
    fn span_or(&self, _: Span) -> Span {
        self.span
    }
}

/// The IAM resource types an IAM ARN's last part may start with (and `*`, and `root`).
const IAM_RESOURCE_TYPES: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// AWS's resource format checks, in its order: a colon at all, the partition (this
/// account's, `aws`), an exact service, no region for IAM and for S3 buckets, and an IAM
/// resource type. A service AWS does not know is stored (lint warns).
fn resource_format_fault(value: &str) -> Option<PolicyErrorKind> {
    let owned = || value.to_string();
    if value == "*" {
        return None;
    }
    // AWS reads the text before the first colon as "arn" whatever it says.
    let Some((_, rest)) = value.split_once(':') else {
        return Some(PolicyErrorKind::ResourceNotArn { value: owned() });
    };
    let (partition, after_partition) = match rest.split_once(':') {
        Some((partition, after)) => (partition, Some(after)),
        None => (rest, None),
    };
    if partition != "aws" {
        return Some(PolicyErrorKind::InvalidPartition {
            partition: partition.to_string(),
            value: rebuilt_arn(partition, after_partition),
        });
    }
    let Some(after_partition) = after_partition else {
        return Some(PolicyErrorKind::ResourceVendor { value: owned() });
    };
    let (service, after_service) = after_partition
        .split_once(':')
        .unwrap_or((after_partition, ""));
    if service.contains(['*', '?']) {
        return Some(PolicyErrorKind::ResourceVendor { value: owned() });
    }
    let mut parts = after_service.splitn(3, ':');
    let region = parts.next().unwrap_or_default();
    let account = parts.next().unwrap_or_default();
    let resource = parts.next().unwrap_or_default();
    match service {
        "iam" if !region.is_empty() => Some(PolicyErrorKind::IamResourceRegion { value: owned() }),
        "iam"
            if resource != "*"
                && resource != "root"
                && !IAM_RESOURCE_TYPES.iter().any(|t| resource.starts_with(t)) =>
        {
            Some(PolicyErrorKind::IamResourcePath { value: owned() })
        }
        // Buckets have neither region nor account; access points and jobs have both.
        "s3" if !region.is_empty() && account.is_empty() => {
            Some(PolicyErrorKind::ResourceRegion { value: owned() })
        }
        _ => None,
    }
}

/// The ARN as AWS quotes it in a partition error: missing parts written as `*`.
fn rebuilt_arn(partition: &str, after: Option<&str>) -> String {
    let rest: Vec<&str> = after.unwrap_or_default().split(':').collect();
    let part = |i: usize| match rest.get(i) {
        Some(p) if !p.is_empty() || rest.len() > 1 => (*p).to_string(),
        _ => "*".to_string(),
    };
    let last = match rest.get(3..) {
        Some(tail) if !tail.is_empty() => tail.join(":"),
        _ => "*".to_string(),
    };
    format!("arn:{partition}:{}:{}:{}:{last}", part(0), part(1), part(2))
}

/// AWS's legacy parser, run on resources without a format fault: an ARN with an empty
/// part needs all six parts (`arn:aws:s3::bucket` fails), and the service is never empty.
fn resource_parses_legacy(value: &str) -> bool {
    if value == "*" {
        return true;
    }
    (value.matches(':').count() >= 5 || !value.contains("::"))
        && value
            .split(':')
            .nth(2)
            .is_some_and(|service| !service.is_empty())
}

/// AWS principals: `*`, a 12-digit account, or an IAM/STS ARN; services are host names.
fn valid_principal(principal_type: PrincipalType, value: &str) -> bool {
    match principal_type {
        PrincipalType::Aws => {
            value == "*" || (value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())) || {
                let parts: Vec<&str> = value.splitn(6, ':').collect();
                matches!(parts.as_slice(), ["arn", _, "iam" | "sts", "", account, resource]
                        if account.len() == 12
                            && account.bytes().all(|b| b.is_ascii_digit())
                            && !resource.is_empty())
            }
        }
        PrincipalType::Service => !value.is_empty() && !value.contains(char::is_whitespace),
        PrincipalType::Federated | PrincipalType::CanonicalUser => !value.is_empty(),
    }
}
