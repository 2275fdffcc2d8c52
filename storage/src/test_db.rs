//! Test support (feature `test-util`): a fresh database per test.
//!
//! With `DATABASE_URL` set, [`TestDb::new`] creates `test_<uuid>` on that
//! server (and drops it again when the `TestDb` is dropped). Otherwise it
//! creates the database on the throwaway cluster shared by the whole test
//! process ([`TestCluster::shared`], see `test_cluster.rs`).

use crate::local_pg::create_database_if_missing;
use crate::test_cluster::TestCluster;

/// A fresh, empty database (no migrations applied).
#[derive(Debug)]
pub struct TestDb {
    /// Connection string of this database.
    pub url: String,
    /// Its name, `test_<uuid>`.
    pub name: String,
    /// Set when the database lives on a `DATABASE_URL` server: dropped on drop.
    drop_from: Option<String>,
}

impl TestDb {
    /// A fresh database on `DATABASE_URL`, or on the shared throwaway
    /// cluster. Panics with the reason when none can be had.
    pub async fn new() -> TestDb {
        match TestDb::try_new().await {
            Ok(db) => db,
            Err(e) => panic!("cannot create a test database: {e:#}"),
        }
    }

    /// Like [`TestDb::new`], returning the error.
    ///
    /// # Errors
    /// When the server cannot be started or reached.
    pub async fn try_new() -> anyhow::Result<TestDb> {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => {
                let mut db = create_on(&url, &|name| with_dbname(&url, name)).await?;
                db.drop_from = Some(url);
                Ok(db)
            }
            _ => TestCluster::shared()?.create_database().await,
        }
    }

    /// The connection string of the server's `postgres` database (for
    /// creating more databases, or checking state from outside).
    pub fn url_for_server() -> anyhow::Result<String> {
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Ok(url),
            _ => Ok(TestCluster::shared()?.server_url()),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(server) = self.drop_from.take() else {
            // Throwaway clusters are deleted whole; nothing to clean.
            return;
        };
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Drop may run inside a runtime: use a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let (client, conn) =
                    tokio_postgres::connect(&server, tokio_postgres::NoTls).await?;
                tokio::spawn(conn);
                client.batch_execute(&sql).await
            })?;
            anyhow::Ok(())
        })
        .join();
    }
}

/// Creates a `test_<uuid>` database through `server_url`.
pub(crate) async fn create_on(
    server_url: &str,
    url_of: &dyn Fn(&str) -> String,
) -> anyhow::Result<TestDb> {
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    create_database_if_missing(server_url, &name).await?;
    Ok(TestDb {
        url: url_of(&name),
        name,
        drop_from: None,
    })
}

/// `url` pointing at database `name` instead; URL or key-value form.
fn with_dbname(url: &str, name: &str) -> String {
    let url = url.trim();
    for scheme in ["postgres://", "postgresql://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let (base, query) = match rest.split_once('?') {
                Some((base, query)) => (base, Some(query)),
                None => (rest, None),
            };
            let authority = base.split_once('/').map_or(base, |(a, _)| a);
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            return format!("{scheme}{authority}/{name}{query}");
        }
    }
    // Key-value form: a later keyword overrides an earlier one.
    format!("{url} dbname={name}")
}

#[cfg(test)]
mod tests {
    use super::with_dbname;

    #[test]
    fn dbname_is_replaced_in_urls_and_appended_to_key_values() {
        assert_eq!(
            with_dbname("postgres://u:p@localhost:5432/app?sslmode=disable", "t1"),
            "postgres://u:p@localhost:5432/t1?sslmode=disable"
        );
        assert_eq!(
            with_dbname("postgresql://localhost", "t1"),
            "postgresql://localhost/t1"
        );
        assert_eq!(
            with_dbname("host=/tmp user=x dbname=app", "t1"),
            "host=/tmp user=x dbname=app dbname=t1"
        );
    }
}
