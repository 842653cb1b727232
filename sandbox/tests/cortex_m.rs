//! The Cortex-M runner against a real dockerd and the real `rmp-runner-cortex-m` image: programs
//! built for `thumbv7m-none-eabi` and run on QEMU's lm3s6965evb.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` runs them with `--ignored` after building
//! the images. Run by hand, they fail with an explanation when Docker or the image is missing.

use std::time::{Duration, Instant};

use api_types::{Level, Mode, Outcome, Phase, RunnerId};
use sandbox::{Control, Event, Job, JobIo, Sandbox, StopReason};
use tokio::sync::mpsc;

mod common;
use common::{RUN_LIMIT, check_image, connect, finish, run};

fn board_job(code: &str) -> Job {
    Job {
        runner: RunnerId::new("cortex-m"),
        ..Job::run(code)
    }
}

const HELLO: &str = r#"#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hprintln};
use panic_semihosting as _;

#[entry]
fn main() -> ! {
    hprintln!("Hello from a Cortex-M3!");
    debug::exit(debug::EXIT_SUCCESS);
    loop {}
}
"#;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_semihosting_line_comes_back_and_exit_is_the_status() {
    let sandbox = connect().await;
    for mode in [Mode::Debug, Mode::Release] {
        let mut job = board_job(HELLO);
        job.mode = mode;
        let report = run(&sandbox, job).await;
        assert_eq!(
            report.result.outcome,
            Outcome::Success,
            "{mode:?}: {report:?}"
        );
        assert_eq!(report.stdout, "Hello from a Cortex-M3!\n");
        assert_eq!(report.stderr, "", "QEMU's start-up line is not shown");
        assert!(
            report
                .result
                .explanation
                .contains("exited through semihosting"),
            "{}",
            report.result.explanation
        );
    }
    // `debug::exit(EXIT_FAILURE)` is QEMU's exit status 1, and the crates all link.
    let failing = HELLO
        .replace("EXIT_SUCCESS", "EXIT_FAILURE")
        .replace(
            "use panic_semihosting as _;",
            "use panic_semihosting as _;\nuse embedded_hal as _;\nuse cortex_m::asm;",
        )
        .replace(
            "hprintln!(\"Hello from a Cortex-M3!\");",
            "asm::nop();\n    critical_section::with(|_| hprintln!(\"failing\"));",
        );
    let report = run(&sandbox, board_job(&failing)).await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 1 },
        "{report:?}"
    );
    assert_eq!(report.stdout, "failing\n");
    assert!(
        report.result.explanation.contains("EXIT_FAILURE"),
        "{}",
        report.result.explanation
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn semihosting_output_streams_while_the_board_runs() {
    let sandbox = connect().await;
    // Prints, then never halts: the line can only arrive by streaming.
    let code = r#"#![no_std]
#![no_main]
use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use panic_semihosting as _;
#[entry]
fn main() -> ! {
    hprintln!("tick from the board");
    loop {
        cortex_m::asm::nop();
    }
}
"#;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (control, control_rx) = mpsc::unbounded_channel();
    let io = JobIo {
        events: events_tx,
        control: control_rx,
    };
    let execution = tokio::spawn(async move {
        let report = sandbox.execute(board_job(code), io).await;
        (sandbox, report)
    });
    let mut seen = Vec::new();
    let mut streamed_at = None;
    while let Some(event) = events.recv().await {
        seen.push(event.clone());
        if let Event::Stdout(text) = &event
            && text.contains("tick from the board")
        {
            streamed_at = Some(Instant::now());
            control.send(Control::Stop(StopReason::User)).unwrap();
        }
    }
    let (sandbox, report) = execution.await.unwrap();
    let report = report.unwrap();
    check_image(&report);
    assert!(
        streamed_at.is_some(),
        "no Stdout event with the line: {seen:?}"
    );
    let running = seen.iter().position(|e| *e == Event::Running);
    let line = seen
        .iter()
        .position(|e| matches!(e, Event::Stdout(t) if t.contains("tick")));
    assert!(running < line, "Running comes first: {seen:?}");
    // Stopped by the student, long before the run limit: the line came while it ran.
    assert_eq!(report.result.outcome, Outcome::Killed, "{report:?}");
    assert!(report.result.timings.run_ms < RUN_LIMIT.as_millis() as u64);
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_panic_reaches_the_student_with_its_message() {
    let sandbox = connect().await;
    let code = r#"#![no_std]
#![no_main]
use cortex_m_rt::entry;
use panic_semihosting as _;
#[entry]
fn main() -> ! {
    let readings = [3u8, 5, 8];
    let at = readings.len();
    panic!("sensor {} is out of range", at + 39);
}
"#;
    let report = run(&sandbox, board_job(code)).await;
    assert_eq!(
        report.result.outcome,
        Outcome::ExitFailure { exit_code: 1 },
        "{report:?}"
    );
    assert!(
        report.stdout.contains("panicked at src/main.rs:9:5")
            && report.stdout.contains("sensor 42 is out of range"),
        "{}",
        report.stdout
    );
    assert!(
        report.result.explanation.contains("panicked"),
        "{}",
        report.result.explanation
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_board_that_never_halts_is_stopped_at_the_limit_and_explained() {
    let sandbox = connect().await;
    let code = r#"#![no_std]
#![no_main]
use cortex_m_rt::entry;
use panic_semihosting as _;
#[entry]
fn main() -> ! {
    loop {}
}
"#;
    let started = Instant::now();
    let report = run(&sandbox, board_job(code)).await;
    assert_eq!(
        report.result.outcome,
        Outcome::TimedOut {
            phase: Phase::Run,
            limit_ms: RUN_LIMIT.as_millis() as u64
        },
        "{report:?}"
    );
    assert!(
        report.result.explanation.starts_with(
            "The board was still running after 4 s and was stopped: an embedded program loops forever unless it exits through semihosting (`debug::exit`)"
        ),
        "{}",
        report.result.explanation
    );
    assert!(started.elapsed() < RUN_LIMIT + Duration::from_secs(20));
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_crashed_board_is_a_clear_message() {
    let sandbox = connect().await;
    // A fault inside the HardFault handler: the processor locks up and QEMU aborts.
    let code = r#"#![no_std]
#![no_main]
use cortex_m_rt::{ExceptionFrame, entry, exception};
use panic_semihosting as _;
#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    cortex_m::asm::udf()
}
#[entry]
fn main() -> ! {
    cortex_m::asm::udf()
}
"#;
    let report = run(&sandbox, board_job(code)).await;
    assert_eq!(
        report.result.outcome,
        Outcome::Signaled { signal: 6 },
        "{report:?}"
    );
    assert!(
        report
            .result
            .explanation
            .starts_with("The board crashed: QEMU stopped with “Lockup: can't escalate"),
        "{}",
        report.result.explanation
    );
    assert!(
        report.stderr.contains("qemu: fatal: Lockup"),
        "{}",
        report.stderr
    );
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner images: cargo xtask test runs it"]
async fn a_compile_error_is_a_diagnostic_on_src_main_rs() {
    let sandbox = connect().await;
    let code = HELLO.replace(
        "    hprintln!(\"Hello from a Cortex-M3!\");",
        "    let count: u32 = \"three\";",
    );
    let report = run(&sandbox, board_job(&code)).await;
    assert_eq!(report.result.outcome, Outcome::CompileError, "{report:?}");
    let error = report
        .result
        .diagnostics
        .iter()
        .find(|d| d.level == Level::Error && !d.spans.is_empty())
        .expect("an error with a span");
    assert_eq!(error.code.as_deref(), Some("E0308"));
    let primary = error.spans.iter().find(|s| s.is_primary).unwrap();
    assert_eq!(
        (primary.file.as_str(), primary.line_start),
        ("src/main.rs", 10)
    );
    finish(sandbox).await;
}
