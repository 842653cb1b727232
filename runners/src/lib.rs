//! The runner registry: one manifest per `runner-images/<name>/runner.toml`, embedded at build
//! time and parsed once. Everything that needs the list of runners (the server, the sandbox, the
//! verifier, the content loader, xtask) reads it from here, so it is written exactly once.
//!
//! A runner is a toolchain, a tool and a target, plus the image that provides them, the actions
//! it offers and the crates it has precompiled.
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use api_types::{Action, RunnerId, Target, Tool, Toolchain};
use serde::Deserialize;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/manifests.rs"));
}

/// One runner, as its manifest describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunnerSpec {
    pub id: RunnerId,
    /// For people: "Stable Rust".
    pub title: String,
    /// The Docker image (`rmp-runner-stable:latest`).
    pub image: String,
    pub toolchain: Toolchain,
    pub tool: Tool,
    pub target: Target,
    /// The folder under `runner-images/` holding the runner's recipe (its manifest's folder).
    pub folder: String,
    /// Whether that folder has a recipe xtask can build (`Dockerfile.online`/`.offline`).
    pub buildable: bool,
    /// What the runner can do, in the order a menu shows them.
    pub actions: Vec<Action>,
    /// The crates a submission may use beyond std (the runner's `deps` list).
    pub crates: BTreeSet<String>,
    /// The folder whose `Cargo.toml` lists those crates.
    pub deps_folder: String,
}

impl RunnerSpec {
    pub fn offers(&self, action: Action) -> bool {
        self.actions.contains(&action)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    id: String,
    title: String,
    image: String,
    toolchain: Toolchain,
    tool: Tool,
    target: Target,
    deps: String,
    buildable: bool,
    actions: Vec<String>,
}

#[derive(Deserialize)]
struct CrateList {
    dependencies: toml::Table,
}

/// Every runner, sorted by id. Panics at first use if a manifest is malformed: the tests below
/// parse them all, so a broken manifest fails the build's tests, never a running server.
pub fn all() -> &'static [RunnerSpec] {
    static ALL: LazyLock<Vec<RunnerSpec>> = LazyLock::new(|| {
        parse(generated::MANIFESTS, generated::CRATE_LISTS).unwrap_or_else(|e| panic!("{e}"))
    });
    &ALL
}

/// The runner called `id`.
pub fn get(id: &str) -> Option<&'static RunnerSpec> {
    all().iter().find(|r| r.id.as_str() == id)
}

/// The runner called `id`, or a message for a person that lists the runners there are.
pub fn lookup(id: &str) -> Result<&'static RunnerSpec, String> {
    get(id).ok_or_else(|| {
        format!(
            "there is no runner called `{}`; the runners are {}",
            id.escape_debug(),
            names()
        )
    })
}

/// "`cortex-m`, `loom`, `miri`, `nightly` and `stable`", for messages.
pub fn names() -> String {
    let names: Vec<String> = all().iter().map(|r| format!("`{}`", r.id)).collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The runner that does `action` for a block written for `preferred`: `preferred` itself when it
/// offers it; for a compiler view it lacks (those that need nightly, asked of a stable block), a
/// plain-rustc runner with the same target and every crate the block's runner has, the same
/// toolchain first. Other actions are not moved:
/// Clippy on a Loom test would not be what the author meant.
pub fn for_action(preferred: &RunnerSpec, action: Action) -> Option<&'static RunnerSpec> {
    if preferred.offers(action) {
        return get(preferred.id.as_str());
    }
    if !matches!(action, Action::View(_)) {
        return None;
    }
    let candidates = || {
        all()
            .iter()
            .filter(|r| r.target == preferred.target && r.tool == Tool::Rustc && r.offers(action))
            // The block's code may use any crate its runner has: only where they all exist.
            .filter(|r| preferred.crates.is_subset(&r.crates))
    };
    candidates()
        .find(|r| r.toolchain == preferred.toolchain)
        .or_else(|| candidates().next())
}

fn parse(
    manifests: &[(&str, &str)],
    crate_lists: &[(&str, &str)],
) -> Result<Vec<RunnerSpec>, String> {
    let mut runners = Vec::new();
    for (folder, text) in manifests {
        let where_ = format!("runner-images/{folder}/runner.toml");
        let manifest: Manifest = toml::from_str(text).map_err(|e| format!("{where_}: {e}"))?;
        if manifest.id != *folder {
            return Err(format!(
                "{where_}: id `{}` must match its folder `{folder}`",
                manifest.id
            ));
        }
        let actions = manifest
            .actions
            .iter()
            .map(|name| {
                Action::from_name(name).ok_or_else(|| format!("{where_}: unknown action `{name}`"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (_, list) = crate_lists
            .iter()
            .find(|(name, _)| *name == manifest.deps)
            .ok_or_else(|| {
                format!(
                    "{where_}: deps = `{}` but runner-images/{}/Cargo.toml does not exist",
                    manifest.deps, manifest.deps
                )
            })?;
        let list: CrateList = toml::from_str(list)
            .map_err(|e| format!("runner-images/{}/Cargo.toml: {e}", manifest.deps))?;
        runners.push(RunnerSpec {
            id: RunnerId::new(manifest.id),
            title: manifest.title,
            image: manifest.image,
            toolchain: manifest.toolchain,
            tool: manifest.tool,
            target: manifest.target,
            folder: (*folder).to_owned(),
            buildable: manifest.buildable,
            actions,
            crates: list
                .dependencies
                .keys()
                .map(|k| k.replace('-', "_"))
                .collect(),
            deps_folder: manifest.deps,
        });
    }
    runners.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(runners)
}

#[cfg(test)]
mod tests {
    use super::*;
    use api_types::CompilerView;

    #[test]
    fn every_manifest_parses_and_names_its_folder() {
        let ids: Vec<&str> = all().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["cortex-m", "loom", "miri", "nightly", "stable"]);
        for runner in all() {
            assert_eq!(runner.folder, runner.id.as_str());
            assert!(!runner.actions.is_empty(), "{} offers nothing", runner.id);
            assert!(runner.image.starts_with("rmp-runner-"), "{}", runner.image);
        }
    }

    #[test]
    fn stable_is_the_default_and_uses_the_curriculum_crates() {
        let stable = get(RunnerId::default().as_str()).unwrap();
        assert_eq!(stable.toolchain, Toolchain::Stable);
        assert_eq!(stable.target, Target::Host);
        assert!(stable.crates.contains("serde_json"), "{:?}", stable.crates);
        assert!(stable.offers(Action::Run));
        assert!(!stable.offers(Action::View(CompilerView::Expanded)));
    }

    #[test]
    fn a_view_stable_lacks_goes_to_nightly() {
        let stable = get("stable").unwrap();
        let expanded = Action::View(CompilerView::Expanded);
        assert_eq!(for_action(stable, expanded).unwrap().id.as_str(), "nightly");
        assert_eq!(
            for_action(stable, Action::Run).unwrap().id.as_str(),
            "stable"
        );
        let loom = get("loom").unwrap();
        assert_eq!(for_action(loom, Action::Clippy), None);
        // Loom's crates (loom itself, built with `--cfg loom`) exist nowhere else: a Loom block's
        // views would not compile on another runner, so they are not offered.
        assert_eq!(for_action(loom, Action::View(CompilerView::AsmAtt)), None);
        // Miri shares the curriculum's crates with nightly and stable: its views move, the
        // same toolchain (nightly) first.
        let miri = get("miri").unwrap();
        assert_eq!(
            for_action(miri, Action::View(CompilerView::AsmAtt))
                .unwrap()
                .id
                .as_str(),
            "nightly"
        );
    }

    #[test]
    fn unknown_names_get_a_list() {
        let error = lookup("beta").unwrap_err();
        assert_eq!(
            error,
            "there is no runner called `beta`; the runners are `cortex-m`, `loom`, `miri`, `nightly` and `stable`"
        );
    }

    #[test]
    fn malformed_manifests_are_reported_with_their_file() {
        let lists = [("deps", "[dependencies]\nserde = \"1\"\n")];
        let error = parse(&[("x", "id = \"y\"")], &lists).unwrap_err();
        assert!(error.starts_with("runner-images/x/runner.toml:"), "{error}");
        let manifest = r#"id = "x"
title = "X"
image = "rmp-runner-x:latest"
toolchain = "stable"
tool = "rustc"
target = "host"
deps = "deps"
buildable = false
actions = ["run", "explode"]"#;
        let error = parse(&[("x", manifest)], &lists).unwrap_err();
        assert_eq!(
            error,
            "runner-images/x/runner.toml: unknown action `explode`"
        );
        let ok = parse(&[("x", &manifest.replace(", \"explode\"", ""))], &lists).unwrap();
        assert_eq!(ok[0].crates.iter().collect::<Vec<_>>(), ["serde"]);
    }
}
