//! The Loom runner against a real dockerd and the real `rmp-runner-loom` image.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` builds the images and runs them with
//! `--ignored`. Run by hand without Docker or the image they fail, saying why.

use std::time::Instant;

use api_types::{Action, ExecuteRequest, Outcome, ProjectFile, RunnerId, TestStatus};
use sandbox::{DockerSandbox, Job, JobIo, Report, Sandbox};

mod common;
use common::finish;

/// A sandbox without warm containers, with the default run limit (models run in release).
async fn connect() -> DockerSandbox {
    common::connect_with(0, sandbox::Limits::default().run_timeout).await
}

/// A Test request on the loom runner, checked and routed as the server does.
fn loom_job(main: &str) -> Job {
    Job::from_request(
        ExecuteRequest {
            files: vec![ProjectFile::new("src/main.rs", main)],
            runner: RunnerId::new("loom"),
            action: Action::Test,
            ..ExecuteRequest::default()
        },
        false,
    )
    .expect("a valid request")
}

async fn run(sandbox: &DockerSandbox, main: &str) -> Report {
    common::run(sandbox, loom_job(main)).await
}

/// A spinlock guarding a `loom::cell::UnsafeCell`: two threads increment through it. With
/// `Acquire`/`Release` it is correct; loom checks every interleaving (and would flag a data race
/// on the cell).
const SPINLOCK: &str = r#"
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread;

struct SpinLock { locked: AtomicBool, value: UnsafeCell<u32> }
unsafe impl Sync for SpinLock {}

impl SpinLock {
    fn add_one(&self) {
        while self
            .locked
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            thread::yield_now();
        }
        self.value.with_mut(|v| unsafe { *v += 1 });
        self.locked.store(false, ORDER);
    }
}

const ORDER: Ordering = Ordering::Release;

#[test]
fn two_threads_each_add_one() {
    loom::model(|| {
        let lock = Arc::new(SpinLock { locked: AtomicBool::new(false), value: UnsafeCell::new(0) });
        let other = Arc::clone(&lock);
        let t = thread::spawn(move || other.add_one());
        lock.add_one();
        t.join().unwrap();
        assert_eq!(lock.value.with(|v| unsafe { *v }), 2);
    });
}
"#;

/// The planted race: an increment written as a load and a store, so two threads can both read 0.
const RACE: &str = r#"
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

fn increment(n: &AtomicUsize) {
    let seen = n.load(Ordering::SeqCst);
    n.store(seen + 1, Ordering::SeqCst);
}

#[test]
fn no_increment_is_lost() {
    loom::model(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let other = Arc::clone(&n);
        let t = thread::spawn(move || increment(&other));
        increment(&n);
        t.join().unwrap();
        assert_eq!(n.load(Ordering::SeqCst), 2, "an increment was lost");
    });
}
"#;

/// Four threads doing ten loads and stores each: far more interleavings than fit in the limits.
const EXPLODING: &str = r#"
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::thread;

#[test]
fn many_threads_many_operations() {
    loom::model(|| {
        let n = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let n = Arc::clone(&n);
                thread::spawn(move || {
                    for _ in 0..10 {
                        let seen = n.load(Ordering::Relaxed);
                        n.store(seen, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for _ in 0..10 {
            n.fetch_add(1, Ordering::Relaxed);
        }
        for t in threads {
            t.join().unwrap();
        }
    });
}
"#;

/// The number in "Loom explored N interleavings", spaces removed.
fn explored(text: &str) -> u64 {
    let rest = text
        .split("Loom explored ")
        .nth(1)
        .unwrap_or_else(|| panic!("no count in {text:?}"));
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ' ')
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count in {text:?}"))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_correct_spinlock_passes_and_reports_the_interleavings() {
    let sandbox = connect().await;
    let report = run(&sandbox, SPINLOCK).await;
    assert_eq!(report.result.outcome, Outcome::Success, "{report:#?}");
    let explanation = &report.result.explanation;
    assert!(
        explanation.contains("at most 2 preemptions"),
        "{explanation}"
    );
    // A handful of interleavings at least: loom really explored, it did not run the code once.
    assert!(explored(explanation) > 2, "{explanation}");
    let test = &report.result.tests[0];
    assert_eq!(
        (test.name.as_str(), test.status),
        ("two_threads_each_add_one", TestStatus::Passed)
    );
    assert_eq!(explored(&test.message), explored(explanation));

    // The same lock releasing with Relaxed: loom sees the unsynchronised access to the cell.
    let report = run(
        &sandbox,
        &SPINLOCK.replace(
            "const ORDER: Ordering = Ordering::Release;",
            "const ORDER: Ordering = Ordering::Relaxed;",
        ),
    )
    .await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 101 },
        "{report:#?}"
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_planted_race_fails_with_its_assertion_and_schedule() {
    let sandbox = connect().await;
    let report = run(&sandbox, RACE).await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 101 },
        "{report:#?}"
    );
    let test = &report.result.tests[0];
    assert_eq!(test.status, TestStatus::Failed);
    let message = &test.message;
    // The assertion, at its line, with loom's values.
    assert!(
        message.contains("panicked at src/main.rs:19:9")
            && message.contains("an increment was lost")
            && message.contains("left: 1"),
        "{message}"
    );
    // The replayed schedule: both threads, their switches and the two stores that collide.
    let schedule = message
        .split("The failing execution, replayed")
        .nth(1)
        .unwrap_or_else(|| panic!("no schedule in {message}"));
    assert!(
        schedule.contains("~~~~~~~~ THREAD 1 ~~~~~~~~"),
        "{schedule}"
    );
    assert!(schedule.matches("Atomic::store").count() >= 2, "{schedule}");
    // Also on standard error as the student sees it.
    assert!(
        report
            .stderr
            .contains("==== loom: the failing execution of no_increment_is_lost")
    );
    assert!(
        report
            .result
            .explanation
            .contains("`no_increment_is_lost` fails"),
        "{}",
        report.result.explanation
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn an_exploding_model_is_stopped_at_the_limit_and_explained() {
    let sandbox = connect().await;
    let started = Instant::now();
    let report = run(&sandbox, EXPLODING).await;
    let explanation = &report.result.explanation;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 101 },
        "{report:#?}"
    );
    assert!(
        explanation.contains("hit the limit")
            && explanation.contains("lower the number of threads or operations"),
        "{explanation}"
    );
    assert!(explored(explanation) >= 1_000, "{explanation}");
    assert_eq!(report.result.tests[0].status, TestStatus::Failed);
    // Stopped by loom's own bound, inside the run limit (compile included).
    assert!(
        started.elapsed().as_secs() < 30,
        "took {:?}",
        started.elapsed()
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn the_preemption_bound_from_the_request_changes_how_much_loom_explores() {
    let sandbox = connect().await;
    let mut counts = Vec::new();
    for bound in [1u8, 3] {
        let job = Job::from_request(
            ExecuteRequest {
                files: vec![ProjectFile::new("src/main.rs", SPINLOCK)],
                runner: RunnerId::new("loom"),
                action: Action::Test,
                loom_preemptions: Some(bound),
                ..ExecuteRequest::default()
            },
            false,
        )
        .expect("a valid request");
        let report = sandbox
            .execute(job, JobIo::detached())
            .await
            .expect("the sandbox works");
        assert_eq!(report.result.outcome, Outcome::Success, "{report:?}");
        counts.push(explored(&report.result.explanation));
    }
    assert!(
        counts[0] < counts[1],
        "more preemptions, more interleavings: {counts:?}"
    );
    finish(sandbox).await;
}
