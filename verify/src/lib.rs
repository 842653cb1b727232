//! Content verification: every runnable block and exercise in `content/`, run through the real
//! sandbox and checked against what its fence promises (`cargo xtask verify-content`).
//!
//! - [`plan`] turns the library (loaded by `course`, the one crate that parses content) into
//!   [`Check`]s, and lists what is not run and why;
//! - [`run_checks`] runs them with bounded parallelism, skipping those whose pass is cached;
//! - [`expect`] judges each report; [`report`] prints the summary an author reads.
#![forbid(unsafe_code)]

pub mod cache;
pub mod expect;
pub mod plan;
pub mod report;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use api_types::{Outcome, RunnerId};
use futures_util::StreamExt;
use sandbox::{JobIo, Sandbox};

pub use cache::Cache;
pub use expect::{Expected, Verdict, judge};
pub use plan::{Check, Kind, NotRun, Plan, Reason, plan, plan_chapters};
pub use report::Summary;

/// The id of each installed runner's image; a runner missing here is never served from the cache.
pub type ImageIds = HashMap<RunnerId, String>;

/// How one check went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckResult {
    pub verdict: Verdict,
    /// The pass came from the cache: nothing was run.
    pub cached: bool,
    /// Time in the sandbox (zero when cached).
    pub took: Duration,
    /// Why the first attempt was not judged, when the sandbox failed and the check ran again.
    pub retried: Option<String>,
}

/// Runs `checks` through `sandbox`, at most `jobs` at once, and returns their results in the same
/// order. A check whose key is in `cache` is not run; every new pass is recorded there (skips and
/// failures never are). `progress` sees each result as it arrives.
pub async fn run_checks(
    checks: &[Check],
    sandbox: &dyn Sandbox,
    images: &ImageIds,
    cache: &mut Cache,
    jobs: usize,
    mut progress: impl FnMut(&Check, &CheckResult),
) -> Vec<CheckResult> {
    let keys: Vec<Option<String>> = checks
        .iter()
        .map(|check| {
            images
                .get(check.runner())
                .map(|image| cache::key(check, image))
        })
        .collect();
    let mut results: Vec<Option<CheckResult>> = vec![None; checks.len()];
    let mut pending = Vec::new();
    for (at, check) in checks.iter().enumerate() {
        match &keys[at] {
            Some(key) if cache.hit(key) => {
                let result = CheckResult {
                    verdict: Verdict::Passed("passed before (cached)".to_owned()),
                    cached: true,
                    took: Duration::ZERO,
                    retried: None,
                };
                progress(check, &result);
                results[at] = Some(result);
            }
            _ => pending.push(at),
        }
    }
    let mut running = futures_util::stream::iter(pending)
        .map(|at| async move { (at, run_one(&checks[at], sandbox).await) })
        .buffer_unordered(jobs.max(1));
    while let Some((at, result)) = running.next().await {
        if let (Verdict::Passed(_), Some(key)) = (&result.verdict, &keys[at]) {
            cache.record(key.clone(), &checks[at].location);
        }
        progress(&checks[at], &result);
        results[at] = Some(result);
    }
    results
        .into_iter()
        .map(|r| r.expect("every check has a result"))
        .collect()
}

/// Runs `check` once, or twice when the sandbox itself failed the first time (an error of its
/// own, or a container that vanished: `Killed` with nobody having stopped it), since that says
/// nothing about the content. The retry is reported, never silent.
async fn run_one(check: &Check, sandbox: &dyn Sandbox) -> CheckResult {
    let started = Instant::now();
    let mut retried = None;
    loop {
        let outcome = sandbox.execute(check.job.clone(), JobIo::detached()).await;
        let trouble = match &outcome {
            Err(error) => Some(error.to_string()),
            Ok(report) if report.result.outcome == Outcome::Killed => {
                Some(report.result.explanation.clone())
            }
            Ok(_) => None,
        };
        if let (Some(trouble), None) = (trouble, &retried) {
            retried = Some(trouble);
            continue;
        }
        let verdict = match outcome {
            Ok(report) => judge(check, &report),
            Err(error) => Verdict::Failed(format!("could not be checked: {error}")),
        };
        return CheckResult {
            verdict,
            cached: false,
            took: started.elapsed(),
            retried,
        };
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    use course::Library;

    use crate::plan::{Check, Kind, LineMap, Segment};

    /// A library of one course `c` with one chapter `one.md` whose body is `body`; the body's
    /// first line is line 7 of the file.
    pub fn library(body: &str) -> (tempfile::TempDir, Library) {
        let dir = tempfile::tempdir().unwrap();
        write_chapter(dir.path(), "one", body);
        let library = Library::load(dir.path()).unwrap();
        (dir, library)
    }

    pub fn write_chapter(root: &Path, slug: &str, body: &str) {
        let course = root.join("c");
        std::fs::create_dir_all(&course).unwrap();
        std::fs::write(
            course.join("course.toml"),
            "title = \"C\"\nsummary = \"S\"\norder = 1\n",
        )
        .unwrap();
        std::fs::write(
            course.join(format!("{slug}.md")),
            format!("+++\ntitle = \"One\"\norder = 1\nminutes = 5\nsummary = \"S\"\n+++\n{body}"),
        )
        .unwrap();
    }

    pub fn check(code: &str) -> Check {
        Check {
            location: "c/one.md:3".into(),
            kind: Kind::Example,
            job: sandbox::Job::run(code),
            expected: crate::Expected::RunsCleanly,
            error_codes: Vec::new(),
            lines: LineMap::default(),
        }
    }

    /// From (project file, first line, number of lines, chapter line of the first).
    pub fn line_map(segments: &[(&str, usize, usize, usize)]) -> LineMap {
        LineMap::new(
            segments
                .iter()
                .map(|&(file, first, count, chapter_line)| Segment {
                    file: file.to_owned(),
                    first,
                    count,
                    chapter_line,
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use api_types::RunnerId;
    use sandbox::fake::ScriptedSandbox;

    use super::*;
    use crate::testing::check;

    fn images() -> ImageIds {
        HashMap::from([(RunnerId::default(), "sha256:stable".to_owned())])
    }

    #[tokio::test]
    async fn checks_run_in_parallel_up_to_the_limit_and_passes_are_cached() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("verify-cache.json");
        let checks: Vec<Check> = (0..5)
            .map(|i| check(&format!("fn main() {{ {i} }}")))
            .collect();
        let sandbox = ScriptedSandbox::new(Duration::from_millis(50));
        let stats = Arc::clone(&sandbox.stats);
        let mut cache = Cache::load(&path);
        let mut seen = 0;
        let results = run_checks(&checks, &sandbox, &images(), &mut cache, 2, |_, _| {
            seen += 1
        })
        .await;
        assert_eq!(seen, 5);
        assert!(
            results
                .iter()
                .all(|r| matches!(r.verdict, Verdict::Passed(_)) && !r.cached)
        );
        assert_eq!(stats.started.load(Ordering::SeqCst), 5);
        assert_eq!(stats.max_running.load(Ordering::SeqCst), 2);
        cache.save().unwrap();

        // Unchanged checks come from the cache; a changed one runs.
        let mut changed = checks.clone();
        changed[4].job.files[0].contents = "fn main() { 42 }".into();
        let mut cache = Cache::load(&path);
        let results = run_checks(&changed, &sandbox, &images(), &mut cache, 2, |_, _| {}).await;
        let cached: Vec<bool> = results.iter().map(|r| r.cached).collect();
        assert_eq!(cached, [true, true, true, true, false]);
        assert_eq!(stats.started.load(Ordering::SeqCst), 6);

        // A rebuilt runner image invalidates its entries.
        let mut cache = Cache::load(&path);
        let rebuilt = HashMap::from([(RunnerId::default(), "sha256:rebuilt".to_owned())]);
        let results = run_checks(&checks, &sandbox, &rebuilt, &mut cache, 2, |_, _| {}).await;
        assert!(results.iter().all(|r| !r.cached));
    }

    /// Fails with a sandbox error on every job's first attempt while `flaky`.
    struct Flaky {
        inner: ScriptedSandbox,
        attempts: AtomicUsize,
        always: bool,
    }

    impl Sandbox for Flaky {
        fn execute(
            &self,
            job: sandbox::Job,
            io: JobIo,
        ) -> sandbox::BoxFuture<'_, Result<sandbox::Report, sandbox::SandboxError>> {
            let attempt = self.attempts.fetch_add(1, Ordering::SeqCst);
            if self.always || attempt == 0 {
                return Box::pin(async {
                    Err(sandbox::SandboxError::Protocol(
                        "the runner vanished".into(),
                    ))
                });
            }
            self.inner.execute(job, io)
        }

        fn shutdown(&self) -> sandbox::BoxFuture<'_, ()> {
            self.inner.shutdown()
        }

        fn limits(&self) -> &sandbox::Limits {
            self.inner.limits()
        }
    }

    #[tokio::test]
    async fn a_sandbox_failure_is_tried_once_more_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let checks = [check("fn main() {}")];
        for always in [false, true] {
            let mut cache = Cache::empty(dir.path().join("verify-cache.json"));
            let flaky = Flaky {
                inner: ScriptedSandbox::new(Duration::ZERO),
                attempts: AtomicUsize::new(0),
                always,
            };
            let results = run_checks(&checks, &flaky, &images(), &mut cache, 1, |_, _| {}).await;
            assert_eq!(flaky.attempts.load(Ordering::SeqCst), 2);
            let protocol = "the runner broke the protocol: the runner vanished";
            assert_eq!(results[0].retried.as_deref(), Some(protocol));
            if always {
                assert_eq!(
                    results[0].verdict,
                    Verdict::Failed(format!("could not be checked: {protocol}"))
                );
            } else {
                assert!(matches!(results[0].verdict, Verdict::Passed(_)));
            }
        }
    }

    #[tokio::test]
    async fn failures_and_runners_without_an_image_are_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = Cache::load(dir.path().join("verify-cache.json"));
        let sandbox = ScriptedSandbox::new(Duration::ZERO);
        // The scripted sandbox succeeds, so a `should_panic` block fails.
        let mut panics = check("fn main() {}");
        panics.expected = Expected::Panics;
        let mut nightly = check("fn main() {}");
        nightly.job.runner = RunnerId::new("nightly");
        let checks = [panics, nightly];
        for _ in 0..2 {
            let results = run_checks(&checks, &sandbox, &images(), &mut cache, 2, |_, _| {}).await;
            assert_eq!(
                results[0].verdict,
                Verdict::Failed("should panic (`should_panic`) but it ran cleanly".into())
            );
            assert!(matches!(results[1].verdict, Verdict::Passed(_)));
            assert!(!results[1].cached, "no image id for nightly: never cached");
        }
    }
}
