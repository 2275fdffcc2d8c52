//! An organization command id is decided at most once: a retry gets the
//! first answer — the original records, marked `replayed`, or the original
//! refusal — and nothing is appended or published again, even when
//! another writer uses the id between the actor's lookup and its append.

use std::sync::{Arc, Mutex, PoisonError};

use protocol::{
    BoardStore, OrgCommand, OrgEvent, OrgOutcome, OrgRecorded, OrgRejection, StoreFuture,
};

use super::*;
use crate::OrgCommitted;

fn id(s: &str) -> Option<String> {
    Some(s.to_owned())
}

fn add_stranger() -> OrgCommand {
    OrgCommand::AddMember {
        user: STRANGER,
        role: Role::Viewer,
    }
}

/// The organization's whole log, as stored.
async fn org_log(store: &dyn BoardStore) -> Vec<OrgRecorded> {
    within(store.org_events_after(ORG, 0, u32::MAX))
        .await
        .unwrap()
}

fn org_rejection<T: std::fmt::Debug>(result: Result<T, ActorError>) -> OrgRejection {
    match result {
        Err(ActorError::OrgRejected(rejection)) => rejection,
        other => panic!("expected an organization's refusal, got {other:?}"),
    }
}

/// The roster of the organization as it was before a command.
fn roster_before(committed: &OrgCommitted) -> Roster {
    let before = committed.before.as_ref().expect("the org existed");
    (*before.members).clone()
}

#[actix_rt::test]
async fn the_same_org_command_id_twice_commits_once_and_answers_the_same() {
    let world = World::new();
    let org = world.registry.org(ORG);
    let (outbox, mut rx) = outbox(1, 16);
    within(org.subscribe(OWNER, outbox)).await.unwrap();

    let first = within(org.submit(OWNER, add_stranger(), id("c-1")))
        .await
        .unwrap();
    let retry = within(org.submit(OWNER, add_stranger(), id("c-1")))
        .await
        .unwrap();

    assert!(!first.replayed);
    assert!(retry.replayed);
    assert_eq!(retry.records, first.records, "the original records");
    assert_eq!(roster_before(&retry), roster_before(&first));
    assert!(!roster_before(&retry).contains_key(&STRANGER));
    let added = org_log(&*world.store)
        .await
        .iter()
        .filter(|rec| matches!(rec.event, OrgEvent::MemberAdded { user, .. } if user == STRANGER))
        .count();
    assert_eq!(added, 1, "appended once");
    let published: Vec<ServerMsg> = queued(&mut rx)
        .into_iter()
        .filter(|msg| matches!(msg, ServerMsg::OrgEvent { .. }))
        .collect();
    assert_eq!(published.len(), 1, "published once: {published:?}");
    assert_eq!(world.registry.stats().snapshot().commands_replayed, 1);

    // Without an id, the same command is decided again, and refused.
    let again = within(org.submit(OWNER, add_stranger(), None)).await;
    assert_eq!(
        org_rejection(again),
        OrgRejection::AlreadyMember { user: STRANGER }
    );
}

#[actix_rt::test]
async fn a_refused_org_command_retried_with_its_id_gets_the_same_refusal() {
    let world = World::new();
    let org = world.registry.org(ORG);
    let refused = within(org.submit(MEMBER, add_stranger(), id("c-1"))).await;
    let refusal = org_rejection(refused);
    assert_eq!(refusal.code(), "forbidden");

    // Promoted, the member could add the stranger now...
    within(org.submit(
        OWNER,
        OrgCommand::ChangeRole {
            user: MEMBER,
            role: Role::Admin,
        },
        None,
    ))
    .await
    .unwrap();
    // ...but the retry is answered, not decided again.
    let retried = within(org.submit(MEMBER, add_stranger(), id("c-1"))).await;
    assert_eq!(org_rejection(retried), refusal);
    let view = within(org.view()).await.unwrap();
    assert!(!view.members.contains_key(&STRANGER));
    assert_eq!(
        within(world.store.find_org_outcome(ORG, MEMBER, "c-1".into()))
            .await
            .unwrap(),
        Some(OrgOutcome::Rejected(refusal))
    );

    // A new id is a new command.
    let fresh = within(org.submit(MEMBER, add_stranger(), id("c-2")))
        .await
        .unwrap();
    assert!(!fresh.replayed);
    assert!(within(org.view())
        .await
        .unwrap()
        .members
        .contains_key(&STRANGER));
}

/// Another writer (a second node) refuses and records command `c-1` right
/// after this node's actor looked the id up and found nothing.
#[actix_rt::test]
async fn an_id_used_between_the_lookup_and_the_append_gets_the_first_answer() {
    let mem = Arc::new(MemStore::new());
    mem.insert_org(org_record());
    let store = Arc::new(Interleaved {
        inner: mem.clone(),
        after_lookup: Mutex::new(Some(("c-1".into(), OrgRejection::LastOwner))),
    });
    let registry = Registry::new(store.clone(), ActorConfig::default());
    let org = registry.org(ORG);
    // Activation seeds the log.
    within(org.view()).await.unwrap();
    let before = org_log(&*mem).await.len();

    let answer = within(org.submit(OWNER, add_stranger(), id("c-1"))).await;
    assert_eq!(
        org_rejection(answer),
        OrgRejection::LastOwner,
        "the first outcome"
    );
    assert_eq!(org_log(&*mem).await.len(), before, "nothing appended");
    assert!(!within(org.view())
        .await
        .unwrap()
        .members
        .contains_key(&STRANGER));
    // The actor's state did not move: its next command appends in order.
    let next = within(org.submit(OWNER, add_stranger(), None))
        .await
        .unwrap();
    assert_eq!(next.records[0].seq, u64::try_from(before).unwrap() + 1);
}

/// A store whose first organization-outcome lookup misses, because another
/// writer records a refusal of the id right after it.
struct Interleaved {
    inner: Arc<MemStore>,
    after_lookup: Mutex<Option<(String, OrgRejection)>>,
}

impl BoardStore for Interleaved {
    fn find_org_outcome(
        &self,
        org: OrgId,
        actor: UserId,
        command_id: String,
    ) -> StoreFuture<'_, Option<OrgOutcome>> {
        Box::pin(async move {
            let found = self
                .inner
                .find_org_outcome(org, actor, command_id.clone())
                .await?;
            let interleave = {
                let mut pending = self
                    .after_lookup
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                match &*pending {
                    Some((id, _)) if *id == command_id => pending.take(),
                    _ => None,
                }
            };
            if let Some((id, rejection)) = interleave {
                self.inner
                    .record_org_rejection(org, actor, id, rejection)
                    .await?;
            }
            Ok(found)
        })
    }
    pass_on!(
        load_board,
        append,
        events_after,
        save_snapshot,
        load_org,
        reserve_item_numbers,
        find_outcome,
        record_rejection,
        load_org_log,
        append_org,
        org_events_after,
        record_org_rejection,
    );
}
