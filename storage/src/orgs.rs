//! The `orgs` and `memberships` tables: tenants and who belongs to them.
//!
//! Invariant: an organization always has at least one owner. Every change
//! that could take the last owner away ([`Db::change_member`]) runs in one
//! transaction that first locks all the org's membership rows, so two
//! concurrent changes are serialized and the second one sees the first.

use protocol::{Millis, OrgId, Role, UserId};
use serde::Serialize;
use tokio_postgres::Row;

use crate::db::{Db, DbError};
use crate::keyset::{KeyType, Keyset, Order, Page, PageRequest};

/// An organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrgRow {
    pub id: OrgId,
    pub name: String,
    /// Prefix of item numbers, e.g. `DS` in `DS-123`.
    pub key: String,
    pub created_at: Millis,
}

impl OrgRow {
    fn from_row(row: &Row) -> OrgRow {
        OrgRow {
            id: OrgId(row.get("id")),
            name: row.get("name"),
            key: row.get("key"),
            created_at: Millis(row.get("created_ms")),
        }
    }
}

/// A member of an organization, with the user's public details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberRow {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// The columns of [`OrgRow`] (table alias `o`).
const ORG_COLUMNS: &str =
    "o.id, o.name, o.key, (extract(epoch FROM o.created_at) * 1000)::bigint AS created_ms";

/// The members of an organization, oldest membership first.
const MEMBERS: Keyset = Keyset {
    columns: &["u.id", "u.email", "u.name", "m.role"],
    from: "memberships m JOIN users u ON u.id = m.user_id",
    scope: "m.org_id = $1",
    key: "m.created_at",
    key_type: KeyType::Timestamptz,
    id: "m.user_id",
    order: Order::OldestFirst,
};

/// A user's organizations, oldest membership first.
const ORGS_OF_USER: Keyset = Keyset {
    columns: &[ORG_COLUMNS, "m.role"],
    from: "memberships m JOIN orgs o ON o.id = m.org_id",
    scope: "m.user_id = $1 AND o.deleted_at IS NULL",
    key: "m.created_at",
    key_type: KeyType::Timestamptz,
    id: "m.org_id",
    order: Order::OldestFirst,
};

/// Parses a role stored in `memberships.role` (guarded by a CHECK).
pub(crate) fn parse_role(s: &str) -> Result<Role, DbError> {
    s.parse()
        .map_err(|e| DbError::Other(format!("invalid stored role: {e}")))
}

impl Db {
    /// Creates an organization and makes `owner` its owner, atomically:
    /// a fixture for tests and benchmarks. The server creates organizations
    /// through the organization's log (the `OrgActor`), never this way.
    ///
    /// # Errors
    /// [`DbError::Conflict`]`("org key")` when the key is taken;
    /// [`DbError::Other`] when the key does not match `^[A-Z][A-Z0-9]{1,9}$`
    /// or the owner does not exist.
    #[cfg(feature = "test-util")]
    pub async fn create_org(
        &self,
        id: OrgId,
        name: &str,
        key: &str,
        owner: UserId,
    ) -> Result<OrgRow, DbError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let insert_org = tx
            .prepare_cached(&format!(
                "INSERT INTO orgs AS o (id, name, key) VALUES ($1, $2, $3) RETURNING {ORG_COLUMNS}"
            ))
            .await?;
        let insert_member = tx
            .prepare_cached(
                "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'owner')",
            )
            .await?;
        let row = tx.query_one(&insert_org, &[&id.0, &name, &key]).await?;
        tx.execute(&insert_member, &[&id.0, &owner.0]).await?;
        tx.commit().await?;
        Ok(OrgRow::from_row(&row))
    }

    /// An organization by id.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn org(&self, id: OrgId) -> Result<Option<OrgRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!("SELECT {ORG_COLUMNS} FROM orgs o WHERE o.id = $1"))
            .await?;
        let row = client.query_opt(&stmt, &[&id.0]).await?;
        Ok(row.as_ref().map(OrgRow::from_row))
    }

    /// An organization by its item key (`DS`).
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn org_by_key(&self, key: &str) -> Result<Option<OrgRow>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {ORG_COLUMNS} FROM orgs o WHERE o.key = $1"
            ))
            .await?;
        let row = client.query_opt(&stmt, &[&key]).await?;
        Ok(row.as_ref().map(OrgRow::from_row))
    }

    /// The organizations `user` belongs to, with the user's role in each,
    /// oldest membership first.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn orgs_of_user(&self, user: UserId) -> Result<Vec<(OrgRow, Role)>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached(&format!(
                "SELECT {ORG_COLUMNS}, m.role FROM memberships m JOIN orgs o ON o.id = m.org_id \
                 WHERE m.user_id = $1 AND o.deleted_at IS NULL ORDER BY m.created_at, o.id"
            ))
            .await?;
        client
            .query(&stmt, &[&user.0])
            .await?
            .iter()
            .map(|row| Ok((OrgRow::from_row(row), parse_role(row.get("role"))?)))
            .collect()
    }

    /// A page of the organizations `user` belongs to, with the user's role
    /// in each, oldest membership first.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn org_page_of_user(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<(OrgRow, Role)>, DbError> {
        ORGS_OF_USER
            .fetch(self, &user.0, page, |row| {
                Ok((OrgRow::from_row(row), parse_role(row.get("role"))?))
            })
            .await
    }

    /// The role of `user` in `org`, if a member.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn membership(&self, org: OrgId, user: UserId) -> Result<Option<Role>, DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2")
            .await?;
        match client.query_opt(&stmt, &[&org.0, &user.0]).await? {
            Some(row) => Ok(Some(parse_role(row.get(0))?)),
            None => Ok(None),
        }
    }

    /// Adds `user` to `org` with `role`: a fixture for tests (the server
    /// adds members through the organization's log).
    ///
    /// # Errors
    /// [`DbError::Conflict`]`("membership")` when already a member;
    /// [`DbError::Other`] when the org or user does not exist.
    #[cfg(feature = "test-util")]
    pub async fn add_member(&self, org: OrgId, user: UserId, role: Role) -> Result<(), DbError> {
        let client = self.client().await?;
        let stmt = client
            .prepare_cached("INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)")
            .await?;
        client
            .execute(&stmt, &[&org.0, &user.0, &role.as_str()])
            .await?;
        Ok(())
    }

    /// A page of the members of `org`, oldest membership first.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn members(&self, org: OrgId, page: PageRequest) -> Result<Page<MemberRow>, DbError> {
        MEMBERS
            .fetch(self, &org.0, page, |row| {
                Ok(MemberRow {
                    user_id: UserId(row.get("id")),
                    email: row.get("email"),
                    name: row.get("name"),
                    role: parse_role(row.get("role"))?,
                })
            })
            .await
    }
}
