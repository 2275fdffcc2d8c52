//! Keyset pages of the account lists: rows that share a sort key (a
//! transaction's `now()`) are split by id, never repeated or skipped.

use std::collections::BTreeSet;

use protocol::{Role, UserId};
use storage::{Db, PageRequest};
use uuid::Uuid;

use crate::{fresh_db, org_with_owner};

/// Every page of `org`'s members, `limit` at a time.
async fn walk_members(db: &Db, org: protocol::OrgId, limit: u32) -> Vec<Vec<UserId>> {
    let mut pages = Vec::new();
    let mut request = PageRequest::first(limit);
    loop {
        let page = db.members(org, request).await.unwrap();
        pages.push(page.rows.iter().map(|m| m.user_id).collect());
        match page.next {
            Some(after) => request.after = Some(after),
            None => return pages,
        }
        assert!(pages.len() < 100, "pagination does not end");
    }
}

#[tokio::test]
async fn members_added_in_one_transaction_are_paged_by_id_exactly_once() {
    let (_t, db) = fresh_db().await;
    let (org, owner) = org_with_owner(&db, "PG").await;
    let mut client = db.pool().get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    let mut expected = BTreeSet::from([owner]);
    for _ in 0..6 {
        let id = UserId(Uuid::new_v4());
        tx.execute(
            "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'U', 'h')",
            &[&id.0, &format!("{id}@example.com")],
        )
        .await
        .unwrap();
        tx.execute(
            "INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)",
            &[&org.0, &id.0, &Role::Member.as_str()],
        )
        .await
        .unwrap();
        expected.insert(id);
    }
    tx.commit().await.unwrap();

    let pages = walk_members(&db, org, 2).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![2, 2, 2, 1]);
    let seen: Vec<UserId> = pages.concat();
    assert_eq!(seen.len(), expected.len(), "{seen:?}");
    assert_eq!(seen.iter().copied().collect::<BTreeSet<_>>(), expected);
    // The owner joined first; the six who joined together follow by id.
    assert_eq!(seen[0], owner);
    assert!(seen[1..].windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");

    // A page exactly as long as what is left is the last one.
    assert_eq!(walk_members(&db, org, 7).await.len(), 1);
}
