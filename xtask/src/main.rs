//! `cargo xtask <command>`: set up, build, run and test Rust Mastery Playground.
//!
//! Each command installs what it needs when it is missing (and only then), prints what it is doing,
//! and stops with an explanation when a step cannot work on this machine.
#![forbid(unsafe_code)]

mod app_wasm;
mod bench;
mod bench_engine;
mod bench_load;
mod bench_room;
mod cmd;
mod demos_module;
mod docker;
mod editor_bundle;
mod images;
mod setup;
mod spa;
mod test;
mod verify;
mod wasm;

use std::path::PathBuf;
use std::process::ExitCode;

use cmd::{Failure, step};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  run         set up, build the SPA (release) and the server, and serve on RMP_ADDR (127.0.0.1:8080)
  test        set up, then run every check: fmt, clippy, unit and API tests, sandbox tests against
              a real dockerd, content verification, browser component tests, and end-to-end
              tests in headless Chromium
  build-spa   build the SPA into dist/ (release) and report its transfer size
  setup       install the tools the other commands need, and nothing else
  bench-engine
              the matching engine natively and as wasm in headless Chromium, and their ratio
  images [RUNNER...]
              start dockerd if needed and build the runner images (of every runner in
              runner-images/, or of those named) that are missing or out of date
  bench-sandbox [actions|burst]
              measure the real server: hello world through every action (run, build, test,
              clippy, fmt, each compiler view, a two-crate project), then hello-world latency
              against bare rustc and 30 programs submitted at once (`actions`: the first only;
              `burst`: the second only, with the server's default pool)
  bench-load  a class at once through the real server, all from one address: 200 clients on the
              same content example (p50, p99, failures), 200 on distinct programs (served,
              refused, timed out) and 500 at once (statuses, Retry-After, server memory)
  bench-room  a class following its teacher through the real server: 200 students in one room
              (follow latency p50, p99) and the server's memory per room and per student
  verify-content [--chapter SLUG]... [--ids] [--no-cache] [--jobs N] [--verbose]
              run every example and exercise in content/ through the sandbox and check each
              does what its fence says (passes are cached by content hash; `--chapter`
              checks only the chapters named; `--ids` lists block ids and runs nothing)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(),
        Some("test") => test::run_all(),
        Some("build-spa") => Repo::locate().and_then(|repo| {
            let tools = setup::spa_tools()?;
            spa::build(&repo, &tools).map(|_| ())
        }),
        Some("setup") => setup::everything().map(|_| ()),
        Some("bench-engine") => bench_engine::run(),
        Some("images") => images::ensure_only(&args[1..]),
        Some("bench-sandbox") => bench::run(&args[1..]),
        Some("bench-load") => bench_load::run(&args[1..]),
        Some("bench-room") => bench_room::run(&args[1..]),
        Some("verify-content") => verify::run(&args[1..]),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(Failure::new(format!(
            "unknown command `{other}`\n\n{USAGE}"
        ))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("\nerror: {failure}");
            ExitCode::FAILURE
        }
    }
}

/// Paths inside the repository, and the cache that outlives a clone.
pub struct Repo {
    pub root: PathBuf,
    /// Where builds go: `$CARGO_TARGET_DIR`, else a cache directory shared by every clone on this
    /// machine, so a fresh clone (as in CI) reuses earlier builds.
    pub target_dir: PathBuf,
}

impl Repo {
    pub fn locate() -> Result<Repo, Failure> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("xtask lives one level below the repository root")
            .to_owned();
        let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => cache_dir().join("target"),
        };
        Ok(Repo { root, target_dir })
    }

    /// Where the built site goes: `$RMP_DIST_DIR`, else `dist/` in the repository (a second
    /// worktree builds its own site without touching the first one's).
    pub fn dist(&self) -> PathBuf {
        match std::env::var_os("RMP_DIST_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => self.root.join("dist"),
        }
    }
}

/// `$RMP_CACHE_DIR`, else `$XDG_CACHE_HOME/rust-mastery-playground`, else `~/.cache/...`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RMP_CACHE_DIR") {
        return dir.into();
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    base.join("rust-mastery-playground")
}

fn run() -> Result<(), Failure> {
    let repo = Repo::locate()?;
    let tools = setup::spa_tools()?;
    spa::build(&repo, &tools)?;
    images::ensure_for_serving()?;
    let server = build_release_server(&repo)?;
    let data = std::env::var("RMP_DATA_DIR")
        .unwrap_or_else(|_| repo.root.join("data").display().to_string());
    println!("\n==> Starting the server (Ctrl-C stops it)");
    cmd::Cmd::new(server)
        .current_dir(&repo.root)
        .env_default("RMP_SITE_DIR", repo.dist().display().to_string())
        .env_default(
            "RMP_CONTENT_DIR",
            repo.root.join("content").display().to_string(),
        )
        .env_default("RMP_DATA_DIR", data)
        // The author's loop: a saved chapter shows in the open page without a restart.
        .env_default("RMP_CONTENT_WATCH", "true")
        .run()
}

/// Builds `rmp-server` in release mode and returns its path.
pub fn build_release_server(repo: &Repo) -> Result<PathBuf, Failure> {
    step("Building the server (release)", || {
        cmd::cargo(repo)
            .args([
                "build",
                "--release",
                "--package",
                "backend",
                "--bin",
                "rmp-server",
            ])
            .run()
    })?;
    Ok(repo.target_dir.join("release/rmp-server"))
}
