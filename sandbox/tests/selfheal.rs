//! Self-healing against a real dockerd: a daemon that goes away and comes back (played by a
//! proxy socket the test cuts, so the dockerd other tests share keeps running), two instances
//! sharing one daemon, orphans of dead instances, and warm containers that die behind the
//! sandbox's back.
//!
//! Ignored by a plain `cargo test`; `cargo xtask test` runs them with `--ignored`.

use std::collections::HashMap;
use std::time::Duration;

use api_types::Outcome;
use bollard::Docker;
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptions, KillContainerOptions, ListContainersOptions, RemoveContainerOptions,
};
use sandbox::proxy::DockerProxy;
use sandbox::{
    DockerConfig, DockerSandbox, INSTANCE_KEY, Job, JobIo, LABEL_KEY, LABEL_VALUE, Limits, Report,
    Sandbox, SandboxError,
};

mod common;
use common::{RUN_LIMIT, finish, run};

const HELLO: &str = "fn main() {\n    println!(\"Hello, world!\");\n}\n";
/// Generous bounds for things that happen in the background; never asserted as durations.
const PATIENCE: Duration = Duration::from_secs(60);

fn config(warm_pool: usize) -> DockerConfig {
    DockerConfig {
        warm_pool,
        limits: Limits {
            run_timeout: RUN_LIMIT,
            ..Limits::default()
        },
        ..DockerConfig::default()
    }
}

/// A client of the real daemon, for what the test does behind the sandbox's back.
async fn docker() -> Docker {
    Docker::connect_with_local_defaults()
        .unwrap()
        .negotiate_version()
        .await
        .expect("dockerd answers: start it, or run `cargo xtask test`")
}

fn assert_hello(report: &Report) {
    assert_eq!(report.result.outcome, Outcome::Success, "{report:?}");
    assert_eq!(report.stdout, "Hello, world!\n");
}

async fn assert_restarting(sandbox: &DockerSandbox) {
    match sandbox.execute(Job::run(HELLO), JobIo::detached()).await {
        Err(err @ SandboxError::Restarting(_)) => {
            assert_eq!(
                err.for_student(),
                "The code runner is restarting; try again in a few seconds."
            );
            assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
        }
        other => panic!("expected the restarting error, got {other:?}"),
    }
}

/// Ids of the containers labelled with this instance, asked of the daemon directly.
async fn containers_of(docker: &Docker, instance: &str) -> Vec<String> {
    let filters = HashMap::from([(
        "label".to_owned(),
        vec![format!("{INSTANCE_KEY}={instance}")],
    )]);
    docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_iter()
        .filter_map(|c| c.id)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_daemon_down_at_start_up_and_lost_later_is_reconnected_without_leaks() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = DockerProxy::new(dir.path().join("docker.sock"), "/var/run/docker.sock");
    let sandbox = DockerSandbox::start(DockerConfig {
        socket: Some(proxy.socket().to_owned()),
        ..config(1)
    })
    .await;

    // Down at start-up: the sandbox exists, runs are told to come back.
    assert!(!sandbox.is_connected());
    assert_restarting(&sandbox).await;

    // Back: it reconnects by itself, fills its pool and runs.
    proxy.restore().unwrap();
    assert!(sandbox.wait_connected(PATIENCE).await, "never reconnected");
    sandbox.wait_warm(PATIENCE).await;
    assert_eq!(sandbox.warm_count(), 1);
    assert_hello(&run(&sandbox, Job::run(HELLO)).await);
    sandbox.wait_warm(PATIENCE).await;
    assert_eq!(sandbox.warm_count(), 1);

    // Lost while a warm container waits: the next run is told to come back, not given a dead
    // container's protocol error.
    proxy.cut();
    assert_restarting(&sandbox).await;
    assert!(!sandbox.is_connected());
    assert_eq!(sandbox.warm_count(), 0, "the dead pool is dropped");

    // Back again: runs succeed and the pool is rebuilt.
    proxy.restore().unwrap();
    assert!(sandbox.wait_connected(PATIENCE).await, "never reconnected");
    assert_hello(&run(&sandbox, Job::run(HELLO)).await);
    sandbox.wait_warm(PATIENCE).await;
    assert_eq!(sandbox.warm_count(), 1, "the pool is rebuilt");

    let instance = sandbox.instance().to_owned();
    finish(sandbox).await;
    // Asked of the daemon itself, not through the sandbox: nothing of this instance is left.
    assert_eq!(
        containers_of(&docker().await, &instance).await,
        Vec::<String>::new()
    );
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_second_instance_sweeps_orphans_but_leaves_a_live_instances_pool_alone() {
    let docker = docker().await;
    let first = DockerSandbox::connect(config(1)).await.unwrap();
    first.wait_warm(PATIENCE).await;
    let before = first.containers().await.unwrap();
    assert_eq!(before.len(), 1, "one warm container");

    // Two leftovers: one of a process that is gone (this host, this boot, a pid that has
    // exited), one of another host (which no sweep here can judge).
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead_pid = child.id();
    child.wait().unwrap();
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap();
    leftover(&docker, "orphan", host.trim(), boot.trim(), dead_pid).await;
    let foreign = leftover(&docker, "foreign", "another-host", boot.trim(), dead_pid).await;

    let second = DockerSandbox::connect(DockerConfig {
        sweep_on_start: true,
        ..config(1)
    })
    .await
    .unwrap();
    second.wait_warm(PATIENCE).await;

    assert_eq!(
        first.containers().await.unwrap(),
        before,
        "the first pool is intact"
    );
    assert_eq!(first.warm_count(), 1);
    let left = containers_of(&docker, "test-orphan").await;
    assert!(left.is_empty(), "the orphan was swept: {left:?}");
    let kept = containers_of(&docker, "test-foreign").await;
    assert_eq!(
        kept,
        vec![foreign.clone()],
        "another host's container is kept"
    );
    docker
        .remove_container(
            &foreign,
            Some(RemoveContainerOptions {
                force: true,
                ..Default::default()
            }),
        )
        .await
        .unwrap();

    // The first still runs on its warm container, and so does the second.
    assert_hello(&run(&first, Job::run(HELLO)).await);
    assert_hello(&run(&second, Job::run(HELLO)).await);
    finish(first).await;
    finish(second).await;
}

/// A created (never started) container labelled as a sandbox container of `instance`, owned by
/// `pid` on `host` in boot `boot`.
async fn leftover(docker: &Docker, instance: &str, host: &str, boot: &str, pid: u32) -> String {
    let labels = HashMap::from([
        (LABEL_KEY.to_owned(), LABEL_VALUE.to_owned()),
        (INSTANCE_KEY.to_owned(), format!("test-{instance}")),
        ("rmp.owner.host".to_owned(), host.to_owned()),
        ("rmp.owner.boot".to_owned(), boot.to_owned()),
        ("rmp.owner.pid".to_owned(), pid.to_string()),
        ("rmp.owner.start".to_owned(), "1".to_owned()),
    ]);
    docker
        .create_container(
            None::<CreateContainerOptions>,
            ContainerCreateBody {
                image: Some(DockerConfig::default().default_image()),
                cmd: Some(vec!["true".into()]),
                labels: Some(labels),
                network_disabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect("the stable runner image exists: run `cargo xtask images stable`")
        .id
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_warm_container_killed_or_removed_behind_the_sandboxs_back_is_replaced_unnoticed() {
    let docker = docker().await;
    let sandbox = DockerSandbox::connect(config(1)).await.unwrap();
    for removed in [false, true] {
        sandbox.wait_warm(PATIENCE).await;
        let warm = sandbox.containers().await.unwrap();
        assert_eq!(warm.len(), 1, "one warm container");
        if removed {
            let options = RemoveContainerOptions {
                force: true,
                ..Default::default()
            };
            docker
                .remove_container(&warm[0], Some(options))
                .await
                .unwrap();
        } else {
            docker
                .kill_container(&warm[0], None::<KillContainerOptions>)
                .await
                .unwrap();
        }
        let report = run(&sandbox, Job::run(HELLO)).await;
        assert_hello(&report);
        assert_eq!(
            report.result.explanation,
            "Your program ran and exited normally."
        );
    }
    finish(sandbox).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs dockerd and the runner image: cargo xtask test runs it"]
async fn a_daemon_lost_while_a_program_runs_is_not_blamed_on_the_program() {
    let dir = tempfile::tempdir().unwrap();
    let proxy = DockerProxy::new(dir.path().join("docker.sock"), "/var/run/docker.sock");
    proxy.restore().unwrap();
    let sandbox = DockerSandbox::connect(DockerConfig {
        socket: Some(proxy.socket().to_owned()),
        ..config(0)
    })
    .await
    .unwrap();
    let (events, mut heard) = tokio::sync::mpsc::unbounded_channel();
    let (_control, control) = tokio::sync::mpsc::unbounded_channel();
    let program = "fn main() {\n    println!(\"started\");\n    std::thread::sleep(std::time::Duration::from_secs(3));\n}\n";
    let result = {
        let execution = sandbox.execute(Job::run(program), JobIo { events, control });
        tokio::pin!(execution);
        // Cut the daemon once the program prints, while it sleeps.
        loop {
            tokio::select! {
                Some(event) = heard.recv() => {
                    if event == sandbox::Event::Stdout("started\n".into()) {
                        proxy.cut();
                    }
                }
                result = &mut execution => break result,
            }
        }
    };
    match result {
        Err(err @ SandboxError::Restarting(_)) => {
            assert_eq!(err.for_student(), sandbox::RESTARTING);
        }
        other => panic!("expected the restarting error, got {other:?}"),
    }
    proxy.restore().unwrap();
    assert!(sandbox.wait_connected(PATIENCE).await, "never reconnected");
    let instance = sandbox.instance().to_owned();
    finish(sandbox).await;
    assert_eq!(
        containers_of(&docker().await, &instance).await,
        Vec::<String>::new()
    );
}
