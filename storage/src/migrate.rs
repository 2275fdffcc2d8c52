//! Schema migrations: embedded SQL files applied in order at start.
//!
//! All pending migrations run in ONE transaction that first takes a
//! transaction-scoped advisory lock, so several processes starting at once
//! against the same database apply each migration exactly once, and a
//! failing migration leaves the schema as it was.

use crate::db::{describe, Db, DbError};

/// Arbitrary constant naming "Corkboard schema migrations" for
/// `pg_advisory_xact_lock`.
const MIGRATION_LOCK: i64 = 0x436f_726b_626f_6172; // "Corkboar"

/// `(version, name, sql)`, in order. Never edit an applied migration: add a
/// new file instead.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../migrations/0001_init.sql")),
    (
        2,
        "login_sessions",
        include_str!("../migrations/0002_login_sessions.sql"),
    ),
    (
        3,
        "api_keys",
        include_str!("../migrations/0003_api_keys.sql"),
    ),
    (4, "invites", include_str!("../migrations/0004_invites.sql")),
    (
        5,
        "board_archive",
        include_str!("../migrations/0005_board_archive.sql"),
    ),
    (
        6,
        "command_outcomes",
        include_str!("../migrations/0006_command_outcomes.sql"),
    ),
    (
        7,
        "item_queries",
        include_str!("../migrations/0007_item_queries.sql"),
    ),
    (
        8,
        "comments",
        include_str!("../migrations/0008_comments.sql"),
    ),
    (
        9,
        "append_indexes",
        include_str!("../migrations/0009_append_indexes.sql"),
    ),
    (
        10,
        "list_pages",
        include_str!("../migrations/0010_list_pages.sql"),
    ),
    (
        11,
        "event_items",
        include_str!("../migrations/0011_event_items.sql"),
    ),
    (
        12,
        "org_events",
        include_str!("../migrations/0012_org_events.sql"),
    ),
    (13, "nodes", include_str!("../migrations/0013_nodes.sql")),
    (
        14,
        "operators",
        include_str!("../migrations/0014_operators.sql"),
    ),
    (15, "jobs", include_str!("../migrations/0015_jobs.sql")),
    (
        16,
        "accounts",
        include_str!("../migrations/0016_accounts.sql"),
    ),
    (17, "audit", include_str!("../migrations/0017_audit.sql")),
    (
        18,
        "webhooks",
        include_str!("../migrations/0018_webhooks.sql"),
    ),
    (
        19,
        "items_unused_index",
        include_str!("../migrations/0019_items_unused_index.sql"),
    ),
    (
        20,
        "items_partial_gin",
        include_str!("../migrations/0020_items_partial_gin.sql"),
    ),
];

impl Db {
    /// Applies every migration not yet recorded in `schema_migrations`.
    /// Idempotent; safe to run concurrently from several processes.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached, or
    /// [`DbError::Other`] when a migration fails (nothing is applied then).
    pub async fn migrate(&self) -> Result<(), DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version    bigint      PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
        let applied: Vec<i64> = tx
            .query("SELECT version FROM schema_migrations", &[])
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        for &(version, name, sql) in MIGRATIONS {
            if applied.contains(&version) {
                continue;
            }
            tx.batch_execute(sql).await.map_err(|e| {
                DbError::Other(format!(
                    "migration {version} ({name}) failed: {}",
                    describe(&e)
                ))
            })?;
            tx.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)",
                &[&version],
            )
            .await?;
            tracing::info!(version, name, "applied database migration");
        }
        tx.commit().await?;
        Ok(())
    }
}
