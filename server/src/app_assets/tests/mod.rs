#![allow(clippy::unwrap_used)]
//! The serving rules against a fake build, through the middleware that
//! touches the answers in `startup::app`. This file: headers, types,
//! caching, gzip, HEAD; `routing.rs`: which path gets what; `names.rs`:
//! the name rules.

mod names;
mod routing;

use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, ContentEncoding, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{test, web, App};
use bytes::Bytes;
use futures_util::StreamExt as _;
use serde_json::Value;

use super::serve::{CACHE_HASHED, CACHE_OTHER};
use super::*;

const INDEX_HTML: &str = "<!doctype html><html><head>\
    <script type=\"module\" src=\"/assets/app-1a2b3c4d.js\"></script>\
    </head><body><main id=\"app\"></main></body></html>";

/// A fake build: a page, a hashed script (over 1 KiB, so actix-http
/// encodes it off the thread), a favicon, a PNG (not gzipped).
fn fake_build() -> &'static [Asset] {
    let script: &'static str = "export const hello = 'board';\n".repeat(100).leak();
    let files = vec![
        Asset {
            path: "index.html",
            bytes: INDEX_HTML.as_bytes(),
            content_type: "text/html; charset=utf-8",
        },
        Asset {
            path: "assets/app-1a2b3c4d.js",
            bytes: script.as_bytes(),
            content_type: "text/javascript; charset=utf-8",
        },
        Asset {
            path: "favicon.ico",
            bytes: b"\0\0\x01\0icon icon icon icon icon",
            content_type: "image/x-icon",
        },
        Asset {
            path: "assets/logo-ABCDEFGH.png",
            bytes: b"\x89PNG not really",
            content_type: "image/png",
        },
    ];
    files.leak()
}

/// The app's routing and the middleware the answers pass through in
/// `startup::app` that touch them (HEAD, the error shape, `Compress`).
async fn call_with(files: &'static [Asset], req: test::TestRequest) -> ServiceResponse {
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(Assets::new(files)))
            .wrap(from_fn(crate::head::middleware))
            .wrap(from_fn(crate::error_shape::middleware))
            .wrap(Compress::default())
            .configure(crate::routes::configure),
    )
    .await;
    test::call_service(&app, req.to_request())
        .await
        .map_into_boxed_body()
}

async fn get(path: &str) -> ServiceResponse {
    call_with(fake_build(), test::TestRequest::get().uri(path)).await
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().unwrap())
}

/// Status, code of the error body.
async fn error(res: ServiceResponse) -> (StatusCode, String) {
    let status = res.status();
    assert_eq!(
        header(res.headers(), "content-type"),
        Some("application/json")
    );
    let body: Value = serde_json::from_slice(&test::read_body(res).await).unwrap();
    (status, body["code"].as_str().unwrap().to_owned())
}

async fn gunzip(bytes: Bytes) -> Vec<u8> {
    let stream = futures_util::stream::iter([Ok::<_, actix_http::error::PayloadError>(bytes)]);
    let mut decoder = actix_http::encoding::Decoder::new(stream, ContentEncoding::Gzip);
    let mut out = Vec::new();
    while let Some(chunk) = decoder.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

#[actix_web::test]
async fn the_page_at_root_has_the_csp_and_is_revalidated() {
    let res = call_with(
        fake_build(),
        test::TestRequest::get()
            .uri("/")
            .insert_header((header::HOST, "localhost:8080")),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(header(h, "content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(header(h, "cache-control"), Some(CACHE_OTHER));
    let csp = header(h, "content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'self'; script-src 'self'; style-src 'self';"));
    assert!(csp.contains("connect-src 'self' ws://localhost:8080 wss://localhost:8080;"));
    assert!(csp.contains("object-src 'none'; base-uri 'none'; frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe"));
    assert_eq!(header(h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(h, "referrer-policy"), Some("same-origin"));
    assert_eq!(header(h, "vary"), Some("Accept-Encoding"));
    assert_eq!(test::read_body(res).await, INDEX_HTML.as_bytes());
}

#[actix_web::test]
async fn a_host_that_is_not_plain_adds_nothing_to_the_csp() {
    let res = call_with(
        fake_build(),
        test::TestRequest::get()
            .uri("/")
            .insert_header((header::HOST, "evil; script-src *")),
    )
    .await;
    assert_eq!(
        header(res.headers(), "content-security-policy"),
        Some(serve::CSP)
    );
}

#[actix_web::test]
async fn files_have_their_type_and_hashed_ones_are_cached_for_good() {
    let res = get("/assets/app-1a2b3c4d.js").await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    assert_eq!(
        header(h, "content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(header(h, "cache-control"), Some(CACHE_HASHED));
    assert_eq!(header(h, "content-security-policy"), None, "HTML only");
    assert_eq!(header(h, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(h, "referrer-policy"), Some("same-origin"));
    assert_eq!(header(h, "vary"), Some("Accept-Encoding"));

    let res = get("/favicon.ico").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(res.headers(), "content-type"), Some("image/x-icon"));
    assert_eq!(header(res.headers(), "cache-control"), Some(CACHE_OTHER));

    let res = get("/assets/logo-ABCDEFGH.png").await;
    assert_eq!(header(res.headers(), "content-type"), Some("image/png"));
    assert_eq!(header(res.headers(), "cache-control"), Some(CACHE_HASHED));
}

#[actix_web::test]
async fn gzip_when_accepted_identity_otherwise() {
    let script = fake_build()[1].bytes;
    for accept in [
        Some("gzip"),
        Some("gzip, deflate, br"),
        Some("gzip;q=1, identity;q=0.5"),
    ] {
        let mut req = test::TestRequest::get().uri("/assets/app-1a2b3c4d.js");
        if let Some(accept) = accept {
            req = req.insert_header((header::ACCEPT_ENCODING, accept));
        }
        let res = call_with(fake_build(), req).await;
        assert_eq!(header(res.headers(), "content-encoding"), Some("gzip"));
        let vary: Vec<_> = res.headers().get_all(header::VARY).collect();
        assert_eq!(vary.len(), 1, "one Vary, {accept:?}");
        let body = test::read_body(res).await;
        assert!(body.len() < script.len());
        assert_eq!(gunzip(body).await, script);
    }
    for accept in [None, Some("identity"), Some("gzip;q=0")] {
        let mut req = test::TestRequest::get().uri("/assets/app-1a2b3c4d.js");
        if let Some(accept) = accept {
            req = req.insert_header((header::ACCEPT_ENCODING, accept));
        }
        let res = call_with(fake_build(), req).await;
        assert_eq!(
            header(res.headers(), "content-encoding"),
            None,
            "{accept:?}"
        );
        assert_eq!(header(res.headers(), "vary"), Some("Accept-Encoding"));
        assert_eq!(test::read_body(res).await, script);
    }
    // The page too; PNGs are not recompressed.
    let res = call_with(
        fake_build(),
        test::TestRequest::get()
            .uri("/boards/1")
            .insert_header((header::ACCEPT_ENCODING, "gzip")),
    )
    .await;
    assert_eq!(header(res.headers(), "content-encoding"), Some("gzip"));
    assert_eq!(
        gunzip(test::read_body(res).await).await,
        INDEX_HTML.as_bytes()
    );
    let res = call_with(
        fake_build(),
        test::TestRequest::get()
            .uri("/assets/logo-ABCDEFGH.png")
            .insert_header((header::ACCEPT_ENCODING, "gzip")),
    )
    .await;
    assert_eq!(header(res.headers(), "content-encoding"), None);
    assert_eq!(header(res.headers(), "vary"), Some("Accept-Encoding"));
}

#[actix_web::test]
async fn head_answers_as_get() {
    for path in ["/", "/assets/app-1a2b3c4d.js", "/boards/123", "/nope.js"] {
        let got = get(path).await;
        let head = call_with(
            fake_build(),
            test::TestRequest::default().method(Method::HEAD).uri(path),
        )
        .await;
        assert_eq!(head.status(), got.status(), "{path}");
        let names = |h: &HeaderMap| {
            let mut v: Vec<_> = h
                .iter()
                .filter(|(n, _)| n.as_str() != "date")
                .map(|(n, v)| format!("{n}: {}", v.to_str().unwrap()))
                .collect();
            v.sort();
            v
        };
        // The error body holds a fresh request id: compare all but it.
        if got.status().is_success() {
            assert_eq!(names(head.headers()), names(got.headers()), "{path}");
        }
    }
}
