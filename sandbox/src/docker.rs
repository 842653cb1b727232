//! The Docker implementation of [`Sandbox`]: single-use containers, optionally pre-started.
//!
//! A container's main process is the job helper (`runner-images/job/src/main.rs`), attached
//! before it starts and waiting for a job on its stdin. [`DockerConfig::warm_pool`] such
//! containers (by default as many as memory allows, see [`warm_pool_for_memory`]) are started
//! while nothing runs; a job takes one (or starts one if none is ready), and the container is
//! killed as soon as the job ends and removed once jobs settle. Containers are never reused. A container
//! that died or vanished before the job was fed in (a warm one killed behind the sandbox's back)
//! says nothing at all; the job then runs once more on a fresh container, and the student sees a
//! normal run.
//!
//! Removal goes through [`Reaper`], a thread with its own runtime and Docker connection, so a
//! container is removed even when the future that ran the job is dropped mid-way (client gone)
//! or its runtime is shutting down. Every container carries the label `rmp.sandbox=1`, its
//! instance's `rmp.instance` and its owner process's identity (see `owner.rs`).
//!
//! Docker may be down at start-up or restart later: a supervisor task pings it, marks the link
//! down (runs then fail with [`SandboxError::Restarting`] at once, the warm pool is dropped),
//! reconnects with backoff, sweeps this instance's leftovers and refills the pool.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use api_types::RunnerId;
use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    AttachContainerOptions, CreateContainerOptions, ListContainersOptions,
};
use tokio::sync::Notify;

use crate::activity::Activity;
use crate::reaper::{ContainerGuard, Reaper, next_id};
use crate::run::{Run, Session, unavailable};
use crate::{BoxFuture, Event, Job, JobIo, Limits, Report, Sandbox, SandboxError};
use sandbox_owner::{Liveness, Owner, process_start};

/// The label every sandbox container carries: `rmp.sandbox=1`.
pub const LABEL_KEY: &str = "rmp.sandbox";
pub const LABEL_VALUE: &str = "1";
/// The label naming the [`DockerSandbox`] instance that made a container.
pub const INSTANCE_KEY: &str = "rmp.instance";

const HELPER: &str = "/opt/rmp/bin/rmp-job";
/// Everything in a sandbox runs as `runner`, not root.
const RUNNER_USER: &str = "1000:1000";

/// How often a connected sandbox checks that Docker still answers.
const PROBE_INTERVAL: Duration = Duration::from_secs(5);
/// How long a health check waits for Docker's answer.
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one reconnection attempt (connect, negotiate the API version, ping) may take.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);
/// Reconnection attempts start this often and slow down to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
/// How often (at most) the pool looks for warm containers near the end of their idle lifetime.
const EXPIRY_CHECK: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How the Docker sandbox runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerConfig {
    /// The image of each runner (built by `cargo xtask images`), from the runner registry unless
    /// overridden (`RMP_RUNNER_IMAGE_<ID>`).
    pub images: BTreeMap<RunnerId, String>,
    /// Started containers kept ready; 0 creates a container per run. Default:
    /// [`warm_pool_for_memory`] of the memory available at start-up.
    pub warm_pool: usize,
    pub limits: Limits,
    /// On each connection to Docker, also remove orphans: containers whose owner process is
    /// provably gone (see `owner.rs`), e.g. a server that was killed. Never another live
    /// instance's. This instance's own leftovers are removed on every reconnection regardless.
    pub sweep_on_start: bool,
    /// A warm container lives at most this long (its idle process then exits and Docker
    /// removes it), so nothing outlives a killed server for long.
    pub idle_lifetime: Duration,
    /// The daemon's socket; `None`: `DOCKER_HOST` (a `unix://` one) or `/var/run/docker.sock`.
    pub socket: Option<PathBuf>,
}

impl DockerConfig {
    /// The image of the default runner (`stable`), the one the warm pool keeps ready.
    pub fn default_image(&self) -> String {
        self.images
            .get(&RunnerId::default())
            .cloned()
            .unwrap_or_else(|| "rmp-runner-stable:latest".into())
    }
}

impl Default for DockerConfig {
    fn default() -> DockerConfig {
        DockerConfig {
            images: runners::all()
                .iter()
                .map(|r| (r.id.clone(), r.image.clone()))
                .collect(),
            warm_pool: warm_pool_for_memory(available_memory_mib()),
            limits: Limits::default(),
            sweep_on_start: false,
            idle_lifetime: Duration::from_secs(3600),
            socket: None,
        }
    }
}

/// What one idle warm container costs: its containerd shim (measured 13 MiB resident), the
/// helper blocked on its stdin (under 1 MiB in the container's cgroup) and Docker's
/// bookkeeping, rounded up generously.
pub const WARM_CONTAINER_MIB: u64 = 32;
/// The pool takes at most this share (1/N) of the memory available at start-up.
const WARM_POOL_MEMORY_SHARE: u64 = 16;
/// Enough for a class's burst of distinct programs (30 in `cargo xtask bench-sandbox`) with
/// room to spare; each one more costs idle CPU to start and buys little.
pub const MAX_WARM_POOL: usize = 48;
/// At least what the pool held before it was sized by memory: one student's runs stay warm.
pub const MIN_WARM_POOL: usize = 2;

/// The warm pool for a machine with `available_mib` of memory available (`None`: unknown):
/// idle warm containers cost almost nothing but memory, and a burst of N distinct programs
/// runs at the speed of compiling only if N are started before it (ARCHITECTURE.md, "a warm
/// pool sized by memory"). At most 1/16 of the memory, at 32 MiB a container, within 2 and 48.
pub fn warm_pool_for_memory(available_mib: Option<u64>) -> usize {
    let Some(mib) = available_mib else {
        return MIN_WARM_POOL;
    };
    let fits = mib / WARM_POOL_MEMORY_SHARE / WARM_CONTAINER_MIB;
    usize::try_from(fits)
        .unwrap_or(usize::MAX)
        .clamp(MIN_WARM_POOL, MAX_WARM_POOL)
}

/// `MemAvailable` from `/proc/meminfo`, in MiB; `None` where there is no such file.
fn available_memory_mib() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kib / 1024)
}

/// Runs jobs in Docker containers. Cheap to share behind an `Arc`.
pub struct DockerSandbox {
    inner: Arc<Inner>,
}

/// The connection to Docker as the sandbox last found it.
enum Link {
    /// Not asked yet (the sandbox is being built).
    Unknown,
    Up(Docker),
    /// Unreachable, with the last failure (for the logs).
    Down(String),
}

struct Inner {
    link: RwLock<Link>,
    /// Wakes the supervisor early: something saw Docker fail.
    trouble: Arc<Notify>,
    /// Labels this instance's containers (`rmp.instance`), to tell them from other servers' or
    /// tests'.
    instance: String,
    /// This process, labelled on every container so other instances' sweeps can tell whether
    /// it is alive; `None` where `/proc` cannot say (then no sweep removes its containers).
    owner: Option<Owner>,
    config: DockerConfig,
    reaper: Reaper,
    pool: Mutex<VecDeque<Warm>>,
    refill: Arc<Notify>,
    closing: AtomicBool,
    /// Warm containers being started by the refill task; shutdown waits for them.
    starting: AtomicUsize,
    /// Executions in progress. The pool refills, and used containers are removed, only once
    /// none has run for a moment: under load, that work competes with the jobs for CPU
    /// (measured: see ARCHITECTURE.md).
    activity: Arc<Activity>,
    /// Images known to exist (the warm pool waits for the default runner's). One that is missing
    /// is looked for again on each job, so an image built while the server runs is used without
    /// a restart.
    present: Mutex<BTreeSet<String>>,
}

/// A started container whose helper waits for a job.
struct Warm {
    session: Session,
    started: Instant,
}

fn docker_error(action: &'static str) -> impl FnOnce(bollard::errors::Error) -> SandboxError {
    move |source| SandboxError::Docker { action, source }
}

pub(crate) fn status_code(error: &bollard::errors::Error) -> Option<u16> {
    match error {
        bollard::errors::Error::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// Opens a client on `socket` (`None`: the local default) and settles the API version with the
/// daemon, which must answer.
pub(crate) async fn open(socket: Option<&Path>) -> Result<Docker, SandboxError> {
    let docker = match socket {
        Some(path) => {
            Docker::connect_with_unix(&path.to_string_lossy(), 120, bollard::API_DEFAULT_VERSION)
        }
        None => Docker::connect_with_local_defaults(),
    }
    .map_err(docker_error("connect to Docker"))?;
    let docker = docker
        .negotiate_version()
        .await
        .map_err(docker_error("reach the Docker daemon"))?;
    docker
        .ping()
        .await
        .map_err(docker_error("reach the Docker daemon"))?;
    Ok(docker)
}

impl DockerSandbox {
    /// Connects to the daemon, which must answer now (tools and tests: a missing Docker is an
    /// error to report), sweeps, and starts the warm pool.
    pub async fn connect(config: DockerConfig) -> Result<DockerSandbox, SandboxError> {
        let docker = open(config.socket.as_deref()).await?;
        let sandbox = DockerSandbox::build(config, Link::Unknown);
        sandbox.inner.regained(docker).await;
        sandbox.supervise();
        Ok(sandbox)
    }

    /// A sandbox whether or not Docker answers now (the server: pages keep being served). While
    /// Docker is unreachable runs fail with [`SandboxError::Restarting`]; the sandbox reconnects
    /// by itself, sweeps and fills its warm pool.
    pub async fn start(config: DockerConfig) -> DockerSandbox {
        match open(config.socket.as_deref()).await {
            Ok(docker) => {
                let sandbox = DockerSandbox::build(config, Link::Unknown);
                sandbox.inner.regained(docker).await;
                sandbox.supervise();
                sandbox
            }
            Err(err) => {
                tracing::warn!(error = %err, "Docker cannot be reached: runs answer 503 until it can; reconnecting in the background");
                let sandbox = DockerSandbox::build(config, Link::Down(err.to_string()));
                sandbox.supervise();
                sandbox
            }
        }
    }

    fn build(config: DockerConfig, link: Link) -> DockerSandbox {
        let activity = Arc::new(Activity::default());
        let reaper = Reaper::start(config.socket.clone(), Arc::clone(&activity));
        let inner = Arc::new(Inner {
            link: RwLock::new(link),
            trouble: Arc::new(Notify::new()),
            instance: format!("{}-{}", std::process::id(), next_id()),
            owner: Owner::current(),
            config,
            reaper,
            pool: Mutex::new(VecDeque::new()),
            refill: Arc::new(Notify::new()),
            closing: AtomicBool::new(false),
            starting: AtomicUsize::new(0),
            activity,
            present: Mutex::new(BTreeSet::new()),
        });
        DockerSandbox { inner }
    }

    /// Starts the tasks that keep the link and the pool: both hold only weak references, so
    /// dropping the sandbox ends them.
    fn supervise(&self) {
        let inner = &self.inner;
        tokio::spawn(watch_daemon(
            Arc::downgrade(inner),
            Arc::clone(&inner.trouble),
        ));
        if inner.config.warm_pool > 0 {
            tokio::spawn(refill_loop(
                Arc::downgrade(inner),
                Arc::clone(&inner.refill),
            ));
        }
    }

    /// Whether Docker answered the last time the sandbox asked.
    pub fn is_connected(&self) -> bool {
        self.inner.docker().is_ok()
    }

    /// Waits until Docker is reached (or `timeout` passes); returns whether it is.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while !self.is_connected() && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.is_connected()
    }

    /// How many warm containers are ready now (for tests and the benchmark).
    pub fn warm_count(&self) -> usize {
        self.inner.pool_len()
    }

    /// The name of this instance, the value of its containers' [`INSTANCE_KEY`] label.
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    /// This instance's containers that still exist (warm ones included), once pending removals
    /// are done.
    pub async fn containers(&self) -> Result<Vec<String>, SandboxError> {
        self.inner.reaper.wait_idle(Duration::from_secs(30)).await;
        let docker = self.inner.docker()?;
        let list = list_sandbox_containers(
            &docker,
            Some(format!("{INSTANCE_KEY}={}", self.inner.instance)),
        )
        .await?;
        Ok(list.into_iter().filter_map(|c| c.id).collect())
    }

    /// The id of the image that runs `runner`'s jobs, or `None` when its image is missing (or
    /// Docker cannot be reached). Rebuilding an image changes its id, which is how caches of
    /// results tell a rebuilt runner from the old one.
    pub async fn image_id(&self, runner: &RunnerId) -> Option<String> {
        let image = self.inner.config.images.get(runner)?;
        let docker = self.inner.docker().ok()?;
        docker.inspect_image(image).await.ok()?.id
    }

    /// Waits until the warm pool is full (or `timeout` passes).
    pub async fn wait_warm(&self, timeout: Duration) {
        let until = Instant::now() + timeout;
        while self.warm_count() < self.inner.config.warm_pool && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Every container labelled as ours (and with `label`, if given), running or not.
async fn list_sandbox_containers(
    docker: &Docker,
    label: Option<String>,
) -> Result<Vec<bollard::models::ContainerSummary>, SandboxError> {
    let mut labels = vec![format!("{LABEL_KEY}={LABEL_VALUE}")];
    labels.extend(label);
    let filters = HashMap::from([("label".to_owned(), labels)]);
    docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(docker_error("list sandbox containers"))
}

/// Keeps the link to Docker: pings it while up (every [`PROBE_INTERVAL`], or at once when a job
/// saw trouble), reconnects with backoff while down.
async fn watch_daemon(inner: Weak<Inner>, trouble: Arc<Notify>) {
    let mut backoff = FIRST_BACKOFF;
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if strong.closing.load(Ordering::SeqCst) {
            return;
        }
        match strong.docker() {
            Ok(docker) => {
                drop(strong);
                tokio::select! {
                    () = trouble.notified() => {}
                    () = tokio::time::sleep(PROBE_INTERVAL) => {}
                }
                let Some(strong) = inner.upgrade() else {
                    return;
                };
                // A job may have found it lost meanwhile: then reconnect rather than ping.
                if strong.docker().is_err() {
                    continue;
                }
                if let Err(cause) = ping(&docker).await {
                    strong.lost(cause);
                }
            }
            // Bounded: a daemon that accepts but never answers must not stall reconnection.
            Err(_) => {
                match tokio::time::timeout(OPEN_TIMEOUT, open(strong.config.socket.as_deref()))
                    .await
                    .unwrap_or_else(|_| {
                        Err(SandboxError::Restarting(format!(
                            "no answer to a connection within {OPEN_TIMEOUT:?}"
                        )))
                    }) {
                    Ok(docker) => {
                        strong.regained(docker).await;
                        backoff = FIRST_BACKOFF;
                    }
                    Err(err) => {
                        strong.set_link(Link::Down(err.to_string()));
                        drop(strong);
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                    }
                }
            }
        }
    }
}

/// Whether Docker answers, within [`PING_TIMEOUT`]; the failure in words if not.
async fn ping(docker: &Docker) -> Result<(), String> {
    match tokio::time::timeout(PING_TIMEOUT, docker.ping()).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("no answer to a ping within {PING_TIMEOUT:?}")),
    }
}

/// Keeps the pool full. Holds only a weak reference, so dropping the sandbox ends it.
async fn refill_loop(inner: Weak<Inner>, refill: Arc<Notify>) {
    let expiry_check = match inner.upgrade() {
        Some(inner) => (inner.config.idle_lifetime / 4).min(EXPIRY_CHECK),
        None => return,
    };
    loop {
        {
            let Some(inner) = inner.upgrade() else { return };
            if inner.closing.load(Ordering::SeqCst) {
                return;
            }
            inner.expire();
            let activity = Arc::clone(&inner.activity);
            let closing = || inner.closing.load(Ordering::SeqCst);
            activity.settled(closing).await;
            if inner.docker().is_ok()
                && inner.known(&inner.config.default_image())
                && let Err(err) = inner.fill().await
            {
                // While Docker is away the supervisor says so once; this says only the rest.
                let err = inner.explain(err).await;
                if err.retry_after().is_none() {
                    tracing::warn!(error = %err, "cannot start a warm sandbox container; retrying in 2 s");
                }
                drop(inner);
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        }
        tokio::select! {
            () = refill.notified() => {}
            () = tokio::time::sleep(expiry_check) => {}
        }
    }
}

impl Inner {
    /// A client for the daemon, or [`SandboxError::Restarting`] while it cannot be reached.
    fn docker(&self) -> Result<Docker, SandboxError> {
        match &*self.link.read().unwrap_or_else(|e| e.into_inner()) {
            Link::Up(docker) => Ok(docker.clone()),
            Link::Down(cause) => Err(SandboxError::Restarting(cause.clone())),
            Link::Unknown => Err(SandboxError::Restarting("not connected yet".into())),
        }
    }

    fn set_link(&self, link: Link) {
        *self.link.write().unwrap_or_else(|e| e.into_inner()) = link;
    }

    /// Docker stopped answering: runs fail fast from now on, and the warm containers (whose
    /// attachments died with the connection) are dropped; their guards hand them to the
    /// reaper, which removes them once Docker is back.
    fn lost(&self, cause: String) {
        let was_up = {
            let mut link = self.link.write().unwrap_or_else(|e| e.into_inner());
            let was_up = matches!(*link, Link::Up(_));
            *link = Link::Down(cause.clone());
            was_up
        };
        // Several failing jobs may notice the same loss; it is told and handled once.
        if !was_up {
            return;
        }
        tracing::warn!(%cause, "Docker stopped answering: runs answer 503 until it is back; reconnecting");
        let idle: Vec<Warm> = self
            .pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect();
        drop(idle);
        self.trouble.notify_one();
    }

    /// Docker answers (again): sweep, look the images up, and refill the pool.
    async fn regained(&self, docker: Docker) {
        let again = matches!(
            &*self.link.read().unwrap_or_else(|e| e.into_inner()),
            Link::Down(_)
        );
        if again {
            tracing::info!("Docker answers again: runs are served");
        }
        self.set_link(Link::Up(docker.clone()));
        if let Err(err) = self.sweep(&docker).await {
            tracing::warn!(error = %err, "cannot sweep leftover sandbox containers");
        }
        let mut present = BTreeSet::new();
        for (runner, image) in &self.config.images {
            if docker.inspect_image(image).await.is_ok() {
                present.insert(image.clone());
            } else {
                tracing::warn!(
                    %runner,
                    %image,
                    "a runner image is missing: its runs will say so until `cargo xtask images` builds it"
                );
            }
        }
        *self.present.lock().unwrap_or_else(|e| e.into_inner()) = present;
        self.refill.notify_one();
    }

    /// Removes this instance's containers that no guard holds (left when Docker was lost) and,
    /// if configured, orphans of instances that are provably gone. Never a live instance's.
    async fn sweep(&self, docker: &Docker) -> Result<(), SandboxError> {
        let mut removed = 0;
        for container in list_sandbox_containers(docker, None).await? {
            let labels = container.labels.unwrap_or_default();
            let Some(name) = container
                .names
                .iter()
                .flatten()
                .next()
                .map(|n| n.trim_start_matches('/').to_owned())
            else {
                continue;
            };
            let ours = labels.get(INSTANCE_KEY) == Some(&self.instance);
            let doomed = if ours {
                !self.reaper.owns(&name)
            } else {
                self.config.sweep_on_start && self.orphaned(&labels)
            };
            if doomed {
                tracing::info!(%name, ours, "removing a leftover sandbox container");
                self.reaper.remove(name);
                removed += 1;
            }
        }
        if removed > 0 {
            self.reaper.wait_idle(Duration::from_secs(30)).await;
        }
        Ok(())
    }

    /// Whether a container's owner process is provably gone.
    fn orphaned(&self, labels: &HashMap<String, String>) -> bool {
        let (Some(here), Some(owner)) = (&self.owner, Owner::from_labels(labels)) else {
            return false;
        };
        owner.liveness(here, process_start) == Liveness::Gone
    }

    /// What a failed Docker call means: if Docker no longer answers, the link is marked down and
    /// the student is told the runner is restarting; otherwise the error stands.
    async fn explain(&self, err: SandboxError) -> SandboxError {
        if !matches!(err, SandboxError::Docker { .. } | SandboxError::Protocol(_)) {
            return err;
        }
        let docker = match self.docker() {
            Ok(docker) => docker,
            Err(down) => return down,
        };
        match ping(&docker).await {
            Ok(()) => err,
            Err(cause) => {
                tracing::warn!(error = %err, "a Docker call failed and Docker no longer answers");
                self.lost(cause.clone());
                SandboxError::Restarting(cause)
            }
        }
    }

    async fn fill(&self) -> Result<(), SandboxError> {
        loop {
            // Counted before checking `closing`: shutdown sets `closing` and then waits for
            // `starting` to reach 0, so one of the two always sees the other.
            self.starting.fetch_add(1, Ordering::SeqCst);
            if self.closing.load(Ordering::SeqCst)
                || self.activity.busy()
                || self.pool_len() >= self.config.warm_pool
            {
                self.starting.fetch_sub(1, Ordering::SeqCst);
                return Ok(());
            }
            let started = self.start_idle().await;
            let result = started.map(|warm| {
                let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
                // Once closing (or Docker lost meanwhile), `warm` is dropped here instead:
                // removed.
                if !self.closing.load(Ordering::SeqCst) && self.docker().is_ok() {
                    pool.push_back(warm);
                }
            });
            self.starting.fetch_sub(1, Ordering::SeqCst);
            result?;
        }
    }

    fn pool_len(&self) -> usize {
        self.pool.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether a warm container is near the end of its idle lifetime, after which its helper
    /// gives up waiting and the container dies: it is then replaced, never handed a job.
    fn stale(&self, warm: &Warm) -> bool {
        let margin = (self.config.idle_lifetime / 4).min(Duration::from_secs(120));
        warm.started.elapsed() + margin >= self.config.idle_lifetime
    }

    /// Drops (so retires) the warm containers near the end of their idle lifetime; the refill
    /// replaces them. Without it an idle server's pool would turn into dead containers.
    fn expire(&self) {
        let stale: VecDeque<Warm> = {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            let (stale, fresh): (VecDeque<Warm>, VecDeque<Warm>) =
                pool.drain(..).partition(|warm| self.stale(warm));
            *pool = fresh;
            stale
        };
        if !stale.is_empty() {
            tracing::debug!(
                count = stale.len(),
                "replacing warm containers near their idle lifetime"
            );
        }
    }

    /// A warm container, fresh enough to outlive a job; `None` if the pool is empty.
    fn take_warm(&self) -> Option<Warm> {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        let taken = loop {
            let warm = pool.pop_front()?;
            if !self.stale(&warm) {
                break Some(warm);
            }
            // Too old: dropping removes it.
        };
        drop(pool);
        self.refill.notify_one();
        taken
    }

    fn container_body(&self, image: &str, cmd: Vec<String>) -> ContainerCreateBody {
        let limits = &self.config.limits;
        let memory = (limits.memory_mb * 1024 * 1024) as i64;
        ContainerCreateBody {
            image: Some(image.to_owned()),
            cmd: Some(cmd),
            user: Some(RUNNER_USER.into()),
            working_dir: Some("/tmp".into()),
            env: Some(vec!["HOME=/tmp".into(), "TMPDIR=/tmp".into()]),
            labels: Some(
                [
                    (LABEL_KEY.into(), LABEL_VALUE.into()),
                    (INSTANCE_KEY.into(), self.instance.clone()),
                ]
                .into_iter()
                .chain(self.owner.iter().flat_map(Owner::labels))
                .collect(),
            ),
            network_disabled: Some(true),
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            open_stdin: Some(true),
            stdin_once: Some(true),
            host_config: Some(HostConfig {
                network_mode: Some("none".into()),
                memory: Some(memory),
                // Equal to memory: no swap.
                memory_swap: Some(memory),
                pids_limit: Some(limits.pids),
                nano_cpus: Some((limits.millicpus * 1_000_000) as i64),
                cap_drop: Some(vec!["ALL".into()]),
                security_opt: Some(vec!["no-new-privileges".into()]),
                readonly_rootfs: Some(true),
                tmpfs: Some(HashMap::from([(
                    "/tmp".into(),
                    format!("rw,exec,nosuid,nodev,size={}m,mode=1777", limits.tmpfs_mb),
                )])),
                shm_size: Some(16 * 1024 * 1024),
                // Not `AutoRemove`: Docker would remove a used container the moment it ends, in
                // the middle of a burst, on the cores the compilers need. The reaper kills it
                // at once and removes it when jobs settle; a killed server's leftovers are dead
                // containers, which the next start's orphan sweep removes.
                auto_remove: Some(false),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// Creates a container; the guard exists before the request so that a drop mid-way still
    /// removes it.
    async fn create(&self, body: ContainerCreateBody) -> Result<ContainerGuard, SandboxError> {
        let docker = self.docker()?;
        let guard = ContainerGuard::new(self.reaper.clone());
        docker
            .create_container(
                Some(CreateContainerOptions {
                    name: Some(guard.name.clone()),
                    ..Default::default()
                }),
                body,
            )
            .await
            .map_err(docker_error("create a sandbox container"))?;
        Ok(guard.created())
    }

    /// A container whose helper is started and attached, waiting for a job on its stdin.
    async fn start_session(&self, image: &str) -> Result<Session, SandboxError> {
        let idle = self.config.idle_lifetime.as_secs().max(60).to_string();
        let guard = self
            .create(self.container_body(image, vec![HELPER.into(), idle, "--park".into()]))
            .await?;
        let docker = self.docker()?;
        // Attach before starting so that no output is missed.
        let attached = docker
            .attach_container(
                &guard.name,
                Some(AttachContainerOptions {
                    stream: true,
                    stdin: true,
                    stdout: true,
                    stderr: true,
                    ..Default::default()
                }),
            )
            .await
            .map_err(docker_error("attach to a sandbox container"))?;
        docker
            .start_container(&guard.name, None)
            .await
            .map_err(docker_error("start a sandbox container"))?;
        Ok(Session {
            guard,
            output: attached.output,
            input: attached.input,
        })
    }

    async fn start_idle(&self) -> Result<Warm, SandboxError> {
        Ok(Warm {
            session: self.start_session(&self.config.default_image()).await?,
            started: Instant::now(),
        })
    }

    /// A container ready for `job`: a warm one if there is one (then `true`), else one started
    /// now (a container per run).
    async fn open(&self, image: &str) -> Result<(Session, bool), SandboxError> {
        // The warm pool holds the default runner's containers: the common case.
        if image == self.config.default_image()
            && let Some(warm) = self.take_warm()
        {
            return Ok((warm.session, true));
        }
        Ok((self.start_session(image).await?, false))
    }

    /// Whether `image` is known to exist, without asking Docker.
    fn known(&self, image: &str) -> bool {
        self.present
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(image)
    }

    /// Whether `image` exists; a missing one is looked for again each time. When the default
    /// runner's image appears, the warm pool starts filling.
    async fn image_present(&self, image: &str) -> Result<bool, SandboxError> {
        if self.known(image) {
            return Ok(true);
        }
        let found = match self.docker()?.inspect_image(image).await {
            Ok(_) => true,
            Err(err) if status_code(&err).is_some() => false,
            Err(err) => {
                return Err(self
                    .explain(docker_error("look for a runner image")(err))
                    .await);
            }
        };
        if found {
            self.present
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(image.to_owned());
            if image == self.config.default_image() {
                self.refill.notify_one();
            }
        }
        Ok(found)
    }

    async fn execute(&self, job: Job, mut io: JobIo) -> Result<Report, SandboxError> {
        let started = Instant::now();
        let (Some(spec), Some(image)) = (
            runners::get(job.runner.as_str()),
            self.config.images.get(&job.runner),
        ) else {
            return Ok(unavailable(&job, &self.config.limits));
        };
        // Fail fast while Docker is down: the student is told to try again shortly.
        self.docker()?;
        if !self.image_present(image).await? {
            return Ok(unavailable(&job, &self.config.limits));
        }
        let plan = crate::plan::plan(&job, spec, &self.config.limits)
            .map_err(|e| SandboxError::Invalid(e.into()))?;
        let _ = io.events.send(Event::Compiling);
        let _busy = self.activity.begin();
        let encoded = plan.encode();
        let run = match self.run_once(image, &encoded, started, &job, &mut io).await {
            Ok(run) => run,
            Err(err) => return Err(self.explain(err).await),
        };
        let vanished = run.supervisor_vanished(&job);
        let mut report = match run.finish(&job) {
            Ok(report) => report,
            Err(err) => return Err(self.explain(err).await),
        };
        // A helper that vanished mid-run is the program's doing, unless Docker went with it:
        // then the student is told to run again, not blamed.
        if vanished {
            let docker = self.docker()?;
            if let Err(cause) = ping(&docker).await {
                self.lost(cause.clone());
                return Err(SandboxError::Restarting(cause));
            }
        }
        crate::plan::refine(&job, spec, &mut report);
        Ok(report)
    }

    /// Drives `job` in a container. A container that died or vanished before it said anything
    /// (a warm one killed or removed by someone, or whose attachment was lost; a fresh one removed
    /// by a careless sweep) is replaced once by a fresh container, so the student sees a normal
    /// run. Stops and timeouts are never retried.
    async fn run_once(
        &self,
        image: &str,
        encoded: &[u8],
        started: Instant,
        job: &Job,
        io: &mut JobIo,
    ) -> Result<Run, SandboxError> {
        let (session, warm) = self.open(image).await?;
        let mut run = Run::new(self.config.limits.clone(), started, job);
        run.drive(session, encoded.to_vec(), job, io).await?;
        if run.heard_nothing() {
            tracing::info!(
                warm,
                "a sandbox container died before saying anything; running the job on a fresh one"
            );
            let session = self.start_session(image).await?;
            run = Run::new(self.config.limits.clone(), started, job);
            run.drive(session, encoded.to_vec(), job, io).await?;
        }
        Ok(run)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Warm containers' guards remove them as the pool is dropped.
        self.closing.store(true, Ordering::SeqCst);
    }
}

impl Sandbox for DockerSandbox {
    /// The names the reaper's guards hold: the set sweeps already consult, so nothing is
    /// counted twice.
    fn containers_alive(&self) -> usize {
        self.inner.reaper.held()
    }

    fn image_id<'a>(&'a self, runner: &'a RunnerId) -> BoxFuture<'a, Option<String>> {
        Box::pin(DockerSandbox::image_id(self, runner))
    }

    fn runners(&self) -> BoxFuture<'_, Vec<crate::RunnerStatus>> {
        Box::pin(async move {
            let mut statuses = Vec::new();
            for spec in runners::all() {
                let present = match self.inner.config.images.get(&spec.id) {
                    // While Docker is unreachable nothing can be known: the Run buttons stay,
                    // and a run is answered with "restarting, try again" (then, once Docker is
                    // back, with the missing image's sentence if it is missing).
                    Some(image) => self.inner.image_present(image).await.unwrap_or(true),
                    None => false,
                };
                statuses.push(crate::RunnerStatus {
                    id: spec.id.clone(),
                    available: if present {
                        Ok(())
                    } else {
                        Err(crate::runner_unavailable(&spec.id))
                    },
                });
            }
            statuses
        })
    }

    fn execute(&self, job: Job, io: JobIo) -> BoxFuture<'_, Result<Report, SandboxError>> {
        Box::pin(self.inner.execute(job, io))
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            self.inner.closing.store(true, Ordering::SeqCst);
            self.inner.refill.notify_one();
            // A container being started now would land in the pool after it was emptied.
            let until = Instant::now() + Duration::from_secs(30);
            while self.inner.starting.load(Ordering::SeqCst) > 0 && Instant::now() < until {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let idle: Vec<Warm> = self
                .inner
                .pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drain(..)
                .collect();
            drop(idle);
            // No job will run again: what waits for quiet is removed now.
            self.inner.reaper.flush();
            // Nothing can be removed while Docker is away: waiting would only delay the exit.
            // The containers end by themselves (their attachments are gone, so their helpers
            // read end of file) and `AutoRemove` or the next server's orphan sweep removes them.
            if self.inner.docker().is_ok() {
                self.inner.reaper.wait_idle(Duration::from_secs(30)).await;
            } else {
                tracing::warn!(
                    "Docker is unreachable at shutdown: sandbox containers are left to AutoRemove and the next start's sweep"
                );
            }
        })
    }

    fn limits(&self) -> &Limits {
        &self.inner.config.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_pool_grows_with_memory_within_its_bounds() {
        // Unknown memory: the old fixed pool.
        assert_eq!(warm_pool_for_memory(None), MIN_WARM_POOL);
        // A small machine (1 GiB available): 1/16 is 64 MiB, two containers.
        assert_eq!(warm_pool_for_memory(Some(1024)), 2);
        assert_eq!(warm_pool_for_memory(Some(0)), MIN_WARM_POOL);
        // 8 GiB: 512 MiB for the pool, 16 containers.
        assert_eq!(warm_pool_for_memory(Some(8 * 1024)), 16);
        // This project's 24 GiB machines (about 21.4 GiB available): 42, enough for 30 at once.
        assert_eq!(warm_pool_for_memory(Some(21_944)), 42);
        // A big server stops at the cap.
        assert_eq!(warm_pool_for_memory(Some(1 << 30)), MAX_WARM_POOL);
    }

    #[test]
    fn available_memory_is_read_on_linux() {
        if std::path::Path::new("/proc/meminfo").exists() {
            assert!(available_memory_mib().is_some_and(|mib| mib > 0));
        }
    }
}
