//! Boards decide with the roster their organization's actor published
//! (`Registry::org_view`) instead of asking it for every command. That is
//! only safe if the roster a board reads is never older than what a caller
//! was told: a change is published before its command is answered, and an
//! actor unsure of its state withdraws what it published.

use std::sync::atomic::{AtomicBool, Ordering};

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

#[actix_rt::test]
async fn an_org_actor_unsure_of_its_roster_withdraws_it_and_the_next_one_publishes_anew() {
    let mem = Arc::new(MemStore::new());
    let front = Arc::new(TimesOut {
        inner: mem.clone(),
        armed: AtomicBool::new(false),
    });
    let world = World::over(mem, front.clone(), ActorConfig::default());
    let board = world.new_board().await;
    let (item, _) = world.create_item(board.id, "Write the spec").await;
    let org = world.registry.org(ORG);

    // The demotion's outcome is unknown (its append timed out, but it was
    // stored): the actor may not go on with the roster it has.
    front.armed.store(true, Ordering::SeqCst);
    let unsure = within(org.submit(OWNER, change_role(MEMBER, Role::Viewer), None)).await;
    assert!(matches!(unsure, Err(ActorError::Timeout)), "{unsure:?}");
    assert!(
        world.registry.org_view(ORG).is_none(),
        "withdrawn before the caller heard of the timeout"
    );

    // The next board command does not decide with the old roster: it
    // starts an org actor that reads the log, where the demotion is.
    let refused = rejection(
        within(
            world
                .board(board.id)
                .submit(MEMBER, edit(item, "Mine"), None),
        )
        .await,
    );
    assert_eq!(
        refused,
        Rejection::Forbidden {
            action: "edit_item".into()
        }
    );
    let view = world.registry.org_view(ORG).expect("published again");
    assert_eq!(view.members.get(&MEMBER), Some(&Role::Viewer));
}

/// A store whose next organization append, once armed, is stored and then
/// reported as timed out (the outcome a caller cannot know).
struct TimesOut {
    inner: Arc<MemStore>,
    armed: AtomicBool,
}

impl BoardStore for TimesOut {
    fn append_org(
        &self,
        org: OrgId,
        records: Vec<protocol::OrgRecorded>,
        command: Option<(UserId, String)>,
        origin: Option<protocol::Origin>,
    ) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.inner.append_org(org, records, command, origin).await?;
            if self.armed.swap(false, Ordering::SeqCst) {
                return Err(StoreError::Timeout);
            }
            Ok(())
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
