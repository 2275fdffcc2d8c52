//! The writing half of a WebSocket: drains the session's bounded outbound
//! queue into the socket. When the queue overflowed (a slow consumer), it
//! closes the socket with `CLOSE_SLOW_CONSUMER` instead of writing more.

use std::sync::Arc;

use actix_ws::{CloseCode, CloseReason, Session};
use actors::{OutFrame, Overflow, CLOSE_SLOW_CONSUMER};
use tokio::sync::mpsc;

fn reason(code: u16, description: &str) -> CloseReason {
    CloseReason {
        code: CloseCode::from(code),
        description: Some(description.to_owned()),
    }
}

/// Write frames until the queue closes, a close frame is sent, the socket
/// fails, or the queue overflows.
pub async fn run(mut session: Session, mut rx: mpsc::Receiver<OutFrame>, overflow: Arc<Overflow>) {
    loop {
        let frame = tokio::select! {
            biased;
            _ = overflow.wait() => {
                let _ = session
                    .close(Some(reason(CLOSE_SLOW_CONSUMER, "slow consumer: outbound queue overflowed; reconnect and resubscribe with since")))
                    .await;
                return;
            }
            frame = rx.recv() => frame,
        };
        if let Some(frame) = &frame {
            overflow.dequeued(frame);
        }
        let sent = match frame {
            Some(OutFrame::Batch(frames)) => write_all(&mut session, frames).await,
            Some(OutFrame::Text(text)) => session.text(text).await,
            Some(OutFrame::Binary(bytes)) => session.binary(bytes).await,
            Some(OutFrame::Ping) => session.ping(b"").await,
            Some(OutFrame::Close { code, reason: why }) => {
                let _ = session.close(Some(reason(code, &why))).await;
                return;
            }
            None => {
                let _ = session.close(None).await;
                return;
            }
        };
        if sent.is_err() {
            return;
        }
    }
}

/// Write the data frames of a batch in order.
async fn write_all(session: &mut Session, frames: Vec<OutFrame>) -> Result<(), actix_ws::Closed> {
    for frame in frames {
        match frame {
            OutFrame::Text(text) => session.text(text).await?,
            OutFrame::Binary(bytes) => session.binary(bytes).await?,
            // Batches hold catch-up data frames only.
            OutFrame::Batch(_) | OutFrame::Ping | OutFrame::Close { .. } => {}
        }
    }
    Ok(())
}
