use storage::{Db, TestDb};

#[tokio::test]
async fn migrations_are_idempotent_and_recorded_once() {
    let test_db = TestDb::new().await;
    let db = Db::connect(&test_db.url, 4).await.unwrap();
    db.migrate().await.unwrap();
    db.migrate().await.unwrap();

    // Two processes starting at once: the advisory lock serializes them.
    let other = Db::connect(&test_db.url, 4).await.unwrap();
    let (a, b) = tokio::join!(db.migrate(), other.migrate());
    a.unwrap();
    b.unwrap();

    let client = db.pool().get().await.unwrap();
    let versions: Vec<i64> = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    // Every file in migrations/ is registered, and applied exactly once.
    let mut files: Vec<i64> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.get(..4)?.parse().ok())
        .collect();
    files.sort_unstable();
    assert_eq!(versions, files);
    db.ping().await.unwrap();
    assert!(db.pool_status().max_size >= 1);
}

#[tokio::test]
async fn an_unreachable_database_is_an_error_within_seconds() {
    let started = std::time::Instant::now();
    let result = Db::connect("host=/nonexistent-corkboard-socket user=x dbname=x", 2).await;
    assert!(
        matches!(result, Err(storage::DbError::Unavailable(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
