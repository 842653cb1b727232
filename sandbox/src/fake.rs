//! A scripted [`Sandbox`] for tests of everything above the sandbox (API, admission, streaming).
//! It starts no process: it prints `hello from <code>`, echoes stdin when asked, and ends
//! when told or after its delay.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api_types::{Outcome, Phase};

use crate::outcome::{Context, explain};
use crate::{BoxFuture, Control, Event, Job, JobIo, Limits, Report, Sandbox, SandboxError};

/// Counters a test can assert on.
#[derive(Debug, Default)]
pub struct Stats {
    pub started: AtomicUsize,
    pub finished: AtomicUsize,
    /// Executions whose future was dropped before they finished (client gone).
    pub cancelled: AtomicUsize,
    pub running: AtomicUsize,
    pub max_running: AtomicUsize,
}

/// See the module documentation.
pub struct ScriptedSandbox {
    /// How long each execution runs unless stopped.
    pub delay: Duration,
    /// Echo `Control::Stdin` to stdout until stdin is closed, instead of sleeping.
    pub echo_stdin: bool,
    pub stats: Arc<Stats>,
    /// The code of every job, in the order they started.
    pub started_codes: Arc<Mutex<Vec<String>>>,
    limits: Limits,
}

impl ScriptedSandbox {
    pub fn new(delay: Duration) -> ScriptedSandbox {
        ScriptedSandbox {
            delay,
            echo_stdin: false,
            stats: Arc::default(),
            started_codes: Arc::default(),
            limits: Limits::default(),
        }
    }

    pub fn echoing() -> ScriptedSandbox {
        ScriptedSandbox {
            echo_stdin: true,
            ..ScriptedSandbox::new(Duration::ZERO)
        }
    }
}

/// Counts an execution as running; if dropped before `done`, as cancelled.
struct Running {
    stats: Arc<Stats>,
    done: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stats.running.fetch_sub(1, Ordering::SeqCst);
        let counter = if self.done {
            &self.stats.finished
        } else {
            &self.stats.cancelled
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

impl Sandbox for ScriptedSandbox {
    fn execute(&self, job: Job, mut io: JobIo) -> BoxFuture<'_, Result<Report, SandboxError>> {
        Box::pin(async move {
            self.stats.started.fetch_add(1, Ordering::SeqCst);
            let now = self.stats.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.stats.max_running.fetch_max(now, Ordering::SeqCst);
            let mut running = Running {
                stats: Arc::clone(&self.stats),
                done: false,
            };
            self.started_codes
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(job.code().to_owned());
            let _ = io.events.send(Event::Compiling);
            let _ = io.events.send(Event::Running);
            let mut stdout = format!("hello from {}\n", job.code());
            let _ = io.events.send(Event::Stdout(stdout.clone()));
            let mut stop = None;
            if self.echo_stdin {
                while let Some(control) = io.control.recv().await {
                    match control {
                        Control::Stdin(bytes) => {
                            let text = String::from_utf8_lossy(&bytes).into_owned();
                            stdout.push_str(&text);
                            let _ = io.events.send(Event::Stdout(text));
                        }
                        Control::CloseStdin => break,
                        Control::Stop(reason) => {
                            stop = Some(reason);
                            break;
                        }
                    }
                }
            } else {
                let sleep = tokio::time::sleep(self.delay);
                tokio::pin!(sleep);
                loop {
                    tokio::select! {
                        () = &mut sleep => break,
                        control = io.control.recv() => match control {
                            Some(Control::Stop(reason)) => { stop = Some(reason); break; }
                            Some(_) => {}
                            None => { sleep.as_mut().await; break; }
                        },
                    }
                }
            }
            let outcome = if stop.is_some() {
                Outcome::Killed
            } else {
                Outcome::Success
            };
            let explanation = explain(
                &outcome,
                &Context {
                    action: job.action,
                    limits: &self.limits,
                    phase: Phase::Run,
                    compile_errors: 0,
                    lints: 0,
                    stop,
                    stdout_truncated: false,
                    stderr_truncated: false,
                    stderr: "",
                },
            );
            running.done = true;
            Ok(Report {
                stdout,
                ..Report::ended(outcome, explanation)
            })
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn limits(&self) -> &Limits {
        &self.limits
    }

    /// One fixed id: the script never changes, so results above the seam may be cached.
    fn image_id<'a>(&'a self, _: &'a api_types::RunnerId) -> BoxFuture<'a, Option<String>> {
        Box::pin(async { Some("scripted".to_owned()) })
    }
}
