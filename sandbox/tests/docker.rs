//! The sandbox against a real dockerd and the real runner image.
//!
//! Ignored by a plain `cargo test` (there may be no Docker); `cargo xtask test` starts dockerd,
//! builds the image and runs them with `--ignored`. Run by hand, they fail with an explanation
//! when Docker or the image is missing; they never pass by doing nothing.

use std::time::{Duration, Instant};

use api_types::{Action, Edition, Level, Mode, Outcome, Phase, RunnerId, TestStatus};
use sandbox::{Control, DockerSandbox, Event, Job, JobIo, Limits, Report, Sandbox, StopReason};
use tokio::sync::mpsc;

mod common;
use common::{RUN_LIMIT, finish, run};

/// A sandbox with `warm_pool` warm containers and the short run limit.
async fn connect(warm_pool: usize) -> DockerSandbox {
    common::connect_with(warm_pool, RUN_LIMIT).await
}

const HELLO: &str = "fn main() {\n    println!(\"Hello, world!\");\n}\n";

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn hello_world_runs_in_a_warm_and_in_a_cold_container() {
    for pool in [1, 0] {
        let sandbox = connect(pool).await;
        let report = run(&sandbox, Job::run(HELLO)).await;
        assert_eq!(
            report.result.outcome,
            Outcome::Success,
            "pool {pool}: {report:?}"
        );
        assert_eq!(report.stdout, "Hello, world!\n");
        assert_eq!(
            report.result.explanation,
            "Your program ran and exited normally."
        );
        assert!(report.result.timings.compile_ms > 0);
        finish(sandbox).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_panic_exits_with_101_and_shows_its_message() {
    let sandbox = connect(1).await;
    let report = run(
        &sandbox,
        Job::run("fn main() { panic!(\"boom at {}\", 6 * 7); }"),
    )
    .await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 101 }
    );
    assert!(report.stderr.contains("boom at 42"), "{}", report.stderr);
    assert!(
        report.result.explanation.contains("panicked"),
        "{}",
        report.result.explanation
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_compile_error_is_a_structured_diagnostic_on_the_right_line() {
    let sandbox = connect(1).await;
    let code = "fn main() {\n    let greeting = \"hi\";\n    let n: i32 = greeting;\n}\n";
    let report = run(&sandbox, Job::run(code)).await;
    assert_eq!(report.result.outcome, Outcome::CompileError);
    let error = report
        .result
        .diagnostics
        .iter()
        .find(|d| d.level == Level::Error && !d.spans.is_empty())
        .expect("an error with a span");
    assert_eq!(error.code.as_deref(), Some("E0308"));
    let primary = error.spans.iter().find(|s| s.is_primary).unwrap();
    assert_eq!((primary.line_start, primary.column_start), (3, 18));
    assert!(
        report.compiler.contains("src/main.rs:3:18"),
        "{}",
        report.compiler
    );
    assert!(report.stdout.is_empty());
    assert_eq!(
        report.result.explanation,
        "The compiler found an error in your code; the message below says where."
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn stdin_given_up_front_and_streamed_reaches_the_program() {
    let sandbox = connect(1).await;
    let code = r#"use std::io::BufRead;
fn main() {
    for line in std::io::stdin().lock().lines() {
        println!("Hello, {}!", line.unwrap());
    }
}"#;
    let mut job = Job::run(code);
    job.stdin = b"Ferris\nCorro\n".to_vec();
    let report = run(&sandbox, job).await;
    assert_eq!(report.stdout, "Hello, Ferris!\nHello, Corro!\n");

    // Interactive: the answer comes back before stdin is closed.
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (control, control_rx) = mpsc::unbounded_channel();
    let mut job = Job::run(code);
    job.interactive = true;
    let io = JobIo {
        events: events_tx,
        control: control_rx,
    };
    let execution = tokio::spawn(async move {
        let report = sandbox.execute(job, io).await;
        (sandbox, report)
    });
    let mut seen = Vec::new();
    while let Some(event) = events.recv().await {
        seen.push(event.clone());
        match event {
            Event::Running => control.send(Control::Stdin(b"Ada\n".to_vec())).unwrap(),
            Event::Stdout(text) if text.contains("Hello, Ada!") => {
                control.send(Control::CloseStdin).unwrap();
            }
            _ => {}
        }
    }
    let (sandbox, report) = execution.await.unwrap();
    let report = report.unwrap();
    assert_eq!(report.result.outcome, Outcome::Success);
    assert_eq!(report.stdout, "Hello, Ada!\n");
    assert_eq!(seen[0], Event::Compiling, "{seen:?}");
    assert!(seen.contains(&Event::Running), "{seen:?}");
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn edition_mode_and_action_are_honoured() {
    let sandbox = connect(1).await;
    // `async` is an identifier in 2015 and a keyword since 2018.
    let code = "fn main() { let async = 1; println!(\"{}\", async); }";
    let mut job = Job::run(code);
    job.edition = Edition::E2015;
    assert_eq!(run(&sandbox, job.clone()).await.stdout, "1\n");
    job.edition = Edition::E2021;
    assert_eq!(
        run(&sandbox, job).await.result.outcome,
        Outcome::CompileError
    );

    let code = "fn main() { println!(\"{}\", cfg!(debug_assertions)); }";
    let mut job = Job::run(code);
    assert_eq!(run(&sandbox, job.clone()).await.stdout, "true\n");
    job.mode = Mode::Release;
    assert_eq!(run(&sandbox, job).await.stdout, "false\n");

    let mut job = Job::run("fn main() { println!(\"never\"); }");
    job.action = Action::Build;
    let report = run(&sandbox, job).await;
    assert_eq!(report.result.outcome, Outcome::Success);
    assert_eq!(report.stdout, "", "build does not run the program");

    let tests = "#[test]\nfn adds() { assert_eq!(1 + 1, 2); }\n#[test]\nfn fails() { assert_eq!(1 + 1, 3); }\n";
    let mut job = Job::run(tests);
    job.action = Action::Test;
    let report = run(&sandbox, job).await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 101 }
    );
    assert!(
        report.stdout.contains("test adds ... ok"),
        "{}",
        report.stdout
    );
    assert!(
        report.stdout.contains("test fails ... FAILED"),
        "{}",
        report.stdout
    );
    assert!(report.result.explanation.contains("Some tests failed"));
    // The server reads the harness's report: each test, typed.
    let tests: Vec<(&str, TestStatus)> = report
        .result
        .tests
        .iter()
        .map(|t| (t.name.as_str(), t.status))
        .collect();
    assert_eq!(
        tests,
        [("adds", TestStatus::Passed), ("fails", TestStatus::Failed)]
    );
    assert!(
        report.result.tests[1].message.contains("left: 2"),
        "{:?}",
        report.result.tests
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn the_curriculum_crates_are_ready_without_cargo() {
    let sandbox = connect(1).await;
    let code = r##"
use serde::{Deserialize, Serialize};
use itertools::Itertools;
#[derive(Serialize, Deserialize, Debug)]
struct Point { x: i32, y: i32 }
#[tokio::main]
async fn main() {
    let p: Point = serde_json::from_str(r#"{"x":1,"y":2}"#).unwrap();
    let joined = [p.x, p.y].iter().join("+");
    let handle = tokio::spawn(async move { p.x + p.y });
    let re = regex::Regex::new(r"^\d+$").unwrap();
    println!("{joined}={} {}", handle.await.unwrap(), re.is_match("42"));
}
"##;
    let report = run(&sandbox, Job::run(code)).await;
    assert_eq!(
        report.result.outcome,
        Outcome::Success,
        "{}",
        report.compiler
    );
    assert_eq!(report.stdout, "1+2=3 true\n");
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn runners_without_an_image_say_so() {
    // This server's Miri image is one that was never built: its runner is missing here.
    let mut config = sandbox::DockerConfig {
        warm_pool: 0,
        ..sandbox::DockerConfig::default()
    };
    config.images.insert(
        RunnerId::new("miri"),
        "rmp-runner-not-built-here:latest".into(),
    );
    let sandbox = DockerSandbox::connect(config).await.unwrap();
    let mut job = Job::run(HELLO);
    job.runner = RunnerId::new("miri");
    let report = sandbox.execute(job, JobIo::detached()).await.unwrap();
    assert_eq!(
        report.result.outcome,
        Outcome::RunnerUnavailable {
            runner: RunnerId::new("miri")
        }
    );
    assert_eq!(
        report.result.explanation,
        "Miri is not installed on this server. An administrator can build it with `cargo xtask images`."
    );
    let statuses = sandbox.runners().await;
    let miri = statuses.iter().find(|s| s.id.as_str() == "miri").unwrap();
    assert_eq!(miri.available, Err(report.result.explanation.clone()));
    let stable = statuses.iter().find(|s| s.id.as_str() == "stable").unwrap();
    assert_eq!(stable.available, Ok(()));
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn stop_and_dropped_futures_kill_and_remove_the_container() {
    let sandbox = connect(0).await;
    let forever = "fn main() { loop { std::hint::spin_loop(); } }";

    // The student presses Stop.
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (control, control_rx) = mpsc::unbounded_channel();
    let io = JobIo {
        events: events_tx,
        control: control_rx,
    };
    let stopper = tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if event == Event::Running {
                control.send(Control::Stop(StopReason::User)).unwrap();
            }
        }
    });
    let report = sandbox.execute(Job::run(forever), io).await.unwrap();
    stopper.await.unwrap();
    assert_eq!(report.result.outcome, Outcome::Killed);
    assert_eq!(report.result.explanation, "You stopped the program.");

    // The client goes away: the future is dropped mid-run.
    let started = Instant::now();
    let dropped =
        tokio::time::timeout(Duration::from_secs(2), run(&sandbox, Job::run(forever))).await;
    assert!(dropped.is_err(), "the loop was still running");
    let left = sandbox.containers().await.unwrap();
    assert!(
        left.is_empty(),
        "the dropped run's container remains: {left:?}"
    );
    assert!(started.elapsed() < RUN_LIMIT + Duration::from_secs(3));
    finish(sandbox).await;
}

/// Runs a hostile program and, at the same time, a benign one that must still succeed.
async fn contained(code: &str) -> Report {
    let sandbox = connect(2).await;
    sandbox.wait_warm(Duration::from_secs(20)).await;
    let started = Instant::now();
    let (hostile, benign) = tokio::join!(run(&sandbox, Job::run(code)), async {
        // Let the hostile program get going first.
        tokio::time::sleep(Duration::from_millis(500)).await;
        run(&sandbox, Job::run(HELLO)).await
    });
    assert_eq!(
        benign.result.outcome,
        Outcome::Success,
        "the benign run beside it: {benign:?}"
    );
    assert_eq!(benign.stdout, "Hello, world!\n");
    assert!(
        started.elapsed() < Limits::default().compile_timeout + RUN_LIMIT + Duration::from_secs(10),
        "everything ended within its limits"
    );
    finish(sandbox).await;
    hostile
}

fn timed_out() -> Outcome {
    Outcome::TimedOut {
        phase: Phase::Run,
        limit_ms: RUN_LIMIT.as_millis() as u64,
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn an_infinite_loop_times_out() {
    let report = contained(
        "fn main() { let mut i = 0u64; loop { i = i.wrapping_add(1); std::hint::black_box(i); } }",
    )
    .await;
    assert_eq!(report.result.outcome, timed_out());
    assert_eq!(
        report.result.explanation,
        "Your program was still running after 4 s and was stopped. Look for a loop that never ends, or for input it is still waiting for."
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_fork_bomb_hits_the_process_limit() {
    let code = r#"fn main() {
    loop {
        std::process::Command::new("/proc/self/exe").spawn().expect("spawn");
    }
}"#;
    let report = contained(code).await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 101 },
        "{report:?}"
    );
    assert!(
        report
            .result
            .explanation
            .contains("more processes or threads than the sandbox allows"),
        "{}",
        report.result.explanation
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_memory_bomb_is_stopped_at_the_memory_limit() {
    let code = "fn main() { let mut v = Vec::new(); loop { v.push(vec![1u8; 1 << 24]); } }";
    let report = contained(code).await;
    assert_eq!(
        report.result.outcome,
        Outcome::OutOfMemory { limit_mb: 512 }
    );
    assert_eq!(
        report.result.explanation,
        "Your program used more than 512 MiB of memory and was stopped."
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn an_output_flood_is_cut_at_the_cap() {
    let report = contained("fn main() { loop { println!(\"flood flood flood flood\"); } }").await;
    assert!(report.result.stdout_truncated);
    assert!(
        report.stdout.len() <= 1024 * 1024,
        "{}",
        report.stdout.len()
    );
    assert!(report.stdout.len() > 1000 * 1024, "{}", report.stdout.len());
    assert!(
        report
            .result
            .explanation
            .contains("Your program printed more than 1 MiB; the rest was cut off."),
        "{}",
        report.result.explanation
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_huge_file_fills_only_the_scratch_space() {
    let code = r#"use std::io::Write;
fn main() {
    assert!(std::fs::write("/escape.txt", "x").is_err(), "the root is read-only");
    let mut file = std::fs::File::create("/tmp/huge").unwrap();
    let block = vec![7u8; 1 << 20];
    for _ in 0..1024 { file.write_all(&block).unwrap(); }
}"#;
    let report = contained(code).await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 101 },
        "{report:?}"
    );
    assert!(
        report.stderr.contains("No space left on device"),
        "{}",
        report.stderr
    );
    assert!(
        report.result.explanation.contains("ran out of disk space"),
        "{}",
        report.result.explanation
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn the_network_is_unreachable() {
    let code = r#"fn main() {
    let stream = std::net::TcpStream::connect_timeout(&"1.1.1.1:80".parse().unwrap(), std::time::Duration::from_secs(2));
    stream.unwrap();
}"#;
    let report = contained(code).await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 101 }
    );
    assert!(
        report.stderr.contains("Network is unreachable"),
        "{}",
        report.stderr
    );
    assert!(report.result.explanation.contains("cannot use the network"));
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn sleeping_forever_times_out() {
    let report = contained("fn main() { std::thread::sleep(std::time::Duration::MAX); }").await;
    assert_eq!(report.result.outcome, timed_out());
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_background_process_does_not_outlive_main() {
    let code = r#"fn main() {
    let child = std::process::Command::new("sleep").arg("1000").spawn().unwrap();
    std::mem::forget(child);
    println!("main is done");
}"#;
    let started = Instant::now();
    let report = contained(code).await;
    assert_eq!(report.result.outcome, Outcome::Success);
    assert_eq!(report.stdout, "main is done\n");
    assert!(
        report.result.timings.run_ms < 2000,
        "{:?}",
        report.result.timings
    );
    assert!(started.elapsed() < RUN_LIMIT + Duration::from_secs(20));
}
