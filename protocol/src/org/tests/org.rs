//! Creating, renaming, handing over and deleting an organization; the
//! board directory the boards report to.

use super::*;

#[test]
fn the_server_creates_an_organization_with_its_first_owner() {
    let create = OrgCommand::CreateOrg {
        name: "  Design Studio ".into(),
        key: "DS".into(),
    };
    assert_eq!(
        given(vec![]).when(system(), create.clone()),
        Ok(vec![
            OrgEvent::OrgCreated {
                name: "Design Studio".into(),
                key: "DS".into(),
                owner: OWNER
            },
            OrgEvent::MemberAdded {
                user: OWNER,
                role: Role::Owner
            },
        ])
    );
    assert_eq!(
        given(vec![]).when(user(OWNER), create.clone()),
        Err(forbidden("create_org", ForbiddenRule::SystemOnly))
    );
    assert_eq!(
        given(founded()).when(system(), create),
        Err(OrgRejection::OrgAlreadyExists)
    );
    for bad in ["d", "DS-1", "1DS", "ABCDEFGHIJK", "ds"] {
        let cmd = OrgCommand::CreateOrg {
            name: "X".into(),
            key: bad.into(),
        };
        assert!(
            matches!(given(vec![]).when(system(), cmd), Err(OrgRejection::InvalidField { field, .. }) if field == "key"),
            "{bad}"
        );
    }
    let nameless = OrgCommand::CreateOrg {
        name: "   ".into(),
        key: "DS".into(),
    };
    assert!(
        matches!(given(vec![]).when(system(), nameless), Err(OrgRejection::InvalidField { field, .. }) if field == "name")
    );
}

#[test]
fn nothing_but_creation_happens_to_an_organization_that_does_not_exist() {
    assert_eq!(
        given(vec![]).when(user(OWNER), OrgCommand::Leave),
        Err(OrgRejection::OrgNotFound)
    );
}

#[test]
fn only_owners_rename() {
    let org = given(founded());
    assert_eq!(
        org.when(
            user(OWNER),
            OrgCommand::RenameOrg {
                name: "Studio".into()
            }
        ),
        Ok(vec![OrgEvent::OrgRenamed {
            name: "Studio".into()
        }])
    );
    assert_eq!(
        org.when(
            user(ADMIN),
            OrgCommand::RenameOrg {
                name: "Studio".into()
            }
        ),
        Err(forbidden("rename_org", ForbiddenRule::OwnerOnly))
    );
    assert_eq!(
        org.when(
            user(OWNER),
            OrgCommand::RenameOrg {
                name: "Design Studio".into()
            }
        ),
        Err(OrgRejection::NoChange)
    );
}

#[test]
fn an_owner_hands_over_to_a_member_and_becomes_an_admin() {
    let org = given(founded());
    assert_eq!(
        org.when(user(OWNER), OrgCommand::TransferOwnership { to: MEMBER }),
        Ok(vec![
            OrgEvent::MemberRoleChanged {
                user: MEMBER,
                role: Role::Owner
            },
            OrgEvent::MemberRoleChanged {
                user: OWNER,
                role: Role::Admin
            },
        ])
    );
    assert_eq!(
        org.when(user(ADMIN), OrgCommand::TransferOwnership { to: ADMIN }),
        Err(forbidden("transfer_ownership", ForbiddenRule::OwnerOnly))
    );
    assert_eq!(
        org.when(
            key(Role::Owner),
            OrgCommand::TransferOwnership { to: ADMIN }
        ),
        Err(forbidden(
            "transfer_ownership",
            ForbiddenRule::KeyCannotTouchOwner
        ))
    );
    assert_eq!(
        org.when(user(OWNER), OrgCommand::TransferOwnership { to: STRANGER }),
        Err(OrgRejection::NotMember { user: STRANGER })
    );
    assert_eq!(
        org.when(user(OWNER), OrgCommand::TransferOwnership { to: OWNER }),
        Err(OrgRejection::NoChange)
    );
    let handed = org.then_apply(user(OWNER), OrgCommand::TransferOwnership { to: MEMBER });
    assert_eq!(handed.org.role_of(MEMBER), Some(Role::Owner));
    assert_eq!(handed.org.role_of(OWNER), Some(Role::Admin));
}

#[test]
fn an_owner_deletes_and_then_the_organization_is_gone() {
    let org = given(founded());
    assert_eq!(
        org.when(user(ADMIN), OrgCommand::DeleteOrg),
        Err(forbidden("delete_org", ForbiddenRule::OwnerOnly))
    );
    assert_eq!(
        org.when(key(Role::Owner), OrgCommand::DeleteOrg),
        Err(forbidden("delete_org", ForbiddenRule::KeyCannotTouchOwner))
    );
    assert_eq!(
        org.when(user(OWNER), OrgCommand::DeleteOrg),
        Ok(vec![OrgEvent::OrgDeleted])
    );
    let gone = org.then_apply(user(OWNER), OrgCommand::DeleteOrg);
    assert_eq!(
        gone.when(
            user(OWNER),
            OrgCommand::RenameOrg {
                name: "Back".into()
            }
        ),
        Err(OrgRejection::OrgNotFound)
    );
    assert_eq!(
        gone.when(
            system(),
            OrgCommand::BoardAdded {
                board: board(1),
                name: "Late".into()
            }
        ),
        Err(OrgRejection::OrgNotFound)
    );
}

#[test]
fn boards_report_to_the_directory_and_only_the_server_may() {
    let org = given(founded());
    let add = OrgCommand::BoardAdded {
        board: board(1),
        name: "Roadmap".into(),
    };
    assert_eq!(
        org.when(system(), add.clone()),
        Ok(vec![OrgEvent::BoardCreated {
            board: board(1),
            name: "Roadmap".into()
        }])
    );
    assert_eq!(
        org.when(user(OWNER), add.clone()),
        Err(forbidden("board_added", ForbiddenRule::SystemOnly))
    );
    let with_board = org.then_apply(system(), add.clone());
    assert_eq!(
        with_board.when(system(), add),
        Err(OrgRejection::NoChange),
        "a report delivered twice changes nothing"
    );
    assert_eq!(
        with_board.when(system(), OrgCommand::BoardArchived { board: board(1) }),
        Ok(vec![OrgEvent::BoardArchived { board: board(1) }])
    );
    assert_eq!(
        with_board.when(system(), OrgCommand::BoardRestored { board: board(1) }),
        Err(OrgRejection::NoChange)
    );
    assert_eq!(
        with_board.when(system(), OrgCommand::BoardArchived { board: board(2) }),
        Err(OrgRejection::BoardNotFound { board: board(2) })
    );
}

#[test]
fn every_rejection_has_a_catalogued_code() {
    let rejections = [
        OrgRejection::OrgNotFound,
        OrgRejection::OrgAlreadyExists,
        forbidden("x", ForbiddenRule::OwnerOnly),
        OrgRejection::NotMember { user: OWNER },
        OrgRejection::AlreadyMember { user: OWNER },
        OrgRejection::LastOwner,
        OrgRejection::InviteNotFound,
        OrgRejection::InviteExpired,
        OrgRejection::InviteUsed,
        OrgRejection::InviteRevoked,
        OrgRejection::InvalidField {
            field: "name".into(),
            rule: "r".into(),
        },
        OrgRejection::NoChange,
        OrgRejection::BoardNotFound { board: board(1) },
    ];
    for r in rejections {
        assert!(
            crate::codes::ALL.iter().any(|c| c.code == r.code()),
            "{r:?}: {}",
            r.code()
        );
        assert!(!r.to_string().is_empty());
    }
}
