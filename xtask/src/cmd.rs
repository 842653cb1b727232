//! Running commands and timing steps, with failures that say what to do.

use std::ffi::OsStr;
use std::fmt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::Repo;

/// A failed step, explained for the person running the command.
#[derive(Debug)]
pub struct Failure(String);

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure(message.into())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `body` as a named step, printing its name first and its duration after.
pub fn step<T>(name: &str, body: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    println!("\n==> {name}");
    let started = Instant::now();
    let result = body();
    let took = started.elapsed().as_secs_f64();
    match &result {
        Ok(_) => println!("    done in {took:.1} s"),
        Err(_) => println!("    FAILED after {took:.1} s"),
    }
    result
}

/// A command builder that reports failures with the full command line.
pub struct Cmd {
    inner: Command,
    shown: String,
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        let shown = program.as_ref().to_string_lossy().into_owned();
        Cmd {
            inner: Command::new(program),
            shown,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            self.shown.push(' ');
            self.shown.push_str(&arg.as_ref().to_string_lossy());
            self.inner.arg(arg);
        }
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.inner.env(key, value);
        self
    }

    /// Sets `key` only if the caller's environment does not already.
    pub fn env_default(self, key: &str, value: impl AsRef<OsStr>) -> Cmd {
        if std::env::var_os(key).is_some() {
            self
        } else {
            self.env(key, value)
        }
    }

    /// Puts `dir` first on this command's PATH (on top of any earlier `prepend_path`).
    pub fn prepend_path(mut self, dir: impl AsRef<Path>) -> Cmd {
        let current = self
            .inner
            .get_envs()
            .find(|(k, _)| *k == "PATH")
            .and_then(|(_, v)| v.map(|v| v.to_owned()))
            .or_else(|| std::env::var_os("PATH"))
            .unwrap_or_default();
        let mut dirs = vec![dir.as_ref().to_owned()];
        dirs.extend(std::env::split_paths(&current));
        let joined = std::env::join_paths(dirs).expect("PATH entries contain no separator");
        self.inner.env("PATH", joined);
        self
    }

    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Cmd {
        self.inner.env_remove(key);
        self
    }

    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Cmd {
        self.inner.current_dir(dir);
        self
    }

    /// Runs with inherited stdio; fails unless the exit status is success.
    pub fn run(mut self) -> Result<(), Failure> {
        let status = self
            .inner
            .status()
            .map_err(|e| Failure::new(format!("cannot start `{}`: {e}", self.shown)))?;
        if status.success() {
            Ok(())
        } else {
            Err(Failure::new(format!("`{}` failed ({status})", self.shown)))
        }
    }

    /// Runs with stdout captured (stderr passes through) and returns it; fails unless the exit
    /// status is success, showing what was captured.
    pub fn capture(mut self) -> Result<String, Failure> {
        let out = self
            .inner
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| Failure::new(format!("cannot start `{}`: {e}", self.shown)))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            Ok(stdout)
        } else {
            Err(Failure::new(format!(
                "`{}` failed ({}):\n{stdout}",
                self.shown, out.status
            )))
        }
    }

    /// Runs quietly and returns stdout, or `None` if it could not run or failed.
    pub fn output(mut self) -> Option<String> {
        let out = self.inner.stderr(Stdio::null()).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// `cargo` for native builds, with the shared target directory.
pub fn cargo(repo: &Repo) -> Cmd {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    Cmd::new(cargo)
        .current_dir(&repo.root)
        .env("CARGO_TARGET_DIR", &repo.target_dir)
}

/// Whether `program` can be found on `PATH`.
pub fn on_path(program: &str) -> bool {
    find_on_path(program).is_some()
}

pub fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}
