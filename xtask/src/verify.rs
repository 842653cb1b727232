//! `cargo xtask verify-content`: every example and exercise in `content/`, run through the real
//! sandbox and checked against what its fence promises. The work is done by `rmp-verify` (the
//! `content-verify` crate); this makes sure dockerd runs and the runner image is built first.

use crate::cmd::{self, Failure, step};
use crate::{Repo, images};

/// `args` are passed on to `rmp-verify` (`--no-cache`, `--jobs N`, `--verbose`).
pub fn run(args: &[String]) -> Result<(), Failure> {
    let repo = Repo::locate()?;
    images::ensure()?;
    verify(&repo, args)
}

/// Builds and runs `rmp-verify` on the repository's `content/`. Docker and the stable runner
/// image must be ready ([`images::ensure`]).
pub fn verify(repo: &Repo, args: &[String]) -> Result<(), Failure> {
    step(
        "Verifying content: every example and exercise through the sandbox",
        || {
            // A debug build: it shares its dependencies with the test builds, and the time is
            // spent in the sandbox, not in this program.
            cmd::cargo(repo)
                .args([
                    "run",
                    "--quiet",
                    "--package",
                    "content-verify",
                    "--bin",
                    "rmp-verify",
                    "--",
                    // Relative to the repository root (cargo's working directory), so that
                    // messages read `content/<course>/<chapter>.md:<line>`.
                    "--content",
                    "content",
                ])
                .args(args)
                .run()
                .map_err(|_| {
                    Failure::new(
                        "content verification failed: the lines above say which file and line, and why",
                    )
                })
        },
    )
}
