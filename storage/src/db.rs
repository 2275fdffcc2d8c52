//! The connection pool and the error type every query returns.

use std::str::FromStr;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::NoTls;

/// How long opening a TCP/unix connection to PostgreSQL may take (unless the
/// connection string sets `connect_timeout` itself).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a caller waits for a free pool connection, and how long creating
/// or recycling one may take. Together with [`CONNECT_TIMEOUT`] this makes a
/// dead database an error within about two seconds instead of a hang.
pub const POOL_TIMEOUT: Duration = Duration::from_secs(2);
/// Deadline of [`Db::ping`].
pub const PING_TIMEOUT: Duration = Duration::from_secs(1);

/// A database failure, classified for callers.
///
/// | cause | variant | to clients |
/// |---|---|---|
/// | no connection: refused, lost, I/O error, pool or connect timeout | `Unavailable` | `unavailable`, retryable, 503 |
/// | SQLSTATE 08 (connection), 40 (serialization failure, deadlock), 53 (insufficient resources), 55P03 (lock not available), 57 (shutdown, cancel), 58 (system I/O) | `Unavailable` | `unavailable`, retryable, 503 |
/// | 23505 unique violation | `Conflict` | a 409 where a route expects it, else `internal` |
/// | any other SQLSTATE: 22 (data exception), 23 (other constraints), 42 (syntax, undefined table or column), XX (corruption), ... | `Other` | `internal`, not retryable, 500 |
/// | a stored value that does not decode, a parameter that does not encode | `Other` | `internal`, not retryable, 500 |
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database cannot be reached or refused for now: connection
    /// refused or lost, pool exhausted, timeout, server shutting down,
    /// serialization failure or deadlock. Retryable.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint rejected the write; names what is taken
    /// (`"email"`, `"org key"`, `"membership"`, ...).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// A permanent fault: a statement the database will refuse again, or
    /// a stored value that is invalid. Retrying cannot help.
    #[error("database error: {0}")]
    Other(String),
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        if is_transient(&e) {
            return DbError::Unavailable(describe(&e));
        }
        match e.as_db_error() {
            Some(db) if *db.code() == SqlState::UNIQUE_VIOLATION => {
                DbError::Conflict(conflict_subject(db.constraint()))
            }
            _ => DbError::Other(describe(&e)),
        }
    }
}

/// Whether `e` may go away by itself ("the database cannot be reached
/// now", "try the transaction again") rather than "the statement was
/// rejected and will be again".
pub(crate) fn is_transient(e: &tokio_postgres::Error) -> bool {
    match e.as_db_error() {
        Some(db) => is_transient_sqlstate(db.code().code()),
        // No server error: a closed connection or an I/O failure (refused,
        // reset, connect timeout) means unreachable; anything else
        // (encoding a parameter, decoding a row) is a bug, not an outage.
        None => {
            e.is_closed() || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
        }
    }
}

/// Whether a server error with SQLSTATE `code` is transient. 08:
/// connection exception; 40: transaction rollback (serialization failure,
/// deadlock); 53: insufficient resources (too many connections, disk
/// full); 55P03: lock not available; 57: operator intervention (admin
/// shutdown, cannot connect now, query canceled); 58: system error (I/O
/// outside PostgreSQL). Everything else — 22 data exception, 23 integrity
/// constraint, 42 syntax error or undefined object, XX internal error (data
/// corrupted) — is refused again on retry.
pub(crate) fn is_transient_sqlstate(code: &str) -> bool {
    let class = code.get(..2).unwrap_or_default();
    matches!(class, "08" | "40" | "53" | "57" | "58") || code == "55P03"
}

impl From<PoolError> for DbError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Backend(e) => e.into(),
            other => DbError::Unavailable(other.to_string()),
        }
    }
}

/// What a unique constraint protects, in words a caller can show.
fn conflict_subject(constraint: Option<&str>) -> &'static str {
    match constraint {
        Some("users_email_key") => "email",
        Some("users_pkey") => "user",
        Some("orgs_key_key") => "org key",
        Some("orgs_pkey") => "org",
        Some("memberships_pkey") => "membership",
        Some("api_keys_prefix_key") => "api key prefix",
        Some("api_keys_pkey") => "api key",
        Some("invites_token_hash_key") => "invite token",
        Some("events_pkey") => "event seq",
        Some("org_events_pkey") => "org event seq",
        Some("boards_pkey") => "board",
        Some("items_org_number_key") => "item number",
        _ => "record",
    }
}

/// `e` with its cause spelled out. tokio_postgres's own `Display` of a
/// server error is only "db error"; this names the SQLSTATE, message,
/// detail, hint, constraint and table, and for other errors (I/O, encoding
/// a parameter) follows the source chain. Use it wherever a
/// `tokio_postgres::Error` is logged or turned into a message.
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    let Some(db) = e.as_db_error() else {
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        return text;
    };
    let mut text = format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    let parts = [
        ("detail", db.detail()),
        ("hint", db.hint()),
        ("table", db.table()),
        ("column", db.column()),
        ("constraint", db.constraint()),
        ("where", db.where_()),
    ];
    for (label, value) in parts {
        if let Some(value) = value {
            text.push_str(&format!(" ({label}: {value})"));
        }
    }
    text
}

/// Whether `e` is a unique violation of the event log's `(board_id, seq)` key.
pub(crate) fn is_seq_conflict(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        *db.code() == SqlState::UNIQUE_VIOLATION && db.constraint() == Some("events_pkey")
    })
}

/// A cloneable handle to the connection pool. All queries use cached
/// prepared statements (`prepare_cached`), so a statement is parsed once per
/// connection.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("pool", &self.pool.status())
            .finish()
    }
}

impl Db {
    /// Builds a pool of at most `max_size` connections from a libpq-style
    /// connection string (`host=/run/pg user=corkboard dbname=corkboard`) or
    /// URL (`postgres://user:pw@host:5432/db`), and checks that the database
    /// answers.
    ///
    /// # Errors
    /// [`DbError::Other`] for an unparsable connection string,
    /// [`DbError::Unavailable`] when the database does not answer.
    pub async fn connect(url: &str, max_size: usize) -> Result<Db, DbError> {
        let mut config = tokio_postgres::Config::from_str(url)
            .map_err(|e| DbError::Other(format!("invalid database connection string: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("corkboard");
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(POOL_TIMEOUT))
            .create_timeout(Some(POOL_TIMEOUT))
            .recycle_timeout(Some(POOL_TIMEOUT))
            .build()
            .map_err(|e| DbError::Other(format!("cannot build connection pool: {e}")))?;
        let db = Db { pool };
        db.ping().await?;
        Ok(db)
    }

    /// `SELECT 1` with a deadline of [`PING_TIMEOUT`]; for readiness checks.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database does not answer in time.
    pub async fn ping(&self) -> Result<(), DbError> {
        let ping = async {
            let client = self.client().await?;
            let stmt = client.prepare_cached("SELECT 1").await?;
            client.query_one(&stmt, &[]).await?;
            Ok::<_, DbError>(())
        };
        tokio::time::timeout(PING_TIMEOUT, ping)
            .await
            .map_err(|_| DbError::Unavailable("ping timed out".into()))?
    }

    /// Pool size, idle connections and waiters, for metrics.
    pub fn pool_status(&self) -> deadpool_postgres::Status {
        self.pool.status()
    }

    /// The underlying pool, for queries this crate does not offer.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> Result<deadpool_postgres::Client, DbError> {
        Ok(self.pool.get().await?)
    }
}

/// Converts a count or seq to PostgreSQL's `bigint`. Values beyond
/// `i64::MAX` cannot occur in practice; they saturate rather than wrap.
pub(crate) fn to_sql_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Converts a `bigint` column that holds a count or seq back to `u64`.
/// The schema never stores negative values there; they read as 0.
pub(crate) fn from_sql_i64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::is_transient_sqlstate;

    #[test]
    fn outages_and_rollbacks_are_transient() {
        for code in [
            "08000", // connection_exception
            "08006", // connection_failure
            "40001", // serialization_failure
            "40P01", // deadlock_detected
            "53300", // too_many_connections
            "53100", // disk_full
            "55P03", // lock_not_available
            "57P01", // admin_shutdown
            "57P03", // cannot_connect_now
            "57014", // query_canceled (statement_timeout)
            "58030", // io_error
        ] {
            assert!(is_transient_sqlstate(code), "{code}");
        }
    }

    #[test]
    fn refused_statements_and_bad_data_are_permanent() {
        for code in [
            "22021", // character_not_in_repertoire (a NUL in text)
            "22P02", // invalid_text_representation
            "23502", // not_null_violation
            "23503", // foreign_key_violation
            "23505", // unique_violation (a Conflict where expected)
            "23514", // check_violation
            "42601", // syntax_error
            "42703", // undefined_column
            "42P01", // undefined_table
            "55000", // object_not_in_prerequisite_state
            "XX001", // data_corrupted
            "",
        ] {
            assert!(!is_transient_sqlstate(code), "{code}");
        }
    }
}
