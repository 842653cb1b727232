//! The Miri runner: interprets the program (or its tests) with Miri, which reports undefined behaviour.
//!
//! No cargo: the image's `miri` driver is run like rustc, against the standard library built for
//! Miri once in the image (`--sysroot`, see runner-images/miri/miri.sh). Each crate is first
//! compiled without being run (`MIRI_BE_RUSTC=target`, i.e. rustc with `cfg(miri)`), in the
//! compile phase: compile errors are compile errors, and libraries become the rlibs (with their
//! MIR) that the interpreted crate links. Then, in the run phase (so the run limit applies from
//! the moment Miri starts interpreting), `miri` interprets `main` or the test harness; Miri's
//! findings are rustc JSON diagnostics on its standard error, which the server turns into marks
//! in the editor. [`refine`] puts them in words.
//!
//! Only the standard library: the curriculum's crates are not built for Miri, so a dependency on
//! one is refused with a message (a 400), as are build scripts and proc-macro crates.

use api_types::{Diagnostic, DiagnosticSpan, Level, Mode, Outcome, Phase};
use rmp_job::protocol::{JobSpec, Sink, Step};
use runners::RunnerSpec;

pub use api_types::flags::MiriFlag;

/// Miri's standard library in the image (`cargo miri setup`; also the image's `MIRI_SYSROOT`).
const SYSROOT: &str = "/opt/rmp/miri-sysroot";

use super::{OUT, Package, PlanError, Project};
use crate::{Job, Limits, Report};

/// The Miri flags of a job: the request's `miriFlags`, checked with [`MiriFlag::parse_list`] by
/// `Job::from_request`; none means Miri's defaults (isolation on, a fixed seed).
fn requested_flags(job: &Job) -> Vec<MiriFlag> {
    job.miri_flags.clone()
}

/// The command lines of a job on the Miri runner.
pub(super) fn plan(
    job: &Job,
    runner: &RunnerSpec,
    limits: &Limits,
    project: &Project,
) -> Result<JobSpec, PlanError> {
    plan_with_flags(job, runner, limits, project, &requested_flags(job))
}

fn plan_with_flags(
    job: &Job,
    runner: &RunnerSpec,
    limits: &Limits,
    project: &Project,
    flags: &[MiriFlag],
) -> Result<JobSpec, PlanError> {
    refuse_what_miri_cannot_build(job, runner, project)?;
    let root = project.root();
    let is_root = |p: &Package| std::ptr::eq(p, root);
    let mut steps = vec![Step {
        program: "mkdir".into(),
        args: vec!["-p".into(), OUT.into()],
        ..Step::default()
    }];
    if job.action == api_types::Action::Run && root.bin.is_none() {
        return Err(PlanError::Layout(
            "there is nothing to run: the project has no `src/main.rs` (use Test)".into(),
        ));
    }
    // Libraries as rlibs carrying their MIR, in build order; the root's only if something
    // links it (its main.rs or integration tests).
    for package in &project.packages {
        let Some(lib) = &package.lib else { continue };
        let linked_by_root = package.bin.is_some()
            || (job.action == api_types::Action::Test && !package.integration_tests.is_empty());
        if is_root(package) && !linked_by_root {
            continue;
        }
        let mut args = crate_args(job, project, package, &package.name);
        args.extend([
            "--crate-type".into(),
            "lib".into(),
            "--out-dir".into(),
            OUT.into(),
        ]);
        args.push(lib.clone());
        steps.push(check_step(args));
    }

    // The crates Miri interprets: (crate name, source, test harness?, links the root library?).
    let mut interpreted: Vec<(String, String, bool, bool)> = Vec::new();
    match job.action {
        api_types::Action::Test => {
            match (&root.lib, &root.bin) {
                (Some(lib), _) => interpreted.push((root.name.clone(), lib.clone(), true, false)),
                (None, Some(bin)) => {
                    interpreted.push((root.name.clone(), bin.clone(), true, false))
                }
                (None, None) => unreachable!("a package has a lib or a bin"),
            }
            for test in &root.integration_tests {
                let stem = test
                    .rsplit('/')
                    .next()
                    .and_then(|f| f.strip_suffix(".rs"))
                    .unwrap_or("test")
                    .replace('-', "_");
                interpreted.push((stem, test.clone(), true, root.lib.is_some()));
            }
        }
        _ => {
            let bin = root.bin.clone().expect("checked above");
            interpreted.push((root.name.clone(), bin, false, root.lib.is_some()));
        }
    }

    let interpret_args = |name: &str, test: bool, links_root: bool| {
        let mut args = crate_args(job, project, root, name);
        if links_root {
            args.extend([
                "--extern".into(),
                format!("{}={OUT}/lib{}.rlib", root.name, root.name),
            ]);
        }
        if test {
            args.push("--test".into());
        } else {
            args.extend(["--crate-type".into(), "bin".into()]);
        }
        args
    };
    // Compile phase: every interpreted crate type-checked as rustc would, so that compile errors
    // (and warnings, once) come before anything runs.
    for (name, source, test, links_root) in &interpreted {
        let mut args = interpret_args(name, *test, *links_root);
        args.extend([
            "--emit=metadata".into(),
            "-o".into(),
            format!("{OUT}/{name}-check.rmeta"),
            source.clone(),
        ]);
        steps.push(check_step(args));
    }
    let run_from = steps.len();
    if job.action.runs_program() {
        for (name, source, test, links_root) in &interpreted {
            let mut args = interpret_args(name, *test, *links_root);
            // The warnings came from the compile phase already.
            args.extend(["--cap-lints".into(), "allow".into()]);
            args.extend(flags.iter().map(|f| f.arg()));
            args.push(source.clone());
            if *test {
                // One thread keeps the test output in order (and Miri fast).
                args.extend(["--".into(), "--test-threads".into(), "1".into()]);
            }
            steps.push(Step {
                program: "miri".into(),
                args,
                env: home_env(),
                stdout: Sink::Stdout,
                // Miri's findings are JSON diagnostics on standard error, like rustc's; what the
                // interpreted program writes there is kept as text next to them.
                stderr: Sink::Compiler,
                stdin: !*test,
                ..Step::default()
            });
        }
    }
    let _ = runner;
    let mut spec = super::spec(job, limits, steps, Vec::new());
    spec.run_from = run_from;
    Ok(spec)
}

/// What every `miri` line of a crate shares: Miri's sysroot, JSON diagnostics, the mode.
fn crate_args(job: &Job, project: &Project, package: &Package, name: &str) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "--sysroot".into(),
        SYSROOT.into(),
        "--crate-name".into(),
        name.into(),
        "--edition".into(),
        package.edition.as_str().into(),
        "--error-format=json".into(),
    ];
    // Miri does not optimise; the mode decides what `cfg(debug_assertions)` and overflow
    // checks are, as it does under `cargo miri run [--release]`.
    if job.mode == Mode::Release {
        args.extend([
            "-C".into(),
            "debug-assertions=off".into(),
            "-C".into(),
            "overflow-checks=off".into(),
        ]);
    }
    args.push(format!("-Ldependency={OUT}"));
    for &dep in &package.local_deps {
        let dep = &project.packages[dep];
        args.push("--extern".into());
        args.push(format!("{}={OUT}/lib{}.rlib", dep.name, dep.name));
    }
    args
}

/// The sandbox gives a writable `/tmp` only.
fn home_env() -> Vec<(String, String)> {
    vec![
        ("HOME".into(), "/tmp".into()),
        ("TMPDIR".into(), "/tmp".into()),
    ]
}

/// `miri` as rustc with `cfg(miri)`: compiles (a library with the MIR Miri needs), runs nothing.
fn check_step(args: Vec<String>) -> Step {
    let mut env = home_env();
    env.push(("MIRI_BE_RUSTC".into(), "target".into()));
    Step {
        program: "miri".into(),
        args,
        env,
        stderr: Sink::Compiler,
        ..Step::default()
    }
}

/// Dependencies on crates.io crates, build scripts and proc macros: none is built for Miri.
fn refuse_what_miri_cannot_build(
    job: &Job,
    runner: &RunnerSpec,
    project: &Project,
) -> Result<(), PlanError> {
    for file in job.files.iter().filter(|f| f.path.ends_with("Cargo.toml")) {
        let Ok(table) = toml::from_str::<toml::Table>(&file.contents) else {
            continue; // Project::analyse read it already.
        };
        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
            let Some(deps) = table.get(section).and_then(|d| d.as_table()) else {
                continue;
            };
            for (name, spec) in deps {
                let local = spec.as_table().is_some_and(|t| t.contains_key("path"));
                if !local {
                    return Err(PlanError::Manifest {
                        path: file.path.clone(),
                        message: format!(
                            "`{name}`: the {} runner has the standard library only; the playground's crates are not built for Miri. Remove the dependency, or run this code on the stable runner",
                            runner.title
                        ),
                    });
                }
            }
        }
    }
    for package in &project.packages {
        if let Some(script) = &package.build_script {
            return Err(PlanError::Layout(format!(
                "{script}: build scripts are not run on the {} runner; remove build.rs or use the stable runner",
                runner.title
            )));
        }
        if package.proc_macro {
            return Err(PlanError::Layout(format!(
                "{}: proc-macro crates are not supported on the {} runner",
                super::join(&package.dir, "Cargo.toml"),
                runner.title
            )));
        }
    }
    Ok(())
}

/// What Miri stopped the program for, from its error's message.
#[derive(Debug, PartialEq, Eq)]
enum Finding {
    UndefinedBehaviour(String),
    Unsupported(String),
    Leak(String),
    Deadlock(String),
    Other(String),
}

fn finding(diagnostic: &Diagnostic) -> Option<Finding> {
    if diagnostic.level != Level::Error {
        return None;
    }
    let message = diagnostic.message.as_str();
    let after = |prefix: &str| message.strip_prefix(prefix).map(|m| m.trim().to_owned());
    Some(if let Some(rest) = after("Undefined Behavior:") {
        Finding::UndefinedBehaviour(rest)
    } else if let Some(rest) = after("unsupported operation:") {
        Finding::Unsupported(rest)
    } else if message.starts_with("memory leaked") {
        Finding::Leak(message.to_owned())
    } else if message.contains("deadlock") {
        Finding::Deadlock(message.to_owned())
    } else if message.starts_with("abnormal termination:")
        || message.starts_with("resource exhaustion:")
        || message.starts_with("post-monomorphization error:")
        || message.contains("terminated without waiting for all remaining threads")
    {
        Finding::Other(message.to_owned())
    } else {
        return None;
    })
}

/// The places a Miri error names besides its main span ("alloc1 was allocated here", "inside
/// `main`"), as spans: rustc's JSON has them in the children, which the diagnostic parser does
/// not keep, so they are read back from the rendered text (`help: ...` then `--> file:line:col`
/// and the carets under the line).
fn child_spans(rendered: &str, project_files: &[String]) -> Vec<DiagnosticSpan> {
    let mut spans = Vec::new();
    let mut heading: Option<String> = None;
    let mut first_arrow = true;
    let lines: Vec<&str> = rendered.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        if let Some(rest) = line
            .strip_prefix("help: ")
            .or_else(|| line.strip_prefix("note: "))
        {
            heading = Some(rest.trim_end_matches(':').to_owned());
            continue;
        }
        let Some(location) = trimmed.strip_prefix("--> ") else {
            continue;
        };
        // The first arrow is the error's own span, which the parser kept.
        if std::mem::replace(&mut first_arrow, false) && heading.is_none() {
            continue;
        }
        let mut parts = location.rsplitn(3, ':');
        let (Some(col), Some(line_no), Some(file)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (Ok(col), Ok(line_no)) = (col.trim().parse::<u32>(), line_no.parse::<u32>()) else {
            continue;
        };
        if !project_files.iter().any(|f| f == file) {
            continue;
        }
        // `  |     ^^^^^^^` under the quoted line gives the span's width.
        let width = lines[i + 1..]
            .iter()
            .take(4)
            .find_map(|l| {
                let after_bar = l.trim_start().strip_prefix('|')?;
                let carets = after_bar.trim_start();
                carets
                    .starts_with('^')
                    .then(|| carets.chars().take_while(|c| *c == '^').count() as u32)
            })
            .unwrap_or(1);
        spans.push(DiagnosticSpan {
            file: file.to_owned(),
            line_start: line_no,
            line_end: line_no,
            column_start: col,
            column_end: col + width,
            is_primary: false,
            label: heading.take(),
        });
    }
    spans
}

/// What the Miri runner adds to the report in words, and the marks of Miri's notes.
pub(super) fn refine(job: &Job, report: &mut Report) {
    let project_files: Vec<String> = job.files.iter().map(|f| f.path.clone()).collect();
    let result = &mut report.result;
    let mut explanation = None;
    for diagnostic in &mut result.diagnostics {
        let Some(found) = finding(diagnostic) else {
            continue;
        };
        // Where the memory was allocated and freed, and (when the error happened inside the
        // standard library) where the submission called it.
        for span in child_spans(&diagnostic.rendered, &project_files) {
            let known = diagnostic.spans.iter().any(|s| {
                s.file == span.file
                    && s.line_start == span.line_start
                    && s.column_start == span.column_start
            });
            if !known {
                diagnostic.spans.push(span);
            }
        }
        if !diagnostic.spans.iter().any(|s| s.is_primary)
            && let Some(first) = diagnostic.spans.first_mut()
        {
            first.is_primary = true;
        }
        let marked = !diagnostic.spans.is_empty();
        let where_ = if !marked {
            "Miri's message below says where.".to_owned()
        } else if diagnostic.spans.len() > 1 && matches!(found, Finding::UndefinedBehaviour(_)) {
            "the marked line shows where, the notes where the memory came from.".to_owned()
        } else {
            "the marked line shows where.".to_owned()
        };
        explanation = Some(match found {
            Finding::UndefinedBehaviour(what) => {
                format!("Miri found undefined behaviour: {what}; {where_}")
            }
            Finding::Unsupported(what) => {
                let why = if what.contains("strict-provenance") {
                    " With strict provenance on, casting an integer to a pointer is refused: use the pointer methods (`with_addr`, `map_addr`) instead"
                } else if what.contains("isolation") {
                    " Reading files, the clock or the environment needs Miri's isolation turned off: ask for `-Zmiri-disable-isolation`"
                } else {
                    " Miri interprets Rust code only: it cannot call foreign (C) functions and supports only some system calls"
                };
                let mut sentence = where_.clone();
                sentence[..1].make_ascii_uppercase();
                format!("Miri cannot run this program: {what};{why}. {sentence}")
            }
            Finding::Leak(what) => format!(
                "Miri found a memory leak ({what}): memory was still allocated when the program ended; {where_}"
            ),
            Finding::Deadlock(what) => {
                format!("Miri found a deadlock ({what}): no thread can make progress; {where_}")
            }
            Finding::Other(what) => format!("Miri stopped the program: {what}; {where_}"),
        });
        break;
    }
    let stage = if job.action == api_types::Action::Test {
        "the tests"
    } else {
        "your program"
    };
    let miri_crashed = report.compiler.contains("internal compiler error")
        || report
            .compiler
            .contains("the compiler unexpectedly panicked")
        || report.compiler.contains("thread 'rustc' panicked");
    let text = match (&result.outcome, explanation) {
        (_, Some(words)) => words,
        (Outcome::TimedOut { phase: Phase::Run, limit_ms }, None) => format!(
            "Miri was still interpreting {stage} after {} s and stopped. Miri runs code many thousands of times slower than a compiled program: look for a loop that never ends, or make the work smaller (fewer iterations, smaller inputs).",
            limit_ms / 1000
        ),
        (Outcome::Success, None) => match job.action {
            api_types::Action::Test => {
                "All tests passed under Miri, which found no undefined behaviour on the paths they took.".to_owned()
            }
            _ => "Miri ran your program and found no undefined behaviour on the path this run took.".to_owned(),
        },
        (Outcome::ExitFailure { .. } | Outcome::Signaled { .. }, None) if miri_crashed => {
            "Miri itself crashed while interpreting your code (a bug in Miri, not necessarily in your code); its message is below. The run was stopped and cleaned up; simplifying the code may avoid it.".to_owned()
        }
        (Outcome::Signaled { signal }, None) => format!(
            "Miri itself was stopped by signal {signal} while interpreting your code; the run was stopped and cleaned up."
        ),
        _ => return,
    };
    result.explanation = text;
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::Action;
    use expect_test::expect;

    fn miri() -> &'static RunnerSpec {
        runners::get("miri").unwrap()
    }

    fn job(files: &[(&str, &str)], action: Action) -> Job {
        super::super::test_job("miri", files, action)
    }

    fn planned(job: &Job, flags: &[MiriFlag]) -> Result<JobSpec, PlanError> {
        let project = Project::analyse(&job.files, job.edition, miri())?;
        plan_with_flags(job, miri(), &Limits::default(), &project, flags)
    }

    fn lines(spec: &JobSpec) -> String {
        let mut out = String::new();
        for (i, step) in spec.steps.iter().enumerate() {
            if i == spec.run_from {
                out.push_str("-- run --\n");
            }
            let env: Vec<String> = step
                .env
                .iter()
                .filter(|(k, _)| k == "MIRI_BE_RUSTC")
                .map(|(k, v)| format!("{k}={v} "))
                .collect();
            out.push_str(&format!(
                "{}{} {} [{:?}]\n",
                env.concat(),
                step.program,
                step.args.join(" "),
                step.stderr
            ));
        }
        out
    }

    #[test]
    fn run_checks_then_interprets_main_in_the_run_phase() {
        let spec = planned(&job(&[("src/main.rs", "fn main() {}")], Action::Run), &[]).unwrap();
        expect![[r#"
            mkdir -p out [Discard]
            MIRI_BE_RUSTC=target miri --sysroot /opt/rmp/miri-sysroot --crate-name main --edition 2024 --error-format=json -Ldependency=out --crate-type bin --emit=metadata -o out/main-check.rmeta src/main.rs [Compiler]
            -- run --
            miri --sysroot /opt/rmp/miri-sysroot --crate-name main --edition 2024 --error-format=json -Ldependency=out --crate-type bin --cap-lints allow src/main.rs [Compiler]
        "#]]
        .assert_eq(&lines(&spec));
        let run = &spec.steps[2];
        assert_eq!(run.stdout, Sink::Stdout);
        assert!(run.stdin);
        assert!(run.env.contains(&("HOME".into(), "/tmp".into())));
        assert!(run.env.iter().all(|(k, _)| k != "MIRI_BE_RUSTC"));
    }

    #[test]
    fn tests_of_a_library_and_its_integration_tests() {
        let spec = planned(
            &job(
                &[
                    (
                        "Cargo.toml",
                        "[package]\nname = \"shapes\"\nedition = \"2021\"\n",
                    ),
                    ("src/lib.rs", "pub fn f() {}"),
                    ("tests/api.rs", "#[test] fn t() { shapes::f() }"),
                ],
                Action::Test,
            ),
            &[],
        )
        .unwrap();
        expect![[r#"
            mkdir -p out [Discard]
            MIRI_BE_RUSTC=target miri --sysroot /opt/rmp/miri-sysroot --crate-name shapes --edition 2021 --error-format=json -Ldependency=out --crate-type lib --out-dir out src/lib.rs [Compiler]
            MIRI_BE_RUSTC=target miri --sysroot /opt/rmp/miri-sysroot --crate-name shapes --edition 2021 --error-format=json -Ldependency=out --test --emit=metadata -o out/shapes-check.rmeta src/lib.rs [Compiler]
            MIRI_BE_RUSTC=target miri --sysroot /opt/rmp/miri-sysroot --crate-name api --edition 2021 --error-format=json -Ldependency=out --extern shapes=out/libshapes.rlib --test --emit=metadata -o out/api-check.rmeta tests/api.rs [Compiler]
            -- run --
            miri --sysroot /opt/rmp/miri-sysroot --crate-name shapes --edition 2021 --error-format=json -Ldependency=out --test --cap-lints allow src/lib.rs -- --test-threads 1 [Compiler]
            miri --sysroot /opt/rmp/miri-sysroot --crate-name api --edition 2021 --error-format=json -Ldependency=out --extern shapes=out/libshapes.rlib --test --cap-lints allow tests/api.rs -- --test-threads 1 [Compiler]
        "#]]
        .assert_eq(&lines(&spec));
    }

    #[test]
    fn flags_from_the_allow_list_reach_the_interpreter_only() {
        let flags =
            MiriFlag::parse_list("-Zmiri-strict-provenance -Zmiri-many-seeds=0..8").unwrap();
        let mut j = job(&[("src/main.rs", "fn main() {}")], Action::Run);
        j.mode = Mode::Release;
        let spec = planned(&j, &flags).unwrap();
        let check = spec.steps[1].args.join(" ");
        let run = spec.steps[2].args.join(" ");
        assert!(!check.contains("-Zmiri"), "{check}");
        assert!(
            run.contains("-Zmiri-strict-provenance -Zmiri-many-seeds=0..8 src/main.rs"),
            "{run}"
        );
        assert!(run.contains("-C debug-assertions=off"), "{run}");
        // Isolation stays on unless asked for.
        assert!(!run.contains("isolation"), "{run}");
    }

    #[test]
    fn the_allow_list() {
        assert_eq!(MiriFlag::parse("-Zmiri-seed=7"), Ok(MiriFlag::Seed(7)));
        assert_eq!(
            MiriFlag::parse("-Zmiri-many-seeds"),
            Ok(MiriFlag::ManySeeds { from: 0, to: 64 })
        );
        assert_eq!(
            MiriFlag::parse("-Zmiri-many-seeds=..4").map(MiriFlag::arg),
            Ok("-Zmiri-many-seeds=0..4".into())
        );
        assert_eq!(
            MiriFlag::parse("-Zmiri-disable-isolation"),
            Ok(MiriFlag::DisableIsolation)
        );
        for bad in [
            "-Zmiri-ignore-leaks",
            "-Zmiri-seed=x",
            "-Zmiri-many-seeds=0..1000",
            "-Zmiri-many-seeds=5..5",
            "-Zmiri-strict-provenance=1",
            "-Cpanic=abort",
        ] {
            assert!(MiriFlag::parse(bad).is_err(), "{bad}");
        }
        assert!(MiriFlag::parse_list("-Zmiri-seed=1 -Zmiri-many-seeds").is_err());
    }

    #[test]
    fn crates_build_scripts_and_proc_macros_are_refused() {
        let err = planned(
            &job(
                &[
                    (
                        "Cargo.toml",
                        "[package]\nname = \"a\"\n[dependencies]\nserde = \"1\"\n",
                    ),
                    ("src/main.rs", "fn main() {}"),
                ],
                Action::Run,
            ),
            &[],
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Cargo.toml: `serde`: the Miri runner has the standard library only"),
            "{err}"
        );
        let err = planned(
            &job(
                &[
                    ("Cargo.toml", "[package]\nname = \"a\"\n"),
                    ("build.rs", "fn main() {}"),
                    ("src/main.rs", "fn main() {}"),
                ],
                Action::Run,
            ),
            &[],
        )
        .unwrap_err();
        assert!(err.to_string().contains("build scripts"), "{err}");
        // A local library is fine: it is compiled for Miri first.
        let spec = planned(
            &job(
                &[
                    (
                        "Cargo.toml",
                        "[package]\nname = \"app\"\n[dependencies]\nutil = { path = \"util\" }\n",
                    ),
                    ("src/main.rs", "fn main() { util::f() }"),
                    ("util/Cargo.toml", "[package]\nname = \"util\"\n"),
                    ("util/src/lib.rs", "pub fn f() {}"),
                ],
                Action::Run,
            ),
            &[],
        )
        .unwrap();
        let all = lines(&spec);
        assert!(all.contains("--crate-name util"), "{all}");
        assert!(all.contains("--extern util=out/libutil.rlib"), "{all}");
    }

    // Captured from Miri (nightly 1.97, 2026-05) for a use-after-free in src/main.rs.
    const UAF_RENDERED: &str = "error: Undefined Behavior: memory access failed: alloc236 has been freed, so this pointer is dangling\n --> src/main.rs:5:22\n  |\n5 |     let x = unsafe { *p };\n  |                      ^^ Undefined Behavior occurred here\n  |\n  = help: this indicates a bug in the program: it performed an invalid operation, and caused Undefined Behavior\n  = help: see https://doc.rust-lang.org/nightly/reference/behavior-considered-undefined.html for further information\nhelp: alloc236 was allocated here:\n --> src/main.rs:2:13\n  |\n2 |     let b = Box::new(5);\n  |             ^^^^^^^^^^^\nhelp: alloc236 was deallocated here:\n --> src/main.rs:4:5\n  |\n4 |     drop(b);\n  |     ^^^^^^^\n\n";

    fn report(outcome: Outcome, diagnostics: Vec<Diagnostic>) -> Report {
        let mut report = Report::ended(outcome, "generic".into());
        report.result.diagnostics = diagnostics;
        report
    }

    #[test]
    fn undefined_behaviour_in_words_with_the_allocation_marks() {
        let j = job(&[("src/main.rs", "")], Action::Run);
        let line = format!(
            r#"{{"$message_type":"diagnostic","message":"Undefined Behavior: memory access failed: alloc236 has been freed, so this pointer is dangling","code":null,"level":"error","spans":[{{"file_name":"src/main.rs","byte_start":102,"byte_end":104,"line_start":5,"line_end":5,"column_start":22,"column_end":24,"is_primary":true,"text":[],"label":"Undefined Behavior occurred here","suggested_replacement":null,"suggestion_applicability":null,"expansion":null}}],"children":[],"rendered":{}}}"#,
            serde_json::to_string(UAF_RENDERED).unwrap()
        );
        let diagnostic = crate::parse_rustc_json(&line, &["src/main.rs".into()]).unwrap();
        let mut r = report(Outcome::ExitFailure { exit_code: 1 }, vec![diagnostic]);
        refine(&j, &mut r);
        assert_eq!(
            r.result.explanation,
            "Miri found undefined behaviour: memory access failed: alloc236 has been freed, so this pointer is dangling; the marked line shows where, the notes where the memory came from."
        );
        let marks: Vec<String> = r.result.diagnostics[0]
            .spans
            .iter()
            .map(|s| {
                format!(
                    "{}:{}:{}-{} {} {:?}",
                    s.file, s.line_start, s.column_start, s.column_end, s.is_primary, s.label
                )
            })
            .collect();
        expect![[r#"
            [
                "src/main.rs:5:22-24 true Some(\"Undefined Behavior occurred here\")",
                "src/main.rs:2:13-24 false Some(\"alloc236 was allocated here\")",
                "src/main.rs:4:5-12 false Some(\"alloc236 was deallocated here\")",
            ]
        "#]]
        .assert_debug_eq(&marks);
    }

    #[test]
    fn clean_runs_timeouts_and_crashes_in_words() {
        let j = job(&[("src/main.rs", "")], Action::Run);
        let mut r = report(Outcome::Success, vec![]);
        refine(&j, &mut r);
        assert!(
            r.result
                .explanation
                .starts_with("Miri ran your program and found no undefined behaviour")
        );

        let mut r = report(
            Outcome::TimedOut {
                phase: Phase::Run,
                limit_ms: 10_000,
            },
            vec![],
        );
        refine(&j, &mut r);
        assert!(
            r.result
                .explanation
                .starts_with("Miri was still interpreting your program after 10 s"),
            "{}",
            r.result.explanation
        );

        let mut r = report(Outcome::ExitFailure { exit_code: 101 }, vec![]);
        r.compiler = "thread 'rustc' panicked at src/tools/miri/src/x.rs\nerror: the compiler unexpectedly panicked".into();
        refine(&j, &mut r);
        assert!(r.result.explanation.starts_with("Miri itself crashed"));

        // The program's own panic keeps the common words.
        let mut r = report(Outcome::ExitFailure { exit_code: 101 }, vec![]);
        refine(&j, &mut r);
        assert_eq!(r.result.explanation, "generic");
    }
}
