//! Field rules shared by `create` and `decide`. Each check returns the
//! normalized value (names, titles and labels are trimmed) or an
//! [`Rejection::InvalidField`] naming the field and the rule it breaks.

use super::limits::{
    BOARD_NAME_MAX, COLUMN_NAME_MAX, COMMENT_MAX, DESCRIPTION_MAX_BYTES, LABEL_MAX, TITLE_MAX,
};
use super::Rejection;

/// An [`Rejection::InvalidField`] for `field`.
pub(super) fn invalid(field: &str, rule: impl Into<String>) -> Rejection {
    Rejection::InvalidField {
        field: field.to_owned(),
        rule: rule.into(),
    }
}

/// A one-line text: trimmed, 1 to `max` characters, no control characters
/// and no line breaks.
fn line(field: &str, value: &str, max: usize) -> Result<String, Rejection> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > max {
        return Err(invalid(field, format!("must be 1–{max} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    // U+2028 and U+2029 are not control characters (`Zl`, `Zp`), but they
    // break lines wherever the text is shown.
    if trimmed.contains(['\u{2028}', '\u{2029}']) {
        return Err(invalid(field, "must not contain line breaks"));
    }
    Ok(trimmed.to_owned())
}

/// A board name.
pub(super) fn board_name(name: &str) -> Result<String, Rejection> {
    line("name", name, BOARD_NAME_MAX)
}

/// A column name.
pub(super) fn column_name(name: &str) -> Result<String, Rejection> {
    line("name", name, COLUMN_NAME_MAX)
}

/// An item title.
pub(super) fn title(title: &str) -> Result<String, Rejection> {
    line("title", title, TITLE_MAX)
}

/// A label.
pub(super) fn label(label: &str) -> Result<String, Rejection> {
    line("label", label, LABEL_MAX)
}

/// An item description: free text (newlines allowed) up to 64 KiB, without
/// NUL characters (PostgreSQL text cannot hold them). Kept as written.
pub(super) fn description(description: &str) -> Result<String, Rejection> {
    if description.len() > DESCRIPTION_MAX_BYTES {
        return Err(invalid(
            "description",
            format!("must be at most {DESCRIPTION_MAX_BYTES} bytes"),
        ));
    }
    if description.contains('\0') {
        return Err(invalid("description", "must not contain NUL characters"));
    }
    Ok(description.to_owned())
}

/// A comment body: 1 to [`COMMENT_MAX`] characters, not only whitespace,
/// without NUL characters (PostgreSQL text cannot hold them). Kept as
/// written: line breaks and surrounding spaces are the author's.
pub(super) fn comment_body(body: &str) -> Result<String, Rejection> {
    if body.trim().is_empty() || body.chars().count() > COMMENT_MAX {
        return Err(invalid(
            "body",
            format!("must be 1–{COMMENT_MAX} characters, not only whitespace"),
        ));
    }
    if body.contains('\0') {
        return Err(invalid("body", "must not contain NUL characters"));
    }
    Ok(body.to_owned())
}

/// A WIP limit: absent (no limit) or at least 1.
pub(super) fn wip_limit(field: &str, limit: Option<u32>) -> Result<Option<u32>, Rejection> {
    match limit {
        Some(0) => Err(invalid(field, "must be at least 1 when set")),
        other => Ok(other),
    }
}

/// The key under which column names must be unique (case-insensitive).
pub(super) fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// `limit` as the `u32` the rejections carry (saturating; limits are small).
pub(super) fn as_u32(limit: usize) -> u32 {
    u32::try_from(limit).unwrap_or(u32::MAX)
}
