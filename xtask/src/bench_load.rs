//! `cargo xtask bench-load`: a whole class pressing Run at once, through the real server.
//!
//! One release `rmp-server` (its own port, data directory and empty content, the real sandbox,
//! every admission and pool setting at its default) takes three bursts, every client a thread
//! that opens its own connection from 127.0.0.1 (one address, like a classroom behind one NAT)
//! with its own browser id, all released together:
//!
//! 1. **Same example**: a content example, unchanged, run twice to warm up (as the server warms
//!    its content's examples), then by 200 clients at once: p50, p99, failures and how many
//!    answers came from a result cache (goal: no failure, p99 at most 20 ms); then the same
//!    request from one client at a time, the cost of one answer without the crowd.
//! 2. **A class on distinct programs**: 200 clients, 200 different programs: how many were
//!    served, refused or timed out in the queue (goal: none refused while the queue has room).
//! 3. **500 at once** (distinct programs again): the statuses, `Retry-After` on every 503, no
//!    other 5xx, and the server's resident memory before, at its peak and after.
//!
//! A benchmark prints figures: the goals are shown as PASS or MISS next to them, and only a
//! harness failure (no server, a broken warm-up run) makes the command fail.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use api_types::browser::BROWSER_ID_HEADER;
use api_types::{ExecuteRequest, ExecuteResponse, Outcome, Phase};

use crate::bench::{Server, exchange, program};
use crate::cmd::{Failure, step};
use crate::{Repo, images};

/// A class: the issue's 200 students behind one address.
const CLASS: usize = 200;
/// The overload burst.
const CROWD: usize = 500;
/// Runs of the same example one at a time, after its burst.
const ALONE_SAMPLES: usize = 20;
/// Goal for the same example once warm (and, in practice, cached).
const P99_GOAL_MS: f64 = 20.0;
/// "Memory bounded", made a number: the resident set may grow by at most this much over the
/// 500-client burst (the answers are a few KB each; a leak per request would show).
const MEMORY_GROWTH_GOAL_MIB: f64 = 64.0;
/// Where the same-example burst takes its program from: the first runnable block of this
/// chapter, hidden lines included, exactly as the page runs it.
const EXAMPLE_CHAPTER: &str = "content/intermediate/error-handling.md";

pub fn run(args: &[String]) -> Result<(), Failure> {
    if let Some(extra) = args.first() {
        return Err(Failure::new(format!(
            "bench-load takes no arguments, not `{extra}`"
        )));
    }
    let repo = Repo::locate()?;
    let chapter = repo.root.join(EXAMPLE_CHAPTER);
    let markdown = std::fs::read_to_string(&chapter)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", chapter.display())))?;
    let (example_line, example) = first_runnable_example(&markdown).ok_or_else(|| {
        Failure::new(format!(
            "{EXAMPLE_CHAPTER} has no runnable ```rust block for the same-example burst"
        ))
    })?;
    images::ensure_for_serving()?;
    crate::build_release_server(&repo)?;
    let work = crate::cache_dir().join("bench-load");
    // A fresh data directory: the store (and any result cache in it) starts empty.
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("content"))
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", work.display())))?;

    let server = step("Starting rmp-server (release, default settings)", || {
        Server::start(&repo, &work, None)
    })?;
    let result = measure(&server, &example);
    server.stop();
    let figures = result?;
    figures.print(&format!("{EXAMPLE_CHAPTER}:{example_line}"));
    Ok(())
}

struct Figures {
    /// The one run before the same-example burst.
    warm_up_ms: f64,
    /// The same example's median latency with one client at a time, after the burst.
    alone_ms: f64,
    same: Burst,
    class: Burst,
    crowd: Burst,
    memory: Memory,
}

fn measure(server: &Server, example: &str) -> Result<Figures, Failure> {
    let addr = server.addr;
    let (warm_up_ms, same, alone_ms) = step(
        &format!("Same example: two runs to warm up, then {CLASS} clients at once"),
        || {
            // Twice, as the server warms the content's examples: a result cache may serve a
            // program that runs only once a second run reproduced its output.
            let started = Instant::now();
            let warm_up = one_run(addr, example, "load-warm-up")?;
            let warm_up_ms = started.elapsed().as_secs_f64() * 1000.0;
            let started = Instant::now();
            let again = one_run(addr, example, "load-warm-up")?;
            let again_ms = started.elapsed().as_secs_f64() * 1000.0;
            if again.stdout != warm_up.stdout {
                return Err(Failure::new(
                    "the example printed different output on its second run: it cannot be the same example for every client",
                ));
            }
            println!("    warm-up: first run {warm_up_ms:.0} ms, second {again_ms:.0} ms");
            let body = request_body(example);
            let expected = warm_up.stdout;
            let burst = burst(addr, "same", CLASS, |_| (body.clone(), expected.clone()));
            burst.summary();
            // The same request alone, to tell the cost of one answer from the wait behind 199
            // others.
            let mut alone = Vec::new();
            for _ in 0..ALONE_SAMPLES {
                let started = Instant::now();
                one_run(addr, example, "load-alone")?;
                alone.push(started.elapsed().as_secs_f64() * 1000.0);
            }
            alone.sort_by(f64::total_cmp);
            let alone_ms = percentile(&alone, 0.5);
            println!("    one client at a time, median of {ALONE_SAMPLES}: {alone_ms:.1} ms");
            Ok((warm_up_ms, burst, alone_ms))
        },
    )?;
    let class = step(
        &format!("{CLASS} clients from one address, {CLASS} distinct programs"),
        || {
            let burst = burst(addr, "class", CLASS, |i| {
                let (code, expected) = program(1000 + i);
                (request_body(&code), expected)
            });
            burst.summary();
            Ok(burst)
        },
    )?;
    let (crowd, memory) = step(
        &format!("{CROWD} clients at once, distinct programs"),
        || {
            let pid = server.pid();
            let before = resident_mib(pid)?;
            let sampler = PeakSampler::start(pid);
            let burst = burst(addr, "crowd", CROWD, |i| {
                let (code, expected) = program(2000 + i);
                (request_body(&code), expected)
            });
            let peak = sampler.stop();
            // What the server keeps once the burst is over, not what it briefly held.
            std::thread::sleep(Duration::from_secs(2));
            let after = resident_mib(pid)?;
            burst.summary();
            Ok((
                burst,
                Memory {
                    before,
                    peak: peak.max(after),
                    after,
                },
            ))
        },
    )?;
    Ok(Figures {
        warm_up_ms,
        alone_ms,
        same,
        class,
        crowd,
        memory,
    })
}

/// The body of a Run of `code` with every default, as the page sends for a plain block.
fn request_body(code: &str) -> String {
    serde_json::to_string(&ExecuteRequest::run(code)).expect("requests serialize")
}

/// A single run that must succeed: the warm-up, which also gives the output to expect.
fn one_run(addr: SocketAddr, code: &str, browser: &str) -> Result<ExecuteResponse, Failure> {
    let reply = exchange(
        addr,
        "POST",
        "/api/execute",
        &[(BROWSER_ID_HEADER, browser)],
        &request_body(code),
    )
    .map_err(|e| Failure::new(format!("the warm-up run failed: {e}")))?;
    let response = serde_json::from_str::<ExecuteResponse>(&reply.body)
        .ok()
        .filter(|r| reply.status == 200 && r.result.outcome == Outcome::Success);
    response.ok_or_else(|| {
        Failure::new(format!(
            "the warm-up run answered {}: {}",
            reply.status,
            reply.body.chars().take(400).collect::<String>()
        ))
    })
}

/// How one client's request ended.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ending {
    /// 200, ran successfully and printed what was expected.
    Served,
    /// 200, but it waited out the queue's timeout without running.
    QueueTimeout,
    /// 200 with another outcome, or output other than expected.
    WrongAnswer(String),
    /// 503: refused at the door (or the sandbox was unavailable).
    Refused { retry_after: bool, message: String },
    /// Any other status.
    OtherStatus(u16),
    /// No HTTP answer at all (connection refused or reset, read timeout).
    Transport(String),
}

/// One client's answer and how long it took, from connecting to the last byte.
struct Answer {
    ending: Ending,
    /// Where a 200 came from if it did not run for this request: the response's `cached.source`
    /// (`stored` or `shared`), once the server has a result cache.
    cached: Option<String>,
    seconds: f64,
}

/// One burst's answers.
struct Burst {
    results: Vec<Answer>,
    /// From the release of every client to the last answer.
    makespan: f64,
    /// How many connection attempts the kernel dropped because a listen queue was full during
    /// the burst (machine-wide, so another program's can count too); a dropped attempt is
    /// retried a second later, which shows as a latency just over 1 s.
    listen_overflows: Option<u64>,
}

/// `clients` threads, each with its own browser id `load-<label>-<i>` and its own request from
/// `request(i)` (body, expected stdout), released at once by a barrier.
fn burst(
    addr: SocketAddr,
    label: &str,
    clients: usize,
    request: impl Fn(usize) -> (String, String),
) -> Burst {
    let overflows_before = listen_overflows();
    let start = Arc::new(Barrier::new(clients + 1));
    let last_answer = Arc::new(AtomicU64::new(0));
    let released = Arc::new(std::sync::OnceLock::<Instant>::new());
    let handles: Vec<_> = (0..clients)
        .map(|i| {
            let (body, expected) = request(i);
            let browser = format!("load-{label}-{i:04}");
            let start = Arc::clone(&start);
            let released = Arc::clone(&released);
            let last_answer = Arc::clone(&last_answer);
            std::thread::Builder::new()
                // Hundreds of clients: small stacks, as each only writes and reads one request.
                .stack_size(256 * 1024)
                .spawn(move || {
                    start.wait();
                    let began = Instant::now();
                    let reply = exchange(
                        addr,
                        "POST",
                        "/api/execute",
                        &[(BROWSER_ID_HEADER, &browser)],
                        &body,
                    );
                    let seconds = began.elapsed().as_secs_f64();
                    let since_release = released.get().map_or(0, |t| t.elapsed().as_micros());
                    last_answer.fetch_max(since_release as u64, Ordering::Relaxed);
                    Answer {
                        cached: reply.as_ref().ok().and_then(cache_source),
                        ending: judge(reply, &expected),
                        seconds,
                    }
                })
                .expect("a client thread starts")
        })
        .collect();
    let _ = released.set(Instant::now());
    start.wait();
    let results = handles
        .into_iter()
        .map(|h| h.join().expect("a client thread does not panic"))
        .collect();
    let listen_overflows = overflows_before
        .zip(listen_overflows())
        .map(|(before, after)| after.saturating_sub(before));
    Burst {
        results,
        makespan: last_answer.load(Ordering::Relaxed) as f64 / 1e6,
        listen_overflows,
    }
}

/// The kernel's count of connections dropped on a full listen queue (`TcpExt: ListenOverflows`
/// in `/proc/net/netstat`), if this system has one.
fn listen_overflows() -> Option<u64> {
    tcp_ext_counter(
        &std::fs::read_to_string("/proc/net/netstat").ok()?,
        "ListenOverflows",
    )
}

/// One counter of the `TcpExt:` header and value lines of `/proc/net/netstat`.
fn tcp_ext_counter(netstat: &str, name: &str) -> Option<u64> {
    let mut rows = netstat.lines().filter(|l| l.starts_with("TcpExt:"));
    let (names, values) = (rows.next()?, rows.next()?);
    let index = names.split_whitespace().position(|n| n == name)?;
    values.split_whitespace().nth(index)?.parse().ok()
}

/// The `cached.source` of a 200, read loosely so the command works with a server with or
/// without a result cache.
fn cache_source(reply: &crate::bench::Reply) -> Option<String> {
    if reply.status != 200 {
        return None;
    }
    let answer: serde_json::Value = serde_json::from_str(&reply.body).ok()?;
    let source = answer.get("cached")?.get("source")?.as_str()?;
    Some(source.to_owned())
}

fn judge(reply: std::io::Result<crate::bench::Reply>, expected: &str) -> Ending {
    let reply = match reply {
        Ok(reply) => reply,
        Err(e) => return Ending::Transport(e.kind().to_string()),
    };
    match reply.status {
        200 => match serde_json::from_str::<ExecuteResponse>(&reply.body) {
            Err(e) => Ending::WrongAnswer(format!("unreadable answer: {e}")),
            Ok(r) => match &r.result.outcome {
                Outcome::Success if r.stdout == expected => Ending::Served,
                Outcome::Success => Ending::WrongAnswer("unexpected output".into()),
                Outcome::TimedOut {
                    phase: Phase::Queue,
                    ..
                } => Ending::QueueTimeout,
                other => Ending::WrongAnswer(format!("{other:?}")),
            },
        },
        503 => Ending::Refused {
            retry_after: reply.retry_after.is_some(),
            message: serde_json::from_str::<api_types::ApiError>(&reply.body)
                .map(|e| without_digits(&e.error))
                .unwrap_or_else(|_| "(no JSON error)".into()),
        },
        other => Ending::OtherStatus(other),
    }
}

/// A refusal's sentence with its numbers replaced by `N`, so equal reasons count together.
fn without_digits(message: &str) -> String {
    let mut out = String::new();
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('N') {
                out.push('N');
            }
        } else {
            out.push(c);
        }
    }
    out
}

impl Burst {
    fn count(&self, keep: impl Fn(&Ending) -> bool) -> usize {
        self.results.iter().filter(|r| keep(&r.ending)).count()
    }

    fn served(&self) -> usize {
        self.count(|e| *e == Ending::Served)
    }

    fn refused(&self) -> usize {
        self.count(|e| matches!(e, Ending::Refused { .. }))
    }

    fn queue_timeouts(&self) -> usize {
        self.count(|e| *e == Ending::QueueTimeout)
    }

    /// The latency at `quantile` (0..=1) of every request, answered or not, in milliseconds.
    fn percentile_ms(&self, quantile: f64) -> f64 {
        let mut seconds: Vec<f64> = self.results.iter().map(|r| r.seconds).collect();
        seconds.sort_by(f64::total_cmp);
        percentile(&seconds, quantile) * 1000.0
    }

    /// One line per kind of ending, e.g. `200 served: 180`.
    fn endings(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for result in &self.results {
            let key = match &result.ending {
                Ending::Served => "200 served".to_owned(),
                Ending::QueueTimeout => "200 timed out in the queue".to_owned(),
                Ending::WrongAnswer(why) => format!("200 but wrong: {why}"),
                Ending::Refused {
                    retry_after,
                    message,
                } => format!(
                    "503 {} Retry-After: {message}",
                    if *retry_after { "with" } else { "WITHOUT" }
                ),
                Ending::OtherStatus(status) => format!("{status}"),
                Ending::Transport(kind) => format!("no answer: {kind}"),
            };
            *counts.entry(key).or_insert(0) += 1;
        }
        counts
    }

    /// How many answers came from the result cache, by source.
    fn cached(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for source in self.results.iter().filter_map(|r| r.cached.clone()) {
            *counts.entry(source).or_insert(0) += 1;
        }
        counts
    }

    /// Printed as soon as the burst ends, so a long run shows progress.
    fn summary(&self) {
        println!(
            "    {} clients: p50 {:.0} ms, p99 {:.0} ms, last answer after {:.2} s",
            self.results.len(),
            self.percentile_ms(0.50),
            self.percentile_ms(0.99),
            self.makespan
        );
        let cached = self.cached();
        if !cached.is_empty() {
            let sources: Vec<String> = cached.iter().map(|(k, n)| format!("{n} {k}")).collect();
            println!("      answered without running: {}", sources.join(", "));
        }
        for (ending, count) in self.endings() {
            println!("      {count:>4}  {ending}");
        }
        if let Some(overflows) = self.listen_overflows.filter(|n| *n > 0) {
            println!(
                "      {overflows} connection attempts dropped on a full listen queue (machine-wide), each retried after 1 s"
            );
        }
    }
}

/// The nearest-rank percentile of sorted `values`.
fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Memory {
    before: f64,
    peak: f64,
    after: f64,
}

/// The resident set of process `pid`, in MiB, from `/proc/<pid>/status`.
fn resident_mib(pid: u32) -> Result<f64, Failure> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .map_err(|e| Failure::new(format!("cannot read {path}: {e}")))?;
    vm_rss_mib(&status).ok_or_else(|| Failure::new(format!("{path} has no VmRSS line")))
}

fn vm_rss_mib(status: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Reads the server's resident set every 50 ms while a burst runs, keeping the largest.
struct PeakSampler {
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<f64>,
}

impl PeakSampler {
    fn start(pid: u32) -> PeakSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let mut peak: f64 = 0.0;
            while !flag.load(Ordering::Relaxed) {
                peak = peak.max(resident_mib(pid).unwrap_or(0.0));
                std::thread::sleep(Duration::from_millis(50));
            }
            peak
        });
        PeakSampler { stop, handle }
    }

    fn stop(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().unwrap_or(0.0)
    }
}

/// The first block of `markdown` the page runs as it is (a ```` ```rust ```` fence with no
/// attribute but `editable` or an `id=`), with its hidden lines restored: its 1-based fence
/// line and its code.
fn first_runnable_example(markdown: &str) -> Option<(usize, String)> {
    let mut lines = markdown.lines().enumerate();
    while let Some((index, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```rust") else {
            continue;
        };
        let runnable = (info.is_empty() || info.starts_with([',', ' ']))
            && info
                .split([',', ' '])
                .filter(|a| !a.is_empty())
                .all(|a| a == "editable" || a.starts_with("id="));
        let mut code = String::new();
        for (_, body) in lines.by_ref() {
            if body.trim_end() == "```" {
                break;
            }
            code.push_str(&unhide(body));
            code.push('\n');
        }
        if runnable {
            return Some((index + 1, code));
        }
    }
    None
}

/// A hidden line as the program has it: `# code` is `code`, `#` a blank line, `##` a literal `#`.
fn unhide(line: &str) -> String {
    if line == "#" {
        String::new()
    } else if let Some(rest) = line.strip_prefix("##") {
        format!("#{rest}")
    } else if let Some(rest) = line.strip_prefix("# ") {
        rest.to_owned()
    } else {
        line.to_owned()
    }
}

/// A goal and whether the figures above it meet it, the verdicts in one column.
fn goal(text: &str, pass: bool) {
    let verdict = if pass { "PASS" } else { "MISS" };
    println!("    {text:.<64} {verdict}");
}

impl Figures {
    fn print(&self, example: &str) {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        println!(
            "\nLoad benchmark ({cores} cores; every client from 127.0.0.1, each its own browser id)"
        );

        let same = &self.same;
        let failures = same.results.len() - same.served();
        let p99 = same.percentile_ms(0.99);
        println!(
            "\n  Same example ({example}), {CLASS} clients at once after two warm-up runs (the first {:.0} ms):",
            self.warm_up_ms
        );
        println!(
            "    p50 {:.0} ms, p99 {p99:.0} ms, {failures} failures, last answer after {:.2} s",
            same.percentile_ms(0.50),
            same.makespan
        );
        let cached: usize = same.cached().values().sum();
        println!("    answered without running (result cache): {cached} of {CLASS}");
        println!(
            "    the same request from one client at a time: median {:.1} ms",
            self.alone_ms
        );
        if let Some(overflows) = same.listen_overflows.filter(|n| *n > 0) {
            println!(
                "    connection attempts dropped on a full listen queue meanwhile (machine-wide): {overflows}"
            );
        }
        goal(
            &format!("goal: 0 failures, p99 <= {P99_GOAL_MS:.0} ms "),
            failures == 0 && p99 <= P99_GOAL_MS,
        );

        let class = &self.class;
        println!("\n  {CLASS} students behind one address, distinct programs:");
        println!(
            "    {} served, {} refused, {} timed out in the queue, {} other; p50 {:.0} ms, p99 {:.0} ms, last answer after {:.2} s",
            class.served(),
            class.refused(),
            class.queue_timeouts(),
            class.results.len() - class.served() - class.refused() - class.queue_timeouts(),
            class.percentile_ms(0.50),
            class.percentile_ms(0.99),
            class.makespan
        );
        // 200 waiting fit both the queue and one address's share at their defaults (512, 256),
        // so any refusal here is one "while the queue has room".
        goal(
            "goal: none refused while the queue has room ",
            class.refused() == 0,
        );
        goal(
            "and every run served (none timed out or failed) ",
            class.served() == class.results.len(),
        );

        let crowd = &self.crowd;
        println!("\n  {CROWD} clients at once, distinct programs:");
        for (ending, count) in crowd.endings() {
            println!("    {count:>4}  {ending}");
        }
        let bare_503 = crowd.count(|e| {
            matches!(
                e,
                Ending::Refused {
                    retry_after: false,
                    ..
                }
            )
        });
        // A 200 whose run failed under load (a compile timeout, say) is listed above but is a
        // 200 all the same: this goal is about statuses.
        let no_answer = crowd.count(|e| matches!(e, Ending::Transport(_)));
        let other_status = crowd.count(|e| matches!(e, Ending::OtherStatus(_)));
        let other_5xx = crowd.count(|e| matches!(e, Ending::OtherStatus(s) if *s >= 500));
        println!(
            "    503 without Retry-After: {bare_503}; other statuses: {other_status}, of which 5xx: {other_5xx}; no answer: {no_answer}"
        );
        let memory = &self.memory;
        let growth = memory.after - memory.before;
        println!(
            "    server memory (VmRSS): before {:.1} MiB, peak {:.1} MiB, after {:.1} MiB ({growth:+.1} MiB)",
            memory.before, memory.peak, memory.after
        );
        goal(
            "goal: only 200 or 503 with Retry-After ",
            bare_503 == 0 && other_status == 0 && no_answer == 0,
        );
        goal(
            &format!("goal: memory bounded (growth <= {MEMORY_GROWTH_GOAL_MIB:.0} MiB) "),
            growth <= MEMORY_GROWTH_GOAL_MIB,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_runnable_block_with_hidden_lines_restored() {
        let markdown = "\
text
```rust,compile_fail,E0004
fn no() {}
```
```rust,ignore
fn neither() {}
```
```rustc
not rust
```
```rust,editable,id=first
# use std::fmt;
#
## not a hidden line
fn main() {}
```
```rust
fn later() {}
```
";
        let (line, code) = first_runnable_example(markdown).unwrap();
        assert_eq!(line, 11);
        assert_eq!(code, "use std::fmt;\n\n# not a hidden line\nfn main() {}\n");
        assert_eq!(first_runnable_example("```rust,ignore\nx\n```\n"), None);
    }

    #[test]
    fn the_chapter_it_reads_has_a_runnable_example() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap();
        let markdown = std::fs::read_to_string(root.join(EXAMPLE_CHAPTER)).unwrap();
        let (_, code) = first_runnable_example(&markdown).unwrap();
        assert!(code.contains("fn main()"), "{code}");
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.50), 100.0);
        assert_eq!(percentile(&values, 0.99), 198.0);
        assert_eq!(percentile(&values, 1.0), 200.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn refusals_count_together_whatever_their_numbers() {
        assert_eq!(
            without_digits("256 programs from your network are already waiting"),
            "N programs from your network are already waiting"
        );
    }

    #[test]
    fn listen_overflows_are_read_by_name() {
        let netstat = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 0 598 600\nIpExt: InNoRoutes\nIpExt: 0\n";
        assert_eq!(tcp_ext_counter(netstat, "ListenOverflows"), Some(598));
        assert_eq!(tcp_ext_counter(netstat, "Missing"), None);
        assert_eq!(tcp_ext_counter("", "ListenOverflows"), None);
    }

    #[test]
    fn resident_memory_is_read_in_mib() {
        let status = "Name:\trmp-server\nVmHWM:\t  99999 kB\nVmRSS:\t   51200 kB\n";
        assert_eq!(vm_rss_mib(status), Some(50.0));
        assert_eq!(vm_rss_mib("Name:\tx\n"), None);
    }

    #[test]
    fn a_cached_answer_is_told_by_its_source() {
        let reply = |status, body: &str| crate::bench::Reply {
            status,
            retry_after: None,
            body: body.into(),
        };
        let cached = r#"{"stdout":"hi\n","cached":{"source":"stored","ranAt":1,"ageSecs":0}}"#;
        assert_eq!(cache_source(&reply(200, cached)).as_deref(), Some("stored"));
        assert_eq!(cache_source(&reply(200, r#"{"stdout":"hi\n"}"#)), None);
        assert_eq!(cache_source(&reply(503, cached)), None);
    }

    #[test]
    fn a_503_without_retry_after_is_told_apart() {
        let reply = crate::bench::Reply {
            status: 503,
            retry_after: None,
            body: r#"{"error":"the server is busy: 12 programs are already waiting"}"#.into(),
        };
        assert_eq!(
            judge(Ok(reply), ""),
            Ending::Refused {
                retry_after: false,
                message: "the server is busy: N programs are already waiting".into()
            }
        );
        let wrong = crate::bench::Reply {
            status: 500,
            retry_after: None,
            body: String::new(),
        };
        assert_eq!(judge(Ok(wrong), ""), Ending::OtherStatus(500));
    }
}
