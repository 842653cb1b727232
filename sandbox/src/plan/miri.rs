//! The Miri runner: interprets the program (or its tests) with Miri, which reports undefined behaviour.

use rmp_job::protocol::JobSpec;
use runners::RunnerSpec;

use super::{PlanError, Project};
use crate::{Job, Limits, Report};

/// The command lines of a job on the Miri runner.
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

/// What the Miri runner adds to the report in words.
pub(super) fn refine(job: &Job, report: &mut Report) {
    let _ = (job, report);
}
