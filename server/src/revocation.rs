//! Revocation that reaches live sessions. Access tokens are stateless
//! JWTs, so revoking a login session (its refresh-token family), a user's
//! every session, or an API key is recorded here: REST requests consult
//! the in-memory set on every call, and every WebSocket session listens to
//! the broadcast and closes itself (1008) when its credential is revoked.
//! Revoked login sessions are kept for the access-token lifetime (after
//! that their tokens have expired anyway) and reloaded from the database
//! at start. Every revocation is told to the other nodes over the bus
//! (`Notice::Revoked`), which record it the same way ([`Revocations::heard`]).
//! A node that misses it (its bus was down) still refuses the credential
//! at the next refresh, which reads the database.

use std::time::{Duration, Instant};

use std::sync::Arc;

use dashmap::DashMap;
use protocol::bus::{Bus, Notice, Revocation};
use protocol::UserId;
use tokio::sync::broadcast;
use uuid::Uuid;

/// Revocations buffered for sessions that have not yet read them; a
/// session that lags further re-checks its credential against the sets.
pub const REVOCATION_BUFFER: usize = 1024;

/// Something that no longer grants access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// One login session (refresh-token family) and its access tokens.
    Session(Uuid),
    /// Every session of a user (e.g. after a password change).
    User(UserId),
    /// An API key.
    ApiKey(Uuid),
}

/// The node's view of what is revoked.
pub struct Revocations {
    tx: broadcast::Sender<Revoked>,
    sessions: DashMap<Uuid, Instant>,
    users: DashMap<UserId, (u64, Instant)>,
    keys: DashMap<Uuid, Instant>,
    keep_for: Duration,
    bus: Arc<dyn Bus>,
}

impl Revocations {
    /// `keep_for`: how long a revoked session must be remembered (the
    /// access token lifetime plus leeway).
    /// Revocations are told to the other nodes through `bus`.
    pub fn new(keep_for: Duration, bus: Arc<dyn Bus>) -> Revocations {
        let (tx, _) = broadcast::channel(REVOCATION_BUFFER);
        Revocations {
            tx,
            sessions: DashMap::new(),
            users: DashMap::new(),
            keys: DashMap::new(),
            keep_for,
            bus,
        }
    }

    /// Record a revocation, tell every live session, and every other node.
    pub fn revoke(&self, what: Revoked) {
        let told = match what {
            Revoked::Session(session) => Revocation::Session { session },
            Revoked::User(user) => Revocation::User {
                user,
                at: crate::auth::unix_now(),
            },
            Revoked::ApiKey(key) => Revocation::ApiKey { key },
        };
        self.heard(told);
        self.bus.publish(Notice::Revoked(told));
    }

    /// Record a revocation (made here, or heard from another node) and
    /// tell every live session of this node.
    pub fn heard(&self, revocation: Revocation) {
        let until = Instant::now() + self.keep_for;
        let what = match revocation {
            Revocation::Session { session } => {
                self.sessions.insert(session, until);
                Revoked::Session(session)
            }
            Revocation::User { user, at } => {
                self.users.insert(user, (at, until));
                Revoked::User(user)
            }
            Revocation::ApiKey { key } => {
                self.keys.insert(key, until);
                Revoked::ApiKey(key)
            }
        };
        let _ = self.tx.send(what);
        self.prune();
    }

    /// Record a session revoked before this node started (loaded from the
    /// database at start): refused from now on, with no broadcast since no
    /// live session can hold it yet.
    pub fn remember_session(&self, sid: Uuid) {
        self.sessions.insert(sid, Instant::now() + self.keep_for);
    }

    /// Whether an access token of login session `sid`, issued to `user` at
    /// `iat` (unix seconds), has been revoked.
    pub fn token_revoked(&self, sid: Uuid, user: UserId, iat: u64) -> bool {
        self.sessions.contains_key(&sid)
            || self
                .users
                .get(&user)
                .is_some_and(|entry| iat <= entry.value().0)
    }

    /// Whether API key `id` has been revoked on this node.
    pub fn key_revoked(&self, id: Uuid) -> bool {
        self.keys.contains_key(&id)
    }

    /// Live revocations, for a session to listen to.
    pub fn subscribe(&self) -> broadcast::Receiver<Revoked> {
        self.tx.subscribe()
    }

    fn prune(&self) {
        let now = Instant::now();
        self.sessions.retain(|_, until| *until > now);
        self.users.retain(|_, (_, until)| *until > now);
        self.keys.retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoked_sessions_and_users_are_remembered_and_broadcast() {
        let solo = Arc::new(protocol::bus::SoloBus(protocol::bus::NodeId(Uuid::nil())));
        let revocations = Revocations::new(Duration::from_secs(60), solo);
        let mut rx = revocations.subscribe();
        let (sid, user) = (Uuid::new_v4(), UserId(Uuid::new_v4()));
        assert!(!revocations.token_revoked(sid, user, 0));
        revocations.revoke(Revoked::Session(sid));
        assert!(revocations.token_revoked(sid, user, 0));
        assert_eq!(rx.try_recv().ok(), Some(Revoked::Session(sid)));

        let other = Uuid::new_v4();
        let issued = crate::auth::unix_now();
        revocations.revoke(Revoked::User(user));
        assert!(
            revocations.token_revoked(other, user, issued),
            "tokens issued before are revoked"
        );
        assert!(
            !revocations.token_revoked(other, user, issued + 5),
            "later tokens are fine"
        );
    }
}
