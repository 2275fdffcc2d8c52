//! Cursor pagination, shared by every list of the API.
//!
//! Every list takes `limit` and `cursor` and answers
//! `{"<things>": [...], "next_cursor": "…" | null}`. The item list and
//! comments continue after a number (`cursor::parse`/`encode`); the account
//! lists (members, boards, invites, API keys, my organizations, my login
//! sessions) after the sort key and id of the last row
//! (`storage::PageRequest`, keyset pagination in SQL): their page types
//! are made by [`list_page!`] and their handlers are two lines,
//! [`ListPage::request`] in and [`ListPage::respond`] out.

use actix_web::HttpResponse;
use serde::{Deserialize, Serialize};
use storage::{Page, PageRequest};
use utoipa::IntoParams;

use crate::error::ApiError;

/// Rows per page of an account list when the request names no `limit`.
pub const LIST_PAGE_DEFAULT: u32 = 50;
/// The largest `limit` of an account list.
pub const LIST_PAGE_MAX: u32 = 200;

/// Which page of an account list.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page, unchanged.
    cursor: Option<String>,
}

/// `limit` within `1..=max`, `default` when absent; a 400 naming `limit`
/// otherwise.
pub(super) fn page_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    match limit {
        None => Ok(default),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::validation(
            "limit",
            format!("must be between 1 and {max}"),
        )),
    }
}

/// The response of one account list, made by [`list_page!`].
pub trait ListPage: Serialize + Sized {
    /// The list's name: its field in the response, and the tag of its
    /// cursors, so a cursor of one list is refused by another.
    const LIST: &'static str;
    /// One row as the client sees it.
    type View;

    fn new(rows: Vec<Self::View>, next_cursor: Option<String>) -> Self;

    /// The page `query` asks for; a 400 naming `limit` or `cursor` when
    /// one of them is not acceptable.
    fn request(query: &PageQuery) -> Result<PageRequest, ApiError> {
        Self::request_of(query.limit, query.cursor.as_deref())
    }

    /// [`Self::request`] for a list whose query has more than a page's
    /// fields (a search, say).
    fn request_of(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
        Ok(PageRequest {
            limit: page_limit(limit, LIST_PAGE_DEFAULT, LIST_PAGE_MAX)?,
            after: cursor::parse_after(Self::LIST, cursor)?,
        })
    }

    /// A 200 with `page`, its rows as [`Self::View`]s.
    fn respond<R>(page: Page<R>) -> HttpResponse
    where
        Self::View: From<R>,
    {
        let next_cursor = page
            .next
            .map(|after| cursor::encode_after(Self::LIST, after));
        let rows = page.rows.into_iter().map(Self::View::from).collect();
        HttpResponse::Ok().json(Self::new(rows, next_cursor))
    }
}

/// `list_page!(/// doc  Name { field: View })`: the response type of an
/// account list, `{"field": [View], "next_cursor": …}`, documented in the
/// OpenAPI document under `Name`, and its [`ListPage`] impl.
macro_rules! list_page {
    ($(#[$doc:meta])* $page:ident { $field:ident: $view:ty }) => {
        $(#[$doc])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $page {
            $field: Vec<$view>,
            /// Pass as `cursor` for the next page; `null` on the last page.
            next_cursor: Option<String>,
        }

        impl $crate::routes::page::ListPage for $page {
            const LIST: &'static str = stringify!($field);
            type View = $view;

            fn new(rows: Vec<$view>, next_cursor: Option<String>) -> Self {
                $page {
                    $field: rows,
                    next_cursor,
                }
            }
        }
    };
}
pub(super) use list_page;

/// Opaque page cursors: the hex of `n:<number>` (an item number, a
/// comment's seq) or `<list>:<key>:<id>` (the last row of an account
/// list). Clients must pass them back unchanged; the format may change.
pub(super) mod cursor {
    use storage::After;
    use uuid::Uuid;

    use crate::error::ApiError;

    const PREFIX: &str = "n:";
    /// Longer than any cursor handed out; anything longer is refused
    /// before it is decoded.
    const MAX_LEN: usize = 160;

    fn refused() -> ApiError {
        ApiError::validation("cursor", "is not a cursor this API handed out")
    }

    /// The number of a `cursor` query parameter, if given; a 400 naming
    /// `cursor` when it is not one this API handed out.
    pub fn parse(raw: Option<&str>) -> Result<Option<u64>, ApiError> {
        raw.map(|raw| decode(raw).ok_or_else(refused)).transpose()
    }

    pub fn encode(number: u64) -> String {
        hex(&format!("{PREFIX}{number}"))
    }

    pub fn decode(raw: &str) -> Option<u64> {
        unhex(raw)?.strip_prefix(PREFIX)?.parse().ok()
    }

    /// The position of a `cursor` of `list`, if given; a 400 naming
    /// `cursor` when it is not one this API handed out for `list`.
    pub fn parse_after(list: &str, raw: Option<&str>) -> Result<Option<After>, ApiError> {
        raw.map(|raw| decode_after(list, raw).ok_or_else(refused))
            .transpose()
    }

    pub fn encode_after(list: &str, after: After) -> String {
        hex(&format!("{list}:{}:{}", after.key, after.id))
    }

    pub fn decode_after(list: &str, raw: &str) -> Option<After> {
        let text = unhex(raw)?;
        let rest = text.strip_prefix(list)?.strip_prefix(':')?;
        let (key, id) = rest.split_once(':')?;
        Some(After {
            key: key.parse().ok()?,
            id: Uuid::parse_str(id).ok()?,
        })
    }

    fn hex(text: &str) -> String {
        text.bytes().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(raw: &str) -> Option<String> {
        if raw.len() > MAX_LEN {
            return None;
        }
        let bytes: Option<Vec<u8>> = raw
            .as_bytes()
            .chunks(2)
            .map(|pair| {
                let hex = std::str::from_utf8(pair).ok().filter(|h| h.len() == 2)?;
                u8::from_str_radix(hex, 16).ok()
            })
            .collect();
        String::from_utf8(bytes?).ok()
    }

    #[cfg(test)]
    mod tests {
        use storage::After;
        use uuid::Uuid;

        #[test]
        fn cursors_round_trip_and_garbage_is_refused() {
            for n in [0, 1, 123, u64::MAX] {
                assert_eq!(super::decode(&super::encode(n)), Some(n));
            }
            for bad in ["", "zz", "6e3", "6e3a", "313233", "6e3a2d31"] {
                assert_eq!(super::decode(bad), None, "{bad}");
            }
        }

        #[test]
        fn list_cursors_round_trip_and_belong_to_their_list() {
            let after = After {
                key: 1_767_225_600_123_456,
                id: Uuid::new_v4(),
            };
            let raw = super::encode_after("members", after);
            assert_eq!(super::decode_after("members", &raw), Some(after));
            assert_eq!(super::decode_after("boards", &raw), None);
            assert_eq!(super::decode_after("member", &raw), None);
            assert_eq!(super::decode_after("members", &super::encode(7)), None);
            let extreme = After {
                key: i64::MIN,
                ..after
            };
            let raw = super::encode_after("api_keys", extreme);
            assert_eq!(super::decode_after("api_keys", &raw), Some(extreme));
            for bad in ["", "zz", "6d656d62657273", &"61".repeat(200)] {
                assert_eq!(super::decode_after("members", bad), None, "{bad}");
            }
        }
    }
}
