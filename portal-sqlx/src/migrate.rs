//! A small migrator with its own table, `portal_schema_migrations`, so that Portal's
//! schema history never mixes with the host application's (sqlx's `_sqlx_migrations`
//! or any other tool's).
//!
//! Each migration runs in its own transaction under a lock that every instance takes
//! ([`Lock::Migrations`]: an advisory lock on PostgreSQL, the write lock on SQLite), so
//! several instances starting at once apply each migration exactly once, and a
//! migration that fails leaves nothing behind. A migration already applied is checked
//! against the SHA-256 of its text; an edited one is refused rather than skipped.

use portal_core::StoreError;
use portal_core::token::TokenDigest;
use sqlx::Pool;

use crate::dialect::{Dialect, Lock};
use crate::error::store_error;
use crate::stmt::sql;

/// Applies every migration of `DB` not yet recorded. Idempotent.
pub(crate) async fn migrate<DB: Dialect>(pool: &Pool<DB>) -> Result<(), StoreError> {
    for m in DB::MIGRATIONS {
        let checksum = TokenDigest::of(m.sql.as_bytes());
        let mut tx = DB::begin_write(pool).await.map_err(store_error)?;
        DB::lock(&mut tx, Lock::Migrations)
            .await
            .map_err(store_error)?;
        DB::execute_script(&mut tx, DB::MIGRATIONS_TABLE)
            .await
            .map_err(store_error)?;
        let applied = sql::<DB>("SELECT checksum FROM portal_schema_migrations WHERE version = $1")
            .int(m.version)
            .optional(&mut tx)
            .await?;
        match applied {
            Some(r) if r.digest("checksum")? == checksum => continue,
            Some(_) => {
                return Err(StoreError::Corrupt(format!(
                    "migration {} ({}) differs from the one applied to this database",
                    m.version, m.description
                )));
            }
            None => {}
        }
        tracing::info!(
            version = m.version,
            description = m.description,
            "applying migration"
        );
        DB::execute_script(&mut tx, m.sql)
            .await
            .map_err(store_error)?;
        sql::<DB>(
            "INSERT INTO portal_schema_migrations (version, description, checksum) \
             VALUES ($1, $2, $3)",
        )
        .int(m.version)
        .text(m.description)
        .digest(&checksum)
        .run(&mut tx)
        .await?;
        tx.commit().await.map_err(store_error)?;
    }
    Ok(())
}
