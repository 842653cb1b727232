//! The embedded store: one SQLite file in the data directory, migrated at start-up.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// Schema migrations, applied in order. `PRAGMA user_version` records how many have run, so each
/// runs exactly once per database file. Append only: never edit one that has shipped.
const MIGRATIONS: &[&str] = &[
    // 1: facts about this installation.
    "CREATE TABLE server_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
     INSERT INTO server_meta (key, value) VALUES ('created_at', datetime('now'));",
    // 2: the result cache (see `cache.rs`). `payload` is a `CachedRun` as JSON and `digest` its
    // SHA-256, so a damaged row is noticed and dropped rather than served; `fingerprint` is what
    // a second run must reproduce to confirm a candidate; `bytes` and `used_at` drive the
    // least-recently-used eviction.
    "CREATE TABLE result_cache (
         key TEXT PRIMARY KEY,
         state TEXT NOT NULL CHECK (state IN ('candidate', 'confirmed', 'varies')),
         payload BLOB NOT NULL,
         digest TEXT NOT NULL,
         fingerprint TEXT NOT NULL,
         bytes INTEGER NOT NULL,
         ran_at INTEGER NOT NULL,
         used_at INTEGER NOT NULL
     ) STRICT;
     CREATE INDEX result_cache_by_use ON result_cache (used_at);",
];

/// The schema version a database has once this server has migrated it.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory `{}`: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database `{}`: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("migration {number} failed: {source}")]
    Migration {
        number: usize,
        source: rusqlite::Error,
    },
    #[error(
        "the database is at schema version {found}, newer than this server knows ({known}): upgrade the server or use another RMP_DATA_DIR"
    )]
    TooNew { found: u32, known: u32 },
    #[error("database query failed: {0}")]
    Query(#[from] rusqlite::Error),
    #[error("database worker stopped: {0}")]
    Worker(String),
}

/// A handle to the SQLite database. Queries run on tokio's blocking pool.
#[derive(Debug)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) `data_dir/rmp.sqlite3` and applies pending migrations.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateDir {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join("rmp.sqlite3");
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = Connection::open(&path).map_err(open_err)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(open_err)?;
        migrate(&mut conn)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many migrations the database has had.
    pub async fn schema_version(&self) -> Result<u32, StoreError> {
        self.with_conn(|conn| Ok(user_version(conn)?)).await
    }

    /// Runs `f` with the connection on the blocking pool.
    pub(crate) async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let conn = conn
                .lock()
                .map_err(|_| StoreError::Worker("a previous query panicked".into()))?;
            f(&conn)
        })
        .await
        .map_err(|e| StoreError::Worker(e.to_string()))?
    }
}

fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as u32;
    let found = user_version(conn)?;
    if found > known {
        return Err(StoreError::TooNew { found, known });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let number = index + 1;
        let failed = |source| StoreError::Migration { number, source };
        let tx = conn.transaction().map_err(failed)?;
        tx.execute_batch(sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", number as u32)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
        tracing::info!(number, "applied store migration");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn creates_the_file_and_migrates_once() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let store = Store::open(&data).unwrap();
        assert!(store.path().is_file());
        assert_eq!(
            store.schema_version().await.unwrap(),
            MIGRATIONS.len() as u32
        );
        drop(store);

        // Re-opening must not re-run migration 1 (its INSERT would violate the primary key).
        let again = Store::open(&data).unwrap();
        let rows: u32 = again
            .with_conn(|c| Ok(c.query_row("SELECT count(*) FROM server_meta", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn a_newer_database_is_refused_with_advice() {
        let dir = tempfile::tempdir().unwrap();
        let conn = Connection::open(dir.path().join("rmp.sqlite3")).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        drop(conn);
        let err = Store::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("schema version 99"), "{err}");
    }
}
