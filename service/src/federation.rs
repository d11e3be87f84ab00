//! What `AssumeRoleWithWebIdentity` and `AssumeRoleWithSAML` share once their token
//! is verified: the role's trust policy alone decides (a federated identity has no
//! policies of its own), with the token's claims as condition keys; then the session
//! is issued with its duration, session policies, tags and source identity.
//!
//! Such a session has no IAM user: its credentials are recorded under the account
//! (the root row owns them, as the account owns the role) and act only as the role.

use policy::{ContextValue, Decision, PolicySet, PrincipalKind};
use store::roles::SessionAttributes;
use store::{AuditEntry, Outcome};

use crate::authz::request_context;
use crate::caller::{role_session_arn, RequestFacts};
use crate::sts::AssumedRole;
use crate::{Service, ServiceError};

/// AWS's shortest federated session.
const MIN_SECONDS: i64 = 900;

/// A verified token's request for a role session.
pub(crate) struct Federation<'a> {
    /// `sts:AssumeRoleWithWebIdentity` or `sts:AssumeRoleWithSAML`.
    pub action: &'static str,
    pub kind: PrincipalKind,
    pub provider_arn: &'a str,
    pub role_arn: &'a str,
    pub session_name: &'a str,
    /// The token's condition keys (`ISSUER:sub`, `saml:aud`, …).
    pub claims: Vec<(String, ContextValue)>,
    /// Session tags and source identity the token asks for (SAML attributes).
    pub attributes: SessionAttributes,
    pub duration_seconds: Option<i64>,
    /// A limit the token sets on the session (SAML's `SessionDuration`).
    pub token_max_seconds: Option<i64>,
    pub session_policy: Option<&'a String>,
    pub session_policy_arns: &'a [String],
    /// Who the audit log names (`web identity SUB from ISSUER`).
    pub actor: String,
    /// A token good only once (a SAML assertion): its id and expiry, recorded when
    /// the session is issued.
    pub once: Option<(String, time::OffsetDateTime)>,
}

impl Service {
    /// Decides `federation` by the role's trust policy and issues the session. A
    /// missing role and an untrusting one are the same refusal, as in AWS.
    pub(crate) async fn federated_session(
        &self,
        facts: &RequestFacts,
        federation: Federation<'_>,
    ) -> Result<AssumedRole, ServiceError> {
        let action = federation.action;
        let now = self.clock.now();
        let account = self.store.account_id().await?.unwrap_or_default();
        let not_authorized =
            || ServiceError::Refused(format!("Not authorized to perform {action}"));
        let role = self
            .role_by_arn(&account, federation.role_arn)
            .await?
            .ok_or_else(not_authorized)?;
        let trust_set = crate::roles::trust_set(&role)?;
        let mut context = request_context(
            now.unix_timestamp(),
            false,
            None,
            facts.secure_transport,
            &facts.ip_text(),
            "",
        );
        for (name, value) in &federation.claims {
            context.insert(name, value.clone());
        }
        context.insert(
            "aws:FederatedProvider",
            ContextValue::Single(federation.provider_arn.to_string()),
        );
        context.insert(
            "sts:RoleSessionName",
            ContextValue::Single(federation.session_name.to_string()),
        );
        let attributes = &federation.attributes;
        for (key, value) in &attributes.tags {
            context.insert(
                &format!("aws:RequestTag/{key}"),
                ContextValue::Single(value.clone()),
            );
        }
        if !attributes.tags.is_empty() {
            context.insert(
                "aws:TagKeys",
                ContextValue::Multi(attributes.tags.keys().cloned().collect()),
            );
        }
        if !attributes.transitive_keys.is_empty() {
            context.insert(
                "sts:TransitiveTagKeys",
                ContextValue::Multi(attributes.transitive_keys.clone()),
            );
        }
        if let Some(source) = &attributes.source_identity {
            context.insert("sts:SourceIdentity", ContextValue::Single(source.clone()));
        }
        // The action itself, then each thing the token attaches to the session.
        let mut actions = vec![action];
        if !attributes.tags.is_empty() {
            actions.push("sts:TagSession");
        }
        if attributes.source_identity.is_some() {
            actions.push("sts:SetSourceIdentity");
        }
        let nothing = PolicySet::new();
        for asked in actions {
            let request = policy::Request::new(
                policy::Principal {
                    kind: federation.kind,
                    arn: federation.provider_arn.to_string(),
                    account: String::new(),
                    id: None,
                    tags: Default::default(),
                    source_arn: None,
                },
                asked,
                policy::Resource {
                    arn: role.arn.clone(),
                    account: None,
                    tags: Default::default(),
                },
                context.clone(),
            )
            .map_err(ServiceError::internal)?;
            let explanation = policy::Evaluator::new(&nothing)
                .with_resource_policy(&trust_set)
                .explain(&request);
            if explanation.decision != Decision::Allow || !crate::roles::trust_allowed(&explanation)
            {
                return Err(if asked == action {
                    not_authorized()
                } else {
                    ServiceError::Refused(format!("Not authorized to perform {asked}"))
                });
            }
        }

        let asked_seconds = federation.duration_seconds.unwrap_or(3600);
        if asked_seconds < MIN_SECONDS || asked_seconds > i64::from(role.max_session_seconds) {
            return Err(ServiceError::invalid(
                "duration_seconds",
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
            ));
        }
        let seconds = federation
            .token_max_seconds
            .map_or(asked_seconds, |max| asked_seconds.min(max));
        let session_policies = self
            .session_documents(federation.session_policy, federation.session_policy_arns)
            .await?;
        if let Some((id, expires)) = &federation.once {
            if !self
                .store
                .redeem_saml_assertion(federation.provider_arn, id, *expires, now)
                .await?
            {
                return Err(ServiceError::IdentityToken {
                    kind: crate::web_identity::TokenRefusal::Invalid,
                    message: "This SAML assertion was already used: a bearer assertion is good once. Sign in at the identity provider again.".into(),
                });
            }
        }
        let owner = self.store.root().await?.ok_or(ServiceError::Internal)?;
        let (credentials, mut stored) = self.mint_credentials(&owner.id, now, seconds, false)?;
        let packed = session_policies.iter().map(String::len).sum::<usize>();
        stored.session_policies = session_policies;
        let entry = AuditEntry {
            at: now,
            actor: federation.actor.clone(),
            action,
            target: role.arn.clone(),
            source_ip: facts.ip_text(),
            outcome: Outcome::Success,
            detail: format!(
                "session {} as {} for {seconds} s",
                federation.session_name, credentials.access_key_id
            ),
        };
        self.store
            .issue_role_credentials(
                &role.id,
                federation.session_name,
                attributes,
                &stored,
                &entry,
            )
            .await?;
        Ok(AssumedRole {
            credentials,
            arn: role_session_arn(&account, &role.name, federation.session_name),
            assumed_role_id: format!("{}:{}", role.id, federation.session_name),
            packed_policy_percent: (packed > 0).then(|| packed * 100 / 2048),
            source_identity: attributes.source_identity.clone(),
        })
    }
}
