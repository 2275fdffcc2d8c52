use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use storage::{Db, LocalPostgres};

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "corkboard-localpg-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2).map(|uid| uid == "0"))
        .unwrap()
}

async fn count_rows(url: &str) -> i64 {
    let db = Db::connect(url, 1).await.unwrap();
    let client = db.pool().get().await.unwrap();
    client
        .batch_execute("CREATE TABLE IF NOT EXISTS marks (n int)")
        .await
        .unwrap();
    client
        .execute("INSERT INTO marks VALUES (1)", &[])
        .await
        .unwrap();
    client
        .query_one("SELECT count(*) FROM marks", &[])
        .await
        .unwrap()
        .get(0)
}

/// Starts a cluster on a thread (start blocks), like `main` does before
/// its runtime serves requests.
async fn start(data: &Path) -> LocalPostgres {
    let data = data.to_path_buf();
    tokio::task::spawn_blocking(move || LocalPostgres::start(&data))
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn local_postgres_starts_stops_restarts_and_reuses_a_running_server() {
    let scratch = Scratch::new();
    let data = scratch.0.join("data");

    let mut pg = start(&data).await;
    assert!(pg.cluster_dir().starts_with(&data));
    assert!(pg.url().contains("dbname=corkboard"));
    assert_eq!(count_rows(&pg.url()).await, 1);
    let mode = std::fs::metadata(pg.cluster_dir())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    pg.stop();
    assert!(
        Db::connect(&pg.url(), 1).await.is_err(),
        "stopped means stopped"
    );

    // Restart on the same data directory: the data is still there.
    let pg = start(&data).await;
    assert_eq!(count_rows(&pg.url()).await, 2);

    // A previous process that died without stopping its server (SIGKILL):
    // the next start reuses the running postmaster.
    std::mem::forget(pg);
    let mut pg = start(&data).await;
    assert_eq!(count_rows(&pg.url()).await, 3);
    pg.stop();
}

#[tokio::test]
async fn long_or_private_data_dirs_get_a_socket_and_cluster_elsewhere() {
    let scratch = Scratch::new();
    // Too long for a unix socket path below it.
    let long = scratch.0.join("d".repeat(100));
    let pg = start(&long).await;
    assert!(
        pg.socket_dir().starts_with(std::env::temp_dir()),
        "{:?}",
        pg.socket_dir()
    );
    assert_eq!(count_rows(&pg.url()).await, 1);
    let socket_dir = pg.socket_dir().to_path_buf();
    drop(pg);
    let _ = std::fs::remove_dir_all(socket_dir);

    if is_root() {
        // The postgres user cannot traverse a root-only directory.
        let private = scratch.0.join("private");
        std::fs::create_dir(&private).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
        let data = private.join("data");
        let pg = start(&data).await;
        let cluster = pg.cluster_dir().to_path_buf();
        assert!(cluster.starts_with("/var/lib/corkboard"), "{cluster:?}");
        assert_eq!(count_rows(&pg.url()).await, 1);
        drop(pg);
        let _ = std::fs::remove_dir_all(cluster.parent().unwrap());
    }
}
