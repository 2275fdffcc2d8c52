//! Notification jobs from board events: an assignment, or a comment that
//! mentions someone (`@address`), queues a `notify` job in the append's
//! transaction — so a committed event always notifies and a refused or
//! rolled-back one never does. The job resolves who gets mail (members
//! of the board's organization who did not turn it off, never the author)
//! when it runs.

use deadpool_postgres::Transaction;
use protocol::jobs::{mentions, JobKind};
use protocol::{Event, Recorded, UserId};
use serde::{Deserialize, Serialize};

use crate::db::{Db, DbError};
use crate::jobs::{insert, NewJob};

/// Longest excerpt of a comment in its notification.
pub const EXCERPT_CHARS: usize = 280;

/// The payload of a `notify` job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Notice {
    /// `by` assigned `user` to `item`.
    Assigned {
        board: uuid::Uuid,
        item: uuid::Uuid,
        user: uuid::Uuid,
        by: uuid::Uuid,
    },
    /// `by` mentioned `addresses` in a comment on `item`.
    Mentioned {
        board: uuid::Uuid,
        item: uuid::Uuid,
        by: uuid::Uuid,
        addresses: Vec<String>,
        excerpt: String,
    },
}

/// The notification jobs `events` cause (unique per event, so a log
/// written twice would not notify twice).
pub fn notices(events: &[Recorded]) -> Vec<NewJob> {
    let mut jobs = Vec::new();
    for rec in events {
        let notice = match &rec.event {
            Event::ItemAssigned { item, user } if *user != rec.by => Notice::Assigned {
                board: rec.board.0,
                item: item.0,
                user: user.0,
                by: rec.by.0,
            },
            Event::CommentAdded { item, body, .. } => {
                let addresses = mentions(body);
                if addresses.is_empty() {
                    continue;
                }
                Notice::Mentioned {
                    board: rec.board.0,
                    item: item.0,
                    by: rec.by.0,
                    addresses,
                    excerpt: body.chars().take(EXCERPT_CHARS).collect(),
                }
            }
            _ => continue,
        };
        let payload = serde_json::to_value(&notice).unwrap_or_default();
        jobs.push(
            NewJob::new(JobKind::Notify, payload)
                .unique(format!("notify:{}:{}", rec.board.0, rec.seq)),
        );
    }
    jobs
}

/// Queue the notification jobs of `events` in `tx`.
pub(crate) async fn enqueue_notices(
    tx: &Transaction<'_>,
    events: &[Recorded],
) -> Result<(), tokio_postgres::Error> {
    for job in notices(events) {
        insert(tx, &job).await?;
    }
    Ok(())
}

/// Someone to mail about a notice.
#[derive(Clone, Debug)]
pub struct Recipient {
    pub user: UserId,
    pub email: String,
    pub name: String,
}

/// What a notification mail says about the card.
#[derive(Clone, Debug)]
pub struct CardRef {
    /// `KEY-123`.
    pub key: String,
    pub title: String,
    /// Who did it.
    pub by: String,
}

impl Db {
    /// Who gets mail about `notice`, and about which card: members of the
    /// board's organization (still members now) with a verified email who
    /// did not turn this mail off, never the one who did it. `None` when
    /// the card or board is gone.
    ///
    /// # Errors
    /// [`DbError::Unavailable`] when the database cannot be reached.
    pub async fn notice_recipients(
        &self,
        notice: &Notice,
    ) -> Result<Option<(CardRef, Vec<Recipient>)>, DbError> {
        let (item, by) = match notice {
            Notice::Assigned { item, by, .. } | Notice::Mentioned { item, by, .. } => (item, by),
        };
        let client = self.client().await?;
        let card = client
            .query_opt(
                "SELECT o.key || '-' || i.number, i.title, i.org_id, \
                   coalesce((SELECT name FROM users WHERE id = $2), 'Someone') \
                 FROM items i JOIN orgs o ON o.id = i.org_id \
                 WHERE i.id = $1 AND o.deleted_at IS NULL",
                &[item, by],
            )
            .await?;
        let Some(card) = card else {
            return Ok(None);
        };
        let org: uuid::Uuid = card.get(2);
        let rows = match notice {
            Notice::Assigned { user, .. } => {
                client
                    .query(
                        "SELECT u.id, u.email, u.name FROM users u \
                         JOIN memberships m ON m.user_id = u.id AND m.org_id = $2 \
                         WHERE u.id = $1 AND u.id <> $3 AND u.notify_assigned \
                           AND u.email_verified_at IS NOT NULL AND u.deleted_at IS NULL",
                        &[user, &org, by],
                    )
                    .await?
            }
            Notice::Mentioned { addresses, .. } => {
                client
                    .query(
                        "SELECT u.id, u.email, u.name FROM users u \
                         JOIN memberships m ON m.user_id = u.id AND m.org_id = $2 \
                         WHERE u.email = ANY($1) AND u.id <> $3 AND u.notify_mentioned \
                           AND u.email_verified_at IS NOT NULL AND u.deleted_at IS NULL \
                         ORDER BY u.email",
                        &[addresses, &org, by],
                    )
                    .await?
            }
        };
        let recipients = rows
            .iter()
            .map(|r| Recipient {
                user: UserId(r.get(0)),
                email: r.get(1),
                name: r.get(2),
            })
            .collect();
        Ok(Some((
            CardRef {
                key: card.get(0),
                title: card.get(1),
                by: card.get(3),
            },
            recipients,
        )))
    }
}

#[cfg(test)]
mod tests {
    use protocol::{BoardId, CommentId, ItemId, Millis};
    use uuid::Uuid;

    use super::*;

    fn rec(seq: u64, by: Uuid, event: Event) -> Recorded {
        Recorded {
            board: BoardId(Uuid::from_u128(1)),
            seq,
            at: Millis(0),
            by: UserId(by),
            command_id: None,
            event,
        }
    }

    #[test]
    fn assignments_of_others_and_mentions_notify_nothing_else_does() {
        let (me, you) = (Uuid::from_u128(7), Uuid::from_u128(8));
        let item = ItemId(Uuid::from_u128(9));
        let events = [
            rec(
                2,
                me,
                Event::ItemAssigned {
                    item,
                    user: UserId(you),
                },
            ),
            rec(
                3,
                me,
                Event::ItemAssigned {
                    item,
                    user: UserId(me),
                },
            ),
            rec(
                4,
                me,
                Event::CommentAdded {
                    comment: CommentId(Uuid::from_u128(5)),
                    item,
                    body: "hi @you@x.io".into(),
                },
            ),
            rec(
                5,
                me,
                Event::CommentAdded {
                    comment: CommentId(Uuid::from_u128(6)),
                    item,
                    body: "no mention".into(),
                },
            ),
        ];
        let jobs = notices(&events);
        assert_eq!(jobs.len(), 2);
        assert_eq!(
            jobs[0].unique_key.as_deref(),
            Some("notify:00000000-0000-0000-0000-000000000001:2")
        );
        let mentioned: Notice = serde_json::from_value(jobs[1].payload.clone()).expect("a notice");
        assert!(
            matches!(mentioned, Notice::Mentioned { ref addresses, .. } if addresses == &["you@x.io".to_owned()])
        );
    }
}
