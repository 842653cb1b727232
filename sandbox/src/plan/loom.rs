//! The Loom runner: builds the tests with `--cfg loom` in release mode and runs them, exploring thread interleavings.

use rmp_job::protocol::JobSpec;
use runners::RunnerSpec;

use super::{PlanError, Project};
use crate::{Job, Limits, Report};

/// The command lines of a job on the Loom runner.
pub(super) fn plan(
    job: &Job,
    runner: &RunnerSpec,
    limits: &Limits,
    project: &Project,
) -> Result<JobSpec, PlanError> {
    let _ = (job, limits, project);
    Err(PlanError::Layout(format!(
        "the {} runner cannot run code on this server yet",
        runner.id
    )))
}

/// What the Loom runner adds to the report in words.
pub(super) fn refine(job: &Job, report: &mut Report) {
    let _ = (job, report);
}
