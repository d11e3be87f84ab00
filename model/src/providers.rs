//! Identity providers (OpenID Connect and SAML) as the console lists them.

use serde::{Deserialize, Serialize};

use crate::access::Refusals;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderRow {
    pub arn: String,
    pub url: String,
    /// Client ids: the audiences its tokens may be for.
    pub audiences: Vec<String>,
    pub thumbprints: Vec<String>,
    pub created: String,
}

/// A SAML 2.0 identity provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlProviderRow {
    pub arn: String,
    pub name: String,
    /// The metadata's entity id: the issuer its responses must name.
    pub entity_id: String,
    /// When the metadata says it expires, if it does.
    pub valid_until: Option<String>,
    pub created: String,
}

/// The identity providers page: the providers, and the changes the caller may not
/// make. SAML providers are listed only when `iam:ListSAMLProviders` is allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvidersView {
    pub providers: Vec<ProviderRow>,
    pub saml: Vec<SamlProviderRow>,
    pub refusals: Refusals,
}

/// Client ids or thumbprints as typed: separated by commas, spaces or lines.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
