//! Where a command came from, as far as the server could tell: carried
//! with an organization's command to its append, so the audit log can
//! name the request behind each membership, invite or ownership change
//! (`storage::audit`). Plain data; nothing here looks at a request.

/// The request (or socket) that sent a command.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The client's IP address, as the server decided it (the TCP peer or
    /// what a trusted proxy said).
    pub ip: Option<String>,
    /// The client's `User-Agent`, shortened by the server.
    pub user_agent: Option<String>,
    /// The request id (`X-Request-Id`).
    pub request_id: Option<String>,
    /// Whether the caller was an API key (the events' author is then the
    /// key's id).
    pub api_key: bool,
}
