//! `cargo xtask images`: builds the runner images that are missing or out of date.
//!
//! The runners are the registry's (`runners::all()`, one `runner-images/<id>/runner.toml` each);
//! a runner with `buildable = true` has its recipe in its folder (`Dockerfile.online` and
//! `Dockerfile.offline`). Every rustc runner honours one contract, `runner-images/stable/prepare.sh`.
//! An image is labelled with a hash of exactly what its build context gets from the repository
//! (the runner's recipe, prepare.sh, the job helper's sources, the crate list), the variant and
//! the toolchain, and rebuilt only when that changes. Two variants:
//! - online: `FROM` the official Rust image, when a container registry can be reached;
//! - offline: `FROM` a Debian base made here by mmdebstrap, plus the host's rustup toolchain.
//!
//! `RMP_RUNNER_BUILD=online|offline|auto` (default auto) overrides the choice. Either way the
//! curriculum's crates are vendored on the host and copied in: builds need no network inside
//! (except the online nightly recipe, which installs its nightly with rustup).

use std::fs;
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use api_types::Toolchain as Channel;
use api_types::{RunnerId, Target, Tool};
use runners::RunnerSpec;

use crate::cmd::{Cmd, Failure, step};
use crate::{Repo, docker, setup};

const BASE_IMAGE: &str = "rmp-base-bookworm:latest";
const HASH_LABEL: &str = "rmp.recipe-hash";
const RUNNER_LABEL: &str = "rmp.runner";
/// Marks a runner's build stage (the compiled crates), kept as the cache of the next build.
const STAGE_LABEL: &str = "rmp.build-stage";
/// What mmdebstrap puts in the offline base: a C toolchain for linking and build scripts, and
/// certificates.
const BASE_PACKAGES: &str = "gcc,libc6-dev,ca-certificates";
const REGISTRY: &str = "registry-1.docker.io:443";
/// The recipe every rustc runner shares (the image contract), relative to `runner-images/`.
const CONTRACT: &str = "stable/prepare.sh";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Online,
    Offline,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Online => "online",
            Variant::Offline => "offline",
        }
    }
}

/// Makes sure dockerd runs and every buildable runner's image is built and current. Any runner
/// that cannot be built fails the command: the test gate wants every runner.
pub fn ensure() -> Result<(), Failure> {
    ensure_only(&[])
}

/// For serving (`cargo xtask run`): every image that can be built is, but only the default
/// runner is required. A specialist runner whose parts this machine cannot get (rustup cannot
/// fetch Miri or the thumbv7m target on an air-gapped server) is reported and skipped; the server
/// then tells students on its blocks that it is not installed.
pub fn ensure_for_serving() -> Result<(), Failure> {
    ensure_runners(&[], false)
}

/// `cargo xtask images [RUNNER...]`: like [`ensure`], for the named runners only (all if none).
pub fn ensure_only(names: &[String]) -> Result<(), Failure> {
    ensure_runners(names, true)
}

fn ensure_runners(names: &[String], strict: bool) -> Result<(), Failure> {
    for name in names {
        runners::lookup(name).map_err(Failure::new)?;
    }
    docker::ensure_daemon()?;
    let repo = Repo::locate()?;
    step(
        "Runner images (one line per runner in runner-images/)",
        || {
            let mut plan = Plan::from_env()?;
            let chosen = runners::all()
                .iter()
                .filter(|spec| names.is_empty() || names.iter().any(|n| n == spec.id.as_str()));
            let mut failed = Vec::new();
            for spec in chosen {
                if spec.buildable {
                    match ensure_runner(&repo, spec, &mut plan) {
                        Ok(()) => {}
                        // The default runner is the one the product cannot do without.
                        Err(e) if strict || spec.id == RunnerId::default() => return Err(e),
                        Err(e) => {
                            println!(
                                "    {:<9} cannot be built here, so its blocks will say it is not installed: {e}",
                                spec.id.as_str()
                            );
                            failed.push(spec.id.to_string());
                        }
                    }
                } else {
                    println!(
                        "    {:<9} no recipe yet: {} is not built here (the server reports it unavailable)",
                        spec.id.as_str(),
                        spec.image
                    );
                }
            }
            if !failed.is_empty() {
                println!(
                    "    not built: {} (the rest of the product works without them)",
                    failed.join(", ")
                );
            }
            Ok(())
        },
    )
}

/// The recipes to try, decided once per run (probing the registry only if something is built).
struct Plan {
    choice: String,
    candidates: Option<Vec<Variant>>,
}

impl Plan {
    fn from_env() -> Result<Plan, Failure> {
        let choice = std::env::var("RMP_RUNNER_BUILD").unwrap_or_else(|_| "auto".into());
        if !matches!(choice.as_str(), "online" | "offline" | "auto" | "") {
            return Err(Failure::new(format!(
                "RMP_RUNNER_BUILD=`{choice}`: expected online, offline or auto"
            )));
        }
        Ok(Plan {
            choice,
            candidates: None,
        })
    }

    fn candidates(&mut self) -> Vec<Variant> {
        if let Some(known) = &self.candidates {
            return known.clone();
        }
        let candidates = match self.choice.as_str() {
            "online" => vec![Variant::Online],
            "offline" => vec![Variant::Offline],
            _ if registry_reachable() => {
                println!("    a container registry is reachable: trying the online recipe first");
                vec![Variant::Online, Variant::Offline]
            }
            _ => {
                println!(
                    "    no container registry is reachable: using the offline recipe (RMP_RUNNER_BUILD=online forces the other)"
                );
                vec![Variant::Offline]
            }
        };
        self.candidates = Some(candidates.clone());
        candidates
    }
}

fn ensure_runner(repo: &Repo, spec: &RunnerSpec, plan: &mut Plan) -> Result<(), Failure> {
    let image = spec.image.as_str();
    let toolchain = Toolchain::find(spec.toolchain)?;
    let recipe = Recipe::read(repo, spec)?;
    // An image built by either recipe is current if its hash matches that recipe.
    let current = image_label(image);
    for variant in [Variant::Online, Variant::Offline] {
        if current.as_deref() == Some(recipe.hash(variant, &toolchain)?.as_str()) {
            println!(
                "    {:<9} {image} is up to date ({} recipe, rustc {})",
                spec.id.as_str(),
                variant.name(),
                toolchain.release
            );
            return Ok(());
        }
    }
    match &current {
        Some(_) => println!(
            "    {:<9} {image} is out of date: rebuilding",
            spec.id.as_str()
        ),
        None => println!(
            "    {:<9} {image} is missing: building it (10 minutes or more cold)",
            spec.id.as_str()
        ),
    }
    let mut last_error = None;
    for variant in plan.candidates() {
        let started = Instant::now();
        match build(repo, spec, &recipe, variant, &toolchain) {
            Ok(()) => {
                println!(
                    "    {:<9} built {image} with the {} recipe in {:.0} s",
                    spec.id.as_str(),
                    variant.name(),
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            Err(e) => {
                println!("    the {} recipe failed: {e}", variant.name());
                last_error = Some(e);
            }
        }
    }
    Err(last_error.expect("at least one recipe was tried"))
}

/// Whether Docker Hub answers at all; a failed name lookup is quick, so this is cheap offline.
fn registry_reachable() -> bool {
    let Ok(addrs) = REGISTRY.to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(3)).is_ok())
}

/// A host rustup toolchain: the one the offline image carries, and whose version the online
/// image matches.
struct Toolchain {
    channel: Channel,
    sysroot: PathBuf,
    /// E.g. `1.95.0` or `1.97.0-nightly`.
    release: String,
    /// `rustc -vV`, which names the exact build.
    version_text: String,
    /// The rustup channel's date (`2026-05-20` for a nightly), for the online recipe.
    date: Option<String>,
}

impl Toolchain {
    /// Stable: `RMP_RUNNER_TOOLCHAIN`, else the active rustc (as before runners had toolchains).
    /// Nightly: `RMP_RUNNER_NIGHTLY_TOOLCHAIN`, else rustup's `nightly`, installed when missing.
    fn find(channel: Channel) -> Result<Toolchain, Failure> {
        let (variable, sysroot_args): (&str, &[&str]) = match channel {
            Channel::Stable => ("RMP_RUNNER_TOOLCHAIN", &["--print", "sysroot"]),
            Channel::Nightly => (
                "RMP_RUNNER_NIGHTLY_TOOLCHAIN",
                &["+nightly", "--print", "sysroot"],
            ),
        };
        let sysroot = match std::env::var_os(variable) {
            Some(dir) => PathBuf::from(dir),
            None => {
                let mut found = Cmd::new("rustc").args(sysroot_args).output();
                if found.is_none() && channel == Channel::Nightly {
                    println!("    installing rustup's nightly toolchain (for the nightly runner)");
                    Cmd::new("rustup")
                        .args(["toolchain", "install", "nightly", "--profile", "minimal"])
                        .args(["--component", "clippy,rustfmt"])
                        .run()?;
                    found = Cmd::new("rustc").args(sysroot_args).output();
                }
                PathBuf::from(
                    found
                        .ok_or_else(|| {
                            Failure::new(format!(
                                "cannot run `rustc {}`; set {variable} to a toolchain directory",
                                sysroot_args.join(" ")
                            ))
                        })?
                        .trim(),
                )
            }
        };
        let rustc = sysroot.join("bin/rustc");
        let version_text = Cmd::new(&rustc)
            .args(["-vV"])
            .output()
            .ok_or_else(|| Failure::new(format!("cannot run {} -vV", rustc.display())))?;
        let field = |name: &str| {
            version_text
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_owned())
        };
        let release = field("release: ").unwrap_or_else(|| "unknown".into());
        // rustup records the channel's date; a nightly's commit date is usually the day before.
        let manifest = sysroot.join("lib/rustlib/multirust-channel-manifest.toml");
        let date = fs::read_to_string(manifest)
            .ok()
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("date = "))
                    .map(|d| d.trim().trim_matches('"').to_owned())
            })
            .or_else(|| field("commit-date: "));
        Ok(Toolchain {
            channel,
            sysroot,
            release,
            version_text,
            date,
        })
    }

    /// Adds Clippy and rustfmt to a rustup toolchain that lacks them (the offline image copies
    /// them from here).
    fn ensure_tools(&self) -> Result<(), Failure> {
        let missing: Vec<&str> = ["clippy-driver", "rustfmt"]
            .into_iter()
            .filter(|tool| !self.sysroot.join("bin").join(tool).is_file())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.rustup_add(
            &missing.join(" and "),
            &["component", "add", "clippy", "rustfmt"],
            &format!(
                "the runner image needs clippy-driver and rustfmt in {}",
                self.sysroot.display()
            ),
        )
    }

    /// Adds what this toolchain lacks with rustup (`args`, e.g. `component add miri`), saying so
    /// first; `why` is what the failure message adds.
    fn rustup_add(&self, lacking: &str, args: &[&str], why: &str) -> Result<(), Failure> {
        let name = self
            .sysroot
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "    the toolchain {name} lacks {lacking}: rustup {}",
            args.join(" ")
        );
        Cmd::new("rustup")
            .args(args)
            .args(["--toolchain", &name])
            .run()
            .map_err(|e| Failure::new(format!("{e}\n  {why}")))
    }
}

/// What a runner's build context gets from the repository: `(file, path in the context)`.
/// Hashing exactly this list is what makes "rebuilt only when its recipe changed" true.
struct Recipe {
    files: Vec<(PathBuf, String)>,
}

impl Recipe {
    fn read(repo: &Repo, spec: &RunnerSpec) -> Result<Recipe, Failure> {
        let root = repo.root.join("runner-images");
        let mut files = Vec::new();
        let mut add_dir = |dir: &Path, into: &str| -> Result<(), Failure> {
            for file in files_under(dir)? {
                let relative = file.strip_prefix(dir).unwrap_or(&file).to_string_lossy();
                // runner.toml describes the runner to the server; the image does not use it.
                if relative == "runner.toml" {
                    continue;
                }
                files.push((file.clone(), format!("{into}{relative}")));
            }
            Ok(())
        };
        add_dir(&root.join(&spec.folder), "")?;
        add_dir(&root.join("job/src"), "job/src/")?;
        add_dir(&root.join(&spec.deps_folder), "deps/")?;
        // The shared contract, unless the runner's folder is where it lives.
        if !files.iter().any(|(_, to)| to == "prepare.sh") {
            files.push((root.join(CONTRACT), "prepare.sh".into()));
        }
        files.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(Recipe { files })
    }

    /// FNV-1a over the recipe: enough to notice a change, not a security boundary.
    fn hash(&self, variant: Variant, toolchain: &Toolchain) -> Result<String, Failure> {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut feed = |bytes: &[u8]| {
            for b in bytes {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
            // A separator so that ("ab", "c") and ("a", "bc") differ.
            hash ^= 0xff;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        };
        feed(variant.name().as_bytes());
        feed(toolchain.version_text.as_bytes());
        for (name, value) in build_args(variant, toolchain)? {
            feed(format!("{name}={value}").as_bytes());
        }
        if variant == Variant::Offline {
            feed(BASE_PACKAGES.as_bytes());
        }
        for (file, to) in &self.files {
            feed(to.as_bytes());
            feed(&read(file)?);
        }
        Ok(format!("{hash:016x}"))
    }
}

/// The `--build-arg`s of a recipe: the base image, and for an online nightly its date.
fn build_args(
    variant: Variant,
    toolchain: &Toolchain,
) -> Result<Vec<(&'static str, String)>, Failure> {
    Ok(match variant {
        Variant::Offline => vec![("BASE", BASE_IMAGE.to_owned())],
        Variant::Online => {
            // Every online recipe starts from the official image of the host's stable, so the
            // runners share its layers and the stable one carries the host's rustc.
            let stable = match toolchain.channel {
                Channel::Stable => toolchain.release.clone(),
                Channel::Nightly => Toolchain::find(Channel::Stable)?.release,
            };
            let mut args = vec![("RUST_IMAGE", format!("rust:{stable}-slim-bookworm"))];
            if toolchain.channel == Channel::Nightly {
                let date = toolchain.date.as_deref().unwrap_or("unknown");
                args.push(("NIGHTLY", format!("nightly-{date}")));
            }
            args
        }
    })
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>, Failure> {
    let mut files = Vec::new();
    let entries = fs::read_dir(dir)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry
            .map_err(|e| Failure::new(format!("cannot read {}: {e}", dir.display())))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "target" || name.starts_with('.') {
            continue;
        }
        if path.is_dir() {
            files.extend(files_under(&path)?);
        } else {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display())))?;
    Ok(bytes)
}

/// The recipe hash an image carries, or `None` if there is no such image.
fn image_label(image: &str) -> Option<String> {
    Cmd::new("docker")
        .args([
            "image",
            "inspect",
            "--format",
            &format!("{{{{ index .Config.Labels \"{HASH_LABEL}\" }}}}"),
            image,
        ])
        .output()
        .map(|s| s.trim().to_owned())
}

fn build(
    repo: &Repo,
    spec: &RunnerSpec,
    recipe: &Recipe,
    variant: Variant,
    toolchain: &Toolchain,
) -> Result<(), Failure> {
    let hash = recipe.hash(variant, toolchain)?;
    // Not under runner-images/<id>: an older xtask (a cold CI run of an earlier commit) may be
    // filling that directory at the same time.
    let context = crate::cache_dir()
        .join("runner-contexts")
        .join(spec.id.as_str());
    prepare_context(repo, spec, recipe, &context)?;
    match variant {
        Variant::Offline => {
            ensure_base_image()?;
            toolchain.ensure_tools()?;
            link_toolchain(toolchain, &context.join("toolchain"))?;
            if spec.tool == Tool::Miri {
                link_miri(toolchain, &context.join("miri-toolchain"))?;
            }
            if spec.target == Target::ThumbV7mNoneEabi {
                link_board(toolchain, &context)?;
            }
        }
        Variant::Online => {
            let _ = fs::remove_dir_all(context.join("toolchain"));
        }
    }
    let args = build_args(variant, toolchain)?;
    let docker_build = |labels: &[String], tag: &str, stage: Option<&str>| {
        let mut build = Cmd::new("docker").args(["build", "--tag", tag, "--file"]);
        build = build.args([format!("Dockerfile.{}", variant.name())]);
        for label in labels {
            build = build.args(["--label", label]);
        }
        if let Some(stage) = stage {
            build = build.args(["--target", stage]);
        }
        for (name, value) in &args {
            build = build.args(["--build-arg".to_owned(), format!("{name}={value}")]);
        }
        build.current_dir(&context).args(["."]).run().map_err(|e| {
            Failure::new(format!(
                "{e}\n  the image build failed; the output above says which step (compiling the curriculum's crates needs about 4 GB of disk)"
            ))
        })
    };
    println!(
        "    building {} with the {} recipe (context {})",
        spec.image,
        variant.name(),
        context.display()
    );
    // First the build stage, tagged: it holds the compiled crates, the cache that lets a change
    // to the helper alone skip recompiling them. The tag keeps it; the one it replaces becomes
    // untagged and is pruned below (else each crate-list change would leave a gigabyte behind).
    let stage_label = format!("{STAGE_LABEL}={}", spec.id);
    let stage_tag = format!(
        "{}-build:cache",
        spec.image.split(':').next().unwrap_or("rmp")
    );
    docker_build(
        std::slice::from_ref(&stage_label),
        &stage_tag,
        Some("build"),
    )?;
    docker_build(
        &[
            format!("{HASH_LABEL}={hash}"),
            format!("{RUNNER_LABEL}={}", spec.id),
        ],
        &spec.image,
        None,
    )?;
    // The images these replaced are now untagged: gigabytes each time unless removed.
    for label in [format!("{RUNNER_LABEL}={}", spec.id), stage_label] {
        let _ = Cmd::new("docker")
            .args(["image", "prune", "--force", "--filter"])
            .args([format!("label={label}")])
            .output();
    }
    Ok(())
}

/// Fills the build context: the recipe files, the deps project and its vendored sources.
fn prepare_context(
    repo: &Repo,
    spec: &RunnerSpec,
    recipe: &Recipe,
    context: &Path,
) -> Result<(), Failure> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Failure::new(format!("cannot {what} {}: {e}", path.display()))
    };
    fs::create_dir_all(context).map_err(|e| io("create", context, e))?;
    // Start from an empty context but for the toolchain (large; it has its own stamp), so a file
    // removed from the recipe does not linger.
    for entry in fs::read_dir(context).map_err(|e| io("read", context, e))? {
        let path = entry.map_err(|e| io("read", context, e))?.path();
        if path.file_name().is_some_and(|n| n == "toolchain") {
            continue;
        }
        let removed = if path.is_dir() {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed.map_err(|e| io("remove", &path, e))?;
    }
    for (from, to) in &recipe.files {
        let to = context.join(to);
        if let Some(dir) = to.parent() {
            fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        }
        fs::copy(from, &to).map_err(|e| io("copy", from, e))?;
    }
    let config = context.join("deps/.cargo/config.toml");
    fs::create_dir_all(context.join("deps/.cargo")).map_err(|e| io("create", &config, e))?;
    fs::write(
        &config,
        "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n\
         [source.vendored-sources]\ndirectory = \"/opt/rmp/vendor\"\n",
    )
    .map_err(|e| io("write", &config, e))?;

    // Vendor once per crate list and Cargo.lock, shared by the runners that use that list; a
    // stamp records which lock file the directory matches. Each context gets hard links.
    let list = repo.root.join("runner-images").join(&spec.deps_folder);
    let lock = read(&list.join("Cargo.lock"))?;
    let vendor = crate::cache_dir()
        .join("runner-contexts")
        .join(format!("vendor-{}", spec.deps_folder));
    let stamp = vendor.with_extension("stamp");
    if fs::read(&stamp).ok().as_deref() != Some(lock.as_slice()) {
        println!(
            "    vendoring the curriculum's crates (cargo vendor, from crates.io or the local cache)"
        );
        let _ = fs::remove_dir_all(&vendor);
        Cmd::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["vendor", "--locked", "--versioned-dirs", "--manifest-path"])
            .args([list.join("Cargo.toml")])
            .args([&vendor])
            .run()
            .map_err(|e| {
                Failure::new(format!(
                    "{e}\n  vendoring needs crates.io or the crates in ~/.cargo/registry"
                ))
            })?;
        fs::write(&stamp, &lock).map_err(|e| io("write", &stamp, e))?;
    }
    link_or_copy(&vendor, &context.join("vendor"))
}

/// The toolchain's programs a runner image carries: the compiler, cargo for building the crates,
/// and the tools behind the Clippy and Format actions.
const TOOLCHAIN_BINARIES: [&str; 4] = ["rustc", "cargo", "clippy-driver", "rustfmt"];

/// Puts the parts of the host toolchain a runner needs into the context: its binaries, their
/// libraries and the x86_64 standard library (hard links when possible; no docs, no wasm).
fn link_toolchain(toolchain: &Toolchain, dest: &Path) -> Result<(), Failure> {
    let stamp = dest.join(".rmp-stamp");
    let wanted = format!("{}{}", toolchain.version_text, TOOLCHAIN_BINARIES.join(" "));
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    let host = "x86_64-unknown-linux-gnu";
    let std_dir = toolchain.sysroot.join("lib/rustlib").join(host);
    if !std_dir.join("lib").is_dir() {
        return Err(Failure::new(format!(
            "{} has no {host} standard library; set RMP_RUNNER_TOOLCHAIN to a rustup toolchain directory",
            toolchain.sysroot.display()
        )));
    }
    println!(
        "    copying the toolchain {} from {}",
        toolchain.release,
        toolchain.sysroot.display()
    );
    let _ = fs::remove_dir_all(dest);
    for dir in ["bin", "lib/rustlib"] {
        fs::create_dir_all(dest.join(dir))
            .map_err(|e| Failure::new(format!("cannot create {}: {e}", dest.display())))?;
    }
    let mut items: Vec<(PathBuf, PathBuf)> = TOOLCHAIN_BINARIES
        .iter()
        .map(|name| (toolchain.sysroot.join("bin").join(name), dest.join("bin")))
        .collect();
    items.push((std_dir.clone(), dest.join("lib/rustlib")));
    let lib = toolchain.sysroot.join("lib");
    for entry in fs::read_dir(&lib)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", lib.display())))?
    {
        let path = entry
            .map_err(|e| Failure::new(format!("cannot read {}: {e}", lib.display())))?
            .path();
        if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains(".so"))
        {
            items.push((path, dest.join("lib")));
        }
    }
    for (from, into) in items {
        link_or_copy(&from, &into)?;
    }
    fs::write(&stamp, &wanted)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", stamp.display())))
}

/// `cp -a from into`, as hard links where the two are on one file system (they cost nothing),
/// else as a copy.
fn link_or_copy(from: &Path, into: &Path) -> Result<(), Failure> {
    let linked = Cmd::new("cp")
        .args(["-al"])
        .args([from, into])
        .output()
        .is_some();
    if !linked {
        Cmd::new("cp").args(["-a"]).args([from, into]).run()?;
    }
    Ok(())
}

/// Miri's parts of the host toolchain, for the Miri runner's offline recipe: the driver,
/// `cargo-miri` and rust-src (to build Miri's standard library), in their own directory so that
/// `toolchain/` stays identical to the nightly runner's and its image layers are shared. Adds the
/// `miri` and `rust-src` components with rustup when the toolchain lacks them.
fn link_miri(toolchain: &Toolchain, dest: &Path) -> Result<(), Failure> {
    let src = toolchain.sysroot.join("lib/rustlib/src/rust/library");
    if !toolchain.sysroot.join("bin/miri").is_file() || !src.is_dir() {
        toolchain.rustup_add(
            "Miri",
            &["component", "add", "miri", "rust-src"],
            "the Miri runner needs rustup's `miri` and `rust-src` components; without them it stays unavailable",
        )?;
    }
    let _ = fs::remove_dir_all(dest);
    for dir in ["bin", "lib/rustlib/src/rust"] {
        fs::create_dir_all(dest.join(dir))
            .map_err(|e| Failure::new(format!("cannot create {}: {e}", dest.display())))?;
    }
    let items = [
        (toolchain.sysroot.join("bin/miri"), dest.join("bin")),
        (toolchain.sysroot.join("bin/cargo-miri"), dest.join("bin")),
        (src, dest.join("lib/rustlib/src/rust")),
    ];
    for (from, into) in items {
        link_or_copy(&from, &into)?;
    }
    Ok(())
}

/// The Cortex-M runner's parts for its offline recipe, in their own context directories so that
/// `toolchain/` stays identical to the stable runner's (its image layers are shared):
/// - `rustlib-thumbv7m-none-eabi/`: rustup's standard library for the board (`rustup target add
///   thumbv7m-none-eabi` on the host when the toolchain lacks it);
/// - `qemu/`: Debian's `qemu-system-arm` (installed on the host with apt when missing) with
///   every library `ldd` names and the loader, so the image needs no apt and no network.
fn link_board(toolchain: &Toolchain, context: &Path) -> Result<(), Failure> {
    const BOARD_TARGET: &str = "thumbv7m-none-eabi";
    let fail = |what: &str, path: &Path, e: std::io::Error| {
        Failure::new(format!("cannot {what} {}: {e}", path.display()))
    };
    let std_dir = toolchain.sysroot.join("lib/rustlib").join(BOARD_TARGET);
    if !std_dir.join("lib").is_dir() {
        toolchain.rustup_add(
            BOARD_TARGET,
            &["target", "add", BOARD_TARGET],
            &format!(
                "the Cortex-M runner needs rustup's {BOARD_TARGET} target; without it it stays unavailable"
            ),
        )?;
    }
    let dest = context.join(format!("rustlib-{BOARD_TARGET}"));
    let _ = fs::remove_dir_all(&dest);
    link_or_copy(&std_dir, &dest)?;

    setup::apt_install(
        &["qemu-system-arm"],
        "QEMU, the Cortex-M runner's board emulator",
    )?;
    let qemu = Path::new("/usr/bin/qemu-system-arm");
    let dest = context.join("qemu");
    let _ = fs::remove_dir_all(&dest);
    for dir in ["bin", "lib"] {
        fs::create_dir_all(dest.join(dir)).map_err(|e| fail("create", &dest, e))?;
    }
    fs::copy(qemu, dest.join("bin/qemu-system-arm")).map_err(|e| fail("copy", qemu, e))?;
    // `libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)`, and the loader by its path.
    let ldd = Cmd::new("ldd")
        .args([qemu])
        .output()
        .ok_or_else(|| Failure::new("cannot run ldd on /usr/bin/qemu-system-arm"))?;
    for line in ldd.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (name, path) = match words.as_slice() {
            [name, "=>", path, ..] if path.starts_with('/') => (*name, *path),
            [path, ..] if path.starts_with('/') => (path.rsplit('/').next().unwrap_or(path), *path),
            _ => continue,
        };
        // fs::copy follows symbolic links: the library itself under the name the binary asks for.
        fs::copy(path, dest.join("lib").join(name))
            .map_err(|e| fail("copy", Path::new(path), e))?;
    }
    if !dest.join("lib/ld-linux-x86-64.so.2").is_file() {
        return Err(Failure::new(
            "ldd /usr/bin/qemu-system-arm named no ld-linux-x86-64.so.2 loader",
        ));
    }
    Ok(())
}

/// The offline base: Debian bookworm made by mmdebstrap from the host's apt sources.
fn ensure_base_image() -> Result<(), Failure> {
    let wanted = format!("mmdebstrap minbase bookworm {BASE_PACKAGES}");
    if image_label(BASE_IMAGE).as_deref() == Some(wanted.as_str()) {
        println!("    base image {BASE_IMAGE} is up to date");
        return Ok(());
    }
    setup::apt_install(
        &["mmdebstrap"],
        "mmdebstrap, to make a Debian base image offline",
    )?;
    let tar = crate::cache_dir().join("runner-images/base.tar");
    if let Some(dir) = tar.parent() {
        fs::create_dir_all(dir)
            .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display())))?;
    }
    println!(
        "    making the Debian base with mmdebstrap (about 40 s; uses the host's apt sources)"
    );
    Cmd::new("mmdebstrap")
        .args([
            "--variant=minbase",
            &format!("--include={BASE_PACKAGES}"),
            "bookworm",
        ])
        .args([&tar])
        .run()
        .map_err(|e| {
            Failure::new(format!(
                "{e}\n  mmdebstrap needs the Debian mirror from /etc/apt/sources.list and root"
            ))
        })?;
    Cmd::new("docker")
        .args(["import", "--change"])
        .args([format!("LABEL {HASH_LABEL}=\"{wanted}\"")])
        .args([&tar])
        .args([BASE_IMAGE])
        .run()?;
    let _ = fs::remove_file(&tar);
    Ok(())
}
