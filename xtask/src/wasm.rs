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
/// The Cargo profile of the browser builds (`[profile.wasm-release]` in Cargo.toml).
pub const PROFILE: &str = "wasm-release";
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
    /// Whether the shipped builds can rebuild std with `-Cpanic=immediate-abort` (see
    /// [`WasmEnv::apply_release`]): the compiler knows the flag and std's source is here.
    pub immediate_abort: bool,
}

/// The flags of the shipped builds when [`WasmEnv::immediate_abort`]: a panic traps at once, so
/// neither std nor the app carries the panic machinery (messages, locations, formatting). With
/// the demos' move to their own module it took 122 KB gzip off the app's wasm. A panic was
/// already fatal (`panic = "abort"`); it now leaves no message in the console.
const IMMEDIATE_ABORT_FLAGS: &str = "-Zunstable-options -Cpanic=immediate-abort";

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

    /// [`WasmEnv::apply`] for the builds that ship (the app and the demos module): where it can,
    /// std is rebuilt from source with panics that abort at once (`IMMEDIATE_ABORT_FLAGS`).
    /// `RUSTC_BOOTSTRAP` lets the stable compiler take the two unstable options, as the Debian
    /// route already does for `-Zbuild-std`; only these wasm32 builds see them.
    pub fn apply_release(&self, cmd: Cmd) -> Cmd {
        let cmd = self.apply(cmd);
        if !self.immediate_abort {
            return cmd;
        }
        cmd.env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
            .env(
                "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                IMMEDIATE_ABORT_FLAGS,
            )
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
    let immediate_abort = immediate_abort_ready(route);
    let env = WasmEnv {
        route,
        immediate_abort,
    };
    println!("    wasm32 route: {}", env.describe());
    if !immediate_abort {
        println!(
            "    panics keep their messages: this compiler cannot rebuild std with \
             -Cpanic=immediate-abort (the app's download is larger)"
        );
    }
    Ok(env)
}

/// Whether this route's compiler takes `-Cpanic=immediate-abort` and has std's source to rebuild
/// with it (rustup's `rust-src`, added here if missing; Debian's `rust-web-src`).
fn immediate_abort_ready(route: Route) -> bool {
    let rustc = match route {
        Route::Rustup => "rustc",
        Route::Debian => "/usr/bin/rustc",
    };
    let knows_flag = Cmd::new(rustc)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(IMMEDIATE_ABORT_FLAGS.split(' '))
        .args(["--print", "cfg", "--target", TARGET])
        .output()
        .is_some_and(|cfg| cfg.contains("panic=\"immediate-abort\""));
    if !knows_flag {
        return false;
    }
    match route {
        Route::Debian => Path::new(DEBIAN_STD_SRC).is_dir(),
        Route::Rustup => rustup_has_std_source(),
    }
}

fn rustup_has_std_source() -> bool {
    let installed = || {
        Cmd::new("rustup")
            .args(["component", "list", "--installed"])
            .output()
            .is_some_and(|out| out.lines().any(|l| l.trim().starts_with("rust-src")))
    };
    installed()
        || (Cmd::new("rustup")
            .args(["component", "add", "rust-src"])
            .run()
            .is_ok()
            && installed())
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
