//! Revoking a login session, or removing a member, on one node reaches
//! that user's sockets on the others within a second.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::client::{unique, Ws};
use crate::deployment::Deployment;
use crate::harness::Engine;

/// How soon another node's sockets must learn of it.
const WITHIN: Duration = Duration::from_secs(1);

pub async fn revocations_and_removals_reach_sockets_on_other_nodes(engine: Engine) {
    let deployment = Deployment::start(engine).await;
    let (owner_api, api_b, api_c) = (deployment.node(0), deployment.node(1), deployment.node(2));
    let (owner_email, key) = unique("owner");
    let (owner, _, _) = owner_api.register(&owner_email).await;
    let (org, board) = owner_api.org_with_board(&owner, &key).await;
    let (member_email, _) = unique("member");
    let (_, member_id, _) = api_b.register(&member_email).await;
    let (status, body) = owner_api
        .post(
            &owner,
            &format!("/api/v1/orgs/{org}/members"),
            json!({ "email": member_email, "role": "member" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    // Two login sessions of the member, each with a socket on another node.
    let (token_b, _, _) = api_b.login(&member_email).await;
    let (token_c, _, session_c) = api_c.login(&member_email).await;
    let mut on_b = Ws::connect(&api_b.ws_url(), &token_b).await.unwrap();
    on_b.subscribe(&board, None).await;
    let mut on_c = Ws::connect(&api_c.ws_url(), &token_c).await.unwrap();
    on_c.subscribe(&board, None).await;

    // Session c revoked on node 0: its socket on node 2 is closed.
    let revoked = Instant::now();
    let status = owner_api
        .delete(&token_b, &format!("/api/v1/auth/sessions/{session_c}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let code = loop {
        match on_c.next_within(WITHIN * 5).await {
            Some(Ok(_)) => {}
            Some(Err(code)) => break code,
            None => panic!("node 2 never closed the revoked session's socket"),
        }
    };
    let took = revoked.elapsed();
    println!("{engine:?}: revoked session's socket on another node closed ({code}) after {took:?}");
    assert_eq!(code, 1008);
    assert!(took <= WITHIN, "took {took:?}");

    // The member removed on node 0: node 1 ends their subscription.
    let removed = Instant::now();
    let status = owner_api
        .delete(&owner, &format!("/api/v1/orgs/{org}/members/{member_id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    loop {
        let msg = on_b
            .next_within(WITHIN * 5)
            .await
            .expect("node 1 never ended the removed member's subscription")
            .expect("the socket stays open");
        if msg["type"] == "unsubscribed" {
            assert_eq!(msg["reason"], "access_lost", "{msg}");
            break;
        }
    }
    let took = removed.elapsed();
    println!("{engine:?}: removed member's subscription on another node ended after {took:?}");
    assert!(took <= WITHIN, "took {took:?}");
    // And that node refuses them the board from now on.
    let (status, _) = api_b
        .get(&token_b, &format!("/api/v1/boards/{board}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
