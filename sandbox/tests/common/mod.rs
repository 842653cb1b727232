//! What every real-Docker test file shares: a sandbox with a short run limit, a run that fails
//! loudly when the runner's image is missing (a missing image must never make a test pass), and
//! the check that nothing was left behind.

// Each test file uses the part it needs.
#![allow(dead_code)]

use std::time::Duration;

use api_types::{Action, ExecuteRequest, Outcome, ProjectFile, RunnerId};
use sandbox::{DockerConfig, DockerSandbox, Job, JobIo, Limits, Report, Sandbox};

/// The run limit of the tests that use it: short, so looping programs cost little.
pub const RUN_LIMIT: Duration = Duration::from_secs(4);

/// A sandbox with `warm_pool` warm containers and `run_limit` per run.
pub async fn connect_with(warm_pool: usize, run_limit: Duration) -> DockerSandbox {
    let config = DockerConfig {
        warm_pool,
        limits: Limits {
            run_timeout: run_limit,
            ..Limits::default()
        },
        ..DockerConfig::default()
    };
    DockerSandbox::connect(config).await.unwrap_or_else(|e| {
        panic!("Docker is not available ({e}). Start dockerd, or run `cargo xtask test`, which starts it and builds the runner images.")
    })
}

/// A sandbox without warm containers and with [`RUN_LIMIT`].
pub async fn connect() -> DockerSandbox {
    connect_with(0, RUN_LIMIT).await
}

/// Fails the test when the job's runner has no image.
pub fn check_image(report: &Report) {
    if let Outcome::RunnerUnavailable { runner } = &report.result.outcome {
        panic!("the {runner} runner image is missing: run `cargo xtask images {runner}`");
    }
}

/// Runs `job` to its end.
pub async fn run(sandbox: &DockerSandbox, job: Job) -> Report {
    let report = sandbox
        .execute(job, JobIo::detached())
        .await
        .expect("the sandbox works");
    check_image(&report);
    report
}

/// Shuts the sandbox down and checks every container it made is gone.
pub async fn finish(sandbox: DockerSandbox) {
    sandbox.shutdown().await;
    let left = sandbox.containers().await.expect("list containers");
    assert!(left.is_empty(), "containers left behind: {left:?}");
}

/// A request for `files` on `runner`.
pub fn request(runner: &str, files: &[(&str, &str)], action: Action) -> ExecuteRequest {
    ExecuteRequest {
        files: files
            .iter()
            .map(|(p, c)| ProjectFile::new(*p, *c))
            .collect(),
        runner: RunnerId::new(runner),
        action,
        ..ExecuteRequest::default()
    }
}

/// The job a client's request becomes: checked and routed as the server does.
pub fn job(request: ExecuteRequest) -> Job {
    Job::from_request(request, false).expect("a valid request")
}
