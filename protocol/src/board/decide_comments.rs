//! The comment half of `decide`: add, edit and delete comments on items.
//! Dispatch and the check order are documented in `decide.rs`; after the
//! body, the comment (or item) must exist, the actor must be the comment's
//! author, and its item must not be archived.
//!
//! The board keeps only each comment's item and author
//! ([`CommentMeta`](super::CommentMeta)), not its text, so an edit that
//! repeats the current text cannot be told apart and is recorded.

use super::limits::COMMENTS_MAX;
use super::validate::{self, as_u32, invalid};
use super::{Board, CommentMeta, Ctx, Event, Rejection};
use crate::ids::{CommentId, ItemId};

impl Board {
    /// The comment, if it exists, was written by the actor and its item is
    /// not archived.
    fn own_comment(&self, ctx: &Ctx, comment: CommentId) -> Result<&CommentMeta, Rejection> {
        let meta = self
            .comments
            .get(&comment)
            .ok_or(Rejection::CommentNotFound { comment })?;
        if meta.author != ctx.actor {
            return Err(Rejection::NotCommentAuthor { comment });
        }
        self.commentable(meta.item)?;
        Ok(meta)
    }

    /// Refuses comments on a missing or archived item.
    fn commentable(&self, item: ItemId) -> Result<(), Rejection> {
        let found = self
            .items
            .get(&item)
            .ok_or(Rejection::ItemNotFound { item })?;
        if found.archived {
            return Err(Rejection::ItemArchived { item });
        }
        Ok(())
    }

    pub(super) fn add_comment(
        &self,
        ctx: &Ctx,
        item: ItemId,
        body: &str,
    ) -> Result<Event, Rejection> {
        let body = validate::comment_body(body)?;
        self.commentable(item)?;
        let comment = CommentId(ctx.new_id);
        if self.comments.contains_key(&comment) {
            return Err(invalid("id", "the new comment id is already in use"));
        }
        if self.comments.len() >= COMMENTS_MAX {
            return Err(invalid(
                "comments",
                format!("at most {} per board", as_u32(COMMENTS_MAX)),
            ));
        }
        Ok(Event::CommentAdded {
            comment,
            item,
            body,
        })
    }

    pub(super) fn edit_comment(
        &self,
        ctx: &Ctx,
        comment: CommentId,
        body: &str,
    ) -> Result<Event, Rejection> {
        let body = validate::comment_body(body)?;
        self.own_comment(ctx, comment)?;
        Ok(Event::CommentEdited { comment, body })
    }

    pub(super) fn delete_comment(&self, ctx: &Ctx, comment: CommentId) -> Result<Event, Rejection> {
        self.own_comment(ctx, comment)?;
        Ok(Event::CommentDeleted { comment })
    }
}
