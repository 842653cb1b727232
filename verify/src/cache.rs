//! Checks that passed before, so an unchanged block is not run again.
//!
//! A JSON file (`$RMP_CACHE_DIR/verify-cache.json`) maps a key to where and when the check passed.
//! The key is a SHA-256 of everything that decides the result: every file of the project (path
//! and contents), the runner, the edition, mode, flags and action, the expectation and the error
//! codes it names, and the runner image's id (so rebuilding an image runs everything on it
//! again). Only passes are stored. A save keeps what this run used and what
//! any run used in the last [`KEEP_UNUSED_DAYS`] days, so several content directories (or branches)
//! can share the file, and it still does not grow without end.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::plan::Check;

/// Version 2: projects (files, mode, flags, error codes) in the key. Version 3: Miri's flags and
/// Loom's preemption bound too.
const VERSION: u32 = 3;

/// How long an entry no run has used stays in the file.
pub const KEEP_UNUSED_DAYS: u64 = 30;

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
    /// When a run last found this entry (seconds since the Unix epoch; 0 if never).
    #[serde(default)]
    pub used_at: u64,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// See the module documentation.
#[derive(Debug)]
pub struct Cache {
    path: PathBuf,
    entries: BTreeMap<String, Entry>,
    used: BTreeSet<String>,
    /// `--no-cache`: never report a hit, but keep (and add to) the file.
    bypass: bool,
    /// Why the file on disk was not used, if it was unreadable.
    pub warning: Option<String>,
}

impl Cache {
    /// Reads the cache at `path`. A missing file is an empty cache; a corrupt one is ignored
    /// (and overwritten on save), with a warning.
    pub fn load(path: impl Into<PathBuf>) -> Cache {
        let path = path.into();
        let mut cache = Cache {
            path: path.clone(),
            entries: BTreeMap::new(),
            used: BTreeSet::new(),
            bypass: false,
            warning: None,
        };
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

    /// A cache that never hits (`--no-cache`): every check runs, and what passes is still saved
    /// to `path` alongside what was there.
    pub fn empty(path: impl Into<PathBuf>) -> Cache {
        Cache {
            bypass: true,
            ..Cache::load(path)
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether `key` passed before; a hit is kept on the next save.
    pub fn hit(&mut self, key: &str) -> bool {
        if self.bypass {
            return false;
        }
        let Some(entry) = self.entries.get_mut(key) else {
            return false;
        };
        entry.used_at = now();
        self.used.insert(key.to_owned());
        true
    }

    /// Records that `key` passed at `location`.
    pub fn record(&mut self, key: String, location: &str) {
        let passed_at = now();
        self.used.insert(key.clone());
        self.entries.insert(
            key,
            Entry {
                location: location.to_owned(),
                passed_at,
                used_at: passed_at,
            },
        );
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Writes the entries worth keeping, atomically (a temporary file renamed over the old one).
    pub fn save(&self) -> std::io::Result<()> {
        let oldest = now().saturating_sub(KEEP_UNUSED_DAYS * 24 * 60 * 60);
        let file = File {
            version: VERSION,
            entries: self
                .entries
                .iter()
                .filter(|(key, entry)| {
                    self.used.contains(*key) || entry.passed_at.max(entry.used_at) >= oldest
                })
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
    let mut part = |text: &str| {
        // Length-prefixed, so that no two different lists of parts hash the same bytes.
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    };
    part(&format!("rmp-verify/{VERSION}"));
    part(job.runner.as_str());
    part(job.edition.as_str());
    part(job.mode.as_str());
    part(job.action.name());
    part(check.expected.key());
    part(image_id);
    // Counted lists: the number of items, then each, so items cannot slide between lists.
    part(&job.flags.len().to_string());
    for flag in &job.flags {
        part(&flag.to_string());
    }
    part(&job.miri_flags.len().to_string());
    for flag in &job.miri_flags {
        part(&flag.arg());
    }
    part(&format!("{:?}", job.loom_preemptions));
    part(&check.error_codes.len().to_string());
    for code in &check.error_codes {
        part(code);
    }
    part(&job.files.len().to_string());
    for file in &job.files {
        part(&file.path);
        part(&file.contents);
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
    use api_types::flags::{OptLevel, PanicStrategy};
    use api_types::{CodegenFlag, Edition, Mode, ProjectFile, RunnerId};

    #[test]
    fn keys_change_with_everything_that_decides_the_result() {
        let base = check("fn main() {}");
        let key0 = key(&base, "sha256:aaa");
        assert_eq!(key0, key(&base.clone(), "sha256:aaa"));
        assert_eq!(key0.len(), 64);
        assert_ne!(key0, key(&base, "sha256:bbb"), "the runner image");
        let mut other = base.clone();
        other.job.files[0].contents.push(' ');
        assert_ne!(key0, key(&other, "sha256:aaa"), "the code");
        let mut other = base.clone();
        other.job.files[0].path = "src/lib.rs".into();
        assert_ne!(key0, key(&other, "sha256:aaa"), "a file's path");
        let mut other = base.clone();
        other.job.files.push(ProjectFile::new("src/util.rs", ""));
        assert_ne!(key0, key(&other, "sha256:aaa"), "another file");
        let mut other = base.clone();
        other.job.mode = Mode::Release;
        assert_ne!(key0, key(&other, "sha256:aaa"), "release mode");
        let mut other = base.clone();
        other.job.flags = vec![CodegenFlag::Panic(PanicStrategy::Abort)];
        let with_flag = key(&other, "sha256:aaa");
        assert_ne!(key0, with_flag, "a flag");
        other.job.flags = vec![CodegenFlag::OptLevel(OptLevel::O3)];
        assert_ne!(with_flag, key(&other, "sha256:aaa"), "another flag");
        let mut other = base.clone();
        other.job.miri_flags = vec![api_types::flags::MiriFlag::StrictProvenance];
        assert_ne!(key0, key(&other, "sha256:aaa"), "Miri flags");
        let mut other = base.clone();
        other.job.loom_preemptions = Some(3);
        assert_ne!(key0, key(&other, "sha256:aaa"), "Loom's preemption bound");
        let mut other = base.clone();
        other.job.runner = RunnerId::new("nightly");
        assert_ne!(key0, key(&other, "sha256:aaa"), "the runner");
        let mut other = base.clone();
        other.error_codes = vec!["E0499".into()];
        assert_ne!(key0, key(&other, "sha256:aaa"), "the error codes");
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
    fn passes_survive_a_round_trip_and_old_unused_entries_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/verify-cache.json");
        let mut cache = Cache::load(&path);
        assert!(cache.warning.is_none());
        assert!(!cache.hit("a"));
        cache.record("a".into(), "x.md:1");
        cache.record("b".into(), "x.md:2");
        // An entry from a run long ago that nothing used since.
        cache.entries.insert(
            "stale".into(),
            Entry {
                location: "gone.md:1".into(),
                passed_at: 1,
                used_at: 1,
            },
        );
        cache.save().unwrap();

        let mut cache = Cache::load(&path);
        assert!(cache.warning.is_none());
        assert_eq!(cache.entry("a").unwrap().location, "x.md:1");
        assert!(
            !cache.hit("stale"),
            "unused for over {KEEP_UNUSED_DAYS} days"
        );
        assert!(cache.hit("a"));
        cache.save().unwrap();
        // Another content directory's run (using only "a") does not cost "b" its entry.
        let mut cache = Cache::load(&path);
        assert!(cache.hit("b"));
        // --no-cache runs everything but keeps the file.
        let mut bypass = Cache::empty(&path);
        assert!(!bypass.hit("a"));
        bypass.save().unwrap();
        assert!(Cache::load(&path).hit("a"));
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
