//! The `api_keys` table: credentials of programmatic clients. Only a keyed
//! hash of each secret is stored (computed by the server, which holds the
//! pepper); this crate never sees a secret.

use protocol::{Millis, OrgId, Role, UserId};
use serde::Serialize;
use tokio_postgres::Row;
use uuid::Uuid;

use crate::audit::{record, AuditEntry};
use crate::db::{Db, DbError};
use crate::keyset::{KeyType, Keyset, Order, Page, PageRequest};
use crate::orgs::parse_role;

/// An API key's public details: never its secret or its hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub org_id: OrgId,
    pub name: String,
    pub role: Role,
    /// The public part of the key (`cbk_<prefix>_…`), for lookup and display.
    pub prefix: String,
    pub created_by: UserId,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
}

impl ApiKeyRow {
    fn from_row(row: &Row) -> Result<ApiKeyRow, DbError> {
        Ok(ApiKeyRow {
            id: row.get("id"),
            org_id: OrgId(row.get("org_id")),
            name: row.get("name"),
            role: parse_role(row.get("role"))?,
            prefix: row.get("prefix"),
            created_by: UserId(row.get("created_by")),
            created_at: Millis(row.get("created_ms")),
            expires_at: row.get::<_, Option<i64>>("expires_ms").map(Millis),
            revoked_at: row.get::<_, Option<i64>>("revoked_ms").map(Millis),
            last_used_at: row.get::<_, Option<i64>>("last_used_ms").map(Millis),
        })
    }
}

/// A key as stored, with the hash a presented secret is checked against.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredApiKey {
    pub key: ApiKeyRow,
    /// HMAC-SHA256 of the secret under the server's pepper (32 bytes).
    pub secret_hash: Vec<u8>,
}

impl std::fmt::Debug for StoredApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredApiKey")
            .field("key", &self.key)
            .field("secret_hash", &"<redacted>")
            .finish()
    }
}

/// What creating a key takes.
#[derive(Clone, Copy, Debug)]
pub struct NewApiKey<'a> {
    pub id: Uuid,
    pub org: OrgId,
    pub name: &'a str,
    pub role: Role,
    /// 12 lowercase letters or digits (checked by the schema).
    pub prefix: &'a str,
    /// 32 bytes (checked by the schema).
    pub secret_hash: &'a [u8],
    pub created_by: UserId,
    pub expires_at: Option<Millis>,
}

/// The columns of [`ApiKeyRow`], timestamps as unix milliseconds.
const KEY_COLUMNS: &str = "id, org_id, name, role, prefix, created_by, \
     (extract(epoch FROM created_at) * 1000)::bigint AS created_ms, \
     (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms, \
     (extract(epoch FROM revoked_at) * 1000)::bigint AS revoked_ms, \
     (extract(epoch FROM last_used_at) * 1000)::bigint AS last_used_ms";

/// The keys of an organization, oldest first.
const API_KEYS_OF_ORG: Keyset = Keyset {
    columns: &[KEY_COLUMNS],
    from: "api_keys",
    scope: "org_id = $1",
    key: "created_at",
    key_type: KeyType::Timestamptz,
    id: "id",
    order: Order::OldestFirst,
};

impl Db {
    /// Stores a new key, with `audit` (its `api_key.created` entry) in the
    /// same transaction when given.
    ///
    /// # Errors
    /// [`DbError::Conflict`]`("api key prefix")` when the prefix is taken
    /// (draw another); [`DbError::Other`] for a malformed prefix or hash, or
    /// an org or creator that does not exist.
    pub async fn create_api_key(
        &self,
        new: &NewApiKey<'_>,
        audit: Option<&AuditEntry>,
    ) -> Result<ApiKeyRow, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx
            .prepare_cached(&format!(
                "INSERT INTO api_keys \
                 (id, org_id, name, role, prefix, secret_hash, created_by, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, \
                         'epoch'::timestamptz + $8::bigint * interval '1 millisecond') \
                 RETURNING {KEY_COLUMNS}"
            ))
            .await?;
        let expires_ms = new.expires_at.map(|m| m.0);
        let row = tx
            .query_one(
                &stmt,
                &[
                    &new.id,
                    &new.org.0,
                    &new.name,
                    &new.role.as_str(),
                    &new.prefix,
                    &new.secret_hash,
                    &new.created_by.0,
                    &expires_ms,
                ],
            )
            .await?;
        if let Some(entry) = audit {
            record(&tx, entry).await?;
        }
        tx.commit().await?;
        ApiKeyRow::from_row(&row)
    }

    /// The key with `prefix`, revoked and expired ones included (the caller
    /// decides), with its secret hash.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn api_key_by_prefix(&self, prefix: &str) -> Result<Option<StoredApiKey>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {KEY_COLUMNS}, secret_hash FROM api_keys WHERE prefix = $1"
            ))
            .await?;
        match client.query_opt(&stmt, &[&prefix]).await? {
            Some(row) => Ok(Some(StoredApiKey {
                key: ApiKeyRow::from_row(&row)?,
                secret_hash: row.get("secret_hash"),
            })),
            None => Ok(None),
        }
    }

    /// A page of the keys of `org`, revoked ones included, oldest first.
    /// Hashes are not even read.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn api_keys_of_org(
        &self,
        org: OrgId,
        page: PageRequest,
    ) -> Result<Page<ApiKeyRow>, DbError> {
        API_KEYS_OF_ORG
            .fetch(self, &org.0, page, ApiKeyRow::from_row)
            .await
    }

    /// Revokes key `id` of `org` (again revoking a revoked key keeps its
    /// first revocation time), writing `audit` in the same transaction when
    /// it has such a key. Returns whether `org` has such a key.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn revoke_api_key(
        &self,
        org: OrgId,
        id: Uuid,
        audit: Option<&AuditEntry>,
    ) -> Result<bool, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let stmt = tx
            .prepare_cached(
                "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) \
                 WHERE id = $1 AND org_id = $2",
            )
            .await?;
        let found = tx.execute(&stmt, &[&id, &org.0]).await? > 0;
        if let (true, Some(entry)) = (found, audit) {
            record(&tx, entry).await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Records that key `id` was just used. Writes at most once a minute
    /// per key, however often it is called.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn touch_api_key(&self, id: Uuid) -> Result<(), DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(
                "UPDATE api_keys SET last_used_at = now() WHERE id = $1 \
                 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
            )
            .await?;
        client.execute(&stmt, &[&id]).await?;
        Ok(())
    }
}
