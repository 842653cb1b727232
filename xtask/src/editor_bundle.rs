//! Building the code editor (`frontend/editor`): CodeMirror 6 bundled by esbuild into one script,
//! `frontend/editor/dist/editor.js`, which `frontend/index.html` hands to Trunk.
//!
//! Both steps are skipped when their output is current: `npm ci` when `node_modules` was installed
//! from the same `package-lock.json` (a stamp file records the lock's hash), esbuild when the bundle
//! is newer than its sources.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::Repo;
use crate::cmd::{Cmd, Failure, on_path, step};

/// Written into `node_modules` after `npm ci`: the hash of the lock file it installed.
const STAMP: &str = ".rmp-lock-hash";

/// The esbuild invocation; `RmpEditor` is the global the Rust bindings look for.
const ESBUILD_ARGS: &[&str] = &[
    "src/editor.js",
    "--bundle",
    "--minify",
    "--format=iife",
    "--global-name=RmpEditor",
    "--target=es2020",
    "--legal-comments=none",
    "--log-level=warning",
    "--outfile=dist/editor.js",
];

/// Installs the editor's npm packages if needed, bundles it if needed, and prints its size.
pub fn build(repo: &Repo) -> Result<(), Failure> {
    step(
        "Building the code editor bundle (CodeMirror, esbuild)",
        || {
            let dir = repo.root.join("frontend/editor");
            if !on_path("npm") {
                return Err(Failure::new(
                    "building the code editor needs Node.js (18 or newer) and npm, and `npm` is not on PATH: \
                 run `cargo xtask setup`, or install them (Debian: `apt-get install nodejs npm`)",
                ));
            }
            install_packages(&dir)?;
            let bundle = dir.join("dist/editor.js");
            if is_current(&bundle, &dir)? {
                println!("    {} is up to date", shown(repo, &bundle));
            } else {
                Cmd::new(dir.join("node_modules/.bin/esbuild"))
                    .current_dir(&dir)
                    .args(ESBUILD_ARGS)
                    .run()?;
            }
            let bytes = fs::read(&bundle).map_err(|e| io("read", &bundle, e))?;
            let gzip = gzip_len(&bytes).map_err(|e| io("compress", &bundle, e))?;
            println!(
                "    {}: {:.1} KB (gzip {:.1} KB)",
                shown(repo, &bundle),
                kb(bytes.len()),
                kb(gzip)
            );
            Ok(())
        },
    )
}

/// `npm ci` unless `node_modules` holds exactly what `package-lock.json` lists.
fn install_packages(dir: &Path) -> Result<(), Failure> {
    let lock_path = dir.join("package-lock.json");
    let lock = fs::read(&lock_path).map_err(|e| io("read", &lock_path, e))?;
    let hash = format!("{:016x}", fnv1a(&lock));
    let stamp = dir.join("node_modules").join(STAMP);
    let installed = fs::read_to_string(&stamp).ok();
    if installed.as_deref().map(str::trim) == Some(hash.as_str()) {
        return Ok(());
    }
    println!(
        "    installing the editor's npm packages ({})",
        if installed.is_some() {
            "package-lock.json changed"
        } else {
            "first build"
        }
    );
    Cmd::new("npm")
        .current_dir(dir)
        .args(["ci", "--no-audit", "--no-fund"])
        .run()?;
    fs::write(&stamp, format!("{hash}\n")).map_err(|e| io("write", &stamp, e))
}

/// Whether `bundle` exists and is newer than every input: `src/`, `package.json` and the lock.
fn is_current(bundle: &Path, dir: &Path) -> Result<bool, Failure> {
    let Ok(built) = fs::metadata(bundle).and_then(|m| m.modified()) else {
        return Ok(false);
    };
    let mut inputs = files_under(&dir.join("src"))?;
    inputs.push(dir.join("package.json"));
    inputs.push(dir.join("package-lock.json"));
    for input in inputs {
        if modified(&input)? > built {
            return Ok(false);
        }
    }
    Ok(true)
}

fn modified(path: &Path) -> Result<SystemTime, Failure> {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| io("read", path, e))
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io("read", dir, e))? {
        let path = entry.map_err(|e| io("read", dir, e))?.path();
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

/// FNV-1a: enough to notice a changed lock file, not a security boundary.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn gzip_len(bytes: &[u8]) -> std::io::Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

fn kb(bytes: usize) -> f64 {
    bytes as f64 / 1024.0
}

fn shown(repo: &Repo, path: &Path) -> String {
    path.strip_prefix(&repo.root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Failure {
    Failure::new(format!("cannot {what} {}: {e}", path.display()))
}
