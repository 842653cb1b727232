//! A submission as the sandbox runs it, and the checks that make one from a request.

use api_types::project::{ProjectError, check_project};
use api_types::{Action, CodegenFlag, Edition, ExecuteRequest, Mode, ProjectFile, RunnerId, Tool};

use crate::plan::{MiriFlag, PlanError, loom};

/// Standard input given up front, per request or message.
pub const MAX_STDIN_BYTES: usize = 1024 * 1024;

/// One submission, validated: [`Job::from_request`] is the only way requests become jobs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    /// The project; `src/main.rs` alone in the common case.
    pub files: Vec<ProjectFile>,
    /// The runner that runs it (a view the requested runner lacks is routed to one that has it).
    pub runner: RunnerId,
    pub action: Action,
    pub mode: Mode,
    pub edition: Edition,
    pub flags: Vec<CodegenFlag>,
    /// Standard input known up front.
    pub stdin: Vec<u8>,
    /// Keep standard input open for [`crate::Control::Stdin`] (the WebSocket); otherwise it is
    /// closed after `stdin`.
    pub interactive: bool,
    /// Miri's flags (Miri runner only), checked against its allow-list.
    pub miri_flags: Vec<MiriFlag>,
    /// Loom's preemption bound (Loom runner only), 1 to [`loom::MAX_PREEMPTIONS`].
    pub loom_preemptions: Option<u32>,
}

/// Why a request cannot become a job: the client's mistake, answered with a 4xx.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    Project(#[from] ProjectError),
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Flags(String),
    #[error("{0}")]
    UnknownRunner(String),
    #[error("the {runner} runner cannot `{action}`, and no other runner here can either")]
    UnsupportedAction {
        runner: RunnerId,
        action: &'static str,
    },
    #[error("the standard input is {kb} KB; the limit is {limit_kb} KB")]
    StdinTooLarge { kb: usize, limit_kb: usize },
}

impl JobError {
    /// Whether the request was too large (413) rather than wrong (400).
    pub fn is_too_large(&self) -> bool {
        matches!(
            self,
            JobError::StdinTooLarge { .. }
                | JobError::Project(
                    ProjectError::TooLarge { .. } | ProjectError::TooManyFiles { .. }
                )
        )
    }
}

impl Job {
    /// A run of one `main.rs` with every default (stable, debug, 2024, run).
    pub fn run(code: impl Into<String>) -> Job {
        Job {
            files: vec![ProjectFile::main(code.into())],
            runner: RunnerId::default(),
            action: Action::Run,
            mode: Mode::Debug,
            edition: Edition::E2024,
            flags: Vec::new(),
            stdin: Vec::new(),
            interactive: false,
            miri_flags: Vec::new(),
            loom_preemptions: None,
        }
    }

    /// Checks everything that can be checked without running: the project's paths and sizes,
    /// its manifests against the runner's precompiled crates, the flags, the runner and whether
    /// it offers the action.
    pub fn from_request(request: ExecuteRequest, interactive: bool) -> Result<Job, JobError> {
        if request.stdin.len() > MAX_STDIN_BYTES {
            return Err(JobError::StdinTooLarge {
                kb: request.stdin.len().div_ceil(1024),
                limit_kb: MAX_STDIN_BYTES / 1024,
            });
        }
        let files = request.project_files();
        check_project(&files)?;
        api_types::flags::check_flags(&request.flags).map_err(JobError::Flags)?;
        let asked = runners::lookup(request.runner.as_str()).map_err(JobError::UnknownRunner)?;
        let runner = runners::for_action(asked, request.action).ok_or_else(|| {
            JobError::UnsupportedAction {
                runner: asked.id.clone(),
                action: request.action.name(),
            }
        })?;
        let miri_flags = if request.miri_flags.is_empty() {
            Vec::new()
        } else if runner.tool != Tool::Miri {
            return Err(JobError::Flags(format!(
                "Miri flags apply to the miri runner, not to {}",
                runner.id
            )));
        } else {
            MiriFlag::parse_list(&request.miri_flags.join(" ")).map_err(JobError::Flags)?
        };
        let loom_preemptions = match request.loom_preemptions {
            None => None,
            Some(_) if runner.tool != Tool::Loom => {
                return Err(JobError::Flags(format!(
                    "a preemption bound applies to the loom runner, not to {}",
                    runner.id
                )));
            }
            Some(n @ 1..) if u32::from(n) <= loom::MAX_PREEMPTIONS => Some(u32::from(n)),
            Some(n) => {
                return Err(JobError::Flags(format!(
                    "a preemption bound of {n} is not allowed: choose 1 to {} (each one more multiplies the interleavings loom explores)",
                    loom::MAX_PREEMPTIONS
                )));
            }
        };
        let job = Job {
            files,
            runner: runner.id.clone(),
            action: request.action,
            mode: request.mode,
            edition: request.edition,
            flags: request.flags,
            stdin: request.stdin.into_bytes(),
            interactive,
            miri_flags,
            loom_preemptions,
        };
        // Planning is pure and cheap: whatever it refuses (a layout, a crate a specialist runner
        // cannot use) is the client's to fix, so it is refused here, before anything runs.
        crate::plan::plan(&job, runner, &crate::Limits::default())?;
        Ok(job)
    }

    /// The main file's code (`src/main.rs`, else the first file), for logs and tests.
    pub fn code(&self) -> &str {
        self.files
            .iter()
            .find(|f| f.path == ProjectFile::MAIN)
            .or(self.files.first())
            .map_or("", |f| f.contents.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::CompilerView;

    fn request(json: &str) -> ExecuteRequest {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_common_case_is_one_main_file() {
        let job = Job::from_request(ExecuteRequest::run("fn main() {}"), false).unwrap();
        assert_eq!(job, Job::run("fn main() {}"));
        assert_eq!(job.code(), "fn main() {}");
    }

    #[test]
    fn views_stable_lacks_run_on_nightly() {
        let job = Job::from_request(
            request(r#"{"code":"fn main() {}","action":"expanded"}"#),
            false,
        )
        .unwrap();
        assert_eq!(job.runner.as_str(), "nightly");
        assert_eq!(job.action, Action::View(CompilerView::Expanded));
        let job = Job::from_request(
            request(r#"{"code":"fn main() {}","action":"asm-att"}"#),
            false,
        )
        .unwrap();
        assert_eq!(job.runner.as_str(), "stable");
    }

    #[test]
    fn bad_requests_are_named() {
        for (json, words) in [
            (r#"{"code":"","runner":"beta"}"#, "no runner called `beta`"),
            (
                r#"{"files":[{"path":"../x.rs","contents":""}]}"#,
                "leaves the project",
            ),
            (
                r#"{"code":"","flags":["opt-level=1","opt-level=2"]}"#,
                "set `opt-level` twice",
            ),
            (
                r#"{"code":"","runner":"loom","action":"clippy"}"#,
                "the loom runner cannot `clippy`",
            ),
            (r#"{}"#, "there is no code to run"),
            (
                r#"{"code":"","miriFlags":["-Zmiri-strict-provenance"]}"#,
                "Miri flags apply to the miri runner, not to stable",
            ),
            (
                r#"{"code":"","runner":"miri","miriFlags":["-Zmiri-backtrace=full"]}"#,
                "-Zmiri-backtrace",
            ),
            (
                r##"{"code":"#[test] fn t() {}","runner":"loom","action":"test","loomPreemptions":9}"##,
                "a preemption bound of 9 is not allowed: choose 1 to 3",
            ),
            (
                r#"{"runner":"miri","files":[{"path":"Cargo.toml","contents":"[package]\nname = \"x\"\n[dependencies]\nserde = \"1\"\n"},{"path":"src/main.rs","contents":""}]}"#,
                "the playground's crates are not built for Miri",
            ),
            (
                r#"{"files":[{"path":"Cargo.toml","contents":"[package]\nname = \"x\"\n[dependencies]\nleftpad = \"1\"\n"},{"path":"src/main.rs","contents":""}]}"#,
                "`leftpad` is not one of the crates",
            ),
        ] {
            let error = Job::from_request(request(json), false)
                .unwrap_err()
                .to_string();
            assert!(error.contains(words), "{json}: {error}");
        }
        let big = ExecuteRequest {
            stdin: "x".repeat(MAX_STDIN_BYTES + 1),
            ..ExecuteRequest::run("")
        };
        assert!(Job::from_request(big, false).unwrap_err().is_too_large());
    }
}
