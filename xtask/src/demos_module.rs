//! Building the demos' own wasm module (`demos/web`), which the SPA loads only on pages that show
//! a demo (`frontend/src/demos/mod.rs`), into `frontend/demos-dist/` for Trunk to pick up:
//!
//! - `demos.js`: wasm-bindgen's glue (`--target no-modules`, a classic script like the editor's
//!   bundle, so the app loads both the same way, with Trunk's hash and integrity hash) plus two
//!   lines that fetch the wasm and leave `window.RmpDemos.ready`, the module once it is ready;
//! - `demos-wasm/demos-<hash>_bg.wasm`: the wasm, named by a hash of its bytes so the server may
//!   cache it for good (`backend/src/routes/spa.rs`) and the hashed script always names its own.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::Hasher;
use std::path::Path;

use crate::Repo;
use crate::cmd::{Cmd, Failure, step};
use crate::setup::SpaTools;
use crate::wasm::TARGET;

/// The global wasm-bindgen's glue defines; the appended lines read it.
const GLOBAL: &str = "RmpDemosModule";

/// Builds the module and writes `frontend/demos-dist/`.
pub fn build(repo: &Repo, tools: &SpaTools) -> Result<(), Failure> {
    step("Building the demos module (loaded on demand)", || {
        tools
            .wasm
            .apply_release(Cmd::new("cargo"))
            .current_dir(&repo.root)
            .args(["build", "--lib", "-p", "demos-web", "--profile"])
            .args([crate::wasm::PROFILE, "--target", TARGET])
            .env("CARGO_TARGET_DIR", &repo.target_dir)
            .run()?;
        let built = repo
            .target_dir
            .join(TARGET)
            .join(crate::wasm::PROFILE)
            .join("demos_web.wasm");
        let staging = repo.target_dir.join("demos-web-bindgen");
        Cmd::new("wasm-bindgen")
            .args(["--target", "no-modules", "--no-modules-global", GLOBAL])
            .args(["--no-typescript", "--out-name", "demos", "--out-dir"])
            .args([&staging])
            .args([&built])
            .run()?;
        let wasm_path = staging.join("demos_bg.wasm");
        optimise(tools, &wasm_path)?;
        let wasm = fs::read(&wasm_path).map_err(|e| io("read", &wasm_path, e))?;
        let glue_path = staging.join("demos.js");
        let glue = fs::read_to_string(&glue_path).map_err(|e| io("read", &glue_path, e))?;
        write_output(&repo.root.join("frontend/demos-dist"), &glue, &wasm)
    })
}

/// `wasm-opt -Oz`, as Trunk runs it for the app (the same wasm-opt Trunk is given).
fn optimise(tools: &SpaTools, wasm: &Path) -> Result<(), Failure> {
    let Some(wasm_opt) = &tools.wasm_opt else {
        println!("    no wasm-opt here: the demos module ships unoptimised");
        return Ok(());
    };
    let program = match &wasm_opt.bin_dir {
        Some(dir) => dir.join("wasm-opt"),
        None => "wasm-opt".into(),
    };
    Cmd::new(program)
        // The features come from the module's own target_features section.
        .args(["-Oz".as_ref(), wasm.as_os_str()])
        .args(["-o".as_ref(), wasm.as_os_str()])
        .run()
}

fn write_output(dir: &Path, glue: &str, wasm: &[u8]) -> Result<(), Failure> {
    let mut hasher = DefaultHasher::new();
    hasher.write(wasm);
    let wasm_name = format!("demos-{:016x}_bg.wasm", hasher.finish());
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| io("clear", dir, e))?;
    }
    let wasm_dir = dir.join("demos-wasm");
    fs::create_dir_all(&wasm_dir).map_err(|e| io("create", &wasm_dir, e))?;
    let wasm_path = wasm_dir.join(&wasm_name);
    fs::write(&wasm_path, wasm).map_err(|e| io("write", &wasm_path, e))?;
    let script = format!(
        "{glue}\n\
         // Appended by `cargo xtask build-spa` (xtask/src/demos_module.rs): fetch this module's wasm\n\
         // from beside this script and leave the module where the app looks for it.\n\
         window.RmpDemos = {{ ready: {GLOBAL}({{ module_or_path: new URL(\"demos-wasm/{wasm_name}\", document.currentScript.src) }}).then(() => {GLOBAL}) }};\n"
    );
    let script_path = dir.join("demos.js");
    fs::write(&script_path, script).map_err(|e| io("write", &script_path, e))?;
    println!("    frontend/demos-dist/demos.js and demos-wasm/{wasm_name}");
    Ok(())
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Failure {
    Failure::new(format!("cannot {what} {}: {e}", path.display()))
}
