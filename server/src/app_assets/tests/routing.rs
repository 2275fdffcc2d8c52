//! Which path gets what: the app's page, a file, or the server's own
//! answer.

use actix_web::http::StatusCode;
use actix_web::test;

use super::*;

#[actix_web::test]
async fn app_paths_fall_back_to_the_page() {
    for path in [
        "/boards/123",
        "/orgs/acme/members",
        "/login",
        "/boards/123/",
    ] {
        let res = get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let h = res.headers();
        assert_eq!(header(h, "content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(header(h, "cache-control"), Some(CACHE_OTHER), "{path}");
        assert!(header(h, "content-security-policy").is_some(), "{path}");
        assert_eq!(test::read_body(res).await, INDEX_HTML.as_bytes());
    }
}

#[actix_web::test]
async fn the_servers_own_paths_are_never_the_app() {
    for path in [
        "/api",
        "/api/",
        "/api/v1/nope",
        "/api/v2/boards",
        "/ws/x",
        "/health",
        "/health/x",
        "/metrics",
        "/metrics/x",
    ] {
        assert_eq!(
            error(get(path).await).await,
            (StatusCode::NOT_FOUND, "not_found".to_owned()),
            "{path}"
        );
    }
    // `/ws` is still its own route.
    let res = call_with(fake_build(), test::TestRequest::post().uri("/ws")).await;
    assert_eq!(error(res).await.0, StatusCode::METHOD_NOT_ALLOWED);
    // Names that merely start alike are the app's.
    assert_eq!(get("/apiary").await.status(), StatusCode::OK);
    assert_eq!(get("/healthy").await.status(), StatusCode::OK);
}

#[actix_web::test]
async fn missing_files_are_404() {
    for path in [
        "/assets/missing-00000000.js",
        "/nope.txt",
        "/boards/1/x.png",
    ] {
        assert_eq!(
            error(get(path).await).await,
            (StatusCode::NOT_FOUND, "not_found".to_owned()),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn traversal_is_404() {
    for path in [
        "/../index.html",
        "/assets/../index.html",
        "/assets/..",
        "/boards/./1",
        "/%2e%2e/etc/passwd",
        "/assets/%2E%2e/index.html",
        "/assets/.%2e",
        "/a/..%2f..%2fetc%2fpasswd",
        "/a%5c..%5cwindows",
    ] {
        assert_eq!(
            error(get(path).await).await,
            (StatusCode::NOT_FOUND, "not_found".to_owned()),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn other_methods_are_405_where_the_app_answers() {
    for path in ["/boards/1", "/assets/app-1a2b3c4d.js"] {
        let res = call_with(fake_build(), test::TestRequest::post().uri(path)).await;
        assert_eq!(header(res.headers(), "allow"), Some("GET, HEAD"), "{path}");
        assert_eq!(
            error(res).await,
            (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed".to_owned()
            )
        );
    }
    let res = call_with(fake_build(), test::TestRequest::delete().uri("/nope.js")).await;
    assert_eq!(error(res).await.0, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn without_an_app_root_redirects_to_the_docs_and_pages_are_404() {
    let res = call_with(&[], test::TestRequest::get().uri("/")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(res.headers(), "location"), Some("/api/v1/docs"));
    for path in ["/boards/123", "/favicon.ico"] {
        let res = call_with(&[], test::TestRequest::get().uri(path)).await;
        assert_eq!(error(res).await.0, StatusCode::NOT_FOUND, "{path}");
    }
    let res = call_with(&[], test::TestRequest::post().uri("/boards/1")).await;
    assert_eq!(error(res).await.0, StatusCode::NOT_FOUND);
}
