//! Choosing how to compile for wasm32-unknown-unknown.
//!
//! - `rustup`: rustup's own `wasm32-unknown-unknown` target (an ordinary online laptop after
//!   `rustup target add wasm32-unknown-unknown`). Preferred whenever it is installed.
//! - `debian`: for machines where rustup cannot download targets. Debian's `rustc-web` ships a
//!   compiler with the matching standard library source (`rust-web-src`), so cargo builds `std`
//!   for wasm32 from source (`-Zbuild-std`, enabled with `RUSTC_BOOTSTRAP`) and links with `wasm-ld`
//!   from `lld`. The first build costs about a minute more; the target directory caches it.
//!
//! `RMP_WASM_ROUTE=rustup|debian` forces a route.

use std::path::Path;

use crate::cmd::{Cmd, Failure, find_on_path};
use crate::setup;

pub const TARGET: &str = "wasm32-unknown-unknown";
/// Where `rust-web-src` installs the standard library's source.
const DEBIAN_STD_SRC: &str = "/usr/lib/rustlib/src/rust/library/std";
const DEBIAN_PACKAGES: &[&str] = &["rustc-web", "cargo-web", "rust-web-src", "lld"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    Rustup,
    Debian,
}

/// How to run cargo (and Trunk, which runs cargo) for wasm32 builds.
#[derive(Clone, Debug)]
pub struct WasmEnv {
    pub route: Route,
}

impl WasmEnv {
    /// Applies this route's environment to a command that will run cargo for wasm32.
    pub fn apply(&self, mut cmd: Cmd) -> Cmd {
        // Cargo and rustup export these to the processes they start; left in place they would pin
        // the wrong toolchain for the builds Trunk and cargo start on our behalf.
        for var in [
            "CARGO",
            "RUSTC",
            "RUSTDOC",
            "RUSTUP_TOOLCHAIN",
            "RUSTC_WRAPPER",
        ] {
            cmd = cmd.env_remove(var);
        }
        match self.route {
            Route::Rustup => cmd,
            Route::Debian => cmd
                .prepend_path("/usr/bin")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
                .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", "wasm-ld"),
        }
    }

    pub fn describe(&self) -> &'static str {
        match self.route {
            Route::Rustup => "rustup's wasm32-unknown-unknown target",
            Route::Debian => {
                "Debian's rustc-web with std built from source (rustup has no wasm32 target here)"
            }
        }
    }
}

/// Picks (installing if needed) a way to build for wasm32, and says which.
pub fn prepare() -> Result<WasmEnv, Failure> {
    let forced = std::env::var("RMP_WASM_ROUTE").ok();
    let route = match forced.as_deref() {
        Some("rustup") => {
            if !rustup_has_target() {
                return Err(Failure::new(
                    "RMP_WASM_ROUTE=rustup but rustup has no wasm32 target: run `rustup target add wasm32-unknown-unknown`",
                ));
            }
            Route::Rustup
        }
        Some("debian") => {
            ensure_debian_route()?;
            Route::Debian
        }
        Some(other) => {
            return Err(Failure::new(format!(
                "RMP_WASM_ROUTE=`{other}` is not a route: use `rustup` or `debian`, or unset it"
            )));
        }
        None if rustup_has_target() => Route::Rustup,
        None if debian_route_ready() => Route::Debian,
        None => {
            println!("    no wasm32 target yet; trying `rustup target add {TARGET}`");
            let added = find_on_path("rustup").is_some()
                && Cmd::new("rustup")
                    .args(["target", "add", TARGET])
                    .run()
                    .is_ok()
                && rustup_has_target();
            if added {
                Route::Rustup
            } else {
                println!(
                    "    rustup cannot add it here (offline?); using Debian's packages instead"
                );
                ensure_debian_route()?;
                Route::Debian
            }
        }
    };
    let env = WasmEnv { route };
    println!("    wasm32 route: {}", env.describe());
    Ok(env)
}

fn rustup_has_target() -> bool {
    Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_some_and(|out| out.lines().any(|l| l.trim() == TARGET))
}

fn debian_route_ready() -> bool {
    Path::new("/usr/bin/rustc").is_file()
        && Path::new("/usr/bin/cargo").is_file()
        && Path::new(DEBIAN_STD_SRC).is_dir()
        && find_on_path("wasm-ld").is_some()
}

fn ensure_debian_route() -> Result<(), Failure> {
    if !debian_route_ready() {
        setup::apt_install(
            DEBIAN_PACKAGES,
            "a Rust compiler with its standard library source, to build std for wasm32",
        )?;
    }
    if debian_route_ready() {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "the offline wasm32 route needs /usr/bin/rustc, /usr/bin/cargo, {DEBIAN_STD_SRC} and wasm-ld \
             (Debian packages {}); on other systems run `rustup target add {TARGET}`",
            DEBIAN_PACKAGES.join(", ")
        )))
    }
}
