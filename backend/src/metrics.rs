//! `GET /metrics`: what the server is doing, for Prometheus.
//!
//! Built on `prometheus-client`, the Prometheus project's own Rust client: no global registry
//! (each [`crate::Runner`] has its own, so tests in one process do not see each other's counts),
//! label sets are typed structs, and its encoder writes the OpenMetrics text format that
//! Prometheus scrapes. Every label value comes from a closed set (a registered runner, an
//! [`Action`], an outcome, a route template, a status code), never from what a client sends, so
//! the number of series stays bounded.
//!
//! Gauges that mirror state kept elsewhere (the queue, containers alive) are read when scraped,
//! not updated on every change.

use std::time::Duration;

use api_types::{Action, Outcome, Phase};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::admission::{Load, Refused};

/// The content type of the OpenMetrics text format (Prometheus negotiates it).
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `route` label of requests no route matched: the SPA's pages and assets, and unknown paths.
pub const FALLBACK_ROUTE: &str = "fallback";

/// Seconds, for the queue wait: from no wait to the 60 s queue timeout.
const WAIT_BUCKETS: [f64; 13] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Seconds, for compiling: a warm hello world is about 0.1 s; the limit is 30 s.
const COMPILE_BUCKETS: [f64; 11] = [0.05, 0.1, 0.2, 0.35, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0];
/// Seconds, for running the program: most end in milliseconds; the limit is 10 s.
const RUN_BUCKETS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// How an execution ended, as the `outcome` label says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    Success,
    CompileError,
    ExitFailure,
    Signaled,
    /// The compile or run limit was reached.
    TimedOut,
    /// It waited in the queue until the queue timeout.
    QueueTimeout,
    OutOfMemory,
    /// Stop, a disconnect noticed by the sandbox, or shutdown.
    Killed,
    RunnerUnavailable,
    /// Admission refused it (queue full, a share used up, shutting down).
    Refused,
    /// The sandbox failed: the server's fault.
    SandboxError,
    /// The client went away and the execution was dropped before it reported.
    Abandoned,
}

impl RunOutcome {
    pub fn name(self) -> &'static str {
        match self {
            RunOutcome::Success => "success",
            RunOutcome::CompileError => "compile_error",
            RunOutcome::ExitFailure => "exit_failure",
            RunOutcome::Signaled => "signaled",
            RunOutcome::TimedOut => "timed_out",
            RunOutcome::QueueTimeout => "queue_timeout",
            RunOutcome::OutOfMemory => "out_of_memory",
            RunOutcome::Killed => "killed",
            RunOutcome::RunnerUnavailable => "runner_unavailable",
            RunOutcome::Refused => "refused",
            RunOutcome::SandboxError => "sandbox_error",
            RunOutcome::Abandoned => "abandoned",
        }
    }

    pub fn of(outcome: &Outcome) -> RunOutcome {
        match outcome {
            Outcome::Success => RunOutcome::Success,
            Outcome::CompileError => RunOutcome::CompileError,
            Outcome::ExitFailure { .. } => RunOutcome::ExitFailure,
            Outcome::Signaled { .. } => RunOutcome::Signaled,
            Outcome::TimedOut {
                phase: Phase::Queue,
                ..
            } => RunOutcome::QueueTimeout,
            Outcome::TimedOut { .. } => RunOutcome::TimedOut,
            Outcome::OutOfMemory { .. } => RunOutcome::OutOfMemory,
            Outcome::Killed => RunOutcome::Killed,
            Outcome::RunnerUnavailable { .. } => RunOutcome::RunnerUnavailable,
        }
    }
}

fn refusal_reason(refused: &Refused) -> &'static str {
    match refused {
        Refused::QueueFull { .. } => "queue_full",
        Refused::AddressQueueFull { .. } => "address_share",
        Refused::BrowserQueueFull { .. } => "browser_share",
        Refused::SiteQueueFull { .. } => "site_share",
        Refused::ShuttingDown => "shutting_down",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    runner: String,
    action: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunnerLabels {
    runner: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    status: u16,
}

/// The server's metrics: one registry, and a handle on each metric in it.
pub struct Metrics {
    registry: Registry,
    runs: Family<RunLabels, Counter>,
    refusals: Family<RefusalLabels, Counter>,
    queue_waiting: Gauge,
    running: Gauge,
    queue_wait: Histogram,
    compile_duration: HistogramFamily<RunnerLabels>,
    run_duration: HistogramFamily<RunnerLabels>,
    cache_hits: Counter,
    cache_misses: Counter,
    containers_alive: Gauge,
    websockets_open: Gauge,
    http_requests: Family<HttpLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("rmp");
        let runs = Family::<RunLabels, Counter>::default();
        registry.register(
            "runs",
            "Executions by runner, action and outcome (refused and abandoned ones included)",
            runs.clone(),
        );
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "admission_refusals",
            "Executions refused at the door, by reason",
            refusals.clone(),
        );
        let queue_waiting = Gauge::default();
        registry.register(
            "queue_waiting",
            "Executions waiting for a slot",
            queue_waiting.clone(),
        );
        let running = Gauge::default();
        registry.register(
            "executions_running",
            "Executions holding a slot",
            running.clone(),
        );
        let queue_wait = Histogram::new(WAIT_BUCKETS);
        registry.register(
            "queue_wait_seconds",
            "Time from arrival to a slot, for executions that got one (0 when a slot was free)",
            queue_wait.clone(),
        );
        let compile_duration: HistogramFamily<RunnerLabels> =
            Family::new_with_constructor(|| Histogram::new(COMPILE_BUCKETS));
        registry.register(
            "compile_duration_seconds",
            "Time spent compiling, by runner, for executions that began compiling",
            compile_duration.clone(),
        );
        let run_duration: HistogramFamily<RunnerLabels> =
            Family::new_with_constructor(|| Histogram::new(RUN_BUCKETS));
        registry.register(
            "run_duration_seconds",
            "Time spent running the program, by runner, for executions that began running it",
            run_duration.clone(),
        );
        // There is no result cache yet: these stay at 0 until one calls `cache_hit` and
        // `cache_miss`, so dashboards and alerts can be written against them now.
        let cache_hits = Counter::default();
        registry.register(
            "cache_hits",
            "Executions answered without running: from the result cache or an identical run in flight",
            cache_hits.clone(),
        );
        let cache_misses = Counter::default();
        registry.register(
            "cache_misses",
            "Executions the result cache could not answer, so they ran",
            cache_misses.clone(),
        );
        let containers_alive = Gauge::default();
        registry.register(
            "containers_alive",
            "Sandbox containers this server holds: running jobs and the warm pool",
            containers_alive.clone(),
        );
        let websockets_open = Gauge::default();
        registry.register(
            "websockets_open",
            "Open execution WebSockets (/api/ws)",
            websockets_open.clone(),
        );
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template (`fallback`: no route matched) and status",
            http_requests.clone(),
        );
        Metrics {
            registry,
            runs,
            refusals,
            queue_waiting,
            running,
            queue_wait,
            compile_duration,
            run_duration,
            cache_hits,
            cache_misses,
            containers_alive,
            websockets_open,
            http_requests,
        }
    }

    /// Starts counting one execution; the record counts it as abandoned if dropped unfinished.
    pub fn run_started(&self, runner: &api_types::RunnerId, action: Action) -> RunRecord<'_> {
        RunRecord {
            metrics: self,
            runner: runner.as_str().to_owned(),
            action: action.name(),
            finished: false,
        }
    }

    pub fn refused(&self, refused: &Refused) {
        self.refusals
            .get_or_create(&RefusalLabels {
                reason: refusal_reason(refused),
            })
            .inc();
    }

    pub fn waited(&self, wait: Duration) {
        self.queue_wait.observe(wait.as_secs_f64());
    }

    pub fn compiled(&self, runner: &api_types::RunnerId, took: Duration) {
        self.compile_duration
            .get_or_create(&RunnerLabels {
                runner: runner.as_str().to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    pub fn ran(&self, runner: &api_types::RunnerId, took: Duration) {
        self.run_duration
            .get_or_create(&RunnerLabels {
                runner: runner.as_str().to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// The seam for the result cache: call on an answer served from it.
    pub fn cache_hit(&self) {
        self.cache_hits.inc();
    }

    /// The seam for the result cache: call when it had no answer and the code ran.
    pub fn cache_miss(&self) {
        self.cache_misses.inc();
    }

    /// Counts an open WebSocket until the returned guard is dropped.
    pub fn websocket_opened(&self) -> OpenWebSocket {
        self.websockets_open.inc();
        OpenWebSocket(self.websockets_open.clone())
    }

    /// Counts one answered HTTP request; `route` is the matched route's template, `None` when
    /// no route matched.
    pub fn http_request(&self, route: Option<&str>, status: StatusCode) {
        self.http_requests
            .get_or_create(&HttpLabels {
                route: route.unwrap_or(FALLBACK_ROUTE).to_owned(),
                status: status.as_u16(),
            })
            .inc();
    }

    /// The exposition text, with the gauges that mirror other state set to `load` and
    /// `containers_alive` first.
    pub fn render(&self, load: Load, containers_alive: usize) -> String {
        self.queue_waiting.set(gauge(load.waiting));
        self.running.set(gauge(load.running));
        self.containers_alive.set(gauge(containers_alive));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

fn gauge(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One execution being counted; see [`Metrics::run_started`].
pub struct RunRecord<'a> {
    metrics: &'a Metrics,
    runner: String,
    action: &'static str,
    finished: bool,
}

impl RunRecord<'_> {
    pub fn finish(mut self, outcome: RunOutcome) {
        self.count(outcome);
        self.finished = true;
    }

    fn count(&self, outcome: RunOutcome) {
        self.metrics
            .runs
            .get_or_create(&RunLabels {
                runner: self.runner.clone(),
                action: self.action,
                outcome: outcome.name(),
            })
            .inc();
    }
}

impl Drop for RunRecord<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.count(RunOutcome::Abandoned);
        }
    }
}

/// Keeps a WebSocket counted as open; see [`Metrics::websocket_opened`].
pub struct OpenWebSocket(Gauge);

impl Drop for OpenWebSocket {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// `GET /metrics`.
pub async fn serve(State(state): State<AppState>) -> Response {
    let runner = &state.runner;
    let text = runner
        .metrics
        .render(runner.admission.load(), runner.sandbox.containers_alive());
    (StatusCode::OK, [(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_is_exposed_and_a_run_is_counted_once() {
        let metrics = Metrics::new();
        let runner = api_types::RunnerId::new("stable");
        metrics
            .run_started(&runner, Action::Run)
            .finish(RunOutcome::Success);
        drop(metrics.run_started(&runner, Action::Test));
        let socket = metrics.websocket_opened();
        metrics.http_request(Some("/api/execute"), StatusCode::OK);
        metrics.http_request(None, StatusCode::OK);
        let text = metrics.render(
            Load {
                running: 1,
                waiting: 3,
            },
            2,
        );
        for line in [
            r#"rmp_runs_total{runner="stable",action="run",outcome="success"} 1"#,
            r#"rmp_runs_total{runner="stable",action="test",outcome="abandoned"} 1"#,
            "rmp_queue_waiting 3",
            "rmp_executions_running 1",
            "rmp_containers_alive 2",
            "rmp_websockets_open 1",
            "rmp_cache_hits_total 0",
            "rmp_cache_misses_total 0",
            r#"rmp_http_requests_total{route="/api/execute",status="200"} 1"#,
            r#"rmp_http_requests_total{route="fallback",status="200"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
        }
        drop(socket);
        assert!(
            metrics
                .render(
                    Load {
                        running: 0,
                        waiting: 0
                    },
                    0
                )
                .lines()
                .any(|l| l == "rmp_websockets_open 0")
        );
    }
}
