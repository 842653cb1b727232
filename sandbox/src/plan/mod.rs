//! From a [`Job`] to the command lines the job helper runs ([`JobSpec`]).
//!
//! There is no cargo in the container: cargo would resolve, lock and fingerprint on every run,
//! and the curriculum's crates are already compiled. Instead the project's layout is read here
//! (Cargo's conventions, its `Cargo.toml` files parsed on the server), and each crate becomes one
//! `rustc` line against the precompiled crates (`--extern` from the image's argument files). The
//! common case, one `src/main.rs`, is one `rustc` line and the program: as cheap as before.
//!
//! Everything here is pure: it is tested without Docker, and the helper stays a dumb executor.

use std::collections::{BTreeMap, BTreeSet};

use api_types::{
    Action, CodegenFlag, CompilerView, Edition, Mode, ProjectFile, Target, Tool, Toolchain,
};
use rmp_job::protocol::{JOB_DIR, JobSpec, SendBack, Sink, Step};
use runners::RunnerSpec;

use crate::{Job, Limits, Report};

mod cortex_m;
pub mod loom;
mod miri;

pub use miri::MiriFlag;

/// Where the image keeps the precompiled crates (see runner-images/stable/prepare.sh).
const DEPS: &str = "/opt/rmp/deps/target";
/// Build outputs, relative to the job directory.
const OUT: &str = "out";
/// A compiler view's text, relative to the job directory.
const VIEW_FILE: &str = "out/view.txt";
/// Build scripts and proc macros run on the server's own architecture.
const HOST_TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// Why a project's layout or manifests cannot be built; a 400 for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("{path}: {message}")]
    Manifest { path: String, message: String },
    #[error(
        "{path}: `{name}` is not one of the crates this playground has precompiled for the {runner} runner; use one of: {available}"
    )]
    UnknownCrate {
        path: String,
        name: String,
        runner: String,
        available: String,
    },
    #[error("{0}")]
    Layout(String),
}

/// One package of the project: a folder with `src/lib.rs` and/or `src/main.rs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Package {
    /// The folder, `""` for the project root.
    pub dir: String,
    /// The crate name (`-` replaced by `_`); `main` without a manifest.
    pub name: String,
    pub edition: Edition,
    pub proc_macro: bool,
    pub lib: Option<String>,
    pub bin: Option<String>,
    pub build_script: Option<String>,
    /// `tests/*.rs`, each its own test crate.
    pub integration_tests: Vec<String>,
    /// Indexes into [`Project::packages`] of the local crates this one depends on.
    pub local_deps: Vec<usize>,
}

/// The project's packages, in build order: every package after those it depends on, the root
/// last.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Project {
    pub packages: Vec<Package>,
}

fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    }
}

fn parse_edition(text: &str) -> Option<Edition> {
    Some(match text {
        "2015" => Edition::E2015,
        "2018" => Edition::E2018,
        "2021" => Edition::E2021,
        "2024" => Edition::E2024,
        _ => return None,
    })
}

/// A manifest's dependencies: the local ones by folder, the rest by crate name.
struct Manifest {
    name: String,
    edition: Option<Edition>,
    proc_macro: bool,
    local: Vec<String>,
}

fn read_manifest(path: &str, text: &str, runner: &RunnerSpec) -> Result<Manifest, PlanError> {
    let bad = |message: String| PlanError::Manifest {
        path: path.to_owned(),
        message,
    };
    let table: toml::Table = toml::from_str(text).map_err(|e| bad(e.message().to_owned()))?;
    let package = table
        .get("package")
        .and_then(|p| p.as_table())
        .ok_or_else(|| bad("needs a `[package]` section with a `name`".into()))?;
    let name = package
        .get("name")
        .and_then(|n| n.as_str())
        .filter(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        })
        .ok_or_else(|| bad("`package.name` must be a name like `shapes` or `my-macros`".into()))?;
    let edition = match package.get("edition") {
        None => None,
        Some(value) => Some(value.as_str().and_then(parse_edition).ok_or_else(|| {
            bad("`package.edition` must be \"2015\", \"2018\", \"2021\" or \"2024\"".into())
        })?),
    };
    let lib = table.get("lib").and_then(|l| l.as_table());
    let proc_macro = lib
        .and_then(|l| l.get("proc-macro").or_else(|| l.get("proc_macro")))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let mut local = Vec::new();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(deps) = table.get(section).and_then(|d| d.as_table()) else {
            continue;
        };
        for (dep, spec) in deps {
            let spec_table = spec.as_table();
            if spec_table.is_some_and(|t| t.contains_key("package")) {
                return Err(bad(format!(
                    "`{dep}`: renamed dependencies (`package = ...`) are not supported here"
                )));
            }
            if spec_table.is_some_and(|t| t.contains_key("git")) {
                return Err(bad(format!(
                    "`{dep}`: git dependencies cannot be fetched here; use a precompiled crate or a `path` dependency"
                )));
            }
            if let Some(path) = spec_table
                .and_then(|t| t.get("path"))
                .and_then(|p| p.as_str())
            {
                local.push(path.trim_end_matches('/').to_owned());
                continue;
            }
            let crate_name = dep.replace('-', "_");
            if !runner.crates.contains(&crate_name) {
                return Err(PlanError::UnknownCrate {
                    path: path.to_owned(),
                    name: dep.clone(),
                    runner: runner.id.to_string(),
                    available: runner.crates.iter().cloned().collect::<Vec<_>>().join(", "),
                });
            }
        }
    }
    Ok(Manifest {
        name: name.replace('-', "_"),
        edition,
        proc_macro,
        local,
    })
}

impl Project {
    /// Reads the project's layout and manifests. `edition` applies where no manifest says.
    pub fn analyse(
        files: &[ProjectFile],
        edition: Edition,
        runner: &RunnerSpec,
    ) -> Result<Project, PlanError> {
        let paths: BTreeMap<&str, &str> = files
            .iter()
            .map(|f| (f.path.as_str(), f.contents.as_str()))
            .collect();
        let has_manifest = paths.keys().any(|p| p.ends_with("Cargo.toml"));
        if has_manifest && !paths.contains_key("Cargo.toml") {
            return Err(PlanError::Layout(
                "the project has a Cargo.toml in a folder but none at its root".into(),
            ));
        }
        // Packages by folder, found from the root through path dependencies.
        let mut found: Vec<(String, Option<Manifest>)> = Vec::new();
        let mut queue = vec![String::new()];
        let mut seen = BTreeSet::new();
        while let Some(dir) = queue.pop() {
            if !seen.insert(dir.clone()) {
                continue;
            }
            let manifest_path = join(&dir, "Cargo.toml");
            let manifest = match paths.get(manifest_path.as_str()) {
                Some(text) => Some(read_manifest(&manifest_path, text, runner)?),
                None if dir.is_empty() => None,
                None => {
                    return Err(PlanError::Layout(format!(
                        "a path dependency names `{dir}`, but `{manifest_path}` is not in the project"
                    )));
                }
            };
            if let Some(manifest) = &manifest {
                for local in &manifest.local {
                    let target = normalise(&dir, local).ok_or_else(|| {
                        PlanError::Layout(format!(
                            "{manifest_path}: the path dependency `{local}` leaves the project"
                        ))
                    })?;
                    queue.push(target);
                }
            }
            found.push((dir, manifest));
        }

        let mut packages: Vec<Package> = Vec::new();
        let mut deps_by_dir: Vec<Vec<String>> = Vec::new();
        for (dir, manifest) in &found {
            let existing = |path: &str| {
                let full = join(dir, path);
                paths.contains_key(full.as_str()).then_some(full)
            };
            let tests_prefix = join(dir, "tests/");
            let integration_tests = paths
                .keys()
                .filter(|p| {
                    p.strip_prefix(&tests_prefix)
                        .is_some_and(|rest| rest.ends_with(".rs") && !rest.contains('/'))
                })
                .map(|p| (*p).to_owned())
                .collect();
            let package = Package {
                dir: dir.clone(),
                name: manifest.as_ref().map_or("main".into(), |m| m.name.clone()),
                edition: manifest.as_ref().and_then(|m| m.edition).unwrap_or(edition),
                proc_macro: manifest.as_ref().is_some_and(|m| m.proc_macro),
                lib: existing("src/lib.rs"),
                bin: existing("src/main.rs"),
                build_script: existing("build.rs"),
                integration_tests,
                local_deps: Vec::new(),
            };
            if package.lib.is_none() && package.bin.is_none() {
                let shown = if dir.is_empty() { "the project" } else { dir };
                return Err(PlanError::Layout(format!(
                    "{shown} has neither `src/main.rs` nor `src/lib.rs`"
                )));
            }
            if package.proc_macro && package.lib.is_none() {
                return Err(PlanError::Layout(format!(
                    "{}: a proc-macro crate needs `src/lib.rs`",
                    join(dir, "Cargo.toml")
                )));
            }
            deps_by_dir.push(
                manifest
                    .as_ref()
                    .map(|m| {
                        m.local
                            .iter()
                            .filter_map(|l| normalise(dir, l))
                            .collect::<Vec<_>>()
                    })
                    .unwrap_or_default(),
            );
            packages.push(package);
        }
        let names: BTreeSet<&str> = packages.iter().map(|p| p.name.as_str()).collect();
        if names.len() != packages.len() {
            return Err(PlanError::Layout(
                "two packages of the project have the same name".into(),
            ));
        }
        for (index, deps) in deps_by_dir.iter().enumerate() {
            for dep in deps {
                let at = packages
                    .iter()
                    .position(|p| &p.dir == dep)
                    .expect("found above");
                if packages[at].lib.is_none() {
                    return Err(PlanError::Layout(format!(
                        "`{}` depends on `{dep}`, which has no `src/lib.rs` to depend on",
                        join(&packages[index].dir, "Cargo.toml")
                    )));
                }
                packages[index].local_deps.push(at);
            }
        }
        order(packages)
    }

    fn root(&self) -> &Package {
        self.packages.last().expect("a project has a root package")
    }
}

/// `dir/relative` without `.` and `..`, or `None` if it leaves the project.
fn normalise(dir: &str, relative: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Sorts packages so that each comes after its dependencies, the root (index 0 on input) last.
fn order(packages: Vec<Package>) -> Result<Project, PlanError> {
    fn visit(
        at: usize,
        packages: &[Package],
        state: &mut [u8],
        sorted: &mut Vec<usize>,
    ) -> Result<(), PlanError> {
        match state[at] {
            2 => return Ok(()),
            1 => {
                return Err(PlanError::Layout(format!(
                    "the path dependencies go round in a circle through `{}`",
                    join(&packages[at].dir, "Cargo.toml")
                )));
            }
            _ => {}
        }
        state[at] = 1;
        for &dep in &packages[at].local_deps {
            visit(dep, packages, state, sorted)?;
        }
        state[at] = 2;
        sorted.push(at);
        Ok(())
    }
    let mut state = vec![0u8; packages.len()];
    let mut sorted = Vec::new();
    visit(0, &packages, &mut state, &mut sorted)?;
    let new_index: BTreeMap<usize, usize> = sorted
        .iter()
        .enumerate()
        .map(|(new, &old)| (old, new))
        .collect();
    let mut ordered: Vec<Package> = sorted.iter().map(|&old| packages[old].clone()).collect();
    for package in &mut ordered {
        for dep in &mut package.local_deps {
            *dep = new_index[dep];
        }
    }
    Ok(Project { packages: ordered })
}

/// The profile of the precompiled crates to link against.
fn profile(mode: Mode) -> &'static str {
    mode.as_str()
}

/// What every compile line of a package shares.
/// `linked`: the crate is a program (a binary or a test harness). LTO applies only to those.
fn common_args(
    job: &Job,
    package: &Package,
    project: &Project,
    user_flags: bool,
    linked: bool,
) -> Vec<String> {
    let profile = profile(job.mode);
    let mut args: Vec<String> = vec![
        "--crate-name".into(),
        package.name.clone(),
        "--edition".into(),
        package.edition.as_str().into(),
        "--error-format=json".into(),
    ];
    let user_opt_level = job
        .flags
        .iter()
        .any(|f| matches!(f, CodegenFlag::OptLevel(_)));
    if !(user_flags && user_opt_level) {
        let level = match job.mode {
            Mode::Debug => "0",
            Mode::Release => "3",
        };
        args.extend(["-C".into(), format!("opt-level={level}")]);
    }
    if user_flags {
        for flag in &job.flags {
            if matches!(flag, CodegenFlag::Lto(_)) && !linked {
                continue;
            }
            args.extend(flag.rustc_args());
        }
    }
    args.push(format!("-Ldependency={DEPS}/{profile}/deps"));
    args.push(format!("@/opt/rmp/externs-{profile}.args"));
    args.push(format!("-Ldependency={OUT}"));
    for &dep in &package.local_deps {
        let dep = &project.packages[dep];
        args.push("--extern".into());
        args.push(format!("{}={}", dep.name, artifact(dep)));
    }
    args
}

/// The library file other crates link: `.so` for a proc macro, `.rlib` otherwise.
fn artifact(package: &Package) -> String {
    if package.proc_macro {
        format!("{OUT}/lib{}.so", package.name)
    } else {
        format!("{OUT}/lib{}.rlib", package.name)
    }
}

fn compile_step(program: &str, args: Vec<String>) -> Step {
    Step {
        program: program.into(),
        args,
        stderr: Sink::Compiler,
        build_script_args: true,
        ..Step::default()
    }
}

/// What a package's own crates find at compile time (`env!`), as Cargo sets it: where its build
/// script wrote (`OUT_DIR`, for the canonical `include!(concat!(env!("OUT_DIR"), "/gen.rs"))`),
/// its folder and its name. The version is left out: the planner does not read it.
fn crate_env(package: &Package) -> Vec<(String, String)> {
    let mut env = vec![
        (
            "CARGO_MANIFEST_DIR".to_owned(),
            format!("{JOB_DIR}/{}", package.dir)
                .trim_end_matches('/')
                .to_owned(),
        ),
        ("CARGO_PKG_NAME".to_owned(), package.name.clone()),
        ("CARGO_CRATE_NAME".to_owned(), package.name.clone()),
    ];
    if package.build_script.is_some() {
        env.push((
            "OUT_DIR".to_owned(),
            format!("{JOB_DIR}/{OUT}/{}-out", package.name),
        ));
    }
    env
}

/// A step that compiles one of `package`'s crates.
fn package_step(package: &Package, step: Step) -> Step {
    Step {
        env: crate_env(package),
        ..step
    }
}

/// What a build script finds in its environment, as Cargo sets it.
fn build_script_env(job: &Job, package: &Package) -> Vec<(String, String)> {
    let (opt_level, debug) = match job.mode {
        Mode::Debug => ("0", "true"),
        Mode::Release => ("3", "false"),
    };
    [
        ("OUT_DIR", format!("{JOB_DIR}/{OUT}/{}-out", package.name)),
        ("TARGET", HOST_TRIPLE.into()),
        ("HOST", HOST_TRIPLE.into()),
        ("PROFILE", profile(job.mode).into()),
        ("OPT_LEVEL", opt_level.into()),
        ("DEBUG", debug.into()),
        ("NUM_JOBS", "1".into()),
        ("RUSTC", "rustc".into()),
        (
            "CARGO_MANIFEST_DIR",
            format!("{JOB_DIR}/{}", package.dir)
                .trim_end_matches('/')
                .into(),
        ),
        ("CARGO_PKG_NAME", package.name.clone()),
        ("CARGO_ENCODED_RUSTFLAGS", String::new()),
        ("CARGO_CFG_TARGET_ARCH", "x86_64".into()),
        ("CARGO_CFG_TARGET_OS", "linux".into()),
        ("CARGO_CFG_TARGET_FAMILY", "unix".into()),
        ("CARGO_CFG_TARGET_ENV", "gnu".into()),
        ("CARGO_CFG_TARGET_ENDIAN", "little".into()),
        ("CARGO_CFG_TARGET_POINTER_WIDTH", "64".into()),
        ("CARGO_CFG_TARGET_VENDOR", "unknown".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The steps that compile (and for build scripts, run) `build.rs`.
fn build_script_steps(job: &Job, package: &Package, script: &str) -> Vec<Step> {
    let exe = format!("{OUT}/build-{}", package.name);
    let args = vec![
        "--crate-name".into(),
        "build_script_build".into(),
        "--crate-type".into(),
        "bin".into(),
        "--edition".into(),
        package.edition.as_str().into(),
        "--error-format=json".into(),
        format!("-Ldependency={DEPS}/debug/deps"),
        "@/opt/rmp/externs-debug.args".into(),
        "-o".into(),
        exe.clone(),
        script.into(),
    ];
    vec![
        Step {
            build_script_args: false,
            ..compile_step("rustc", args)
        },
        Step {
            program: "mkdir".into(),
            args: vec!["-p".into(), format!("{OUT}/{}-out", package.name)],
            ..Step::default()
        },
        Step {
            program: format!("{JOB_DIR}/{exe}"),
            env: build_script_env(job, package),
            dir: package.dir.clone(),
            stdout: Sink::Directives,
            stderr: Sink::Compiler,
            ..Step::default()
        },
    ]
}

/// The arguments that make the final compile produce a view, and where its text goes.
/// `nightly`: the toolchain accepts `-Z` options (MIR then carries its source spans).
fn view_args(view: CompilerView, nightly: bool) -> (Vec<String>, Sink) {
    let strings = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let to_file = || Sink::File(VIEW_FILE.into());
    // One codegen unit, or rustc writes one file per unit and ignores the path.
    match view {
        CompilerView::Mir => {
            let mut args = strings(&["--emit", &format!("mir={VIEW_FILE}")]);
            if nightly {
                // Each statement's span, which the server turns into the source map.
                args.push("-Zmir-include-spans=on".into());
            }
            (args, Sink::Discard)
        }
        CompilerView::LlvmIr => (
            strings(&[
                "--emit",
                &format!("llvm-ir={VIEW_FILE}"),
                "-C",
                "codegen-units=1",
            ]),
            Sink::Discard,
        ),
        CompilerView::AsmAtt | CompilerView::AsmIntel => {
            let mut args = strings(&[
                "--emit",
                &format!("asm={VIEW_FILE}"),
                "-C",
                "codegen-units=1",
                // Line tables give the `.loc` lines that map instructions to source lines.
                "-C",
                "debuginfo=line-tables-only",
            ]);
            if view == CompilerView::AsmIntel {
                args.extend(strings(&["-C", "llvm-args=-x86-asm-syntax=intel"]));
            }
            (args, Sink::Discard)
        }
        CompilerView::Hir => (strings(&["-Zunpretty=hir"]), to_file()),
        CompilerView::Expanded => (strings(&["-Zunpretty=expanded"]), to_file()),
        CompilerView::TypeLayout => (strings(&["-Zprint-type-sizes"]), to_file()),
    }
}

/// The job's command lines. The job was checked by [`Job::from_request`]; `runner` is its
/// runner's manifest.
pub fn plan(job: &Job, runner: &RunnerSpec, limits: &Limits) -> Result<JobSpec, PlanError> {
    let project = Project::analyse(&job.files, job.edition, runner)?;
    // The specialist runners plan their own command lines (Fmt and the views stay common).
    if job.action.runs_program() || job.action == Action::Build {
        match (runner.tool, runner.target) {
            (Tool::Miri, _) => return miri::plan(job, runner, limits, &project),
            (Tool::Loom, _) => return loom::plan(job, runner, limits, &project),
            (_, Target::ThumbV7mNoneEabi) => return cortex_m::plan(job, runner, limits, &project),
            (Tool::Rustc, Target::Host) => {}
        }
    }
    let root = project.root();
    let mut steps = Vec::new();
    let mut send_back = Vec::new();

    if job.action == Action::Fmt {
        let mut args = vec!["--edition".into(), job.edition.as_str().into()];
        args.extend(["--emit".into(), "files".into()]);
        let rust_files: Vec<&ProjectFile> = job
            .files
            .iter()
            .filter(|f| f.path.ends_with(".rs"))
            .collect();
        args.extend(rust_files.iter().map(|f| f.path.clone()));
        steps.push(Step {
            program: "rustfmt".into(),
            args,
            stdout: Sink::Compiler,
            stderr: Sink::Compiler,
            ..Step::default()
        });
        send_back.extend(rust_files.iter().map(|f| SendBack::File(f.path.clone())));
        return Ok(spec(job, limits, steps, send_back));
    }

    let clippy = job.action == Action::Clippy;
    let view = match job.action {
        Action::View(view) => Some(view),
        _ => None,
    };
    let is_root = |p: &Package| std::ptr::eq(p, root);
    // rustc does not create the folder it writes into.
    steps.push(Step {
        program: "mkdir".into(),
        args: vec!["-p".into(), OUT.into()],
        ..Step::default()
    });
    // The crate a view shows: the program, else the library.
    let view_target_is_bin = root.bin.is_some();
    if matches!(job.action, Action::Run) && root.bin.is_none() {
        return Err(PlanError::Layout(
            "there is nothing to run: the project has no `src/main.rs` (use Test or Build)".into(),
        ));
    }

    for package in &project.packages {
        if let Some(script) = &package.build_script {
            steps.extend(build_script_steps(job, package, script));
        }
        let user_flags = !package.proc_macro;
        let driver = if clippy { "clippy-driver" } else { "rustc" };
        if let Some(lib) = &package.lib {
            let crate_type = if package.proc_macro {
                "proc-macro"
            } else {
                "lib"
            };
            let viewed = is_root(package) && !view_target_is_bin;
            let mut args = common_args(job, package, &project, user_flags, false);
            args.extend(["--crate-type".into(), crate_type.into()]);
            if package.proc_macro {
                // As Cargo does: the compiler's own `proc_macro` crate, by name.
                args.extend(["--extern".into(), "proc_macro".into()]);
            }
            let mut stdout = Sink::Discard;
            match view {
                Some(view) if viewed => {
                    let (extra, sink) = view_args(view, runner.toolchain == Toolchain::Nightly);
                    args.extend(extra);
                    stdout = sink;
                }
                _ => args.extend(["--out-dir".into(), OUT.into()]),
            }
            let needed_by_test = job.action == Action::Test && is_root(package);
            if !(needed_by_test && root.integration_tests.is_empty() && root.bin.is_none()) {
                args.push(lib.clone());
                steps.push(package_step(
                    package,
                    Step {
                        stdout,
                        ..compile_step(driver, args)
                    },
                ));
            }
        }
        if let Some(bin) = &package.bin
            && !(job.action == Action::Test && is_root(package) && package.lib.is_some())
        {
            let mut args = common_args(job, package, &project, user_flags, true);
            args.extend(["--crate-type".into(), "bin".into()]);
            if package.lib.is_some() {
                args.push("--extern".into());
                args.push(format!("{}={}", package.name, artifact(package)));
            }
            let mut stdout = Sink::Discard;
            match view {
                Some(view) if is_root(package) => {
                    let (extra, sink) = view_args(view, runner.toolchain == Toolchain::Nightly);
                    args.extend(extra);
                    stdout = sink;
                    if view == CompilerView::TypeLayout {
                        args.extend(["-o".into(), format!("{OUT}/{}", package.name)]);
                    }
                }
                _ if job.action == Action::Test && is_root(package) => {
                    args.extend([
                        "--test".into(),
                        "-o".into(),
                        format!("{OUT}/{}-test", package.name),
                    ]);
                }
                _ => args.extend(["-o".into(), format!("{OUT}/{}", package.name)]),
            }
            args.push(bin.clone());
            steps.push(package_step(
                package,
                Step {
                    stdout,
                    ..compile_step(driver, args)
                },
            ));
        }
    }
    if view.is_some() {
        send_back.push(SendBack::View(VIEW_FILE.into()));
        if view.is_some_and(view_needs_one_unit) {
            for step in &mut steps {
                drop_user_codegen_units(step);
            }
        }
    }

    // The run phase: the program, or for Test every harness once they are all compiled.
    let mut run_from = steps.len();
    match job.action {
        Action::Run => steps.push(program_step(
            format!("{JOB_DIR}/{OUT}/{}", root.name),
            vec![],
        )),
        Action::Test => {
            let mut harnesses = Vec::new();
            if let Some(lib) = &root.lib {
                let mut args = common_args(job, root, &project, true, true);
                args.extend([
                    "--test".into(),
                    "-o".into(),
                    format!("{OUT}/{}-unit", root.name),
                    lib.clone(),
                ]);
                steps.push(package_step(root, compile_step("rustc", args)));
                harnesses.push(format!("{}-unit", root.name));
            } else {
                harnesses.push(format!("{}-test", root.name));
            }
            for test in &root.integration_tests {
                let stem = test
                    .rsplit('/')
                    .next()
                    .and_then(|f| f.strip_suffix(".rs"))
                    .unwrap_or("test")
                    .replace('-', "_");
                let mut args = common_args(job, root, &project, true, true);
                // The test crate is named after its file and links the package's library.
                args[1] = stem.clone();
                if root.lib.is_some() {
                    args.push("--extern".into());
                    args.push(format!("{}={}", root.name, artifact(root)));
                }
                args.extend([
                    "--test".into(),
                    "-o".into(),
                    format!("{OUT}/test-{stem}"),
                    test.clone(),
                ]);
                steps.push(package_step(root, compile_step("rustc", args)));
                harnesses.push(format!("test-{stem}"));
            }
            run_from = steps.len();
            for harness in harnesses {
                steps.push(program_step(
                    format!("{JOB_DIR}/{OUT}/{harness}"),
                    // One thread keeps test output in order; the harness still runs every test.
                    vec!["--test-threads".into(), "1".into()],
                ));
            }
        }
        _ => {}
    }
    let mut spec = spec(job, limits, steps, send_back);
    spec.run_from = run_from;
    Ok(spec)
}

/// A job of `files` doing `action` on `runner`, for this module's tests and its runners'.
#[cfg(test)]
fn test_job(runner: &str, files: &[(&str, &str)], action: Action) -> Job {
    Job {
        files: files
            .iter()
            .map(|(p, c)| ProjectFile::new(*p, *c))
            .collect(),
        runner: api_types::RunnerId::new(runner),
        action,
        ..Job::run("")
    }
}

/// What a runner's tool adds to the report once the job has ended: Miri's and Loom's findings in
/// words, a board's exit. Runs after [`crate::run`] has judged the outcome.
pub fn refine(job: &Job, runner: &RunnerSpec, report: &mut Report) {
    match (runner.tool, runner.target) {
        (Tool::Miri, _) => miri::refine(job, report),
        (Tool::Loom, _) => loom::refine(job, report),
        (_, Target::ThumbV7mNoneEabi) => cortex_m::refine(job, report),
        (Tool::Rustc, Target::Host) => {}
    }
}

fn view_needs_one_unit(view: CompilerView) -> bool {
    matches!(
        view,
        CompilerView::LlvmIr | CompilerView::AsmAtt | CompilerView::AsmIntel
    )
}

/// A view needs one codegen unit; a student's `codegen-units=N` would undo that.
fn drop_user_codegen_units(step: &mut Step) {
    let mut kept = Vec::with_capacity(step.args.len());
    let mut args = std::mem::take(&mut step.args).into_iter().peekable();
    let mut seen_ours = false;
    while let Some(arg) = args.next() {
        if arg == "-C"
            && let Some(next) = args.peek()
            && next.starts_with("codegen-units=")
        {
            let value = args.next().expect("peeked");
            // Keep only the view's own `codegen-units=1`, which comes after the user's.
            if value == "codegen-units=1" && !seen_ours {
                seen_ours = true;
                kept.extend([arg, value]);
            }
            continue;
        }
        kept.push(arg);
    }
    step.args = kept;
}

fn program_step(program: String, args: Vec<String>) -> Step {
    Step {
        program,
        args,
        stdout: Sink::Stdout,
        stderr: Sink::Stderr,
        stdin: true,
        ..Step::default()
    }
}

fn spec(job: &Job, limits: &Limits, steps: Vec<Step>, send_back: Vec<SendBack>) -> JobSpec {
    // The helper's own backstop, for when this server is gone.
    let deadline = limits.compile_timeout + limits.run_timeout + std::time::Duration::from_secs(10);
    let run_from = steps.len();
    JobSpec {
        deadline_secs: deadline.as_secs(),
        output_cap: limits.output_bytes as u64,
        files: job
            .files
            .iter()
            .map(|f| (f.path.clone(), f.contents.clone().into_bytes()))
            .collect(),
        steps,
        run_from,
        send_back,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    fn job(files: &[(&str, &str)], action: Action) -> Job {
        test_job("stable", files, action)
    }

    fn stable() -> &'static RunnerSpec {
        runners::get("stable").unwrap()
    }

    /// Each step as one line: `program args… [stdout→sink]`.
    fn lines(spec: &JobSpec) -> String {
        let mut out = String::new();
        for (i, step) in spec.steps.iter().enumerate() {
            if i == spec.run_from {
                out.push_str("-- run --\n");
            }
            let mut line = format!("{} {}", step.program, step.args.join(" "));
            if !step.dir.is_empty() {
                line.push_str(&format!(" (in {})", step.dir));
            }
            if step.stdout != Sink::Discard {
                line.push_str(&format!(" [stdout→{:?}]", step.stdout));
            }
            out.push_str(&line);
            out.push('\n');
        }
        for item in &spec.send_back {
            out.push_str(&format!("back: {item:?}\n"));
        }
        out
    }

    #[test]
    fn one_main_file_is_one_rustc_line_and_the_program() {
        let spec = plan(
            &job(&[("src/main.rs", "fn main() {}")], Action::Run),
            stable(),
            &Limits::default(),
        )
        .unwrap();
        expect![[r#"
            mkdir -p out
            rustc --crate-name main --edition 2024 --error-format=json -C opt-level=0 -Ldependency=/opt/rmp/deps/target/debug/deps @/opt/rmp/externs-debug.args -Ldependency=out --crate-type bin -o out/main src/main.rs
            -- run --
            /tmp/job/out/main  [stdout→Stdout]
        "#]]
        .assert_eq(&lines(&spec));
        assert_eq!(spec.deadline_secs, 50);
        assert!(spec.steps[2].stdin);
    }

    #[test]
    fn release_and_flags_reach_the_compiler() {
        let mut j = job(&[("src/main.rs", "fn main() {}")], Action::Run);
        j.mode = Mode::Release;
        j.flags = vec![
            CodegenFlag::parse("panic=abort").unwrap(),
            CodegenFlag::parse("lto=fat").unwrap(),
        ];
        let spec = plan(&j, stable(), &Limits::default()).unwrap();
        let args = spec.steps[1].args.join(" ");
        assert!(args.contains("-C opt-level=3"), "{args}");
        assert!(args.contains("-C panic=abort -C lto=fat"), "{args}");
        assert!(args.contains("/opt/rmp/deps/target/release/deps"), "{args}");
        j.flags = vec![CodegenFlag::parse("opt-level=1").unwrap()];
        let args = plan(&j, stable(), &Limits::default()).unwrap().steps[1]
            .args
            .join(" ");
        assert!(
            args.contains("-C opt-level=1") && !args.contains("opt-level=3"),
            "{args}"
        );
    }

    #[test]
    fn a_proc_macro_crate_and_a_build_script_come_first() {
        let files = [
            (
                "Cargo.toml",
                "[package]\nname = \"shapes\"\nedition = \"2021\"\n[dependencies]\nshape-derive = { path = \"derive\" }\nserde = \"1\"\n[build-dependencies]\ncc = \"1\"\n",
            ),
            ("build.rs", "fn main() {}"),
            ("shim.c", "int answer(void) { return 42; }"),
            ("src/main.rs", "fn main() {}"),
            (
                "derive/Cargo.toml",
                "[package]\nname = \"shape-derive\"\n[lib]\nproc-macro = true\n[dependencies]\nsyn = \"2\"\nquote = \"1\"\n",
            ),
            ("derive/src/lib.rs", ""),
        ];
        let spec = plan(&job(&files, Action::Run), stable(), &Limits::default()).unwrap();
        expect![[r#"
            mkdir -p out
            rustc --crate-name shape_derive --edition 2024 --error-format=json -C opt-level=0 -Ldependency=/opt/rmp/deps/target/debug/deps @/opt/rmp/externs-debug.args -Ldependency=out --crate-type proc-macro --extern proc_macro --out-dir out derive/src/lib.rs
            rustc --crate-name build_script_build --crate-type bin --edition 2021 --error-format=json -Ldependency=/opt/rmp/deps/target/debug/deps @/opt/rmp/externs-debug.args -o out/build-shapes build.rs
            mkdir -p out/shapes-out
            /tmp/job/out/build-shapes  [stdout→Directives]
            rustc --crate-name shapes --edition 2021 --error-format=json -C opt-level=0 -Ldependency=/opt/rmp/deps/target/debug/deps @/opt/rmp/externs-debug.args -Ldependency=out --extern shape_derive=out/libshape_derive.so --crate-type bin -o out/shapes src/main.rs
            -- run --
            /tmp/job/out/shapes  [stdout→Stdout]
        "#]]
        .assert_eq(&lines(&spec));
        let script = &spec.steps[4];
        assert!(
            script
                .env
                .contains(&("OUT_DIR".into(), "/tmp/job/out/shapes-out".into()))
        );
        assert!(
            spec.steps[5].build_script_args,
            "the crate gets the script's -l/-L"
        );
        // ... and, as under Cargo, `env!("OUT_DIR")` names where the script wrote.
        let crate_env = &spec.steps[5].env;
        assert!(crate_env.contains(&("OUT_DIR".into(), "/tmp/job/out/shapes-out".into())));
        assert!(crate_env.contains(&("CARGO_PKG_NAME".into(), "shapes".into())));
        let derive_env = &spec.steps[1].env;
        assert!(
            derive_env.iter().all(|(k, _)| k != "OUT_DIR"),
            "a package without a build script has no OUT_DIR: {derive_env:?}"
        );
    }

    #[test]
    fn tests_cover_the_library_and_each_integration_test() {
        let files = [
            ("Cargo.toml", "[package]\nname = \"grades\"\n"),
            ("src/lib.rs", "pub fn f() {}"),
            ("tests/grade.rs", "#[test] fn t() {}"),
        ];
        let spec = plan(&job(&files, Action::Test), stable(), &Limits::default()).unwrap();
        expect![[r#"
            mkdir -p out
            rustc --crate-name grades --edition 2024 --error-format=json -C opt-level=0 -Ldependency=/opt/rmp/deps/target/debug/deps @/opt/rmp/externs-debug.args -Ldependency=out --crate-type lib --out-dir out src/lib.rs
            rustc --crate-name grades --edition 2024 --error-format=json -C opt-level=0 -Ldependency=/opt/rmp/deps/target/debug/deps @/opt/rmp/externs-debug.args -Ldependency=out --test -o out/grades-unit src/lib.rs
            rustc --crate-name grade --edition 2024 --error-format=json -C opt-level=0 -Ldependency=/opt/rmp/deps/target/debug/deps @/opt/rmp/externs-debug.args -Ldependency=out --extern grades=out/libgrades.rlib --test -o out/test-grade tests/grade.rs
            -- run --
            /tmp/job/out/grades-unit --test-threads 1 [stdout→Stdout]
            /tmp/job/out/test-grade --test-threads 1 [stdout→Stdout]
        "#]]
        .assert_eq(&lines(&spec));
        // The single-file case: the program compiled with --test, as before.
        let spec = plan(
            &job(&[("src/main.rs", "")], Action::Test),
            stable(),
            &Limits::default(),
        )
        .unwrap();
        assert!(
            spec.steps[1]
                .args
                .join(" ")
                .ends_with("--test -o out/main-test src/main.rs")
        );
        assert_eq!(spec.steps[2].program, "/tmp/job/out/main-test");
    }

    #[test]
    fn views_fmt_and_clippy() {
        let main = [("src/main.rs", "fn main() {}")];
        let spec = plan(
            &job(&main, Action::View(CompilerView::AsmIntel)),
            stable(),
            &Limits::default(),
        )
        .unwrap();
        let args = spec.steps[1].args.join(" ");
        assert!(args.contains("--emit asm=out/view.txt -C codegen-units=1 -C debuginfo=line-tables-only -C llvm-args=-x86-asm-syntax=intel"), "{args}");
        assert_eq!(spec.run_from, spec.steps.len());
        assert_eq!(spec.send_back, [SendBack::View(VIEW_FILE.into())]);
        let nightly = runners::get("nightly").unwrap();
        let mir = plan(
            &job(&main, Action::View(CompilerView::Mir)),
            nightly,
            &Limits::default(),
        )
        .unwrap();
        assert!(
            mir.steps[1].args.ends_with(&[
                "--emit".into(),
                "mir=out/view.txt".into(),
                "-Zmir-include-spans=on".into(),
                "src/main.rs".into()
            ]),
            "{:?}",
            mir.steps[1].args
        );
        let spec = plan(
            &job(&main, Action::View(CompilerView::Expanded)),
            nightly,
            &Limits::default(),
        )
        .unwrap();
        assert_eq!(spec.steps[1].stdout, Sink::File(VIEW_FILE.into()));
        assert!(
            spec.steps[1]
                .args
                .contains(&"-Zunpretty=expanded".to_owned())
        );

        let spec = plan(
            &job(&[("src/main.rs", "mod a;"), ("src/a.rs", "")], Action::Fmt),
            stable(),
            &Limits::default(),
        )
        .unwrap();
        expect![[r#"
            rustfmt --edition 2024 --emit files src/main.rs src/a.rs [stdout→Compiler]
            back: File("src/main.rs")
            back: File("src/a.rs")
        "#]]
        .assert_eq(&lines(&spec));

        let spec = plan(&job(&main, Action::Clippy), stable(), &Limits::default()).unwrap();
        assert_eq!(spec.steps[1].program, "clippy-driver");
        assert_eq!(spec.run_from, 2);
    }

    #[test]
    fn user_codegen_units_give_way_to_a_view() {
        let mut j = job(&[("src/main.rs", "")], Action::View(CompilerView::LlvmIr));
        j.flags = vec![CodegenFlag::parse("codegen-units=16").unwrap()];
        let args = plan(&j, stable(), &Limits::default()).unwrap().steps[1]
            .args
            .join(" ");
        assert!(!args.contains("codegen-units=16"), "{args}");
        assert!(args.contains("-C codegen-units=1"), "{args}");
    }

    #[test]
    fn layouts_that_cannot_build_are_explained() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (
                &[
                    (
                        "Cargo.toml",
                        "[package]\nname = \"a\"\n[dependencies]\nb = { path = \"b\" }\n",
                    ),
                    ("src/main.rs", ""),
                    ("src/lib.rs", ""),
                    (
                        "b/Cargo.toml",
                        "[package]\nname = \"b\"\n[dependencies]\na = { path = \"..\" }\n",
                    ),
                    ("b/src/lib.rs", ""),
                ],
                "go round in a circle",
            ),
            (
                &[
                    (
                        "Cargo.toml",
                        "[package]\nname = \"a\"\n[dependencies]\nb = { path = \"b\" }\n",
                    ),
                    ("src/main.rs", ""),
                ],
                "`b/Cargo.toml` is not in the project",
            ),
            (
                &[
                    (
                        "Cargo.toml",
                        "[package]\nname = \"a\"\n[dependencies]\nb = { path = \"../b\" }\n",
                    ),
                    ("src/main.rs", ""),
                ],
                "leaves the project",
            ),
            (
                &[
                    (
                        "Cargo.toml",
                        "[package]\nname = \"a\"\n[dependencies]\nx = { git = \"https://example.com/x\" }\n",
                    ),
                    ("src/main.rs", ""),
                ],
                "git dependencies cannot be fetched",
            ),
            (
                &[("Cargo.toml", "[package]\n"), ("src/main.rs", "")],
                "`package.name`",
            ),
            (&[("src/lib.rs", "")], "nothing to run"),
        ];
        for (files, words) in cases {
            let error = plan(&job(files, Action::Run), stable(), &Limits::default())
                .unwrap_err()
                .to_string();
            assert!(error.contains(words), "{error}");
        }
    }
}
