//! Comments on items: minted ids, body rules, live items only, and only
//! the author may edit or delete.

use super::*;
use crate::board::CommentMeta;
use crate::codec;

fn add(item_n: u128, body: &str) -> Command {
    Command::AddComment {
        item: item(item_n),
        body: body.into(),
    }
}

fn edit(n: u128, body: &str) -> Command {
    Command::EditComment {
        comment: comment(n),
        body: body.into(),
    }
}

fn delete(n: u128) -> Command {
    Command::DeleteComment {
        comment: comment(n),
    }
}

/// `with_items` plus comment 1 on item 1, written by `author`.
fn commented_by(author: UserId) -> Given {
    let mut board = given(with_items());
    let rec = Recorded {
        board: BOARD,
        seq: board.board.seq + 1,
        at: Millis(500),
        by: author,
        command_id: None,
        event: Event::CommentAdded {
            comment: comment(1),
            item: item(1),
            body: "Why?".into(),
        },
    };
    board.board.apply(&rec);
    board
}

#[test]
fn add_comment_mints_an_id_and_keeps_the_body_as_written() {
    let mut board = given(with_items()).acting_as(Role::Member);
    let added = board.accepts(add(2, "  Done?\nAsk Ada.  "));
    let new_comment = CommentId(Uuid::from_u128(NEW));
    assert_eq!(
        added,
        Event::CommentAdded {
            comment: new_comment,
            item: item(2),
            body: "  Done?\nAsk Ada.  ".into(),
        }
    );
    let rec = board.board.record(&board.ctx(), None, vec![added]);
    let before = board.board.items.clone();
    board.board.apply(&rec[0]);
    assert_eq!(
        board.board.comments.get(&new_comment),
        Some(&CommentMeta {
            item: item(2),
            author: MEMBER,
        })
    );
    // The item itself does not change (not even its updated_at).
    assert_eq!(board.board.items, before);
}

#[test]
fn comment_bodies_are_checked() {
    let board = given(with_items());
    let rule = "must be 1–10000 characters, not only whitespace";
    for body in [String::new(), " \n\t".into(), "é".repeat(10_001)] {
        assert_eq!(board.when(add(1, &body)), Err(invalid("body", rule)));
        let board = commented_by(OWNER);
        assert_eq!(board.when(edit(1, &body)), Err(invalid("body", rule)));
    }
    assert_eq!(
        board.when(add(1, "a\0b")),
        Err(invalid("body", "must not contain NUL characters"))
    );
    // Characters, not bytes: 10,000 two-byte characters are fine.
    assert!(board.when(add(1, &"é".repeat(10_000))).is_ok());
}

#[test]
fn comments_need_an_existing_live_item() {
    let board = given(with_items());
    assert_eq!(
        board.when(add(9, "hello")),
        Err(Rejection::ItemNotFound { item: item(9) })
    );
    let board = given(plus(with_items(), [archived(1)]));
    assert_eq!(
        board.when(add(1, "hello")),
        Err(Rejection::ItemArchived { item: item(1) })
    );

    let mut board = commented_by(OWNER);
    let rec = recorded(board.board.seq + 1, archived(1));
    board.board.apply(&rec);
    for cmd in [edit(1, "again"), delete(1)] {
        assert_eq!(
            board.when(cmd),
            Err(Rejection::ItemArchived { item: item(1) })
        );
    }
}

#[test]
fn only_the_author_edits_or_deletes_a_comment() {
    let board = commented_by(MEMBER);
    for role in [Role::Owner, Role::Admin] {
        let someone_else = board.board.clone();
        let as_other = Given {
            board: someone_else,
            role,
            number: None,
            members: members(),
        };
        for cmd in [edit(1, "Because."), delete(1)] {
            assert_eq!(
                as_other.when(cmd),
                Err(Rejection::NotCommentAuthor {
                    comment: comment(1)
                })
            );
        }
    }
    let author = commented_by(MEMBER).acting_as(Role::Member);
    assert_eq!(
        author.accepts(edit(1, "Because.")),
        Event::CommentEdited {
            comment: comment(1),
            body: "Because.".into(),
        }
    );
    // Without bodies in the board, repeating the text is not `no_change`.
    assert!(author.when(edit(1, "Why?")).is_ok());
    assert_eq!(
        author.accepts(delete(1)),
        Event::CommentDeleted {
            comment: comment(1)
        }
    );
}

#[test]
fn viewers_cannot_comment() {
    let board = commented_by(VIEWER).acting_as(Role::Viewer);
    for (cmd, action) in [
        (add(1, "hi"), "add_comment"),
        (edit(1, "hi"), "edit_comment"),
        (delete(1), "delete_comment"),
    ] {
        assert_eq!(board.when(cmd), Err(forbidden(action)));
    }
}

#[test]
fn a_deleted_comment_is_gone() {
    let mut board = commented_by(OWNER);
    let rec = recorded(
        board.board.seq + 1,
        Event::CommentDeleted {
            comment: comment(1),
        },
    );
    board.board.apply(&rec);
    assert!(board.board.comments.is_empty());
    for cmd in [edit(1, "x"), delete(1), delete(2)] {
        let id = match &cmd {
            Command::EditComment { comment, .. } | Command::DeleteComment { comment } => *comment,
            _ => unreachable!(),
        };
        assert_eq!(
            board.when(cmd),
            Err(Rejection::CommentNotFound { comment: id })
        );
    }
}

#[test]
fn a_comment_on_an_unknown_item_is_ignored_by_apply() {
    let mut board = given(with_items());
    let rec = recorded(
        board.board.seq + 1,
        Event::CommentAdded {
            comment: comment(1),
            item: item(9),
            body: "lost".into(),
        },
    );
    board.board.apply(&rec);
    assert!(board.board.comments.is_empty());
    assert_eq!(board.board.seq, rec.seq);
}

#[test]
fn comment_metadata_survives_a_snapshot() {
    let board = commented_by(MEMBER).board;
    assert_eq!(board.comments.len(), 1);
    let bytes = codec::encode_board(&board);
    assert_eq!(codec::decode_board(&bytes).unwrap(), board);
    // The body stays out of the board.
    assert!(!bytes.windows(4).any(|w| w == b"Why?"));
}
