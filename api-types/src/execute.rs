//! Running code: `POST /api/execute` and the `/api/ws` stream.

use serde::{Deserialize, Serialize};

use crate::flags::CodegenFlag;
use crate::project::ProjectFile;

/// What to compile and how. The same request is sent over HTTP and inside [`ClientMessage::Execute`].
///
/// The code is a small project: either `code` (shorthand for one `src/main.rs`, the common and
/// cheapest case) or `files`. See [`crate::project`] for the layout and its limits.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecuteRequest {
    /// The whole `src/main.rs` (or the crate root for tests), as the student sees it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Every file of a project, with paths relative to the project root.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ProjectFile>,
    /// Which runner (see `GET /api/runners`); `stable` when absent.
    #[serde(default)]
    pub runner: RunnerId,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub edition: Edition,
    #[serde(default)]
    pub action: Action,
    /// Code-generation flags from the allow-list ([`CodegenFlag`]), e.g. `panic=abort`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<CodegenFlag>,
    /// Standard input given up front (the WebSocket can also send it while the program runs).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdin: String,
    /// For the Miri runner only: flags from its allow-list, as Miri spells them
    /// (`-Zmiri-strict-provenance`, `-Zmiri-seed=7`, `-Zmiri-many-seeds=0..16`,
    /// `-Zmiri-disable-isolation`). Isolation stays on unless asked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub miri_flags: Vec<String>,
    /// For the Loom runner only: forced thread switches per execution that loom explores, 1 to 3
    /// (2 when absent). Each one more multiplies the interleavings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loom_preemptions: Option<u8>,
    /// Run afresh ("Run again"): never answer from the result cache nor share another
    /// client's identical run. The fresh result still refreshes the cache.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fresh: bool,
}

impl ExecuteRequest {
    /// A request to run one `main.rs` with every default (stable, debug, 2024).
    pub fn run(code: impl Into<String>) -> ExecuteRequest {
        ExecuteRequest {
            code: Some(code.into()),
            ..ExecuteRequest::default()
        }
    }

    /// The request's files: `code` becomes `src/main.rs`.
    pub fn project_files(&self) -> Vec<ProjectFile> {
        let mut files = self.files.clone();
        if let Some(code) = &self.code {
            files.insert(0, ProjectFile::main(code.clone()));
        }
        files
    }
}

/// A runner's name as its manifest spells it (`runner-images/<name>/runner.toml`): `stable`,
/// `nightly`, `miri`, `loom`, `cortex-m`. The registry of runners is data, written once in those
/// manifests, so this is a checked name rather than an enum; the server refuses names it does not
/// know with a 400 that lists the ones it does.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunnerId(pub String);

impl RunnerId {
    pub const STABLE: &str = "stable";

    pub fn new(name: impl Into<String>) -> RunnerId {
        RunnerId(name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RunnerId {
    fn default() -> RunnerId {
        RunnerId(RunnerId::STABLE.to_owned())
    }
}

impl std::fmt::Display for RunnerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for RunnerId {
    fn from(name: &str) -> RunnerId {
        RunnerId(name.to_owned())
    }
}

/// `GET /api/runners`: every runner of the registry and whether this server can run it now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunnerList {
    pub runners: Vec<RunnerInfo>,
}

/// One runner: what it is, what it offers, and whether it works here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunnerInfo {
    pub id: RunnerId,
    /// For people: "Miri", "Cortex-M3 under QEMU".
    pub title: String,
    pub toolchain: Toolchain,
    pub tool: Tool,
    pub target: Target,
    pub actions: Vec<Action>,
    /// What a block written for this runner can do on this server now: its own actions when it
    /// is available, plus the compiler views another available runner does for it (a stable
    /// block's macro expansion runs on nightly). The page offers exactly these.
    pub reachable: Vec<Action>,
    /// Whether its image is present and the sandbox is up.
    pub available: bool,
    /// When it is not: a sentence for the student, shown where they would press the button.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Which Rust toolchain a runner compiles with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Toolchain {
    Stable,
    Nightly,
}

/// What a runner runs the compiled code under (besides plain `rustc` and the program itself).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    /// `rustc`, then the program.
    Rustc,
    /// The Miri interpreter, which detects undefined behaviour.
    Miri,
    /// Tests built with `--cfg loom`, which explore thread interleavings.
    Loom,
}

/// What a runner compiles for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The server's own architecture (x86_64 Linux here).
    Host,
    /// A Cortex-M3 board (QEMU's `lm3s6965evb`).
    #[serde(rename = "thumbv7m-none-eabi")]
    ThumbV7mNoneEabi,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Debug,
    Release,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Debug => "debug",
            Mode::Release => "release",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Edition {
    #[serde(rename = "2015")]
    E2015,
    #[serde(rename = "2018")]
    E2018,
    #[serde(rename = "2021")]
    E2021,
    #[default]
    #[serde(rename = "2024")]
    E2024,
}

impl Edition {
    pub fn as_str(self) -> &'static str {
        match self {
            Edition::E2015 => "2015",
            Edition::E2018 => "2018",
            Edition::E2021 => "2021",
            Edition::E2024 => "2024",
        }
    }
}

/// What to do with the code. On the wire, its [`Action::name`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "&str", try_from = "String")]
pub enum Action {
    /// Compile and run `main`.
    #[default]
    Run,
    /// Compile only.
    Build,
    /// Compile with `--test` and run the tests.
    Test,
    /// Run Clippy's lints; they come back as diagnostics.
    Clippy,
    /// Format every Rust file with rustfmt; the formatted files come back in `files`.
    Fmt,
    /// Show a compiler view of the code instead of running it.
    View(CompilerView),
}

impl Action {
    /// Every action, for lists and tests.
    pub const ALL: [Action; 12] = [
        Action::Run,
        Action::Build,
        Action::Test,
        Action::Clippy,
        Action::Fmt,
        Action::View(CompilerView::Mir),
        Action::View(CompilerView::Hir),
        Action::View(CompilerView::LlvmIr),
        Action::View(CompilerView::AsmIntel),
        Action::View(CompilerView::AsmAtt),
        Action::View(CompilerView::Expanded),
        Action::View(CompilerView::TypeLayout),
    ];

    /// The name used on the wire and in fences (`run`, `clippy`, `asm-intel`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Action::Run => "run",
            Action::Build => "build",
            Action::Test => "test",
            Action::Clippy => "clippy",
            Action::Fmt => "fmt",
            Action::View(view) => view.name(),
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether the compiled program runs (and so has a run phase and a run limit).
    pub fn runs_program(self) -> bool {
        matches!(self, Action::Run | Action::Test)
    }
}

impl From<Action> for &'static str {
    fn from(action: Action) -> &'static str {
        action.name()
    }
}

impl TryFrom<String> for Action {
    type Error = String;

    fn try_from(name: String) -> Result<Action, String> {
        Action::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
            format!(
                "unknown action `{}`; the actions are {}",
                name.escape_debug(),
                names.join(", ")
            )
        })
    }
}

/// The compiler's intermediate forms a student can look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CompilerView {
    /// Mid-level IR (`--emit=mir`): the borrow checker's view.
    Mir,
    /// High-level IR (`-Zunpretty=hir`, nightly).
    Hir,
    /// LLVM IR (`--emit=llvm-ir`).
    LlvmIr,
    /// x86-64 assembly in Intel syntax.
    AsmIntel,
    /// x86-64 assembly in AT&T syntax.
    AsmAtt,
    /// The code after macro expansion (`-Zunpretty=expanded`, nightly).
    Expanded,
    /// Sizes and layouts of the types (`-Zprint-type-sizes`, nightly).
    TypeLayout,
}

impl CompilerView {
    pub fn name(self) -> &'static str {
        match self {
            CompilerView::Mir => "mir",
            CompilerView::Hir => "hir",
            CompilerView::LlvmIr => "llvm-ir",
            CompilerView::AsmIntel => "asm-intel",
            CompilerView::AsmAtt => "asm-att",
            CompilerView::Expanded => "expanded",
            CompilerView::TypeLayout => "type-layout",
        }
    }

    /// A title for a tab or a menu.
    pub fn title(self) -> &'static str {
        match self {
            CompilerView::Mir => "MIR",
            CompilerView::Hir => "HIR",
            CompilerView::LlvmIr => "LLVM IR",
            CompilerView::AsmIntel => "Assembly (Intel)",
            CompilerView::AsmAtt => "Assembly (AT&T)",
            CompilerView::Expanded => "Macro expansion",
            CompilerView::TypeLayout => "Type layouts",
        }
    }
}

/// `POST /api/execute`'s answer: the program's whole output and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteResponse {
    pub stdout: String,
    pub stderr: String,
    /// The compiler's messages as it printed them (rendered text).
    pub compiler: String,
    #[serde(flatten)]
    pub result: ExecutionResult,
    /// Set when this answer was not run for this request: it came from the result cache or
    /// from an identical run in flight at the same moment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached: Option<CachedInfo>,
}

/// Where an answer that did not run for its request came from, for the page's note
/// ("Answer from 3 min ago (cached) · Run again").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedInfo {
    pub source: CacheSource,
    /// When the answer was computed, in seconds since the Unix epoch (the server's clock).
    pub ran_at: u64,
    /// How long ago that was when the server answered, in seconds (so a page need not trust
    /// its own clock).
    pub age_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CacheSource {
    /// A stored result of an earlier identical submission.
    Stored,
    /// The result of an identical submission that was running when this one arrived.
    Shared,
}

/// How an execution ended, shared by the HTTP answer and the WebSocket's `finished` message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionResult {
    pub outcome: Outcome,
    /// One or two sentences for a student: what happened and, if it helps, what to try.
    pub explanation: String,
    /// The compiler's errors and warnings, structured from rustc's JSON output.
    pub diagnostics: Vec<Diagnostic>,
    pub timings: Timings,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    /// For `test`: each test the harness reported, in the order they finished.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestCase>,
    /// For a compiler view: its text and where each source line went.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<ViewOutput>,
    /// For `fmt`: every Rust file after formatting (only when rustfmt succeeded).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ProjectFile>,
}

/// A compiler view (MIR, assembly, ...) of the submitted code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewOutput {
    pub view: CompilerView,
    /// The view as the compiler wrote it, with noise (assembler directives, debug metadata)
    /// removed.
    pub text: String,
    /// Which lines of `text` came from which source line, where the compiler says so. Ordered by
    /// `first_line`; ranges do not overlap.
    pub source_map: Vec<ViewLines>,
    /// Set when `text` was cut at the output limit.
    pub truncated: bool,
}

/// A run of lines in a [`ViewOutput`] that came from one source line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewLines {
    /// 1-based, inclusive lines of the view's text.
    pub first_line: u32,
    pub last_line: u32,
    /// The project file and its 1-based line.
    pub file: String,
    pub source_line: u32,
}

/// One test, as the test harness reported it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestCase {
    pub name: String,
    pub status: TestStatus,
    /// For a failure: what the test printed, usually the panic message.
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TestStatus {
    Passed,
    Failed,
    Ignored,
}

/// The ways an execution can end.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Outcome {
    /// Compiled, and (for run and test) exited with status 0.
    Success,
    /// The compiler rejected the code.
    CompileError,
    /// The program exited with a non-zero status (a panic exits with 101).
    ExitFailure {
        #[serde(rename = "exitCode")]
        exit_code: i32,
    },
    /// The program was ended by a signal it did not choose (e.g. SIGSEGV, SIGABRT).
    Signaled { signal: i32 },
    /// A wall-clock limit was reached while compiling or running.
    TimedOut {
        phase: Phase,
        #[serde(rename = "limitMs")]
        limit_ms: u64,
    },
    /// The memory limit was reached and the kernel stopped the program.
    OutOfMemory {
        #[serde(rename = "limitMb")]
        limit_mb: u64,
    },
    /// The student (or a disconnect, or a server shutdown) stopped the run.
    Killed,
    /// The requested runner is not installed on this server (e.g. Miri needs an online build).
    RunnerUnavailable { runner: RunnerId },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Queue,
    Compile,
    Run,
}

/// Milliseconds spent in each phase.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Timings {
    pub queued_ms: u64,
    pub compile_ms: u64,
    pub run_ms: u64,
    pub total_ms: u64,
}

/// One compiler message, from rustc's `--error-format=json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    pub level: Level,
    pub message: String,
    /// E.g. `E0382`.
    pub code: Option<String>,
    pub spans: Vec<DiagnosticSpan>,
    /// The message as rustc renders it for a terminal, without colour codes.
    pub rendered: String,
}

impl Diagnostic {
    /// Where the code is explained: the error index for `E0382`, Clippy's lint list for
    /// `clippy::needless_range_loop`, rustc's lint list for a rustc lint.
    pub fn code_url(&self) -> Option<String> {
        code_url(self.code.as_deref()?)
    }
}

/// The documentation page for an error code or a lint name, as rustc and Clippy report them.
pub fn code_url(code: &str) -> Option<String> {
    if let Some(lint) = code.strip_prefix("clippy::") {
        return Some(format!(
            "https://rust-lang.github.io/rust-clippy/master/index.html#{lint}"
        ));
    }
    if code.len() == 5 && code.starts_with('E') && code[1..].bytes().all(|b| b.is_ascii_digit()) {
        return Some(format!("https://doc.rust-lang.org/error_codes/{code}.html"));
    }
    if !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Some(format!(
            "https://doc.rust-lang.org/rustc/lints/listing/index.html#{code}"
        ));
    }
    None
}

/// How serious a compiler message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Error,
    Warning,
    Note,
    Help,
    FailureNote,
    /// An internal compiler error: a bug in rustc, not in the code.
    #[serde(rename = "error: internal compiler error")]
    InternalError,
}

impl Level {
    /// rustc's word for the level; unknown words are treated as notes.
    pub fn parse(word: &str) -> Level {
        match word {
            "error" => Level::Error,
            "warning" => Level::Warning,
            "help" => Level::Help,
            "failure-note" => Level::FailureNote,
            "error: internal compiler error" => Level::InternalError,
            _ => Level::Note,
        }
    }

    pub fn is_error(self) -> bool {
        matches!(self, Level::Error | Level::InternalError)
    }
}

/// Where a diagnostic points, 1-based lines and columns in the submitted code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticSpan {
    /// The project file, e.g. `src/main.rs`.
    pub file: String,
    pub line_start: u32,
    pub line_end: u32,
    pub column_start: u32,
    pub column_end: u32,
    pub is_primary: bool,
    pub label: Option<String>,
}

/// What the browser sends on `/api/ws`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ClientMessage {
    /// Start an execution; one at a time per connection.
    Execute(ExecuteRequest),
    /// Bytes for the running program's standard input.
    Stdin { data: String },
    /// Close the program's standard input (end of file).
    CloseStdin,
    /// Stop the execution now.
    Kill,
}

/// What the server streams on `/api/ws`, in order: `queued`* `cached`? `compiling` `compiler`*
/// `running` (`stdout` | `stderr`)* `finished`. `error` may come instead of any of them. After
/// `cached`, the rest is a replay of an earlier identical run, sent at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerMessage {
    /// Waiting for a free slot; `position` 1 means next.
    Queued {
        position: usize,
    },
    /// What follows did not run for this request: see [`CachedInfo`].
    Cached(CachedInfo),
    Compiling,
    /// Rendered compiler output, as it arrives.
    Compiler {
        data: String,
    },
    Running,
    Stdout {
        data: String,
    },
    Stderr {
        data: String,
    },
    Finished(ExecutionResult),
    /// The request could not be handled at all (malformed, queue full, ...).
    Error {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn a_minimal_request_takes_defaults() {
        let request: ExecuteRequest = serde_json::from_str(r#"{"code":"fn main(){}"}"#).unwrap();
        assert_eq!(request.runner, RunnerId::default());
        assert_eq!(request.runner.as_str(), "stable");
        assert_eq!(request.mode, Mode::Debug);
        assert_eq!(request.edition, Edition::E2024);
        assert_eq!(request.action, Action::Run);
        assert_eq!(
            request.project_files(),
            [ProjectFile::main("fn main(){}".into())]
        );
    }

    #[test]
    fn unknown_fields_and_flags_are_rejected() {
        assert!(serde_json::from_str::<ExecuteRequest>(r#"{"code":"","colour":"red"}"#).is_err());
        assert!(
            serde_json::from_str::<ExecuteRequest>(r#"{"code":"","action":"explode"}"#).is_err()
        );
        let error =
            serde_json::from_str::<ExecuteRequest>(r#"{"code":"","flags":["linker=/bin/sh"]}"#)
                .unwrap_err()
                .to_string();
        assert!(error.contains("`linker` is not an allowed flag"), "{error}");
        let cortex: ExecuteRequest = serde_json::from_str(
            r#"{"code":"","runner":"cortex-m","edition":"2021","mode":"release","flags":["panic=abort","opt-level=s"]}"#,
        )
        .unwrap();
        assert_eq!(cortex.runner.as_str(), "cortex-m");
        assert_eq!(cortex.edition, Edition::E2021);
        assert_eq!(cortex.flags.len(), 2);
    }

    #[test]
    fn cached_answers_and_fresh_requests_have_a_stable_shape() {
        let cached = ServerMessage::Cached(CachedInfo {
            source: CacheSource::Stored,
            ran_at: 1_700_000_000,
            age_secs: 180,
        });
        assert_eq!(
            serde_json::to_string(&cached).unwrap(),
            r#"{"type":"cached","source":"stored","ranAt":1700000000,"ageSecs":180}"#
        );
        let plain: ExecuteRequest = serde_json::from_str(r#"{"code":""}"#).unwrap();
        assert!(!plain.fresh);
        assert!(!serde_json::to_string(&plain).unwrap().contains("fresh"));
        let again: ExecuteRequest = serde_json::from_str(r#"{"code":"","fresh":true}"#).unwrap();
        assert!(again.fresh);
    }

    #[test]
    fn every_action_round_trips_by_its_name() {
        for action in Action::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.name()));
            assert_eq!(serde_json::from_str::<Action>(&json).unwrap(), action);
            assert_eq!(Action::from_name(action.name()), Some(action));
        }
        assert_eq!(
            serde_json::from_str::<Action>(r#""asm-intel""#).unwrap(),
            Action::View(CompilerView::AsmIntel)
        );
    }

    #[test]
    fn levels_and_code_links() {
        assert_eq!(
            serde_json::from_str::<Level>(r#""error: internal compiler error""#).unwrap(),
            Level::InternalError
        );
        assert_eq!(Level::parse("warning"), Level::Warning);
        assert_eq!(
            code_url("E0382").unwrap(),
            "https://doc.rust-lang.org/error_codes/E0382.html"
        );
        assert_eq!(
            code_url("clippy::needless_range_loop").unwrap(),
            "https://rust-lang.github.io/rust-clippy/master/index.html#needless_range_loop"
        );
        assert!(
            code_url("unused_variables")
                .unwrap()
                .ends_with("#unused_variables")
        );
        assert_eq!(code_url("E03"), None);
    }

    #[test]
    fn stream_messages_have_a_stable_shape() {
        let messages = [
            ServerMessage::Queued { position: 2 },
            ServerMessage::Stdout {
                data: "hi\n".into(),
            },
            ServerMessage::Finished(ExecutionResult {
                outcome: Outcome::TimedOut {
                    phase: Phase::Run,
                    limit_ms: 10_000,
                },
                explanation: "Stopped after 10 s.".into(),
                diagnostics: vec![],
                timings: Timings::default(),
                stdout_truncated: false,
                stderr_truncated: true,
                tests: vec![],
                view: None,
                files: vec![],
            }),
        ];
        let json: Vec<String> = messages
            .iter()
            .map(|m| serde_json::to_string(m).unwrap())
            .collect();
        expect![[r#"
            [
                "{\"type\":\"queued\",\"position\":2}",
                "{\"type\":\"stdout\",\"data\":\"hi\\n\"}",
                "{\"type\":\"finished\",\"outcome\":{\"kind\":\"timedOut\",\"phase\":\"run\",\"limitMs\":10000},\"explanation\":\"Stopped after 10 s.\",\"diagnostics\":[],\"timings\":{\"queuedMs\":0,\"compileMs\":0,\"runMs\":0,\"totalMs\":0},\"stdoutTruncated\":false,\"stderrTruncated\":true}",
            ]
        "#]]
        .assert_debug_eq(&json);
        let client: ClientMessage =
            serde_json::from_str(r#"{"type":"stdin","data":"42\n"}"#).unwrap();
        assert_eq!(
            client,
            ClientMessage::Stdin {
                data: "42\n".into()
            }
        );
    }
}
