//! Runs untrusted Rust code: the only crate in the workspace that talks to Docker.
//!
//! Everything else sees the [`Sandbox`] trait. The server picks [`DockerSandbox`] at start-up
//! (even while Docker is down: it reconnects by itself), or [`Unavailable`] when running code is
//! turned off; tests use [`fake::ScriptedSandbox`].
//!
//! One execution = one single-use container with no network, no capabilities, a read-only root,
//! a small tmpfs to build in, and limits on memory, processes, CPU, time and output. The container
//! is removed on every path, including when the future running the job is dropped.
#![forbid(unsafe_code)]

mod activity;
mod diagnostics;
mod docker;
pub mod fake;
mod job;
mod outcome;
mod output;
pub mod plan;
pub mod proxy;
mod reaper;
mod run;
pub mod views;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use api_types::ExecutionResult;
use tokio::sync::mpsc;

pub use diagnostics::parse_rustc_json;
pub use docker::{
    DockerConfig, DockerSandbox, INSTANCE_KEY, LABEL_KEY, LABEL_VALUE, warm_pool_for_memory,
};
pub use outcome::{Context as ExplainContext, explain, runner_unavailable};

/// A boxed future, so that [`Sandbox`] can be used as `dyn Sandbox`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub use job::{Job, JobError, MAX_STDIN_BYTES};

/// Progress of an execution, in order: `Compiling` `Compiler`* `Running` (`Stdout`|`Stderr`)*.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    Compiling,
    /// Rendered compiler messages, as they arrive.
    Compiler(String),
    Running,
    Stdout(String),
    Stderr(String),
}

/// What the caller may tell a running execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    Stdin(Vec<u8>),
    CloseStdin,
    Stop(StopReason),
}

/// Why an execution was stopped from outside; each has its own explanation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The student pressed Stop.
    User,
    /// The server is shutting down.
    Shutdown,
}

/// The channels between the caller and an execution. Dropping `control`'s sender is harmless;
/// dropping the execution's future kills and removes its container.
pub struct JobIo {
    pub events: mpsc::UnboundedSender<Event>,
    pub control: mpsc::UnboundedReceiver<Control>,
}

impl JobIo {
    /// Channels nobody listens to or writes into (a plain HTTP run).
    pub fn detached() -> JobIo {
        let (events, _) = mpsc::unbounded_channel();
        let (_, control) = mpsc::unbounded_channel();
        JobIo { events, control }
    }
}

/// The whole story of an execution: its output (capped) and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub stdout: String,
    pub stderr: String,
    /// The compiler's rendered messages.
    pub compiler: String,
    pub result: ExecutionResult,
}

impl Report {
    /// A report with no output: an execution that ended before producing any (a missing runner,
    /// a Stop while queued), or a fixture. Callers set the fields that differ.
    pub fn ended(outcome: api_types::Outcome, explanation: String) -> Report {
        Report {
            stdout: String::new(),
            stderr: String::new(),
            compiler: String::new(),
            result: ExecutionResult {
                outcome,
                explanation,
                diagnostics: Vec::new(),
                timings: api_types::Timings::default(),
                stdout_truncated: false,
                stderr_truncated: false,
                tests: Vec::new(),
                view: None,
                files: Vec::new(),
            },
        }
    }
}

/// Limits applied to every execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub compile_timeout: Duration,
    pub run_timeout: Duration,
    pub memory_mb: u64,
    pub pids: i64,
    /// CPU quota in thousandths of a CPU.
    pub millicpus: u64,
    /// Per stream (stdout, stderr, compiler output).
    pub output_bytes: usize,
    /// The writable tmpfs where code is built and run.
    pub tmpfs_mb: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            compile_timeout: Duration::from_secs(30),
            run_timeout: Duration::from_secs(10),
            memory_mb: 512,
            pids: 128,
            millicpus: 1000,
            output_bytes: 1024 * 1024,
            tmpfs_mb: 256,
        }
    }
}

/// Something runs submissions. Implementations must remove whatever they started when the
/// returned future is dropped.
pub trait Sandbox: Send + Sync + 'static {
    /// Compiles and (for run and test) runs `job`, streaming [`Event`]s into `io.events`.
    fn execute(&self, job: Job, io: JobIo) -> BoxFuture<'_, Result<Report, SandboxError>>;

    /// Removes idle containers and waits for pending removals. Call before the process exits.
    fn shutdown(&self) -> BoxFuture<'_, ()>;

    /// The limits executions run under (shown to students in explanations).
    fn limits(&self) -> &Limits;

    /// How many containers this sandbox holds now: running jobs and the warm pool, from the
    /// request that creates one until it is handed to the reaper for removal (for the server's
    /// metrics). A sandbox that starts none (a fake) reports 0.
    fn containers_alive(&self) -> usize {
        0
    }

    /// The id of the image that runs `runner`'s jobs, for caches of results: a rebuilt image has
    /// a new id. `None` when it cannot be told (no image, Docker unreachable, a fake), and then
    /// nothing may be cached for that runner.
    fn image_id<'a>(&'a self, runner: &'a api_types::RunnerId) -> BoxFuture<'a, Option<String>> {
        let _ = runner;
        Box::pin(async { None })
    }

    /// Whether each runner of the registry can run here now; `Err` holds the reason, in words
    /// for a student. By default every runner is available (fakes above the seam).
    fn runners(&self) -> BoxFuture<'_, Vec<RunnerStatus>> {
        Box::pin(async {
            runners::all()
                .iter()
                .map(|r| RunnerStatus {
                    id: r.id.clone(),
                    available: Ok(()),
                })
                .collect()
        })
    }
}

/// Whether a runner can run here, or why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunnerStatus {
    pub id: api_types::RunnerId,
    pub available: Result<(), String>,
}

/// Why the sandbox could not do its job: a fault of the server, not of the submitted code.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error(
        "the code runner is not available on this server: {0} (an administrator can run `cargo xtask images`)"
    )]
    Unavailable(String),
    /// Docker cannot be reached now (down, or restarting); the sandbox reconnects by itself.
    /// Students read [`RESTARTING`].
    #[error("Docker cannot be reached, reconnecting: {0}")]
    Restarting(String),
    #[error("cannot {action}: {source}")]
    Docker {
        action: &'static str,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("the runner broke the protocol: {0}")]
    Protocol(String),
    /// A job that [`Job::from_request`] would have refused (made by hand, e.g. by a tool).
    #[error("{0}")]
    Invalid(JobError),
}

/// What a student reads while Docker is being reconnected.
pub const RESTARTING: &str = "The code runner is restarting; try again in a few seconds.";

impl SandboxError {
    /// When a client may try again, for errors that pass by themselves.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SandboxError::Restarting(_) => Some(RESTART_RETRY_AFTER),
            _ => None,
        }
    }

    /// The sentence a student sees. Faults inside the server (Docker's answers, a broken
    /// runner) are described in the logs, never in the page: they mean nothing to a student.
    pub fn for_student(&self) -> String {
        match self {
            SandboxError::Docker { .. } | SandboxError::Protocol(_) => {
                "Your code could not be run because of a problem on the server, not in your code. \
                 Try again in a moment."
                    .into()
            }
            SandboxError::Restarting(_) => RESTARTING.into(),
            SandboxError::Unavailable(_) | SandboxError::Invalid(_) => self.to_string(),
        }
    }
}

/// What `Retry-After` suggests while Docker is unreachable: about one reconnection attempt at
/// the longest backoff.
pub const RESTART_RETRY_AFTER: Duration = Duration::from_secs(5);

/// The sandbox used when running code is turned off: every execution fails with the reason.
pub struct Unavailable {
    reason: String,
    limits: Limits,
}

impl Unavailable {
    pub fn new(reason: impl Into<String>) -> Unavailable {
        Unavailable {
            reason: reason.into(),
            limits: Limits::default(),
        }
    }
}

impl Sandbox for Unavailable {
    fn runners(&self) -> BoxFuture<'_, Vec<RunnerStatus>> {
        let reason = format!("Code cannot run on this server right now: {}.", self.reason);
        Box::pin(async move {
            runners::all()
                .iter()
                .map(|r| RunnerStatus {
                    id: r.id.clone(),
                    available: Err(reason.clone()),
                })
                .collect()
        })
    }

    fn execute(&self, _job: Job, _io: JobIo) -> BoxFuture<'_, Result<Report, SandboxError>> {
        let reason = self.reason.clone();
        Box::pin(async move { Err(SandboxError::Unavailable(reason)) })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }
}
