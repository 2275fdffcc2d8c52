//! Boards decide with the roster their organization's actor published
//! (`Registry::org_view`) instead of asking it for every command. That is
//! only safe if the roster a board reads is never older than what a caller
//! was told: a change is published before its command is answered, and an
//! actor unsure of its state withdraws what it published.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use protocol::{OrgCommand, StoreError, StoreFuture};

use super::*;

fn edit(item: ItemId, title: &str) -> Command {
    Command::EditItem {
        item,
        title: Some(title.into()),
        description: None,
    }
}

fn change_role(user: UserId, role: Role) -> OrgCommand {
    OrgCommand::ChangeRole { user, role }
}

#[actix_rt::test]
async fn a_role_change_binds_the_next_board_command_after_its_ack() {
    let world = World::new();
    let board = world.new_board().await;
    let (item, _) = world.create_item(board.id, "Write the spec").await;
    let handle = world.board(board.id);
    let org = world.registry.org(ORG);
    assert!(
        world.registry.org_view(ORG).is_some(),
        "the org actor published its view"
    );

    // Demoted: the very next edit is refused.
    within(org.submit(OWNER, change_role(MEMBER, Role::Viewer), None))
        .await
        .unwrap();
    let refused = rejection(within(handle.submit(MEMBER, edit(item, "Mine"), None)).await);
    assert_eq!(
        refused,
        Rejection::Forbidden {
            action: "edit_item".into()
        }
    );

    // Promoted again: the next edit commits.
    within(org.submit(OWNER, change_role(MEMBER, Role::Member), None))
        .await
        .unwrap();
    world.submit(board.id, MEMBER, edit(item, "Ours")).await;

    // Removed: the board is not even there for them any more.
    within(org.submit(OWNER, OrgCommand::RemoveMember { user: MEMBER }, None))
        .await
        .unwrap();
    let gone = within(handle.submit(MEMBER, edit(item, "Still mine?"), None)).await;
    assert!(is_not_found(&gone), "{gone:?}");
    let read = within(handle.read(MEMBER)).await;
    assert!(is_not_found(&read), "reads too: {read:?}");
    let title = within(handle.read(OWNER)).await.unwrap().items[&item]
        .title
        .clone();
    assert_eq!(title, "Ours", "the refused edits changed nothing");
}

/// A session may send an org command and, without waiting for its ack,
/// a board command: the board command is decided after the org command,
/// as when every board asked the org actor (behind it in its mailbox).
#[actix_rt::test]
async fn a_board_command_sent_after_an_org_command_is_decided_after_it() {
    let (world, front, board, item) = world_over_fails_once().await;
    let org = world.registry.org(ORG);

    // The org command is queued now and its append held; the board
    // command is sent after it.
    let gate = front.hold_next();
    let leaving = org.submit(MEMBER, OrgCommand::Leave, None);
    let mut edit_after = Box::pin(
        world
            .board(board.id)
            .submit(MEMBER, edit(item, "Mine"), None),
    );
    let early = tokio::time::timeout(Duration::from_millis(100), &mut edit_after).await;
    assert!(early.is_err(), "decided before the org command: {early:?}");
    gate.notify_one();
    let (left, edited) = within(async { tokio::join!(leaving, edit_after) }).await;
    left.unwrap();
    assert!(
        is_not_found(&edited),
        "decided after the member left: {edited:?}"
    );
    // Once answered, boards read the published view again.
    assert!(world.registry.org_view(ORG).is_some());
}

#[actix_rt::test]
async fn an_org_actor_unsure_of_its_roster_withdraws_it_and_the_next_one_publishes_anew() {
    // A timeout, or a connection lost during COMMIT: the append may have
    // committed (here it did).
    let unknowns: [fn() -> StoreError; 2] = [
        || StoreError::Timeout,
        || StoreError::Unavailable("connection lost".into()),
    ];
    for unknown in unknowns {
        let (world, front, board, item) = world_over_fails_once().await;
        let org = world.registry.org(ORG);

        front.fail_next(unknown());
        let unsure = within(org.submit(OWNER, change_role(MEMBER, Role::Viewer), None)).await;
        assert!(
            matches!(
                unsure,
                Err(ActorError::Timeout | ActorError::Unavailable(_))
            ),
            "{unsure:?}"
        );
        assert!(
            world.registry.org_view(ORG).is_none(),
            "{:?}: withdrawn before the caller heard of it",
            unknown()
        );

        // The next board command does not decide with the old roster: it
        // starts an org actor that reads the log, where the demotion is.
        let handle = world.board(board.id);
        let refused = rejection(within(handle.submit(MEMBER, edit(item, "Mine"), None)).await);
        assert_eq!(
            refused,
            Rejection::Forbidden {
                action: "edit_item".into()
            }
        );
        let view = world.registry.org_view(ORG).expect("published again");
        assert_eq!(view.members.get(&MEMBER), Some(&Role::Viewer));
    }
}

/// A store whose next organization append, once armed with an error, is
/// stored and then reported as that error (an outcome a caller cannot know).
/// Held, its next organization append waits for `gate` first.
struct FailsOnce {
    inner: Arc<MemStore>,
    next: Mutex<Option<StoreError>>,
    gate: Mutex<Option<Arc<tokio::sync::Notify>>>,
}

impl FailsOnce {
    /// Its next organization append is stored, then reported as `error`.
    fn fail_next(&self, error: StoreError) {
        *self.next.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
    }

    /// Its next organization append waits until the returned gate opens.
    fn hold_next(&self) -> Arc<tokio::sync::Notify> {
        let gate = Arc::new(tokio::sync::Notify::new());
        *self.gate.lock().unwrap_or_else(PoisonError::into_inner) = Some(gate.clone());
        gate
    }
}

/// A world over a [`FailsOnce`] store, and a board of it with one item.
async fn world_over_fails_once() -> (World, Arc<FailsOnce>, TestBoard, ItemId) {
    let mem = Arc::new(MemStore::new());
    let front = Arc::new(FailsOnce {
        inner: mem.clone(),
        next: Mutex::new(None),
        gate: Mutex::new(None),
    });
    let world = World::over(mem, front.clone(), ActorConfig::default());
    let board = world.new_board().await;
    let (item, _) = world.create_item(board.id, "Write the spec").await;
    (world, front, board, item)
}

impl BoardStore for FailsOnce {
    fn append_org(
        &self,
        org: OrgId,
        records: Vec<protocol::OrgRecorded>,
        command: Option<(UserId, String)>,
        origin: Option<protocol::Origin>,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let gate = self
                .gate
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(gate) = gate {
                gate.notified().await;
            }
            self.inner.append_org(org, records, command, origin).await?;
            let armed = self
                .next
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            armed.map_or(Ok(()), Err)
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
        org_events_after,
        find_org_outcome,
        record_org_rejection,
    );
}
