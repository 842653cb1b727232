//! The one execution service: admission, the queue deadline, the sandbox, Stop and shutdown,
//! written once. `POST /api/execute` collects what it reports; `/api/ws` streams it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use api_types::{CacheSource, CachedInfo, ExecuteRequest, Outcome, Phase, ServerMessage, Timings};
use sandbox::{
    Control, Event, ExplainContext, Job, JobIo, Report, Sandbox, SandboxError, StopReason,
};
use tokio::sync::{mpsc, watch};

use crate::admission::{Admission, ClientKey, Refused};
use crate::cache::{
    CacheKey, CachedRun, EntryState, Hit, ResultCache, Role, Shared, cacheable, log_message,
    needs_confirmation, nondeterminism,
};
use crate::config::AdmissionConfig;
use crate::metrics::{Metrics, RunOutcome};

/// Everything needed to run code: the sandbox, admission, and the shutdown signal.
#[derive(Clone)]
pub struct Runner {
    pub sandbox: Arc<dyn Sandbox>,
    pub admission: Arc<Admission>,
    /// Identify clients by `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_forwarded_for: bool,
    /// The server's metrics: the executions' own, and the HTTP layer's (kept here so that every
    /// app state has exactly one registry).
    pub metrics: Arc<Metrics>,
    /// Answers kept and shared (see `cache.rs`); `None` runs everything.
    pub cache: Option<Arc<ResultCache>>,
    shutdown: Arc<watch::Sender<bool>>,
}

/// What an execution answered, and where the answer came from when it did not run for it.
#[derive(Debug)]
pub struct Executed {
    pub report: Report,
    pub cached: Option<CachedInfo>,
}

/// The messages of one execution on their way to the client, and what the replay log keeps.
struct Transcript {
    updates: mpsc::UnboundedSender<ServerMessage>,
    log: Vec<ServerMessage>,
    /// The client sent stdin while it waited or ran: the answer is its own, never stored.
    used_stdin: bool,
}

impl Transcript {
    fn send(&mut self, message: ServerMessage) {
        log_message(&mut self.log, &message);
        let _ = self.updates.send(message);
    }

    fn forwarded(&mut self, control: &Control) {
        self.used_stdin |= matches!(control, Control::Stdin(_) | Control::CloseStdin);
    }
}

/// How waiting for an identical execution in flight ended.
enum Followed {
    Answer(Hit),
    /// Run it yourself, with what the client said meanwhile.
    NotShared(Vec<Control>),
    Stopped(Box<Report>),
}

/// Why an execution did not happen at all.
#[derive(Debug, thiserror::Error)]
pub enum ExecutionError {
    /// Admission refused it (queue full, too many from this client, shutting down).
    #[error("{0}")]
    Busy(Refused),
    /// The sandbox failed: the server's fault, not the code's.
    #[error("{0}")]
    Sandbox(#[from] SandboxError),
}

impl Runner {
    pub fn new(sandbox: Arc<dyn Sandbox>, admission: AdmissionConfig) -> Runner {
        Runner {
            sandbox,
            admission: Admission::new(admission),
            trust_forwarded_for: false,
            metrics: Arc::new(Metrics::new()),
            cache: None,
            shutdown: Arc::new(watch::channel(false).0),
        }
    }

    /// A runner whose every execution fails with `reason` (no Docker, or turned off).
    pub fn unavailable(reason: &str) -> Runner {
        Runner::new(
            Arc::new(sandbox::Unavailable::new(reason)),
            AdmissionConfig::default(),
        )
    }

    /// Stops running executions (they end as `killed`) and refuses new ones; WebSockets close.
    pub fn begin_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    pub fn shutting_down(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }

    /// Answers `job` for `client`: from the result cache, from an identical execution in flight,
    /// or by running it (`fresh` skips the first two). Running waits for a slot (reporting
    /// [`ServerMessage::Queued`]), runs (reporting progress and output) and returns the report;
    /// an answer that did not run replays the stored messages after [`ServerMessage::Cached`].
    /// `controls` carries stdin and Stop from the client, while it waits or runs. Dropping the
    /// future drops the execution, and the sandbox removes its container. Every run is counted
    /// in [`Runner::metrics`].
    pub async fn execute(
        &self,
        client: &ClientKey,
        job: Job,
        fresh: bool,
        updates: mpsc::UnboundedSender<ServerMessage>,
        mut controls: mpsc::UnboundedReceiver<Control>,
    ) -> Result<Executed, ExecutionError> {
        let mut transcript = Transcript {
            updates,
            log: Vec::new(),
            used_stdin: false,
        };
        let Some((cache, key)) = self.cache_key(&job).await else {
            let report = self
                .run_counted(client, job, &mut transcript, controls, Vec::new())
                .await?;
            return Ok(Executed {
                report,
                cached: None,
            });
        };
        let mut leader = None;
        let mut early = Vec::new();
        if !fresh {
            match cache.lookup(&key).await {
                Ok(Some(hit)) => {
                    self.metrics.cache_hit();
                    return Ok(self.replay(&cache, hit, CacheSource::Stored, &mut transcript));
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(%err, "the result cache cannot be read; running"),
            }
            match cache.join(&key) {
                Role::Leader(guard) => leader = Some(guard),
                Role::Follower(answer) => match self.follow(answer, &job, &mut controls).await {
                    Followed::Answer(hit) => {
                        self.metrics.cache_hit();
                        return Ok(self.replay(&cache, hit, CacheSource::Shared, &mut transcript));
                    }
                    Followed::Stopped(report) => {
                        return Ok(Executed {
                            report: *report,
                            cached: None,
                        });
                    }
                    Followed::NotShared(said) => early = said,
                },
            }
        }
        self.metrics.cache_miss();
        let confirm = needs_confirmation(job.action);
        let result = self
            .run_counted(client, job, &mut transcript, controls, early)
            .await;
        let shared = match &result {
            Ok(report) if !transcript.used_stdin && cacheable(&report.result.outcome) => {
                let run = CachedRun::new(report, std::mem::take(&mut transcript.log));
                if let Err(err) = cache.record(&key, &run, confirm).await {
                    tracing::warn!(%err, "the result cache cannot be written");
                }
                Shared::Answer(Hit {
                    run: Arc::new(run),
                    ran_at_ms: cache.now_ms(),
                })
            }
            _ => Shared::NotShared,
        };
        if let Some(leader) = leader {
            leader.finish(shared);
        }
        Ok(Executed {
            report: result?,
            cached: None,
        })
    }

    /// The cache and `job`'s key, when its answer may be kept: a cache is configured, the
    /// runner's image is known and the program does not look as if its output varied.
    async fn cache_key(&self, job: &Job) -> Option<(Arc<ResultCache>, CacheKey)> {
        let cache = self.cache.clone()?;
        if let Some(marker) = nondeterminism(job) {
            tracing::debug!(marker, "not cached: the output may vary between runs");
            return None;
        }
        let image = cache.image_id(&*self.sandbox, &job.runner).await?;
        let key = crate::cache::key(job, &image, self.sandbox.limits());
        Some((cache, key))
    }

    /// Sends an answer that did not run for this request, as the socket would have streamed it.
    fn replay(
        &self,
        cache: &ResultCache,
        hit: Hit,
        source: CacheSource,
        transcript: &mut Transcript,
    ) -> Executed {
        let info = CachedInfo {
            source,
            ran_at: hit.ran_at_ms / 1000,
            age_secs: cache.now_ms().saturating_sub(hit.ran_at_ms) / 1000,
        };
        let _ = transcript.updates.send(ServerMessage::Cached(info.clone()));
        for message in &hit.run.messages {
            let _ = transcript.updates.send(message.clone());
        }
        Executed {
            report: hit.run.report(),
            cached: Some(info),
        }
    }

    /// Waits for the identical execution in flight, unless the client stops, types, or the
    /// server shuts down first.
    async fn follow(
        &self,
        mut answer: watch::Receiver<Option<Shared>>,
        job: &Job,
        controls: &mut mpsc::UnboundedReceiver<Control>,
    ) -> Followed {
        let arrived = Instant::now();
        let mut shutdown = self.shutting_down();
        let mut controls_open = true;
        loop {
            tokio::select! {
                shared = answer.wait_for(Option::is_some) => {
                    let shared = shared.ok().and_then(|s| s.clone());
                    return match shared {
                        Some(Shared::Answer(hit)) => Followed::Answer(hit),
                        Some(Shared::NotShared) | None => Followed::NotShared(Vec::new()),
                    };
                }
                control = controls.recv(), if controls_open => match control {
                    Some(Control::Stop(reason)) => {
                        let report = self.without_run(Outcome::Killed, job, reason, arrived.elapsed());
                        return Followed::Stopped(Box::new(report));
                    }
                    // Input for the program: this client's run is its own.
                    Some(input) => return Followed::NotShared(vec![input]),
                    None => controls_open = false,
                },
                () = stopped(&mut shutdown) => {
                    let report = self.without_run(Outcome::Killed, job, StopReason::Shutdown, arrived.elapsed());
                    return Followed::Stopped(Box::new(report));
                }
            }
        }
    }

    /// Runs `job` through admission and the sandbox, counted in the metrics. `early` holds
    /// controls the client sent before (while it followed an identical execution).
    async fn run_counted(
        &self,
        client: &ClientKey,
        job: Job,
        transcript: &mut Transcript,
        controls: mpsc::UnboundedReceiver<Control>,
        early: Vec<Control>,
    ) -> Result<Report, ExecutionError> {
        // Dropped unfinished (the client left), the record counts the execution as abandoned.
        let record = self.metrics.run_started(&job.runner, job.action);
        let result = self
            .admit_and_run(client, job, transcript, controls, early)
            .await;
        let outcome = match &result {
            Ok(report) => RunOutcome::of(&report.result.outcome),
            Err(ExecutionError::Busy(refused)) => {
                self.metrics.refused(refused);
                RunOutcome::Refused
            }
            Err(ExecutionError::Sandbox(_)) => RunOutcome::SandboxError,
        };
        record.finish(outcome);
        result
    }

    /// Runs the content's examples once the server is idle, one at a time, twice each when the
    /// program runs (the second run confirms the first), so that a class pressing Run on an
    /// unchanged example is answered from the cache. Skips what is already confirmed (or known
    /// to vary), so a restart with a kept store costs nothing.
    pub async fn warm(&self, requests: Vec<ExecuteRequest>) {
        if self.cache.is_none() {
            return;
        }
        // Docker may still be coming up (or down): wait for it rather than skip every example.
        while self
            .sandbox
            .image_id(&api_types::RunnerId::default())
            .await
            .is_none()
        {
            if *self.shutting_down().borrow() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        let client = ClientKey::new("warming", None);
        let (mut warmed, mut skipped) = (0usize, 0usize);
        for request in requests {
            let Ok(job) = Job::from_request(request, false) else {
                continue;
            };
            for _attempt in 0..2 {
                if !self.wait_until_idle().await {
                    return;
                }
                let Some((cache, key)) = self.cache_key(&job).await else {
                    skipped += 1;
                    break;
                };
                match cache.state(&key).await {
                    Ok(Some(EntryState::Confirmed | EntryState::Varies)) | Err(_) => break,
                    Ok(Some(EntryState::Candidate) | None) => {}
                }
                let (updates, _) = mpsc::unbounded_channel();
                let (_controls, controls) = mpsc::unbounded_channel();
                match self
                    .execute(&client, job.clone(), true, updates, controls)
                    .await
                {
                    Ok(_) => warmed += 1,
                    Err(err) => {
                        tracing::debug!(%err, "warming: an example did not run");
                        break;
                    }
                }
            }
        }
        tracing::info!(
            runs = warmed,
            skipped,
            "result cache warmed with the content's examples"
        );
    }

    /// Waits until nothing runs or waits, so warming never takes a slot a student is waiting
    /// for. `false` when the server shuts down.
    async fn wait_until_idle(&self) -> bool {
        loop {
            if *self.shutting_down().borrow() {
                return false;
            }
            let load = self.admission.load();
            if load.running == 0 && load.waiting == 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn admit_and_run(
        &self,
        client: &ClientKey,
        job: Job,
        updates: &mut Transcript,
        mut controls: mpsc::UnboundedReceiver<Control>,
        mut early: Vec<Control>,
    ) -> Result<Report, ExecutionError> {
        if *self.shutting_down().borrow() {
            return Err(ExecutionError::Busy(Refused::ShuttingDown));
        }
        let arrived = Instant::now();
        let mut ticket = self.admission.enter(client).map_err(ExecutionError::Busy)?;
        let mut shutdown = self.shutting_down();
        let mut controls_open = true;

        let permit = if ticket.is_immediate() {
            ticket.permit().await
        } else {
            let queue_limit = self.admission.config().queue_timeout;
            let mut position = ticket.position.clone();
            updates.send(ServerMessage::Queued {
                position: *position.borrow_and_update(),
            });
            let waiting = ticket.permit();
            tokio::pin!(waiting);
            let deadline = tokio::time::sleep(queue_limit);
            tokio::pin!(deadline);
            loop {
                tokio::select! {
                    permit = &mut waiting => break permit,
                    Ok(()) = position.changed() => {
                        updates.send(ServerMessage::Queued { position: *position.borrow_and_update() });
                    }
                    control = controls.recv(), if controls_open => match control {
                        Some(Control::Stop(reason)) => {
                            return Ok(self.without_run(Outcome::Killed, &job, reason, arrived.elapsed()));
                        }
                        Some(other) => early.push(other),
                        None => controls_open = false,
                    },
                    () = &mut deadline => {
                        let outcome = Outcome::TimedOut { phase: Phase::Queue, limit_ms: millis(queue_limit) };
                        return Ok(self.without_run(outcome, &job, StopReason::User, queue_limit));
                    }
                    () = stopped(&mut shutdown) => {
                        return Ok(self.without_run(Outcome::Killed, &job, StopReason::Shutdown, arrived.elapsed()));
                    }
                }
            }
        };
        let queued = arrived.elapsed();
        self.metrics.waited(queued);
        let runner = job.runner.clone();
        // Which phases began, so durations are observed only for phases that happened.
        let (mut compiling, mut running) = (false, false);

        let (events_tx, mut events) = mpsc::unbounded_channel();
        let (control, control_rx) = mpsc::unbounded_channel();
        for early in early {
            updates.forwarded(&early);
            let _ = control.send(early);
        }
        let execution = self.sandbox.execute(
            job,
            JobIo {
                events: events_tx,
                control: control_rx,
            },
        );
        tokio::pin!(execution);
        let mut stopping = false;
        let report = loop {
            tokio::select! {
                // Events first, so that output is reported before the end.
                biased;
                Some(event) = events.recv() => {
                    compiling |= event == Event::Compiling;
                    running |= event == Event::Running;
                    updates.send(server_message(event));
                }
                report = &mut execution => break report,
                received = controls.recv(), if controls_open => match received {
                    Some(c) => { updates.forwarded(&c); let _ = control.send(c); }
                    None => controls_open = false,
                },
                () = stopped(&mut shutdown), if !stopping => {
                    stopping = true;
                    let _ = control.send(Control::Stop(StopReason::Shutdown));
                }
            }
        };
        drop(permit);
        while let Ok(event) = events.try_recv() {
            compiling |= event == Event::Compiling;
            running |= event == Event::Running;
            updates.send(server_message(event));
        }
        let mut report = report?;
        let timings = report.result.timings;
        if compiling {
            self.metrics
                .compiled(&runner, Duration::from_millis(timings.compile_ms));
        }
        if running {
            self.metrics
                .ran(&runner, Duration::from_millis(timings.run_ms));
        }
        let ms = millis(queued);
        report.result.timings.queued_ms = ms;
        report.result.timings.total_ms += ms;
        Ok(report)
    }

    /// The report of a job that ended before it ran (Stop or shutdown while queued, queue
    /// timeout).
    fn without_run(
        &self,
        outcome: Outcome,
        job: &Job,
        stop: StopReason,
        waited: Duration,
    ) -> Report {
        let explanation = sandbox::explain(
            &outcome,
            &ExplainContext {
                action: job.action,
                limits: self.sandbox.limits(),
                phase: Phase::Queue,
                compile_errors: 0,
                lints: 0,
                stop: Some(stop),
                stdout_truncated: false,
                stderr_truncated: false,
                stderr: "",
            },
        );
        let ms = millis(waited);
        let mut report = Report::ended(outcome, explanation);
        report.result.timings = Timings {
            queued_ms: ms,
            total_ms: ms,
            ..Timings::default()
        };
        report
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Resolves once the server begins to shut down.
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|down| *down).await.is_err() {
        // The sender lives as long as the app; if it is gone, nobody will ever shut us down.
        std::future::pending::<()>().await;
    }
}

fn server_message(event: Event) -> ServerMessage {
    match event {
        Event::Compiling => ServerMessage::Compiling,
        Event::Compiler(data) => ServerMessage::Compiler { data },
        Event::Running => ServerMessage::Running,
        Event::Stdout(data) => ServerMessage::Stdout { data },
        Event::Stderr(data) => ServerMessage::Stderr { data },
    }
}
