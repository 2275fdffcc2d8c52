//! The audit entries of an organization's changes, derived from its
//! committed events inside the append transaction.

use protocol::{OrgEvent, OrgId, OrgRecorded, Origin, Role};
use serde_json::json;

use super::{Actor, AuditAction, AuditEntry, Context};

/// The audit entries an organization's committed `records` call for,
/// written by the org append in its transaction (`org_log::write`):
/// membership, invite and organization changes. A transfer of ownership
/// (the new owner promoted, the old one made admin by one command) is one
/// `org.ownership_transferred` entry; a removal of oneself is
/// `member.left`. Board directory events are not audited (boards have
/// their own event log).
pub fn org_entries(
    org: OrgId,
    records: &[OrgRecorded],
    origin: Option<&Origin>,
) -> Vec<AuditEntry> {
    let context = origin.map(Context::from).unwrap_or_default();
    let api_key = origin.is_some_and(|o| o.api_key);
    let mut out = Vec::new();
    let mut i = 0;
    while i < records.len() {
        let rec = &records[i];
        let actor = if api_key {
            Actor::ApiKey(rec.by.0)
        } else {
            Actor::User(rec.by)
        };
        let entry = |action| AuditEntry::new(action, actor, context.clone()).org(org);
        // Ownership transfer: promoted to owner, then the author demoted.
        if let (
            OrgEvent::MemberRoleChanged {
                user: to,
                role: Role::Owner,
            },
            Some(OrgEvent::MemberRoleChanged {
                user: from,
                role: Role::Admin,
            }),
        ) = (&rec.event, records.get(i + 1).map(|r| &r.event))
        {
            if *from == rec.by {
                out.push(
                    entry(AuditAction::OrgOwnershipTransferred)
                        .target("user", to.0)
                        .details(json!({ "from": from.0 })),
                );
                i += 2;
                continue;
            }
        }
        let made = match &rec.event {
            OrgEvent::OrgCreated { name, key, owner } => Some(
                entry(AuditAction::OrgCreated)
                    .target("org", org.0)
                    .details(json!({ "name": name, "key": key, "owner": owner.0 })),
            ),
            OrgEvent::OrgRenamed { name } => Some(
                entry(AuditAction::OrgRenamed)
                    .target("org", org.0)
                    .details(json!({ "name": name })),
            ),
            OrgEvent::OrgDeleted => Some(entry(AuditAction::OrgDeleted).target("org", org.0)),
            OrgEvent::MemberAdded { user, role } => Some(
                entry(AuditAction::MemberAdded)
                    .target("user", user.0)
                    .details(json!({ "role": role.as_str() })),
            ),
            OrgEvent::MemberRoleChanged { user, role } => Some(
                entry(AuditAction::MemberRoleChanged)
                    .target("user", user.0)
                    .details(json!({ "role": role.as_str() })),
            ),
            OrgEvent::MemberRemoved { user } if *user == rec.by && !api_key => {
                Some(entry(AuditAction::MemberLeft).target("user", user.0))
            }
            OrgEvent::MemberRemoved { user } => {
                Some(entry(AuditAction::MemberRemoved).target("user", user.0))
            }
            OrgEvent::InviteCreated {
                invite,
                role,
                expires_at,
                ..
            } => Some(
                entry(AuditAction::InviteCreated)
                    .target("invite", invite.0)
                    .details(json!({ "role": role.as_str(), "expires_at": expires_at.0 })),
            ),
            OrgEvent::InviteAccepted { invite, user, .. } => Some(
                entry(AuditAction::InviteAccepted)
                    .target("invite", invite.0)
                    .details(json!({ "user": user.0 })),
            ),
            OrgEvent::InviteRevoked { invite } => {
                Some(entry(AuditAction::InviteRevoked).target("invite", invite.0))
            }
            OrgEvent::BoardCreated { .. }
            | OrgEvent::BoardArchived { .. }
            | OrgEvent::BoardRestored { .. } => None,
        };
        out.extend(made);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{Millis, UserId};
    use uuid::Uuid;

    #[test]
    fn a_transfer_is_one_entry_and_leaving_is_not_a_removal() {
        let org = OrgId(Uuid::new_v4());
        let (old, new) = (UserId(Uuid::new_v4()), UserId(Uuid::new_v4()));
        let rec = |seq, event| OrgRecorded {
            seq,
            at: Millis(1),
            by: old,
            command_id: None,
            event,
        };
        let records = [
            rec(
                1,
                OrgEvent::MemberRoleChanged {
                    user: new,
                    role: Role::Owner,
                },
            ),
            rec(
                2,
                OrgEvent::MemberRoleChanged {
                    user: old,
                    role: Role::Admin,
                },
            ),
            rec(3, OrgEvent::MemberRemoved { user: old }),
        ];
        let origin = Origin {
            ip: Some("10.0.0.1".into()),
            ..Origin::default()
        };
        let entries = org_entries(org, &records, Some(&origin));
        let actions: Vec<_> = entries.iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [
                AuditAction::OrgOwnershipTransferred,
                AuditAction::MemberLeft
            ]
        );
        assert_eq!(entries[0].target, Some(("user", new.0.to_string())));
        assert_eq!(entries[0].context.ip.as_deref(), Some("10.0.0.1"));
        assert!(entries.iter().all(|e| e.org == Some(org)));
    }
}
