//! The result cache: answers kept by everything that decides them, in the store so they survive
//! restarts, bounded by entries and bytes (least recently used go first).
//!
//! - **The key** ([`key`]) is a SHA-256 over a key-format version, the runner, its image id, the
//!   action, mode, edition, codegen flags, Miri's flags, Loom's bound, the sandbox's limits (an
//!   output cap or a timeout changes the answer), standard input and every file (path and
//!   contents). Length-prefixed parts and counted lists, so no two different submissions hash the
//!   same bytes. Whether the socket kept stdin open is not in it: a run that used live stdin is
//!   never stored, and one that did not behaves as a non-interactive one.
//! - **What is stored**: outcomes the code decides (success, a compile error, a non-zero exit),
//!   never a timeout, a kill, memory exhaustion, a signal or a sandbox fault.
//! - **Programs whose output may vary between runs** (time, randomness, threads, addresses, hash
//!   map order) must not mislead, nor may a program that reads what the student types. Two
//!   rules: a program that runs and whose code names one of
//!   [`NONDETERMINISM_MARKERS`] is never cached nor shared; any other program that runs is stored
//!   as a *candidate* and served only once a second run reproduced it byte for byte (warming runs
//!   each example twice). A second run that differs marks the key *varies*, never served. Actions
//!   that only compile (build, Clippy, rustfmt, compiler views) are served from their first run.
//! - **A corrupt row** (its digest does not match, or it does not decode) is deleted and
//!   treated as a miss.
//! - **Identical submissions in flight** share one execution ([`ResultCache::join`]): the first
//!   leads, the others wait for its result and replay it, or run themselves if it cannot be shared.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use api_types::{Action, ExecutionResult, Outcome, RunnerId, ServerMessage, Timings};
use rusqlite::{OptionalExtension, params};
use sandbox::{Job, Limits, Report, Sandbox};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::store::{Store, StoreError};

/// The version of the key's format: change it whenever [`key`] hashes anything differently, so
/// old rows can never match a new key, and whenever what a confirming run compares changes
/// ([`CachedRun::fingerprint`]), so an old candidate is not judged "varies" by the new rule.
/// 2: libtest's durations left out of the fingerprint.
pub const KEY_VERSION: u32 = 2;

/// How long a runner's image id is trusted before Docker is asked again: a rebuilt image is
/// noticed within this time.
const IMAGE_ID_TTL: Duration = Duration::from_secs(30);

/// Words in a running program's code that suggest its output may differ between runs. Crude on
/// purpose: a false alarm costs a compile, a miss could show a student someone else's random
/// number as theirs.
pub const NONDETERMINISM_MARKERS: &[&str] = &[
    // Standard input is typed live on the page: the answer is the student's own.
    "stdin",
    "thread",
    "SystemTime",
    "Instant",
    "UNIX_EPOCH",
    "rand",
    "RandomState",
    "HashMap",
    "HashSet",
    ":p}",
    "as_ptr",
    "as *const",
    "as *mut",
    "addr_of",
    "env::var",
    "process::id",
    "tokio",
    "rayon",
    "crossbeam",
    "async_std",
];

/// A cache key: see [`key`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey(String);

impl CacheKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key of `job` run on the image `image_id` under `limits`.
pub fn key(job: &Job, image_id: &str, limits: &Limits) -> CacheKey {
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(format!("rmp-result-cache/{KEY_VERSION}").as_bytes());
    part(job.runner.as_str().as_bytes());
    part(image_id.as_bytes());
    part(job.action.name().as_bytes());
    part(job.mode.as_str().as_bytes());
    part(job.edition.as_str().as_bytes());
    part(format!("{limits:?}").as_bytes());
    part(job.flags.len().to_string().as_bytes());
    for flag in &job.flags {
        part(flag.to_string().as_bytes());
    }
    part(job.miri_flags.len().to_string().as_bytes());
    for flag in &job.miri_flags {
        part(flag.arg().as_bytes());
    }
    part(format!("{:?}", job.loom_preemptions).as_bytes());
    part(&job.stdin);
    part(job.files.len().to_string().as_bytes());
    for file in &job.files {
        part(file.path.as_bytes());
        part(file.contents.as_bytes());
    }
    CacheKey(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why `job`'s answer may differ between runs (and so is neither cached nor shared), if it may.
pub fn nondeterminism(job: &Job) -> Option<&'static str> {
    if !job.action.runs_program() {
        return None;
    }
    if job
        .miri_flags
        .iter()
        .any(|flag| flag.arg().contains("disable-isolation"))
    {
        return Some("-Zmiri-disable-isolation");
    }
    NONDETERMINISM_MARKERS
        .iter()
        .copied()
        .find(|marker| job.files.iter().any(|file| file.contents.contains(marker)))
}

/// Whether an execution that ended so may be stored: only endings the code decides.
pub fn cacheable(outcome: &Outcome) -> bool {
    matches!(
        outcome,
        Outcome::Success | Outcome::CompileError | Outcome::ExitFailure { .. }
    )
}

/// A stored answer: the report and the message sequence the socket replays.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedRun {
    pub stdout: String,
    pub stderr: String,
    pub compiler: String,
    pub result: ExecutionResult,
    /// `compiling` to the last output, as streamed (adjacent output of one stream joined).
    pub messages: Vec<ServerMessage>,
}

impl CachedRun {
    pub fn new(report: &Report, messages: Vec<ServerMessage>) -> CachedRun {
        let mut result = report.result.clone();
        // Waiting is this request's, not the answer's.
        result.timings.total_ms = result
            .timings
            .total_ms
            .saturating_sub(result.timings.queued_ms);
        result.timings.queued_ms = 0;
        CachedRun {
            stdout: report.stdout.clone(),
            stderr: report.stderr.clone(),
            compiler: report.compiler.clone(),
            result,
            messages,
        }
    }

    pub fn report(&self) -> Report {
        Report {
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
            compiler: self.compiler.clone(),
            result: self.result.clone(),
        }
    }

    /// What a second run must reproduce: everything but the timings.
    fn fingerprint(&self) -> String {
        let mut same = self.clone();
        same.result.timings = Timings::default();
        // Which of stdout's and stderr's pieces arrived first depends on the scheduler, not on
        // the program: the streams' contents are compared, not the order of their pieces (a
        // program writing to both was marked "varies" at random).
        same.messages.clear();
        // The test harness prints how long the tests took; the time is the machine's, not the
        // program's (every exercise was marked "varies" on a busy server).
        same.stdout = without_test_durations(&same.stdout);
        let json = serde_json::to_vec(&same).expect("wire types serialize");
        hex(&Sha256::digest(json))
    }
}

/// `text` with the duration of each libtest summary line (`...; finished in 0.01s`) blanked, so
/// two runs of the same tests compare equal.
fn without_test_durations(text: &str) -> String {
    const MARK: &str = "; finished in ";
    text.split_inclusive('\n')
        .map(|line| match line.find(MARK) {
            Some(at) if line.starts_with("test result: ") => {
                let rest = &line[at + MARK.len()..];
                let digits = rest
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(rest.len());
                if digits > 0 && rest[digits..].starts_with('s') {
                    format!("{}{MARK}…{}", &line[..at], &rest[digits..])
                } else {
                    line.to_owned()
                }
            }
            _ => line.to_owned(),
        })
        .collect()
}

/// Adds `message` to a replay log, joining it to the previous one when both are output of the
/// same stream (so a chatty program's log stays small). Queue positions are not part of an answer.
pub fn log_message(log: &mut Vec<ServerMessage>, message: &ServerMessage) {
    match (log.last_mut(), message) {
        (_, ServerMessage::Queued { .. } | ServerMessage::Cached(_)) => {}
        (Some(ServerMessage::Stdout { data }), ServerMessage::Stdout { data: more })
        | (Some(ServerMessage::Stderr { data }), ServerMessage::Stderr { data: more })
        | (Some(ServerMessage::Compiler { data }), ServerMessage::Compiler { data: more }) => {
            data.push_str(more)
        }
        _ => log.push(message.clone()),
    }
}

/// The bounds of the cache (`RMP_CACHE_ENTRIES`, `RMP_CACHE_BYTES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimits {
    pub entries: u64,
    pub bytes: u64,
}

impl Default for CacheLimits {
    fn default() -> CacheLimits {
        CacheLimits {
            entries: 10_000,
            bytes: 256 * 1024 * 1024,
        }
    }
}

/// Where a key stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryState {
    /// Ran once; served after a second identical run.
    Candidate,
    /// Served.
    Confirmed,
    /// Two runs differed: never served.
    Varies,
}

impl EntryState {
    fn as_str(self) -> &'static str {
        match self {
            EntryState::Candidate => "candidate",
            EntryState::Confirmed => "confirmed",
            EntryState::Varies => "varies",
        }
    }

    fn parse(text: &str) -> Option<EntryState> {
        match text {
            "candidate" => Some(EntryState::Candidate),
            "confirmed" => Some(EntryState::Confirmed),
            "varies" => Some(EntryState::Varies),
            _ => None,
        }
    }
}

/// A served answer and when it ran (milliseconds since the Unix epoch).
#[derive(Clone, Debug)]
pub struct Hit {
    pub run: Arc<CachedRun>,
    pub ran_at_ms: u64,
}

/// What a finished flight hands to the identical requests that waited for it.
#[derive(Clone, Debug)]
pub enum Shared {
    Answer(Hit),
    /// The leader's answer is not theirs (live stdin, a timeout, a Stop, a fault, or it left):
    /// each runs by itself.
    NotShared,
}

/// Whether a request leads its key's execution or follows one already in flight.
pub enum Role {
    Leader(FlightGuard),
    Follower(watch::Receiver<Option<Shared>>),
}

type Flights = Arc<Mutex<HashMap<CacheKey, watch::Receiver<Option<Shared>>>>>;

/// Held by a flight's leader; publishes its answer, or [`Shared::NotShared`] if dropped first.
pub struct FlightGuard {
    key: CacheKey,
    flights: Flights,
    answer: watch::Sender<Option<Shared>>,
}

impl FlightGuard {
    pub fn finish(self, shared: Shared) {
        self.answer.send_replace(Some(shared));
    }
}

impl Drop for FlightGuard {
    fn drop(&mut self) {
        lock(&self.flights).remove(&self.key);
        if self.answer.borrow().is_none() {
            self.answer.send_replace(Some(Shared::NotShared));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Milliseconds since the Unix epoch, from the real clock or a test's.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// See the module documentation.
pub struct ResultCache {
    store: Arc<Store>,
    limits: CacheLimits,
    clock: Clock,
    /// A hit records its use only when the last one is older than this: a hit is then a read,
    /// not a write, so a class of 200 is not serialised on the disk. Recency is this coarse.
    touch_after_ms: u64,
    image_ids: Mutex<HashMap<RunnerId, KnownImage>>,
    flights: Flights,
    /// The most recently used confirmed answers, decoded, so that a class's burst of hits on one
    /// example costs no query, digest or decoding each.
    hot: Mutex<Hot>,
}

/// A runner's image id as last asked of the sandbox.
struct KnownImage {
    id: Option<String>,
    checked: Instant,
    /// A caller is asking the sandbox now.
    asking: bool,
}

/// The in-memory front of the cache: at most [`HOT_ENTRIES`] answers and [`HOT_BYTES`] (or the
/// cache's own bounds, if smaller), least recently used out first. It only ever holds answers
/// the store confirmed, and forgets one as soon as the store stops serving it (it varied).
#[derive(Default)]
struct Hot {
    entries: HashMap<CacheKey, HotEntry>,
    bytes: u64,
    tick: u64,
}

struct HotEntry {
    hit: Hit,
    bytes: u64,
    used: u64,
    /// When the store last recorded a use (milliseconds), to touch it again now and then.
    touched_ms: u64,
}

const HOT_ENTRIES: u64 = 1024;
const HOT_BYTES: u64 = 64 * 1024 * 1024;

impl Hot {
    fn get(&mut self, key: &CacheKey) -> Option<&mut HotEntry> {
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(key)?;
        entry.used = tick;
        Some(entry)
    }

    fn insert(&mut self, key: CacheKey, hit: Hit, bytes: u64, now_ms: u64, limits: CacheLimits) {
        let (max_entries, max_bytes) =
            (limits.entries.min(HOT_ENTRIES), limits.bytes.min(HOT_BYTES));
        if bytes > max_bytes {
            return;
        }
        self.remove(&key);
        self.tick += 1;
        self.bytes += bytes;
        self.entries.insert(
            key,
            HotEntry {
                hit,
                bytes,
                used: self.tick,
                touched_ms: now_ms,
            },
        );
        while self.entries.len() as u64 > max_entries || self.bytes > max_bytes {
            let Some(oldest) = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.remove(&oldest);
        }
    }

    fn remove(&mut self, key: &CacheKey) {
        if let Some(gone) = self.entries.remove(key) {
            self.bytes -= gone.bytes;
        }
    }
}

impl ResultCache {
    pub fn new(store: Arc<Store>, limits: CacheLimits) -> ResultCache {
        ResultCache {
            store,
            limits,
            clock: Arc::new(system_clock),
            touch_after_ms: 60_000,
            image_ids: Mutex::default(),
            flights: Flights::default(),
            hot: Mutex::default(),
        }
    }

    /// A cache on `clock` that records every use (for tests of eviction order).
    pub fn with_clock(store: Arc<Store>, limits: CacheLimits, clock: Clock) -> ResultCache {
        ResultCache {
            clock,
            touch_after_ms: 0,
            ..ResultCache::new(store, limits)
        }
    }

    pub fn now_ms(&self) -> u64 {
        (self.clock)()
    }

    /// The image id of `runner`, asked of the sandbox at most every [`IMAGE_ID_TTL`]. While
    /// it cannot be told, the last known one stands (Docker restarting does not change images).
    /// One caller at a time asks Docker; the others meanwhile use the id known so far, so a
    /// burst of requests when it goes stale does not become a burst of inspections.
    pub async fn image_id(&self, sandbox: &dyn Sandbox, runner: &RunnerId) -> Option<String> {
        {
            let mut ids = lock(&self.image_ids);
            if let Some(known) = ids.get_mut(runner) {
                // An asker dropped mid-question (its client left) holds no one up for long.
                let age = known.checked.elapsed();
                if age < IMAGE_ID_TTL || (known.asking && age < 2 * IMAGE_ID_TTL) {
                    return known.id.clone();
                }
                known.asking = true;
            }
        }
        let fresh = sandbox.image_id(runner).await;
        let mut ids = lock(&self.image_ids);
        let id = fresh.or_else(|| ids.get(runner).and_then(|known| known.id.clone()));
        ids.insert(
            runner.clone(),
            KnownImage {
                id: id.clone(),
                checked: Instant::now(),
                asking: false,
            },
        );
        id
    }

    /// Joins the execution of `key` in flight, or leads a new one.
    pub fn join(&self, key: &CacheKey) -> Role {
        let mut flights = lock(&self.flights);
        if let Some(answer) = flights.get(key) {
            return Role::Follower(answer.clone());
        }
        let (answer, receiver) = watch::channel(None);
        flights.insert(key.clone(), receiver);
        Role::Leader(FlightGuard {
            key: key.clone(),
            flights: Arc::clone(&self.flights),
            answer,
        })
    }

    /// The confirmed answer for `key`, if any. A row that is damaged is deleted, not served.
    pub async fn lookup(&self, key: &CacheKey) -> Result<Option<Hit>, StoreError> {
        let now = self.now_ms();
        let touch_after = self.touch_after_ms;
        let remembered = lock(&self.hot).get(key).map(|entry| {
            let touch = now.saturating_sub(entry.touched_ms) >= touch_after;
            if touch {
                entry.touched_ms = now;
            }
            (entry.hit.clone(), touch)
        });
        if let Some((hit, touch)) = remembered {
            if touch {
                let store = Arc::clone(&self.store);
                let key = key.clone();
                // Recency for the store's eviction; the answer does not wait for it.
                tokio::spawn(async move {
                    let touched = store
                        .with_conn(move |conn| {
                            conn.execute(
                                "UPDATE result_cache SET used_at = ?2 WHERE key = ?1",
                                params![key.as_str(), now as i64],
                            )?;
                            Ok(())
                        })
                        .await;
                    if let Err(err) = touched {
                        tracing::warn!(%err, "the result cache cannot record a use");
                    }
                });
            }
            return Ok(Some(hit));
        }
        let found = self.lookup_stored(key, now, touch_after).await?;
        if let Some((hit, bytes)) = &found {
            lock(&self.hot).insert(key.clone(), hit.clone(), *bytes, now, self.limits);
        }
        Ok(found.map(|(hit, _)| hit))
    }

    async fn lookup_stored(
        &self,
        key: &CacheKey,
        now: u64,
        touch_after: u64,
    ) -> Result<Option<(Hit, u64)>, StoreError> {
        let key = key.clone();
        self.store
            .with_conn(move |conn| {
                let row = conn
                    .query_row(
                        "SELECT state, payload, digest, ran_at, used_at FROM result_cache WHERE key = ?1",
                        [key.as_str()],
                        |row| {
                            Ok((
                                row.get::<_, String>(0)?,
                                row.get::<_, Vec<u8>>(1)?,
                                row.get::<_, String>(2)?,
                                row.get::<_, i64>(3)?,
                                row.get::<_, i64>(4)?,
                            ))
                        },
                    )
                    .optional()?;
                let Some((state, payload, digest, ran_at, used_at)) = row else {
                    return Ok(None);
                };
                match EntryState::parse(&state) {
                    Some(EntryState::Confirmed) => {}
                    Some(_) => return Ok(None),
                    None => {
                        drop_corrupt(conn, &key, "unknown state")?;
                        return Ok(None);
                    }
                }
                if hex(&Sha256::digest(&payload)) != digest {
                    drop_corrupt(conn, &key, "its digest does not match")?;
                    return Ok(None);
                }
                let run = match serde_json::from_slice::<CachedRun>(&payload) {
                    Ok(run) => run,
                    Err(err) => {
                        drop_corrupt(conn, &key, &err.to_string())?;
                        return Ok(None);
                    }
                };
                if now.saturating_sub(used_at as u64) >= touch_after {
                    conn.execute(
                        "UPDATE result_cache SET used_at = ?2 WHERE key = ?1",
                        params![key.as_str(), now as i64],
                    )?;
                }
                let hit = Hit {
                    run: Arc::new(run),
                    ran_at_ms: ran_at as u64,
                };
                Ok(Some((hit, payload.len() as u64)))
            })
            .await
    }

    /// Where `key` stands, if it has a row.
    pub async fn state(&self, key: &CacheKey) -> Result<Option<EntryState>, StoreError> {
        let key = key.clone();
        self.store
            .with_conn(move |conn| {
                let state: Option<String> = conn
                    .query_row(
                        "SELECT state FROM result_cache WHERE key = ?1",
                        [key.as_str()],
                        |row| row.get(0),
                    )
                    .optional()?;
                Ok(state.as_deref().and_then(EntryState::parse))
            })
            .await
    }

    /// Stores `run` under `key` and says where the key now stands (`None`: larger than the
    /// whole cache, not stored). `confirm` asks for a second identical run before it is served.
    pub async fn record(
        &self,
        key: &CacheKey,
        run: &CachedRun,
        confirm: bool,
    ) -> Result<Option<EntryState>, StoreError> {
        let payload = serde_json::to_vec(run).expect("wire types serialize");
        let bytes = payload.len() as u64;
        if bytes > self.limits.bytes {
            return Ok(None);
        }
        let digest = hex(&Sha256::digest(&payload));
        let fingerprint = run.fingerprint();
        // Whatever the store decides, the remembered answer is stale now (and again after the
        // write, in case a lookup remembered the old row meanwhile).
        lock(&self.hot).remove(key);
        let hot_key = key.clone();
        let key = key.clone();
        let now = self.now_ms() as i64;
        let limits = self.limits;
        let recorded = self
            .store
            .with_conn(move |conn| {
                let before: Option<(String, String)> = conn
                    .query_row(
                        "SELECT state, fingerprint FROM result_cache WHERE key = ?1",
                        [key.as_str()],
                        |row| Ok((row.get(0)?, row.get(1)?)),
                    )
                    .optional()?;
                let state = match before {
                    None if confirm => EntryState::Candidate,
                    None => EntryState::Confirmed,
                    Some((state, _)) if state == EntryState::Varies.as_str() => EntryState::Varies,
                    Some((_, seen)) if seen == fingerprint || !confirm => EntryState::Confirmed,
                    Some(_) => EntryState::Varies,
                };
                // A key that varies keeps no answer, only the fact.
                let (payload, digest, bytes) = if state == EntryState::Varies {
                    (Vec::new(), hex(&Sha256::digest([])), 0)
                } else {
                    (payload, digest, bytes as i64)
                };
                conn.execute(
                    "INSERT INTO result_cache (key, state, payload, digest, fingerprint, bytes, ran_at, used_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
                     ON CONFLICT (key) DO UPDATE SET state = ?2, payload = ?3, digest = ?4,
                         fingerprint = ?5, bytes = ?6, ran_at = ?7, used_at = ?7",
                    params![key.as_str(), state.as_str(), payload, digest, fingerprint, bytes, now],
                )?;
                evict(conn, limits)?;
                Ok(Some(state))
            })
            .await;
        lock(&self.hot).remove(&hot_key);
        recorded
    }

    /// How many rows and payload bytes the cache holds.
    pub async fn size(&self) -> Result<(u64, u64), StoreError> {
        self.store
            .with_conn(|conn| {
                Ok(conn.query_row(
                    "SELECT count(*), coalesce(sum(bytes), 0) FROM result_cache",
                    [],
                    |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
                )?)
            })
            .await
    }
}

fn drop_corrupt(conn: &rusqlite::Connection, key: &CacheKey, why: &str) -> Result<(), StoreError> {
    tracing::warn!(
        key = key.as_str(),
        why,
        "dropping a damaged result cache entry"
    );
    conn.execute("DELETE FROM result_cache WHERE key = ?1", [key.as_str()])?;
    Ok(())
}

/// Deletes the least recently used rows until both bounds hold.
fn evict(conn: &rusqlite::Connection, limits: CacheLimits) -> Result<(), StoreError> {
    loop {
        let (entries, bytes): (i64, i64) = conn.query_row(
            "SELECT count(*), coalesce(sum(bytes), 0) FROM result_cache",
            [],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
        if entries as u64 <= limits.entries && bytes as u64 <= limits.bytes {
            return Ok(());
        }
        conn.execute(
            "DELETE FROM result_cache WHERE key =
                 (SELECT key FROM result_cache ORDER BY used_at, ran_at, key LIMIT 1)",
            [],
        )?;
    }
}

/// Whether `action` runs the program, so that its answer needs a second identical run.
pub fn needs_confirmation(action: Action) -> bool {
    action.runs_program()
}

/// The requests a page sends for the content's runnable examples as written, in teaching order:
/// what warming runs.
pub fn examples(library: &course::Library) -> Vec<api_types::ExecuteRequest> {
    library
        .chapters()
        .flat_map(|(_, chapter)| &chapter.blocks)
        .filter_map(|block| match block.to_wire() {
            api_types::Block::Code(code) if code.runnable && code.problem.is_none() => {
                Some(api_types::ExecuteRequest {
                    code: Some(code.code),
                    runner: code.run.runner,
                    mode: code.run.mode,
                    edition: code.run.edition,
                    action: code.run.action,
                    flags: code.run.flags,
                    miri_flags: code.run.miri_flags,
                    loom_preemptions: code.run.loom_preemptions,
                    ..api_types::ExecuteRequest::default()
                })
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use api_types::flags::{MiriFlag, OptLevel, PanicStrategy};
    use api_types::{CodegenFlag, CompilerView, Edition, Mode, ProjectFile};

    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn key_of(job: &Job) -> CacheKey {
        key(job, "sha256:image", &limits())
    }

    #[test]
    fn every_part_of_the_submission_changes_the_key() {
        let base = Job::run("fn main() { println!(\"hi\"); }");
        let same = key_of(&base.clone());
        assert_eq!(key_of(&base), same, "the key is a pure function");
        type Change = Box<dyn Fn(&mut Job)>;
        let changes: Vec<(&str, Change)> = vec![
            ("code", Box::new(|j| j.files[0].contents.push(' '))),
            (
                "file path",
                Box::new(|j| j.files[0].path = "src/lib.rs".into()),
            ),
            (
                "another file",
                Box::new(|j| {
                    j.files.push(ProjectFile {
                        path: "src/util.rs".into(),
                        contents: String::new(),
                    })
                }),
            ),
            ("runner", Box::new(|j| j.runner = RunnerId::new("nightly"))),
            ("action", Box::new(|j| j.action = Action::Build)),
            (
                "view",
                Box::new(|j| j.action = Action::View(CompilerView::Mir)),
            ),
            ("mode", Box::new(|j| j.mode = Mode::Release)),
            ("edition", Box::new(|j| j.edition = Edition::E2021)),
            (
                "flag",
                Box::new(|j| j.flags.push(CodegenFlag::Panic(PanicStrategy::Abort))),
            ),
            (
                "opt flag",
                Box::new(|j| j.flags.push(CodegenFlag::OptLevel(OptLevel::O3))),
            ),
            (
                "miri flag",
                Box::new(|j| j.miri_flags.push(MiriFlag::StrictProvenance)),
            ),
            ("loom bound", Box::new(|j| j.loom_preemptions = Some(3))),
            ("stdin", Box::new(|j| j.stdin = b"42\n".to_vec())),
        ];
        let mut seen = vec![same.clone()];
        for (part, change) in &changes {
            let mut job = base.clone();
            change(&mut job);
            let changed = key_of(&job);
            assert!(
                !seen.contains(&changed),
                "changing the {part} must change the key"
            );
            seen.push(changed);
        }
        assert_ne!(key(&base, "sha256:rebuilt", &limits()), same, "image id");
        let tighter = Limits {
            output_bytes: 10,
            ..limits()
        };
        assert_ne!(key(&base, "sha256:image", &tighter), same, "limits");
        // Keeping stdin open on the socket is not a setting of the answer (see the module docs).
        let interactive = Job {
            interactive: true,
            ..base.clone()
        };
        assert_eq!(key_of(&interactive), same);
    }

    #[test]
    fn parts_cannot_slide_into_each_other() {
        let mut one = Job::run("ab");
        one.stdin = b"c".to_vec();
        let mut other = Job::run("a");
        other.stdin = b"bc".to_vec();
        assert_ne!(key_of(&one), key_of(&other));
    }

    #[test]
    fn test_durations_do_not_make_a_test_run_vary() {
        let summary = |secs: &str| {
            format!(
                "running 2 tests\ntest a ... ok\ntest b ... ok\n\ntest result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in {secs}s\n\n"
            )
        };
        assert_eq!(
            without_test_durations(&summary("0.00")),
            without_test_durations(&summary("1.25"))
        );
        // Only the harness's summary line: a program printing the same words keeps them.
        let printed = "done; finished in 0.5s\n";
        assert_eq!(without_test_durations(printed), printed);
        // A different result still differs.
        assert_ne!(
            without_test_durations(&summary("0.00")),
            without_test_durations(&summary("0.00").replace("2 passed", "1 passed"))
        );
    }

    #[test]
    fn programs_that_may_vary_are_recognised() {
        let varies = |code: &str| nondeterminism(&Job::run(code));
        assert_eq!(varies("fn main() { println!(\"{}\", 1 + 1); }"), None);
        assert_eq!(varies("use std::thread; fn main() {}"), Some("thread"));
        assert_eq!(
            varies("fn main() { std::io::stdin().read_line(&mut String::new()).unwrap(); }"),
            Some("stdin")
        );
        assert_eq!(
            varies("fn main() { let t = std::time::Instant::now(); }"),
            Some("Instant")
        );
        assert_eq!(varies("use std::collections::HashMap;"), Some("HashMap"));
        assert_eq!(
            varies("fn main() { let x = 1; println!(\"{:p}\", &x); }"),
            Some(":p}")
        );
        // Compiling alone does not depend on the clock: a build of the same code is cacheable.
        let mut build = Job::run("use std::thread; fn main() {}");
        build.action = Action::Build;
        assert_eq!(nondeterminism(&build), None);
        let mut isolated = Job::run("fn main() {}");
        isolated.miri_flags.push(MiriFlag::DisableIsolation);
        assert_eq!(nondeterminism(&isolated), Some("-Zmiri-disable-isolation"));
    }

    #[test]
    fn only_endings_the_code_decides_are_cacheable() {
        assert!(cacheable(&Outcome::Success));
        assert!(cacheable(&Outcome::CompileError));
        assert!(cacheable(&Outcome::ExitFailure { exit_code: 101 }));
        assert!(!cacheable(&Outcome::Killed));
        assert!(!cacheable(&Outcome::Signaled { signal: 11 }));
        assert!(!cacheable(&Outcome::OutOfMemory { limit_mb: 512 }));
        assert!(!cacheable(&Outcome::TimedOut {
            phase: api_types::Phase::Run,
            limit_ms: 1
        }));
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        store: Arc<Store>,
        cache: ResultCache,
    }

    fn fixture(limits: CacheLimits) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let time = Arc::new(AtomicU64::new(1_000_000));
        let clock = Arc::clone(&time);
        let cache = ResultCache::with_clock(
            Arc::clone(&store),
            limits,
            Arc::new(move || clock.fetch_add(1, Ordering::SeqCst)),
        );
        Fixture {
            _dir: dir,
            store,
            cache,
        }
    }

    fn answer(stdout: &str) -> CachedRun {
        let report = Report {
            stdout: stdout.into(),
            ..Report::ended(Outcome::Success, "It ran.".into())
        };
        CachedRun::new(
            &report,
            vec![
                ServerMessage::Compiling,
                ServerMessage::Running,
                ServerMessage::Stdout {
                    data: stdout.into(),
                },
            ],
        )
    }

    fn key_named(name: &str) -> CacheKey {
        key_of(&Job::run(name))
    }

    #[tokio::test]
    async fn a_running_answer_is_served_after_a_second_identical_run() {
        let f = fixture(CacheLimits::default());
        let k = key_named("a");
        assert_eq!(
            f.cache.record(&k, &answer("1\n"), true).await.unwrap(),
            Some(EntryState::Candidate)
        );
        assert!(
            f.cache.lookup(&k).await.unwrap().is_none(),
            "not yet confirmed"
        );
        let mut again = answer("1\n");
        again.result.timings.run_ms = 77; // timings may differ, the answer may not
        assert_eq!(
            f.cache.record(&k, &again, true).await.unwrap(),
            Some(EntryState::Confirmed)
        );
        let hit = f.cache.lookup(&k).await.unwrap().unwrap();
        assert_eq!(*hit.run, again);
        assert_eq!(
            *f.cache.lookup(&k).await.unwrap().unwrap().run,
            again,
            "and again, from memory"
        );
        // Run again, and it printed something else: never served again, from memory either.
        assert_eq!(
            f.cache.record(&k, &answer("2\n"), true).await.unwrap(),
            Some(EntryState::Varies)
        );
        assert!(f.cache.lookup(&k).await.unwrap().is_none());
        let k = key_named("a again");
        f.cache.record(&k, &answer("1\n"), true).await.unwrap();
        f.cache.record(&k, &again, true).await.unwrap();

        let v = key_named("varies");
        f.cache.record(&v, &answer("1\n"), true).await.unwrap();
        assert_eq!(
            f.cache.record(&v, &answer("2\n"), true).await.unwrap(),
            Some(EntryState::Varies)
        );
        assert_eq!(
            f.cache.record(&v, &answer("2\n"), true).await.unwrap(),
            Some(EntryState::Varies),
            "a key that varied is never served again"
        );
        assert!(f.cache.lookup(&v).await.unwrap().is_none());

        let b = key_named("build");
        assert_eq!(
            f.cache.record(&b, &answer(""), false).await.unwrap(),
            Some(EntryState::Confirmed),
            "compiling alone is served from its first run"
        );
        assert!(f.cache.lookup(&b).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn the_least_recently_used_go_first_when_entries_are_full() {
        let f = fixture(CacheLimits {
            entries: 3,
            bytes: u64::MAX,
        });
        let [a, b, c, d] = ["a", "b", "c", "d"].map(key_named);
        for k in [&a, &b, &c] {
            f.cache.record(k, &answer("x"), false).await.unwrap();
        }
        // Using `a` makes `b` the least recently used.
        assert!(f.cache.lookup(&a).await.unwrap().is_some());
        f.cache.record(&d, &answer("x"), false).await.unwrap();
        assert_eq!(f.cache.size().await.unwrap().0, 3);
        assert!(f.cache.lookup(&b).await.unwrap().is_none(), "b was evicted");
        for k in [&a, &c, &d] {
            assert!(f.cache.lookup(k).await.unwrap().is_some());
        }
    }

    #[tokio::test]
    async fn bytes_bound_the_cache_too() {
        let one = serde_json::to_vec(&answer(&"x".repeat(1000)))
            .unwrap()
            .len() as u64;
        let f = fixture(CacheLimits {
            entries: 100,
            bytes: one * 2 + one / 2,
        });
        let [a, b, c] = ["a", "b", "c"].map(key_named);
        for k in [&a, &b, &c] {
            f.cache
                .record(k, &answer(&"x".repeat(1000)), false)
                .await
                .unwrap();
        }
        let (entries, bytes) = f.cache.size().await.unwrap();
        assert_eq!(entries, 2);
        assert!(bytes <= one * 2 + one / 2, "{bytes}");
        assert!(
            f.cache.lookup(&a).await.unwrap().is_none(),
            "the oldest went"
        );
        // An answer larger than the whole cache is not kept at all.
        let huge = answer(&"y".repeat(3 * one as usize));
        assert_eq!(f.cache.record(&a, &huge, false).await.unwrap(), None);
        assert!(f.cache.lookup(&b).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_damaged_entry_is_dropped_not_served() {
        let f = fixture(CacheLimits::default());
        let [flipped, garbage, misdigested] = ["flipped", "garbage", "misdigested"].map(key_named);
        for k in [&flipped, &garbage, &misdigested] {
            f.cache.record(k, &answer("secret\n"), false).await.unwrap();
        }
        let damage = |key: CacheKey, sql: &'static str| {
            let store = Arc::clone(&f.store);
            async move {
                store
                    .with_conn(move |c| Ok(c.execute(sql, [key.as_str()])?))
                    .await
                    .unwrap()
            }
        };
        // Still valid JSON, but not what was written: only the digest can tell.
        damage(
            flipped.clone(),
            "UPDATE result_cache SET payload = CAST(replace(CAST(payload AS TEXT), 'secret', 'public') AS BLOB) WHERE key = ?1",
        )
        .await;
        // Not JSON at all, with a digest to match.
        let junk = b"{not json".to_vec();
        let digest = hex(&Sha256::digest(&junk));
        let k = garbage.clone();
        f.store
            .with_conn(move |c| {
                Ok(c.execute(
                    "UPDATE result_cache SET payload = ?2, digest = ?3 WHERE key = ?1",
                    params![k.as_str(), junk, digest],
                )?)
            })
            .await
            .unwrap();
        // The digest itself damaged.
        damage(
            misdigested.clone(),
            "UPDATE result_cache SET digest = 'x' WHERE key = ?1",
        )
        .await;
        for k in [&flipped, &garbage, &misdigested] {
            assert!(f.cache.lookup(k).await.unwrap().is_none());
            assert_eq!(f.cache.state(k).await.unwrap(), None, "the row is gone");
        }
    }

    /// A sandbox that only answers image ids, slowly, and counts the questions.
    struct Images {
        asked: std::sync::atomic::AtomicUsize,
        limits: Limits,
    }

    impl Sandbox for Images {
        fn execute(
            &self,
            _: Job,
            _: sandbox::JobIo,
        ) -> sandbox::BoxFuture<'_, Result<Report, sandbox::SandboxError>> {
            unreachable!("only image ids are asked")
        }
        fn shutdown(&self) -> sandbox::BoxFuture<'_, ()> {
            Box::pin(async {})
        }
        fn limits(&self) -> &Limits {
            &self.limits
        }
        fn image_id<'a>(&'a self, _: &'a RunnerId) -> sandbox::BoxFuture<'a, Option<String>> {
            Box::pin(async move {
                let n = self.asked.fetch_add(1, Ordering::SeqCst);
                tokio::task::yield_now().await;
                Some(format!("sha256:{n}"))
            })
        }
    }

    #[tokio::test]
    async fn image_ids_are_asked_once_per_while_not_once_per_request() {
        let f = fixture(CacheLimits::default());
        let images = Images {
            asked: Default::default(),
            limits: limits(),
        };
        let stable = RunnerId::default();
        assert_eq!(
            f.cache.image_id(&images, &stable).await.as_deref(),
            Some("sha256:0")
        );
        let ids =
            futures_util::future::join_all((0..50).map(|_| f.cache.image_id(&images, &stable)))
                .await;
        assert!(ids.iter().all(|id| id.as_deref() == Some("sha256:0")));
        assert_eq!(images.asked.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn memory_keeps_the_most_recently_used_within_its_bounds() {
        let mut hot = Hot::default();
        let limits = CacheLimits {
            entries: 2,
            bytes: 100,
        };
        let hit = Hit {
            run: Arc::new(answer("x")),
            ran_at_ms: 0,
        };
        let [a, b, c, d] = ["a", "b", "c", "d"].map(key_named);
        hot.insert(a.clone(), hit.clone(), 10, 0, limits);
        hot.insert(b.clone(), hit.clone(), 10, 0, limits);
        assert!(hot.get(&a).is_some());
        hot.insert(c.clone(), hit.clone(), 10, 0, limits);
        assert!(hot.get(&b).is_none(), "b was the least recently used");
        assert!(hot.get(&a).is_some() && hot.get(&c).is_some());
        hot.insert(d.clone(), hit.clone(), 95, 0, limits);
        assert_eq!(hot.entries.len(), 1, "bytes bound it too");
        assert_eq!(hot.bytes, 95);
        hot.insert(a.clone(), hit, 101, 0, limits);
        assert!(
            hot.get(&a).is_none(),
            "larger than memory's bound: not kept"
        );
    }

    #[test]
    fn the_replay_log_joins_output_and_drops_queue_positions() {
        let mut log = Vec::new();
        for message in [
            ServerMessage::Queued { position: 1 },
            ServerMessage::Compiling,
            ServerMessage::Running,
            ServerMessage::Stdout { data: "a".into() },
            ServerMessage::Stdout { data: "b".into() },
            ServerMessage::Stderr { data: "c".into() },
            ServerMessage::Stdout { data: "d".into() },
        ] {
            log_message(&mut log, &message);
        }
        assert_eq!(
            log,
            [
                ServerMessage::Compiling,
                ServerMessage::Running,
                ServerMessage::Stdout { data: "ab".into() },
                ServerMessage::Stderr { data: "c".into() },
                ServerMessage::Stdout { data: "d".into() },
            ]
        );
    }
}
