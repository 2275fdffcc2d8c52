//! Typed identifiers. Every id is a UUID newtype so a board id can never be
//! passed where an item id is expected. Ids are minted outside this crate (it
//! has no randomness) and handed in through [`crate::Ctx`] or the caller.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// The `Default` value is the nil UUID (all zero bits).
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[cfg_attr(test, derive(ts_rs::TS))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    };
}

uuid_id!(
    /// A board.
    BoardId
);
uuid_id!(
    /// An organization (tenant).
    OrgId
);
uuid_id!(
    /// A user account.
    UserId
);
uuid_id!(
    /// A work item (card).
    ItemId
);
uuid_id!(
    /// A column of a board.
    ColumnId
);
uuid_id!(
    /// A comment on an item.
    CommentId
);
uuid_id!(
    /// An invitation to join an organization.
    InviteId
);

/// Milliseconds since the Unix epoch. The core never reads a clock: the
/// caller passes `now` in [`crate::Ctx`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(transparent)]
pub struct Millis(pub i64);
