//! `rmp-job`: runs one job inside a runner container. Std only; the image builds it with its own
//! rustc (`rustc src/main.rs`, which pulls in `protocol.rs`).
//!
//! Usage: `rmp-job IDLE_SECS [--park]`. It can be started before any job exists (a warm
//! container) and waits up to IDLE_SECS for one; then it exits and Docker removes the container.
//! With `--park` it does not exit after a job: it ends every other process and waits, up to
//! IDLE_SECS, to be removed. A container's death (the kernel and runc tearing down its
//! namespaces, cgroup and mounts) costs CPU; parked, a burst's used containers all die later,
//! when the server is quiet, instead of on the cores the next compilers need.
//!
//! The job arrives on standard input and the results leave on standard output, as `protocol.rs`
//! describes. The job is a list of command lines planned by the server: this program writes the
//! project, runs the steps, forwards their output in frames, and ends every process it started.

// The server-side half of the protocol (the decoder, the encoder of jobs) is unused here.
#[allow(dead_code)]
mod protocol;

use std::io::{BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use protocol::{Directives, Frame, JOB_DIR, JobSpec, SendBack, Sink, Status, Step};

const SIGKILL: i32 = 9;
/// What a build script may print for the helper to read.
const DIRECTIVES_CAP: usize = 64 * 1024;

unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
    fn getuid() -> u32;
}

/// Ends every process this user may signal, except this one. In a container that is the job's
/// leftovers; run by root outside one (a test on a developer's machine) it would be every process
/// on the machine, so root never does it.
fn end_everything_else() {
    if unsafe { getuid() } != 0 {
        unsafe { kill(-1, SIGKILL) };
    }
}

/// Empties the scratch space (`TMPDIR`, the container's tmpfs holding the project and its build)
/// once the job is over. Only in a container: never as root, never with the project elsewhere
/// (`RMP_JOB_DIR`, the tests), where the temporary directory is shared with other programs.
fn clear_scratch() {
    if unsafe { getuid() } == 0 || std::env::var_os("RMP_JOB_DIR").is_some() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
    }
}

/// Where the project is written: [`JOB_DIR`] in a container; tests point `RMP_JOB_DIR` elsewhere.
fn job_dir() -> PathBuf {
    std::env::var_os("RMP_JOB_DIR").map_or_else(|| PathBuf::from(JOB_DIR), PathBuf::from)
}

type Out = Arc<Mutex<std::io::Stdout>>;

fn send(out: &Out, frame: Frame) {
    let mut out = out.lock().unwrap_or_else(|e| e.into_inner());
    // If the server went away there is nobody to tell: ignore write errors.
    let _ = out.write_all(&frame.encode()).and_then(|_| out.flush());
}

/// The command line: how long to wait for a job, and whether to park after it.
struct Args {
    idle_secs: u64,
    park: bool,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut args = std::env::args().skip(1);
        let idle_secs = args
            .next()
            .and_then(|a| a.parse().ok())
            .ok_or("usage: rmp-job IDLE_SECS [--park]")?;
        let park = match args.next().as_deref() {
            None => false,
            Some("--park") => true,
            Some(other) => return Err(format!("rmp-job: unknown option {other}")),
        };
        Ok(Args { idle_secs, park })
    }
}

/// What became of the helper's wait for a job.
enum Ended {
    /// Standard input closed first: a warm container being retired.
    NoJob,
    /// A job arrived and ran (or failed to).
    Job,
}

fn main() {
    let out: Out = Arc::new(Mutex::new(std::io::stdout()));
    let args = match Args::parse() {
        Ok(args) => args,
        Err(message) => {
            send(&out, Frame::HelperError(message));
            std::process::exit(2);
        }
    };
    let job_over = Arc::new(AtomicBool::new(false));
    let ended = run(&out, &args, &job_over).unwrap_or_else(|message| {
        send(&out, Frame::HelperError(message));
        Ended::Job
    });
    job_over.store(true, Ordering::SeqCst);
    // Everything else this user started (a background process that outlived main, a fork bomb)
    // ends with the job. kill(-1) spares the caller.
    end_everything_else();
    if args.park && matches!(ended, Ended::Job) {
        // Nothing else runs here any more: free the scratch space (the build's files live in
        // the container's memory) and wait to be removed. Should the server never come (it
        // was killed), end anyway; its successor's sweep removes the dead container.
        clear_scratch();
        std::thread::sleep(Duration::from_secs(args.idle_secs));
    }
    std::process::exit(0);
}

/// Ends everything after `secs` unless `cancel` was set meanwhile.
fn backstop(secs: u64, cancel: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs));
        if cancel.load(Ordering::SeqCst) {
            return;
        }
        end_everything_else();
        std::process::exit(0);
    });
}

/// Waits for a job and runs it. `job_over` is set by the caller once the job is over: the job's
/// backstop must not end a parked helper.
fn run(out: &Out, args: &Args, job_over: &Arc<AtomicBool>) -> Result<Ended, String> {
    let job_arrived = Arc::new(AtomicBool::new(false));
    backstop(args.idle_secs, Arc::clone(&job_arrived));
    let mut stdin = BufReader::new(std::io::stdin());
    let Some(job) = JobSpec::read(&mut stdin)? else {
        return Ok(Ended::NoJob);
    };
    job_arrived.store(true, Ordering::SeqCst);
    backstop(job.deadline_secs, Arc::clone(job_over));
    run_job(out, job, stdin)?;
    Ok(Ended::Job)
}

fn run_job(out: &Out, job: JobSpec, stdin: BufReader<std::io::Stdin>) -> Result<(), String> {
    let cap = usize::try_from(job.output_cap).unwrap_or(usize::MAX);

    write_project(&job.files)?;
    let mut extra = Directives::default();
    let mut stdin = Some(stdin);
    let (compile, run) = job.steps.split_at(job.run_from);

    let mut last = Status {
        code: Some(0),
        signal: None,
        oom: false,
    };
    for step in compile {
        last = run_step(out, step, &mut extra, &mut stdin, cap)?;
        if !last.success() {
            send(out, Frame::Compiled(last));
            return Ok(());
        }
    }
    for item in &job.send_back {
        let (SendBack::View(path) | SendBack::File(path)) = item;
        let mut file =
            std::fs::File::open(inside(path)?).map_err(|e| format!("cannot read {path}: {e}"))?;
        // One byte past the cap tells the server the text was cut.
        let contents = protocol::read_capped(&mut file, cap + 1);
        send(
            out,
            match item {
                SendBack::View(_) => Frame::View(contents),
                SendBack::File(_) => Frame::File(path.clone(), contents),
            },
        );
    }
    send(out, Frame::Compiled(last));
    if run.is_empty() {
        return Ok(());
    }

    send(out, Frame::Running);
    let mut ended = last;
    for step in run {
        let status = run_step(out, step, &mut extra, &mut stdin, cap)?;
        // Processes left behind still hold the pipes; run_step has ended them.
        if ended.success() {
            ended = status;
        }
    }
    send(out, Frame::Exited(ended));
    Ok(())
}

/// `path` inside the job directory; the server already refused anything else.
fn inside(path: &str) -> Result<PathBuf, String> {
    let relative = Path::new(path);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(format!("refusing the path {path:?}"));
    }
    Ok(job_dir().join(relative))
}

fn write_project(files: &[(String, Vec<u8>)]) -> Result<(), String> {
    let root = job_dir();
    std::fs::create_dir_all(&root).map_err(|e| format!("cannot create {}: {e}", root.display()))?;
    for (path, contents) in files {
        let target = inside(path)?;
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create the folder of {path}: {e}"))?;
        }
        // create_new: never follow or replace something already there.
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .and_then(|mut f| f.write_all(contents))
            .map_err(|e| format!("cannot write {path}: {e}"))?;
    }
    Ok(())
}

/// Runs one step to its end, forwarding or keeping its output as the step says.
fn run_step(
    out: &Out,
    step: &Step,
    extra: &mut Directives,
    stdin: &mut Option<BufReader<std::io::Stdin>>,
    cap: usize,
) -> Result<Status, String> {
    let mut command = Command::new(&step.program);
    command.args(&step.args).envs(step.env.iter().cloned());
    if step.build_script_args {
        command.args(&extra.args).envs(extra.env.iter().cloned());
    }
    let dir = if step.dir.is_empty() {
        job_dir()
    } else {
        inside(&step.dir)?
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    command.current_dir(&dir);
    command.stdin(if step.stdin {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    command.stdout(stdio_for(&step.stdout)?);
    command.stderr(stdio_for(&step.stderr)?);
    let oom_before = oom_kills();
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", step.program))?;
    if step.stdin
        && let (Some(mut input), Some(mut source)) = (child.stdin.take(), stdin.take())
    {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut source, &mut input);
            // Dropping `input` closes the program's stdin: end of file.
        });
    }
    let directives: Arc<Mutex<Vec<u8>>> = Arc::default();
    let pumps = [
        pump(out, &step.stdout, child.stdout.take(), cap, &directives),
        pump(out, &step.stderr, child.stderr.take(), cap, &directives),
    ];
    let status = child.wait().map_err(|e| e.to_string())?;
    if step.stdin {
        // Processes the program left behind still hold the pipes: end them so the pumps see end
        // of file.
        end_everything_else();
    }
    for pump in pumps.into_iter().flatten() {
        let _ = pump.join();
    }
    if step.stdout == Sink::Directives || step.stderr == Sink::Directives {
        let text = directives.lock().unwrap_or_else(|e| e.into_inner());
        let found = Directives::parse(&String::from_utf8_lossy(&text));
        for warning in &found.warnings {
            send(
                out,
                Frame::Compiler(format!("warning: {warning}\n").into_bytes()),
            );
        }
        extra.args.extend(found.args);
        extra.env.extend(found.env);
    }
    Ok(describe(status, oom_before))
}

fn stdio_for(sink: &Sink) -> Result<Stdio, String> {
    Ok(match sink {
        Sink::Discard => Stdio::null(),
        Sink::File(path) => {
            let target = inside(path)?;
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            let file =
                std::fs::File::create(&target).map_err(|e| format!("cannot create {path}: {e}"))?;
            Stdio::from(file)
        }
        _ => Stdio::piped(),
    })
}

/// Copies a pipe into frames (or the directives buffer), up to `cap` bytes; the rest is read and
/// dropped so the writer never blocks.
fn pump(
    out: &Out,
    sink: &Sink,
    pipe: Option<impl Read + Send + 'static>,
    cap: usize,
    directives: &Arc<Mutex<Vec<u8>>>,
) -> Option<std::thread::JoinHandle<()>> {
    let mut pipe = pipe?;
    let out = Arc::clone(out);
    let directives = Arc::clone(directives);
    let sink = sink.clone();
    // Directives are read by the helper, not shown: they get room of their own.
    let cap = if sink == Sink::Directives {
        cap.max(DIRECTIVES_CAP)
    } else {
        cap
    };
    Some(std::thread::spawn(move || {
        let mut sent = 0usize;
        let mut buf = vec![0; 32 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    // One byte past the cap tells the server that output was cut.
                    let room = (cap + 1).saturating_sub(sent).min(n);
                    if room == 0 {
                        continue;
                    }
                    let bytes = buf[..room].to_vec();
                    sent += room;
                    match &sink {
                        Sink::Compiler => send(&out, Frame::Compiler(bytes)),
                        Sink::Stdout => send(&out, Frame::Stdout(bytes)),
                        Sink::Stderr => send(&out, Frame::Stderr(bytes)),
                        Sink::Directives => directives
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .extend_from_slice(&bytes),
                        Sink::Discard | Sink::File(_) => {}
                    }
                }
            }
        }
    }))
}

fn describe(status: ExitStatus, oom_before: u64) -> Status {
    Status {
        code: status.code(),
        signal: status.signal(),
        oom: oom_kills() > oom_before,
    }
}

/// How many times the container's memory cgroup has killed a process (v1 or v2).
fn oom_kills() -> u64 {
    [
        "/sys/fs/cgroup/memory/memory.oom_control",
        "/sys/fs/cgroup/memory.events",
    ]
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
