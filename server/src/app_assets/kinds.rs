//! What a file of the app is, from its name alone: its content type, and
//! whether its name carries a content hash. Shared with the build script
//! (`server/build/app_assets.rs` includes this file), so the table it
//! generates and the server agree.

/// The content type for `path`, by its extension (case-insensitive);
/// `application/octet-stream` for any other.
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = match name.rsplit_once('.') {
        Some((_, ext)) => ext.to_ascii_lowercase(),
        None => String::new(),
    };
    match ext.as_str() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

/// Minimum length of the content hash of a hashed name.
pub const MIN_HASH_LEN: usize = 8;

/// Whether the file name of `path` carries a content hash, so its bytes
/// never change under that name and it may be cached for good.
///
/// The rule: the last segment is `<name>-<hash>.<ext>`, where `<ext>` is
/// everything after the segment's first `.` (so `app-1A2B3C4D.js.map`
/// counts), `<hash>` is what follows the last `-` before it and is at least
/// [`MIN_HASH_LEN`] ASCII letters or digits, and `<name>` is not empty.
/// esbuild's `[name]-[hash]` names match it. A hand-named file such as
/// `my-component.js` would match too: the build must not ship unhashed
/// files named like that (`index.html` and `favicon.ico` are fine).
pub fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let Some((stem, ext)) = name.split_once('.') else {
        return false;
    };
    let Some((base, hash)) = stem.rsplit_once('-') else {
        return false;
    };
    !base.is_empty()
        && !ext.is_empty()
        && hash.len() >= MIN_HASH_LEN
        && hash.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Whether answers of this content type are gzipped for clients that
/// accept it: everything but raster images (already compressed, and left
/// alone by actix's `Compress` too), so `Compress` never touches an asset.
pub fn compressible(content_type: &str) -> bool {
    !content_type.starts_with("image/")
        || content_type == "image/svg+xml"
        || content_type == "image/x-icon"
}
