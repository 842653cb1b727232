//! `cargo xtask bench-engine`: the matching engine natively and as wasm in headless Chromium,
//! on the same generated workload, and the ratio between them.

use crate::cmd::{self, Failure, step};
use crate::{Repo, setup, spa, test};

pub fn run() -> Result<(), Failure> {
    let repo = Repo::locate()?;
    let tools = setup::spa_tools()?;
    let browser = setup::browser_tools()?;
    let native = step("Native benchmark (cargo bench, release, one core)", || {
        let output = cmd::cargo(&repo)
            .args([
                "bench",
                "--package",
                "matching-engine",
                "--bench",
                "throughput",
            ])
            .capture()?;
        print!("{output}");
        million_per_second(&output, "throughput:").ok_or_else(|| {
            Failure::new("the native benchmark printed no `throughput: N M orders/s` line")
        })
    })?;
    spa::build(&repo, &tools)?;
    let wasm = step("The same workload as wasm in headless Chromium", || {
        let output = test::e2e_cargo(&repo, &browser)?
            .args([
                "run",
                "--release",
                "--package",
                "e2e",
                "--bin",
                "bench-engine-wasm",
            ])
            .capture()?;
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
