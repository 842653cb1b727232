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
    // 2: shared code (`POST /api/shares`), by content-addressed id. `body` is the share's
    // canonical JSON, the very bytes its id hashes.
    "CREATE TABLE shares (
         id TEXT PRIMARY KEY,
         body TEXT NOT NULL,
         created_at TEXT NOT NULL DEFAULT (datetime('now'))
     ) STRICT;
     -- Who shared when, for the hourly limits; rows older than the window are deleted as new
     -- ones come, so addresses are kept for an hour at most.
     CREATE TABLE share_requests (
         address TEXT NOT NULL,
         browser TEXT,
         at INTEGER NOT NULL
     ) STRICT;
     CREATE INDEX share_requests_by_address ON share_requests (address, at);
     CREATE INDEX share_requests_by_browser ON share_requests (browser, at);",
    // 3: the result cache (see `cache.rs`). `payload` is a `CachedRun` as JSON and `digest` its
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

/// How many shares one client may make per window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareLimits {
    pub window_secs: i64,
    pub per_address: u32,
    pub per_browser: u32,
}

impl ShareLimits {
    /// Per hour: a student shares a handful of times; a classroom of 30 behind one address (a
    /// NAT) sharing a few times each stays under the address's limit.
    pub const HOURLY: ShareLimits = ShareLimits {
        window_secs: 3600,
        per_address: 200,
        per_browser: 30,
    };
}

/// Why a share request was not counted: which limit, and when it frees up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareRefusal {
    /// The browser's limit (else the address's) is reached.
    pub by_browser: bool,
    pub retry_after_secs: u64,
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
        // In WAL mode NORMAL may lose the last commits to a power cut; FULL syncs the log at
        // every commit, so a share the server acknowledged is on disk (issue 12: it survives
        // `kill -9` and more).
        conn.pragma_update(None, "synchronous", "FULL")
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

    /// Stores a share's canonical JSON under its id. Storing the same share again changes
    /// nothing; `Ok(false)` means the id already holds a *different* body (a hash collision).
    pub async fn put_share(&self, id: String, body: String) -> Result<bool, StoreError> {
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO shares (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO NOTHING",
                (&id, &body),
            )?;
            let stored: String =
                conn.query_row("SELECT body FROM shares WHERE id = ?1", [&id], |row| {
                    row.get(0)
                })?;
            Ok(stored == body)
        })
        .await
    }

    /// Counts a share request from `address` (and `browser`) at `now` (Unix seconds) if both
    /// are under `limits` within the last `limits.window_secs`; otherwise refuses it with the
    /// seconds until the oldest counted request leaves the window.
    pub async fn admit_share(
        &self,
        address: String,
        browser: Option<String>,
        now: i64,
        limits: ShareLimits,
    ) -> Result<Result<(), ShareRefusal>, StoreError> {
        self.with_conn(move |conn| {
            let tx = conn.unchecked_transaction()?;
            let since = now - limits.window_secs;
            tx.execute("DELETE FROM share_requests WHERE at <= ?1", [since])?;
            let over = |column: &str, value: &str, limit: u32| -> rusqlite::Result<Option<i64>> {
                let (count, oldest): (u32, Option<i64>) = tx.query_row(
                    &format!("SELECT count(*), min(at) FROM share_requests WHERE {column} = ?1"),
                    [value],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )?;
                Ok((count >= limit).then(|| oldest.unwrap_or(now)))
            };
            let refusal = |by_browser, oldest: i64| ShareRefusal {
                by_browser,
                retry_after_secs: (oldest + limits.window_secs - now).max(1) as u64,
            };
            if let Some(browser) = &browser
                && let Some(oldest) = over("browser", browser, limits.per_browser)?
            {
                return Ok(Err(refusal(true, oldest)));
            }
            if let Some(oldest) = over("address", &address, limits.per_address)? {
                return Ok(Err(refusal(false, oldest)));
            }
            tx.execute(
                "INSERT INTO share_requests (address, browser, at) VALUES (?1, ?2, ?3)",
                (&address, &browser, now),
            )?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    /// A share's canonical JSON, if the id names one.
    pub async fn share(&self, id: String) -> Result<Option<String>, StoreError> {
        self.with_conn(move |conn| {
            let mut query = conn.prepare_cached("SELECT body FROM shares WHERE id = ?1")?;
            let mut rows = query.query([&id])?;
            Ok(match rows.next()? {
                Some(row) => Some(row.get(0)?),
                None => None,
            })
        })
        .await
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

    #[tokio::test]
    async fn shares_are_kept_once_and_collisions_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.share("abc".into()).await.unwrap(), None);
        assert!(store.put_share("abc".into(), "{1}".into()).await.unwrap());
        assert!(store.put_share("abc".into(), "{1}".into()).await.unwrap());
        assert!(!store.put_share("abc".into(), "{2}".into()).await.unwrap());
        drop(store);
        let again = Store::open(dir.path()).unwrap();
        assert_eq!(
            again.share("abc".into()).await.unwrap().as_deref(),
            Some("{1}")
        );
    }

    #[tokio::test]
    async fn share_limits_count_per_address_and_browser_within_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let limits = ShareLimits {
            window_secs: 100,
            per_address: 3,
            per_browser: 2,
        };
        let admit = |address: &str, browser: Option<&str>, now: i64| {
            store.admit_share(address.into(), browser.map(Into::into), now, limits)
        };
        assert_eq!(admit("a", Some("b1"), 1000).await.unwrap(), Ok(()));
        assert_eq!(admit("a", Some("b1"), 1010).await.unwrap(), Ok(()));
        // The browser's third within the window waits for its first to leave it.
        let refused = |by_browser, retry_after_secs| {
            Err(ShareRefusal {
                by_browser,
                retry_after_secs,
            })
        };
        assert_eq!(
            admit("a", Some("b1"), 1020).await.unwrap(),
            refused(true, 80)
        );
        assert_eq!(admit("a", Some("b2"), 1020).await.unwrap(), Ok(()));
        // The address is full now, whatever the browser says.
        assert_eq!(
            admit("a", Some("b3"), 1030).await.unwrap(),
            refused(false, 70)
        );
        assert_eq!(admit("c", None, 1030).await.unwrap(), Ok(()));
        // An hour (here 100 s) later, both may share again.
        assert_eq!(admit("a", Some("b1"), 1101).await.unwrap(), Ok(()));
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
