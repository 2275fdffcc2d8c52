//! Invitations: created within one's rights, accepted once before they
//! expire, revoked while pending.

use super::*;

fn create(n: u8, role: Role) -> OrgCommand {
    OrgCommand::CreateInvite {
        invite: invite(u128::from(n)),
        role,
        token_hash: hash(n),
        expires_at: Millis(NOW.0 + 3_600_000),
    }
}

fn pending(n: u8, role: Role) -> OrgEvent {
    OrgEvent::InviteCreated {
        invite: invite(u128::from(n)),
        role,
        token_hash: hash(n),
        expires_at: Millis(NOW.0 + 3_600_000),
    }
}

#[test]
fn admins_invite_up_to_their_role_and_owners_invite_owners() {
    let org = given(founded());
    assert_eq!(
        org.when(user(ADMIN), create(1, Role::Admin)),
        Ok(vec![pending(1, Role::Admin)])
    );
    assert_eq!(
        org.when(user(ADMIN), create(1, Role::Owner)),
        Err(forbidden("create_invite", ForbiddenRule::OwnerOnly))
    );
    assert_eq!(
        org.when(user(OWNER), create(1, Role::Owner)),
        Ok(vec![pending(1, Role::Owner)])
    );
    assert_eq!(
        org.when(user(MEMBER), create(1, Role::Viewer)),
        Err(forbidden(
            "create_invite",
            ForbiddenRule::CannotManageMembers
        ))
    );
    assert_eq!(
        org.when(key(Role::Owner), create(1, Role::Owner)),
        Err(forbidden(
            "create_invite",
            ForbiddenRule::KeyCannotTouchOwner
        ))
    );
}

#[test]
fn an_invite_needs_a_sha256_hash_and_a_future_expiry() {
    let org = given(founded());
    let bad_hash = OrgCommand::CreateInvite {
        invite: invite(1),
        role: Role::Member,
        token_hash: "cbi_plaintext".into(),
        expires_at: Millis(NOW.0 + 1),
    };
    assert!(
        matches!(org.when(user(OWNER), bad_hash), Err(OrgRejection::InvalidField { field, .. }) if field == "token_hash")
    );
    let past = OrgCommand::CreateInvite {
        invite: invite(1),
        role: Role::Member,
        token_hash: hash(1),
        expires_at: NOW,
    };
    assert!(
        matches!(org.when(user(OWNER), past), Err(OrgRejection::InvalidField { field, .. }) if field == "expires_at")
    );
    let again = given(with(vec![pending(1, Role::Member)]));
    assert!(
        matches!(again.when(user(OWNER), create(1, Role::Member)), Err(OrgRejection::InvalidField { field, .. }) if field == "invite")
    );
}

#[test]
fn a_stranger_accepts_once_and_joins_with_the_invites_role() {
    let org = given(with(vec![pending(1, Role::Member)]));
    let accept = OrgCommand::AcceptInvite {
        token_hash: hash(1),
    };
    assert_eq!(
        org.when(user(STRANGER), accept.clone()),
        Ok(vec![
            OrgEvent::InviteAccepted {
                invite: invite(1),
                user: STRANGER,
                joined: true
            },
            OrgEvent::MemberAdded {
                user: STRANGER,
                role: Role::Member
            },
        ])
    );
    let used = org.then_apply(user(STRANGER), accept.clone());
    assert_eq!(used.org.role_of(STRANGER), Some(Role::Member));
    assert_eq!(
        used.when(user(SECOND_OWNER), accept),
        Err(OrgRejection::InviteUsed)
    );
}

#[test]
fn a_member_who_accepts_keeps_their_role_and_uses_the_invite() {
    let org = given(with(vec![pending(1, Role::Admin)]));
    assert_eq!(
        org.when(
            user(VIEWER),
            OrgCommand::AcceptInvite {
                token_hash: hash(1)
            }
        ),
        Ok(vec![OrgEvent::InviteAccepted {
            invite: invite(1),
            user: VIEWER,
            joined: false
        }])
    );
}

#[test]
fn expired_revoked_and_unknown_invites_are_refused() {
    let org = given(with(vec![
        pending(1, Role::Member),
        pending(2, Role::Member),
        OrgEvent::InviteRevoked { invite: invite(2) },
    ]));
    let accept = |n| OrgCommand::AcceptInvite {
        token_hash: hash(n),
    };
    assert_eq!(
        given(with(vec![pending(1, Role::Member)]))
            .at(Millis(NOW.0 + 3_600_000))
            .when(user(STRANGER), accept(1)),
        Err(OrgRejection::InviteExpired)
    );
    assert_eq!(
        org.when(user(STRANGER), accept(2)),
        Err(OrgRejection::InviteRevoked)
    );
    assert_eq!(
        org.when(user(STRANGER), accept(3)),
        Err(OrgRejection::InviteNotFound)
    );
}

#[test]
fn pending_invites_are_revoked_by_who_could_create_them() {
    let org = given(with(vec![
        pending(1, Role::Owner),
        pending(2, Role::Member),
    ]));
    assert_eq!(
        org.when(user(ADMIN), OrgCommand::RevokeInvite { invite: invite(1) }),
        Err(forbidden("revoke_invite", ForbiddenRule::OwnerOnly))
    );
    assert_eq!(
        org.when(user(ADMIN), OrgCommand::RevokeInvite { invite: invite(2) }),
        Ok(vec![OrgEvent::InviteRevoked { invite: invite(2) }])
    );
    assert_eq!(
        org.when(user(OWNER), OrgCommand::RevokeInvite { invite: invite(9) }),
        Err(OrgRejection::InviteNotFound)
    );
    let revoked = org.then_apply(user(ADMIN), OrgCommand::RevokeInvite { invite: invite(2) });
    assert_eq!(
        revoked.when(user(ADMIN), OrgCommand::RevokeInvite { invite: invite(2) }),
        Err(OrgRejection::InviteRevoked)
    );
    let used = given(with(vec![pending(3, Role::Member)])).then_apply(
        user(STRANGER),
        OrgCommand::AcceptInvite {
            token_hash: hash(3),
        },
    );
    assert_eq!(
        used.when(user(OWNER), OrgCommand::RevokeInvite { invite: invite(3) }),
        Err(OrgRejection::InviteUsed)
    );
}

#[test]
fn invitation_events_stay_off_the_public_channel() {
    assert!(!pending(1, Role::Member).is_public());
    assert!(!OrgEvent::InviteRevoked { invite: invite(1) }.is_public());
    assert!(OrgEvent::MemberAdded {
        user: STRANGER,
        role: Role::Member
    }
    .is_public());
}
