//! `cargo xtask bench-sandbox`: how fast Run is, measured through the real server.
//!
//! 1. Latency: the median wall time of a hello-world Run through `POST /api/execute`, divided
//!    by the median of bare `rustc main.rs && ./main` on this machine (goal <= 1.3).
//! 2. Throughput: 30 distinct programs submitted at once. "Ideal" is the sum of the same 30
//!    programs' wall times run one at a time through the API, divided by the number of cores
//!    (perfect parallelism, no queueing overhead); the goal is a makespan within 1.25x of it,
//!    with no failure.
//!
//! Both are measured with a warm pool (the default) and with a container per run, which is how
//! the choice between them was made. The numbers are printed, good or bad.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use api_types::browser::BROWSER_ID_HEADER;

use crate::cmd::{Cmd, Failure, step};
use crate::{Repo, images};

const HELLO: &str = "fn main() {\n    println!(\"Hello, world!\");\n}\n";
const SAMPLES: usize = 11;
const PROGRAMS: usize = 30;

/// What `bench-sandbox` measures.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Everything: the per-action table, then latency and throughput with the server's default
    /// pool and with a container per run.
    All,
    /// Only the per-action table.
    Actions,
    /// Only latency and throughput with the server's default pool: the quick re-measure.
    Burst,
}

/// `bench-sandbox [actions|burst]`: everything, only the per-action table, or only the
/// default server's latency and throughput.
pub fn run(args: &[String]) -> Result<(), Failure> {
    let scope = match args.first().map(String::as_str) {
        None => Scope::All,
        Some("actions") => Scope::Actions,
        Some("burst") => Scope::Burst,
        Some(other) => {
            return Err(Failure::new(format!(
                "bench-sandbox takes nothing, `actions` or `burst`, not `{other}`"
            )));
        }
    };
    let repo = Repo::locate()?;
    images::ensure()?;
    let server_bin = match std::env::var_os("RMP_BENCH_SERVER_BIN") {
        // Another build of the server (an older commit's, say), to compare on one machine.
        Some(bin) => std::path::PathBuf::from(bin),
        None => crate::build_release_server(&repo)?,
    };
    // Beside the server it measures (the target dir is per checkout), so two checkouts
    // benchmarking at once do not delete each other's data.
    let work = repo.target_dir.join("bench-sandbox");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("content"))
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", work.display())))?;
    if scope != Scope::Burst {
        let table = step(
            "Each action through the API (the server's default pool)",
            || {
                let server = Server::start_bin(&server_bin, &work, None)?;
                let result = measure_actions(&server);
                server.stop();
                result
            },
        )?;
        println!(
            "\nHello world through POST /api/execute, by action (median of {ACTION_SAMPLES}):"
        );
        for (label, seconds) in &table {
            println!("  {label:<34} {:>6.0} ms", seconds * 1000.0);
        }
    }
    if scope == Scope::Actions {
        return Ok(());
    }
    let bare = step("Bare `rustc main.rs && ./main` (the floor)", || {
        bare_rustc(&work)
    })?;
    println!("    median {:.0} ms", bare * 1000.0);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());

    let mut rows = Vec::new();
    let configurations: &[(&str, Option<&str>)] = match scope {
        Scope::Burst => &[("server default (warm pool sized by memory)", None)],
        _ => &[
            ("server default (warm pool sized by memory)", None),
            ("container per run", Some("0")),
        ],
    };
    for &(name, pool) in configurations {
        let row = step(&format!("Run through the API: {name}"), || {
            let server = Server::start_bin(&server_bin, &work, pool)?;
            let result = measure(&server, cores);
            server.stop();
            result
        })?;
        rows.push((name, row));
    }

    println!("\nSandbox benchmark ({cores} cores)");
    println!(
        "  load average before the bursts: {}",
        rows.iter()
            .map(|(_, m)| m.load.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    );
    println!(
        "  bare rustc + run, median of {SAMPLES}: {:.0} ms",
        bare * 1000.0
    );
    for (name, m) in &rows {
        println!("  {name}:");
        println!(
            "    hello world via POST /api/execute, median of {SAMPLES}: {:.0} ms = {:.2}x bare (goal <= 1.3)",
            m.hello * 1000.0,
            m.hello / bare
        );
        println!(
            "    {PROGRAMS} programs at once: makespan {:.2} s, {} failed; ideal {:.2} s (sum of single runs {:.2} s / {cores} cores) -> {:.2}x ideal (goal <= 1.25)",
            m.makespan,
            m.failures,
            m.serial / cores as f64,
            m.serial,
            m.makespan / (m.serial / cores as f64)
        );
    }
    Ok(())
}

const ACTION_SAMPLES: usize = 5;

/// `(label, request body without the code, what the answer must contain)`.
fn action_cases() -> Vec<(&'static str, String, &'static str)> {
    let hello = json_string(HELLO);
    let code = |extra: &str| format!("{{\"code\":{hello}{extra}}}");
    let mut cases = vec![
        ("run", code(""), "Hello, world!"),
        (
            "build",
            code(r#","action":"build""#),
            "\"kind\":\"success\"",
        ),
        (
            "test",
            format!(
                "{{\"code\":{},\"action\":\"test\"}}",
                json_string("#[test]\nfn ok() { assert_eq!(2 + 2, 4); }\n")
            ),
            "\"status\":\"passed\"",
        ),
        (
            "run, release",
            code(r#","mode":"release""#),
            "Hello, world!",
        ),
        (
            "clippy",
            code(r#","action":"clippy""#),
            "\"kind\":\"success\"",
        ),
        ("fmt", code(r#","action":"fmt""#), "\"files\":["),
    ];
    for (view, label) in [
        ("mir", "view: MIR"),
        ("hir", "view: HIR (nightly)"),
        ("llvm-ir", "view: LLVM IR"),
        ("asm-intel", "view: assembly, Intel"),
        ("asm-att", "view: assembly, AT&T"),
        ("expanded", "view: macro expansion (nightly)"),
        ("type-layout", "view: type layouts (nightly)"),
    ] {
        cases.push((label, code(&format!(r#","action":"{view}""#)), "\"view\":{"));
    }
    let files = [
        (
            "Cargo.toml",
            "[package]\nname = \"app\"\n[dependencies]\nhello = { path = \"hello\" }\n",
        ),
        ("src/main.rs", "hello::hello!();\nfn main() { greet(); }\n"),
        (
            "hello/Cargo.toml",
            "[package]\nname = \"hello\"\n[lib]\nproc-macro = true\n",
        ),
        (
            "hello/src/lib.rs",
            "use proc_macro::TokenStream;\n#[proc_macro]\npub fn hello(_: TokenStream) -> TokenStream {\n    \"fn greet() { println!(\\\"Hello, world!\\\"); }\".parse().unwrap()\n}\n",
        ),
    ];
    let files: Vec<String> = files
        .iter()
        .map(|(path, contents)| {
            format!(
                "{{\"path\":{},\"contents\":{}}}",
                json_string(path),
                json_string(contents)
            )
        })
        .collect();
    // The specialist runners, each with the smallest program that shows it working.
    cases.push(("miri: run", code(r#","runner":"miri""#), "Hello, world!"));
    let loom_test = "#[test]\nfn counts() {\n    loom::model(|| {\n        let n = loom::sync::Arc::new(loom::sync::atomic::AtomicUsize::new(0));\n        let m = n.clone();\n        let t = loom::thread::spawn(move || m.fetch_add(1, loom::sync::atomic::Ordering::SeqCst));\n        n.fetch_add(1, loom::sync::atomic::Ordering::SeqCst);\n        t.join().unwrap();\n        assert_eq!(n.load(loom::sync::atomic::Ordering::SeqCst), 2);\n    });\n}\n";
    cases.push((
        "loom: test (2 threads)",
        format!(
            "{{\"code\":{},\"runner\":\"loom\",\"action\":\"test\"}}",
            json_string(loom_test)
        ),
        "\"status\":\"passed\"",
    ));
    let board = "#![no_std]\n#![no_main]\nuse cortex_m_rt::entry;\nuse cortex_m_semihosting::{debug, hprintln};\nuse panic_semihosting as _;\n#[entry]\nfn main() -> ! {\n    hprintln!(\"Hello, world!\");\n    debug::exit(debug::EXIT_SUCCESS);\n    loop {}\n}\n";
    cases.push((
        "cortex-m: run under QEMU",
        format!(
            "{{\"code\":{},\"runner\":\"cortex-m\"}}",
            json_string(board)
        ),
        "Hello, world!",
    ));
    cases.push((
        "run: two crates (proc macro + main)",
        format!("{{\"files\":[{}]}}", files.join(",")),
        "Hello, world!",
    ));
    cases
}

fn measure_actions(server: &Server) -> Result<Vec<(&'static str, f64)>, Failure> {
    let mut table = Vec::new();
    for (label, body, expected) in action_cases() {
        // Afresh: the sandbox is measured, not the result cache.
        let body = body.replacen('{', "{\"fresh\":true,", 1);
        let mut samples = Vec::new();
        // One warm-up run, then the samples.
        for i in 0..=ACTION_SAMPLES {
            let started = Instant::now();
            let (status, reply) = http(server.addr, "POST", "/api/execute", &body)
                .map_err(|e| Failure::new(format!("{label}: request failed: {e}")))?;
            let elapsed = started.elapsed().as_secs_f64();
            if status != 200 || !reply.contains(expected) {
                return Err(Failure::new(format!(
                    "{label}: status {status}, expected {expected:?} in {}",
                    reply.chars().take(400).collect::<String>()
                )));
            }
            if i > 0 {
                samples.push(elapsed);
            }
            // The pool refills while nothing runs, as between a student's clicks.
            std::thread::sleep(Duration::from_millis(500));
        }
        let median = median(samples);
        println!("    {label}: {:.0} ms", median * 1000.0);
        table.push((label, median));
    }
    Ok(table)
}

struct Measured {
    /// `/proc/loadavg` just before the burst: other work on the machine skews the figures.
    load: String,
    hello: f64,
    serial: f64,
    makespan: f64,
    failures: usize,
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn bare_rustc(work: &Path) -> Result<f64, Failure> {
    let dir = work.join("bare");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display())))?;
    std::fs::write(dir.join("main.rs"), HELLO).map_err(|e| Failure::new(e.to_string()))?;
    let mut samples = Vec::new();
    for _ in 0..SAMPLES {
        let started = Instant::now();
        Cmd::new("rustc")
            .args(["main.rs"])
            .current_dir(&dir)
            .run()?;
        let out = Cmd::new(dir.join("main")).output().unwrap_or_default();
        samples.push(started.elapsed().as_secs_f64());
        if out != "Hello, world!\n" {
            return Err(Failure::new(format!("bare hello world printed {out:?}")));
        }
    }
    Ok(median(samples))
}

/// A release `rmp-server` of its own: its own port, data and (empty) content under `work`, the
/// real sandbox. Shared with `bench-load`.
pub(crate) struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Server {
    /// Starts the server with a warm pool of `pool` containers (`None`: the server's default,
    /// as `cargo xtask run` serves) and waits until it answers and the pool has had time to fill.
    pub fn start(repo: &Repo, work: &Path, pool: Option<&str>) -> Result<Server, Failure> {
        Server::start_bin(&repo.target_dir.join("release/rmp-server"), work, pool)
    }

    /// [`Server::start`] with the server binary `bin`.
    pub fn start_bin(bin: &Path, work: &Path, pool: Option<&str>) -> Result<Server, Failure> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| Failure::new(format!("no free port: {e}")))?
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut command = Command::new(bin);
        command
            .env("RMP_ADDR", addr.to_string())
            .env("RMP_CONTENT_DIR", work.join("content"))
            .env("RMP_SITE_DIR", work.join("site"))
            .env("RMP_DATA_DIR", work.join("data"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null());
        if let Some(pool) = pool {
            command.env("RMP_WARM_POOL", pool);
        }
        let child = command
            .spawn()
            .map_err(|e| Failure::new(format!("cannot start rmp-server: {e}")))?;
        let server = Server { child, addr };
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if http(addr, "GET", "/api/health", "").is_ok_and(|(status, _)| status == 200) {
                // Let the warm pool fill before measuring.
                std::thread::sleep(Duration::from_secs(2));
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        server.stop();
        Err(Failure::new(
            "the server did not answer /api/health within 30 s",
        ))
    }

    /// The server's process id, to read its memory from `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM, so that the server removes its containers as in production.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Waits until the server's sandbox is idle: its containers-alive gauge has not moved for a
/// while (the warm pool is full, nothing is being started), at most a minute, and then until the
/// machine itself is quiet. Without it a pool still filling would compete with the runs being
/// timed, the serial ones too, and so inflate the ideal. Old servers without `/metrics` get a
/// fixed pause instead.
fn settle(addr: SocketAddr) {
    settle_containers(addr);
    wait_for_quiet_cpu();
}

/// Waits (at most 3 s) until the machine spends under a tenth of a core on anything. A
/// container's end leaves the kernel work for a while after Docker reports it gone (measured:
/// tearing down its network namespace, about 70 ms of a kworker's CPU each, run
/// asynchronously): without this, one phase's cleanup is billed to the next phase's runs. On a
/// machine busy with other work it gives up quickly (the bench settles 40 times) and says so
/// once.
fn wait_for_quiet_cpu() {
    static SAID: std::sync::Once = std::sync::Once::new();
    const WINDOW: Duration = Duration::from_millis(300);
    let until = Instant::now() + Duration::from_secs(3);
    let mut before = busy_cpu_seconds();
    while Instant::now() < until {
        std::thread::sleep(WINDOW);
        let now = busy_cpu_seconds();
        if now - before < 0.1 * WINDOW.as_secs_f64() {
            return;
        }
        before = now;
    }
    SAID.call_once(|| {
        println!(
            "    (the machine does not go quiet between runs: other work runs beside the benchmark, so its figures are noisy)"
        )
    });
}

fn settle_containers(addr: SocketAddr) {
    let alive = || {
        let (status, body) = http(addr, "GET", "/metrics", "").ok()?;
        if status != 200 {
            return None;
        }
        body.lines()
            .find_map(|line| line.strip_prefix("rmp_containers_alive "))
            .and_then(|n| n.trim().parse::<f64>().ok())
    };
    let Some(mut last) = alive() else {
        std::thread::sleep(Duration::from_millis(500));
        return;
    };
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        // Longer than starting one warm container takes, even on a busy machine.
        std::thread::sleep(Duration::from_millis(700));
        match alive() {
            Some(now) if now == last => return,
            Some(now) => last = now,
            None => return,
        }
    }
}

/// CPU time the whole machine has spent busy (every process, the kernel included) since boot,
/// from `/proc/stat`; 0 where there is none. Differences say how much work a phase cost, which
/// wall times alone cannot: a single run may keep more than one core busy.
fn busy_cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
        return 0.0;
    };
    let Some(line) = stat.lines().next() else {
        return 0.0;
    };
    // user nice system idle iowait irq softirq steal: everything but idle and iowait (guest
    // time, after these, is already counted in user).
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|n| n.parse().ok())
        .collect();
    let busy: u64 = ticks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 3 && *i != 4)
        .map(|(_, n)| n)
        .sum();
    // The kernel reports in USER_HZ, 100 on Linux.
    busy as f64 / 100.0
}

fn measure(server: &Server, cores: usize) -> Result<Measured, Failure> {
    settle(server.addr);
    // Warm-up: the first runs pay for page cache and connection set-up.
    for _ in 0..2 {
        run_code(server.addr, HELLO, "Hello, world!\n", 0)?;
    }
    let mut samples = Vec::new();
    for _ in 0..SAMPLES {
        let started = Instant::now();
        run_code(server.addr, HELLO, "Hello, world!\n", 0)?;
        samples.push(started.elapsed().as_secs_f64());
        // A student reads the output before pressing Run again; the pool refills meanwhile.
        std::thread::sleep(Duration::from_millis(500));
        settle(server.addr);
    }
    let hello = median(samples);
    println!("    hello world median {:.0} ms", hello * 1000.0);

    let programs: Vec<(String, String)> = (0..PROGRAMS).map(program).collect();
    let mut serial = 0.0;
    let mut serial_cpu = 0.0;
    for (code, expected) in &programs {
        let started = Instant::now();
        let cpu = busy_cpu_seconds();
        run_code(server.addr, code, expected, 0)?;
        serial += started.elapsed().as_secs_f64();
        serial_cpu += busy_cpu_seconds() - cpu;
        // Each run alone: the container it used removed, the pool refilled, before the next.
        std::thread::sleep(Duration::from_millis(300));
        settle(server.addr);
    }
    println!(
        "    {PROGRAMS} programs one at a time: {serial:.2} s in total, the machine busy for {serial_cpu:.2} CPU-s meanwhile ({:.2} cores on average)",
        serial_cpu / serial
    );
    std::thread::sleep(Duration::from_secs(1));
    settle(server.addr);

    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into());
    println!("    load average before the burst: {load}");
    let addr = server.addr;
    let started = Instant::now();
    let cpu = busy_cpu_seconds();
    let handles: Vec<_> = programs
        .into_iter()
        .enumerate()
        .map(|(student, (code, expected))| {
            std::thread::spawn(move || run_code(addr, &code, &expected, student))
        })
        .collect();
    let mut failures = 0;
    for handle in handles {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                failures += 1;
                println!("    failure: {e}");
            }
            Err(_) => failures += 1,
        }
    }
    let makespan = started.elapsed().as_secs_f64();
    let burst_cpu = busy_cpu_seconds() - cpu;
    println!(
        "    {PROGRAMS} at once: makespan {makespan:.2} s, {failures} failed, the machine busy for {burst_cpu:.2} CPU-s ({:.0} % of {cores} cores)",
        100.0 * burst_cpu / (makespan * cores as f64)
    );
    Ok(Measured {
        load,
        hello,
        serial,
        makespan,
        failures,
    })
}

/// Program `i`: distinct code and output, a little arithmetic.
pub(crate) fn program(i: usize) -> (String, String) {
    let n = 1000 + i as u64;
    let sum: u64 = (1..=n).map(|k| k * k % 7).sum();
    (
        format!(
            "fn main() {{\n    let sum: u64 = (1..={n}u64).map(|k| k * k % 7).sum();\n    println!(\"program {i}: {{sum}}\");\n}}\n"
        ),
        format!("program {i}: {sum}\n"),
    )
}

/// Runs `code` afresh (the sandbox is measured, not the result cache) as browser number
/// `student`: a burst is a class, each student in their own browser, not one browser's queue.
fn run_code(addr: SocketAddr, code: &str, expected: &str, student: usize) -> Result<(), Failure> {
    let body = format!("{{\"code\":{},\"fresh\":true}}", json_string(code));
    let browser = format!("bench-student-{student}");
    let Reply {
        status,
        body: reply,
        ..
    } = exchange(
        addr,
        "POST",
        "/api/execute",
        &[(BROWSER_ID_HEADER, &browser)],
        &body,
    )
    .map_err(|e| Failure::new(format!("request failed: {e}")))?;
    let success = reply.contains("\"outcome\":{\"kind\":\"success\"}");
    let printed = reply.contains(&format!("\"stdout\":{}", json_string(expected)));
    if status == 200 && success && printed {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "status {status}: {}",
            reply.chars().take(300).collect::<String>()
        )))
    }
}

pub(crate) fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A minimal HTTP/1.1 exchange (xtask has no HTTP client dependency): the status and the body.
fn http(addr: SocketAddr, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    exchange(addr, method, path, &[], body).map(|reply| (reply.status, reply.body))
}

/// An HTTP answer, as far as the benchmarks read it.
pub(crate) struct Reply {
    pub status: u16,
    /// The `Retry-After` header, if the answer had one.
    pub retry_after: Option<String>,
    pub body: String,
}

/// One request on a fresh connection (`Connection: close`, so the body ends with the stream),
/// with `headers` added to the usual ones.
pub(crate) fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    // Longer than the queue timeout plus the sandbox's compile and run limits.
    stream.set_read_timeout(Some(Duration::from_secs(180)))?;
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reply = String::new();
    stream.read_to_string(&mut reply)?;
    let status = reply
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not HTTP: {reply:?}")))?;
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let retry_after = head.lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("retry-after")
            .then(|| value.trim().to_owned())
    });
    Ok(Reply {
        status,
        retry_after,
        body: body.to_owned(),
    })
}
