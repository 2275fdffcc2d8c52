//! Webhooks in the database (migration 0018): the statements the append
//! transaction adds (so a committed event always reaches its endpoints and
//! a rolled-back one never does), the endpoints an organization's admins
//! manage, each endpoint's place in each stream, and the delivery log.
//!
//! The event log is the outbox. An append only makes sure a `webhook` job
//! exists for each (endpoint, stream) it touched — one job per pair, by its
//! unique key, so one stream is delivered by one worker at a time and in
//! seq order — and marks a running one `again`, so it looks once more when
//! it is done; a dead one (its attempts spent on a database fault) is
//! queued again, so no stream is left behind for good. Organizations
//! without enabled endpoints find no row.

/// The statement tail that makes sure one `webhook` job exists for each
/// `(endpoint, stream, stream_id)` row of `$rows` (a table expression),
/// with `$attempts` (a parameter) as its attempts: a running one is marked
/// `again`, a dead one is queued afresh, a queued one is left as it is.
/// One place for the rule every enqueue of webhook jobs follows.
macro_rules! enqueue_stream_jobs {
    ($rows:literal, $attempts:literal) => {
        concat!(
            "INSERT INTO jobs (kind, payload, unique_key, max_attempts) \
             SELECT 'webhook', \
               jsonb_build_object('endpoint', endpoint, 'stream', stream, 'id', stream_id), \
               'webhook:' || endpoint || ':' || stream || ':' || stream_id, ",
            $attempts,
            " FROM ",
            $rows,
            " ON CONFLICT (unique_key) DO UPDATE SET again = (jobs.state = 'running'), \
               state = CASE WHEN jobs.state = 'dead' THEN 'queued' ELSE jobs.state END, \
               attempts = CASE WHEN jobs.state = 'dead' THEN 0 ELSE jobs.attempts END, \
               run_at = CASE WHEN jobs.state = 'dead' THEN now() ELSE jobs.run_at END \
             WHERE jobs.state IN ('running', 'dead')"
        )
    };
}

mod endpoints;
mod progress;

use std::collections::HashMap;

use protocol::jobs::JobKind;
use protocol::{OrgId, Recorded};

use crate::projection::Params;

pub use endpoints::{EndpointPatch, NewEndpoint, WebhookEndpoint};
pub use progress::{Delivery, NewDelivery, StreamCursor};

/// The `webhook` jobs (and cursors) a batch of board events needs:
/// `$1` boards, `$2` the first seq of each in the batch, `$3` attempts.
/// While no endpoint is enabled anywhere (most deployments, and every
/// benchmark), the `EXISTS` is checked once and nothing else runs: 1.8 µs
/// of PostgreSQL's time per command over 1,000 boards otherwise (issue 19).
const ENQUEUE_BOARDS: &str = concat!(
    "WITH batch AS ( \
       SELECT board, min(first_seq) AS first_seq \
       FROM unnest($1::uuid[], $2::bigint[]) AS t(board, first_seq) \
       WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE enabled) GROUP BY board), \
     targets AS ( \
       SELECT e.id AS endpoint, 'board' AS stream, batch.board AS stream_id, batch.first_seq \
       FROM batch JOIN boards b ON b.id = batch.board \
       JOIN webhook_endpoints e ON e.org_id = b.org_id AND e.enabled), \
     cursors AS ( \
       INSERT INTO webhook_cursors (endpoint_id, stream, stream_id, delivered_seq) \
       SELECT endpoint, stream, stream_id, first_seq - 1 FROM targets \
       ON CONFLICT DO NOTHING) ",
    enqueue_stream_jobs!("targets", "$3")
);

/// The same for an organization's events: `$1` the org, `$2` the first
/// seq, `$3` attempts.
const ENQUEUE_ORG: &str = concat!(
    "WITH targets AS ( \
       SELECT id AS endpoint, 'org' AS stream, $1::uuid AS stream_id \
       FROM webhook_endpoints WHERE org_id = $1 AND enabled), \
     cursors AS ( \
       INSERT INTO webhook_cursors (endpoint_id, stream, stream_id, delivered_seq) \
       SELECT endpoint, stream, stream_id, $2::bigint - 1 FROM targets \
       ON CONFLICT DO NOTHING) ",
    enqueue_stream_jobs!("targets", "$3")
);

/// The statement that queues the webhook jobs of board `events`, for the
/// append's pipeline.
pub(crate) fn board_statement(events: &[Recorded]) -> Option<(&'static str, Params<'static>)> {
    let mut first: HashMap<uuid::Uuid, i64> = HashMap::new();
    for rec in events {
        let seq = crate::db::to_sql_i64(rec.seq);
        first
            .entry(rec.board.0)
            .and_modify(|s| *s = (*s).min(seq))
            .or_insert(seq);
    }
    if first.is_empty() {
        return None;
    }
    let (boards, seqs): (Vec<uuid::Uuid>, Vec<i64>) = first.into_iter().unzip();
    Some((
        ENQUEUE_BOARDS,
        vec![
            Box::new(boards),
            Box::new(seqs),
            Box::new(JobKind::Webhook.max_attempts()),
        ],
    ))
}

/// The statement that queues the webhook jobs of `org`'s events from
/// `first_seq` on.
pub(crate) fn org_statement(org: OrgId, first_seq: u64) -> (&'static str, Params<'static>) {
    (
        ENQUEUE_ORG,
        vec![
            Box::new(org.0),
            Box::new(crate::db::to_sql_i64(first_seq)),
            Box::new(JobKind::Webhook.max_attempts()),
        ],
    )
}
