//! The one execution service: admission, the queue deadline, the sandbox, Stop and shutdown,
//! written once. `POST /api/execute` collects what it reports; `/api/ws` streams it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use api_types::{Outcome, Phase, ServerMessage, Timings};
use sandbox::{
    Control, Event, ExplainContext, Job, JobIo, Report, Sandbox, SandboxError, StopReason,
};
use tokio::sync::{mpsc, watch};

use crate::admission::{Admission, ClientKey, Refused};
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
    shutdown: Arc<watch::Sender<bool>>,
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

    /// Runs `job` for `client`: waits for a slot (reporting [`ServerMessage::Queued`]), runs it
    /// (reporting its progress and output), and returns its report. `controls` carries stdin and
    /// Stop from the client, while it waits or runs. Dropping the future drops the execution, and
    /// the sandbox removes its container. Every call is counted in [`Runner::metrics`].
    pub async fn execute(
        &self,
        client: &ClientKey,
        job: Job,
        updates: mpsc::UnboundedSender<ServerMessage>,
        controls: mpsc::UnboundedReceiver<Control>,
    ) -> Result<Report, ExecutionError> {
        // Dropped unfinished (the client left), the record counts the execution as abandoned.
        let record = self.metrics.run_started(&job.runner, job.action);
        let result = self.admit_and_run(client, job, updates, controls).await;
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

    async fn admit_and_run(
        &self,
        client: &ClientKey,
        job: Job,
        updates: mpsc::UnboundedSender<ServerMessage>,
        mut controls: mpsc::UnboundedReceiver<Control>,
    ) -> Result<Report, ExecutionError> {
        if *self.shutting_down().borrow() {
            return Err(ExecutionError::Busy(Refused::ShuttingDown));
        }
        let arrived = Instant::now();
        let mut ticket = self.admission.enter(client).map_err(ExecutionError::Busy)?;
        let mut shutdown = self.shutting_down();
        let mut controls_open = true;
        let mut early: Vec<Control> = Vec::new();

        let permit = if ticket.is_immediate() {
            ticket.permit().await
        } else {
            let queue_limit = self.admission.config().queue_timeout;
            let mut position = ticket.position.clone();
            let _ = updates.send(ServerMessage::Queued {
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
                        let _ = updates.send(ServerMessage::Queued { position: *position.borrow_and_update() });
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
                    let _ = updates.send(server_message(event));
                }
                report = &mut execution => break report,
                received = controls.recv(), if controls_open => match received {
                    Some(c) => { let _ = control.send(c); }
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
            let _ = updates.send(server_message(event));
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
