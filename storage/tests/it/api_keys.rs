use protocol::{Millis, OrgId, Role, UserId};
use storage::{Db, DbError, NewApiKey};
use uuid::Uuid;

use crate::{fresh_db, org_with_owner, ALL};

fn new_key<'a>(org: OrgId, by: UserId, prefix: &'a str, hash: &'a [u8]) -> NewApiKey<'a> {
    NewApiKey {
        id: Uuid::new_v4(),
        org,
        name: "CI",
        role: Role::Member,
        prefix,
        secret_hash: hash,
        created_by: by,
        expires_at: None,
    }
}

async fn last_used(db: &Db, prefix: &str) -> Option<Millis> {
    db.api_key_by_prefix(prefix)
        .await
        .unwrap()
        .unwrap()
        .key
        .last_used_at
}

#[tokio::test]
async fn api_keys_are_created_found_by_prefix_and_listed_without_hashes() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "AK").await;
    let hash = [7u8; 32];
    let expires = Millis(4_102_444_800_000); // 2100-01-01
    let new = NewApiKey {
        role: Role::Viewer,
        expires_at: Some(expires),
        ..new_key(org, owner, "abcdef012345", &hash)
    };
    let created = db.create_api_key(&new, None).await.unwrap();
    assert_eq!(created.id, new.id);
    assert_eq!(
        (created.org_id, created.name.as_str(), created.role),
        (org, "CI", Role::Viewer)
    );
    assert_eq!(created.prefix, "abcdef012345");
    assert_eq!(created.created_by, owner);
    assert!(created.created_at.0 > 0);
    assert_eq!(created.expires_at, Some(expires));
    assert_eq!((created.revoked_at, created.last_used_at), (None, None));

    let stored = db.api_key_by_prefix("abcdef012345").await.unwrap().unwrap();
    assert_eq!(stored.key, created);
    assert_eq!(stored.secret_hash, hash.to_vec());
    assert!(!format!("{stored:?}").contains("7, 7"), "hash redacted");
    assert!(db
        .api_key_by_prefix("zzzzzzzzzzzz")
        .await
        .unwrap()
        .is_none());
    assert!(db.api_key_by_prefix("").await.unwrap().is_none());

    let listed = db.api_keys_of_org(org, ALL).await.unwrap().rows;
    assert_eq!(listed, vec![created]);
    let json = serde_json::to_value(&listed[0]).unwrap();
    assert!(json.get("secret_hash").is_none(), "{json}");
    let (other_org, _) = org_with_owner(&db, "OT").await;
    assert!(db
        .api_keys_of_org(other_org, ALL)
        .await
        .unwrap()
        .rows
        .is_empty());
}

#[tokio::test]
async fn prefixes_are_unique_and_well_formed() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "AK").await;
    let hash = [1u8; 32];
    db.create_api_key(&new_key(org, owner, "aaaaaaaaaaaa", &hash), None)
        .await
        .unwrap();
    let dup = db
        .create_api_key(&new_key(org, owner, "aaaaaaaaaaaa", &hash), None)
        .await;
    assert!(
        matches!(dup, Err(DbError::Conflict("api key prefix"))),
        "{dup:?}"
    );
    for bad in ["short", "UPPERCASE123", "with_under12"] {
        let res = db
            .create_api_key(&new_key(org, owner, bad, &hash), None)
            .await;
        assert!(matches!(res, Err(DbError::Other(_))), "{bad}: {res:?}");
    }
    let short_hash = db
        .create_api_key(&new_key(org, owner, "bbbbbbbbbbbb", &[1u8; 16]), None)
        .await;
    assert!(
        matches!(short_hash, Err(DbError::Other(_))),
        "{short_hash:?}"
    );
}

#[tokio::test]
async fn revoking_needs_the_right_org_and_keeps_the_first_time() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "AK").await;
    let (other_org, _) = org_with_owner(&db, "OT").await;
    let key = db
        .create_api_key(&new_key(org, owner, "cccccccccccc", &[2u8; 32]), None)
        .await
        .unwrap();

    assert!(!db.revoke_api_key(other_org, key.id, None).await.unwrap());
    assert!(!db.revoke_api_key(org, Uuid::new_v4(), None).await.unwrap());
    let stored = db.api_key_by_prefix("cccccccccccc").await.unwrap().unwrap();
    assert_eq!(stored.key.revoked_at, None, "another org cannot revoke it");

    assert!(db.revoke_api_key(org, key.id, None).await.unwrap());
    let first = db
        .api_key_by_prefix("cccccccccccc")
        .await
        .unwrap()
        .unwrap()
        .key
        .revoked_at
        .expect("revoked");
    assert!(
        db.revoke_api_key(org, key.id, None).await.unwrap(),
        "idempotent"
    );
    let again = db.api_keys_of_org(org, ALL).await.unwrap().rows[0].revoked_at;
    assert_eq!(again, Some(first));
}

#[tokio::test]
async fn touching_records_the_last_use_at_most_once_a_minute() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "AK").await;
    let key = db
        .create_api_key(&new_key(org, owner, "dddddddddddd", &[3u8; 32]), None)
        .await
        .unwrap();
    assert_eq!(last_used(&db, "dddddddddddd").await, None);
    db.touch_api_key(key.id).await.unwrap();
    let first = last_used(&db, "dddddddddddd").await.expect("touched");
    assert!(first >= key.created_at);
    db.touch_api_key(key.id).await.unwrap();
    assert_eq!(last_used(&db, "dddddddddddd").await, Some(first));
    db.touch_api_key(Uuid::new_v4()).await.unwrap();
}
