//! The service's rules without HTTP or wasm, over a real PostgreSQL (each test its
//! own database) and a clock the tests move by hand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod budgets;
mod cache;
mod costs;
mod mail;
mod time_rules;

use identity::hashing::PasswordHasher;
use identity::secret_box::SecretBox;
use model::session::Stage;
use service::{Caller, ManualClock, Options, RequestFacts, Service, SessionChange, SessionState};
use store::Store;

pub const ROOT_PASSWORD: &str = "Root-Password-2026";

/// A service over a fresh database, with a clock the test moves.
pub struct World {
    pub service: Service,
    pub clock: ManualClock,
    pub facts: RequestFacts,
}

pub async fn world() -> World {
    world_with(Options::default()).await
}

/// [`world`] with the service's own options (an SMTP relay, say).
pub async fn world_with(options: Options) -> World {
    let store = Store::connect_with(store::cluster::test_database().await.unwrap(), 10)
        .await
        .unwrap();
    let clock = ManualClock::starting_at(time::OffsetDateTime::now_utc());
    let service = Service::new(
        store,
        PasswordHasher::new(2, 64).unwrap(),
        SecretBox::new(&[("k1".into(), SecretBox::generate_key())]).unwrap(),
        clock.clock(),
        options,
    );
    World {
        service,
        clock,
        facts: RequestFacts {
            source_ip: Some("127.0.0.1".parse().unwrap()),
            secure_transport: false,
        },
    }
}

/// The state a step left the session in.
pub fn state(change: &SessionChange) -> SessionState {
    match change {
        SessionChange::Start(state) | SessionChange::Set(state) => state.clone(),
        other => panic!("expected a session, got {other:?}"),
    }
}

impl World {
    /// A second server instance on the same database: its own connections, caches
    /// and clock reading, as another process would have.
    pub async fn another_instance(&self) -> Service {
        let options = (*self.service.store().pool().connect_options()).clone();
        Service::new(
            Store::connect_with(options, 5).await.unwrap(),
            PasswordHasher::new(2, 64).unwrap(),
            SecretBox::new(&[("k1".into(), SecretBox::generate_key())]).unwrap(),
            self.clock.clock(),
            Options::default(),
        )
    }

    /// Sets up the account; root's session.
    pub async fn set_up(&self) -> SessionState {
        let done = self
            .service
            .set_up(
                &self.facts,
                "localhost:3000",
                service::signin::SetUp {
                    email: "root@example.com".into(),
                    password: ROOT_PASSWORD.into(),
                    confirm: ROOT_PASSWORD.into(),
                    token: String::new(),
                },
            )
            .await;
        assert_eq!(done.outcome.unwrap(), Stage::SignedIn);
        state(&done.session)
    }

    /// The caller of a request made with `session`.
    pub async fn caller(&self, session: &SessionState) -> Result<Caller, service::ServiceError> {
        self.service
            .resolve(Some(session), None, None, self.facts.clone())
            .await
            .0
    }

    /// Creates a user with a console password, as root.
    pub async fn user(&self, root: &SessionState, name: &str, password: &str) {
        let root = self.caller(root).await.unwrap();
        self.service
            .create_user(
                &root,
                service::users::NewUserInput {
                    name: name.into(),
                    path: String::new(),
                    password_mode: model::users::PasswordMode::Custom,
                    password: password.into(),
                    require_reset: false,
                    tags: String::new(),
                    tag_pairs: Vec::new(),
                    boundary: None,
                },
            )
            .await
            .unwrap();
    }

    /// Signs in with a password: the step's session change and next stage.
    pub async fn sign_in(
        &self,
        name: &str,
        password: &str,
    ) -> (SessionChange, Result<Stage, service::ServiceError>) {
        let step = self.service.sign_in(&self.facts, name, password).await;
        (step.session, step.outcome)
    }
}
