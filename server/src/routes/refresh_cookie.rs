//! The refresh token as an `HttpOnly` cookie, for browsers: script on the
//! page never sees it, so an XSS cannot steal a long-lived credential.
//!
//! Login and refresh set `corkboard_refresh` with `HttpOnly`,
//! `SameSite=Strict`, `Path=/api/v1/auth` (only refresh and logout are
//! under it and read it: the cookie is sent nowhere else) and `Max-Age` of
//! the session lifetime; `Secure` exactly when the request arrived over
//! HTTPS as [`ClientAddr`] decides (directly or via a trusted proxy), so a
//! plain-HTTP development server still works. Refresh reads the cookie
//! only when the body carries no token; logout and a refused cookie token
//! clear it.
//!
//! CSRF: `SameSite=Strict` keeps the browser from sending the cookie on
//! any request started by another site, and the cookie is read by a POST
//! route only. CORS never answers `Access-Control-Allow-Credentials`
//! (`crate::cors`), so no other origin can read an answer the cookie
//! earned.

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::client_addr::ClientAddr;

/// The cookie's name.
pub const NAME: &str = "corkboard_refresh";
/// The cookie's path: the auth routes (refresh and logout read it).
pub const PATH: &str = "/api/v1/auth";

/// The `Set-Cookie` value holding `token` for `lifetime`.
pub fn set(req: &HttpRequest, token: &str, lifetime: Duration) -> (header::HeaderName, String) {
    (
        header::SET_COOKIE,
        attributes(req, token, lifetime.as_secs()),
    )
}

/// The `Set-Cookie` value that makes the browser drop the cookie.
pub fn clear(req: &HttpRequest) -> (header::HeaderName, String) {
    (header::SET_COOKIE, attributes(req, "", 0))
}

fn attributes(req: &HttpRequest, value: &str, max_age: u64) -> String {
    let secure = if ClientAddr::of(req).https {
        "; Secure"
    } else {
        ""
    };
    format!("{NAME}={value}; HttpOnly; SameSite=Strict; Path={PATH}; Max-Age={max_age}{secure}")
}

/// The token the request's `Cookie` header carries, if any (an empty
/// value counts as none).
pub fn presented(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|value| !value.is_empty())
}

/// Append `(name, value)` to a response that was already built.
pub fn append(res: &mut actix_web::HttpResponse, (name, value): (header::HeaderName, String)) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        res.headers_mut().append(name, value);
    }
}

/// A JSON body that may be absent: `None` when the request declares no
/// body (no `Content-Length` nor `Transfer-Encoding`, or `Content-Length:
/// 0`), as a browser's bare `fetch(url, {method: "POST"})` sends, or when
/// the body is JSON `null`. Any other body goes through [`web::Json`], with
/// every one of its answers (400 `invalid_body`, 413, 415) unchanged. The server speaks HTTP/1.x,
/// where those headers are the whole truth about a body.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let headers = req.headers();
        let length = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok());
        let empty = match length {
            Some(length) => length.trim() == "0",
            None => !headers.contains_key(header::TRANSFER_ENCODING),
        };
        if empty {
            return Box::pin(async { Ok(OptionalJson(None)) });
        }
        let json = web::Json::<Option<T>>::from_request(req, payload);
        Box::pin(async move { Ok(OptionalJson(json.await?.into_inner())) })
    }
}
