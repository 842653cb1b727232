//! The Loom runner: builds the tests with `--cfg loom` in release mode and runs them, exploring
//! thread interleavings.
//!
//! Test is the runner's only action. Every crate of the project is compiled with `--cfg loom`
//! against the image's loom (itself built with `--cfg loom`, runner-images/loom/prepare.sh), so
//! `loom::model`, `loom::sync` and `loom::thread` are the model checker. Each test harness then
//! runs under [`RUN_SCRIPT`], which
//! - sets loom's bounds through its environment: at most `LOOM_MAX_PREEMPTIONS` forced switches per
//!   execution, [`MAX_EXECUTIONS`] executions or [`MAX_SECONDS`] per model, whichever comes first,
//!   so an exploding model stops inside the run limit;
//! - keeps each test's output (`--show-output`), where loom logs `Completed in N iterations`;
//! - turns a model that stopped at a bound into a failure (loom itself returns quietly there);
//! - replays the first failing test's failing execution with `LOOM_LOG=trace LOOM_LOCATION=1`
//!   (stored by `LOOM_CHECKPOINT_FILE`), which prints its schedule: every thread switch and
//!   operation with its source line.
//!
//! [`refine`] reads that output back: the number of interleavings, the limit, the schedule.

use api_types::{Action, Mode, Outcome, Phase, TestStatus};
use rmp_job::protocol::{JOB_DIR, JobSpec, Sink, Step};
use runners::RunnerSpec;

use super::{OUT, PlanError, Project, artifact, common_args, compile_step, spec};
use crate::{Job, Limits, Report};

/// The preemption bound when the request names none: loom's documentation finds most bugs
/// within two, and each one more multiplies the executions.
pub const DEFAULT_PREEMPTIONS: u32 = 2;
/// The largest preemption bound a request may ask for.
pub const MAX_PREEMPTIONS: u32 = 3;
/// Executions per model before loom stops (a multiple of [`PROGRESS_EVERY`], where loom checks).
/// A model of three threads doing ten operations each explores about 7 000 executions per second
/// on this project's 2-core machines, so this stops it in about 3 s, inside the run limit.
pub const MAX_EXECUTIONS: u32 = 20_000;
/// Seconds per model before loom stops (checked every [`PROGRESS_EVERY`] executions).
pub const MAX_SECONDS: u64 = 5;
/// Loom logs its progress (and checks the two limits above) every this many executions.
const PROGRESS_EVERY: u32 = 1_000;
/// Lines of the replayed schedule kept (a long execution logs thousands).
const SCHEDULE_LINES: u32 = 400;

/// Marks the replayed schedule on standard error.
const SCHEDULE_START: &str = "==== loom: the failing execution of ";
const SCHEDULE_END: &str = "==== loom: end of the schedule ====";
/// Printed by [`RUN_SCRIPT`] for a model stopped at a limit: `loom: TEST stopped after N executions`.
const LIMIT_LINE: &str = " stopped after ";

/// Runs one test harness (`$1`); `$2` is the seconds left for the whole run. POSIX sh, the image's
/// coreutils and mawk.
const RUN_SCRIPT: &str = r#"h=$1
started=$(cat out/loom-started 2>/dev/null || date +%s)
{ "$h" --test-threads 1 --show-output; echo $? > "$h.status"; } | tee "$h.log"
status=$(cat "$h.status")
# Passing tests whose last model logged progress but never "Completed": stopped at a limit.
limited=$(awk '
  /^successes:$/ { ok = 1; next }
  /^failures:$/ || /^test result:/ { ok = 0; cur = ""; next }
  ok && /^---- .* stdout ----$/ { cur = substr($0, 6, length($0) - 16); next }
  cur != "" && match($0, /Iteration [0-9]+ =/) { n[cur] = substr($0, RSTART + 10, RLENGTH - 12); state[cur] = "open" }
  cur != "" && /Completed in [0-9]+ iterations/ { state[cur] = "done" }
  END { for (t in state) if (state[t] == "open") print t " " n[t] }
' "$h.log")
if [ -n "$limited" ]; then
  echo "$limited" | while read -r name n; do echo "loom: $name stopped after $n executions"; done
  status=101
fi
failed=$(awk '/^failures:$/ { list = ""; on = 1; next } on && /^    [^ ]+$/ { list = list $1 "\n" } /^test result:/ { on = 0 } END { printf "%s", list }' "$h.log" | head -n 1)
left=$(( $2 - ($(date +%s) - started) ))
if [ -n "$failed" ] && [ "$left" -ge 3 ]; then
  rm -f "$h.path.json"
  env -u LOOM_LOG -u LOOM_MAX_PERMUTATIONS LOOM_CHECKPOINT_FILE="$h.path.json" LOOM_CHECKPOINT_INTERVAL=1 \
    timeout $(( left / 2 )) "$h" --exact "$failed" --test-threads 1 > /dev/null 2>&1
  if [ -s "$h.path.json" ]; then
    {
      echo "==== loom: the failing execution of $failed, replayed: each thread switch and operation ===="
      env LOOM_CHECKPOINT_FILE="$h.path.json" LOOM_LOG=trace LOOM_LOCATION=1 \
        timeout $(( left / 2 )) "$h" --exact "$failed" --test-threads 1 --nocapture 2>&1 \
        | grep -v -e '^running ' -e '^test ' -e '^$' -e '^FAILED$' -e '^failures:$' -e '^    ' \
          -e 'note: run with' -e 'loom::rt::object:' -e 'branch switch=false' -e 'loom::rt: synchronize' \
        | { head -n SCHEDULE_LINES; cat > /dev/null; }
      echo "==== loom: end of the schedule ===="
    } >&2
  fi
fi
exit "$status"
"#;

/// The command lines of a job on the Loom runner.
pub(super) fn plan(
    job: &Job,
    runner: &RunnerSpec,
    limits: &Limits,
    project: &Project,
) -> Result<JobSpec, PlanError> {
    if job.action != Action::Test {
        return Err(PlanError::Layout(format!(
            "the {} runner only runs tests: write `#[test]` functions that call `loom::model`",
            runner.id
        )));
    }
    // The crates are compiled for release only, and loom's checks need the optimiser.
    let job = &Job {
        mode: Mode::Release,
        ..job.clone()
    };
    let loom_args = |package, linked| {
        let mut args = common_args(job, package, project, true, linked);
        args.extend(["--cfg".into(), "loom".into()]);
        args
    };
    let mut steps = vec![Step {
        program: "mkdir".into(),
        args: vec!["-p".into(), OUT.into()],
        ..Step::default()
    }];
    let root = project.root();
    for package in &project.packages {
        if package.build_script.is_some() || package.proc_macro {
            return Err(PlanError::Layout(format!(
                "`{}`: the Loom runner builds plain crates only (no build script, no proc macro)",
                if package.dir.is_empty() {
                    "the project"
                } else {
                    &package.dir
                }
            )));
        }
        let is_root = std::ptr::eq(package, root);
        // Other crates link the library; the root's is needed by its integration tests.
        if let Some(lib) = &package.lib
            && (!is_root || !root.integration_tests.is_empty())
        {
            let mut args = loom_args(package, false);
            args.extend([
                "--crate-type".into(),
                "lib".into(),
                "--out-dir".into(),
                OUT.into(),
                lib.clone(),
            ]);
            steps.push(compile_step("rustc", args));
        }
    }
    let mut harnesses = Vec::new();
    // The root's unit tests: in src/lib.rs, else in src/main.rs.
    if let Some(source) = root.lib.as_ref().or(root.bin.as_ref()) {
        let name = format!("{}-test", root.name);
        let mut args = loom_args(root, true);
        args.extend([
            "--test".into(),
            "-o".into(),
            format!("{OUT}/{name}"),
            source.clone(),
        ]);
        steps.push(compile_step("rustc", args));
        harnesses.push(name);
    }
    for test in &root.integration_tests {
        let stem = test
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".rs"))
            .unwrap_or("test")
            .replace('-', "_");
        let mut args = loom_args(root, true);
        args[1] = stem.clone();
        if root.lib.is_some() {
            args.extend([
                "--extern".into(),
                format!("{}={}", root.name, artifact(root)),
            ]);
        }
        let name = format!("test-{stem}");
        args.extend([
            "--test".into(),
            "-o".into(),
            format!("{OUT}/{name}"),
            test.clone(),
        ]);
        steps.push(compile_step("rustc", args));
        harnesses.push(name);
    }

    let run_from = steps.len();
    // The run limit covers every harness: each script knows when the run began.
    steps.push(Step {
        program: "sh".into(),
        args: vec!["-c".into(), "date +%s > out/loom-started".into()],
        ..Step::default()
    });
    let run_secs = limits.run_timeout.as_secs();
    let script = RUN_SCRIPT.replace("SCHEDULE_LINES", &SCHEDULE_LINES.to_string());
    for harness in harnesses {
        steps.push(Step {
            program: "sh".into(),
            args: vec![
                "-c".into(),
                script.clone(),
                "loom".into(),
                format!("{JOB_DIR}/{OUT}/{harness}"),
                run_secs.to_string(),
            ],
            env: env(preemptions(job)),
            stdout: Sink::Stdout,
            stderr: Sink::Stderr,
            stdin: false,
            ..Step::default()
        });
    }
    let mut spec = spec(job, limits, steps, Vec::new());
    spec.run_from = run_from;
    Ok(spec)
}

/// The preemption bound of a job: the request's (`loomPreemptions`, checked at the edge), else
/// the default, never above [`MAX_PREEMPTIONS`].
fn preemptions(job: &Job) -> u32 {
    job.loom_preemptions
        .unwrap_or(DEFAULT_PREEMPTIONS)
        .clamp(1, MAX_PREEMPTIONS)
}

/// Loom's settings, read by `loom::model` (and `loom::model::Builder::new`) from the environment.
fn env(preemptions: u32) -> Vec<(String, String)> {
    [
        ("LOOM_MAX_PREEMPTIONS", preemptions.to_string()),
        ("LOOM_MAX_PERMUTATIONS", MAX_EXECUTIONS.to_string()),
        ("LOOM_MAX_DURATION", MAX_SECONDS.to_string()),
        ("LOOM_CHECKPOINT_INTERVAL", PROGRESS_EVERY.to_string()),
        // Only loom's own summary lines: "Completed in N iterations" and the progress lines.
        ("LOOM_LOG", "loom::model=info".into()),
        ("NO_COLOR", "1".into()),
        ("RUST_BACKTRACE", "0".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// What one test's output says about its models.
#[derive(Debug, Default, PartialEq, Eq)]
struct Explored {
    /// Executions of the models that finished.
    completed: u64,
    /// Set when a model stopped at a limit: the executions it had explored.
    limited: Option<u64>,
}

/// `Completed in N iterations` lines in a test's captured output, summed.
fn completed(text: &str) -> u64 {
    text.lines()
        .filter_map(|line| {
            let rest = line.split("Completed in ").nth(1)?;
            rest.strip_suffix(" iterations")?.trim().parse::<u64>().ok()
        })
        .sum()
}

/// The executions of the model that was running when the run stopped: its last progress line.
fn last_progress(text: &str) -> Option<u64> {
    text.lines().rev().find_map(|line| {
        let rest = line.split("Iteration ").nth(1)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// The schedule [`RUN_SCRIPT`] printed on standard error, without its markers.
fn schedule(stderr: &str) -> Option<(String, String)> {
    let start = stderr.find(SCHEDULE_START)?;
    let rest = &stderr[start + SCHEDULE_START.len()..];
    let (name, rest) = rest.split_once(',')?;
    let body = rest.split_once('\n')?.1;
    let body = body.split(SCHEDULE_END).next().unwrap_or(body);
    Some((name.to_owned(), body.trim_end().to_owned()))
}

fn number(n: u64) -> String {
    // 40 000: a thin grouping a student reads at a glance.
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn interleavings(n: u64) -> String {
    match n {
        1 => "1 interleaving".into(),
        n => format!("{} interleavings", number(n)),
    }
}

/// What the Loom runner adds to the report in words: how many interleavings loom explored, which
/// model hit the limit, and the failing execution's schedule under the failed test.
pub(super) fn refine(job: &Job, report: &mut Report) {
    if job.action != Action::Test {
        return;
    }
    let preemptions = preemptions(job);
    // Per test: its captured output became its message; loom's lines are for this module.
    let mut total = 0;
    let mut limited: Vec<(String, u64)> = Vec::new();
    for line in report.stdout.lines() {
        if let Some((name, n)) = line
            .strip_prefix("loom: ")
            .and_then(|l| l.split_once(LIMIT_LINE))
            && let Some(n) = n.split_whitespace().next().and_then(|n| n.parse().ok())
        {
            limited.push((name.to_owned(), n));
        }
    }
    let schedule = schedule(&report.stderr);
    for case in &mut report.result.tests {
        let explored = Explored {
            completed: completed(&case.message),
            limited: limited.iter().find(|(n, _)| *n == case.name).map(|x| x.1),
        };
        total += explored.completed + explored.limited.unwrap_or(0);
        // Keep what the student printed and the panic; drop loom's own log lines (and the list
        // of passed tests that `--show-output` prints after the last section).
        let kept: Vec<&str> = case
            .message
            .lines()
            .take_while(|l| *l != "successes:")
            .filter(|l| !l.contains("loom::model:"))
            .collect();
        let mut message = kept.join("\n").trim().to_owned();
        if let Some(n) = explored.limited {
            case.status = TestStatus::Failed;
            message = format!(
                "Loom explored {} and hit the limit before checking them all; lower the number of threads or operations in this model.",
                interleavings(n)
            );
        } else if case.status == TestStatus::Passed && explored.completed > 0 {
            let line = format!("Loom explored {}.", interleavings(explored.completed));
            message = if message.is_empty() {
                line
            } else {
                format!("{message}\n{line}")
            };
        }
        if let Some((name, steps)) = &schedule
            && *name == case.name
        {
            message.push_str("\n\nThe failing execution, replayed (thread switches and operations, with their lines):\n");
            message.push_str(steps);
        }
        case.message = message;
    }

    let bound = format!("at most {preemptions} preemptions per execution");
    let explanation = match &report.result.outcome {
        Outcome::Success => Some(format!(
            "All tests passed: Loom explored {} ({bound}) and no assertion failed.",
            interleavings(total)
        )),
        Outcome::ExitFailure { .. } if !limited.is_empty() => {
            let (name, n) = &limited[0];
            Some(format!(
                "Loom explored {} in `{name}` and hit the limit ({} per model, or {MAX_SECONDS} s); lower the number of threads or operations.",
                interleavings(*n),
                number(u64::from(MAX_EXECUTIONS))
            ))
        }
        Outcome::ExitFailure { .. } => Some(match &schedule {
            Some((name, _)) => format!(
                "Loom found an interleaving in which `{name}` fails; the test report shows the assertion and the schedule that led to it ({bound})."
            ),
            None => format!(
                "Some tests failed under Loom ({bound}); the test report shows which and why."
            ),
        }),
        Outcome::TimedOut {
            phase: Phase::Run,
            limit_ms,
        } => {
            let secs = limit_ms / 1000;
            Some(match last_progress(&report.stdout) {
                Some(n) => format!(
                    "Loom explored {} and hit the {secs} s limit; lower the number of threads or operations.",
                    interleavings(n)
                ),
                None => format!(
                    "Loom was still exploring when the {secs} s limit came; lower the number of threads or operations, and avoid spin loops without `loom::thread::yield_now()`."
                ),
            })
        }
        _ => None,
    };
    let spin = "Model exceeded maximum number of branches";
    if let Some(mut text) = explanation {
        if report.stdout.contains(spin) || report.stderr.contains(spin) {
            text.push_str(" One execution took too many steps: a loop that waits for another thread must call `loom::thread::yield_now()` (or `loom::hint::spin_loop()`) so loom can switch threads.");
        }
        report.result.explanation = text;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::ExecutionResult;

    fn loom_job(files: &[(&str, &str)]) -> Job {
        super::super::test_job("loom", files, Action::Test)
    }

    fn plan_of(files: &[(&str, &str)]) -> Result<JobSpec, PlanError> {
        let job = loom_job(files);
        super::super::plan(&job, runners::get("loom").unwrap(), &Limits::default())
    }

    #[test]
    fn tests_compile_with_cfg_loom_in_release_and_run_under_the_script() {
        let spec = plan_of(&[("src/main.rs", "#[test] fn t() {}")]).unwrap();
        let compile = spec.steps[1].args.join(" ");
        assert!(compile.contains("-C opt-level=3"), "{compile}");
        assert!(
            compile.contains(
                "-Ldependency=/opt/rmp/deps/target/release/deps @/opt/rmp/externs-release.args"
            ),
            "{compile}"
        );
        assert!(
            compile.ends_with("--cfg loom --test -o out/main-test src/main.rs"),
            "{compile}"
        );
        assert_eq!(spec.run_from, 2);
        let run = &spec.steps[3];
        assert_eq!(run.program, "sh");
        assert_eq!(run.args[3..], ["/tmp/job/out/main-test", "10"]);
        assert!(run.args[1].contains("head -n 400"));
        for (k, v) in [
            ("LOOM_MAX_PREEMPTIONS", "2"),
            ("LOOM_MAX_PERMUTATIONS", "20000"),
            ("LOOM_LOG", "loom::model=info"),
        ] {
            assert!(
                run.env.contains(&(k.into(), v.into())),
                "{k}: {:?}",
                run.env
            );
        }
        assert_eq!(
            MAX_EXECUTIONS % PROGRESS_EVERY,
            0,
            "loom checks the limit at progress lines"
        );
    }

    #[test]
    fn a_library_with_integration_tests_links_the_loom_build_of_the_library() {
        let spec = plan_of(&[
            (
                "Cargo.toml",
                "[package]\nname = \"spin\"\n[dependencies]\nloom = \"0.7\"\n",
            ),
            ("src/lib.rs", ""),
            ("tests/model.rs", ""),
        ])
        .unwrap();
        let lines: Vec<String> = spec.steps.iter().map(|s| s.args.join(" ")).collect();
        assert!(
            lines[1].contains("--cfg loom --crate-type lib --out-dir out src/lib.rs"),
            "{lines:?}"
        );
        assert!(
            lines[2].contains("--cfg loom --test -o out/spin-test src/lib.rs"),
            "{lines:?}"
        );
        assert!(
            lines[3].contains("--crate-name model")
                && lines[3].contains("--extern spin=out/libspin.rlib"),
            "{lines:?}"
        );
        assert_eq!(
            spec.steps.len() - spec.run_from,
            3,
            "the clock and two harnesses"
        );
    }

    #[test]
    fn crates_outside_the_loom_list_and_other_actions_are_refused() {
        let error = plan_of(&[
            (
                "Cargo.toml",
                "[package]\nname = \"a\"\n[dependencies]\ntokio = \"1\"\n",
            ),
            ("src/lib.rs", ""),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("`tokio` is not one of the crates") && error.contains("loom"),
            "{error}"
        );
        let mut job = loom_job(&[("src/main.rs", "fn main() {}")]);
        job.action = Action::Run;
        let error = super::super::plan(&job, runners::get("loom").unwrap(), &Limits::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains("only runs tests"), "{error}");
    }

    fn report(outcome: Outcome, stdout: &str, stderr: &str) -> Report {
        Report {
            stdout: stdout.into(),
            stderr: stderr.into(),
            compiler: String::new(),
            result: ExecutionResult {
                outcome,
                explanation: String::new(),
                diagnostics: Vec::new(),
                timings: Default::default(),
                stdout_truncated: false,
                stderr_truncated: false,
                tests: api_types::parse_test_report(stdout),
                view: None,
                files: Vec::new(),
            },
        }
    }

    #[test]
    fn a_pass_reports_the_interleavings_loom_explored() {
        let stdout = "\nrunning 2 tests\ntest a ... ok\ntest b ... ok\n\nsuccesses:\n\n---- a stdout ----\n INFO loom::model: Completed in 3 iterations\n\n---- b stdout ----\n INFO loom::model:  ================== Iteration 1000 ==================\n INFO loom::model: Completed in 1204 iterations\n\n\nsuccesses:\n    a\n    b\n\ntest result: ok. 2 passed; 0 failed\n";
        let mut r = report(Outcome::Success, stdout, "");
        refine(&loom_job(&[]), &mut r);
        assert_eq!(
            r.result.explanation,
            "All tests passed: Loom explored 1 207 interleavings (at most 2 preemptions per execution) and no assertion failed."
        );
        assert_eq!(
            r.result.tests[1].message,
            "Loom explored 1 204 interleavings."
        );
    }

    #[test]
    fn a_model_stopped_at_the_limit_fails_in_words() {
        let stdout = "test big ... ok\n\nsuccesses:\n\n---- big stdout ----\n INFO loom::model:  ================== Iteration 100000 ==================\n\nsuccesses:\n    big\n\ntest result: ok. 1 passed\nloom: big stopped after 100000 executions\n";
        let mut r = report(Outcome::ExitFailure { exit_code: 101 }, stdout, "");
        refine(&loom_job(&[]), &mut r);
        assert!(
            r.result
                .explanation
                .starts_with("Loom explored 100 000 interleavings in `big` and hit the limit"),
            "{}",
            r.result.explanation
        );
        assert!(
            r.result
                .explanation
                .contains("lower the number of threads or operations")
        );
        assert_eq!(r.result.tests[0].status, TestStatus::Failed);
    }

    #[test]
    fn a_failure_carries_its_assertion_and_the_replayed_schedule() {
        let stdout = "test race ... FAILED\n\nfailures:\n\n---- race stdout ----\n\nthread 'race' panicked at src/main.rs:9:9:\nassertion `left == right` failed\n  left: 1\n right: 2\n\nfailures:\n    race\n\ntest result: FAILED. 0 passed; 1 failed\n";
        let stderr = "==== loom: the failing execution of race, replayed: each thread switch and operation ====\n TRACE loom::rt::atomic: Atomic::store\n==== loom: end of the schedule ====\n";
        let mut r = report(Outcome::ExitFailure { exit_code: 101 }, stdout, stderr);
        refine(&loom_job(&[]), &mut r);
        let message = &r.result.tests[0].message;
        assert!(
            message.starts_with("thread 'race' panicked at src/main.rs:9:9:\nassertion"),
            "{message}"
        );
        assert!(
            message.ends_with("with their lines):\n TRACE loom::rt::atomic: Atomic::store"),
            "{message}"
        );
        assert!(
            r.result.explanation.contains("`race` fails"),
            "{}",
            r.result.explanation
        );
    }

    #[test]
    fn a_timeout_says_how_far_loom_got() {
        let mut r = report(
            Outcome::TimedOut {
                phase: Phase::Run,
                limit_ms: 10_000,
            },
            "test huge ... INFO loom::model:  ================== Iteration 42000 ==================\n",
            "",
        );
        refine(&loom_job(&[]), &mut r);
        assert_eq!(
            r.result.explanation,
            "Loom explored 42 000 interleavings and hit the 10 s limit; lower the number of threads or operations."
        );
    }
}
