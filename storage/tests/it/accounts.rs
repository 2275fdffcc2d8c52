use protocol::{OrgId, Role, UserId};
use storage::DbError;
use uuid::Uuid;

use crate::{fresh_db, ALL};

#[tokio::test]
async fn users_are_unique_by_case_insensitive_email() {
    let (_t, db) = fresh_db().await;
    let id = UserId(Uuid::new_v4());
    let user = db
        .create_user(id, "Ada@Example.COM", "Ada", "argon2-hash")
        .await
        .unwrap();
    assert_eq!(user.id, id);
    assert_eq!(user.email, "ada@example.com");
    assert!(user.created_at.0 > 0);

    let again = db
        .create_user(UserId(Uuid::new_v4()), "ADA@example.com", "Other", "h")
        .await;
    assert!(
        matches!(again, Err(DbError::Conflict("email"))),
        "{again:?}"
    );

    let found = db.user_by_email("ada@EXAMPLE.com").await.unwrap().unwrap();
    assert_eq!(found, user);
    assert_eq!(db.user_by_id(id).await.unwrap(), Some(user.clone()));
    assert_eq!(db.user_by_email("nobody@example.com").await.unwrap(), None);
    assert_eq!(db.user_by_id(UserId(Uuid::new_v4())).await.unwrap(), None);

    let json = serde_json::to_value(&user).unwrap();
    assert!(json.get("password_hash").is_none(), "{json}");
    assert_eq!(json["email"], "ada@example.com");
}

#[tokio::test]
async fn orgs_memberships_and_their_conflicts() {
    let (_t, db) = fresh_db().await;
    let owner = UserId(Uuid::new_v4());
    let member = UserId(Uuid::new_v4());
    db.create_user(owner, "owner@example.com", "Owner", "h")
        .await
        .unwrap();
    db.create_user(member, "member@example.com", "Member", "h")
        .await
        .unwrap();

    let org_id = OrgId(Uuid::new_v4());
    let org = db.create_org(org_id, "Design", "DS", owner).await.unwrap();
    assert_eq!(
        (org.id, org.name.as_str(), org.key.as_str()),
        (org_id, "Design", "DS")
    );
    assert_eq!(
        db.membership(org_id, owner).await.unwrap(),
        Some(Role::Owner)
    );
    assert_eq!(db.membership(org_id, member).await.unwrap(), None);

    let dup = db
        .create_org(OrgId(Uuid::new_v4()), "Other", "DS", owner)
        .await;
    assert!(matches!(dup, Err(DbError::Conflict("org key"))), "{dup:?}");
    let bad_key = db
        .create_org(OrgId(Uuid::new_v4()), "Bad", "ds-1", owner)
        .await;
    assert!(matches!(bad_key, Err(DbError::Other(_))), "{bad_key:?}");
    // A failed create leaves nothing behind (org and membership are one tx).
    assert_eq!(db.orgs_of_user(owner).await.unwrap().len(), 1);

    db.add_member(org_id, member, Role::Member).await.unwrap();
    let again = db.add_member(org_id, member, Role::Admin).await;
    assert!(
        matches!(again, Err(DbError::Conflict("membership"))),
        "{again:?}"
    );
    assert_eq!(
        db.membership(org_id, member).await.unwrap(),
        Some(Role::Member)
    );

    let members = db.members(org_id, ALL).await.unwrap().rows;
    let roles: Vec<(UserId, Role, &str)> = members
        .iter()
        .map(|m| (m.user_id, m.role, m.email.as_str()))
        .collect();
    assert_eq!(
        roles,
        vec![
            (owner, Role::Owner, "owner@example.com"),
            (member, Role::Member, "member@example.com")
        ]
    );

    assert_eq!(db.org(org_id).await.unwrap(), Some(org.clone()));
    assert_eq!(db.org_by_key("DS").await.unwrap(), Some(org.clone()));
    assert_eq!(db.org_by_key("XX").await.unwrap(), None);
    assert_eq!(
        db.orgs_of_user(member).await.unwrap(),
        vec![(org, Role::Member)]
    );
}
