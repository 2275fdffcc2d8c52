//! What callers of the actors get back when something is refused.

use protocol::{OrgRejection, Rejection, StoreError};

/// Why a board or organization operation did not succeed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ActorError {
    /// The board or organization does not exist, or the caller is not a
    /// member (the two are indistinguishable on purpose).
    #[error("not found")]
    NotFound,
    /// A domain rule refused the command.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// An organization's rule refused the command.
    #[error(transparent)]
    OrgRejected(#[from] OrgRejection),
    /// A mailbox or the storage queue is full; retry shortly.
    #[error("the server is overloaded; retry shortly")]
    Overloaded,
    /// Storage failed or an actor stopped mid-request; nothing was
    /// acknowledged, retry shortly.
    #[error("temporarily unavailable: {0}")]
    Unavailable(String),
    /// A permanent storage fault (a stored record that does not decode, a
    /// statement the database always refuses): nothing was applied, and
    /// sending the same request again cannot help.
    #[error("internal error: {0}")]
    Internal(String),
    /// The operation did not finish in time; its outcome is unknown.
    #[error("timed out")]
    Timeout,
    /// The session already holds as many boards as it may.
    #[error("a session may subscribe to at most {max} boards")]
    TooManySubscriptions { max: usize },
    /// `subscribe` without `since` for a board the session is subscribed
    /// to: it already has the board, and a second snapshot is not sent.
    #[error("already subscribed to this board; send since to catch up, or unsubscribe first")]
    AlreadySubscribed,
}

impl ActorError {
    /// Stable machine code for clients.
    pub fn code(&self) -> &'static str {
        match self {
            ActorError::NotFound => protocol::codes::NOT_FOUND,
            ActorError::Rejected(r) => r.code(),
            ActorError::OrgRejected(r) => r.code(),
            ActorError::Overloaded => protocol::codes::OVERLOADED,
            ActorError::Unavailable(_) => protocol::codes::UNAVAILABLE,
            ActorError::Internal(_) => protocol::codes::INTERNAL,
            ActorError::Timeout => protocol::codes::TIMEOUT,
            ActorError::TooManySubscriptions { .. } => protocol::codes::TOO_MANY_SUBSCRIPTIONS,
            ActorError::AlreadySubscribed => protocol::codes::ALREADY_SUBSCRIBED,
        }
    }

    /// Whether sending the same request later may succeed.
    pub fn retryable(&self) -> bool {
        matches!(
            self,
            ActorError::Overloaded | ActorError::Unavailable(_) | ActorError::Timeout
        )
    }

    /// A message safe to show a client (no internal error text).
    pub fn client_message(&self) -> String {
        match self {
            ActorError::Unavailable(_) => {
                "storage is temporarily unavailable; nothing was applied, retry shortly".into()
            }
            ActorError::Internal(_) => {
                "the server hit a fault it cannot recover from by itself; nothing was applied, \
                 and retrying will not help"
                    .into()
            }
            other => other.to_string(),
        }
    }
}

/// Await a store call for at most `limit`; past it, the call counts as
/// [`StoreError::Timeout`] (its outcome unknown). Every store call an actor
/// makes goes through this, so none can hold a board forever.
pub(crate) async fn bounded<T>(
    limit: std::time::Duration,
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(limit, call)
        .await
        .unwrap_or(Err(StoreError::Timeout))
}

impl From<StoreError> for ActorError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Overloaded => ActorError::Overloaded,
            StoreError::Timeout => ActorError::Timeout,
            StoreError::Internal(cause) => ActorError::Internal(cause),
            StoreError::OrgRefused(rejection) => ActorError::OrgRejected(rejection),
            other => ActorError::Unavailable(other.to_string()),
        }
    }
}
