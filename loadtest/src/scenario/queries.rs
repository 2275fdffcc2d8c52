//! `queries`: seed one organization with `--items` items (titles and
//! descriptions drawn from a small word list, so searches hit many items)
//! over `--boards` boards through WebSocket commands, then time the REST
//! read models: listing 1,000 items (five pages of 200 with the cursor)
//! and full-text searches.

use std::time::Instant;

use anyhow::{bail, Context};
use futures_util::future::try_join_all;
use protocol::OrgId;

use super::{create_item, fill, FILL_WINDOW};
use crate::api::Api;
use crate::args::Args;
use crate::report::Report;
use crate::stats::Histogram;
use crate::ws::Target;

/// Pause between seeding and measuring, for autovacuum's ANALYZE.
const SETTLE_AFTER_SEED: std::time::Duration = std::time::Duration::from_secs(20);

/// Items when `--items` is not given.
const DEFAULT_ITEMS: usize = 100_000;
/// Boards when `--boards` is not given.
const DEFAULT_BOARDS: usize = 100;
/// Seeding sessions when `--connections` is not given.
const DEFAULT_CONNECTIONS: usize = 16;
/// Measured repetitions when `--rounds` is not given.
const DEFAULT_ROUNDS: usize = 50;
/// Items listed per measured list (`ITEMS_PAGE_MAX` pages of the server).
const LIST_ITEMS: usize = 1000;
/// Page size of the list (the server's maximum).
const PAGE: usize = 200;
/// Words of titles and descriptions.
const WORDS: &[&str] = &[
    "login",
    "payment",
    "checkout",
    "dashboard",
    "export",
    "report",
    "onboarding",
    "email",
    "search",
    "mobile",
    "android",
    "ios",
    "invoice",
    "billing",
    "account",
    "settings",
    "profile",
    "upload",
    "image",
    "timeout",
    "crash",
    "slow",
    "page",
    "button",
    "layout",
    "api",
    "webhook",
    "database",
    "migration",
    "cache",
    "token",
    "session",
    "password",
    "reset",
    "notification",
    "calendar",
    "filter",
    "sort",
    "permissions",
    "audit",
];
/// Search queries: single words and two-word queries.
const TERMS: &[&str] = &[
    "login",
    "payment",
    "checkout crash",
    "dashboard export",
    "onboarding email",
    "timeout",
];

/// A deterministic pseudo-random number for item `n`, draw `k`.
fn mix(n: u64, k: u64) -> u64 {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ k.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 29)
}

fn words(n: usize, salt: u64, count: u64) -> String {
    (0..count)
        .map(|k| WORDS[(mix(n as u64, salt + k) % WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Time listing `LIST_ITEMS` items page by page; each page goes to `pages`.
async fn list(api: &Api, org: OrgId, pages: &Histogram) -> anyhow::Result<std::time::Duration> {
    let started = Instant::now();
    let (mut got, mut cursor) = (0, None::<String>);
    while got < LIST_ITEMS {
        let mut path = format!("/api/v1/orgs/{}/items?limit={PAGE}", org.0);
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let asked = Instant::now();
        let page = api.get(&path).await?;
        pages.record_duration(asked.elapsed());
        got += page["items"].as_array().context("list: no items")?.len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None if got < LIST_ITEMS => bail!("list ended after {got} items"),
            None => {}
        }
    }
    Ok(started.elapsed())
}

/// Run the scenario (the rounds stop early at `--duration`).
pub async fn run(args: &Args) -> anyhow::Result<Report> {
    let items = Args::or(args.items, DEFAULT_ITEMS);
    let n_boards = Args::or(args.boards, DEFAULT_BOARDS);
    let connections = Args::or(args.connections, DEFAULT_CONNECTIONS);
    let rounds = Args::or(args.rounds, DEFAULT_ROUNDS);
    let window = Args::or(args.window, FILL_WINDOW);
    let api = Api::login_new_user(&args.url).await?;
    let org = api.create_org().await?;
    let boards = api.create_boards(org, n_boards).await?;
    let target = Target::new(&args.url, args.format, &api.token, connections)?;
    let fill_acks = Histogram::default();
    let started = Instant::now();
    let per_conn = items.div_ceil(connections);
    try_join_all((0..connections).map(|c| {
        let count = per_conn.min(items.saturating_sub(c * per_conn));
        let (boards, fill_acks, target) = (&boards, &fill_acks, &target);
        async move {
            fill(target, c, count, window, fill_acks, |n| {
                let item = c * per_conn + n;
                let title = words(item, 0, 3 + mix(item as u64, 99) % 4);
                let description = words(item, 10, 8 + mix(item as u64, 98) % 12);
                (boards[item % boards.len()], create_item(title, description))
            })
            .await
        }
    }))
    .await?;
    let seed_secs = started.elapsed().as_secs_f64();
    println!("seeded {items} items in {seed_secs:.1} s");
    // Measure the steady state: give autovacuum time to ANALYZE the
    // freshly loaded tables (the managed PostgreSQL looks every 5 s), or
    // the planner still takes them for small ones.
    println!("waiting {} s for statistics", SETTLE_AFTER_SEED.as_secs());
    tokio::time::sleep(SETTLE_AFTER_SEED).await;

    let (pages, lists, searches) = (
        Histogram::default(),
        Histogram::default(),
        Histogram::default(),
    );
    let mut hits = Vec::new();
    list(&api, org, &Histogram::default()).await?; // warm-up, not measured
    let measuring = Instant::now();
    for round in 0..rounds {
        if round > 0 && measuring.elapsed() > args.duration {
            break;
        }
        lists.record_duration(list(&api, org, &pages).await?);
        for term in TERMS {
            let q = term.replace(' ', "%20");
            let asked = Instant::now();
            let found = api
                .get(&format!("/api/v1/orgs/{}/search?q={q}", org.0))
                .await?;
            searches.record_duration(asked.elapsed());
            if round == 0 {
                hits.push(found["items"].as_array().map_or(0, Vec::len));
            }
        }
    }
    let mut report = Report::new("queries", args.format);
    report.figure("items", items as f64, "in one organization");
    report.figure("boards", n_boards as f64, "");
    report.figure("seed_items_per_s", items as f64 / seed_secs, "/s");
    report.note("list_1000_items = GET /orgs/{org}/items?limit=200, following next_cursor, until 1,000 items: 5 sequential requests, timed together");
    report.latency("list_1000_items", &lists);
    report.latency("list_page_200", &pages);
    report.note("search = GET /orgs/{org}/search?q=<term> (default limit 20), terms cycled");
    report.value("search_terms", serde_json::json!(TERMS));
    report.value("search_hits_first_round", serde_json::json!(hits));
    report.latency("search", &searches);
    Ok(report)
}
