//! The organizations' side of [`MemStore`]: logs seeded like PostgreSQL
//! seeds those of organizations made before the log, appends checked like
//! the `(org_id, seq)` primary key and the outcomes' `(org_id, actor,
//! command_id)` key, and the [`OrgRecord`] read model kept in step.

use std::collections::HashMap;

use super::MemStore;
use crate::ids::{OrgId, UserId};
use crate::org::{Org, OrgEvent, OrgRecorded};
use crate::role::Role;
use crate::store::{OrgOutcome, OrgRecord, StoreError};

/// The log an organization inserted with [`MemStore::insert_org`] starts
/// with, as PostgreSQL seeds one for organizations made before the log.
fn seed(record: &OrgRecord) -> Vec<OrgRecorded> {
    let owner = record
        .members
        .iter()
        .find(|(_, role)| **role == Role::Owner)
        .map_or(UserId(uuid::Uuid::nil()), |(user, _)| *user);
    let mut events = vec![OrgEvent::OrgCreated {
        name: record.name.clone(),
        key: record.key.clone(),
        owner,
    }];
    events.extend(
        record
            .members
            .iter()
            .map(|(user, role)| OrgEvent::MemberAdded {
                user: *user,
                role: *role,
            }),
    );
    events.extend(record.boards.iter().map(|board| OrgEvent::BoardCreated {
        board: *board,
        name: String::new(),
    }));
    events
        .into_iter()
        .enumerate()
        .map(|(i, event)| OrgRecorded {
            seq: i as u64 + 1,
            at: crate::ids::Millis(0),
            by: owner,
            command_id: None,
            event,
        })
        .collect()
}

/// Keeps the [`OrgRecord`] read model in step with an org event, as the
/// PostgreSQL projection keeps `orgs` and `memberships`.
fn project_org(orgs: &mut HashMap<OrgId, OrgRecord>, org: OrgId, event: &OrgEvent) {
    if let OrgEvent::OrgCreated { name, key, .. } = event {
        orgs.insert(
            org,
            OrgRecord {
                id: org,
                name: name.clone(),
                key: key.clone(),
                members: crate::role::Roster::new(),
                boards: Vec::new(),
            },
        );
        return;
    }
    let Some(record) = orgs.get_mut(&org) else {
        return;
    };
    match event {
        OrgEvent::MemberAdded { user, role } | OrgEvent::MemberRoleChanged { user, role } => {
            record.members.insert(*user, *role);
        }
        OrgEvent::MemberRemoved { user } => {
            record.members.remove(user);
        }
        OrgEvent::OrgRenamed { name } => record.name.clone_from(name),
        OrgEvent::BoardCreated { board, .. } if !record.boards.contains(board) => {
            record.boards.push(*board)
        }
        _ => {}
    }
}

impl MemStore {
    pub(super) fn load_org_log_now(&self, org: OrgId) -> Result<Option<Org>, StoreError> {
        self.check_available()?;
        let mut state = self.lock();
        if !state.org_logs.contains_key(&org) {
            let Some(record) = state.orgs.get(&org) else {
                return Ok(None);
            };
            let log = seed(record);
            state.org_logs.insert(org, log);
        }
        let mut folded = Org::new(org);
        for rec in &state.org_logs[&org] {
            folded.apply_recorded(rec);
        }
        Ok(Some(folded))
    }

    /// Appends `records` whole or not at all: they must continue the log
    /// exactly, and a command id (per author) gets one outcome per
    /// organization, accepted or refused.
    pub(super) fn append_org_now(
        &self,
        org: OrgId,
        records: Vec<OrgRecorded>,
        command: Option<(UserId, String)>,
    ) -> Result<(), StoreError> {
        self.check_available()?;
        let (Some(first), Some(last)) = (records.first(), records.last()) else {
            return Ok(());
        };
        let mut state = self.lock();
        let stored = state
            .org_logs
            .get(&org)
            .and_then(|log| log.last())
            .map_or(0, |rec| rec.seq);
        if let Some((_, rec)) = (stored + 1..)
            .zip(&records)
            .find(|(expected, rec)| rec.seq != *expected)
        {
            return Err(StoreError::OrgConflict { org, seq: rec.seq });
        }
        let outcome = OrgOutcome::Accepted {
            first_seq: first.seq,
            last_seq: last.seq,
        };
        if let Some((actor, command_id)) = command {
            let key = (org, actor, command_id);
            if state.org_outcomes.contains_key(&key) {
                let (_, _, command_id) = key;
                return Err(StoreError::OrgDuplicate { org, command_id });
            }
            state.org_outcomes.insert(key, outcome);
        }
        for rec in &records {
            project_org(&mut state.orgs, org, &rec.event);
        }
        state.org_logs.entry(org).or_default().extend(records);
        Ok(())
    }

    pub(super) fn org_events_after_now(
        &self,
        org: OrgId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<OrgRecorded>, StoreError> {
        self.check_available()?;
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(self
            .lock()
            .org_logs
            .get(&org)
            .map(|log| {
                log.iter()
                    .filter(|rec| rec.seq > after)
                    .take(limit)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }
}
