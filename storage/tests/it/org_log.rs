//! An organization's log (`StorageHandle::append_org`, `Db::load_org`):
//! events and read models written in one transaction, one writer per seq,
//! command outcomes (one per command id), and the log seeded for
//! organizations made before it existed.

use protocol::{
    InviteId, Millis, Org, OrgCaller, OrgCommand, OrgCtx, OrgId, OrgRecorded, Role, StoreError,
    UserId,
};
use protocol::{OrgOutcome, OrgRejection};
use storage::{
    spawn_storage_actor, Db, NewInvite, OrgCommandKey, StorageConfig, StorageHandle, StorageTask,
    TestDb,
};
use uuid::Uuid;

use crate::{fresh_db, org_with_owner};

const NOW: Millis = Millis(1_767_225_600_000);

/// A fresh database and a StorageActor appending to it.
pub async fn fresh_log() -> (TestDb, Db, StorageHandle, StorageTask) {
    let (test_db, db) = fresh_db().await;
    let (storage, task) = spawn_storage_actor(db.clone(), StorageConfig::default());
    (test_db, db, storage, task)
}

pub async fn user(db: &Db, name: &str) -> UserId {
    let id = UserId(Uuid::new_v4());
    db.create_user(id, &format!("{id}@example.com"), name, "hash")
        .await
        .unwrap();
    id
}

/// The records `org` would append for `cmd` (decided, not applied).
pub fn decided(
    org: &Org,
    caller: OrgCaller,
    cmd: &OrgCommand,
    key: Option<&OrgCommandKey>,
) -> Vec<OrgRecorded> {
    let events = org
        .decide(&OrgCtx { caller, now: NOW }, cmd)
        .expect("accepted");
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| OrgRecorded {
            seq: org.seq + 1 + i as u64,
            at: NOW,
            by: caller.author(),
            command_id: key.map(|k| k.command_id.clone()),
            event,
        })
        .collect()
}

/// Decides `cmd` on `org` and appends its events, as the org actor does.
pub async fn run(
    storage: &StorageHandle,
    org: &mut Org,
    caller: OrgCaller,
    cmd: OrgCommand,
    key: Option<&OrgCommandKey>,
) -> Vec<OrgRecorded> {
    let records = decided(org, caller, &cmd, key);
    storage
        .append_org(org.id, records.clone(), key.cloned())
        .await
        .unwrap();
    for rec in &records {
        org.apply_recorded(rec);
    }
    records
}

/// A new organization founded by `owner` through its log.
pub async fn founded(storage: &StorageHandle, owner: UserId, name: &str, key: &str) -> Org {
    let mut org = Org::new(OrgId(Uuid::new_v4()));
    let create = OrgCommand::CreateOrg {
        name: name.into(),
        key: key.into(),
    };
    run(storage, &mut org, OrgCaller::System(owner), create, None).await;
    org
}

async fn role_row(db: &Db, org: OrgId, user: UserId) -> Option<Role> {
    db.membership(org, user).await.unwrap()
}

#[tokio::test]
async fn the_log_and_the_read_models_move_together() {
    let (_t, db, storage, task) = fresh_log().await;
    let (ann, bob) = (user(&db, "Ann").await, user(&db, "Bob").await);
    let mut org = founded(&storage, ann, "Design", "OL").await;
    let id = org.id;
    assert_eq!(db.org(id).await.unwrap().expect("orgs row").name, "Design");
    assert_eq!(role_row(&db, id, ann).await, Some(Role::Owner));

    run(
        &storage,
        &mut org,
        OrgCaller::User(ann),
        OrgCommand::AddMember {
            user: bob,
            role: Role::Viewer,
        },
        None,
    )
    .await;
    run(
        &storage,
        &mut org,
        OrgCaller::User(ann),
        OrgCommand::ChangeRole {
            user: bob,
            role: Role::Admin,
        },
        None,
    )
    .await;
    assert_eq!(role_row(&db, id, bob).await, Some(Role::Admin));
    run(
        &storage,
        &mut org,
        OrgCaller::User(ann),
        OrgCommand::RenameOrg {
            name: "Design Studio".into(),
        },
        None,
    )
    .await;
    assert_eq!(
        db.org(id).await.unwrap().expect("orgs row").name,
        "Design Studio"
    );

    let invite = InviteId(Uuid::new_v4());
    let hash = "ab".repeat(32);
    run(
        &storage,
        &mut org,
        OrgCaller::User(bob),
        OrgCommand::CreateInvite {
            invite,
            role: Role::Member,
            token_hash: hash.clone(),
            expires_at: Millis(NOW.0 + 3_600_000),
        },
        None,
    )
    .await;
    let carl = user(&db, "Carl").await;
    run(
        &storage,
        &mut org,
        OrgCaller::User(carl),
        OrgCommand::AcceptInvite { token_hash: hash },
        None,
    )
    .await;
    assert_eq!(role_row(&db, id, carl).await, Some(Role::Member));
    let row = db.invite(id, invite.0).await.unwrap().expect("invite row");
    assert_eq!(row.accepted_by, Some(carl));

    run(
        &storage,
        &mut org,
        OrgCaller::User(ann),
        OrgCommand::RemoveMember { user: bob },
        None,
    )
    .await;
    assert_eq!(role_row(&db, id, bob).await, None);

    // The log folds back into the same organization.
    let loaded = db.load_org(id).await.unwrap().expect("exists");
    assert_eq!(loaded, org);
    assert_eq!(loaded.seq, 9);
    let stats = storage.stats();
    assert_eq!((stats.requests_committed, stats.events_committed), (7, 9));
    task.shutdown().await;
}

#[tokio::test]
async fn a_second_writer_at_the_same_seq_is_refused_and_changes_nothing() {
    let (_t, db, storage, task) = fresh_log().await;
    let (ann, bob) = (user(&db, "Ann").await, user(&db, "Bob").await);
    let mut org = founded(&storage, ann, "Race", "RACE").await;
    let id = org.id;
    let stale = org.clone();
    run(
        &storage,
        &mut org,
        OrgCaller::User(ann),
        OrgCommand::AddMember {
            user: bob,
            role: Role::Member,
        },
        None,
    )
    .await;
    // Another node decided against the older state: its seq is taken.
    let events = stale
        .decide(
            &OrgCtx {
                caller: OrgCaller::User(ann),
                now: NOW,
            },
            &OrgCommand::AddMember {
                user: bob,
                role: Role::Admin,
            },
        )
        .unwrap();
    let late = OrgRecorded {
        seq: stale.seq + 1,
        at: NOW,
        by: ann,
        command_id: None,
        event: events[0].clone(),
    };
    let seq = late.seq;
    let refused = storage.append_org(id, vec![late], None).await;
    assert!(
        matches!(refused, Err(StoreError::OrgConflict { org, seq: at }) if org == id && at == seq),
        "{refused:?}"
    );
    assert_eq!(
        role_row(&db, id, bob).await,
        Some(Role::Member),
        "the loser's projection was rolled back"
    );
    task.shutdown().await;
}

#[tokio::test]
async fn a_taken_key_refuses_the_creation_whole() {
    let (_t, db, storage, task) = fresh_log().await;
    let ann = user(&db, "Ann").await;
    let (_, _) = org_with_owner(&db, "TAKEN").await;
    let id = OrgId(Uuid::new_v4());
    let mut org = Org::new(id);
    let events = org
        .decide(
            &OrgCtx {
                caller: OrgCaller::System(ann),
                now: NOW,
            },
            &OrgCommand::CreateOrg {
                name: "X".into(),
                key: "TAKEN".into(),
            },
        )
        .unwrap();
    let records: Vec<OrgRecorded> = events
        .into_iter()
        .enumerate()
        .map(|(i, event)| OrgRecorded {
            seq: i as u64 + 1,
            at: NOW,
            by: ann,
            command_id: None,
            event,
        })
        .collect();
    // The route checks the key first; a race between two creations is
    // refused by the unique index, as the rule it is.
    let refused = storage.append_org(id, records, None).await;
    assert!(
        matches!(&refused, Err(StoreError::OrgRefused(OrgRejection::KeyTaken { key })) if key == "TAKEN"),
        "{refused:?}"
    );
    assert!(
        db.load_org(id).await.unwrap().is_none(),
        "no log and no orgs row"
    );
    org.seq = 0;
    task.shutdown().await;
}

#[tokio::test]
async fn command_outcomes_are_kept_for_retries() {
    let (_t, db, storage, task) = fresh_log().await;
    let (ann, bob) = (user(&db, "Ann").await, user(&db, "Bob").await);
    let mut org = founded(&storage, ann, "Retry", "RTRY").await;
    let id = org.id;
    let key = OrgCommandKey {
        actor: ann,
        command_id: "c-1".into(),
    };
    run(
        &storage,
        &mut org,
        OrgCaller::User(ann),
        OrgCommand::AddMember {
            user: bob,
            role: Role::Member,
        },
        Some(&key),
    )
    .await;
    assert_eq!(
        db.org_outcome(id, &key).await.unwrap(),
        Some(OrgOutcome::Accepted {
            first_seq: 3,
            last_seq: 3
        })
    );
    let refused = OrgCommandKey {
        actor: ann,
        command_id: "c-2".into(),
    };
    let rejection = OrgRejection::AlreadyMember { user: bob };
    db.record_org_rejection(id, &refused, &rejection, NOW)
        .await
        .unwrap();
    assert_eq!(
        db.org_outcome(id, &refused).await.unwrap(),
        Some(OrgOutcome::Rejected(rejection))
    );
    let unknown = OrgCommandKey {
        actor: bob,
        command_id: "c-1".into(),
    };
    assert_eq!(
        db.org_outcome(id, &unknown).await.unwrap(),
        None,
        "outcomes are per author"
    );

    // An id with an outcome, accepted or refused, is not appended again,
    // even at free seqs: the outcome insert does not hide a second use.
    let rename = OrgCommand::RenameOrg {
        name: "Again".into(),
    };
    for used in [&key, &refused] {
        let records = decided(&org, OrgCaller::User(ann), &rename, Some(used));
        let again = storage.append_org(id, records, Some(used.clone())).await;
        assert!(
            matches!(&again, Err(StoreError::OrgDuplicate { org, command_id }) if *org == id && *command_id == used.command_id),
            "{again:?}"
        );
    }
    assert_eq!(db.org_events(id, 0, u32::MAX).await.unwrap().len(), 3);
    assert_eq!(db.org(id).await.unwrap().expect("orgs row").name, "Retry");
    let stats = storage.stats();
    assert_eq!((stats.duplicates, stats.failures), (2, 0));
    task.shutdown().await;
}

#[tokio::test]
async fn organizations_from_before_the_log_get_it_seeded_once_from_their_read_models() {
    let (_t, db) = fresh_db().await;
    let (id, owner) = org_with_owner(&db, "OLD").await;
    let bob = user(&db, "Bob").await;
    db.add_member(id, bob, Role::Viewer).await.unwrap();
    let invite = Uuid::new_v4();
    db.create_invite(&NewInvite {
        id: invite,
        org: id,
        role: Role::Admin,
        token_hash: [7; 32],
        created_by: owner.0,
        ttl_secs: 3600,
    })
    .await
    .unwrap();

    let org = db.load_org(id).await.unwrap().expect("seeded");
    assert_eq!(org.key, "OLD");
    assert_eq!(org.role_of(owner), Some(Role::Owner));
    assert_eq!(org.role_of(bob), Some(Role::Viewer));
    let (found, pending) = org.invite_by_hash(&"07".repeat(32)).expect("the invite");
    assert_eq!(found.0, invite);
    assert_eq!(pending.role, Role::Admin);
    let seeded = db.org_events(id, 0, u32::MAX).await.unwrap().len();
    assert_eq!(seeded, 4, "created, two members, one invite");
    let window = db.org_events(id, 1, 2).await.unwrap();
    let seqs: Vec<u64> = window.iter().map(|rec| rec.seq).collect();
    assert_eq!(seqs, [2, 3], "after 1, at most 2");

    // A second load reads the log; it is not seeded again.
    assert_eq!(db.load_org(id).await.unwrap().expect("exists"), org);
    assert_eq!(db.org_events(id, 0, u32::MAX).await.unwrap().len(), seeded);
    assert!(db.load_org(OrgId(Uuid::new_v4())).await.unwrap().is_none());
}
