//! The endpoints an organization's admins register.

use std::time::Duration;

use protocol::{OrgId, UserId};
use tokio_postgres::Row;
use uuid::Uuid;

use crate::audit::{record, AuditEntry};
use crate::db::{Db, DbError};

const COLUMNS: &str = "id, org_id, url, description, event_types, secret, \
     CASE WHEN previous_until > now() THEN previous_secret END AS previous_secret, \
     enabled, disabled_reason, \
     (extract(epoch FROM failing_since) * 1000)::bigint AS failing_ms, created_by, \
     (extract(epoch FROM created_at) * 1000)::bigint AS created_ms, \
     (extract(epoch FROM updated_at) * 1000)::bigint AS updated_ms";

/// An endpoint, secrets included: the server never shows them but the
/// one time they are made.
#[derive(Clone, Debug)]
pub struct WebhookEndpoint {
    pub id: Uuid,
    pub org: OrgId,
    pub url: String,
    pub description: String,
    /// Empty: every type.
    pub event_types: Vec<String>,
    pub secret: String,
    /// The secret rotated out, while it still signs.
    pub previous_secret: Option<String>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Unix ms of the first failure since the last success.
    pub failing_since: Option<i64>,
    pub created_by: UserId,
    pub created_at: i64,
    pub updated_at: i64,
}

impl WebhookEndpoint {
    fn from_row(row: &Row) -> WebhookEndpoint {
        WebhookEndpoint {
            id: row.get("id"),
            org: OrgId(row.get("org_id")),
            url: row.get("url"),
            description: row.get("description"),
            event_types: row.get("event_types"),
            secret: row.get("secret"),
            previous_secret: row.get("previous_secret"),
            enabled: row.get("enabled"),
            disabled_reason: row.get("disabled_reason"),
            failing_since: row.get("failing_ms"),
            created_by: UserId(row.get("created_by")),
            created_at: row.get("created_ms"),
            updated_at: row.get("updated_ms"),
        }
    }

    /// Whether an event of type `name` goes to this endpoint.
    pub fn wants(&self, name: &str) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|t| t == name)
    }
}

/// An endpoint to register (checked by the caller).
#[derive(Clone, Debug)]
pub struct NewEndpoint {
    pub id: Uuid,
    pub org: OrgId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub secret: String,
    pub created_by: UserId,
}

/// Changes to an endpoint; `None` keeps a field.
#[derive(Clone, Debug, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// Enabling again clears the failure record and looks at every stream
    /// at once (events may be waiting).
    pub enabled: Option<bool>,
}

impl Db {
    /// Registers an endpoint, with its `audit` entry in the same
    /// transaction.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn create_webhook_endpoint(
        &self,
        new: &NewEndpoint,
        audit: Option<&AuditEntry>,
    ) -> Result<WebhookEndpoint, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO webhook_endpoints \
                       (id, org_id, url, description, event_types, secret, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
                ),
                &[
                    &new.id,
                    &new.org.0,
                    &new.url,
                    &new.description,
                    &new.event_types,
                    &new.secret,
                    &new.created_by.0,
                ],
            )
            .await?;
        if let Some(entry) = audit {
            record(&tx, entry).await?;
        }
        tx.commit().await?;
        Ok(WebhookEndpoint::from_row(&row))
    }

    /// Endpoint `id` and its place in a stream, for a delivery run;
    /// `None` when either is gone.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn webhook_stream(
        &self,
        id: Uuid,
        stream: protocol::webhooks::Stream,
        stream_id: Uuid,
    ) -> Result<Option<(WebhookEndpoint, super::StreamCursor)>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {COLUMNS}, c.delivered_seq, c.head_attempts \
                 FROM webhook_endpoints JOIN webhook_cursors c ON c.endpoint_id = webhook_endpoints.id \
                 WHERE webhook_endpoints.id = $1 AND c.stream = $2 AND c.stream_id = $3"
            ))
            .await?;
        let row = client
            .query_opt(&stmt, &[&id, &stream.name(), &stream_id])
            .await?;
        Ok(row.map(|row| {
            let cursor = super::StreamCursor {
                delivered_seq: u64::try_from(row.get::<_, i64>("delivered_seq")).unwrap_or(0),
                head_attempts: u32::try_from(row.get::<_, i32>("head_attempts")).unwrap_or(0),
            };
            (WebhookEndpoint::from_row(&row), cursor)
        }))
    }

    /// `org`'s endpoints, oldest first.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn webhook_endpoints(&self, org: OrgId) -> Result<Vec<WebhookEndpoint>, DbError> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM webhook_endpoints WHERE org_id = $1 \
                     ORDER BY created_at, id"
                ),
                &[&org.0],
            )
            .await?;
        Ok(rows.iter().map(WebhookEndpoint::from_row).collect())
    }

    /// Endpoint `id` (of `org`, when given).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn webhook_endpoint(
        &self,
        org: Option<OrgId>,
        id: Uuid,
    ) -> Result<Option<WebhookEndpoint>, DbError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM webhook_endpoints \
                     WHERE id = $1 AND ($2::uuid IS NULL OR org_id = $2)"
                ),
                &[&id, &org.map(|o| o.0)],
            )
            .await?;
        Ok(row.as_ref().map(WebhookEndpoint::from_row))
    }

    /// Changes endpoint `id` of `org` (and records `audit` with it);
    /// `None` when there is none.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn update_webhook_endpoint(
        &self,
        org: OrgId,
        id: Uuid,
        patch: &EndpointPatch,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<WebhookEndpoint>, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                &format!(
                    "UPDATE webhook_endpoints SET url = coalesce($3, url), \
                       description = coalesce($4, description), \
                       event_types = coalesce($5, event_types), \
                       enabled = coalesce($6, enabled), \
                       disabled_reason = CASE WHEN $6 THEN NULL ELSE disabled_reason END, \
                       failing_since = CASE WHEN $6 THEN NULL ELSE failing_since END, \
                       updated_at = now() \
                     WHERE id = $1 AND org_id = $2 RETURNING {COLUMNS}"
                ),
                &[
                    &id,
                    &org.0,
                    &patch.url,
                    &patch.description,
                    &patch.event_types,
                    &patch.enabled,
                ],
            )
            .await?;
        if let (Some(_), Some(entry)) = (&row, audit) {
            record(&tx, entry).await?;
        }
        if row.is_some() && patch.enabled == Some(true) {
            // A fresh schedule for each stream's next event…
            tx.execute(
                "UPDATE webhook_cursors SET head_attempts = 0 WHERE endpoint_id = $1",
                &[&id],
            )
            .await?;
            // …and every stream it has a place in may have events waiting.
            tx.execute(
                enqueue_stream_jobs!(
                    "(SELECT endpoint_id AS endpoint, stream, stream_id \
                       FROM webhook_cursors WHERE endpoint_id = $1) AS streams",
                    "$2"
                ),
                &[&id, &protocol::jobs::JobKind::Webhook.max_attempts()],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(row.as_ref().map(WebhookEndpoint::from_row))
    }

    /// Deletes endpoint `id` of `org` (its place in streams and its log go
    /// with it); false when there is none.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn delete_webhook_endpoint(
        &self,
        org: OrgId,
        id: Uuid,
        audit: Option<&AuditEntry>,
    ) -> Result<bool, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let deleted = tx
            .execute(
                "DELETE FROM webhook_endpoints WHERE id = $1 AND org_id = $2",
                &[&id, &org.0],
            )
            .await?
            == 1;
        if let (true, Some(entry)) = (deleted, audit) {
            record(&tx, entry).await?;
        }
        tx.commit().await?;
        Ok(deleted)
    }

    /// Replaces the secret of endpoint `id` of `org` with `secret`; the
    /// old one still signs for `overlap`.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn rotate_webhook_secret(
        &self,
        org: OrgId,
        id: Uuid,
        secret: &str,
        overlap: Duration,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<WebhookEndpoint>, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                &format!(
                    "UPDATE webhook_endpoints SET previous_secret = secret, secret = $3, \
                       previous_until = now() + make_interval(secs => $4::float8), \
                       updated_at = now() \
                     WHERE id = $1 AND org_id = $2 RETURNING {COLUMNS}"
                ),
                &[&id, &org.0, &secret, &overlap.as_secs_f64()],
            )
            .await?;
        if let (Some(_), Some(entry)) = (&row, audit) {
            record(&tx, entry).await?;
        }
        tx.commit().await?;
        Ok(row.as_ref().map(WebhookEndpoint::from_row))
    }

    /// Disables endpoint `id` for `reason`; false when it already was.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn disable_webhook_endpoint(&self, id: Uuid, reason: &str) -> Result<bool, DbError> {
        let client = self.client().await?;
        Ok(client
            .execute(
                "UPDATE webhook_endpoints SET enabled = false, disabled_reason = $2, \
                   updated_at = now() WHERE id = $1 AND enabled",
                &[&id, &reason],
            )
            .await?
            == 1)
    }

    /// The addresses and names of `org`'s admins and owners (accounts not
    /// deleted), for mail about the organization's settings.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn org_admin_addresses(&self, org: OrgId) -> Result<Vec<(String, String)>, DbError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT u.email, u.name FROM memberships m JOIN users u ON u.id = m.user_id \
                 WHERE m.org_id = $1 AND m.role IN ('owner', 'admin') AND u.deleted_at IS NULL \
                 ORDER BY u.email",
                &[&org.0],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
