//! Membership changes: the "at least one owner" rule, under concurrency.

use protocol::{OrgId, Role, UserId};
use storage::{Db, MembershipError};
use uuid::Uuid;

use crate::{fresh_db, org_with_owner, ALL};

async fn user(db: &Db) -> UserId {
    let id = UserId(Uuid::new_v4());
    db.create_user(id, &format!("{id}@example.com"), "User", "h")
        .await
        .unwrap();
    id
}

async fn owners(db: &Db, org: OrgId) -> usize {
    db.members(org, ALL)
        .await
        .unwrap()
        .rows
        .iter()
        .filter(|m| m.role == Role::Owner)
        .count()
}

#[tokio::test]
async fn roles_change_and_members_leave() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "MB").await;
    let member = user(&db).await;
    db.add_member(org, member, Role::Viewer).await.unwrap();

    let previous = db.set_member_role(org, member, Role::Admin).await.unwrap();
    assert_eq!(previous, Role::Viewer);
    assert_eq!(db.membership(org, member).await.unwrap(), Some(Role::Admin));

    assert_eq!(db.remove_member(org, member).await.unwrap(), Role::Admin);
    assert_eq!(db.membership(org, member).await.unwrap(), None);
    assert!(matches!(
        db.remove_member(org, member).await,
        Err(MembershipError::NotMember)
    ));
    assert!(matches!(
        db.set_member_role(org, member, Role::Member).await,
        Err(MembershipError::NotMember)
    ));
    // Another org's member is not this org's.
    let (other_org, _) = org_with_owner(&db, "OT").await;
    assert!(matches!(
        db.remove_member(other_org, owner).await,
        Err(MembershipError::NotMember)
    ));
}

#[tokio::test]
async fn the_last_owner_can_neither_leave_nor_be_demoted() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "LO").await;
    assert!(matches!(
        db.remove_member(org, owner).await,
        Err(MembershipError::LastOwner)
    ));
    for role in [Role::Admin, Role::Member, Role::Viewer] {
        assert!(matches!(
            db.set_member_role(org, owner, role).await,
            Err(MembershipError::LastOwner)
        ));
    }
    // Re-affirming the owner role is fine.
    assert_eq!(
        db.set_member_role(org, owner, Role::Owner).await.unwrap(),
        Role::Owner
    );

    // With a second owner, the first may step down.
    let second = user(&db).await;
    db.add_member(org, second, Role::Owner).await.unwrap();
    db.set_member_role(org, owner, Role::Admin).await.unwrap();
    assert!(matches!(
        db.remove_member(org, second).await,
        Err(MembershipError::LastOwner)
    ));
    assert_eq!(owners(&db, org).await, 1);
}

#[tokio::test]
async fn the_check_sees_the_locked_roster_and_can_refuse() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "CK").await;
    let member = user(&db).await;
    db.add_member(org, member, Role::Member).await.unwrap();

    let refused = db
        .change_member(org, member, Some(Role::Admin), |roster, current| {
            assert_eq!(roster.get(&owner), Some(&Role::Owner));
            assert_eq!(current, Role::Member);
            Err("no")
        })
        .await;
    assert!(
        matches!(refused, Err(MembershipError::Refused("no"))),
        "{refused:?}"
    );
    assert_eq!(
        db.membership(org, member).await.unwrap(),
        Some(Role::Member)
    );
}

#[tokio::test]
async fn concurrent_demotions_of_the_last_two_owners_cannot_both_succeed() {
    let (_t, db) = fresh_db().await;
    for round in 0..10 {
        let (org, a) = org_with_owner(&db, &format!("CD{round}")).await;
        let b = user(&db).await;
        db.add_member(org, b, Role::Owner).await.unwrap();

        // Each owner demotes the other (or one leaves while the other is
        // demoted): at most one of the two may succeed.
        let (x, y) = if round % 2 == 0 {
            tokio::join!(
                db.set_member_role(org, a, Role::Admin),
                db.set_member_role(org, b, Role::Member)
            )
        } else {
            tokio::join!(
                db.remove_member(org, a),
                db.set_member_role(org, b, Role::Viewer)
            )
        };
        let ok = usize::from(x.is_ok()) + usize::from(y.is_ok());
        assert_eq!(ok, 1, "round {round}: {x:?} / {y:?}");
        assert!(
            matches!(x, Err(MembershipError::LastOwner))
                || matches!(y, Err(MembershipError::LastOwner))
        );
        assert_eq!(owners(&db, org).await, 1, "round {round}");
    }
}
