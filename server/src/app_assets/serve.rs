//! Answering requests from an [`Assets`] table: `GET /` and the default
//! service of the router (every path no route takes). `HEAD` arrives here
//! as `GET` (`crate::head`), so it gets the same status and headers.

use actix_web::http::header::{self, AcceptEncoding, Encoding, Header as _};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;

use super::{Assets, Entry, INDEX};
use crate::error::ApiError;
use crate::routes::API_PREFIX;

/// `Cache-Control` of files with a hashed name ([`super::is_hashed`]):
/// their bytes never change under that name.
pub const CACHE_HASHED: &str = "public, max-age=31536000, immutable";

/// `Cache-Control` of every other file (`index.html`): stored, but
/// revalidated before each use, so a new build is picked up at once.
pub const CACHE_OTHER: &str = "no-cache";

/// The Content-Security-Policy of HTML answers: no inline script or
/// style, nothing from another origin. [`csp`] adds the socket's origin
/// to `connect-src`.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Paths the app never answers, with everything below them: the server's
/// own, which keep their answers (404/405 in the error shape).
pub const RESERVED: [&str; 4] = ["/api", "/ws", "/health", "/metrics"];

/// The table in use: the app data's, else the embedded one.
fn assets(req: &HttpRequest) -> &Assets {
    match req.app_data::<web::Data<Assets>>() {
        Some(data) => data.get_ref(),
        None => Assets::embedded(),
    }
}

/// `GET /`: the app's `index.html`; without an app, a redirect to the API
/// reference, so the URL the server logs leads somewhere useful.
pub async fn home(req: HttpRequest) -> HttpResponse {
    let assets = assets(&req);
    match assets.get(INDEX) {
        Some(index) => respond(&req, index).await,
        None => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("{API_PREFIX}/docs")))
            .finish(),
    }
}

/// Every path no route takes: an exact file, else the app's page for a
/// path whose last segment has no dot, else 404 `not_found` — and always
/// 404 for [`RESERVED`] paths and `.`/`..` segments. Other methods than
/// `GET`/`HEAD` on what would be served are 405.
///
/// # Errors
/// `NotFound` and `MethodNotAllowed`, answered in the error shape.
pub async fn fallback(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let not_found = ApiError::NotFound { what: "route" };
    let path = req.path();
    if is_reserved(path) || has_dot_segment(path) {
        return Err(not_found);
    }
    let assets = assets(&req);
    let rel = path.strip_prefix('/').unwrap_or(path);
    let last = rel.rsplit('/').next().unwrap_or(rel);
    let entry = match assets.get(rel) {
        Some(entry) => entry,
        None if !last.contains('.') => assets.get(INDEX).ok_or(not_found)?,
        None => return Err(not_found),
    };
    if req.method() != Method::GET {
        return Err(ApiError::MethodNotAllowed {
            allow: vec![Method::GET, Method::HEAD],
        });
    }
    Ok(respond(&req, entry).await)
}

/// Whether `path` is one of [`RESERVED`] or below one.
pub fn is_reserved(path: &str) -> bool {
    RESERVED.iter().any(|prefix| {
        path.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Whether a segment of `path` is `.` or `..`, percent-encoded or not, or
/// holds a (back)slash once decoded: a traversal attempt, never served
/// even as the app's page.
fn has_dot_segment(path: &str) -> bool {
    path.split('/').any(|segment| {
        let decoded: Vec<u8> = percent_encoding::percent_decode_str(segment).collect();
        decoded == b"." || decoded == b".." || decoded.iter().any(|b| matches!(b, b'/' | b'\\'))
    })
}

/// 200 with the file, its type and cache policy, gzipped when the client
/// accepts it and the type is compressed; the CSP on HTML.
async fn respond(req: &HttpRequest, entry: &Entry) -> HttpResponse {
    let asset = entry.asset;
    let cache = if super::is_hashed(asset.path) {
        CACHE_HASHED
    } else {
        CACHE_OTHER
    };
    let mut res = HttpResponse::build(StatusCode::OK);
    res.content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"));
    if asset.content_type.starts_with("text/html") {
        res.insert_header((header::CONTENT_SECURITY_POLICY, csp(req)));
    }
    if accepts_gzip(req) {
        let gzip = entry.gzip.get_or_init(|| gzip(asset)).await;
        if let Some(gzip) = gzip {
            // Set here, `Content-Encoding` also keeps actix's `Compress`
            // from encoding the answer again.
            res.insert_header((header::CONTENT_ENCODING, "gzip"));
            return res.body(gzip.clone());
        }
    }
    res.body(Bytes::from_static(asset.bytes))
}

/// Whether the client prefers gzip to identity (`q` values honoured).
fn accepts_gzip(req: &HttpRequest) -> bool {
    let supported = [Encoding::gzip(), Encoding::identity()];
    AcceptEncoding::parse(req)
        .ok()
        .and_then(|accept| accept.negotiate(supported.iter()))
        .is_some_and(|chosen| chosen == Encoding::gzip())
}

/// The gzipped bytes of `asset` (flate2, which actix-http's compression
/// already builds on); `None` for types left uncompressed, or if encoding
/// fails.
async fn gzip(asset: super::Asset) -> Option<Bytes> {
    use std::io::Write;
    if !super::compressible(asset.content_type) {
        return None;
    }
    // Once per file for the life of the process: the best level is worth
    // it (the bundle is a quarter smaller than at the default level).
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    match encoder
        .write_all(asset.bytes)
        .and_then(|()| encoder.finish())
    {
        Ok(bytes) => Some(Bytes::from(bytes)),
        Err(e) => {
            tracing::warn!(path = asset.path, error = %e, "gzipping an app file failed");
            None
        }
    }
}

/// [`CSP`], with `connect-src` also naming `ws://` and `wss://` at the
/// host the page was requested from. CSP Level 3 lets `'self'` match the
/// same host's `ws:`/`wss:`, but older engines do not (Safari before 16,
/// Chrome before 71). A `Host` that is not a plain `name[:port]` or
/// `[v6][:port]` adds nothing, so a request cannot write into the policy.
pub fn csp(req: &HttpRequest) -> String {
    let info = req.connection_info();
    let host = info.host();
    let plain = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !plain {
        return CSP.to_owned();
    }
    CSP.replace(
        "connect-src 'self'",
        &format!("connect-src 'self' ws://{host} wss://{host}"),
    )
}
