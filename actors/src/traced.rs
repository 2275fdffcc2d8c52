//! The caller's tracing span travels with each message, so what an actor
//! logs while handling a request carries that request's fields (its
//! `request_id`, say) even though it runs on another thread, later.
//!
//! The registry captures `Span::current()` when it queues a message
//! (`mailbox::Queued`); the handler runs inside it, and the futures a
//! handler leaves behind (`AtomicResponse`, `ctx.spawn`) are wrapped in
//! [`in_current_span`] so every poll re-enters it. A `Span` clone is a
//! reference-count bump, and a disabled span (no subscriber interested) is
//! a no-op to enter.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix::fut::{ActorFuture, LocalBoxActorFuture};
use actix::Actor;
use tracing::Span;

/// An actor future that polls its inner future inside `span`.
pub(crate) struct InSpan<A: Actor, T> {
    span: Span,
    fut: LocalBoxActorFuture<A, T>,
}

impl<A: Actor, T> ActorFuture<A> for InSpan<A, T> {
    type Output = T;

    fn poll(
        self: Pin<&mut Self>,
        act: &mut A,
        ctx: &mut A::Context,
        task: &mut Context<'_>,
    ) -> Poll<T> {
        // Both fields are `Unpin` (a `Span` and a boxed future).
        let this = self.get_mut();
        let _entered = this.span.enter();
        this.fut.as_mut().poll(act, ctx, task)
    }
}

/// `fut`, polled inside the span that is current now (the one of the
/// request being handled).
pub(crate) fn in_current_span<A, F>(fut: F) -> InSpan<A, F::Output>
where
    A: Actor,
    F: ActorFuture<A> + 'static,
{
    InSpan {
        span: Span::current(),
        fut: Box::pin(fut),
    }
}
