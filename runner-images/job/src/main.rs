//! `rmp-job`: compiles and runs one submission inside a runner container. Std only; built by
//! `prepare.sh` with the image's own rustc.
//!
//! Usage: `rmp-job IDLE_SECS`. It can be started before any job exists (a warm container) and
//! waits up to IDLE_SECS for one; then it exits and Docker removes the container.
//!
//! Standard input: a header line `rmp-job/1 EDITION debug|release run|build|test CODE_LEN
//! OUTPUT_CAP DEADLINE_SECS`, exactly CODE_LEN bytes of source, then the program's standard input.
//! Standard output: frames `[kind: u8][len: u32 big-endian][payload]`, in this order:
//!   `c`* compiler output (rustc's JSON lines, as they come), `k` compile status,
//!   then for run/test: `r` started, (`o` stdout | `e` stderr)*, `x` exit status.
//!   `!` reports a problem of the helper itself. A status is `exit N` or `signal N`, followed by
//!   ` oom` when the memory cgroup killed something meanwhile.
//! The server does not trust any of this: it keeps its own limits and kills the container.
//! DEADLINE_SECS is only a backstop for when the server is gone: the helper then ends everything.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const JOB_DIR: &str = "/tmp/job";
const DEPS: &str = "/opt/rmp/deps/target";
const SIGKILL: i32 = 9;

unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

type Out = Arc<Mutex<std::io::Stdout>>;

fn frame(out: &Out, kind: u8, payload: &[u8]) {
    let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
    let len = (payload.len() as u32).to_be_bytes();
    // If the server went away there is nobody to tell: ignore write errors.
    let _ = out
        .write_all(&[kind])
        .and_then(|_| out.write_all(&len))
        .and_then(|_| out.write_all(payload))
        .and_then(|_| out.flush());
}

fn main() {
    let out: Out = Arc::new(Mutex::new(std::io::stdout()));
    if let Err(message) = run(&out) {
        frame(&out, b'!', message.as_bytes());
    }
    // Everything else this user started (a background process that outlived main, a fork bomb)
    // ends with the job. kill(-1) spares the caller.
    unsafe { kill(-1, SIGKILL) };
    std::process::exit(0);
}

/// Ends everything after `secs` unless `cancel` was set meanwhile.
fn backstop(secs: u64, cancel: Option<Arc<std::sync::atomic::AtomicBool>>) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::SeqCst)) {
            return;
        }
        unsafe { kill(-1, SIGKILL) };
        std::process::exit(0);
    });
}

fn run(out: &Out) -> Result<(), String> {
    let idle: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .ok_or("usage: rmp-job IDLE_SECS")?;
    let job_arrived = Arc::new(std::sync::atomic::AtomicBool::new(false));
    backstop(idle, Some(Arc::clone(&job_arrived)));
    let mut stdin = BufReader::new(std::io::stdin());
    let mut header = String::new();
    stdin
        .read_line(&mut header)
        .map_err(|e| format!("cannot read the job: {e}"))?;
    if header.is_empty() {
        return Ok(()); // Closed without a job: a warm container being retired.
    }
    job_arrived.store(true, std::sync::atomic::Ordering::SeqCst);
    let words: Vec<&str> = header.split_whitespace().collect();
    let ["rmp-job/1", edition, mode, action, code_len, cap, deadline] = words.as_slice() else {
        return Err(format!("bad job header: {header:?}"));
    };
    let code_len: usize = code_len.parse().map_err(|_| "bad CODE_LEN")?;
    let cap: usize = cap.parse().map_err(|_| "bad OUTPUT_CAP")?;
    let deadline: u64 = deadline.parse().map_err(|_| "bad DEADLINE_SECS")?;
    let (opt_level, profile) = match *mode {
        "release" => ("3", "release"),
        _ => ("0", "debug"),
    };
    backstop(deadline, None);

    let mut code = vec![0; code_len];
    stdin
        .read_exact(&mut code)
        .map_err(|e| format!("cannot read the code: {e}"))?;
    std::fs::create_dir_all(JOB_DIR).map_err(|e| format!("cannot create {JOB_DIR}: {e}"))?;
    std::fs::write(format!("{JOB_DIR}/main.rs"), &code)
        .map_err(|e| format!("cannot write {JOB_DIR}/main.rs: {e}"))?;

    let mut rustc = Command::new("rustc");
    rustc
        .args(["--edition", edition, "--crate-name", "main", "--crate-type", "bin"])
        .args(["-C", &format!("opt-level={opt_level}")])
        .arg("--error-format=json")
        .arg(format!("-Ldependency={DEPS}/{profile}/deps"))
        .arg(format!("@/opt/rmp/externs-{profile}.args"))
        // Relative, so that messages say `main.rs:2:5` (the working directory is JOB_DIR).
        .args(["-o", "main", "main.rs"]);
    if *action == "test" {
        rustc.arg("--test");
    }
    let oom_before = oom_kills();
    let mut child = rustc
        .current_dir(JOB_DIR)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start rustc: {e}"))?;
    let pump = forward(out, b'c', child.stderr.take(), cap);
    let status = child.wait().map_err(|e| e.to_string())?;
    let _ = pump.join();
    frame(out, b'k', describe(status, oom_before).as_bytes());
    if !status.success() || *action == "build" {
        return Ok(());
    }

    frame(out, b'r', b"");
    let oom_before = oom_kills();
    let mut program = Command::new(format!("{JOB_DIR}/main"));
    if *action == "test" {
        // One thread keeps test output in order; the harness still runs every test.
        program.args(["--test-threads", "1"]);
    }
    let mut child: Child = program
        .current_dir(JOB_DIR)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the program: {e}"))?;
    let mut child_stdin = child.stdin.take();
    std::thread::spawn(move || {
        if let Some(input) = child_stdin.as_mut() {
            let _ = std::io::copy(&mut stdin, input);
        }
        // Dropping closes the program's stdin: end of file.
        drop(child_stdin);
    });
    let stdout = forward(out, b'o', child.stdout.take(), cap);
    let stderr = forward(out, b'e', child.stderr.take(), cap);
    let status = child.wait().map_err(|e| e.to_string())?;
    // Processes left behind still hold the pipes: end them so the pumps see end of file.
    unsafe { kill(-1, SIGKILL) };
    let _ = stdout.join();
    let _ = stderr.join();
    frame(out, b'x', describe(status, oom_before).as_bytes());
    Ok(())
}

/// Copies a pipe into frames of `kind`, up to `cap` bytes; the rest is read and dropped so the
/// writer never blocks.
fn forward(
    out: &Out,
    kind: u8,
    pipe: Option<impl Read + Send + 'static>,
    cap: usize,
) -> std::thread::JoinHandle<()> {
    let out = Arc::clone(out);
    std::thread::spawn(move || {
        let Some(mut pipe) = pipe else { return };
        let mut sent = 0usize;
        let mut buf = vec![0; 32 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    // One byte past the cap tells the server that output was cut.
                    let room = (cap + 1).saturating_sub(sent).min(n);
                    if room > 0 {
                        frame(&out, kind, &buf[..room]);
                        sent += room;
                    }
                }
            }
        }
    })
}

fn describe(status: ExitStatus, oom_before: u64) -> String {
    let oom = if oom_kills() > oom_before { " oom" } else { "" };
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit {code}{oom}"),
        (None, Some(signal)) => format!("signal {signal}{oom}"),
        (None, None) => format!("exit -1{oom}"),
    }
}

/// How many times the container's memory cgroup has killed a process (v1 or v2).
fn oom_kills() -> u64 {
    ["/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|l| l.strip_prefix("oom_kill "))
                .filter_map(|n| n.trim().parse::<u64>().ok())
                .collect::<Vec<_>>()
        })
        .max()
        .unwrap_or(0)
}
