//! Making sure a Docker daemon answers, starting one when none runs (as on a fresh CI machine).
//!
//! xtask drives Docker through its CLI for set-up and checks only; the product talks to Docker
//! through the `sandbox` crate and nowhere else.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{Cmd, Failure, on_path, step};
use crate::setup;

/// The label every sandbox container carries (set by the `sandbox` crate).
pub const SANDBOX_LABEL: &str = "rmp.sandbox=1";

const SOCKET: &str = "/var/run/docker.sock";

/// Installs the Docker CLI and daemon if missing, and starts the daemon if it does not answer.
pub fn ensure_daemon() -> Result<(), Failure> {
    step("Checking the Docker daemon (runs the sandboxes)", || {
        if !on_path("docker") || !on_path("dockerd") {
            setup::apt_install(&["docker.io"], "Docker, to run submitted code in sandboxes")?;
        }
        if let Some(version) = server_version() {
            println!("    Docker Engine {version} at {SOCKET}");
            return Ok(());
        }
        start_daemon()?;
        let version = server_version().ok_or_else(|| {
            Failure::new("dockerd started but `docker version` still cannot reach it")
        })?;
        println!("    Docker Engine {version} started");
        Ok(())
    })
}

fn server_version() -> Option<String> {
    Cmd::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Starts `dockerd` in the background (no systemd here), logging to the cache directory.
fn start_daemon() -> Result<(), Failure> {
    let is_root = Cmd::new("id")
        .args(["-u"])
        .output()
        .is_some_and(|u| u.trim() == "0");
    if !is_root {
        return Err(Failure::new(
            "the Docker daemon is not running and starting it needs root: start it (e.g. `sudo dockerd &` or `sudo systemctl start docker`) and try again",
        ));
    }
    let log_path = crate::cache_dir().join("dockerd.log");
    if let Some(dir) = log_path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display())))?;
    }
    let log = std::fs::File::create(&log_path)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", log_path.display())))?;
    let err_log = log
        .try_clone()
        .map_err(|e| Failure::new(format!("cannot log dockerd: {e}")))?;
    println!(
        "    starting dockerd in the background (log: {})",
        log_path.display()
    );
    // setsid: the daemon must outlive this command and ignore the terminal's signals.
    let mut command = if on_path("setsid") {
        let mut c = Command::new("setsid");
        c.arg("dockerd");
        c
    } else {
        Command::new("dockerd")
    };
    command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err_log)
        .spawn()
        .map_err(|e| Failure::new(format!("cannot start dockerd: {e}")))?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if Path::new(SOCKET).exists() && server_version().is_some() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Err(Failure::new(format!(
        "dockerd did not answer within 60 s; see {}",
        log_path.display()
    )))
}

/// Ids of sandbox containers no live process owns: orphans (their owner is provably gone, see
/// `sandbox_owner`) and containers without owner labels (made by older servers). A running
/// server's containers (`cargo xtask run` beside the tests, say) are not leftovers: the gate
/// neither removes nor counts them.
pub fn leftover_containers() -> Result<Vec<String>, Failure> {
    use sandbox_owner::{BOOT_KEY, HOST_KEY, Liveness, Owner, PID_KEY, START_KEY, process_start};
    let format = [HOST_KEY, BOOT_KEY, PID_KEY, START_KEY]
        .map(|key| format!("{{{{.Label \"{key}\"}}}}"))
        .join("\t");
    let out = Cmd::new("docker")
        .args([
            "ps",
            "--all",
            "--filter",
            &format!("label={SANDBOX_LABEL}"),
            "--format",
            &format!("{{{{.ID}}}}\t{format}"),
        ])
        .output()
        .ok_or_else(|| Failure::new("`docker ps` failed: is the daemon still running?"))?;
    let here = Owner::current();
    Ok(out
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            let id = fields.next()?.trim().to_owned();
            let labels: std::collections::HashMap<String, String> =
                [HOST_KEY, BOOT_KEY, PID_KEY, START_KEY]
                    .into_iter()
                    .zip(fields)
                    .filter(|(_, value)| !value.is_empty())
                    .map(|(key, value)| (key.to_owned(), value.to_owned()))
                    .collect();
            let orphan = match (Owner::from_labels(&labels), &here) {
                (None, _) => true,
                (Some(owner), Some(here)) => owner.liveness(here, process_start) == Liveness::Gone,
                (Some(_), None) => false,
            };
            (orphan && !id.is_empty()).then_some(id)
        })
        .collect())
}

/// Removes sandbox containers left by earlier runs (a server that was killed), so that the check
/// after the tests judges only this run.
pub fn remove_leftovers() -> Result<(), Failure> {
    let left = leftover_containers()?;
    if !left.is_empty() {
        println!(
            "\n    removing {} sandbox container(s) left by an earlier run",
            left.len()
        );
        Cmd::new("docker")
            .args(["rm", "--force"])
            .args(&left)
            .run()?;
    }
    Ok(())
}

/// Fails if any sandbox container is left: every path must remove its container.
pub fn check_no_leftovers() -> Result<(), Failure> {
    step("Checking that no sandbox container was left behind", || {
        // Removals run in the background for a moment after the last test.
        let started = Instant::now();
        loop {
            let left = leftover_containers()?;
            if left.is_empty() {
                println!("    none left");
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(15) {
                let _ = Cmd::new("docker")
                    .args(["rm", "--force"])
                    .args(&left)
                    .output();
                return Err(Failure::new(format!(
                    "{} sandbox container(s) were left behind (now removed): {}",
                    left.len(),
                    left.join(" ")
                )));
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    })
}
