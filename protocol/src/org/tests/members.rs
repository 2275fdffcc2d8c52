//! Who may add, re-role and remove whom; the last owner stays.

use super::*;

#[test]
fn admins_add_members_up_to_their_own_role() {
    let org = given(founded());
    assert_eq!(
        org.when(
            user(ADMIN),
            OrgCommand::AddMember {
                user: STRANGER,
                role: Role::Admin
            }
        ),
        Ok(vec![OrgEvent::MemberAdded {
            user: STRANGER,
            role: Role::Admin
        }])
    );
    assert_eq!(
        org.when(
            user(ADMIN),
            OrgCommand::AddMember {
                user: STRANGER,
                role: Role::Owner
            }
        ),
        Err(forbidden("add_member", ForbiddenRule::OwnerOnly))
    );
    assert_eq!(
        org.when(
            user(OWNER),
            OrgCommand::AddMember {
                user: STRANGER,
                role: Role::Owner
            }
        ),
        Ok(vec![OrgEvent::MemberAdded {
            user: STRANGER,
            role: Role::Owner
        }])
    );
}

#[test]
fn members_and_viewers_cannot_manage_members() {
    let org = given(founded());
    for who in [MEMBER, VIEWER] {
        assert_eq!(
            org.when(
                user(who),
                OrgCommand::AddMember {
                    user: STRANGER,
                    role: Role::Viewer
                }
            ),
            Err(forbidden("add_member", ForbiddenRule::CannotManageMembers))
        );
        assert_eq!(
            org.when(user(who), OrgCommand::RemoveMember { user: ADMIN }),
            Err(forbidden(
                "remove_member",
                ForbiddenRule::CannotManageMembers
            ))
        );
    }
}

#[test]
fn adding_a_member_twice_is_refused() {
    assert_eq!(
        given(founded()).when(
            user(OWNER),
            OrgCommand::AddMember {
                user: MEMBER,
                role: Role::Admin
            }
        ),
        Err(OrgRejection::AlreadyMember { user: MEMBER })
    );
}

#[test]
fn strangers_learn_nothing() {
    assert_eq!(
        given(founded()).when(
            user(STRANGER),
            OrgCommand::AddMember {
                user: STRANGER,
                role: Role::Owner
            }
        ),
        Err(OrgRejection::OrgNotFound)
    );
}

#[test]
fn admins_change_roles_below_owner_and_never_above_their_own() {
    let org = given(founded());
    assert_eq!(
        org.when(
            user(ADMIN),
            OrgCommand::ChangeRole {
                user: VIEWER,
                role: Role::Member
            }
        ),
        Ok(vec![OrgEvent::MemberRoleChanged {
            user: VIEWER,
            role: Role::Member
        }])
    );
    assert_eq!(
        org.when(
            user(ADMIN),
            OrgCommand::ChangeRole {
                user: OWNER,
                role: Role::Admin
            }
        ),
        Err(forbidden("change_role", ForbiddenRule::OwnerOnly))
    );
    assert_eq!(
        org.when(
            user(ADMIN),
            OrgCommand::ChangeRole {
                user: MEMBER,
                role: Role::Owner
            }
        ),
        Err(forbidden("change_role", ForbiddenRule::OwnerOnly))
    );
    assert_eq!(
        org.when(
            user(MEMBER),
            OrgCommand::ChangeRole {
                user: MEMBER,
                role: Role::Admin
            }
        ),
        Err(forbidden("change_role", ForbiddenRule::CannotManageMembers)),
        "nobody promotes themself without ManageMembers"
    );
    assert_eq!(
        org.when(
            user(ADMIN),
            OrgCommand::ChangeRole {
                user: MEMBER,
                role: Role::Member
            }
        ),
        Err(OrgRejection::NoChange)
    );
    assert_eq!(
        org.when(
            user(ADMIN),
            OrgCommand::ChangeRole {
                user: STRANGER,
                role: Role::Member
            }
        ),
        Err(OrgRejection::NotMember { user: STRANGER })
    );
}

#[test]
fn api_keys_follow_their_role_but_never_touch_owners() {
    let org = given(founded());
    assert_eq!(
        org.when(
            key(Role::Admin),
            OrgCommand::AddMember {
                user: STRANGER,
                role: Role::Member
            }
        ),
        Ok(vec![OrgEvent::MemberAdded {
            user: STRANGER,
            role: Role::Member
        }])
    );
    assert_eq!(
        org.when(
            key(Role::Owner),
            OrgCommand::ChangeRole {
                user: OWNER,
                role: Role::Admin
            }
        ),
        Err(forbidden("change_role", ForbiddenRule::KeyCannotTouchOwner))
    );
    assert_eq!(
        org.when(key(Role::Member), OrgCommand::RemoveMember { user: VIEWER }),
        Err(forbidden(
            "remove_member",
            ForbiddenRule::CannotManageMembers
        ))
    );
    assert_eq!(
        org.when(key(Role::Admin), OrgCommand::Leave),
        Err(forbidden("leave", ForbiddenRule::NotAMember))
    );
}

#[test]
fn anyone_may_leave_but_the_last_owner() {
    let org = given(founded());
    for who in [ADMIN, MEMBER, VIEWER] {
        assert_eq!(
            org.when(user(who), OrgCommand::Leave),
            Ok(vec![OrgEvent::MemberRemoved { user: who }])
        );
        assert_eq!(
            org.when(user(who), OrgCommand::RemoveMember { user: who }),
            Ok(vec![OrgEvent::MemberRemoved { user: who }]),
            "removing oneself is leaving"
        );
    }
    assert_eq!(
        org.when(user(OWNER), OrgCommand::Leave),
        Err(OrgRejection::LastOwner)
    );
    let two_owners = given(with(vec![OrgEvent::MemberAdded {
        user: SECOND_OWNER,
        role: Role::Owner,
    }]));
    assert_eq!(
        two_owners.when(user(OWNER), OrgCommand::Leave),
        Ok(vec![OrgEvent::MemberRemoved { user: OWNER }])
    );
}

#[test]
fn the_last_owner_keeps_the_role() {
    let org = given(founded());
    assert_eq!(
        org.when(
            user(OWNER),
            OrgCommand::ChangeRole {
                user: OWNER,
                role: Role::Admin
            }
        ),
        Err(OrgRejection::LastOwner)
    );
    let two = given(with(vec![OrgEvent::MemberAdded {
        user: SECOND_OWNER,
        role: Role::Owner,
    }]));
    assert_eq!(
        two.when(
            user(OWNER),
            OrgCommand::ChangeRole {
                user: OWNER,
                role: Role::Admin
            }
        ),
        Ok(vec![OrgEvent::MemberRoleChanged {
            user: OWNER,
            role: Role::Admin
        }])
    );
    // Once one stepped down, the other is the last.
    let one_left = two.then_apply(
        user(OWNER),
        OrgCommand::ChangeRole {
            user: OWNER,
            role: Role::Admin,
        },
    );
    assert_eq!(
        one_left.when(
            user(SECOND_OWNER),
            OrgCommand::RemoveMember { user: SECOND_OWNER }
        ),
        Err(OrgRejection::LastOwner)
    );
}

#[test]
fn owners_remove_anyone_admins_anyone_below_owner() {
    let org = given(with(vec![OrgEvent::MemberAdded {
        user: SECOND_OWNER,
        role: Role::Owner,
    }]));
    assert_eq!(
        org.when(user(OWNER), OrgCommand::RemoveMember { user: SECOND_OWNER }),
        Ok(vec![OrgEvent::MemberRemoved { user: SECOND_OWNER }])
    );
    assert_eq!(
        org.when(user(ADMIN), OrgCommand::RemoveMember { user: SECOND_OWNER }),
        Err(forbidden("remove_member", ForbiddenRule::OwnerOnly))
    );
    assert_eq!(
        org.when(user(ADMIN), OrgCommand::RemoveMember { user: MEMBER }),
        Ok(vec![OrgEvent::MemberRemoved { user: MEMBER }])
    );
}

#[test]
fn one_role_in_answers_for_every_rule() {
    let org = given(with(vec![
        OrgEvent::MemberRoleChanged {
            user: VIEWER,
            role: Role::Admin,
        },
        OrgEvent::MemberRemoved { user: MEMBER },
    ]))
    .org;
    assert_eq!(org.role_of(VIEWER), Some(Role::Admin));
    assert_eq!(org.role_of(MEMBER), None);
    assert_eq!(org.role_of(OWNER), Some(Role::Owner));
    let mut deleted = org.clone();
    deleted.apply(&OrgEvent::OrgDeleted);
    assert_eq!(
        deleted.role_of(OWNER),
        None,
        "a deleted organization has no members"
    );
}
