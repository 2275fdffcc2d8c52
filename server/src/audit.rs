//! Audit entries of REST requests (docs/audit.md): who acted (the caller's
//! user or API key) and from where (client IP, user agent, request id),
//! built from the request, for `storage::audit::record` and the storage
//! calls that take an entry to write in their own transaction.
//!
//! To record an action: build `entry(&req, &auth, AuditAction::…)`, add
//! `.org(…)`, `.target(…)` and `.details(…)`, and hand it to the storage
//! call that makes the change, which writes it in the change's
//! transaction (`storage::audit::record(&tx, &entry)` inside storage);
//! only when the change is not one transaction of ours, write it after
//! with `Db::record_audit` and say so in docs/audit.md. Organization
//! commands carry [`origin`] instead (`registry.org(id).with_origin(…)`),
//! and their entries are derived from the committed events.

use actix_web::HttpRequest;
use storage::audit::{Actor, AuditAction, AuditEntry, Context};

use crate::auth::Auth;
use crate::client_addr::ClientAddr;

/// Longest user agent kept, in characters (as with login sessions).
const USER_AGENT_MAX: usize = 256;

/// Where `req` came from: the client IP (the TCP peer, or what a trusted
/// proxy said), its user agent (first 256 characters) and its request id.
pub fn context(req: &HttpRequest) -> Context {
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
    let request_id = crate::request_id::current();
    Context {
        ip: Some(ClientAddr::of(req).ip.to_string()),
        user_agent,
        request_id: (request_id != "-").then_some(request_id),
    }
}

/// The caller as an audit actor: its user, or its API key.
pub fn actor(auth: &Auth) -> Actor {
    match auth.0.caller {
        actors::Caller::User(user) => Actor::User(user),
        actors::Caller::ApiKey { id, .. } => Actor::ApiKey(id),
    }
}

/// An entry for `action` done by the caller of `req`.
pub fn entry(req: &HttpRequest, auth: &Auth, action: AuditAction) -> AuditEntry {
    AuditEntry::new(action, actor(auth), context(req))
}

/// The request as an organization command's origin: the audit entries of
/// its events name it.
pub fn origin(req: &HttpRequest, auth: &Auth) -> protocol::Origin {
    let Context {
        ip,
        user_agent,
        request_id,
    } = context(req);
    protocol::Origin {
        ip,
        user_agent,
        request_id,
        api_key: matches!(auth.0.caller, actors::Caller::ApiKey { .. }),
    }
}
