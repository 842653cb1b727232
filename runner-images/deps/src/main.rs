//! Turns a build of this package into a rustc argument file for student code.
//!
//! Usage: `rmp-deps METADATA.json MESSAGES.json > externs.args`, where METADATA is the output of
//! `cargo metadata --format-version 1` and MESSAGES that of `cargo build --message-format=json`.
//! It prints `--extern` and `name=path/to/libname-hash.rlib` on separate lines (rustc's `@file`
//! format: one argument per line) for every direct dependency in Cargo.toml, so the list of crates
//! lives only there. Runs at image build time (see ../stable/prepare.sh).

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde_json::Value;

fn main() -> ExitCode {
    match run() {
        Ok(args) => {
            print!("{args}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("rmp-deps: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<String, String> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let [metadata, messages] = paths.as_slice() else {
        return Err("usage: rmp-deps METADATA.json MESSAGES.json".into());
    };
    let read = |path: &str| std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"));
    let metadata: Value = serde_json::from_str(&read(metadata)?).map_err(|e| e.to_string())?;
    let root = metadata["resolve"]["root"].as_str().ok_or("no resolve.root")?;
    let node = metadata["resolve"]["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|n| n["id"] == root))
        .ok_or("the root package is not in resolve.nodes")?;
    // Package id -> the name code uses (`use serde_json::...`), renames applied by cargo.
    let wanted: BTreeMap<&str, &str> = node["deps"]
        .as_array()
        .ok_or("no deps")?
        .iter()
        .filter_map(|d| Some((d["pkg"].as_str()?, d["name"].as_str()?)))
        .collect();

    let mut found: BTreeMap<&str, String> = BTreeMap::new();
    for line in read(messages)?.lines() {
        let Ok(message) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let Some(name) = message["package_id"].as_str().and_then(|id| wanted.get(id)) else {
            continue;
        };
        let rlib = message["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .find(|f| f.ends_with(".rlib"));
        let Some(rlib) = rlib else { continue };
        // Two builds of one crate (e.g. one for proc macros with other features) would leave a
        // student's proc-macro crate with two incompatible `proc_macro2::TokenStream`s: refuse, so
        // Cargo.toml's profile and feature settings that prevent it cannot silently stop working.
        if let Some(earlier) = found.insert(name, rlib.to_owned())
            && earlier != rlib
        {
            return Err(format!(
                "`{name}` was built twice ({earlier} and {rlib}); make the build-override profile and the host features match"
            ));
        }
    }
    let missing: Vec<&str> = wanted.values().filter(|n| !found.contains_key(*n)).copied().collect();
    if !missing.is_empty() {
        return Err(format!("no rlib was built for: {}", missing.join(", ")));
    }
    Ok(found
        .iter()
        .map(|(name, rlib)| format!("--extern\n{name}={rlib}\n"))
        .collect())
}
