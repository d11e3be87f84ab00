//! What the API manages on a user besides keys and policies: the console password
//! as AWS's "login profile". The console sets passwords through
//! [`Service::reset_user_password`]; both doors end in the same store calls.

use model::users::PasswordMode;

use crate::authz::Extra;
use crate::{Caller, Service, ServiceError};

/// A user's login profile, as `GetLoginProfile` answers it.
#[derive(Debug, Clone)]
pub struct LoginProfile {
    pub user_name: String,
    pub created_at: time::OffsetDateTime,
    pub password_reset_required: bool,
}

fn no_profile(name: &str) -> ServiceError {
    ServiceError::NotFound {
        field: Some("user"),
        message: format!("Login Profile for User {name} cannot be found."),
    }
}

impl Service {
    /// `iam:CreateLoginProfile`: a console password for a user who has none.
    pub async fn create_login_profile(
        &self,
        caller: &Caller,
        name: &str,
        password: &str,
        reset_required: bool,
    ) -> Result<LoginProfile, ServiceError> {
        let (user, _) = self
            .user_for(caller, "iam:CreateLoginProfile", name, Extra::boundary_of)
            .await?;
        if user.password_hash.is_some() {
            return Err(ServiceError::AlreadyExists {
                field: "user",
                message: format!("Login Profile for user {} already exists.", user.name),
            });
        }
        self.set_password_as(
            caller,
            &user,
            "iam:CreateLoginProfile",
            password,
            reset_required,
        )
        .await?;
        Ok(LoginProfile {
            user_name: user.name,
            created_at: caller.now,
            password_reset_required: reset_required,
        })
    }

    /// `iam:GetLoginProfile`.
    pub async fn login_profile(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<LoginProfile, ServiceError> {
        let (user, _) = self
            .user_for(caller, "iam:GetLoginProfile", name, |_| Extra::new())
            .await?;
        match user
            .password_changed_at
            .filter(|_| user.password_hash.is_some())
        {
            Some(at) => Ok(LoginProfile {
                user_name: user.name,
                created_at: at,
                password_reset_required: user.password_reset_required,
            }),
            None => Err(no_profile(&user.name)),
        }
    }

    /// `iam:UpdateLoginProfile`: a new password (the user's sessions end).
    pub async fn update_login_profile(
        &self,
        caller: &Caller,
        name: &str,
        password: Option<&str>,
        reset_required: bool,
    ) -> Result<(), ServiceError> {
        let user = self
            .store
            .user_by_name(name.trim())
            .await?
            .filter(|u| u.password_hash.is_some());
        if user.is_none() {
            // Authorize first, so a refusal looks the same for every name.
            self.user_for(caller, "iam:UpdateLoginProfile", name, |_| Extra::new())
                .await?;
            return Err(no_profile(name.trim()));
        }
        match password {
            Some(password) => self
                .reset_user_password(caller, name, PasswordMode::Custom, password, reset_required)
                .await
                .map(|_| ()),
            None => Err(ServiceError::invalid(
                "password",
                "Give the new password: Portcullis changes only passwords through UpdateLoginProfile.",
            )),
        }
    }

    /// `iam:DeleteLoginProfile`: the user can no longer sign in to the console.
    pub async fn delete_login_profile(
        &self,
        caller: &Caller,
        name: &str,
    ) -> Result<(), ServiceError> {
        let (user, permit) = self
            .user_for(caller, "iam:DeleteLoginProfile", name, Extra::boundary_of)
            .await?;
        self.store
            .delete_login_profile(&user.id, &permit.audit(caller, "console password removed"))
            .await
            .map_err(|e| match e {
                store::StoreError::NotFound { .. } => no_profile(&user.name),
                other => other.into(),
            })
    }
}
