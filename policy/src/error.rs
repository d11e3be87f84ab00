//! Why a policy document is rejected, with AWS's message and the exact place.
//!
//! Every variant carries what a person needs to fix it; [`PolicyError::aws_message`] is
//! the text AWS IAM returns for the same fault, so scripts written against AWS keep
//! working, and [`Location`] is where the console underlines it.

use std::fmt;

use crate::json::{line_column, Span};

/// A place in the policy text: a JSON pointer and the line and column it starts at.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Location {
    /// RFC 6901 pointer, such as `/Statement/0/Action/1`.
    pub pointer: String,
    /// 1-based.
    pub line: u32,
    /// 1-based, in characters.
    pub column: u32,
    /// Byte range in the text.
    pub start: usize,
    pub end: usize,
}

impl Location {
    pub fn new(text: &str, pointer: &str, span: Span) -> Location {
        let (line, column) = line_column(text, span.start);
        Location {
            pointer: pointer.to_string(),
            line,
            column,
            start: span.start,
            end: span.end,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, "{pointer} (line {}, column {})", self.line, self.column)
    }
}

/// The kinds of policy, which decide the size limit and whether `Principal` belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// A customer-managed identity policy.
    Managed,
    /// A template shipped with the product, like AWS-managed policies: no size quota.
    Template,
    InlineUser,
    InlineGroup,
    InlineRole,
    /// A permissions boundary: a managed identity policy used as a ceiling.
    Boundary,
    /// A session policy passed when assuming a role.
    Session,
    /// A resource-based policy (bucket policy, queue policy, …).
    Resource,
    /// A role's trust policy.
    Trust,
}

impl PolicyKind {
    /// Maximum characters, not counting white space, as AWS counts them.
    pub fn size_limit(self) -> usize {
        match self {
            PolicyKind::Managed | PolicyKind::Boundary => 6_144,
            PolicyKind::Template => usize::MAX,
            PolicyKind::InlineUser => 2_048,
            PolicyKind::InlineGroup => 5_120,
            PolicyKind::InlineRole => 10_240,
            PolicyKind::Session => 2_048,
            PolicyKind::Trust => 2_048,
            PolicyKind::Resource => 20_480,
        }
    }

    /// Identity-side policies must not name a principal; the others must.
    pub fn is_identity(self) -> bool {
        !matches!(self, PolicyKind::Resource | PolicyKind::Trust)
    }

    /// IAM refuses identity policies written in the 2008 grammar or without `Version`;
    /// trust and resource policies may still be old, and templates are ours.
    pub fn requires_current_version(self) -> bool {
        self.is_identity() && self != PolicyKind::Template
    }

    pub fn parse(text: &str) -> Option<PolicyKind> {
        Some(match text.to_ascii_lowercase().as_str() {
            "managed" | "identity" => PolicyKind::Managed,
            "template" => PolicyKind::Template,
            "inline-user" | "user" => PolicyKind::InlineUser,
            "inline-group" | "group" => PolicyKind::InlineGroup,
            "inline-role" | "role" => PolicyKind::InlineRole,
            "boundary" | "permissions-boundary" => PolicyKind::Boundary,
            "session" => PolicyKind::Session,
            "resource" => PolicyKind::Resource,
            "trust" => PolicyKind::Trust,
            _ => return None,
        })
    }

    fn describe(self) -> &'static str {
        match self {
            PolicyKind::Managed => "a managed policy",
            PolicyKind::Template => "a template",
            PolicyKind::InlineUser => "an inline user policy",
            PolicyKind::InlineGroup => "an inline group policy",
            PolicyKind::InlineRole => "an inline role policy",
            PolicyKind::Boundary => "a permissions boundary",
            PolicyKind::Session => "a session policy",
            PolicyKind::Resource => "a resource-based policy",
            PolicyKind::Trust => "a role trust policy",
        }
    }
}

/// What is wrong with a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyErrorKind {
    /// The text is not JSON.
    InvalidJson {
        detail: String,
    },
    /// An element has the wrong JSON type.
    WrongType {
        element: String,
        expected: &'static str,
        found: &'static str,
    },
    UnknownElement {
        name: String,
    },
    DuplicateElement {
        name: String,
    },
    /// A list that must not be empty is.
    EmptyElement {
        element: String,
    },
    MissingStatement,
    InvalidVersion {
        value: String,
    },
    /// `${...}` under version 2008-10-17 (or without a version).
    VariablesNeedVersion {
        value: String,
    },
    InvalidVariable {
        detail: String,
    },
    MissingEffect,
    InvalidEffect {
        value: String,
    },
    MissingActions,
    BothPositiveAndNegated {
        positive: &'static str,
        negated: &'static str,
    },
    MissingVendor {
        value: String,
    },
    InvalidAction {
        value: String,
    },
    MissingResources,
    ResourceNotArn {
        value: String,
    },
    /// An identity policy without `Version`, or with 2008-10-17.
    VersionTooOld {
        value: Option<String>,
    },
    /// A Date condition value that is no date at all.
    DateLegacyParsing {
        value: String,
    },
    /// An ARN with too few parts, or another shape the legacy parser cannot read.
    ResourceLegacyParsing {
        value: String,
    },
    InvalidPartition {
        partition: String,
        value: String,
    },
    /// The service part of a resource ARN is empty or has a wildcard.
    ResourceVendor {
        value: String,
    },
    IamResourcePath {
        value: String,
    },
    IamResourceRegion {
        value: String,
    },
    /// A region in the ARN of a service whose resources have none (such as S3 buckets).
    ResourceRegion {
        value: String,
    },
    ResourceProhibited,
    /// A trust policy naming an action of another service than STS.
    TrustActionNotSts {
        value: String,
    },
    PrincipalProhibited,
    MissingPrincipal,
    InvalidPrincipal {
        principal_type: String,
        value: String,
    },
    DuplicateSid {
        sid: String,
    },
    InvalidSid {
        sid: String,
        /// Role trust policies report it in other words.
        trust: bool,
    },
    InvalidConditionOperator {
        operator: String,
    },
    TooLarge {
        kind: PolicyKind,
        limit: usize,
        size: usize,
    },
}

/// A rejected policy: what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub kind: PolicyErrorKind,
    pub location: Location,
}

impl PolicyErrorKind {
    /// Whether this fault only decides if a document may be saved: the document is
    /// still whole and evaluates as written (see `PolicyDocument::parse_stored`).
    pub fn is_save_rule(&self) -> bool {
        use PolicyErrorKind::*;
        matches!(
            self,
            TooLarge { .. }
                | VersionTooOld { .. }
                | InvalidSid { .. }
                | DuplicateSid { .. }
                | ResourceNotArn { .. }
                | ResourceLegacyParsing { .. }
                | InvalidPartition { .. }
                | ResourceVendor { .. }
                | IamResourcePath { .. }
                | IamResourceRegion { .. }
                | ResourceRegion { .. }
                | DateLegacyParsing { .. }
                | MissingVendor { .. }
                | InvalidAction { .. }
                | TrustActionNotSts { .. }
        )
    }
}

impl PolicyError {
    /// The message AWS IAM returns for the same fault.
    pub fn aws_message(&self) -> String {
        use PolicyErrorKind::*;
        match &self.kind {
            InvalidJson { .. }
            | WrongType { .. }
            | UnknownElement { .. }
            | DuplicateElement { .. }
            | EmptyElement { .. }
            | InvalidVariable { .. }
            | BothPositiveAndNegated { .. }
            | MissingStatement
            | InvalidVersion { .. }
            | MissingEffect
            | InvalidConditionOperator { .. } => "Syntax errors in policy.".into(),
            InvalidEffect { value } if is_effect_in_wrong_case(value) => {
                "The policy failed legacy parsing".into()
            }
            InvalidEffect { .. } => "Syntax errors in policy.".into(),
            VariablesNeedVersion { .. } => {
                "Policy document must be version 2012-10-17 or greater.".into()
            }
            MissingActions => "Policy statement must contain actions.".into(),
            MissingVendor { .. } => {
                "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.".into()
            }
            InvalidAction { value } => match value.split_once(':') {
                Some((_, rest)) if rest.contains(':') => {
                    "Actions/Condition can contain only one colon.".into()
                }
                Some((vendor, _)) if vendor.contains(['*', '?']) => {
                    "Action vendors (e.g., aws, ec2, etc.) must not contain wildcards.".into()
                }
                Some((vendor, _)) => format!("Vendor {vendor} is not valid"),
                None => "Syntax errors in policy.".into(),
            },
            MissingResources => "Policy statement must contain resources.".into(),
            ResourceNotArn { value } => {
                format!("Resource {value} must be in ARN format or \"*\".")
            }
            VersionTooOld { .. } => "Policy document must be version 2012-10-17 or greater.".into(),
            ResourceLegacyParsing { .. } | DateLegacyParsing { .. } => {
                "The policy failed legacy parsing".into()
            }
            InvalidPartition { partition, value } => {
                format!("Partition \"{partition}\" is not valid for resource \"{value}\".")
            }
            ResourceVendor { .. } => {
                "Resource vendor must be fully qualified and cannot contain regexes.".into()
            }
            IamResourcePath { .. } => IAM_RESOURCE_PATH.into(),
            IamResourceRegion { value } => {
                format!("IAM resource {value} cannot contain region information.")
            }
            ResourceRegion { value } => format!("Resource {value} can not contain region information."),
            ResourceProhibited => "Has prohibited field Resource.".into(),
            TrustActionNotSts { .. } => {
                "AssumeRole policy may only specify STS AssumeRole actions.".into()
            }
            PrincipalProhibited => "Policy document should not specify a principal.".into(),
            MissingPrincipal => "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!".into(),
            InvalidPrincipal {
                principal_type,
                value,
            } => format!("Invalid principal in policy: \"{principal_type}\":\"{value}\""),
            DuplicateSid { .. } => "Statement IDs (SID) in a single policy must be unique.".into(),
            InvalidSid { sid, trust: true } => {
                format!("The following Statement Ids are invalid: {sid}")
            }
            InvalidSid { .. } => "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*".into(),
            TooLarge { kind, limit, .. } => match kind {
                PolicyKind::InlineUser => format!("Maximum policy size of {limit} bytes exceeded for user"),
                PolicyKind::InlineGroup => format!("Maximum policy size of {limit} bytes exceeded for group"),
                PolicyKind::InlineRole => format!("Maximum policy size of {limit} bytes exceeded for role"),
                PolicyKind::Trust => format!("Cannot exceed quota for ACLSizePerRole: {limit}"),
                _ => format!("Cannot exceed quota for PolicySize: {limit}"),
            },
        }
    }

    /// AWS reports one fault per document, checking in this order: syntax, version,
    /// legacy parsing, Sid uniqueness, actions present, resource format, action vendors,
    /// resources present.
    /// Sorting by rank makes our first error the one AWS would name.
    pub fn rank(&self) -> u8 {
        use PolicyErrorKind::*;
        match &self.kind {
            TooLarge { .. } => 0,
            InvalidVersion { .. } | VariablesNeedVersion { .. } | VersionTooOld { .. } => 2,
            InvalidEffect { value } if is_effect_in_wrong_case(value) => 3,
            ResourceLegacyParsing { .. } | DateLegacyParsing { .. } => 3,
            DuplicateSid { .. } | InvalidSid { .. } => 4,
            MissingActions => 5,
            ResourceProhibited | PrincipalProhibited | MissingPrincipal => 6,
            // IAM checks that identity statements have resources last of all.
            MissingResources => 9,
            ResourceNotArn { .. }
            | InvalidPartition { .. }
            | ResourceVendor { .. }
            | IamResourcePath { .. }
            | IamResourceRegion { .. }
            | ResourceRegion { .. }
            | InvalidPrincipal { .. } => 7,
            MissingVendor { .. } | InvalidAction { .. } | TrustActionNotSts { .. } => 8,
            _ => 1,
        }
    }

    /// What exactly is wrong, in words that say how to fix it.
    pub fn detail(&self) -> String {
        use PolicyErrorKind::*;
        match &self.kind {
            InvalidJson { detail } => format!("The document is not valid JSON: {detail}."),
            WrongType {
                element,
                expected,
                found,
            } => format!("`{element}` must be {expected}, not {found}."),
            UnknownElement { name } => format!(
                "`{name}` is not a policy element (element names are case-sensitive)."
            ),
            DuplicateElement { name } => format!("`{name}` appears more than once."),
            EmptyElement { element } => format!("`{element}` must not be empty."),
            MissingStatement => "The policy needs a `Statement` element.".into(),
            InvalidVersion { value } => {
                format!("`Version` must be \"2012-10-17\" or \"2008-10-17\", not \"{value}\".")
            }
            VariablesNeedVersion { value } => format!(
                "`{value}` uses a policy variable, which needs \"Version\": \"2012-10-17\"."
            ),
            InvalidVariable { detail } => format!("Invalid policy variable: {detail}."),
            MissingEffect => "Each statement needs \"Effect\": \"Allow\" or \"Deny\".".into(),
            InvalidEffect { value } => {
                format!("`Effect` must be \"Allow\" or \"Deny\" (case-sensitive), not \"{value}\".")
            }
            MissingActions => "Each statement needs `Action` or `NotAction`.".into(),
            BothPositiveAndNegated { positive, negated } => {
                format!("A statement may have `{positive}` or `{negated}`, not both.")
            }
            MissingVendor { value } => format!(
                "`{value}` must start with a service prefix and a colon, such as `s3:GetObject` or `aws:SourceIp`."
            ),
            InvalidAction { value } => format!(
                "`{value}` must be `service:ActionName` with one colon and only letters, digits, `-`, `_`, `*` or `?`."
            ),
            MissingResources => "Each statement of this policy needs `Resource` or `NotResource`.".into(),
            ResourceNotArn { value } => format!(
                "`{value}` is not an ARN such as `arn:aws:s3:::bucket/*`; use \"*\" for all resources."
            ),
            VersionTooOld { value: None } => "Identity policies need \"Version\": \"2012-10-17\".".into(),
            VersionTooOld { value: Some(value) } => format!(
                "Identity policies need \"Version\": \"2012-10-17\", not \"{value}\"."
            ),
            DateLegacyParsing { value } => format!(
                "`{value}` is not a date: write ISO 8601 (2026-12-31T23:59:59Z) or epoch seconds."
            ),
            ResourceLegacyParsing { value } => format!(
                "`{value}` is not a whole ARN: write arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (six parts, some may be empty)."
            ),
            InvalidPartition { partition, .. } => format!(
                "`{partition}` is not an AWS partition (aws, aws-cn, aws-us-gov, …)."
            ),
            ResourceVendor { value } => format!(
                "`{value}` must name its service exactly (such as s3 or iam), without wildcards."
            ),
            IamResourcePath { value } => format!(
                "`{value}` names no IAM resource type: its last part must be \"*\" or start with user/, role/, group/, policy/, …"
            ),
            IamResourceRegion { value } => format!(
                "`{value}`: IAM is global, leave the region part empty (arn:aws:iam::ACCOUNT:…)."
            ),
            ResourceRegion { value } => format!(
                "`{value}`: this service's resources have no region, leave that part empty."
            ),
            ResourceProhibited => "A role trust policy applies to the role itself: remove `Resource`.".into(),
            TrustActionNotSts { value } => format!(
                "`{value}` is not an STS action; a trust policy allows sts:AssumeRole (or …WithSAML, …WithWebIdentity, sts:TagSession, sts:SetSourceIdentity)."
            ),
            PrincipalProhibited => "Identity policies apply to whoever they are attached to: remove `Principal`.".into(),
            MissingPrincipal => "Each statement of this policy needs `Principal` or `NotPrincipal`.".into(),
            InvalidPrincipal { principal_type, value } => format!(
                "`{value}` is not a valid {principal_type} principal (use \"*\", an account id, or an IAM user, role or session ARN)."
            ),
            DuplicateSid { sid } => format!("The Sid \"{sid}\" is used by another statement."),
            InvalidSid { sid, .. } => format!("The Sid \"{sid}\" may only contain letters and digits."),
            InvalidConditionOperator { operator } => format!(
                "`{operator}` is not a condition operator (for example StringEquals, IpAddress, DateLessThan, ForAnyValue:StringLike, ArnLikeIfExists)."
            ),
            TooLarge { kind, limit, size } => format!(
                "{} may have at most {limit} characters without white space; this one has {size}.",
                capitalize(kind.describe())
            ),
        }
    }
}

/// AWS's words for an IAM ARN whose resource part names no IAM resource type.
const IAM_RESOURCE_PATH: &str = "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.";

fn is_effect_in_wrong_case(value: &str) -> bool {
    value.eq_ignore_ascii_case("allow") || value.eq_ignore_ascii_case("deny")
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} At {}.",
            self.aws_message(),
            self.detail(),
            self.location
        )
    }
}

impl std::error::Error for PolicyError {}

/// All the faults of one document, in document order; the first is what AWS reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl PolicyErrors {
    pub fn first(&self) -> Option<&PolicyError> {
        self.0.first()
    }
}

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyErrors {}
