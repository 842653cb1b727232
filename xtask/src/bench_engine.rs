//! `cargo xtask bench-engine`: the matching engine natively and as wasm in headless Chromium,
//! on the same generated workload, and the ratio between them.

use std::process::Command;

use crate::cmd::{self, Failure, step};
use crate::{Repo, setup, spa};

pub fn run() -> Result<(), Failure> {
    let repo = Repo::locate()?;
    let tools = setup::spa_tools()?;
    let browser = setup::browser_tools()?;
    let native = step("Native benchmark (cargo bench, release, one core)", || {
        let output = capture(
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .current_dir(&repo.root)
                .env("CARGO_TARGET_DIR", &repo.target_dir)
                .args([
                    "bench",
                    "--package",
                    "matching-engine",
                    "--bench",
                    "throughput",
                ]),
        )?;
        print!("{output}");
        million_per_second(&output, "throughput:").ok_or_else(|| {
            Failure::new("the native benchmark printed no `throughput: N M orders/s` line")
        })
    })?;
    spa::build(&repo, &tools)?;
    let wasm = step("The same workload as wasm in headless Chromium", || {
        cmd::cargo(&repo)
            .args(["build", "--package", "backend", "--bin", "rmp-server"])
            .run()?;
        let output = capture(
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .current_dir(&repo.root)
                .env("CARGO_TARGET_DIR", &repo.target_dir)
                .args([
                    "run",
                    "--release",
                    "--package",
                    "e2e",
                    "--bin",
                    "bench-engine-wasm",
                ])
                .env(
                    "RMP_E2E_SERVER_BIN",
                    repo.target_dir.join("debug/rmp-server"),
                )
                .env("RMP_E2E_SITE_DIR", repo.dist())
                .env("RMP_E2E_CONTENT_DIR", repo.root.join("content"))
                .env("RMP_E2E_CHROME", &browser.chrome)
                .env("CHROMEDRIVER", &browser.chromedriver),
        )?;
        print!("{output}");
        million_per_second(&output, "wasm in headless Chromium:")
            .ok_or_else(|| Failure::new("the browser benchmark printed no throughput"))
    })?;
    println!(
        "\nmatching engine: native {native:.2} M orders/s, wasm {wasm:.2} M orders/s, wasm/native = {:.0} % (goal >= 40 %)",
        wasm / native * 100.0
    );
    Ok(())
}

fn capture(command: &mut Command) -> Result<String, Failure> {
    let output = command
        .output()
        .map_err(|e| Failure::new(format!("cannot start {command:?}: {e}")))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        Ok(text)
    } else {
        Err(Failure::new(format!(
            "{command:?} failed ({}):\n{text}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// The number before `M orders/s` on the line starting with `prefix`.
fn million_per_second(output: &str, prefix: &str) -> Option<f64> {
    let line = output
        .lines()
        .find(|l| l.trim_start().starts_with(prefix))?;
    let before = line.split("M orders/s").next()?;
    before.split_whitespace().last()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::million_per_second;

    #[test]
    fn reads_both_report_formats() {
        let native =
            "generated …\nthroughput: 16.52 M orders/s (60.5 ns/command, best of 5 runs)\n";
        assert_eq!(million_per_second(native, "throughput:"), Some(16.52));
        let wasm = "wasm in headless Chromium: 7.10 M orders/s over 2000000 commands\n";
        assert_eq!(
            million_per_second(wasm, "wasm in headless Chromium:"),
            Some(7.10)
        );
        assert_eq!(million_per_second("nothing", "throughput:"), None);
    }
}
