//! Checks that passed before, so an unchanged block is not run again.
//!
//! A JSON file (`$RMP_CACHE_DIR/verify-cache.json`) maps a key to where and when the check passed.
//! The key is a SHA-256 of everything that decides the result: the program, the runner, the
//! edition, mode and action, the expectation, and the runner image's id (so rebuilding an image
//! runs everything on it again). Only passes are stored. Each save keeps only the entries this run
//! used, so the file follows the content instead of growing.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::plan::{Check, runner_name};

const VERSION: u32 = 1;

/// The cache file's contents.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    version: u32,
    entries: BTreeMap<String, Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// `file:line` of the check when it passed (for a person reading the file).
    pub location: String,
    /// Seconds since the Unix epoch.
    pub passed_at: u64,
}

/// See the module documentation.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    entries: BTreeMap<String, Entry>,
    used: BTreeSet<String>,
    /// Why the file on disk was not used, if it was unreadable.
    pub warning: Option<String>,
}

impl Cache {
    /// Reads the cache at `path`. A missing file is an empty cache; a corrupt one is ignored
    /// (and overwritten on save), with a warning.
    pub fn load(path: impl Into<PathBuf>) -> Cache {
        let path = path.into();
        let mut cache = Cache::empty(path.clone());
        match std::fs::read_to_string(&path) {
            Ok(text) => match serde_json::from_str::<File>(&text) {
                Ok(file) if file.version == VERSION => cache.entries = file.entries,
                Ok(file) => {
                    cache.warning = Some(format!(
                        "ignoring the verification cache {}: it is version {}, not {VERSION}",
                        path.display(),
                        file.version
                    ))
                }
                Err(e) => {
                    cache.warning = Some(format!(
                        "ignoring the verification cache {}: it is not valid ({e}); every check runs again",
                        path.display()
                    ))
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                cache.warning = Some(format!(
                    "ignoring the verification cache {}: {e}",
                    path.display()
                ))
            }
        }
        cache
    }

    /// A cache that starts empty (`--no-cache`); what passes is still saved to `path`.
    pub fn empty(path: impl Into<PathBuf>) -> Cache {
        Cache {
            path: path.into(),
            entries: BTreeMap::new(),
            used: BTreeSet::new(),
            warning: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `key` passed before; a hit is kept on the next save.
    pub fn hit(&mut self, key: &str) -> bool {
        let hit = self.entries.contains_key(key);
        if hit {
            self.used.insert(key.to_owned());
        }
        hit
    }

    /// Records that `key` passed at `location`.
    pub fn record(&mut self, key: String, location: &str) {
        let passed_at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.used.insert(key.clone());
        self.entries.insert(
            key,
            Entry {
                location: location.to_owned(),
                passed_at,
            },
        );
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Writes the entries used in this run, atomically (a temporary file renamed over the old one).
    pub fn save(&self) -> std::io::Result<()> {
        let file = File {
            version: VERSION,
            entries: self
                .entries
                .iter()
                .filter(|(key, _)| self.used.contains(*key))
                .map(|(key, entry)| (key.clone(), entry.clone()))
                .collect(),
        };
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let name = self
            .path
            .file_name()
            .map_or("verify-cache.json".into(), |n| n.to_string_lossy());
        let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let json = serde_json::to_string_pretty(&file).map_err(std::io::Error::other)?;
        let written = std::fs::File::create(&temporary).and_then(|mut out| {
            out.write_all(json.as_bytes())?;
            out.write_all(b"\n")?;
            out.sync_all()
        });
        if let Err(e) = written.and_then(|()| std::fs::rename(&temporary, &self.path)) {
            let _ = std::fs::remove_file(&temporary);
            return Err(e);
        }
        Ok(())
    }
}

/// The cache key of `check` run on the runner image `image_id`.
pub fn key(check: &Check, image_id: &str) -> String {
    let job = &check.job;
    let mut hasher = Sha256::new();
    for part in [
        format!("rmp-verify/{VERSION}"),
        runner_name(job.channel).to_owned(),
        format!("{:?}", job.edition),
        format!("{:?}", job.mode),
        format!("{:?}", job.action),
        check.expected.key().to_owned(),
        image_id.to_owned(),
        job.code.clone(),
    ] {
        // Length-prefixed, so that no two different lists of parts hash the same bytes.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `$RMP_CACHE_DIR`, else `$XDG_CACHE_HOME/rust-mastery-playground`, else
/// `~/.cache/rust-mastery-playground`: the same directory as `cargo xtask` uses.
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RMP_CACHE_DIR") {
        return dir.into();
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("rust-mastery-playground")
}

/// The cache file inside [`default_dir`].
pub fn default_path() -> PathBuf {
    default_dir().join("verify-cache.json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::check;
    use api_types::Edition;

    #[test]
    fn keys_change_with_everything_that_decides_the_result() {
        let base = check("fn main() {}");
        let key0 = key(&base, "sha256:aaa");
        assert_eq!(key0, key(&base.clone(), "sha256:aaa"));
        assert_eq!(key0.len(), 64);
        assert_ne!(key0, key(&base, "sha256:bbb"), "the runner image");
        let mut other = base.clone();
        other.job.code.push(' ');
        assert_ne!(key0, key(&other, "sha256:aaa"), "the code");
        let mut other = base.clone();
        other.job.edition = Edition::E2021;
        assert_ne!(key0, key(&other, "sha256:aaa"), "the edition");
        let mut other = base.clone();
        other.expected = crate::Expected::Panics;
        assert_ne!(key0, key(&other, "sha256:aaa"), "the expectation");
        let mut other = base.clone();
        other.location = "elsewhere.md:1".into();
        assert_eq!(
            key0,
            key(&other, "sha256:aaa"),
            "moving a block keeps its entry"
        );
    }

    #[test]
    fn passes_survive_a_round_trip_and_unused_entries_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/verify-cache.json");
        let mut cache = Cache::load(&path);
        assert!(cache.warning.is_none());
        assert!(!cache.hit("a"));
        cache.record("a".into(), "x.md:1");
        cache.record("b".into(), "x.md:2");
        cache.save().unwrap();

        let mut cache = Cache::load(&path);
        assert!(cache.warning.is_none());
        assert_eq!(cache.entry("a").unwrap().location, "x.md:1");
        assert!(cache.hit("a"));
        cache.save().unwrap();
        let mut cache = Cache::load(&path);
        assert!(cache.hit("a"));
        assert!(!cache.hit("b"), "b was not used by the last run");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["verify-cache.json"]);
    }

    #[test]
    fn a_corrupt_cache_is_ignored_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verify-cache.json");
        std::fs::write(&path, "{ not json").unwrap();
        let mut cache = Cache::load(&path);
        let warning = cache.warning.clone().expect("a warning");
        assert!(warning.contains("not valid"), "{warning}");
        assert!(!cache.hit("a"));
        cache.record("a".into(), "x.md:1");
        cache.save().unwrap();
        assert!(Cache::load(&path).warning.is_none());
    }
}
