//! The `webhook` job delivers one stream to one endpoint: every event after
//! the endpoint's cursor, in seq order, one request each; a failure stops
//! the stream until its next attempt (`RetryIn`, from the schedule), and
//! an event whose schedule is spent is given up on (kept in the log, can
//! be redelivered) so the stream moves on. An endpoint failing for
//! `disable_after` is disabled and its organization's admins are mailed.
//! The `webhook_redeliver` job sends one event again when an admin asks.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use protocol::webhooks::{event_type, next_retry, Stream};
use protocol::{BoardId, OrgId};
use serde::Deserialize;
use serde_json::{json, Value};
use storage::jobs::ClaimedJob;
use storage::webhooks::{NewDelivery, WebhookEndpoint};
use uuid::Uuid;

use super::guard::check_destination;
use super::sign::signature;
use crate::jobs::JobError;
use crate::mail::Mail;
use crate::state::AppState;

/// Events read from the log at a time.
const PAGE: u32 = 100;
/// A run takes no new event after this long (its timeout is longer); it
/// is queued again at once to go on.
const RUN_BUDGET: Duration = Duration::from_secs(60);
/// Bytes of a response body kept in the delivery log.
const EXCERPT_BYTES: usize = 1024;

/// The payload of a `webhook` job.
#[derive(Deserialize)]
struct StreamJob {
    endpoint: Uuid,
    stream: String,
    id: Uuid,
}

/// The payload of a `webhook_redeliver` job.
#[derive(Deserialize)]
struct RedeliverJob {
    endpoint: Uuid,
    stream: String,
    id: Uuid,
    seq: u64,
}

/// One event, ready to send.
struct Message {
    seq: u64,
    event_type: String,
    msg_id: String,
    body: Vec<u8>,
}

/// The payload of a `webhook_redeliver` job for one logged event.
pub fn redeliver_payload(endpoint: Uuid, stream: &str, id: Uuid, seq: i64) -> Value {
    json!({ "endpoint": endpoint, "stream": stream, "id": id, "seq": seq })
}

fn bad_payload(e: impl std::fmt::Display) -> JobError {
    JobError::Permanent(format!("not a webhook job: {e}"))
}

/// Run a `webhook` job. Only a payload that does not parse is a
/// permanent failure: anything else the database says is retried, so a
/// stream is never left behind by a dead job (and an enqueue brings a dead
/// one back; see `storage::webhooks`).
pub async fn stream(state: &AppState, job: &ClaimedJob) -> Result<(), JobError> {
    let StreamJob {
        endpoint,
        stream,
        id,
    } = serde_json::from_value(job.payload.clone()).map_err(bad_payload)?;
    let stream = Stream::from_name(&stream).ok_or_else(|| bad_payload(&stream))?;
    run_stream(state, job.id, endpoint, stream, id)
        .await
        .map_err(|e| match e {
            JobError::Permanent(why) => JobError::Retry(why),
            other => other,
        })
}

async fn run_stream(
    state: &AppState,
    job: i64,
    endpoint: Uuid,
    stream: Stream,
    id: Uuid,
) -> Result<(), JobError> {
    let db = &state.db;
    let settings = &state.settings.webhooks;
    let began = Instant::now();
    loop {
        let Some((endpoint, cursor)) = db.webhook_stream(endpoint, stream, id).await? else {
            return Ok(());
        };
        if !endpoint.enabled {
            return Ok(());
        }
        let mut failed = cursor.head_attempts;
        let messages = read(
            state,
            &endpoint,
            stream,
            id,
            cursor.delivered_seq,
            PAGE,
            true,
        )
        .await?;
        let full = messages.len() >= PAGE as usize;
        // Events skipped for their type, not yet recorded as passed.
        let mut skipped = None;
        for message in messages {
            if began.elapsed() > RUN_BUDGET {
                break;
            }
            if !endpoint.wants(&message.event_type) {
                skipped = Some(message.seq);
                continue;
            }
            let (delivery, sent) = send(
                state,
                &endpoint,
                stream,
                id,
                &message,
                failed + 1,
                "scheduled",
            )
            .await;
            let error = match sent {
                Ok(()) => {
                    db.webhook_done(&delivery).await?;
                    failed = 0;
                    skipped = None;
                    continue;
                }
                Err(error) => error,
            };
            let failing_for;
            (failed, failing_for) = db.webhook_failed(&delivery).await?;
            if failing_for >= settings.disable_after {
                disable(state, &endpoint, failing_for).await?;
                return Ok(());
            }
            let Some(after) = next_retry(&settings.schedule, failed) else {
                tracing::warn!(
                    endpoint = %endpoint.id, msg_id = %message.msg_id, attempts = failed,
                    "webhook given up after its schedule"
                );
                db.skip_webhook_events(endpoint.id, stream, id, message.seq)
                    .await?;
                failed = 0;
                continue;
            };
            if let Some(seq) = skipped {
                db.skip_webhook_events(endpoint.id, stream, id, seq).await?;
            }
            return Err(JobError::RetryIn {
                error: format!("{} (seq {}): {error}", message.msg_id, message.seq),
                after,
            });
        }
        if let Some(seq) = skipped {
            db.skip_webhook_events(endpoint.id, stream, id, seq).await?;
        }
        // Out of time: queued again at once when this run ends, to go on.
        if began.elapsed() > RUN_BUDGET {
            db.run_job_again(job).await?;
            return Ok(());
        }
        // A page not full is the end: events committed since the read set
        // this job's `again`, so it runs once more for them.
        if !full {
            return Ok(());
        }
    }
}

/// Run a `webhook_redeliver` job.
pub async fn redeliver(state: &AppState, job: &ClaimedJob) -> Result<(), JobError> {
    let RedeliverJob {
        endpoint,
        stream,
        id,
        seq,
    } = serde_json::from_value(job.payload.clone()).map_err(bad_payload)?;
    let stream = Stream::from_name(&stream).ok_or_else(|| bad_payload(&stream))?;
    let Some(endpoint) = state.db.webhook_endpoint(None, endpoint).await? else {
        return Ok(());
    };
    let mut messages = read(
        state,
        &endpoint,
        stream,
        id,
        seq.saturating_sub(1),
        1,
        false,
    )
    .await?;
    let Some(message) = messages.pop().filter(|m| m.seq == seq) else {
        return Err(JobError::Permanent(format!(
            "{stream:?} {id} has no event {seq}"
        )));
    };
    let attempt = u32::try_from(job.attempt).unwrap_or(1);
    let (delivery, sent) = send(state, &endpoint, stream, id, &message, attempt, "redeliver").await;
    state.db.record_webhook_delivery(&delivery).await?;
    sent.map_err(JobError::Retry)
}

/// Up to `limit` events of the stream after `after`, rendered — only
/// those `endpoint` asks for when `filtered` (the others keep their seq and
/// type, with no body).
async fn read(
    state: &AppState,
    endpoint: &WebhookEndpoint,
    stream: Stream,
    id: Uuid,
    after: u64,
    limit: u32,
    filtered: bool,
) -> Result<Vec<Message>, JobError> {
    // (seq, at, by, command id, event) of either log.
    let records: Vec<(u64, i64, Uuid, Option<String>, Value)> = match stream {
        Stream::Board => state
            .db
            .board_events(BoardId(id), after, limit)
            .await?
            .into_iter()
            .map(|r| (r.seq, r.at.0, r.by.0, r.command_id, to_json(&r.event)))
            .collect(),
        Stream::Org => state
            .db
            .org_events(OrgId(id), after, limit)
            .await?
            .into_iter()
            .map(|r| (r.seq, r.at.0, r.by.0, r.command_id, to_json(&r.event)))
            .collect(),
    };
    Ok(records
        .into_iter()
        .map(|(seq, at, by, command_id, event)| {
            let tag = event
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            let event_type = event_type(stream, tag);
            let msg_id = format!("msg_{}_{}_{seq}", stream.name(), id.simple());
            if filtered && !endpoint.wants(&event_type) {
                return Message {
                    seq,
                    event_type,
                    msg_id,
                    body: Vec::new(),
                };
            }
            let mut data = json!({
                "org": endpoint.org.0, "seq": seq, "at": at, "by": by,
                "command_id": command_id, "event": event,
            });
            if stream == Stream::Board {
                data["board"] = json!(id);
            }
            // The Standard Webhooks body: `{"type", "timestamp", "data"}`.
            let body = json!({ "type": event_type, "timestamp": rfc3339(at), "data": data });
            Message {
                seq,
                msg_id,
                event_type,
                body: serde_json::to_vec(&body).unwrap_or_default(),
            }
        })
        .collect())
}

fn to_json(event: &impl serde::Serialize) -> Value {
    serde_json::to_value(event).unwrap_or_default()
}

/// Send `message` once: the attempt for the log, and whether the endpoint
/// took it (`Err(why)` when not).
async fn send(
    state: &AppState,
    endpoint: &WebhookEndpoint,
    stream: Stream,
    id: Uuid,
    message: &Message,
    attempt: u32,
    trigger: &'static str,
) -> (NewDelivery, Result<(), String>) {
    let began = Instant::now();
    let allow_private = state.settings.webhooks.allow_private;
    let (status, response, error) =
        match attempt_once(state, endpoint, message, allow_private).await {
            Ok((status, excerpt)) => {
                let error = (!(200..300).contains(&status)).then(|| format!("answered {status}"));
                (Some(status), Some(excerpt), error)
            }
            Err(e) => (None, None, Some(e)),
        };
    let delivery = NewDelivery {
        endpoint: endpoint.id,
        msg_id: message.msg_id.clone(),
        stream,
        stream_id: id,
        seq: message.seq,
        event_type: message.event_type.clone(),
        attempt,
        trigger,
        status,
        ok: error.is_none(),
        latency: began.elapsed(),
        response,
        error: error.clone(),
    };
    (delivery, error.map_or(Ok(()), Err))
}

/// One request: the status and the start of the body, or why none came.
async fn attempt_once(
    state: &AppState,
    endpoint: &WebhookEndpoint,
    message: &Message,
    allow_private: bool,
) -> Result<(u16, String), String> {
    let url = super::guard::parse_url(&endpoint.url).map_err(|e| format!("the URL {e}"))?;
    check_destination(&url, allow_private).await?;
    let timestamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let mut secrets = vec![endpoint.secret.as_str()];
    secrets.extend(endpoint.previous_secret.as_deref());
    let mut response = state
        .webhooks
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &message.msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header(
            "webhook-signature",
            signature(&secrets, &message.msg_id, timestamp, &message.body),
        )
        .body(message.body.clone())
        .send()
        .await
        .map_err(|e| describe(&e))?;
    let status = response.status().as_u16();
    let mut excerpt = Vec::new();
    while excerpt.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => excerpt.extend_from_slice(chunk.as_ref()),
            _ => break,
        }
    }
    excerpt.truncate(EXCERPT_BYTES);
    Ok((status, text_safe(&String::from_utf8_lossy(&excerpt))))
}

/// `text` as PostgreSQL `text` can hold it: NUL replaced.
fn text_safe(text: &str) -> String {
    text.replace('\0', "\u{FFFD}")
}

/// A transport error in words, with its causes.
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Disable `endpoint` and mail its organization's admins.
async fn disable(
    state: &AppState,
    endpoint: &WebhookEndpoint,
    failing_for: Duration,
) -> Result<(), JobError> {
    let hours = failing_for.as_secs() / 3600;
    let reason = if hours >= 1 {
        format!("every delivery failed for {hours} hours")
    } else {
        format!(
            "every delivery failed for {} seconds",
            failing_for.as_secs()
        )
    };
    if !state
        .db
        .disable_webhook_endpoint(endpoint.id, &reason)
        .await?
    {
        return Ok(());
    }
    tracing::warn!(endpoint = %endpoint.id, org_id = %endpoint.org, %reason, "webhook endpoint disabled");
    let Some(org) = state.db.org(endpoint.org).await? else {
        return Ok(());
    };
    let mails: Vec<storage::jobs::NewJob> = state
        .db
        .org_admin_addresses(endpoint.org)
        .await?
        .into_iter()
        .map(|(to, name)| {
            crate::jobs::mail_job(&Mail::WebhookDisabled {
                to,
                name,
                org_name: org.name.clone(),
                org_key: org.key.clone(),
                url: endpoint.url.clone(),
                reason: reason.clone(),
            })
        })
        .collect();
    state.db.enqueue_all(&mails).await?;
    Ok(())
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` for unix ms `at`.
fn rfc3339(at: i64) -> String {
    let at = u64::try_from(at).unwrap_or(0);
    let stamp = crate::mail::utc_stamp(UNIX_EPOCH + Duration::from_millis(at));
    // `YYYYMMDDTHHMMSS.mmmZ` → `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    format!(
        "{}-{}-{}T{}:{}:{}",
        &stamp[0..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13],
        &stamp[13..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_614_265_330_123), "2021-02-25T15:02:10.123Z");
    }
}
