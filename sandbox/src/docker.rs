//! The Docker implementation of [`Sandbox`]: single-use containers, optionally pre-started.
//!
//! A container's main process is the job helper (`runner-images/stable/rmp-job.rs`), attached
//! before it starts and waiting for a job on its stdin. [`DockerConfig::warm_pool`] such
//! containers are kept ready while nothing runs; a job takes one (or starts one if none is
//! ready), and the container is destroyed afterwards. Containers are never reused.
//!
//! Removal goes through [`Reaper`], a thread with its own runtime and Docker connection, so a
//! container is removed even when the future that ran the job is dropped mid-way (client gone)
//! or its runtime is shutting down. Every container carries the label `rmp.sandbox=1`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use api_types::RunnerId;
use bollard::Docker;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    AttachContainerOptions, CreateContainerOptions, ListContainersOptions,
};
use tokio::sync::Notify;

use crate::reaper::{ContainerGuard, Reaper, next_id};
use crate::run::{Run, Session, unavailable};
use crate::{BoxFuture, Event, Job, JobIo, Limits, Report, Sandbox, SandboxError};

/// The label every sandbox container carries: `rmp.sandbox=1`.
pub const LABEL_KEY: &str = "rmp.sandbox";
pub const LABEL_VALUE: &str = "1";
const INSTANCE_KEY: &str = "rmp.instance";

const HELPER: &str = "/opt/rmp/bin/rmp-job";
/// Everything in a sandbox runs as `runner`, not root.
const RUNNER_USER: &str = "1000:1000";

/// How the Docker sandbox runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DockerConfig {
    /// The image of each runner (built by `cargo xtask images`), from the runner registry unless
    /// overridden (`RMP_RUNNER_IMAGE_<ID>`).
    pub images: BTreeMap<RunnerId, String>,
    /// Started containers kept ready; 0 creates a container per run.
    pub warm_pool: usize,
    pub limits: Limits,
    /// Remove every sandbox container at start-up: leftovers of a server that was killed.
    /// Only right when this is the only server using the daemon.
    pub sweep_on_start: bool,
    /// A warm container lives at most this long (its idle process then exits and Docker
    /// removes it), so nothing outlives a killed server for long.
    pub idle_lifetime: Duration,
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
            warm_pool: 2,
            limits: Limits::default(),
            sweep_on_start: false,
            idle_lifetime: Duration::from_secs(3600),
        }
    }
}

/// Runs jobs in Docker containers. Cheap to share behind an `Arc`.
pub struct DockerSandbox {
    inner: Arc<Inner>,
}

struct Inner {
    docker: Docker,
    /// Labels this instance's containers (`rmp.instance`), to tell them from other servers' or
    /// tests'.
    instance: String,
    config: DockerConfig,
    reaper: Reaper,
    pool: Mutex<VecDeque<Warm>>,
    refill: Arc<Notify>,
    closing: AtomicBool,
    /// Warm containers being started by the refill task; shutdown waits for them.
    starting: AtomicUsize,
    /// Executions in progress. The pool refills only when this is 0: under load, starting
    /// spare containers competes with the jobs for CPU (measured: see ARCHITECTURE.md).
    active: AtomicUsize,
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

pub(crate) async fn connect() -> Result<Docker, SandboxError> {
    let docker =
        Docker::connect_with_local_defaults().map_err(docker_error("connect to Docker"))?;
    docker
        .negotiate_version()
        .await
        .map_err(docker_error("reach the Docker daemon"))
}

impl DockerSandbox {
    /// Connects to the local daemon, sweeps leftovers if asked, and starts the warm pool.
    pub async fn connect(config: DockerConfig) -> Result<DockerSandbox, SandboxError> {
        let docker = connect().await?;
        docker
            .ping()
            .await
            .map_err(docker_error("reach the Docker daemon"))?;
        let reaper = Reaper::start();
        if config.sweep_on_start {
            for id in list_sandbox_containers(&docker, None).await? {
                tracing::info!(%id, "removing a sandbox container left by an earlier run");
                reaper.remove(id, false);
            }
            reaper.wait_idle(Duration::from_secs(30)).await;
        }
        let mut present = BTreeSet::new();
        for (runner, image) in &config.images {
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
        let refill = Arc::new(Notify::new());
        let instance = format!("{}-{}", std::process::id(), next_id());
        let inner = Arc::new(Inner {
            docker,
            instance,
            config,
            reaper,
            pool: Mutex::new(VecDeque::new()),
            refill: Arc::clone(&refill),
            closing: AtomicBool::new(false),
            starting: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            present: Mutex::new(present),
        });
        if inner.config.warm_pool > 0 {
            tokio::spawn(refill_loop(Arc::downgrade(&inner), refill));
        }
        Ok(DockerSandbox { inner })
    }

    /// How many warm containers are ready now (for tests and the benchmark).
    pub fn warm_count(&self) -> usize {
        self.inner
            .pool
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    /// This instance's containers that still exist (warm ones included), once pending removals
    /// are done.
    pub async fn containers(&self) -> Result<Vec<String>, SandboxError> {
        self.inner.reaper.wait_idle(Duration::from_secs(30)).await;
        list_sandbox_containers(
            &self.inner.docker,
            Some(format!("{INSTANCE_KEY}={}", self.inner.instance)),
        )
        .await
    }

    /// The id of the image that runs `runner`'s jobs, or `None` when its image is missing.
    /// Rebuilding an image changes its id, which is how caches of results tell a rebuilt runner
    /// from the old one.
    pub async fn image_id(&self, runner: &RunnerId) -> Option<String> {
        let image = self.inner.config.images.get(runner)?;
        self.inner.docker.inspect_image(image).await.ok()?.id
    }

    /// Waits until the warm pool is full (or `timeout` passes).
    pub async fn wait_warm(&self, timeout: Duration) {
        let until = Instant::now() + timeout;
        while self.warm_count() < self.inner.config.warm_pool && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Ids of every container labelled as ours (and with `label`, if given), running or not.
async fn list_sandbox_containers(
    docker: &Docker,
    label: Option<String>,
) -> Result<Vec<String>, SandboxError> {
    let mut labels = vec![format!("{LABEL_KEY}={LABEL_VALUE}")];
    labels.extend(label);
    let filters = HashMap::from([("label".to_owned(), labels)]);
    let list = docker
        .list_containers(Some(ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        }))
        .await
        .map_err(docker_error("list sandbox containers"))?;
    Ok(list.into_iter().filter_map(|c| c.id).collect())
}

/// Keeps the pool full. Holds only a weak reference, so dropping the sandbox ends it.
async fn refill_loop(inner: Weak<Inner>, refill: Arc<Notify>) {
    loop {
        {
            let Some(inner) = inner.upgrade() else { return };
            if inner.closing.load(Ordering::SeqCst) {
                return;
            }
            if inner.known(&inner.config.default_image())
                && let Err(err) = inner.fill().await
            {
                tracing::warn!(error = %err, "cannot start a warm sandbox container; retrying in 2 s");
                drop(inner);
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        }
        refill.notified().await;
    }
}

impl Inner {
    async fn fill(&self) -> Result<(), SandboxError> {
        loop {
            // Counted before checking `closing`: shutdown sets `closing` and then waits for
            // `starting` to reach 0, so one of the two always sees the other.
            self.starting.fetch_add(1, Ordering::SeqCst);
            if self.closing.load(Ordering::SeqCst)
                || self.active.load(Ordering::SeqCst) > 0
                || self.pool_len() >= self.config.warm_pool
            {
                self.starting.fetch_sub(1, Ordering::SeqCst);
                return Ok(());
            }
            let started = self.start_idle().await;
            let result = started.map(|warm| {
                let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
                // Once closing, `warm` is dropped here instead: removed.
                if !self.closing.load(Ordering::SeqCst) {
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

    /// A warm container, fresh enough to outlive a job; `None` if the pool is empty.
    fn take_warm(&self) -> Option<Warm> {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        let taken = loop {
            let warm = pool.pop_front()?;
            // The helper gives up waiting after the idle lifetime; leave it a margin.
            if warm.started.elapsed() + Duration::from_secs(30) < self.config.idle_lifetime {
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
            labels: Some(HashMap::from([
                (LABEL_KEY.into(), LABEL_VALUE.into()),
                (INSTANCE_KEY.into(), self.instance.clone()),
            ])),
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
                // Docker removes it by itself once its main process ends: a backstop for a
                // server killed without cleaning up.
                auto_remove: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// Creates a container; the guard exists before the request so that a drop mid-way still
    /// removes it.
    async fn create(&self, body: ContainerCreateBody) -> Result<ContainerGuard, SandboxError> {
        let guard = ContainerGuard::new(self.reaper.clone());
        self.docker
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
            .create(self.container_body(image, vec![HELPER.into(), idle]))
            .await?;
        // Attach before starting so that no output is missed.
        let attached = self
            .docker
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
        self.docker
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

    /// A container ready for `job`: a warm one if there is one, else one started now (a
    /// container per run).
    async fn open(&self, image: &str) -> Result<Session, SandboxError> {
        // The warm pool holds the default runner's containers: the common case.
        if image == self.config.default_image()
            && let Some(warm) = self.take_warm()
        {
            return Ok(warm.session);
        }
        self.start_session(image).await
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
    async fn image_present(&self, image: &str) -> bool {
        if self.known(image) {
            return true;
        }
        let found = self.docker.inspect_image(image).await.is_ok();
        if found {
            self.present
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(image.to_owned());
            if image == self.config.default_image() {
                self.refill.notify_one();
            }
        }
        found
    }

    async fn execute(&self, job: Job, mut io: JobIo) -> Result<Report, SandboxError> {
        let started = Instant::now();
        let (Some(spec), Some(image)) = (
            runners::get(job.runner.as_str()),
            self.config.images.get(&job.runner),
        ) else {
            return Ok(unavailable(&job, &self.config.limits));
        };
        if !self.image_present(image).await {
            return Ok(unavailable(&job, &self.config.limits));
        }
        let plan = crate::plan::plan(&job, spec, &self.config.limits)
            .map_err(|e| SandboxError::Invalid(e.into()))?;
        let _ = io.events.send(Event::Compiling);
        self.active.fetch_add(1, Ordering::SeqCst);
        let _active = Active(self);
        let session = self.open(image).await?;
        let mut run = Run::new(self.config.limits.clone(), started, &job);
        run.drive(session, plan.encode(), &job, &mut io).await?;
        let mut report = run.finish(&job)?;
        crate::plan::refine(&job, spec, &mut report);
        Ok(report)
    }
}

/// Counts an execution as active; the last one to finish lets the pool refill.
struct Active<'a>(&'a Inner);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        if self.0.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.refill.notify_one();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Warm containers' guards remove them as the pool is dropped.
        self.closing.store(true, Ordering::SeqCst);
    }
}

impl Sandbox for DockerSandbox {
    fn runners(&self) -> BoxFuture<'_, Vec<crate::RunnerStatus>> {
        Box::pin(async move {
            let mut statuses = Vec::new();
            for spec in runners::all() {
                let present = match self.inner.config.images.get(&spec.id) {
                    Some(image) => self.inner.image_present(image).await,
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
            self.inner.reaper.wait_idle(Duration::from_secs(30)).await;
        })
    }

    fn limits(&self) -> &Limits {
        &self.inner.config.limits
    }
}
