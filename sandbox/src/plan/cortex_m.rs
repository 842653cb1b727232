//! The Cortex-M runner: builds for `thumbv7m-none-eabi` and runs the program on QEMU's `lm3s6965evb` board.

use rmp_job::protocol::JobSpec;
use runners::RunnerSpec;

use super::{PlanError, Project};
use crate::{Job, Limits, Report};

/// The command lines of a job on the Cortex-M runner.
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

/// What the Cortex-M runner adds to the report in words.
pub(super) fn refine(job: &Job, report: &mut Report) {
    let _ = (job, report);
}
