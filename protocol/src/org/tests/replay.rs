//! For any sequence of commands by any callers, folding the accepted
//! events one by one and replaying the stored log onto `Org::new` give the
//! same organization; every event survives its persisted encoding; and an
//! organization that exists always keeps an owner.

use proptest::prelude::*;

use super::*;
use crate::codec::{decode_org_event, encode_org_event};
use crate::org::OrgRecorded;

const USERS: [UserId; 6] = [OWNER, ADMIN, MEMBER, VIEWER, STRANGER, SECOND_OWNER];
const ROLES: [Role; 4] = [Role::Viewer, Role::Member, Role::Admin, Role::Owner];

fn caller() -> impl Strategy<Value = OrgCaller> {
    prop_oneof![
        6 => (0..USERS.len()).prop_map(|u| OrgCaller::User(USERS[u])),
        1 => (0..ROLES.len()).prop_map(|r| OrgCaller::ApiKey { role: ROLES[r], by: ADMIN }),
        1 => Just(OrgCaller::System(OWNER)),
    ]
}

fn command() -> impl Strategy<Value = OrgCommand> {
    let u = || (0..USERS.len()).prop_map(|i| USERS[i]);
    let r = || (0..ROLES.len()).prop_map(|i| ROLES[i]);
    let n = || 0u8..4;
    prop_oneof![
        3 => (u(), r()).prop_map(|(user, role)| OrgCommand::AddMember { user, role }),
        3 => (u(), r()).prop_map(|(user, role)| OrgCommand::ChangeRole { user, role }),
        2 => u().prop_map(|user| OrgCommand::RemoveMember { user }),
        1 => Just(OrgCommand::Leave),
        2 => (n(), r(), 0i64..3).prop_map(|(i, role, hours)| OrgCommand::CreateInvite {
            invite: invite(u128::from(i)),
            role,
            token_hash: hash(i),
            expires_at: Millis(NOW.0 + hours * 3_600_000),
        }),
        2 => n().prop_map(|i| OrgCommand::AcceptInvite { token_hash: hash(i) }),
        1 => n().prop_map(|i| OrgCommand::RevokeInvite { invite: invite(u128::from(i)) }),
        1 => n().prop_map(|i| OrgCommand::RenameOrg { name: format!("Org {i}") }),
        1 => u().prop_map(|to| OrgCommand::TransferOwnership { to }),
        1 => (n(), n()).prop_map(|(b, name)| OrgCommand::BoardAdded { board: board(u128::from(b)), name: format!("Board {name}") }),
        1 => n().prop_map(|b| OrgCommand::BoardArchived { board: board(u128::from(b)) }),
        1 => n().prop_map(|b| OrgCommand::BoardRestored { board: board(u128::from(b)) }),
        1 => Just(OrgCommand::DeleteOrg),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn live_state_equals_the_replayed_log(steps in prop::collection::vec((caller(), command(), 0i64..2), 1..60)) {
        let mut live = Org::new(ORG);
        let mut log: Vec<OrgRecorded> = Vec::new();
        let create = OrgCommand::CreateOrg { name: "Design Studio".into(), key: "DS".into() };
        let mut now = NOW;
        for (caller, cmd, tick) in std::iter::once((OrgCaller::System(OWNER), create, 0)).chain(steps) {
            now = Millis(now.0 + tick * 3_600_000);
            let Ok(events) = live.decide(&OrgCtx { caller, now }, &cmd) else { continue };
            prop_assert!(!events.is_empty(), "an accepted command records something: {cmd:?}");
            for event in events {
                let bytes = encode_org_event(&event);
                prop_assert_eq!(&decode_org_event(&bytes).unwrap(), &event);
                let rec = OrgRecorded { seq: live.seq + 1, at: now, by: caller.author(), command_id: None, event };
                live.apply_recorded(&rec);
                log.push(rec);
            }
            if !live.deleted {
                prop_assert!(live.owners() >= 1, "an organization keeps an owner: {:?}", live.members);
            }
        }
        let mut replayed = Org::new(ORG);
        for rec in &log {
            replayed.apply_recorded(rec);
        }
        prop_assert_eq!(replayed, live);
    }
}
