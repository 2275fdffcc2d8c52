//! The answers a session still owes: one future per command in flight,
//! each polled only when its own answer arrives.
//!
//! A future spawned on the session actor's context (`ctx.spawn`) is
//! polled at every wake-up of the session, whatever woke it. With 64
//! commands in flight, each answer cost 64 polls: about 3 µs of server CPU
//! per command over 1,000 boards (issue 19). Here they wait in one
//! `FuturesUnordered`, which wakes only the future whose answer came, and
//! one actor future ([`AnswerPump`]) sends what is ready. They go with the
//! session: a closed session's commands are dropped unanswered, as before
//! (a board skips a command whose caller is gone while it waited).

use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use actix::prelude::*;
use futures_util::future::LocalBoxFuture;
use futures_util::stream::{FuturesUnordered, StreamExt};
use protocol::ServerMsg;

use super::WsSession;

/// The commands in flight, each a future of its answer.
#[derive(Default)]
pub(super) struct Answers {
    /// Made at the session's first command, with the pump: an idle
    /// session pays for neither.
    pending: Option<FuturesUnordered<LocalBoxFuture<'static, ServerMsg>>>,
    /// The session's own waker, from the pump's last poll.
    waker: Option<Waker>,
}

impl WsSession {
    /// Owe the answer `answer` will give.
    pub(super) fn owe(
        &mut self,
        answer: LocalBoxFuture<'static, ServerMsg>,
        ctx: &mut Context<WsSession>,
    ) {
        let pending = self.answers.pending.get_or_insert_with(|| {
            ctx.spawn(AnswerPump);
            FuturesUnordered::new()
        });
        pending.push(answer);
        // A future pushed is first polled by the next `poll_next`: now,
        // so its wakers are set (the pump may have run already in this
        // turn of the session).
        self.send_answers();
    }

    /// Send every answer that is ready.
    fn send_answers(&mut self) {
        let (Some(waker), Some(pending)) = (&self.answers.waker, &mut self.answers.pending) else {
            // No command yet, or the pump has not run yet: it will, and
            // it polls them.
            return;
        };
        let mut task = TaskContext::from_waker(waker);
        while let Poll::Ready(Some(reply)) = pending.poll_next_unpin(&mut task) {
            let _ = self.outbox.send(&reply);
        }
    }
}

/// Sends the answers as they become ready; spawned at a session's first
/// command, it never finishes (it goes with the session).
struct AnswerPump;

impl ActorFuture<WsSession> for AnswerPump {
    type Output = ();

    fn poll(
        self: Pin<&mut Self>,
        act: &mut WsSession,
        _: &mut Context<WsSession>,
        task: &mut TaskContext<'_>,
    ) -> Poll<()> {
        let current = task.waker();
        if !act
            .answers
            .waker
            .as_ref()
            .is_some_and(|w| w.will_wake(current))
        {
            act.answers.waker = Some(current.clone());
        }
        act.send_answers();
        Poll::Pending
    }
}
