//! Login sessions: refresh-token rotation, the reuse grace window, reuse
//! detection, revocation, and the login lockout counters.

use std::time::Duration;

use protocol::UserId;
use storage::{Db, LockoutPolicy, LoginSessionRow, NewLoginSession, RevokeReason, Rotation};
use uuid::Uuid;

use crate::{fresh_db, ALL};

const DAY: Duration = Duration::from_secs(86_400);
const NO_GRACE: Duration = Duration::ZERO;
const GRACE: Duration = Duration::from_secs(60);

/// A distinct 32-byte "hash" per `n`.
fn hash(n: u8) -> Vec<u8> {
    vec![n; 32]
}

/// The user's live sessions (one page holds them all).
async fn live(db: &Db, user: UserId) -> Vec<LoginSessionRow> {
    db.live_login_sessions(user, ALL).await.unwrap().rows
}

async fn user(db: &Db) -> UserId {
    let id = UserId(Uuid::new_v4());
    db.create_user(id, &format!("{id}@example.com"), "U", "h")
        .await
        .unwrap();
    id
}

async fn session(db: &Db, user: UserId, first_token: u8) -> Uuid {
    let id = Uuid::new_v4();
    let row = db
        .create_login_session(
            NewLoginSession {
                id,
                user,
                user_agent: Some("test-agent/1.0"),
                ip: Some("127.0.0.1"),
                lifetime: DAY,
                refresh_hash: &hash(first_token),
                password_hash: "h",
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(row.id, id);
    assert_eq!(row.user_id, user);
    assert_eq!(row.user_agent.as_deref(), Some("test-agent/1.0"));
    assert_eq!(row.ip.as_deref(), Some("127.0.0.1"));
    assert!(row.expires_at.0 > row.created_at.0 + 86_000_000);
    assert_eq!(row.revoked_at, None);
    id
}

#[tokio::test]
async fn rotation_marks_the_token_used_and_accepts_its_successor() {
    let (_t, db) = fresh_db().await;
    let user = user(&db).await;
    let sid = session(&db, user, 1).await;

    let first = db
        .rotate_refresh_token(&hash(1), &hash(2), DAY, GRACE)
        .await
        .unwrap();
    assert_eq!(
        first,
        Rotation::Rotated {
            session: sid,
            user,
            retry: false
        }
    );
    let second = db
        .rotate_refresh_token(&hash(2), &hash(3), DAY, GRACE)
        .await
        .unwrap();
    assert_eq!(
        second,
        Rotation::Rotated {
            session: sid,
            user,
            retry: false
        }
    );
    assert_eq!(
        db.rotate_refresh_token(&hash(99), &hash(4), DAY, GRACE)
            .await
            .unwrap(),
        Rotation::Unknown
    );
}

#[tokio::test]
async fn a_used_token_within_the_grace_window_rotates_again() {
    let (_t, db) = fresh_db().await;
    let user = user(&db).await;
    let sid = session(&db, user, 1).await;
    db.rotate_refresh_token(&hash(1), &hash(2), DAY, GRACE)
        .await
        .unwrap();
    // The response carrying token 2 was lost; the client retries with 1.
    let retry = db
        .rotate_refresh_token(&hash(1), &hash(3), DAY, GRACE)
        .await
        .unwrap();
    assert_eq!(
        retry,
        Rotation::Rotated {
            session: sid,
            user,
            retry: true
        }
    );
    // The successor of the retry works; the session is still live.
    assert!(matches!(
        db.rotate_refresh_token(&hash(3), &hash(4), DAY, GRACE)
            .await
            .unwrap(),
        Rotation::Rotated { retry: false, .. }
    ));
    assert_eq!(live(&db, user).await.len(), 1);
}

#[tokio::test]
async fn reuse_after_the_grace_window_revokes_the_whole_family() {
    let (_t, db) = fresh_db().await;
    let user = user(&db).await;
    let sid = session(&db, user, 1).await;
    db.rotate_refresh_token(&hash(1), &hash(2), DAY, NO_GRACE)
        .await
        .unwrap();

    let reuse = db
        .rotate_refresh_token(&hash(1), &hash(3), DAY, NO_GRACE)
        .await
        .unwrap();
    assert_eq!(reuse, Rotation::Reused { session: sid, user });
    let row = db.login_session(sid).await.unwrap().unwrap();
    assert!(row.revoked_at.is_some());
    assert_eq!(row.revoke_reason.as_deref(), Some("refresh_token_reused"));

    // The legitimate holder's newer token is dead too, and nothing was
    // stored for the attacker's attempt.
    assert_eq!(
        db.rotate_refresh_token(&hash(2), &hash(4), DAY, NO_GRACE)
            .await
            .unwrap(),
        Rotation::Revoked { session: sid, user }
    );
    assert_eq!(
        db.rotate_refresh_token(&hash(3), &hash(5), DAY, NO_GRACE)
            .await
            .unwrap(),
        Rotation::Unknown
    );
    assert!(live(&db, user).await.is_empty());
    assert_eq!(
        db.login_sessions_revoked_within(Duration::from_secs(900))
            .await
            .unwrap(),
        vec![sid]
    );
}

#[tokio::test]
async fn concurrent_uses_of_one_token_are_serialized() {
    let (_t, db) = fresh_db().await;
    let user = user(&db).await;
    session(&db, user, 1).await;
    // With no grace, exactly one of two racing uses rotates; the other is
    // a reuse (never two fresh rotations of one token).
    let (one, two, three) = (hash(1), hash(2), hash(3));
    let (a, b) = tokio::join!(
        db.rotate_refresh_token(&one, &two, DAY, NO_GRACE),
        db.rotate_refresh_token(&one, &three, DAY, NO_GRACE),
    );
    let outcomes = [a.unwrap(), b.unwrap()];
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Rotated { retry: false, .. }))
        .count();
    let reused = outcomes
        .iter()
        .filter(|o| matches!(o, Rotation::Reused { .. }))
        .count();
    assert_eq!((rotated, reused), (1, 1), "{outcomes:?}");
}

#[tokio::test]
async fn expired_sessions_refuse_refresh() {
    let (_t, db) = fresh_db().await;
    let user = user(&db).await;
    let sid = Uuid::new_v4();
    db.create_login_session(
        NewLoginSession {
            id: sid,
            user,
            user_agent: None,
            ip: None,
            lifetime: Duration::ZERO,
            refresh_hash: &hash(1),
            password_hash: "h",
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        db.rotate_refresh_token(&hash(1), &hash(2), DAY, GRACE)
            .await
            .unwrap(),
        Rotation::Expired { session: sid, user }
    );
    assert!(live(&db, user).await.is_empty());
}

#[tokio::test]
async fn sessions_are_revoked_only_by_their_owner() {
    let (_t, db) = fresh_db().await;
    let (alice, mallory) = (user(&db).await, user(&db).await);
    let phone = session(&db, alice, 1).await;
    let laptop = session(&db, alice, 2).await;
    assert_eq!(live(&db, alice).await.len(), 2);

    assert!(!db
        .revoke_login_session(mallory, phone, RevokeReason::RevokedByUser, None)
        .await
        .unwrap());
    assert!(db
        .revoke_login_session(alice, phone, RevokeReason::RevokedByUser, None)
        .await
        .unwrap());
    // Idempotent: the first reason stays.
    assert!(db
        .revoke_login_session(alice, phone, RevokeReason::Logout, None)
        .await
        .unwrap());
    let row = db.login_session(phone).await.unwrap().unwrap();
    assert_eq!(row.revoke_reason.as_deref(), Some("revoked_by_user"));
    assert_eq!(
        db.rotate_refresh_token(&hash(1), &hash(3), DAY, GRACE)
            .await
            .unwrap(),
        Rotation::Revoked {
            session: phone,
            user: alice
        }
    );
    let ids: Vec<Uuid> = live(&db, alice).await.iter().map(|s| s.id).collect();
    assert_eq!(ids, vec![laptop]);

    assert_eq!(
        db.revoke_user_login_sessions(alice, RevokeReason::AllSessionsRevoked)
            .await
            .unwrap(),
        vec![laptop]
    );
    assert!(live(&db, alice).await.is_empty());
}

#[tokio::test]
async fn failures_lock_a_scope_at_the_limit_and_a_success_clears_it() {
    let (_t, db) = fresh_db().await;
    let policy = LockoutPolicy {
        max_failures: 3,
        window: Duration::from_secs(900),
        lock_for: Duration::from_secs(900),
    };
    let scope = "email:ada@example.com".to_owned();
    let other = "ip:127.0.0.1".to_owned();
    let both = [scope.clone(), other.clone()];
    assert_eq!(db.login_lock(&both).await.unwrap(), None);

    for _ in 0..2 {
        assert_eq!(
            db.record_login_failure(&scope, &policy).await.unwrap(),
            None
        );
    }
    assert_eq!(db.login_lock(&both).await.unwrap(), None);
    let locked = db.record_login_failure(&scope, &policy).await.unwrap();
    let locked = locked.expect("the third failure locks");
    assert!(locked > Duration::from_secs(890) && locked <= Duration::from_secs(900));
    let remaining = db.login_lock(&both).await.unwrap().expect("locked");
    assert!(remaining <= locked);
    assert_eq!(
        db.login_lock(std::slice::from_ref(&other)).await.unwrap(),
        None
    );

    db.clear_login_failures(&scope).await.unwrap();
    assert_eq!(db.login_lock(&both).await.unwrap(), None);
    assert_eq!(
        db.record_login_failure(&scope, &policy).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_failure_series_restarts_after_its_window() {
    let (_t, db) = fresh_db().await;
    let policy = LockoutPolicy {
        max_failures: 2,
        window: Duration::from_millis(1),
        lock_for: Duration::from_secs(900),
    };
    let scope = "ip:10.0.0.1";
    assert_eq!(db.record_login_failure(scope, &policy).await.unwrap(), None);
    // The 1 ms window is over by the next statement's now(): this failure
    // starts a new series instead of reaching the limit.
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(db.record_login_failure(scope, &policy).await.unwrap(), None);
    assert_eq!(db.login_lock(&[scope.to_owned()]).await.unwrap(), None);
}

#[tokio::test]
async fn a_login_checked_against_a_password_that_changed_meanwhile_makes_no_session() {
    let (_t, db) = fresh_db().await;
    let user = user(&db).await;
    let attempt = |password_hash: &'static str| NewLoginSession {
        id: Uuid::new_v4(),
        user,
        user_agent: None,
        ip: None,
        lifetime: DAY,
        refresh_hash: &[7; 32],
        password_hash,
    };
    // Verified against "old", but a reset stored "h" in the meantime.
    let raced = db.create_login_session(attempt("old"), None).await;
    assert!(
        matches!(raced, Err(storage::DbError::Conflict(storage::LOGIN_RACED))),
        "{raced:?}"
    );
    assert!(live(&db, user).await.is_empty());
    // Disabled while the password was being verified.
    let client = db.pool().get().await.unwrap();
    client
        .execute(
            "UPDATE users SET disabled_at = now() WHERE id = $1",
            &[&user.0],
        )
        .await
        .unwrap();
    drop(client);
    let raced = db.create_login_session(attempt("h"), None).await;
    assert!(
        matches!(raced, Err(storage::DbError::Conflict(_))),
        "{raced:?}"
    );
    assert!(live(&db, user).await.is_empty());
}
