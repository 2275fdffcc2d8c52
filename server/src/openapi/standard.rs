//! The answers a route gives because of how it is reached, added to every
//! operation from its shape:
//!
//! | shape | answers |
//! |---|---|
//! | any operation | 429 `rate_limited` (per-IP and per-caller limits) |
//! | has security | 401 (`missing_token`, `invalid_token`, `token_expired`, ...) |
//! | has parameters | 400 (`invalid_path`, `invalid_query`, `validation_failed`) |
//! | has a body | 400 `invalid_body`, 413 `payload_too_large`, 415 `unsupported_media_type` |
//! | has security or a body (it reaches the database) | 503 `unavailable`, retryable |
//!
//! Each is a shared response in `components.responses`; an operation that
//! documents the same status itself keeps its own description.

use utoipa::openapi::content::Content;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{Object, Type};
use utoipa::openapi::{OpenApi, Ref, RefOr};
use utoipa::Modify;

/// Adds the standard answers; see the module documentation.
pub struct StandardResponses;

/// One standard answer.
struct Standard {
    status: &'static str,
    /// Its name in `components.responses`.
    name: &'static str,
    description: &'static str,
    /// A header it carries: (name, description).
    header: Option<(&'static str, &'static str)>,
}

const STANDARD: [Standard; 6] = [
    Standard {
        status: "400",
        name: "BadRequest",
        description: "The request is malformed: a path parameter, query parameter, header or body \
         field is invalid (`invalid_path`, `invalid_query`, `invalid_body`, \
         `validation_failed` with `details` naming the field).",
        header: None,
    },
    Standard {
        status: "401",
        name: "Unauthorized",
        description: "No credential, or one that is invalid, expired or revoked.",
        header: Some(("WWW-Authenticate", "`Bearer`")),
    },
    Standard {
        status: "413",
        name: "PayloadTooLarge",
        description: "The body is larger than the configured limit (`payload_too_large`).",
        header: None,
    },
    Standard {
        status: "415",
        name: "UnsupportedMediaType",
        description: "The body is not `application/json` (`unsupported_media_type`).",
        header: None,
    },
    Standard {
        status: "429",
        name: "TooManyRequests",
        description: "Over a rate limit (`rate_limited`, `details.retry_after_ms`).",
        header: Some(("Retry-After", "Seconds to wait before retrying.")),
    },
    Standard {
        status: "503",
        name: "Unavailable",
        description: "Storage or an actor is temporarily unavailable or overloaded; retryable \
         (`details.retryable`).",
        header: Some(("Retry-After", "Seconds to wait before retrying.")),
    },
];

fn response(description: &str, header: Option<(&str, &str)>) -> Response {
    let mut builder = ResponseBuilder::new().description(description).content(
        "application/json",
        Content::new(Some(Ref::from_schema_name("ErrorBody"))),
    );
    if let Some((name, text)) = header {
        let header = HeaderBuilder::new()
            .schema(Object::with_type(Type::String))
            .description(Some(text))
            .build();
        builder = builder.header(name, header);
    }
    builder.build()
}

/// The statuses `op` can answer because of its shape.
fn statuses(op: &Operation) -> Vec<&'static str> {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let has_body = op.request_body.is_some();
    let mut out = vec!["429"];
    if secured {
        out.push("401");
    }
    if has_params || has_body {
        out.push("400");
    }
    if has_body {
        out.extend(["413", "415"]);
    }
    if secured || has_body {
        out.push("503");
    }
    out
}

impl Modify for StandardResponses {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        for s in &STANDARD {
            components
                .responses
                .insert(s.name.into(), RefOr::T(response(s.description, s.header)));
        }
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                for status in statuses(op) {
                    let Some(Standard { name, .. }) = STANDARD.iter().find(|s| s.status == status)
                    else {
                        continue;
                    };
                    op.responses
                        .responses
                        .entry(status.into())
                        .or_insert_with(|| {
                            RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
                        });
                }
            }
        }
    }
}
