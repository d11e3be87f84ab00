//! OpenID Connect providers: which issuers' tokens `sts:AssumeRoleWithWebIdentity`
//! accepts and for which audiences. Each operation is AWS's IAM action on the
//! provider's ARN, with its tags in context, like every other entity.

use std::collections::BTreeMap;

use store::oidc_providers::{NewOidcProvider, OidcProvider};

use crate::authz::{Extra, Permit};
use crate::{Caller, Service, ServiceError};

/// AWS's limits: 100 client ids of 1 to 255 characters, 5 thumbprints of 40 hex digits.
const MAX_CLIENT_IDS: usize = 100;
const MAX_THUMBPRINTS: usize = 5;

/// The ARN AWS gives a provider: `oidc-provider/` and the URL without its scheme
/// (and without a trailing `/`).
pub fn provider_arn(account: &str, url: &str) -> String {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url)
        .trim_end_matches('/');
    format!("arn:aws:iam::{account}:oidc-provider/{rest}")
}

/// Whether `host` is this machine: the only place a provider may be reached over
/// plain HTTP (a test issuer, or one behind a local proxy). Anything else needs TLS.
fn is_loopback(host: &str) -> bool {
    if let Some(rest) = host.strip_prefix("[::1]") {
        return rest.is_empty() || rest.starts_with(':');
    }
    let name = host.split(':').next().unwrap_or_default();
    matches!(name, "localhost" | "127.0.0.1")
}

/// Checks an issuer URL as AWS does (`https://`, at most 255 characters, no query or
/// fragment) and returns it without a trailing `/`.
pub fn checked_url(url: &str) -> Result<String, ServiceError> {
    let url = url.trim();
    if url.is_empty() || url.chars().count() > 255 {
        return Err(ServiceError::invalid(
            "url",
            "The provider URL has 1 to 255 characters.",
        ));
    }
    let rest = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(rest), _) => rest,
        (None, Some(rest)) if is_loopback(rest.split('/').next().unwrap_or_default()) => rest,
        _ => {
            return Err(ServiceError::invalid(
                "url",
                "The provider URL must begin with https:// (plain http:// only for this machine: localhost or 127.0.0.1).",
            ))
        }
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty()
        || rest.contains(['?', '#', ' '])
        || !rest.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(ServiceError::invalid(
            "url",
            "The provider URL needs a host and may not have a query, a fragment or spaces.",
        ));
    }
    Ok(url.trim_end_matches('/').to_string())
}

fn checked_client_id(id: &str) -> Result<(), ServiceError> {
    if id.is_empty() || id.chars().count() > 255 {
        return Err(ServiceError::invalid(
            "client_id",
            "A client ID (audience) has 1 to 255 characters.",
        ));
    }
    Ok(())
}

fn checked_thumbprint(print: &str) -> Result<String, ServiceError> {
    if print.len() != 40 || !print.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ServiceError::invalid(
            "thumbprint",
            format!("\"{print}\" is not a thumbprint: a thumbprint is 40 hexadecimal digits (a certificate's SHA-1)."),
        ));
    }
    Ok(print.to_ascii_lowercase())
}

/// A thumbprint list: at most five, each checked, lower-cased, without repeats.
fn checked_thumbprints(thumbprints: &[String]) -> Result<Vec<String>, ServiceError> {
    if thumbprints.len() > MAX_THUMBPRINTS {
        return Err(ServiceError::LimitExceeded {
            field: "thumbprint",
            message: "Cannot exceed quota for ThumbprintsPerOpenIdConnectProvider: 5".into(),
        });
    }
    let mut prints = Vec::new();
    for print in thumbprints {
        let print = checked_thumbprint(print)?;
        if !prints.contains(&print) {
            prints.push(print);
        }
    }
    Ok(prints)
}

fn no_provider(arn: &str) -> ServiceError {
    ServiceError::NotFound {
        field: None,
        message: format!("OpenIDConnect Provider not found for arn {arn}"),
    }
}

impl Service {
    /// Finds the provider `arn` and authorizes `action` on it (with its tags), or on
    /// the ARN as given when there is none, so a refusal looks the same either way.
    pub(crate) async fn oidc_provider_for(
        &self,
        caller: &Caller,
        action: &'static str,
        arn: &str,
        extra: Extra,
    ) -> Result<(OidcProvider, Permit), ServiceError> {
        let found = self.store.oidc_provider(arn).await?;
        self.authorize_found(caller, action, arn, extra, found, || no_provider(arn))
            .await
    }

    /// `iam:CreateOpenIDConnectProvider` (tags need `iam:TagOpenIDConnectProvider`).
    pub async fn create_oidc_provider(
        &self,
        caller: &Caller,
        url: &str,
        client_ids: &[String],
        thumbprints: &[String],
        tags: &[(String, String)],
    ) -> Result<OidcProvider, ServiceError> {
        let url = checked_url(url)?;
        if client_ids.len() > MAX_CLIENT_IDS {
            return Err(ServiceError::LimitExceeded {
                field: "client_id",
                message: "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100".into(),
            });
        }
        let mut ids: Vec<String> = Vec::new();
        for id in client_ids {
            checked_client_id(id)?;
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        let prints = checked_thumbprints(thumbprints)?;
        model::tags::check_all(tags)?;
        let tags: BTreeMap<String, String> = tags.iter().cloned().collect();
        let arn = provider_arn(&caller.account_id, &url);
        let extra = Extra::new().with_request_tags(&tags);
        let permit = self
            .authorize_with(caller, "iam:CreateOpenIDConnectProvider", &arn, &extra)
            .await?;
        if !tags.is_empty() {
            self.authorize_with(caller, "iam:TagOpenIDConnectProvider", &arn, &extra)
                .await?;
        }
        self.store
            .create_oidc_provider(
                &NewOidcProvider {
                    arn: &arn,
                    url: &url,
                    client_ids: &ids,
                    thumbprints: &prints,
                    tags: &tags,
                },
                &permit.audit(caller, format!("provider {url}")),
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Duplicate { .. } => ServiceError::AlreadyExists {
                    field: "url",
                    message: format!("Provider with url {url} already exists."),
                },
                other => other.into(),
            })
    }

    /// `iam:GetOpenIDConnectProvider`.
    pub async fn oidc_provider(
        &self,
        caller: &Caller,
        arn: &str,
    ) -> Result<OidcProvider, ServiceError> {
        Ok(self
            .oidc_provider_for(caller, "iam:GetOpenIDConnectProvider", arn, Extra::new())
            .await?
            .0)
    }

    /// `iam:ListOpenIDConnectProviders` (an account-wide action, as in AWS).
    pub async fn oidc_providers(&self, caller: &Caller) -> Result<Vec<OidcProvider>, ServiceError> {
        self.authorize(caller, "iam:ListOpenIDConnectProviders", "*")
            .await?;
        Ok(self.store.oidc_providers().await?)
    }

    /// The identity providers page: OpenID Connect and SAML providers, and the
    /// changes refused.
    pub async fn providers_overview(
        &self,
        caller: &Caller,
    ) -> Result<model::providers::ProvidersView, ServiceError> {
        let providers = self.oidc_providers(caller).await?;
        let any = format!("arn:aws:iam::{}:oidc-provider/*", caller.account_id);
        let any_saml = format!("arn:aws:iam::{}:saml-provider/*", caller.account_id);
        let refusals = self
            .refusals(
                caller,
                &[
                    ("iam:CreateOpenIDConnectProvider", any.clone()),
                    ("iam:DeleteOpenIDConnectProvider", any.clone()),
                    ("iam:AddClientIDToOpenIDConnectProvider", any.clone()),
                    ("iam:RemoveClientIDFromOpenIDConnectProvider", any),
                    ("iam:ListSAMLProviders", "*".to_string()),
                    ("iam:CreateSAMLProvider", any_saml.clone()),
                    ("iam:UpdateSAMLProvider", any_saml.clone()),
                    ("iam:DeleteSAMLProvider", any_saml),
                ],
            )
            .await?;
        let saml = if refusals.reason("iam:ListSAMLProviders").is_none() {
            self.saml_providers(caller).await?
        } else {
            Vec::new()
        };
        Ok(model::providers::ProvidersView {
            providers: providers
                .into_iter()
                .map(|p| model::providers::ProviderRow {
                    arn: p.arn,
                    url: p.url,
                    audiences: p.client_ids,
                    thumbprints: p.thumbprints,
                    created: crate::format::date(p.created_at),
                })
                .collect(),
            saml: saml
                .into_iter()
                .map(|p| model::providers::SamlProviderRow {
                    arn: p.arn,
                    name: p.name,
                    entity_id: p.entity_id,
                    valid_until: p.valid_until.map(crate::format::date),
                    created: crate::format::date(p.created_at),
                })
                .collect(),
            refusals,
        })
    }

    /// `iam:DeleteOpenIDConnectProvider`: tokens of that issuer are refused from now.
    pub async fn delete_oidc_provider(
        &self,
        caller: &Caller,
        arn: &str,
    ) -> Result<(), ServiceError> {
        let (provider, permit) = self
            .oidc_provider_for(caller, "iam:DeleteOpenIDConnectProvider", arn, Extra::new())
            .await?;
        self.store
            .delete_oidc_provider(&provider.arn, &permit.audit(caller, "provider deleted"))
            .await?;
        Ok(())
    }

    /// `iam:AddClientIDToOpenIDConnectProvider` (an id already there is no change).
    pub async fn add_oidc_client_id(
        &self,
        caller: &Caller,
        arn: &str,
        client_id: &str,
    ) -> Result<(), ServiceError> {
        self.change_oidc_client_id(caller, arn, client_id, true)
            .await
    }

    /// `iam:RemoveClientIDFromOpenIDConnectProvider` (an id not there is no change).
    pub async fn remove_oidc_client_id(
        &self,
        caller: &Caller,
        arn: &str,
        client_id: &str,
    ) -> Result<(), ServiceError> {
        self.change_oidc_client_id(caller, arn, client_id, false)
            .await
    }

    async fn change_oidc_client_id(
        &self,
        caller: &Caller,
        arn: &str,
        client_id: &str,
        add: bool,
    ) -> Result<(), ServiceError> {
        checked_client_id(client_id)?;
        let (action, done) = if add {
            ("iam:AddClientIDToOpenIDConnectProvider", "added")
        } else {
            ("iam:RemoveClientIDFromOpenIDConnectProvider", "removed")
        };
        let (provider, permit) = self
            .oidc_provider_for(caller, action, arn, Extra::new())
            .await?;
        self.store
            .change_oidc_provider(
                &provider.arn,
                |ids, _| {
                    let present = ids.iter().any(|id| id == client_id);
                    if !add {
                        ids.retain(|id| id != client_id);
                    } else if !present {
                        if ids.len() >= MAX_CLIENT_IDS {
                            return Err(ServiceError::LimitExceeded {
                                field: "client_id",
                                message:
                                    "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100"
                                        .into(),
                            });
                        }
                        ids.push(client_id.to_string());
                    }
                    Ok(())
                },
                &permit.audit(caller, format!("client id {client_id} {done}")),
            )
            .await
    }

    /// `iam:UpdateOpenIDConnectProviderThumbprint`: replaces the whole list.
    pub async fn update_oidc_thumbprints(
        &self,
        caller: &Caller,
        arn: &str,
        thumbprints: &[String],
    ) -> Result<(), ServiceError> {
        let prints = checked_thumbprints(thumbprints)?;
        let (provider, permit) = self
            .oidc_provider_for(
                caller,
                "iam:UpdateOpenIDConnectProviderThumbprint",
                arn,
                Extra::new(),
            )
            .await?;
        self.store
            .change_oidc_provider(
                &provider.arn,
                |_, current| {
                    *current = prints;
                    Ok::<(), ServiceError>(())
                },
                &permit.audit(caller, "thumbprints replaced"),
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_arns_as_aws_makes_them() {
        assert_eq!(
            checked_url("https://token.actions.githubusercontent.com/").unwrap(),
            "https://token.actions.githubusercontent.com"
        );
        assert_eq!(
            provider_arn("123456789012", "https://issuer.example/tenant/v2"),
            "arn:aws:iam::123456789012:oidc-provider/issuer.example/tenant/v2"
        );
        assert!(checked_url("http://127.0.0.1:8080/idp").is_ok());
        assert!(checked_url("http://localhost/idp").is_ok());
        assert!(checked_url("http://[::1]:9000/idp").is_ok());
        for bad in [
            "",
            "http://issuer.example",
            "http://127.0.0.1.evil.example",
            "http://[2001:db8::1]/idp",
            "http://[::1]evil/idp",
            "ftp://issuer.example",
            "issuer.example",
            "https://",
            "https://issuer.example/?x=1",
            "https://issuer.example/#f",
            "https://issuer example",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
        assert!(checked_thumbprint(&"a".repeat(40)).is_ok());
        assert!(checked_thumbprint(&"g".repeat(40)).is_err());
        assert!(checked_thumbprint("abc").is_err());
    }
}
