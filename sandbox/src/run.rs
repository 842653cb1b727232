//! One execution inside its container: feeding the helper, reading its frames under the
//! deadlines, and turning what happened into a [`Report`].

use std::time::{Duration, Instant};

use api_types::{Action, ExecutionResult, Outcome, Phase, ProjectFile, Timings};
use bollard::container::LogOutput;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::diagnostics::parse_rustc_json;
use crate::outcome::{Context, explain};
use crate::output::Capture;
use crate::reaper::ContainerGuard;
use crate::{Control, Event, Job, JobIo, Limits, Report, SandboxError, StopReason};
use rmp_job::protocol::{Decoder, Frame, Status};

/// Compiler messages kept per execution; a runaway macro can produce thousands.
const MAX_DIAGNOSTICS: usize = 200;

pub(crate) type Output =
    std::pin::Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;
pub(crate) type Input = std::pin::Pin<Box<dyn AsyncWrite + Send>>;

/// A container running a job's helper. Dropping it removes the container.
pub(crate) struct Session {
    pub(crate) guard: ContainerGuard,
    pub(crate) output: Output,
    pub(crate) input: Input,
}

/// What is sent to the helper's standard input.
enum Feed {
    Data(Vec<u8>),
    Close,
}

/// Aborts a spawned task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Writes to the helper's stdin in its own task, so a program that never reads its input cannot
/// stall the reading of its output.
fn spawn_feeder(mut input: Input) -> (mpsc::UnboundedSender<Feed>, AbortOnDrop) {
    let (tx, mut rx) = mpsc::unbounded_channel::<Feed>();
    let task = tokio::spawn(async move {
        while let Some(feed) = rx.recv().await {
            let result = match feed {
                Feed::Data(bytes) => input.write_all(&bytes).await,
                Feed::Close => input.shutdown().await,
            };
            if result.is_err() {
                break; // The program is gone; its input no longer matters.
            }
        }
    });
    (tx, AbortOnDrop(task))
}

/// The state of one execution while its frames arrive.
pub(crate) struct Run {
    limits: Limits,
    started: Instant,
    phase: Phase,
    compile_ms: u64,
    run_started: Option<Instant>,
    run_ms: u64,
    compiler: Capture,
    compiler_line: Vec<u8>,
    compile_errors: usize,
    lints: usize,
    /// The project's paths: diagnostics keep only spans in these files.
    project_files: Vec<String>,
    view: Option<Vec<u8>>,
    files_back: Vec<ProjectFile>,
    diagnostics: Vec<api_types::Diagnostic>,
    stdout: Capture,
    stderr: Capture,
    compiled: Option<Status>,
    exited: Option<Status>,
    helper_stderr: Capture,
    helper_error: Option<String>,
    stop: Option<StopReason>,
    timed_out: bool,
    /// Whether the container said anything at all (a dead one says nothing).
    heard: bool,
}

impl Run {
    pub(crate) fn new(limits: Limits, started: Instant, job: &Job) -> Run {
        let cap = limits.output_bytes;
        Run {
            limits,
            started,
            phase: Phase::Compile,
            compile_ms: 0,
            run_started: None,
            run_ms: 0,
            compiler: Capture::new(cap),
            compiler_line: Vec::new(),
            compile_errors: 0,
            lints: 0,
            project_files: job.files.iter().map(|f| f.path.clone()).collect(),
            view: None,
            files_back: Vec::new(),
            diagnostics: Vec::new(),
            stdout: Capture::new(cap),
            stderr: Capture::new(cap),
            compiled: None,
            exited: None,
            helper_stderr: Capture::new(16 * 1024),
            helper_error: None,
            stop: None,
            timed_out: false,
            heard: false,
        }
    }

    /// Whether the container ended without a word and nobody stopped it: it was dead before the
    /// job was fed in (a warm container killed or removed behind the sandbox's back).
    pub(crate) fn heard_nothing(&self) -> bool {
        !self.heard && self.stop.is_none() && !self.timed_out
    }

    /// Whether the helper ended without a word on how the program finished, and nobody
    /// stopped it (the outcome is then `Killed`, explained as the program's doing).
    pub(crate) fn supervisor_vanished(&self, job: &Job) -> bool {
        self.stop.is_none() && !self.timed_out && self.outcome(job) == Outcome::Killed
    }

    /// Whether the helper has said all it will say.
    fn done(&self, action: Action) -> bool {
        self.exited.is_some()
            || self.helper_error.is_some()
            || self
                .compiled
                .is_some_and(|c| !c.success() || !action.runs_program())
    }

    /// Feeds the job in and reads frames until the helper is done, a limit is hit or the caller
    /// stops it. The container is removed when `session` drops, whatever happened.
    pub(crate) async fn drive(
        &mut self,
        session: Session,
        encoded_job: Vec<u8>,
        job: &Job,
        io: &mut JobIo,
    ) -> Result<(), SandboxError> {
        let Session {
            mut guard,
            mut output,
            input,
        } = session;
        let (feed, _feeder) = spawn_feeder(input);
        let _ = feed.send(Feed::Data(encoded_job));
        if !job.stdin.is_empty() {
            let _ = feed.send(Feed::Data(job.stdin.clone()));
        }
        if !job.interactive {
            let _ = feed.send(Feed::Close);
        }
        let mut decoder = Decoder::default();
        // The helper caps each stream; the server still refuses to read without end (a program
        // could write to the helper's own output).
        let max_raw = self.limits.output_bytes * 4 + 4 * 1024 * 1024;
        let mut raw = 0usize;
        let mut control_open = true;
        let compile_started = Instant::now();
        let mut deadline = tokio::time::Instant::now() + self.limits.compile_timeout;
        while !self.done(job.action) {
            tokio::select! {
                chunk = output.next() => {
                    let message = match chunk {
                        None | Some(Err(_)) => break,
                        Some(Ok(message)) => message,
                    };
                    self.heard = true;
                    match message {
                        LogOutput::StdOut { message } => {
                            raw += message.len();
                            if raw > max_raw {
                                self.helper_error = Some("the runner's output exceeded every limit".into());
                                break;
                            }
                            decoder.push(&message);
                            while let Some(frame) = decoder.next_frame().map_err(SandboxError::Protocol)? {
                                if matches!(frame, Frame::Running) {
                                    self.compile_ms = millis(compile_started.elapsed());
                                    deadline = tokio::time::Instant::now() + self.limits.run_timeout;
                                }
                                self.on_frame(frame, io);
                            }
                        }
                        LogOutput::StdErr { message } | LogOutput::Console { message } => {
                            self.helper_stderr.push(&message);
                        }
                        LogOutput::StdIn { .. } => {}
                    }
                }
                control = io.control.recv(), if control_open => match control {
                    Some(Control::Stdin(bytes)) => { let _ = feed.send(Feed::Data(bytes)); }
                    Some(Control::CloseStdin) => { let _ = feed.send(Feed::Close); }
                    Some(Control::Stop(reason)) => { self.stop = Some(reason); break; }
                    None => control_open = false,
                },
                () = tokio::time::sleep_until(deadline) => {
                    self.timed_out = true;
                    break;
                }
            }
        }
        match self.run_started {
            Some(at) => self.run_ms = millis(at.elapsed()),
            None => self.compile_ms = millis(compile_started.elapsed()),
        }
        self.flush_compiler_line(io);
        if let Some(rest) = self.stdout.finish() {
            let _ = io.events.send(Event::Stdout(rest));
        }
        if let Some(rest) = self.stderr.finish() {
            let _ = io.events.send(Event::Stderr(rest));
        }
        // The helper said its last word by itself (not a stop, a timeout, the stream's end or
        // an output flood, after which its program may still run): it ends everything else and
        // parks.
        if self.done(job.action) && raw <= max_raw {
            guard.parked();
        }
        drop(guard);
        Ok(())
    }

    fn on_frame(&mut self, frame: Frame, io: &JobIo) {
        match frame {
            Frame::Compiler(bytes) => {
                self.compiler_line.extend_from_slice(&bytes);
                while let Some(end) = self.compiler_line.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = self.compiler_line.drain(..=end).collect();
                    self.compiler_message(&String::from_utf8_lossy(&line), io);
                }
            }
            Frame::Compiled(status) => {
                self.flush_compiler_line(io);
                self.compiled = Some(status);
            }
            Frame::Running => {
                self.phase = Phase::Run;
                self.run_started = Some(Instant::now());
                let _ = io.events.send(Event::Running);
            }
            Frame::Stdout(bytes) => {
                if let Some(text) = self.stdout.push(&bytes) {
                    let _ = io.events.send(Event::Stdout(text));
                }
            }
            Frame::Stderr(bytes) => {
                if let Some(text) = self.stderr.push(&bytes) {
                    let _ = io.events.send(Event::Stderr(text));
                }
            }
            Frame::Exited(status) => self.exited = Some(status),
            Frame::HelperError(message) => self.helper_error = Some(message),
            Frame::View(bytes) => self.view = Some(bytes),
            Frame::File(path, contents) => {
                // Only files of the project come back (rustfmt's output).
                if self.project_files.contains(&path) {
                    self.files_back.push(ProjectFile {
                        path,
                        contents: String::from_utf8_lossy(&contents).into_owned(),
                    });
                }
            }
        }
    }

    fn flush_compiler_line(&mut self, io: &JobIo) {
        if !self.compiler_line.is_empty() {
            let line = std::mem::take(&mut self.compiler_line);
            self.compiler_message(&String::from_utf8_lossy(&line), io);
        }
    }

    /// One line of rustc's output: a JSON diagnostic, or plain text (e.g. from the linker).
    fn compiler_message(&mut self, line: &str, io: &JobIo) {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return;
        }
        let rendered = match parse_rustc_json(line, &self.project_files) {
            Some(diagnostic) => {
                let rendered = diagnostic.rendered.clone();
                if diagnostic.level.is_error() && !diagnostic.spans.is_empty() {
                    self.compile_errors += 1;
                }
                if diagnostic
                    .code
                    .as_deref()
                    .is_some_and(|c| c.starts_with("clippy::"))
                {
                    self.lints += 1;
                }
                if self.diagnostics.len() < MAX_DIAGNOSTICS {
                    self.diagnostics.push(diagnostic);
                }
                rendered
            }
            None => format!("{line}\n"),
        };
        if let Some(text) = self.compiler.push(rendered.as_bytes()) {
            let _ = io.events.send(Event::Compiler(text));
        }
    }

    fn outcome(&self, job: &Job) -> Outcome {
        let limits = &self.limits;
        if self.stop.is_some() {
            return Outcome::Killed;
        }
        if self.timed_out {
            let limit = match self.phase {
                Phase::Run => limits.run_timeout,
                _ => limits.compile_timeout,
            };
            return Outcome::TimedOut {
                phase: self.phase,
                limit_ms: millis(limit),
            };
        }
        let oom = Outcome::OutOfMemory {
            limit_mb: limits.memory_mb,
        };
        match (self.compiled, self.exited) {
            (None, _) => Outcome::Killed,
            (Some(compiled), _) if compiled.oom && !compiled.success() => oom,
            (Some(compiled), _) if !compiled.success() => Outcome::CompileError,
            (Some(_), _) if !job.action.runs_program() => Outcome::Success,
            (Some(_), None) => Outcome::Killed,
            (Some(_), Some(exited)) => match (exited.code, exited.signal) {
                (_, Some(9)) if exited.oom => oom,
                (Some(0), _) => Outcome::Success,
                (Some(code), _) => Outcome::ExitFailure { exit_code: code },
                (None, Some(signal)) => Outcome::Signaled { signal },
                (None, None) => Outcome::Killed,
            },
        }
    }

    /// The report, or an error if the runner itself failed: nothing compiled and nobody stopped
    /// it (a broken image, a container that died). That is the server's fault, not the student's.
    pub(crate) fn finish(self, job: &Job) -> Result<Report, SandboxError> {
        if self.compiled.is_none() && self.stop.is_none() && !self.timed_out {
            let detail = self.helper_error.clone().unwrap_or_else(|| {
                format!(
                    "the runner ended before compiling ({})",
                    self.helper_stderr.text().trim()
                )
            });
            return Err(SandboxError::Protocol(detail));
        }
        let outcome = self.outcome(job);
        if let Some(error) = &self.helper_error {
            tracing::warn!(%error, helper_stderr = self.helper_stderr.text(), "the job helper reported a problem");
        }
        let explanation = explain(
            &outcome,
            &Context {
                action: job.action,
                limits: &self.limits,
                phase: self.phase,
                compile_errors: self.compile_errors,
                lints: self.lints,
                stop: self.stop,
                stdout_truncated: self.stdout.truncated,
                stderr_truncated: self.stderr.truncated,
                stderr: self.stderr.text(),
            },
        );
        let tests = if job.action == Action::Test {
            api_types::parse_test_report(self.stdout.text())
        } else {
            Vec::new()
        };
        let view = match (job.action, &self.view) {
            (Action::View(view), Some(raw)) => {
                let cap = self.limits.output_bytes;
                let truncated = raw.len() > cap;
                Some(crate::views::render(
                    view,
                    &raw[..raw.len().min(cap)],
                    truncated,
                    &self.project_files,
                ))
            }
            _ => None,
        };
        let files = if outcome == Outcome::Success {
            self.files_back
        } else {
            Vec::new()
        };
        Ok(Report {
            result: ExecutionResult {
                outcome,
                explanation,
                diagnostics: self.diagnostics,
                tests,
                view,
                files,
                timings: Timings {
                    queued_ms: 0,
                    compile_ms: self.compile_ms,
                    run_ms: self.run_ms,
                    total_ms: millis(self.started.elapsed()),
                },
                stdout_truncated: self.stdout.truncated,
                stderr_truncated: self.stderr.truncated,
            },
            stdout: self.stdout.into_text(),
            stderr: self.stderr.into_text(),
            compiler: self.compiler.into_text(),
        })
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The report for a channel this server has no runner for.
pub(crate) fn unavailable(job: &Job, limits: &Limits) -> Report {
    let outcome = Outcome::RunnerUnavailable {
        runner: job.runner.clone(),
    };
    let explanation = explain(
        &outcome,
        &Context {
            action: job.action,
            limits,
            phase: Phase::Compile,
            compile_errors: 0,
            lints: 0,
            stop: None,
            stdout_truncated: false,
            stderr_truncated: false,
            stderr: "",
        },
    );
    Report::ended(outcome, explanation)
}
