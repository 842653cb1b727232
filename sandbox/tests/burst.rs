//! Bursts against a real dockerd: what the warm pool and the deferred removal must keep true.
//! A used container is never reused; as soon as its job ends nothing of the program runs in it
//! any more (its helper parks alone, or, for a job cut short, the container is killed); only its
//! death and removal wait until jobs settle, and nothing is left behind once they have (or at
//! shutdown); another instance's sweep leaves a live instance's retired containers to it.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` runs them with `--ignored`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use api_types::Outcome;
use bollard::Docker;
use sandbox::{
    Control, DockerConfig, DockerSandbox, Event, Job, JobIo, Report, Sandbox, StopReason,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

mod common;
use common::{RUN_LIMIT, finish, run};

/// Generous bounds for things that happen in the background; never asserted as durations.
const PATIENCE: Duration = Duration::from_secs(60);

/// Prints its container's host name (Docker sets it to the container id's first 12 digits)
/// and fails if an earlier program left its mark in the scratch space, then leaves one.
const WHO_AM_I: &str = r#"fn main() {
    let host = std::fs::read_to_string("/etc/hostname").unwrap();
    if std::path::Path::new("/tmp/mark").exists() {
        panic!("another program's file is here");
    }
    std::fs::write("/tmp/mark", "used").unwrap();
    print!("{}", host.trim());
}"#;

/// Prints its host name after starting a process meant to outlive it, which must not.
const LEAVES_A_CHILD: &str = r#"fn main() {
    std::process::Command::new("/bin/sh")
        .args(["-c", "sleep 600 >/dev/null 2>&1 </dev/null &"])
        .status()
        .unwrap();
    print!("{}", std::fs::read_to_string("/etc/hostname").unwrap().trim());
}"#;

/// Prints its host name, then spins until stopped.
const HOLD: &str = r#"fn main() {
    use std::io::Write;
    println!("{}", std::fs::read_to_string("/etc/hostname").unwrap().trim());
    std::io::stdout().flush().unwrap();
    loop { std::hint::spin_loop(); }
}"#;

async fn docker() -> Docker {
    Docker::connect_with_local_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .expect("dockerd answers: start it, or run `cargo xtask test`")
}

async fn connect(warm_pool: usize, sweep_on_start: bool) -> DockerSandbox {
    let config = DockerConfig {
        warm_pool,
        sweep_on_start,
        limits: sandbox::Limits {
            run_timeout: RUN_LIMIT.max(Duration::from_secs(120)),
            ..sandbox::Limits::default()
        },
        ..DockerConfig::default()
    };
    DockerSandbox::connect(config)
        .await
        .expect("Docker answers")
}

/// A job that runs until stopped: its container's host name once it runs, and the handle
/// that stops it.
struct Held {
    host: String,
    stop: mpsc::UnboundedSender<Control>,
    done: JoinHandle<Report>,
}

async fn hold(sandbox: &std::sync::Arc<DockerSandbox>) -> Held {
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (stop, control_rx) = mpsc::unbounded_channel();
    let io = JobIo {
        events: events_tx,
        control: control_rx,
    };
    let running = std::sync::Arc::clone(sandbox);
    let done = tokio::spawn(async move { running.execute(Job::run(HOLD), io).await.unwrap() });
    let mut host = String::new();
    while let Some(event) = events.recv().await {
        if let Event::Stdout(text) = event {
            host.push_str(&text);
            if host.ends_with('\n') {
                break;
            }
        }
    }
    Held {
        host: host.trim().to_owned(),
        stop,
        done,
    }
}

impl Held {
    async fn stop(self) {
        self.stop.send(Control::Stop(StopReason::User)).unwrap();
        let report = self.done.await.unwrap();
        assert_eq!(report.result.outcome, Outcome::Killed, "{report:?}");
    }
}

/// Whether the container whose id starts with `host` runs: `None` once it is gone.
async fn running(docker: &Docker, host: &str) -> Option<bool> {
    let inspected = docker.inspect_container(host, None).await.ok()?;
    Some(inspected.state.and_then(|s| s.running).unwrap_or(false))
}

/// The commands of the processes running in the container whose id starts with `host`.
async fn processes(docker: &Docker, host: &str) -> Vec<String> {
    let top = docker
        .top_processes(host, None::<bollard::query_parameters::TopOptions>)
        .await
        .unwrap_or_else(|e| panic!("cannot list the processes of {host}: {e}"));
    let column = top
        .titles
        .as_deref()
        .and_then(|titles| titles.iter().position(|t| t == "CMD" || t == "COMMAND"))
        .expect("docker top names its command column");
    top.processes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|row| row.get(column).cloned())
        .collect()
}

/// Waits until only the parked helper runs in the container; false if anything else still runs
/// (or the helper is gone) after [`PATIENCE`].
async fn parks_alone(docker: &Docker, host: &str) -> bool {
    let until = Instant::now() + PATIENCE;
    while Instant::now() < until {
        let running = processes(docker, host).await;
        if running.len() == 1 && running[0].contains("rmp-job") {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Waits until the container is dead (or gone); false if it still runs after [`PATIENCE`].
async fn dies(docker: &Docker, host: &str) -> bool {
    let until = Instant::now() + PATIENCE;
    while Instant::now() < until {
        if running(docker, host).await != Some(true) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn every_job_gets_a_container_no_other_job_used() {
    let sandbox = std::sync::Arc::new(connect(4, false).await);
    sandbox.wait_warm(PATIENCE).await;
    assert_eq!(sandbox.warm_count(), 4);
    let mut hosts = Vec::new();
    // One after another, then six at once: more than the pool, so warm and cold ones mix.
    for _ in 0..3 {
        hosts.push(run(&sandbox, Job::run(WHO_AM_I)).await);
    }
    let at_once: Vec<_> = (0..6)
        .map(|_| {
            let sandbox = std::sync::Arc::clone(&sandbox);
            tokio::spawn(async move { run(&sandbox, Job::run(WHO_AM_I)).await })
        })
        .collect();
    for job in at_once {
        hosts.push(job.await.unwrap());
    }
    for report in &hosts {
        assert_eq!(report.result.outcome, Outcome::Success, "{report:?}");
    }
    let distinct: HashSet<&str> = hosts.iter().map(|r| r.stdout.as_str()).collect();
    assert_eq!(
        distinct.len(),
        hosts.len(),
        "a container ran two jobs: {hosts:?}"
    );
    let sandbox = std::sync::Arc::into_inner(sandbox).unwrap();
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_used_container_holds_nothing_running_and_is_removed_once_jobs_settle() {
    let docker = docker().await;
    let sandbox = std::sync::Arc::new(connect(3, false).await);
    sandbox.wait_warm(PATIENCE).await;

    // A job keeps the sandbox busy while others end beside it.
    let busy = hold(&sandbox).await;
    // One finishes by itself (and tried to leave a process behind); one is stopped mid-run.
    let finished = run(&sandbox, Job::run(LEAVES_A_CHILD)).await;
    assert_eq!(finished.result.outcome, Outcome::Success, "{finished:?}");
    let stopped = hold(&sandbox).await;
    let stopped_host = stopped.host.clone();
    stopped.stop().await;

    // The finished job's helper ended everything else and parks: its container dies later,
    // with the removal, when nothing is compiling.
    assert!(
        parks_alone(&docker, &finished.stdout).await,
        "{} still runs something of its program: {:?}",
        finished.stdout,
        processes(&docker, &finished.stdout).await
    );
    // The stopped job's program might still be running: its container is killed at once.
    assert!(
        dies(&docker, &stopped_host).await,
        "{stopped_host} still runs after its job was stopped"
    );
    // Neither is removed yet: a job still runs.
    assert_eq!(
        running(&docker, &stopped_host).await,
        Some(false),
        "{stopped_host} was removed while a job ran"
    );
    assert_eq!(
        running(&docker, &finished.stdout).await,
        Some(true),
        "{} was removed while a job ran",
        finished.stdout
    );
    assert_eq!(
        running(&docker, &busy.host).await,
        Some(true),
        "the busy job's container runs"
    );

    let busy_host = busy.host.clone();
    busy.stop().await;
    // Settled: `containers` waits for the pending removals, which now go ahead.
    let left: HashSet<String> = sandbox.containers().await.unwrap().into_iter().collect();
    for host in [finished.stdout.as_str(), &stopped_host, &busy_host] {
        assert!(
            !left.iter().any(|id| id.starts_with(host)),
            "{host} is still there: {left:?}"
        );
        assert_eq!(running(&docker, host).await, None, "{host} was not removed");
    }
    let sandbox = std::sync::Arc::into_inner(sandbox).unwrap();
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn shutdown_removes_containers_still_waiting_for_quiet() {
    let docker = docker().await;
    let sandbox = std::sync::Arc::new(connect(2, false).await);
    sandbox.wait_warm(PATIENCE).await;
    let busy = hold(&sandbox).await;
    let finished = run(&sandbox, Job::run(WHO_AM_I)).await;
    assert!(parks_alone(&docker, &finished.stdout).await);

    // Shutdown with a job still running: nothing will settle, so the retired container goes
    // now, and so does the last job's once it ends.
    sandbox.shutdown().await;
    assert_eq!(
        running(&docker, &finished.stdout).await,
        None,
        "a retired container outlived shutdown"
    );
    let busy_host = busy.host.clone();
    busy.stop().await;
    let sandbox = std::sync::Arc::into_inner(sandbox).unwrap();
    finish(sandbox).await;
    assert_eq!(running(&docker, &busy_host).await, None);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn another_instances_sweep_leaves_a_live_instances_retired_containers_alone() {
    let docker = docker().await;
    let first = std::sync::Arc::new(connect(2, false).await);
    first.wait_warm(PATIENCE).await;
    let busy = hold(&first).await;
    let finished = run(&first, Job::run(WHO_AM_I)).await;
    assert!(parks_alone(&docker, &finished.stdout).await);

    // A second server starts with the orphan sweep: the first is alive, so its used container
    // waiting for removal is not an orphan.
    let second = connect(1, true).await;
    second.wait_warm(PATIENCE).await;
    assert_eq!(
        running(&docker, &finished.stdout).await,
        Some(true),
        "the second instance's sweep removed (or killed) the first's container"
    );
    assert_eq!(running(&docker, &busy.host).await, Some(true));

    busy.stop().await;
    let first = std::sync::Arc::into_inner(first).unwrap();
    finish(first).await;
    assert_eq!(running(&docker, &finished.stdout).await, None);
    finish(second).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn an_idle_pool_replaces_its_containers_before_they_expire() {
    let docker = docker().await;
    // Containers near the end of a 4 s idle lifetime (within a quarter of it) are replaced.
    let sandbox = DockerSandbox::connect(DockerConfig {
        warm_pool: 1,
        idle_lifetime: Duration::from_secs(4),
        ..DockerConfig::default()
    })
    .await
    .expect("Docker answers");
    sandbox.wait_warm(PATIENCE).await;
    let first = sandbox.containers().await.unwrap();
    assert_eq!(first.len(), 1, "{first:?}");
    let until = Instant::now() + PATIENCE;
    let mut now = first.clone();
    while now == first && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(200)).await;
        now = sandbox.containers().await.unwrap();
    }
    assert_ne!(now, first, "the warm container was never replaced");
    // The old one is gone, not left dead; a new one is warm (or being started) and runs jobs.
    let until = Instant::now() + PATIENCE;
    while running(&docker, &first[0]).await.is_some() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(running(&docker, &first[0]).await, None);
    let report = run(&sandbox, Job::run(WHO_AM_I)).await;
    assert_eq!(report.result.outcome, Outcome::Success, "{report:?}");
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_container_used_alone_is_removed_without_waiting_for_quiet() {
    // What a server killed right after a lone run (SIGKILL, no shutdown) relies on: with no
    // burst to protect, its container is not left waiting.
    let docker = docker().await;
    let sandbox = std::sync::Arc::new(connect(2, false).await);
    sandbox.wait_warm(PATIENCE).await;
    let alone = run(&sandbox, Job::run(WHO_AM_I)).await;
    assert_eq!(alone.result.outcome, Outcome::Success, "{alone:?}");
    // A job starts and keeps running: a deferred removal would wait for it to end.
    let busy = hold(&sandbox).await;
    let until = Instant::now() + PATIENCE;
    while running(&docker, &alone.stdout).await.is_some() && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        running(&docker, &alone.stdout).await,
        None,
        "the lone job's container waited for quiet"
    );
    busy.stop().await;
    let sandbox = std::sync::Arc::into_inner(sandbox).unwrap();
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_sandbox_dropped_without_shutdown_still_removes_what_waited() {
    let docker = docker().await;
    // No pool: nothing else (a refill waiting for quiet) keeps the sandbox alive after the drop.
    let sandbox = std::sync::Arc::new(connect(0, false).await);
    let busy = hold(&sandbox).await;
    let finished = run(&sandbox, Job::run(WHO_AM_I)).await;
    assert!(parks_alone(&docker, &finished.stdout).await);
    let busy_host = busy.host.clone();
    busy.stop().await;
    // Dropped at once, within the quiet spell the retired container waits for.
    drop(std::sync::Arc::into_inner(sandbox).unwrap());
    let until = Instant::now() + PATIENCE;
    for host in [finished.stdout.as_str(), &busy_host] {
        while running(&docker, host).await.is_some() && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(running(&docker, host).await, None, "{host} was left behind");
    }
}
