//! Explanations a student can act on, one per [`Outcome`], plus hints read from the output.

use api_types::{Action, Outcome, Phase, RunnerId};

use crate::{Limits, StopReason};

/// What [`explain`] needs besides the outcome.
pub struct Context<'a> {
    pub action: Action,
    pub limits: &'a Limits,
    /// The phase the outcome happened in (matters for memory and stops).
    pub phase: Phase,
    pub compile_errors: usize,
    /// Clippy's lints among the diagnostics.
    pub lints: usize,
    pub stop: Option<StopReason>,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
    pub stderr: &'a str,
}

/// One or two sentences for a student: what happened and, if it helps, what to try.
pub fn explain(outcome: &Outcome, cx: &Context<'_>) -> String {
    let mut text = match outcome {
        Outcome::Success => match cx.action {
            Action::Run => "Your program ran and exited normally.".to_owned(),
            Action::Build => "Your code compiled without errors.".to_owned(),
            Action::Test => "All tests passed.".to_owned(),
            Action::Clippy => match cx.lints {
                0 => "Clippy has no suggestions for this code.".to_owned(),
                1 => "Clippy has one suggestion; it is marked in the code and explained below.".to_owned(),
                n => format!("Clippy has {n} suggestions; they are marked in the code and explained below."),
            },
            Action::Fmt => "Formatted with rustfmt.".to_owned(),
            Action::View(view) => format!("The {} of your code is below.", view.title()),
        },
        Outcome::CompileError if cx.action == Action::Fmt => {
            "rustfmt could not read this code, so nothing was changed; its message below says where the syntax is broken.".to_owned()
        }
        Outcome::CompileError => match cx.compile_errors {
            0 => "Your code could not be compiled; the compiler's messages are below.".to_owned(),
            1 => "The compiler found an error in your code; the message below says where."
                .to_owned(),
            n => format!("The compiler found {n} errors in your code; the messages below say where."),
        },
        Outcome::ExitFailure { exit_code } => match (cx.action, exit_code) {
            (Action::Test, _) => "Some tests failed; the test report shows which and why.".to_owned(),
            (_, 101) => "Your program panicked (exit status 101); the panic message is in its error output.".to_owned(),
            (_, code) => format!("Your program exited with status {code}."),
        },
        Outcome::Signaled { signal } => match signal {
            11 => "Your program crashed with a segmentation fault (signal 11): it touched memory it does not own, often through a very deep recursion or `unsafe` code.".to_owned(),
            6 => "Your program aborted (signal 6), for example after a stack overflow or a panic during a panic.".to_owned(),
            9 => "Your program was killed (signal 9).".to_owned(),
            n => format!("Your program was stopped by signal {n}."),
        },
        Outcome::TimedOut { phase, limit_ms } => {
            let secs = seconds(*limit_ms);
            match phase {
                Phase::Run => format!("Your program was still running after {secs} and was stopped. Look for a loop that never ends, or for input it is still waiting for."),
                Phase::Compile => format!("Compiling your code took longer than {secs} and was stopped."),
                Phase::Queue => format!("The server was too busy to start your program within {secs}. Please try again in a moment."),
            }
        }
        Outcome::OutOfMemory { limit_mb } => match cx.phase {
            Phase::Compile => format!("Compiling your code used more than {limit_mb} MiB of memory and was stopped."),
            _ => format!("Your program used more than {limit_mb} MiB of memory and was stopped."),
        },
        Outcome::Killed => match cx.stop {
            Some(StopReason::User) => "You stopped the program.".to_owned(),
            Some(StopReason::Shutdown) => "The server is shutting down, so your program was stopped. Please run it again in a moment.".to_owned(),
            None => "Your program ended the sandbox's supervisor, so how it finished is unknown.".to_owned(),
        },
        Outcome::RunnerUnavailable { runner } => runner_unavailable(runner),
    };
    for hint in hints(cx) {
        text.push(' ');
        text.push_str(&hint);
    }
    text
}

/// Why a runner's image is missing, for the student who wanted it.
pub fn runner_unavailable(runner: &RunnerId) -> String {
    let Some(spec) = runners::get(runner.as_str()) else {
        return format!("This server has no runner called `{runner}`.");
    };
    let how = if spec.buildable {
        "An administrator can build it with `cargo xtask images`."
    } else {
        "This server cannot build it yet."
    };
    format!("{} is not installed on this server. {how}", spec.title)
}

fn hints(cx: &Context<'_>) -> Vec<String> {
    let limit = size(cx.limits.output_bytes);
    let mut hints = Vec::new();
    if cx.stdout_truncated {
        hints.push(format!(
            "Your program printed more than {limit}; the rest was cut off."
        ));
    }
    if cx.stderr_truncated {
        hints.push(format!(
            "Its error output was longer than {limit}; the rest was cut off."
        ));
    }
    let stderr = cx.stderr;
    if stderr.contains("No space left on device") || stderr.contains("os error 28") {
        hints.push(format!(
            "It ran out of disk space: programs here have {} MiB for files.",
            cx.limits.tmpfs_mb
        ));
    }
    if stderr.contains("Network is unreachable")
        || stderr.contains("os error 101")
        || stderr.contains("failed to lookup address")
    {
        hints.push("Programs here cannot use the network.".to_owned());
    }
    if stderr.contains("Resource temporarily unavailable") || stderr.contains("os error 11") {
        hints.push(format!(
            "It tried to start more processes or threads than the sandbox allows ({}).",
            cx.limits.pids
        ));
    }
    hints
}

fn seconds(ms: u64) -> String {
    if ms / 1000 * 1000 == ms {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// `1 MiB`, `64 KiB`, `100 bytes`.
pub fn size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes / MIB * MIB == bytes {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes / 1024 * 1024 == bytes {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(outcome: Outcome, edit: impl FnOnce(&mut Context<'_>), expected: &str) {
        let limits = Limits::default();
        let mut cx = Context {
            action: Action::Run,
            limits: &limits,
            phase: Phase::Run,
            compile_errors: 0,
            lints: 0,
            stop: None,
            stdout_truncated: false,
            stderr_truncated: false,
            stderr: "",
        };
        edit(&mut cx);
        assert_eq!(explain(&outcome, &cx), expected);
    }

    #[test]
    fn limits_are_explained_in_plain_words() {
        check(
            Outcome::OutOfMemory { limit_mb: 512 },
            |_| {},
            "Your program used more than 512 MiB of memory and was stopped.",
        );
        check(
            Outcome::TimedOut {
                phase: Phase::Run,
                limit_ms: 10_000,
            },
            |cx| cx.stdout_truncated = true,
            "Your program was still running after 10 s and was stopped. Look for a loop that never ends, or for input it is still waiting for. Your program printed more than 1 MiB; the rest was cut off.",
        );
        check(
            Outcome::ExitFailure { exit_code: 101 },
            |cx| cx.stderr = "thread 'main' panicked: No space left on device (os error 28)",
            "Your program panicked (exit status 101); the panic message is in its error output. It ran out of disk space: programs here have 256 MiB for files.",
        );
        check(
            Outcome::RunnerUnavailable {
                runner: RunnerId::new("miri"),
            },
            |_| {},
            "Miri is not installed on this server. An administrator can build it with `cargo xtask images`.",
        );
        check(
            Outcome::RunnerUnavailable {
                runner: RunnerId::new("nightly"),
            },
            |_| {},
            "Nightly Rust is not installed on this server. An administrator can build it with `cargo xtask images`.",
        );
        check(
            Outcome::CompileError,
            |cx| cx.action = Action::Fmt,
            "rustfmt could not read this code, so nothing was changed; its message below says where the syntax is broken.",
        );
        check(
            Outcome::Success,
            |cx| {
                cx.action = Action::Clippy;
                cx.lints = 2;
            },
            "Clippy has 2 suggestions; they are marked in the code and explained below.",
        );
        check(
            Outcome::CompileError,
            |cx| cx.compile_errors = 2,
            "The compiler found 2 errors in your code; the messages below say where.",
        );
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(1024 * 1024), "1 MiB");
        assert_eq!(size(64 * 1024), "64 KiB");
        assert_eq!(size(1000), "1000 bytes");
    }
}
