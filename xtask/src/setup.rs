//! Installing what the commands need, only when it is missing.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cmd::{Cmd, Failure, find_on_path, on_path, step};
use crate::wasm::{self, WasmEnv};

/// The Trunk release installed when none is present. 0.22 needs rustc >= 1.96.1; 0.21.14 builds
/// with older stable toolchains.
const TRUNK_VERSION: &str = "0.21.14";

/// Everything any command needs.
pub fn everything() -> Result<SpaTools, Failure> {
    let tools = spa_tools()?;
    browser_tools()?;
    Ok(tools)
}

/// The tools that build the SPA.
#[derive(Clone, Debug)]
pub struct SpaTools {
    pub wasm: WasmEnv,
    pub wasm_opt: Option<WasmOpt>,
}

/// What building the SPA needs: a wasm32 route, Trunk, wasm-bindgen-cli, Node.js and npm (for the
/// code editor bundle), wasm-opt.
pub fn spa_tools() -> Result<SpaTools, Failure> {
    step("Checking the tools that build the web app", || {
        let wasm = wasm::prepare()?;
        ensure_trunk()?;
        ensure_wasm_bindgen()?;
        ensure_node()?;
        let wasm_opt = ensure_wasm_opt()?;
        Ok(SpaTools { wasm, wasm_opt })
    })
}

/// Paths of a Chromium and its chromedriver, installing Debian's when there are none.
pub struct Browser {
    pub chrome: PathBuf,
    pub chromedriver: PathBuf,
}

pub fn browser_tools() -> Result<Browser, Failure> {
    step(
        "Checking Chromium and chromedriver (for browser tests)",
        || {
            let find = || {
                let chrome = [
                    "chromium",
                    "chromium-browser",
                    "google-chrome",
                    "google-chrome-stable",
                ]
                .iter()
                .find_map(|name| find_on_path(name));
                Some(Browser {
                    chrome: chrome?,
                    chromedriver: find_on_path("chromedriver")?,
                })
            };
            if let Some(found) = find() {
                println!(
                    "    using {} and {}",
                    found.chrome.display(),
                    found.chromedriver.display()
                );
                return Ok(found);
            }
            apt_install(
                &["chromium", "chromium-driver"],
                "a headless browser for the browser tests",
            )?;
            find().ok_or_else(|| {
                Failure::new("Chromium or chromedriver is still missing after installing them")
            })
        },
    )
}

fn ensure_trunk() -> Result<(), Failure> {
    if let Some(version) = Cmd::new("trunk").args(["--version"]).output() {
        println!("    {}", version.trim());
        return Ok(());
    }
    println!(
        "    installing Trunk {TRUNK_VERSION} from crates.io (first time only; about 11 minutes on 2 cores)"
    );
    Cmd::new(cargo_for_install())
        .args(["install", "--locked", &format!("trunk@{TRUNK_VERSION}")])
        .run()
}

/// The oldest Node.js that esbuild supports (its `engines` field); Debian bookworm has 18.
const MIN_NODE: u32 = 18;

/// Node.js and npm, which install and bundle the code editor (`frontend/editor`).
fn ensure_node() -> Result<(), Failure> {
    if !on_path("npm") {
        apt_install(
            &["nodejs", "npm"],
            "Node.js and npm, to build the code editor bundle",
        )?;
        if !on_path("npm") {
            return Err(Failure::new(format!(
                "npm is still missing after installing Debian's nodejs and npm: install Node.js {MIN_NODE} or newer with npm"
            )));
        }
    }
    let version = Cmd::new("node").args(["--version"]).output();
    let major = version.as_deref().and_then(|v| {
        v.trim()
            .trim_start_matches('v')
            .split('.')
            .next()?
            .parse::<u32>()
            .ok()
    });
    match major {
        Some(major) if major >= MIN_NODE => {
            println!("    node {}", version.as_deref().unwrap_or_default().trim());
            Ok(())
        }
        _ => Err(Failure::new(format!(
            "the code editor bundle needs Node.js {MIN_NODE} or newer (esbuild), found {}: install a newer Node.js",
            version.as_deref().map_or("none", str::trim)
        ))),
    }
}

/// wasm-bindgen-cli must match the `wasm-bindgen` crate in Cargo.lock exactly.
fn ensure_wasm_bindgen() -> Result<(), Failure> {
    let wanted = locked_version("wasm-bindgen")?;
    let installed = Cmd::new("wasm-bindgen").args(["--version"]).output();
    if installed
        .as_deref()
        .is_some_and(|v| v.split_whitespace().nth(1) == Some(wanted.as_str()))
    {
        println!("    wasm-bindgen {wanted} (matches Cargo.lock)");
        return Ok(());
    }
    println!(
        "    installing wasm-bindgen-cli {wanted} to match Cargo.lock (found {}; about 4 minutes)",
        installed.as_deref().map_or("none", str::trim)
    );
    // Not --locked: its lock file pins a yanked webpki-roots that cargo refuses.
    Cmd::new(cargo_for_install())
        .args(["install", "--force", &format!("wasm-bindgen-cli@{wanted}")])
        .run()
}

/// The oldest wasm-opt known to keep wasm-bindgen's externref tables intact. Debian bookworm's
/// binaryen (108) produces a module that fails at start-up with "WebAssembly.Table.set(): Argument 1
/// is invalid for table".
const MIN_WASM_OPT: u32 = 116;
/// The binaryen release installed from npm when no good wasm-opt is on PATH.
const NPM_BINARYEN: &str = "132.0.0";

/// A usable wasm-opt: its version as Trunk names it, and a directory to put first on PATH.
#[derive(Clone, Debug)]
pub struct WasmOpt {
    pub trunk_version: String,
    pub bin_dir: Option<PathBuf>,
}

fn ensure_wasm_opt() -> Result<Option<WasmOpt>, Failure> {
    if let Some(number) = wasm_opt_number(Cmd::new("wasm-opt"))
        && number >= MIN_WASM_OPT
    {
        println!("    wasm-opt {number}");
        return Ok(Some(WasmOpt {
            trunk_version: format!("version_{number}"),
            bin_dir: None,
        }));
    }
    let prefix = crate::cache_dir().join("tools/binaryen");
    let bin_dir = prefix.join("node_modules/.bin");
    let installed = || wasm_opt_number(Cmd::new(bin_dir.join("wasm-opt")));
    if installed().is_none() {
        if !on_path("npm") {
            println!(
                "    no wasm-opt >= {MIN_WASM_OPT} and no npm to install one: Trunk will download its own (needs internet)"
            );
            return Ok(None);
        }
        println!(
            "    installing binaryen {NPM_BINARYEN} (wasm-opt) from npm into {}",
            prefix.display()
        );
        Cmd::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .args([&prefix])
            .args([format!("binaryen@{NPM_BINARYEN}")])
            .run()?;
    }
    let number = installed().ok_or_else(|| {
        Failure::new("binaryen was installed from npm but its wasm-opt does not run")
    })?;
    println!("    wasm-opt {number} (npm binaryen)");
    Ok(Some(WasmOpt {
        trunk_version: format!("version_{number}"),
        bin_dir: Some(bin_dir),
    }))
}

/// `108` for `wasm-opt version 108 (...)`.
fn wasm_opt_number(cmd: Cmd) -> Option<u32> {
    let out = cmd.args(["--version"]).output()?;
    out.split_whitespace().nth(2)?.parse().ok()
}

/// The version of `package` recorded in Cargo.lock.
pub fn locked_version(package: &str) -> Result<String, Failure> {
    let lock_path = crate::Repo::locate()?.root.join("Cargo.lock");
    let lock = std::fs::read_to_string(&lock_path)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", lock_path.display())))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{package}\"")
            && let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    Err(Failure::new(format!(
        "Cargo.lock has no `{package}` package"
    )))
}

/// rustup's cargo, so tools install with the toolchain the developer chose.
fn cargo_for_install() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn has_apt() -> bool {
    on_path("apt-get") && on_path("dpkg-query")
}

fn is_installed(package: &str) -> bool {
    Cmd::new("dpkg-query")
        .args(["-W", "-f=${Status}", package])
        .output()
        .is_some_and(|status| status.contains("install ok installed"))
}

static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// Installs Debian packages that are missing, explaining why they are needed.
pub fn apt_install(packages: &[&str], why: &str) -> Result<(), Failure> {
    if !has_apt() {
        return Err(Failure::new(format!(
            "this step needs {why} ({}), and there is no apt-get here to install it: install the equivalent with your system's package manager",
            packages.join(", ")
        )));
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !is_installed(p))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let as_root = Cmd::new("id")
        .args(["-u"])
        .output()
        .is_some_and(|u| u.trim() == "0");
    let apt = |args: &[&str]| {
        let cmd = if as_root {
            Cmd::new("apt-get").args(args)
        } else {
            Cmd::new("sudo").args(["-n", "apt-get"]).args(args)
        };
        cmd.env("DEBIAN_FRONTEND", "noninteractive")
    };
    println!("    installing {} ({why})", missing.join(", "));
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        apt(&["update", "-q"]).run().map_err(|e| {
            Failure::new(format!(
                "{e}\n  (installing packages needs root: run as root or allow passwordless sudo)"
            ))
        })?;
    }
    let mut args = vec!["install", "-y", "-q"];
    args.extend(&missing);
    apt(&args).run()
}
