//! The name rules and the embedded table.

use crate::app_assets::*;

#[test]
fn content_types_by_extension() {
    for (path, expected) in [
        ("index.html", "text/html; charset=utf-8"),
        ("a/app-1A2B3C4D.js", "text/javascript; charset=utf-8"),
        ("worker.MJS", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("logo.svg", "image/svg+xml"),
        ("logo.png", "image/png"),
        ("favicon.ico", "image/x-icon"),
        ("data.json", "application/json"),
        ("app-1A2B3C4D.js.map", "application/json"),
        ("font.woff2", "font/woff2"),
        ("robots.txt", "text/plain; charset=utf-8"),
        ("app.webmanifest", "application/manifest+json"),
        ("archive.tar.gz", "application/octet-stream"),
        ("LICENSE", "application/octet-stream"),
    ] {
        assert_eq!(content_type(path), expected, "{path}");
    }
}

#[test]
fn hashed_names_are_name_dash_eight_or_more_alphanumerics_dot_ext() {
    for hashed in [
        "assets/app-1a2b3c4d.js",
        "app-QXYZABCD.css",
        "chunk-ABCDEFGH12.mjs",
        "assets/app-1A2B3C4D.js.map",
        "my-lib-00000000.js",
    ] {
        assert!(is_hashed(hashed), "{hashed}");
    }
    for plain in [
        "index.html",
        "favicon.ico",
        "assets/app.js",
        "app-1a2b3c4.js",   // 7 characters
        "app-1a2b_3c4d.js", // not alphanumeric
        "-1a2b3c4d.js",     // no name
        "app-1a2b3c4d",     // no extension
        "app-1a2b3c4d.",    // empty extension
        "assets-1a2b3c4d/app.js",
    ] {
        assert!(!is_hashed(plain), "{plain}");
    }
}

#[test]
fn the_embedded_table_agrees_with_the_kinds() {
    for asset in EMBEDDED {
        assert_eq!(
            asset.content_type,
            content_type(asset.path),
            "{}",
            asset.path
        );
        assert!(!asset.path.starts_with('/') && !asset.path.contains(".."));
    }
}
