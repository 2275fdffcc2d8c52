use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use super::*;
use crate::ids::{Millis, UserId};
use crate::org::OrgEvent;
use crate::role::{Role, Roster};
use crate::samples;

/// Runs a store future. `MemStore` futures finish on their first poll, so
/// no executor is needed.
fn run<T>(future: impl Future<Output = T>) -> T {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(value) => value,
        Poll::Pending => panic!("MemStore futures never wait"),
    }
}

fn rec(board: BoardId, seq: u64, event: Event) -> Recorded {
    Recorded {
        board,
        seq,
        at: Millis(seq as i64),
        by: samples::USER,
        command_id: None,
        event,
    }
}

fn renamed(name: &str) -> Event {
    Event::BoardRenamed { name: name.into() }
}

fn org() -> OrgRecord {
    OrgRecord {
        id: samples::ORG,
        name: "Data Science".into(),
        key: "DS".into(),
        members: Roster::from([(samples::USER, Role::Owner)]),
        boards: vec![],
    }
}

#[test]
fn appends_must_continue_the_log() {
    let store = MemStore::new();
    let board = samples::BOARD;
    run(store.append(vec![
        rec(board, 1, renamed("a")),
        rec(board, 2, renamed("b")),
    ]))
    .unwrap();
    run(store.append(vec![rec(board, 3, renamed("c"))])).unwrap();
    run(store.append(vec![])).unwrap();

    let taken = run(store.append(vec![rec(board, 3, renamed("again"))])).unwrap_err();
    assert!(
        matches!(taken, StoreError::Conflict { seq: 3, .. }),
        "{taken}"
    );
    let gap = run(store.append(vec![rec(board, 5, renamed("gap"))])).unwrap_err();
    assert!(matches!(gap, StoreError::Conflict { seq: 5, .. }), "{gap}");
    // A bad batch writes nothing, not even its valid first event.
    let broken = vec![rec(board, 4, renamed("d")), rec(board, 6, renamed("e"))];
    assert!(matches!(
        run(store.append(broken)),
        Err(StoreError::Conflict { seq: 6, .. })
    ));
    let seqs: Vec<u64> = store.events(board).iter().map(|r| r.seq).collect();
    assert_eq!(seqs, [1, 2, 3]);

    let other = BoardId(uuid::Uuid::from_u128(99));
    let mixed = vec![rec(board, 4, renamed("d")), rec(other, 1, renamed("x"))];
    assert!(matches!(
        run(store.append(mixed)),
        Err(StoreError::Unavailable(_))
    ));
}

#[test]
fn loading_uses_the_snapshot_and_the_events_after_it() {
    let store = MemStore::new();
    let board = samples::BOARD;
    assert!(run(store.load_board(board)).unwrap().is_none());
    let log: Vec<Recorded> = (1..=5)
        .map(|seq| rec(board, seq, renamed(&seq.to_string())))
        .collect();
    run(store.append(log.clone())).unwrap();

    let loaded = run(store.load_board(board)).unwrap().unwrap();
    assert!(loaded.snapshot.is_none());
    assert_eq!(loaded.events, log);

    let mut snapshot = Board::replay(board, &log[..3]);
    run(store.save_snapshot(snapshot.clone())).unwrap();
    let loaded = run(store.load_board(board)).unwrap().unwrap();
    assert_eq!(loaded.snapshot.as_ref(), Some(&snapshot));
    assert_eq!(loaded.events, log[3..]);

    // An older snapshot never replaces a newer one.
    snapshot.seq = 2;
    run(store.save_snapshot(snapshot)).unwrap();
    assert_eq!(store.snapshot(board).unwrap().seq, 3);
}

#[test]
fn events_after_pages_in_order() {
    let store = MemStore::new();
    let board = samples::BOARD;
    let log: Vec<Recorded> = (1..=5).map(|seq| rec(board, seq, renamed("n"))).collect();
    run(store.append(log)).unwrap();
    let page: Vec<u64> = run(store.events_after(board, 1, 2))
        .unwrap()
        .iter()
        .map(|r| r.seq)
        .collect();
    assert_eq!(page, [2, 3]);
    assert!(run(store.events_after(board, 5, 10)).unwrap().is_empty());
    let unknown = BoardId(uuid::Uuid::from_u128(7));
    assert!(run(store.events_after(unknown, 0, 10)).unwrap().is_empty());
}

#[test]
fn organizations_and_item_numbers() {
    let store = MemStore::new();
    assert!(run(store.load_org(samples::ORG)).unwrap().is_none());
    store.insert_org(org());
    assert_eq!(
        run(store.load_org(samples::ORG)).unwrap().unwrap().key,
        "DS"
    );

    assert_eq!(
        run(store.reserve_item_numbers(samples::ORG, 10)).unwrap(),
        1
    );
    assert_eq!(
        run(store.reserve_item_numbers(samples::ORG, 10)).unwrap(),
        11
    );
    let other = OrgId(uuid::Uuid::from_u128(5));
    assert_eq!(run(store.reserve_item_numbers(other, 1)).unwrap(), 1);

    // Creating a board lists it in its organization.
    let created = Event::BoardCreated {
        org: samples::ORG,
        name: "Roadmap".into(),
    };
    run(store.append(vec![rec(samples::BOARD, 1, created)])).unwrap();
    let loaded = run(store.load_org(samples::ORG)).unwrap().unwrap();
    assert_eq!(loaded.boards, [samples::BOARD]);
    assert_eq!(loaded.members.get(&samples::USER), Some(&Role::Owner));
    assert!(!loaded.members.contains_key(&UserId(uuid::Uuid::nil())));
}

#[test]
fn an_outage_fails_every_call_until_it_ends() {
    let store = MemStore::new();
    store.insert_org(org());
    let board = samples::BOARD;
    store.set_unavailable(true);
    let unavailable = |result: Result<(), StoreError>| {
        assert!(
            matches!(result, Err(StoreError::Unavailable(_))),
            "{result:?}"
        );
    };
    unavailable(run(store.append(vec![rec(board, 1, renamed("a"))])));
    unavailable(run(store.load_board(board)).map(drop));
    unavailable(run(store.events_after(board, 0, 1)).map(drop));
    unavailable(run(store.save_snapshot(Board::new(board))));
    unavailable(run(store.load_org(samples::ORG)).map(drop));
    unavailable(run(store.reserve_item_numbers(samples::ORG, 1)).map(drop));
    assert!(store.events(board).is_empty());

    store.set_unavailable(false);
    run(store.append(vec![rec(board, 1, renamed("a"))])).unwrap();
    assert!(run(store.load_org(samples::ORG)).unwrap().is_some());
}

#[test]
fn usable_as_a_shared_trait_object() {
    let store: std::sync::Arc<dyn BoardStore> = std::sync::Arc::new(MemStore::new());
    let clone = store.clone();
    let handle = std::thread::spawn(move || run(clone.reserve_item_numbers(samples::ORG, 3)));
    let first = handle.join().unwrap().unwrap();
    let second = run(store.reserve_item_numbers(samples::ORG, 3)).unwrap();
    assert_eq!((first, second), (1, 4));
}

fn org_rec(seq: u64, event: OrgEvent) -> OrgRecorded {
    OrgRecorded {
        seq,
        at: Millis(seq as i64),
        by: samples::USER,
        command_id: None,
        event,
    }
}

#[test]
fn an_inserted_organization_gets_its_log_seeded_and_appends_follow_it() {
    let store = MemStore::new();
    let mut members = Roster::new();
    members.insert(samples::USER, Role::Owner);
    store.insert_org(OrgRecord {
        id: samples::ORG,
        name: "Design".into(),
        key: "DS".into(),
        members,
        boards: vec![samples::BOARD],
    });
    let org = run(store.load_org_log(samples::ORG))
        .unwrap()
        .expect("seeded");
    assert_eq!(
        (org.seq, org.key.as_str()),
        (3, "DS"),
        "created, one member, one board"
    );
    assert_eq!(org.role_of(samples::USER), Some(Role::Owner));
    assert!(org.boards.contains_key(&samples::BOARD));
    assert!(run(store.load_org_log(OrgId(uuid::Uuid::nil())))
        .unwrap()
        .is_none());

    let added = org_rec(
        4,
        OrgEvent::MemberAdded {
            user: samples::USER_2,
            role: Role::Viewer,
        },
    );
    run(store.append_org(
        samples::ORG,
        vec![added.clone()],
        Some((samples::USER, "c-1".into())),
        None,
    ))
    .unwrap();
    assert_eq!(
        run(store.find_org_outcome(samples::ORG, samples::USER, "c-1".into())).unwrap(),
        Some(OrgOutcome::Accepted {
            first_seq: 4,
            last_seq: 4
        })
    );
    // The read model follows the log.
    assert_eq!(
        run(store.load_org(samples::ORG))
            .unwrap()
            .expect("org")
            .members
            .get(&samples::USER_2),
        Some(&Role::Viewer)
    );
    // A second writer at seq 4 is refused.
    assert!(matches!(
        run(store.append_org(samples::ORG, vec![added], None, None)),
        Err(StoreError::OrgConflict { seq: 4, .. })
    ));
    let refused = OrgRejection::LastOwner;
    run(store.record_org_rejection(samples::ORG, samples::USER, "c-2".into(), refused.clone()))
        .unwrap();
    assert_eq!(
        run(store.find_org_outcome(samples::ORG, samples::USER, "c-2".into())).unwrap(),
        Some(OrgOutcome::Rejected(refused))
    );
    assert_eq!(
        run(store.load_org_log(samples::ORG))
            .unwrap()
            .expect("org")
            .seq,
        4
    );
}

#[test]
fn an_org_command_id_has_one_outcome_and_its_events_read_back() {
    let store = MemStore::new();
    store.insert_org(org());
    let seq = run(store.load_org_log(samples::ORG))
        .unwrap()
        .expect("seeded")
        .seq;
    let added = |seq, user| {
        org_rec(
            seq,
            OrgEvent::MemberAdded {
                user,
                role: Role::Viewer,
            },
        )
    };
    let key = || Some((samples::USER, "c-1".to_owned()));
    run(store.append_org(
        samples::ORG,
        vec![added(seq + 1, samples::USER_2)],
        key(),
        None,
    ))
    .unwrap();
    // The same id again, even at a free seq: refused, nothing written.
    let again = run(store.append_org(
        samples::ORG,
        vec![added(seq + 2, samples::USER_2)],
        key(),
        None,
    ));
    assert!(
        matches!(&again, Err(StoreError::OrgDuplicate { command_id, .. }) if command_id == "c-1"),
        "{again:?}"
    );
    // So is an id whose refusal was recorded.
    run(store.record_org_rejection(
        samples::ORG,
        samples::USER,
        "c-2".into(),
        OrgRejection::LastOwner,
    ))
    .unwrap();
    let refused = Some((samples::USER, "c-2".to_owned()));
    assert!(matches!(
        run(store.append_org(
            samples::ORG,
            vec![added(seq + 2, samples::USER_2)],
            refused,
            None
        )),
        Err(StoreError::OrgDuplicate { .. })
    ));

    let log = run(store.org_events_after(samples::ORG, seq, 10)).unwrap();
    assert_eq!(log, vec![added(seq + 1, samples::USER_2)]);
    assert_eq!(
        run(store.org_events_after(samples::ORG, 0, 1))
            .unwrap()
            .len(),
        1,
        "at most `limit`"
    );
}
