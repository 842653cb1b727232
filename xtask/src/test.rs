//! `cargo xtask test`: every check, in the order that fails fastest.

use std::time::Instant;

use crate::cmd::{self, Failure, step};
use crate::wasm::TARGET;
use crate::{Repo, docker, images, setup, spa, verify};

pub fn run_all() -> Result<(), Failure> {
    let started = Instant::now();
    let repo = Repo::locate()?;
    let tools = setup::spa_tools()?;
    let browser = setup::browser_tools()?;
    println!("\n    build cache: {}", repo.target_dir.display());

    step("Formatting (cargo fmt --check)", || {
        cmd::cargo(&repo).args(["fmt", "--all", "--check"]).run()
    })?;
    step("Lints (cargo clippy, warnings are errors)", || {
        cmd::cargo(&repo)
            .args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])
            .run()
    })?;
    step("Unit, snapshot and API tests", || {
        cmd::cargo(&repo)
            .args(["test", "--workspace", "--exclude", "e2e"])
            .run()
    })?;
    step("Model checking the lock-free structures (loom)", || {
        // `--cfg loom` changes every crate's flags, so it builds in its own directory.
        cmd::cargo(&repo)
            .args([
                "test",
                "--release",
                "--package",
                "lockfree",
                "--test",
                "loom",
            ])
            .env("RUSTFLAGS", "--cfg loom")
            .env("CARGO_TARGET_DIR", repo.target_dir.join("loom"))
            .run()
    })?;
    images::ensure()?;
    docker::remove_leftovers()?;
    step(
        "Sandbox tests against the real dockerd (hostile programs included)",
        || {
            // Ignored by a plain `cargo test` (no Docker there); here Docker is guaranteed.
            for (package, target) in [
                ("sandbox", "docker"),
                ("sandbox", "tools"),
                ("sandbox", "miri"),
                ("sandbox", "cortex_m"),
                ("sandbox", "loom"),
                ("sandbox", "selfheal"),
                ("sandbox", "burst"),
                ("backend", "docker_api"),
                ("backend", "docker_down"),
                ("backend", "docker_cache"),
                ("content-verify", "docker"),
            ] {
                cmd::cargo(&repo)
                    .args([
                        "test",
                        "--package",
                        package,
                        "--test",
                        target,
                        "--",
                        "--ignored",
                        // Two at a time: the two cores, without starving the compiles.
                        "--test-threads",
                        "2",
                    ])
                    .run()?;
            }
            Ok(())
        },
    )?;
    verify::verify(&repo, &[])?;
    docker::check_no_leftovers()?;
    spa::build(&repo, &tools)?;
    step(
        "Component tests in headless Chromium (wasm-bindgen-test)",
        || {
            tools
                .wasm
                .apply(cmd::Cmd::new("cargo"))
                .current_dir(repo.root.join("frontend"))
                .args([
                    "test",
                    "--package",
                    "frontend",
                    "--target",
                    TARGET,
                    "--test",
                    "web",
                ])
                .env("CARGO_TARGET_DIR", &repo.target_dir)
                .env(
                    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
                    "wasm-bindgen-test-runner",
                )
                .env("CHROMEDRIVER", &browser.chromedriver)
                .env("WASM_BINDGEN_TEST_TIMEOUT", "120")
                .run()
        },
    )?;
    step(
        "End-to-end tests: real server, real SPA, headless Chromium",
        || {
            e2e_cargo(&repo, &browser)?
                .args([
                    "test",
                    "--package",
                    "e2e",
                    "--",
                    "--test-threads",
                    "1",
                    "--nocapture",
                ])
                .run()
        },
    )?;
    docker::check_no_leftovers()?;
    println!(
        "\nScreenshots of every page at laptop, projector and phone sizes: {}",
        screenshots_dir(&repo).display()
    );
    println!(
        "\nAll checks passed in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Where the end-to-end tests save their screenshots.
fn screenshots_dir(repo: &Repo) -> std::path::PathBuf {
    repo.target_dir.join("e2e-screenshots")
}

/// Builds the server, then returns `cargo` with the variables the end-to-end harness reads
/// (`e2e/src/lib.rs`), for the tests and for the browser benchmark.
pub fn e2e_cargo(repo: &Repo, browser: &setup::Browser) -> Result<cmd::Cmd, Failure> {
    cmd::cargo(repo)
        .args(["build", "--package", "backend", "--bin", "rmp-server"])
        .run()?;
    Ok(cmd::cargo(repo)
        .env(
            "RMP_E2E_SERVER_BIN",
            repo.target_dir.join("debug/rmp-server"),
        )
        .env("RMP_E2E_SITE_DIR", repo.dist())
        .env("RMP_E2E_CONTENT_DIR", repo.root.join("content"))
        .env("RMP_E2E_CHROME", &browser.chrome)
        .env("CHROMEDRIVER", &browser.chromedriver)
        // Pages at laptop, projector and phone sizes (e2e/tests/screens.rs), to be looked at.
        .env("RMP_E2E_SCREENSHOTS", screenshots_dir(repo))
        // The harness ends servers with SIGKILL, leaving no time to remove warm containers:
        // start none (a Run still gets a container of its own, removed when it ends).
        .env("RMP_WARM_POOL", "0"))
}
