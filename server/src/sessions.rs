//! Console sessions in PostgreSQL: tower-sessions-sqlx-store's table and encoding, with
//! a new session created in one statement.
//!
//! The library creates a session in a transaction (begin, look the id up, upsert,
//! commit: four round trips, on every sign-in). `INSERT … ON CONFLICT DO NOTHING` gives
//! the same guarantee, never overwriting another session's id, in one.

use async_trait::async_trait;
use sqlx::PgPool;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::PostgresStore;

/// Where the library keeps sessions (its defaults, which `PostgresStore::new` uses).
const CREATE: &str = r#"insert into "tower_sessions"."session" (id, data, expiry_date)
    values ($1, $2, $3) on conflict (id) do nothing"#;

#[derive(Clone, Debug)]
pub struct Sessions {
    pool: PgPool,
    table: PostgresStore,
}

impl Sessions {
    /// Opens the store and creates its table if needed.
    pub async fn open(pool: PgPool) -> Result<Sessions, sqlx::Error> {
        let table = PostgresStore::new(pool.clone());
        table.migrate().await?;
        Ok(Sessions { pool, table })
    }
}

fn backend(error: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for Sessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A fresh id per attempt until one is free (a 128-bit id practically never clashes).
        loop {
            // The record carries its id, so it is encoded per attempt.
            let data = rmp_serde::to_vec(&record)
                .map_err(|e| session_store::Error::Encode(e.to_string()))?;
            let inserted = sqlx::query(CREATE)
                .bind(record.id.to_string())
                .bind(&data)
                .bind(record.expiry_date)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.table.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.table.load(id).await
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.table.delete(id).await
    }
}

#[async_trait]
impl ExpiredDeletion for Sessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.table.delete_expired().await
    }
}
