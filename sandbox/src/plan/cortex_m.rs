//! The Cortex-M runner: builds for `thumbv7m-none-eabi` and runs the program on QEMU's `lm3s6965evb` board.
//!
//! A program is `#![no_std]` + `#![no_main]` with cortex-m-rt's `#[entry]`; it is linked with
//! cortex-m-rt's `link.x` and the board's `memory.x` (both in [`BOARD_DIR`] in the image, see
//! runner-images/cortex-m/prepare.sh). QEMU runs the ELF with semihosting on: `hprintln!` writes
//! to QEMU's standard output as it happens (streamed like any program's), so does a panic's
//! message (panic-semihosting), and `debug::exit` ends QEMU with status 0
//! (`EXIT_SUCCESS`) or 1. A program that never exits runs until the run limit stops it.

use api_types::{Action, Outcome, Phase};
use rmp_job::protocol::{JOB_DIR, JobSpec, Step};
use runners::RunnerSpec;

use super::{OUT, PlanError, Project, artifact, common_args, compile_step, program_step, spec};
use crate::{Job, Limits, Report};

/// Where the image keeps cortex-m-rt's `link.x` and the board's `memory.x`.
const BOARD_DIR: &str = "/opt/rmp/cortex-m";
const TARGET: &str = "thumbv7m-none-eabi";
/// What QEMU's lm3s6965evb model prints on every start (a timer of the board set up with period
/// zero); it means nothing to a student, so the report drops it.
const QEMU_NOISE: &str = "Timer with period zero, disabling\n";

/// What every compile line for the board adds to [`common_args`].
fn target_args() -> Vec<String> {
    vec!["--target".into(), TARGET.into()]
}

/// The QEMU command line that runs `elf` on the board.
fn qemu_step(elf: String) -> Step {
    let args = [
        "-cpu",
        "cortex-m3",
        "-machine",
        "lm3s6965evb",
        "-nographic",
        // The serial port on stdio without QEMU's monitor: a student's input cannot reach the
        // monitor's commands (`Ctrl-A c`).
        "-monitor",
        "none",
        "-serial",
        "stdio",
        "-semihosting-config",
        "enable=on,target=native",
        "-kernel",
    ];
    let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    args.push(elf);
    program_step("qemu-system-arm".into(), args)
}

/// The command lines of a job on the Cortex-M runner.
pub(super) fn plan(
    job: &Job,
    runner: &RunnerSpec,
    limits: &Limits,
    project: &Project,
) -> Result<JobSpec, PlanError> {
    if !matches!(job.action, Action::Run | Action::Build) {
        return Err(PlanError::Layout(format!(
            "the {} runner can build and run a program, not `{}`",
            runner.id,
            job.action.name()
        )));
    }
    for package in &project.packages {
        if package.build_script.is_some() {
            return Err(PlanError::Layout(format!(
                "{}: build scripts are not supported on the {} runner",
                super::join(&package.dir, "build.rs"),
                runner.id
            )));
        }
        if package.proc_macro {
            return Err(PlanError::Layout(format!(
                "{}: proc-macro crates are not supported on the {} runner",
                super::join(&package.dir, "Cargo.toml"),
                runner.id
            )));
        }
    }
    let root = project.root();
    let Some(bin) = &root.bin else {
        return Err(PlanError::Layout(
            "there is nothing to run on the board: the project has no `src/main.rs` (a `#![no_std]`, `#![no_main]` program with `#[entry]`)".into(),
        ));
    };
    let mut steps = vec![Step {
        program: "mkdir".into(),
        args: vec!["-p".into(), OUT.into()],
        ..Step::default()
    }];
    // Libraries first (the project's packages are in build order), then the program.
    for package in &project.packages {
        if let Some(lib) = &package.lib {
            let mut args = common_args(job, package, project, true, false);
            args.extend(target_args());
            args.extend(["--crate-type".into(), "lib".into()]);
            args.extend(["--out-dir".into(), OUT.into(), lib.clone()]);
            steps.push(compile_step("rustc", args));
        }
    }
    let mut args = common_args(job, root, project, true, true);
    args.extend(target_args());
    if root.lib.is_some() {
        args.extend([
            "--extern".into(),
            format!("{}={}", root.name, artifact(root)),
        ]);
    }
    args.extend([
        // cortex-m-rt's linker script, which INCLUDEs the board's memory.x.
        "-L".into(),
        BOARD_DIR.into(),
        "-C".into(),
        "link-arg=-Tlink.x".into(),
        "--crate-type".into(),
        "bin".into(),
        "-o".into(),
        format!("{OUT}/{}", root.name),
        bin.clone(),
    ]);
    steps.push(compile_step("rustc", args));
    let run_from = steps.len();
    if job.action == Action::Run {
        steps.push(qemu_step(format!("{JOB_DIR}/{OUT}/{}", root.name)));
    }
    let mut spec = spec(job, limits, steps, Vec::new());
    spec.run_from = run_from;
    Ok(spec)
}

/// What the Cortex-M runner adds to the report in words: why the board stopped.
pub(super) fn refine(job: &Job, report: &mut Report) {
    if job.action != Action::Run {
        return;
    }
    report.stderr = report.stderr.replace(QEMU_NOISE, "");
    let stderr = report.stderr.as_str();
    let qemu_fatal = stderr
        .lines()
        .find_map(|l| l.strip_prefix("qemu: fatal: "))
        .map(str::trim);
    let qemu_error = stderr
        .lines()
        .find_map(|l| l.strip_prefix("qemu-system-arm: "))
        .map(str::trim);
    let explanation = match &report.result.outcome {
        Outcome::Success => {
            "Your program ran on the board and exited through semihosting (`debug::exit`)."
                .to_owned()
        }
        Outcome::TimedOut {
            phase: Phase::Run,
            limit_ms,
        } => format!(
            "The board was still running after {} and was stopped: an embedded program loops forever unless it exits through semihosting (`debug::exit`). A fault (such as an invalid memory access) also ends in cortex-m-rt's default HardFault handler, which loops.",
            seconds(*limit_ms)
        ),
        _ if qemu_fatal.is_some() => {
            let fatal = qemu_fatal.unwrap_or_default();
            if fatal.starts_with("Lockup") {
                format!(
                    "The board crashed: QEMU stopped with “{fatal}”. The processor hit a fault while it was handling a fault (inside HardFault, or with a broken stack), which a Cortex-M3 cannot recover from; the registers at that moment are in the error output."
                )
            } else {
                format!(
                    "The board crashed: QEMU stopped with “{fatal}”; the registers at that moment are in the error output."
                )
            }
        }
        Outcome::Signaled { signal } => format!(
            "The board emulator (QEMU) crashed with signal {signal}; its error output is below."
        ),
        // panic-semihosting writes the message to the semihosting stdout.
        Outcome::ExitFailure { exit_code: 1 } if report.stdout.contains("panicked at") => {
            "Your program panicked; panic-semihosting printed the message in its output and stopped the board with a failure status (1).".to_owned()
        }
        Outcome::ExitFailure { exit_code: 1 } if qemu_error.is_some() => format!(
            "The board emulator (QEMU) could not run your program: {}",
            qemu_error.unwrap_or_default()
        ),
        Outcome::ExitFailure { exit_code: 1 } => {
            "Your program stopped the board with a failure status (1), through semihosting (`debug::exit(debug::EXIT_FAILURE)`).".to_owned()
        }
        _ => return,
    };
    report.result.explanation = explanation;
}

fn seconds(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::ExecutionResult;
    use expect_test::expect;

    fn cortex_m() -> &'static RunnerSpec {
        runners::get("cortex-m").unwrap()
    }

    fn job(files: &[(&str, &str)], action: Action) -> Job {
        super::super::test_job("cortex-m", files, action)
    }

    fn plan_of(job: &Job) -> Result<JobSpec, PlanError> {
        super::super::plan(job, cortex_m(), &Limits::default())
    }

    fn lines(spec: &JobSpec) -> String {
        let mut out = String::new();
        for (i, step) in spec.steps.iter().enumerate() {
            if i == spec.run_from {
                out.push_str("-- run --\n");
            }
            out.push_str(&format!("{} {}\n", step.program, step.args.join(" ")));
        }
        out
    }

    #[test]
    fn a_program_is_linked_for_the_board_and_run_on_qemu() {
        let spec = plan_of(&job(&[("src/main.rs", "")], Action::Run)).unwrap();
        expect![[r#"
            mkdir -p out
            rustc --crate-name main --edition 2024 --error-format=json -C opt-level=0 -Ldependency=/opt/rmp/deps/target/debug/deps @/opt/rmp/externs-debug.args -Ldependency=out --target thumbv7m-none-eabi -L /opt/rmp/cortex-m -C link-arg=-Tlink.x --crate-type bin -o out/main src/main.rs
            -- run --
            qemu-system-arm -cpu cortex-m3 -machine lm3s6965evb -nographic -monitor none -serial stdio -semihosting-config enable=on,target=native -kernel /tmp/job/out/main
        "#]]
        .assert_eq(&lines(&spec));
        let run = &spec.steps[2];
        assert_eq!(
            (&run.stdout, &run.stderr),
            (
                &rmp_job::protocol::Sink::Stdout,
                &rmp_job::protocol::Sink::Stderr
            )
        );
        assert_eq!(
            spec.steps[1].stderr,
            rmp_job::protocol::Sink::Compiler,
            "rustc's JSON becomes diagnostics"
        );

        let spec = plan_of(&job(&[("src/main.rs", "")], Action::Build)).unwrap();
        assert_eq!(spec.run_from, spec.steps.len(), "Build does not start QEMU");
    }

    #[test]
    fn a_local_library_is_compiled_for_the_board_too() {
        let files = [
            (
                "Cargo.toml",
                "[package]\nname = \"blinky\"\n[dependencies]\nleds = { path = \"leds\" }\ncortex-m = \"0.7\"\n",
            ),
            ("src/main.rs", ""),
            ("leds/Cargo.toml", "[package]\nname = \"leds\"\n"),
            ("leds/src/lib.rs", "#![no_std]"),
        ];
        let mut j = job(&files, Action::Run);
        j.mode = api_types::Mode::Release;
        let spec = plan_of(&j).unwrap();
        let leds = spec.steps[1].args.join(" ");
        assert!(
            leds.contains(
                "--target thumbv7m-none-eabi --crate-type lib --out-dir out leds/src/lib.rs"
            ),
            "{leds}"
        );
        let main = spec.steps[2].args.join(" ");
        assert!(main.contains("--extern leds=out/libleds.rlib"), "{main}");
        assert!(main.contains("/opt/rmp/deps/target/release/deps"), "{main}");
        assert!(main.contains("-C opt-level=3"), "{main}");
    }

    #[test]
    fn what_the_board_cannot_do_is_refused_in_words() {
        type Case<'a> = (&'a [(&'a str, &'a str)], Action, &'a str);
        let cases: [Case; 4] = [
            (&[("src/lib.rs", "")], Action::Run, "no `src/main.rs`"),
            (
                &[
                    ("Cargo.toml", "[package]\nname = \"a\"\n"),
                    ("build.rs", ""),
                    ("src/main.rs", ""),
                ],
                Action::Run,
                "build scripts are not supported",
            ),
            (
                &[("src/main.rs", "")],
                Action::Test,
                "can build and run a program",
            ),
            (
                &[
                    (
                        "Cargo.toml",
                        "[package]\nname = \"a\"\n[dependencies]\nserde = \"1\"\n",
                    ),
                    ("src/main.rs", ""),
                ],
                Action::Run,
                "not one of the crates",
            ),
        ];
        for (files, action, words) in cases {
            let error = plan_of(&job(files, action)).unwrap_err().to_string();
            assert!(error.contains(words), "{error}");
        }
    }

    fn report(outcome: Outcome, stderr: &str) -> Report {
        Report {
            stdout: String::new(),
            stderr: stderr.into(),
            compiler: String::new(),
            result: ExecutionResult {
                outcome,
                explanation: "generic".into(),
                diagnostics: Vec::new(),
                timings: Default::default(),
                stdout_truncated: false,
                stderr_truncated: false,
                tests: Vec::new(),
                view: None,
                files: Vec::new(),
            },
        }
    }

    #[test]
    fn the_board_s_ends_are_explained() {
        let run = job(&[("src/main.rs", "")], Action::Run);
        let mut r = report(
            Outcome::TimedOut {
                phase: Phase::Run,
                limit_ms: 10_000,
            },
            QEMU_NOISE,
        );
        refine(&run, &mut r);
        assert!(
            r.result.explanation.starts_with("The board was still running after 10 s and was stopped: an embedded program loops forever unless it exits through semihosting (`debug::exit`)"),
            "{}",
            r.result.explanation
        );
        assert_eq!(r.stderr, "", "QEMU's start-up noise is dropped");

        let mut r = report(Outcome::ExitFailure { exit_code: 1 }, QEMU_NOISE);
        r.stdout = "panicked at src/main.rs:9:5:\nboom\n".into();
        refine(&run, &mut r);
        assert!(r.result.explanation.contains("panicked"));
        assert_eq!(r.stderr, "");

        let mut r = report(
            Outcome::Signaled { signal: 6 },
            "qemu: fatal: Lockup: can't escalate 3 to HardFault (current priority -1)\n\nR00=0\n",
        );
        refine(&run, &mut r);
        assert!(
            r.result.explanation.contains(
                "The board crashed: QEMU stopped with “Lockup: can't escalate 3 to HardFault"
            ),
            "{}",
            r.result.explanation
        );

        let mut r = report(Outcome::ExitFailure { exit_code: 1 }, "");
        refine(&run, &mut r);
        assert!(r.result.explanation.contains("EXIT_FAILURE"));

        // A compile error keeps the compiler's explanation.
        let mut r = report(Outcome::CompileError, "");
        refine(&run, &mut r);
        assert_eq!(r.result.explanation, "generic");
    }
}
