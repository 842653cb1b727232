//! The output pane under a runnable block: live status with elapsed time, compiler messages,
//! interleaved stdout and stderr, the outcome in words, and stdin while the program runs.

use api_types::{
    CacheSource, CachedInfo, Diagnostic, ExecutionResult, Level, Outcome, ProjectFile,
    ServerMessage,
};
use leptos::prelude::*;

/// Where an execution is.
#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    Connecting,
    Queued(usize),
    Compiling,
    Running,
    Finished(ExecutionResult),
    /// The run could not happen or could not complete (connection lost, queue full, ...).
    Failed(String),
}

impl Stage {
    pub fn is_active(&self) -> bool {
        !matches!(self, Stage::Finished(_) | Stage::Failed(_))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Client-side cap on kept output: the server caps each stream too, this only protects the page.
const MAX_KEPT: usize = 2 * 1024 * 1024;

/// Everything the pane shows, built up from the server's messages.
#[derive(Clone, Debug, PartialEq)]
pub struct RunView {
    pub stage: Stage,
    pub compiler: String,
    /// Output in arrival order; consecutive chunks of one stream are merged.
    pub output: Vec<(Stream, String)>,
    /// Set when the answer did not run for this press (the server's result cache, or an
    /// identical run under way): the pane says so and offers Run again.
    pub cached: Option<CachedInfo>,
    kept: usize,
}

impl Default for RunView {
    fn default() -> Self {
        RunView {
            stage: Stage::Connecting,
            compiler: String::new(),
            output: Vec::new(),
            cached: None,
            kept: 0,
        }
    }
}

impl RunView {
    /// Folds one server message into the view.
    pub fn apply(&mut self, message: ServerMessage) {
        match message {
            ServerMessage::Queued { position } => self.stage = Stage::Queued(position),
            ServerMessage::Cached(info) => self.cached = Some(info),
            ServerMessage::Compiling => self.stage = Stage::Compiling,
            ServerMessage::Compiler { data } => self.compiler.push_str(&data),
            ServerMessage::Running => self.stage = Stage::Running,
            ServerMessage::Stdout { data } => self.push(Stream::Stdout, &data),
            ServerMessage::Stderr { data } => self.push(Stream::Stderr, &data),
            ServerMessage::Finished(result) => self.stage = Stage::Finished(result),
            ServerMessage::Error { message } => {
                if self.stage.is_active() {
                    self.stage = Stage::Failed(message);
                }
            }
        }
    }

    fn push(&mut self, stream: Stream, data: &str) {
        if self.kept >= MAX_KEPT {
            return;
        }
        self.kept += data.len();
        match self.output.last_mut() {
            Some((last, text)) if *last == stream => text.push_str(data),
            _ => self.output.push((stream, data.to_owned())),
        }
    }

    /// Everything the program wrote to standard output so far.
    pub fn stdout(&self) -> String {
        self.output
            .iter()
            .filter(|(stream, _)| *stream == Stream::Stdout)
            .map(|(_, text)| text.as_str())
            .collect()
    }

    /// The errors and warnings to list under the output.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match &self.stage {
            Stage::Finished(result) => &result.diagnostics,
            _ => &[],
        }
    }
}

/// The visible marker for output the server cut off, if any.
pub fn truncation_note(result: &ExecutionResult) -> Option<String> {
    let streams = match (result.stdout_truncated, result.stderr_truncated) {
        (true, true) => "standard output and standard error were",
        (true, false) => "standard output was",
        (false, true) => "standard error was",
        (false, false) => return None,
    };
    Some(format!(
        "… output truncated: {streams} longer than this server keeps, and the rest was cut off."
    ))
}

/// Says that the finished answer came from the server's cache (or an identical run under way)
/// and offers "Run again", which always compiles and runs afresh. Nothing while a run is active
/// or when the answer ran for this press. Code blocks, exercises and files blocks all show it.
#[component]
pub fn CachedNote(
    view: RwSignal<RunView>,
    /// Runs the same request again, bypassing the cache; without it the note has no button.
    on_run_again: Option<Callback<()>>,
) -> impl IntoView {
    move || {
        let info = view.with(|v| (!v.stage.is_active()).then(|| v.cached.clone()).flatten())?;
        Some(view! {
            <p class="cached-note">
                <span>{cached_note(&info)}</span>
                {on_run_again.map(|again| view! {
                    " · "
                    <button type="button" class="run-again" title="Compile and run it now, not from the cache"
                        on:click=move |_| again.run(())>
                        "Run again"
                    </button>
                })}
            </p>
        })
    }
}

/// The note over an answer that did not run for this press, e.g. "Answer from 3 min ago
/// (cached)".
pub fn cached_note(info: &CachedInfo) -> String {
    match info.source {
        CacheSource::Shared => "Answer shared with an identical run already under way".to_owned(),
        CacheSource::Stored => {
            let age = match info.age_secs {
                0..60 => "less than a minute ago".to_owned(),
                60..120 => "1 min ago".to_owned(),
                120..3600 => format!("{} min ago", info.age_secs / 60),
                3600..7200 => "1 hour ago".to_owned(),
                7200..86400 => format!("{} hours ago", info.age_secs / 3600),
                86400..172800 => "1 day ago".to_owned(),
                _ => format!("{} days ago", info.age_secs / 86400),
            };
            format!("Answer from {age} (cached)")
        }
    }
}

/// One line for the status bar.
pub fn status_line(stage: &Stage, elapsed_s: f64) -> String {
    match stage {
        Stage::Connecting => "Connecting to the server…".to_owned(),
        Stage::Queued(position) => {
            format!("Waiting for a free runner (position {position})… {elapsed_s:.1} s")
        }
        Stage::Compiling => format!("Compiling… {elapsed_s:.1} s"),
        Stage::Running => format!("Running… {elapsed_s:.1} s"),
        Stage::Finished(result) => {
            let t = result.timings;
            let verdict = match result.outcome {
                Outcome::Success => "✔ Finished".to_owned(),
                Outcome::ExitFailure { exit_code } => format!("✘ Exited with status {exit_code}"),
                Outcome::CompileError => "✘ Did not compile".to_owned(),
                Outcome::Signaled { signal } => format!("✘ Stopped by signal {signal}"),
                Outcome::TimedOut { .. } => "✘ Time limit reached".to_owned(),
                Outcome::OutOfMemory { .. } => "✘ Memory limit reached".to_owned(),
                Outcome::Killed => "■ Stopped".to_owned(),
                Outcome::RunnerUnavailable { .. } => "✘ Runner not available".to_owned(),
            };
            format!(
                "{verdict} · compile {:.2} s · run {:.2} s · total {:.2} s",
                t.compile_ms as f64 / 1000.0,
                t.run_ms as f64 / 1000.0,
                t.total_ms as f64 / 1000.0
            )
        }
        Stage::Failed(_) => "✘ Could not run".to_owned(),
    }
}

/// The pane itself.
#[component]
pub fn RunOutput(
    /// The run's state.
    view: RwSignal<RunView>,
    /// Seconds since Run was pressed, updated while the run is active.
    elapsed: RwSignal<f64>,
    /// Called with a line for the program's stdin.
    on_stdin: Callback<String>,
    /// Called to close the program's stdin.
    on_close_stdin: Callback<()>,
    /// Called when a diagnostic's location is clicked, with its file and 1-based line and column.
    on_locate: Callback<(String, u32, u32)>,
    /// Runs the same request again, bypassing the cache; offered beside a cached answer's note.
    #[prop(optional)]
    on_run_again: Option<Callback<()>>,
) -> impl IntoView {
    let stdin_line = RwSignal::new(String::new());
    let stage_class = move || match view.with(|v| v.stage.clone()) {
        Stage::Finished(r) if r.outcome == Outcome::Success => "run-status ok",
        Stage::Finished(_) | Stage::Failed(_) => "run-status failed",
        _ => "run-status active",
    };
    view! {
        <div class="output" aria-live="polite">
            <p class=stage_class>
                <Show when=move || view.with(|v| v.stage.is_active())>
                    <span class="spinner" aria-hidden="true"></span>
                </Show>
                <span class="status-text">{move || view.with(|v| status_line(&v.stage, elapsed.get()))}</span>
            </p>
            {move || {
                view.with(|v| match &v.stage {
                    Stage::Finished(result) if result.outcome != Outcome::Success => {
                        Some(view! { <p class="explanation">{result.explanation.clone()}</p> }.into_any())
                    }
                    Stage::Failed(message) => Some(view! { <p class="explanation">{message.clone()}</p> }.into_any()),
                    _ => None,
                })
            }}
            <CachedNote view on_run_again />
            <DiagnosticList view on_locate />
            {move || {
                let compiler = view.with(|v| v.compiler.clone());
                let failed = view.with(|v| matches!(&v.stage, Stage::Finished(r) if r.outcome == Outcome::CompileError));
                (!compiler.trim().is_empty())
                    .then(|| {
                        view! {
                            <details class="compiler-output" open=failed>
                                <summary>"Compiler output"</summary>
                                // Never wrapped, so rustc's `^^^` markers stay under what they
                                // mark; it scrolls sideways instead (and so takes keyboard focus).
                                <pre tabindex="0">{compiler}</pre>
                            </details>
                        }
                    })
            }}
            <pre class="program-output">
                {move || {
                    view.with(|v| {
                        v.output
                            .iter()
                            .map(|(stream, text)| {
                                let class = match stream {
                                    Stream::Stdout => "stdout",
                                    Stream::Stderr => "stderr",
                                };
                                view! { <span class=class>{text.clone()}</span> }
                            })
                            .collect_view()
                    })
                }}
            </pre>
            {move || {
                view.with(|v| match &v.stage {
                    Stage::Finished(result) => truncation_note(result),
                    _ => None,
                })
                    .map(|note| view! { <p class="truncated">{note}</p> })
            }}
            <Show when=move || view.with(|v| v.stage == Stage::Running)>
                <form
                    class="stdin-form"
                    on:submit=move |ev| {
                        ev.prevent_default();
                        on_stdin.run(stdin_line.get_untracked());
                        stdin_line.set(String::new());
                    }
                >
                    <input
                        class="stdin-input"
                        placeholder="Type a line for the program's standard input, then Enter"
                        aria-label="Standard input"
                        prop:value=stdin_line
                        on:input=move |ev| stdin_line.set(event_target_value(&ev))
                    />
                    <button type="button" on:click=move |_| on_close_stdin.run(())>"Close stdin"</button>
                </form>
            </Show>
        </div>
    }
}

/// Errors and warnings, without rustc's closing tallies ("aborting due to 2 previous errors",
/// "3 warnings emitted"), which say nothing the list does not.
pub fn worth_listing(diagnostic: &Diagnostic) -> bool {
    let tally = diagnostic.spans.is_empty()
        && (diagnostic.message.starts_with("aborting due to")
            || diagnostic.message.ends_with("warnings emitted")
            || diagnostic.message.ends_with("warning emitted"));
    (diagnostic.level.is_error() || diagnostic.level == Level::Warning) && !tally
}

/// The word for a level, used as its label and its CSS class.
pub fn level_word(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::InternalError => "internal compiler error",
        Level::Warning => "warning",
        Level::Note => "note",
        Level::Help => "help",
        Level::FailureNote => "failure note",
    }
}

/// Where a diagnostic points, as the list shows it: the file is named when it is not the main one.
pub fn place_text(file: &str, line: u32, column: u32) -> String {
    if file == ProjectFile::MAIN || file.is_empty() {
        format!("line {line}, column {column}")
    } else {
        format!("{file}, line {line}, column {column}")
    }
}

/// Errors and warnings (Clippy's lints too) with their location (a button that moves the cursor
/// there) and the error code or lint name linked to its documentation.
#[component]
fn DiagnosticList(
    view: RwSignal<RunView>,
    on_locate: Callback<(String, u32, u32)>,
) -> impl IntoView {
    move || {
        let diagnostics: Vec<Diagnostic> = view.with(|v| {
            v.diagnostics()
                .iter()
                .filter(|d| worth_listing(d))
                .cloned()
                .collect()
        });
        (!diagnostics.is_empty()).then(|| {
            view! {
                <ul class="diagnostics">
                    {diagnostics
                        .into_iter()
                        .map(|d| {
                            let primary = d.spans.iter().find(|s| s.is_primary).or(d.spans.first()).cloned();
                            let code = d.code.clone().map(|code| match d.code_url() {
                                Some(href) => view! {
                                    <a class="error-code" href=href target="_blank" rel="noopener">
                                        {code}
                                    </a>
                                }
                                .into_any(),
                                None => view! { <code class="error-code">{code}</code> }.into_any(),
                            });
                            let place = primary
                                .map(|s| {
                                    let (line, column) = (s.line_start, s.column_start);
                                    let text = place_text(&s.file, line, column);
                                    let file = s.file.clone();
                                    view! {
                                        <button class="diagnostic-line" on:click=move |_| on_locate.run((file.clone(), line, column))>
                                            {text}
                                        </button>
                                    }
                                });
                            let level = level_word(d.level);
                            view! {
                                <li class=format!("diagnostic {}", level.replace(' ', "-"))>
                                    <span class="level">{level}</span>
                                    {code}
                                    <span class="message">{d.message.clone()}</span>
                                    {place}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::{Phase, Timings};

    fn result(outcome: Outcome) -> ExecutionResult {
        ExecutionResult {
            outcome,
            explanation: "why".into(),
            diagnostics: vec![],
            timings: Timings {
                queued_ms: 0,
                compile_ms: 300,
                run_ms: 120,
                total_ms: 430,
            },
            stdout_truncated: false,
            stderr_truncated: false,
            tests: vec![],
            view: None,
            files: vec![],
        }
    }

    #[test]
    fn messages_move_the_stage_and_merge_output_by_stream() {
        let mut view = RunView::default();
        for message in [
            ServerMessage::Queued { position: 2 },
            ServerMessage::Compiling,
            ServerMessage::Running,
            ServerMessage::Stdout { data: "a".into() },
            ServerMessage::Stdout { data: "b".into() },
            ServerMessage::Stderr {
                data: "oops".into(),
            },
            ServerMessage::Stdout { data: "c".into() },
        ] {
            view.apply(message);
        }
        assert_eq!(view.stage, Stage::Running);
        assert_eq!(
            view.output,
            [
                (Stream::Stdout, "ab".to_owned()),
                (Stream::Stderr, "oops".to_owned()),
                (Stream::Stdout, "c".to_owned()),
            ]
        );
        view.apply(ServerMessage::Finished(result(Outcome::Success)));
        assert!(!view.stage.is_active());
        // A late error (the socket closing) does not overwrite a finished run.
        view.apply(ServerMessage::Error {
            message: "gone".into(),
        });
        assert!(matches!(view.stage, Stage::Finished(_)));
    }

    #[test]
    fn a_cached_answer_is_marked_and_replays_like_a_run() {
        let mut view = RunView::default();
        let info = CachedInfo {
            source: CacheSource::Stored,
            ran_at: 1_700_000_000,
            age_secs: 180,
        };
        for message in [
            ServerMessage::Cached(info.clone()),
            ServerMessage::Compiling,
            ServerMessage::Running,
            ServerMessage::Stdout {
                data: "42\n".into(),
            },
            ServerMessage::Finished(result(Outcome::Success)),
        ] {
            view.apply(message);
        }
        assert_eq!(view.cached, Some(info.clone()));
        assert_eq!(view.stdout(), "42\n");
        assert_eq!(view.stage, Stage::Finished(result(Outcome::Success)));
        assert_eq!(cached_note(&info), "Answer from 3 min ago (cached)");
        let at = |age_secs| {
            cached_note(&CachedInfo {
                age_secs,
                ..info.clone()
            })
        };
        assert_eq!(at(5), "Answer from less than a minute ago (cached)");
        assert_eq!(at(61), "Answer from 1 min ago (cached)");
        assert_eq!(at(7300), "Answer from 2 hours ago (cached)");
        assert_eq!(at(3 * 86400), "Answer from 3 days ago (cached)");
        let shared = CachedInfo {
            source: CacheSource::Shared,
            ..info
        };
        assert!(cached_note(&shared).starts_with("Answer shared"));
        // A run that was not cached is not marked.
        let mut fresh = RunView::default();
        fresh.apply(ServerMessage::Compiling);
        fresh.apply(ServerMessage::Finished(result(Outcome::Success)));
        assert_eq!(fresh.cached, None);
    }

    #[test]
    fn truncated_output_is_marked_even_when_the_program_succeeded() {
        let mut ok = result(Outcome::Success);
        assert_eq!(truncation_note(&ok), None);
        ok.stdout_truncated = true;
        let note = truncation_note(&ok).unwrap();
        assert!(
            note.starts_with("… output truncated: standard output was"),
            "{note}"
        );
        ok.stderr_truncated = true;
        assert!(
            truncation_note(&ok)
                .unwrap()
                .contains("standard output and standard error were")
        );
    }

    #[test]
    fn tallies_are_not_listed_as_diagnostics() {
        let diagnostic = |level: &str, message: &str| Diagnostic {
            level: Level::parse(level),
            message: message.into(),
            code: None,
            spans: vec![],
            rendered: String::new(),
        };
        assert!(!worth_listing(&diagnostic(
            "error",
            "aborting due to 1 previous error"
        )));
        assert!(!worth_listing(&diagnostic("warning", "2 warnings emitted")));
        assert!(!worth_listing(&diagnostic("note", "see more")));
        assert!(worth_listing(&diagnostic(
            "error",
            "linking with `cc` failed"
        )));
    }

    #[test]
    fn places_name_the_file_unless_it_is_the_main_one() {
        assert_eq!(place_text("src/main.rs", 3, 9), "line 3, column 9");
        assert_eq!(
            place_text("src/shapes.rs", 2, 1),
            "src/shapes.rs, line 2, column 1"
        );
        assert_eq!(level_word(Level::InternalError), "internal compiler error");
    }

    #[test]
    fn status_lines_say_what_is_happening() {
        assert_eq!(
            status_line(&Stage::Queued(3), 1.25),
            "Waiting for a free runner (position 3)… 1.2 s"
        );
        assert_eq!(
            status_line(&Stage::Finished(result(Outcome::Success)), 0.0),
            "✔ Finished · compile 0.30 s · run 0.12 s · total 0.43 s"
        );
        let timed_out = Outcome::TimedOut {
            phase: Phase::Run,
            limit_ms: 10_000,
        };
        assert!(status_line(&Stage::Finished(result(timed_out)), 0.0).starts_with("✘ Time limit"));
        assert!(
            status_line(
                &Stage::Finished(result(Outcome::ExitFailure { exit_code: 101 })),
                0.0
            )
            .contains("101")
        );
    }
}
