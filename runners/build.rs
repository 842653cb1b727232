//! Embeds every `runner-images/*/runner.toml` and the crate lists they name, so the registry is
//! exactly the set of manifest files: adding a folder with a manifest adds a runner.
//!
//! The files' contents are written into the generated code (not `include_str!` of absolute
//! paths) and watched by paths relative to this package: clones of the repository share one
//! build cache, and an absolute path would tie this crate to whichever clone built it first.

use std::fmt::Write;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runner-images");
    println!("cargo::rerun-if-changed=../runner-images");
    let mut manifests: Vec<_> = std::fs::read_dir(&root)
        .expect("runner-images/ exists")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        .filter(|dir| dir.join("runner.toml").is_file())
        .collect();
    manifests.sort();
    let mut code = String::from(
        "/// `(folder, runner.toml)` for every runner, sorted by folder.\npub const MANIFESTS: &[(&str, &str)] = &[\n",
    );
    for dir in &manifests {
        let name = dir.file_name().unwrap().to_string_lossy();
        println!("cargo::rerun-if-changed=../runner-images/{name}/runner.toml");
        let text = std::fs::read_to_string(dir.join("runner.toml")).unwrap();
        writeln!(code, "    ({name:?}, {text:?}),").unwrap();
    }
    code.push_str("];\n/// `(folder, Cargo.toml)` for every crate list a runner may name.\npub const CRATE_LISTS: &[(&str, &str)] = &[\n");
    let mut lists: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path())
        // Crate lists are the `deps*` folders (`deps`, later e.g. `deps-cortex-m`).
        .filter(|dir| {
            dir.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("deps"))
        })
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .collect();
    lists.sort();
    for dir in &lists {
        let name = dir.file_name().unwrap().to_string_lossy();
        println!("cargo::rerun-if-changed=../runner-images/{name}/Cargo.toml");
        let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        writeln!(code, "    ({name:?}, {text:?}),").unwrap();
    }
    code.push_str("];\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("manifests.rs");
    std::fs::write(out, code).unwrap();
}
