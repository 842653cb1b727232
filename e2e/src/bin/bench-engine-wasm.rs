//! Runs the matching engine's "benchmark in your browser" with the native benchmark's workload
//! (2 000 000 commands) in headless Chromium and prints the throughput it reports.
//! `cargo xtask bench-engine` runs this beside the native benchmark and prints the ratio.

use std::time::{Duration, Instant};

use e2e::Harness;
use fantoccini::Locator;

#[tokio::main]
async fn main() {
    let h = Harness::start().await;
    h.goto("/demos/matching-engine").await;
    h.wait_for_text("h1", "A limit-order-book matching engine")
        .await;
    h.select("select[name=bench-size]", "2000000").await;
    h.click(".run-bench").await;
    let deadline = Instant::now() + Duration::from_secs(300);
    let report = loop {
        if let Ok(element) = h.client.find(Locator::Css(".bench-report")).await {
            break element.text().await.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the in-browser benchmark did not finish within 5 minutes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let first_line = report.lines().next().unwrap_or_default();
    println!("wasm in headless Chromium: {first_line}");
    h.close().await;
}
