//! Tags on users, roles and customer policies: one set of operations for the
//! console's tag panels and the API's `Tag…`/`Untag…`/`List…Tags`, each
//! authorized with AWS's context (`aws:RequestTag/*`, `aws:TagKeys`, and the
//! entity's own `aws:ResourceTag/*`).

use std::collections::BTreeMap;

use model::tags::TagError;
use store::{TagChangeError, Tagged};

use crate::authz::{Extra, Permit};
use crate::policies::Found;
use crate::{Caller, Service, ServiceError};

impl From<TagError> for ServiceError {
    fn from(e: TagError) -> Self {
        match e {
            TagError::TooMany => ServiceError::LimitExceeded {
                field: "tags",
                message: e.to_string(),
            },
            // AWS answers a duplicate key with InvalidInput, not a validation error.
            TagError::Duplicate(_) => ServiceError::Conflict(e.to_string()),
            other => ServiceError::invalid("tags", other.to_string()),
        }
    }
}

impl From<TagChangeError> for ServiceError {
    fn from(e: TagChangeError) -> Self {
        match e {
            TagChangeError::Rule(rule) => rule.into(),
            TagChangeError::Store(store) => store.into(),
        }
    }
}

/// The actions that tag, untag and list tags of one kind of entity.
fn actions(tagged: Tagged) -> [&'static str; 3] {
    match tagged {
        Tagged::User => ["iam:TagUser", "iam:UntagUser", "iam:ListUserTags"],
        Tagged::Role => ["iam:TagRole", "iam:UntagRole", "iam:ListRoleTags"],
        Tagged::Policy => ["iam:TagPolicy", "iam:UntagPolicy", "iam:ListPolicyTags"],
        Tagged::InstanceProfile => [
            "iam:TagInstanceProfile",
            "iam:UntagInstanceProfile",
            "iam:ListInstanceProfileTags",
        ],
        Tagged::ServerCertificate => [
            "iam:TagServerCertificate",
            "iam:UntagServerCertificate",
            "iam:ListServerCertificateTags",
        ],
        Tagged::OidcProvider => [
            "iam:TagOpenIDConnectProvider",
            "iam:UntagOpenIDConnectProvider",
            "iam:ListOpenIDConnectProviderTags",
        ],
        Tagged::SamlProvider => [
            "iam:TagSAMLProvider",
            "iam:UntagSAMLProvider",
            "iam:ListSAMLProviderTags",
        ],
        Tagged::MfaDevice => [
            "iam:TagMFADevice",
            "iam:UntagMFADevice",
            "iam:ListMFADeviceTags",
        ],
    }
}

/// An entity found and authorized: its id and tags, and the permit for its audit row.
struct Target {
    id: String,
    tags: BTreeMap<String, String>,
    permit: Permit,
}

impl Service {
    /// Finds the entity `name` of kind `tagged` and authorizes `action` on it with
    /// `extra` (plus its own tags and boundary, which the lookups add).
    async fn tag_target(
        &self,
        caller: &Caller,
        tagged: Tagged,
        action: &'static str,
        name: &str,
        extra: Extra,
    ) -> Result<Target, ServiceError> {
        match tagged {
            Tagged::User => {
                let (user, permit) = self
                    .user_for(caller, action, name, |u| {
                        extra.with_boundary(u.boundary_arn.as_deref())
                    })
                    .await?;
                Ok(Target {
                    id: user.id,
                    tags: user.tags,
                    permit,
                })
            }
            Tagged::Role => {
                let (role, permit) = self.role_for_with(caller, action, name, extra).await?;
                Ok(Target {
                    id: role.id,
                    tags: role.tags,
                    permit,
                })
            }
            Tagged::InstanceProfile => {
                let (profile, permit) = self
                    .instance_profile_for(caller, action, name, extra)
                    .await?;
                Ok(Target {
                    id: profile.id,
                    tags: profile.tags,
                    permit,
                })
            }
            Tagged::ServerCertificate => {
                let (certificate, permit) = self
                    .server_certificate_for(caller, action, name, extra)
                    .await?;
                Ok(Target {
                    id: certificate.id,
                    tags: certificate.tags,
                    permit,
                })
            }
            Tagged::OidcProvider => {
                let (provider, permit) =
                    self.oidc_provider_for(caller, action, name, extra).await?;
                Ok(Target {
                    id: provider.id,
                    tags: provider.tags,
                    permit,
                })
            }
            Tagged::MfaDevice => {
                let device = self.mfa_device_for(caller, action, name, extra).await?;
                Ok(Target {
                    id: device.name.to_lowercase(),
                    tags: device.tags,
                    permit: device.permit,
                })
            }
            Tagged::SamlProvider => {
                let (provider, permit) =
                    self.saml_provider_for(caller, action, name, extra).await?;
                Ok(Target {
                    id: provider.id,
                    tags: provider.tags,
                    permit,
                })
            }
            Tagged::Policy => match self.policy_for_with(caller, action, name, extra).await? {
                (Found::Customer(policy, _), permit) => Ok(Target {
                    id: policy.id,
                    tags: policy.tags,
                    permit,
                }),
                (Found::Template(arn, _), _) => Err(ServiceError::Conflict(format!(
                    "{arn} is managed by AWS and cannot be tagged."
                ))),
            },
        }
    }

    /// Adds or replaces tags (`iam:TagUser`/`TagRole`/`TagPolicy`); a key written in
    /// another case replaces the tag. At most 50 per entity, checked under its lock.
    pub async fn tag(
        &self,
        caller: &Caller,
        tagged: Tagged,
        name: &str,
        tags: &[(String, String)],
    ) -> Result<BTreeMap<String, String>, ServiceError> {
        if tags.is_empty() {
            return Err(ServiceError::invalid("tags", "Give at least one tag."));
        }
        model::tags::check_all(tags)?;
        let requested: BTreeMap<String, String> = tags.iter().cloned().collect();
        let extra = Extra::new().with_request_tags(&requested);
        let target = self
            .tag_target(caller, tagged, actions(tagged)[0], name, extra)
            .await?;
        let detail = tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(self
            .store
            .change_tags(
                tagged,
                &target.id,
                tags,
                &[],
                &target.permit.audit(caller, format!("tags set: {detail}")),
            )
            .await?)
    }

    /// Removes tags by key, in any case (`iam:UntagUser`/`UntagRole`/`UntagPolicy`);
    /// keys the entity does not have are ignored, as AWS does.
    pub async fn untag(
        &self,
        caller: &Caller,
        tagged: Tagged,
        name: &str,
        keys: &[String],
    ) -> Result<BTreeMap<String, String>, ServiceError> {
        if keys.is_empty() {
            return Err(ServiceError::invalid("tags", "Give at least one tag key."));
        }
        for key in keys {
            model::tags::check(key, "")?;
        }
        let extra = Extra::new().with_tag_keys(keys);
        let target = self
            .tag_target(caller, tagged, actions(tagged)[1], name, extra)
            .await?;
        Ok(self
            .store
            .change_tags(
                tagged,
                &target.id,
                &[],
                keys,
                &target
                    .permit
                    .audit(caller, format!("tags removed: {}", keys.join(", "))),
            )
            .await?)
    }

    /// A console tag panel: the tags, and whether the viewer may add or remove them.
    pub async fn tags_view(
        &self,
        caller: &Caller,
        tagged: Tagged,
        name: &str,
    ) -> Result<model::tags::TagsView, ServiceError> {
        let [tag, untag, list] = actions(tagged);
        let target = match self
            .tag_target(caller, tagged, list, name, Extra::new())
            .await
        {
            Ok(target) => target,
            Err(ServiceError::Conflict(reason)) => {
                return Ok(model::tags::TagsView {
                    untaggable: Some(reason),
                    ..Default::default()
                })
            }
            Err(other) => return Err(other),
        };
        let arn = target.permit.resource;
        let refusals = self
            .refusals(caller, &[(tag, arn.clone()), (untag, arn)])
            .await?;
        Ok(model::tags::TagsView {
            tags: target.tags.into_iter().collect(),
            refusals,
            untaggable: None,
        })
    }

    /// The entity's tags (`iam:ListUserTags`/`ListRoleTags`/`ListPolicyTags`).
    pub async fn tags_of(
        &self,
        caller: &Caller,
        tagged: Tagged,
        name: &str,
    ) -> Result<BTreeMap<String, String>, ServiceError> {
        Ok(self
            .tag_target(caller, tagged, actions(tagged)[2], name, Extra::new())
            .await?
            .tags)
    }
}
