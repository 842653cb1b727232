//! Running code: `POST /api/execute` and the `/api/ws` stream.

use serde::{Deserialize, Serialize};

/// What to compile and how. The same request is sent over HTTP and inside [`ClientMessage::Execute`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecuteRequest {
    /// The whole `main.rs` (or `lib.rs` for tests), as the student sees it.
    pub code: String,
    #[serde(default)]
    pub channel: Channel,
    #[serde(default)]
    pub mode: Mode,
    #[serde(default)]
    pub edition: Edition,
    #[serde(default)]
    pub action: Action,
    /// Standard input given up front (the WebSocket can also send it while the program runs).
    #[serde(default)]
    pub stdin: String,
}

/// Which runner image compiles the code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    #[default]
    Stable,
    Nightly,
    Miri,
    Loom,
    CortexM,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    #[default]
    Debug,
    Release,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
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

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Compile and run `main`.
    #[default]
    Run,
    /// Compile only.
    Build,
    /// Compile with `--test` and run the tests.
    Test,
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
    RunnerUnavailable { channel: Channel },
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
    /// `error`, `warning`, `note`, `help`, ...
    pub level: String,
    pub message: String,
    /// E.g. `E0382`.
    pub code: Option<String>,
    pub spans: Vec<DiagnosticSpan>,
    /// The message as rustc renders it for a terminal, without colour codes.
    pub rendered: String,
}

/// Where a diagnostic points, 1-based lines and columns in the submitted code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticSpan {
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

/// What the server streams on `/api/ws`, in order: `queued`* `compiling` `compiler`* `running`
/// (`stdout` | `stderr`)* `finished`. `error` may come instead of any of them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum ServerMessage {
    /// Waiting for a free slot; `position` 1 means next.
    Queued {
        position: usize,
    },
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
        assert_eq!(request.channel, Channel::Stable);
        assert_eq!(request.mode, Mode::Debug);
        assert_eq!(request.edition, Edition::E2024);
        assert_eq!(request.action, Action::Run);
    }

    #[test]
    fn unknown_channels_and_fields_are_rejected() {
        assert!(serde_json::from_str::<ExecuteRequest>(r#"{"code":"","channel":"beta"}"#).is_err());
        assert!(serde_json::from_str::<ExecuteRequest>(r#"{"code":"","colour":"red"}"#).is_err());
        let cortex: ExecuteRequest =
            serde_json::from_str(r#"{"code":"","channel":"cortex-m","edition":"2021"}"#).unwrap();
        assert_eq!(cortex.channel, Channel::CortexM);
        assert_eq!(cortex.edition, Edition::E2021);
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
