//! Presence: who is on a board and what they are looking at. Ephemeral —
//! never persisted, never part of the board's log or seq.

use serde::{Deserialize, Serialize};

use crate::ids::{ItemId, UserId};

/// Largest cursor coordinate accepted (either axis, absolute value).
pub const CURSOR_MAX: i32 = 1_000_000;

/// What a session shows of itself on a board.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct PresenceState {
    /// The item the user is looking at, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub item: Option<ItemId>,
    /// The user's pointer, in the client's board coordinates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub cursor: Option<Cursor>,
}

/// A pointer position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    /// Horizontal position.
    pub x: i32,
    /// Vertical position.
    pub y: i32,
}

impl PresenceState {
    /// Whether the values are within bounds.
    ///
    /// # Errors
    /// A message naming the field out of range.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(c) = self.cursor {
            if c.x.abs() > CURSOR_MAX || c.y.abs() > CURSOR_MAX {
                return Err(format!("cursor coordinates must be within ±{CURSOR_MAX}"));
            }
        }
        Ok(())
    }
}

/// One session on a board.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PresenceEntry {
    /// The session (one browser tab; a user may have several).
    pub session: String,
    /// Who it is (a user, or an API key's id).
    pub user: UserId,
    /// What it shows.
    pub state: PresenceState,
}

/// What happened to a session's presence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PresenceChange {
    /// It subscribed to the board.
    Joined,
    /// It sent a new state.
    Updated,
    /// It unsubscribed, disconnected, timed out or lost access.
    Left,
}
