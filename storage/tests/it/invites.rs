//! Invites: create, list, revoke, and the one-shot, atomic redemption.

use protocol::{OrgId, Role, UserId};
use storage::{Db, DbError, InviteStatus, NewInvite, RedeemError, RevokeOutcome};
use uuid::Uuid;

use crate::{fresh_db, org_with_owner, ALL};

async fn user(db: &Db) -> UserId {
    let id = UserId(Uuid::new_v4());
    db.create_user(id, &format!("{id}@example.com"), "User", "h")
        .await
        .unwrap();
    id
}

fn new_invite(org: OrgId, by: UserId, role: Role, hash: u8) -> NewInvite {
    NewInvite {
        id: Uuid::new_v4(),
        org,
        role,
        token_hash: [hash; 32],
        created_by: by.0,
        ttl_secs: 3600,
    }
}

/// Moves the invite's creation and expiry into the past.
async fn expire(db: &Db, id: Uuid) {
    let client = db.pool().get().await.unwrap();
    let n = client
        .execute(
            "UPDATE invites SET created_at = now() - interval '2 hours', \
             expires_at = now() - interval '1 hour' WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn an_invite_is_redeemed_once_and_adds_the_member() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "IN").await;
    let new = new_invite(org, owner, Role::Member, 1);
    let invite = db.create_invite(&new).await.unwrap();
    assert_eq!(
        (invite.id, invite.org_id, invite.role),
        (new.id, org, Role::Member)
    );
    assert_eq!(invite.status, InviteStatus::Pending);
    let ttl = invite.expires_at.0 - invite.created_at.0;
    assert!((3_599_000..=3_601_000).contains(&ttl), "{ttl}");

    let dup = db
        .create_invite(&new_invite(org, owner, Role::Viewer, 1))
        .await;
    assert!(
        matches!(dup, Err(DbError::Conflict("invite token"))),
        "{dup:?}"
    );

    let joiner = user(&db).await;
    let redeemed = db.redeem_invite(&[1; 32], joiner).await.unwrap();
    assert_eq!(
        (redeemed.org, redeemed.role, redeemed.joined),
        (org, Role::Member, true)
    );
    assert_eq!(
        db.membership(org, joiner).await.unwrap(),
        Some(Role::Member)
    );

    // Used: refused for anyone, the redeemer included.
    let again = db.redeem_invite(&[1; 32], joiner).await;
    assert!(matches!(again, Err(RedeemError::Used)), "{again:?}");
    let other = user(&db).await;
    let late = db.redeem_invite(&[1; 32], other).await;
    assert!(matches!(late, Err(RedeemError::Used)), "{late:?}");
    assert_eq!(db.membership(org, other).await.unwrap(), None);

    let listed = db.invites_of_org(org, ALL).await.unwrap().rows;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, InviteStatus::Accepted);
    assert_eq!(listed[0].accepted_by, Some(joiner));
    assert!(listed[0].accepted_at.is_some());
    let json = serde_json::to_value(&listed[0]).unwrap();
    assert!(json.get("token_hash").is_none(), "{json}");
    assert_eq!(json["status"], "accepted");

    // An accepted invite cannot be revoked.
    assert_eq!(
        db.revoke_invite(org, new.id).await.unwrap(),
        RevokeOutcome::Accepted
    );

    let unknown = db.redeem_invite(&[9; 32], other).await;
    assert!(matches!(unknown, Err(RedeemError::NotFound)), "{unknown:?}");
}

#[tokio::test]
async fn an_existing_member_keeps_their_role() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "EX").await;
    db.create_invite(&new_invite(org, owner, Role::Viewer, 2))
        .await
        .unwrap();
    let redeemed = db.redeem_invite(&[2; 32], owner).await.unwrap();
    assert_eq!((redeemed.role, redeemed.joined), (Role::Owner, false));
    assert_eq!(db.membership(org, owner).await.unwrap(), Some(Role::Owner));
}

#[tokio::test]
async fn expired_and_revoked_invites_are_refused() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "EV").await;
    let joiner = user(&db).await;

    let expired = db
        .create_invite(&new_invite(org, owner, Role::Member, 3))
        .await
        .unwrap();
    expire(&db, expired.id).await;
    let r = db.redeem_invite(&[3; 32], joiner).await;
    assert!(matches!(r, Err(RedeemError::Expired)), "{r:?}");
    assert_eq!(
        db.invite(org, expired.id).await.unwrap().unwrap().status,
        InviteStatus::Expired
    );

    let revoked = db
        .create_invite(&new_invite(org, owner, Role::Member, 4))
        .await
        .unwrap();
    assert_eq!(
        db.revoke_invite(org, revoked.id).await.unwrap(),
        RevokeOutcome::Revoked
    );
    // Idempotent.
    assert_eq!(
        db.revoke_invite(org, revoked.id).await.unwrap(),
        RevokeOutcome::Revoked
    );
    let r = db.redeem_invite(&[4; 32], joiner).await;
    assert!(matches!(r, Err(RedeemError::Revoked)), "{r:?}");
    assert_eq!(db.membership(org, joiner).await.unwrap(), None);

    // Another org cannot see or revoke it.
    let (other, _) = org_with_owner(&db, "OO").await;
    assert_eq!(db.invite(other, revoked.id).await.unwrap(), None);
    assert_eq!(
        db.revoke_invite(other, revoked.id).await.unwrap(),
        RevokeOutcome::NotFound
    );
    assert!(db.invites_of_org(other, ALL).await.unwrap().rows.is_empty());
}

#[tokio::test]
async fn concurrent_redemptions_of_one_token_admit_one_user() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "CR").await;
    db.create_invite(&new_invite(org, owner, Role::Member, 5))
        .await
        .unwrap();
    let (a, b) = (user(&db).await, user(&db).await);
    let (ra, rb) = tokio::join!(db.redeem_invite(&[5; 32], a), db.redeem_invite(&[5; 32], b));
    assert_eq!(
        usize::from(ra.is_ok()) + usize::from(rb.is_ok()),
        1,
        "{ra:?} / {rb:?}"
    );
    assert!(matches!(ra, Err(RedeemError::Used)) || matches!(rb, Err(RedeemError::Used)));
    assert_eq!(db.members(org, ALL).await.unwrap().rows.len(), 2);
}
