//! The `users` table: accounts and their password hashes.

use protocol::{Millis, UserId};
use serde::Serialize;
use tokio_postgres::Row;

use crate::db::{Db, DbError};

/// A user account. Serializes without the password hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserRow {
    pub id: UserId,
    /// Lowercased.
    pub email: String,
    pub name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub created_at: Millis,
    /// An operator disabled the account: it cannot log in or refresh.
    #[serde(skip)]
    pub disabled: bool,
}

impl UserRow {
    fn from_row(row: &Row) -> UserRow {
        UserRow {
            id: UserId(row.get("id")),
            email: row.get("email"),
            name: row.get("name"),
            password_hash: row.get("password_hash"),
            created_at: Millis(row.get("created_ms")),
            disabled: row.get("disabled"),
        }
    }
}

/// The columns of [`UserRow`], with `created_at` as unix milliseconds.
const USER_COLUMNS: &str = "id, email, name, password_hash, \
     disabled_at IS NOT NULL AS disabled, \
     (extract(epoch FROM created_at) * 1000)::bigint AS created_ms";

/// The canonical spelling of an email address for storage and lookup.
fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Db {
    /// Creates a user. The email is stored trimmed and lowercased.
    ///
    /// # Errors
    /// [`DbError::Conflict`]`("email")` when the email is taken.
    pub async fn create_user(
        &self,
        id: UserId,
        email: &str,
        name: &str,
        password_hash: &str,
    ) -> Result<UserRow, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, $3, $4) \
                 RETURNING {USER_COLUMNS}"
            ))
            .await?;
        let email = normalize_email(email);
        let row = client
            .query_one(&stmt, &[&id.0, &email, &name, &password_hash])
            .await?;
        Ok(UserRow::from_row(&row))
    }

    /// Looks a user up by email, case-insensitively.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE email = $1"
            ))
            .await?;
        let row = client.query_opt(&stmt, &[&normalize_email(email)]).await?;
        Ok(row.as_ref().map(UserRow::from_row))
    }

    /// Looks a user up by id.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn user_by_id(&self, id: UserId) -> Result<Option<UserRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .await?;
        let row = client.query_opt(&stmt, &[&id.0]).await?;
        Ok(row.as_ref().map(UserRow::from_row))
    }

    /// Makes the user with `email` an instance operator (`grant`) or not;
    /// the user's id, or `None` when no account has that email. Only the
    /// command line calls this (`corkboard admin grant|revoke EMAIL`).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn set_operator(&self, email: &str, grant: bool) -> Result<Option<UserId>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("UPDATE users SET operator = $2 WHERE email = lower($1) RETURNING id")
            .await?;
        let row = client.query_opt(&stmt, &[&email.trim(), &grant]).await?;
        Ok(row.map(|row| UserId(row.get(0))))
    }

    /// Whether the user is an instance operator.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn is_operator(&self, user: UserId) -> Result<bool, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT operator FROM users WHERE id = $1")
            .await?;
        let row = client.query_opt(&stmt, &[&user.0]).await?;
        Ok(row.is_some_and(|row| row.get(0)))
    }
}
