//! `GET /api/v1/admin/orgs`: every organization of the instance with its
//! member and board counts, for instance operators.

use actix_web::{web, HttpResponse};
use protocol::{Millis, OrgId};
use serde::{Deserialize, Serialize};
use storage::AdminOrgRow;
use utoipa::{IntoParams, ToSchema};

use super::admin_jobs::operator;
use super::page::{list_page, ListPage};
use crate::auth::Auth;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Which organizations to list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrgsQuery {
    /// Organizations whose name or key contains this, ignoring case.
    search: Option<String>,
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, unchanged.
    cursor: Option<String>,
}

/// An organization, as an operator sees it.
#[derive(Serialize, ToSchema)]
pub struct AdminOrgView {
    id: OrgId,
    name: String,
    key: String,
    created_at: Millis,
    members: i64,
    /// Boards, archived ones included.
    boards: i64,
}

impl From<AdminOrgRow> for AdminOrgView {
    fn from(r: AdminOrgRow) -> Self {
        AdminOrgView {
            id: r.id,
            name: r.name,
            key: r.key,
            created_at: r.created_at,
            members: r.members,
            boards: r.boards,
        }
    }
}

list_page! {
    /// A page of organizations, newest first.
    AdminOrgsPage { orgs: AdminOrgView }
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/orgs",
    tag = "admin",
    params(OrgsQuery),
    security(("operator_bearer" = [])),
    responses(
        (status = 200, description = "A page of organizations (deleted ones left out), newest first, with member and board counts", body = AdminOrgsPage),
        (status = 400, description = "`limit` or `cursor` is not valid", body = ErrorBody),
        (status = 403, description = "The caller is not an instance operator", body = ErrorBody),
    ),
)]
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    query: web::Query<OrgsQuery>,
) -> Result<HttpResponse, ApiError> {
    operator(&state, &auth).await?;
    let page = AdminOrgsPage::request_of(query.limit, query.cursor.as_deref())?;
    let search = query.search.as_deref().map(str::trim);
    Ok(AdminOrgsPage::respond(
        state.db.admin_orgs(search, page).await?,
    ))
}
