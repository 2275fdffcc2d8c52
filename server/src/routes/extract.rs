//! Extractor configuration: every malformed body, path or query is answered
//! in the API's error shape, naming what is wrong.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};
use protocol::codes::ErrorCode;

use crate::error::ApiError;

/// JSON bodies: size limit (413), content type (415), and a 400 that quotes
/// serde's explanation (unknown field, missing field, wrong type).
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req: &HttpRequest| {
            let api = match &err {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::PayloadTooLarge { limit },
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType {
                    message: "send the body as application/json".into(),
                },
                JsonPayloadError::Deserialize(e) => ApiError::BadRequest {
                    code: ErrorCode::InvalidBody,
                    message: format!("request body is invalid: {e}"),
                },
                other => ApiError::BadRequest {
                    code: ErrorCode::InvalidBody,
                    message: format!("request body could not be read: {other}"),
                },
            };
            api.into()
        })
}

/// Path parameters: a bad id is a 400 that names the parameter.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, req| {
        let params: Vec<&str> = req.match_info().iter().map(|(k, _)| k).collect();
        let detail = match &err {
            PathError::Deserialize(e) => e.to_string(),
            other => other.to_string(),
        };
        ApiError::BadRequest {
            code: ErrorCode::InvalidPath,
            message: format!(
                "path parameter ({}) is invalid: {detail}",
                params.join(", ")
            ),
        }
        .into()
    })
}

/// Query strings: 400 naming the problem.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let detail = match &err {
            QueryPayloadError::Deserialize(e) => e.to_string(),
            other => other.to_string(),
        };
        ApiError::BadRequest {
            code: ErrorCode::InvalidQuery,
            message: format!("query string is invalid: {detail}"),
        }
        .into()
    })
}

/// A one-line text field (a name, an email, a label): no control
/// characters and no line breaks. PostgreSQL text cannot hold NUL at all,
/// and the others have no place in a single line. U+2028 and U+2029 break
/// lines without being control characters, as board titles also refuse
/// (`protocol::board::validate`).
///
/// # Errors
/// 400 `validation_failed` naming `field`.
pub fn one_line(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().any(char::is_control) {
        return Err(ApiError::validation(
            field,
            "must not contain control characters",
        ));
    }
    if value.contains(['\u{2028}', '\u{2029}']) {
        return Err(ApiError::validation(field, "must not contain line breaks"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_line_refuses_control_characters_and_unicode_line_breaks() {
        assert!(super::one_line("name", "Ada Lovelace ✓").is_ok());
        for bad in ["a\nb", "a\u{0}b", "a\u{2028}b", "a\u{2029}b"] {
            assert!(super::one_line("name", bad).is_err(), "{bad:?}");
        }
    }
}
