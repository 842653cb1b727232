//! `cargo xtask images`: builds the runner images that are missing or out of date.
//!
//! The recipe lives in `runner-images/`. An image is labelled with a hash of its recipe (every file
//! under `runner-images/`, the variant and the toolchain), and rebuilt only when that changes.
//! Two variants honour one contract (see `runner-images/stable/prepare.sh`):
//! - online: `FROM` the official Rust image, when a container registry can be reached;
//! - offline: `FROM` a Debian base made here by mmdebstrap, plus the host's rustup toolchain.
//!
//! `RMP_RUNNER_BUILD=online|offline|auto` (default auto) overrides the choice. Either way the
//! curriculum's crates are vendored on the host and copied in: builds need no network inside.

use std::fs;
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cmd::{Cmd, Failure, step};
use crate::{Repo, docker, setup};

/// The stable runner image, as the server expects it by default (`RMP_RUNNER_IMAGE_STABLE`).
pub const STABLE_IMAGE: &str = "rmp-runner-stable:latest";
const BASE_IMAGE: &str = "rmp-base-bookworm:latest";
const HASH_LABEL: &str = "rmp.recipe-hash";
/// What mmdebstrap puts in the offline base: a C toolchain for linking and certificates.
const BASE_PACKAGES: &str = "gcc,libc6-dev,ca-certificates";
const REGISTRY: &str = "registry-1.docker.io:443";

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

/// Makes sure dockerd runs and every runner image is built and current.
pub fn ensure() -> Result<(), Failure> {
    docker::ensure_daemon()?;
    let repo = Repo::locate()?;
    step("Runner image (stable)", || ensure_stable(&repo))
}

fn ensure_stable(repo: &Repo) -> Result<(), Failure> {
    let toolchain = Toolchain::find()?;
    let choice = std::env::var("RMP_RUNNER_BUILD").unwrap_or_else(|_| "auto".into());
    let candidates = match choice.as_str() {
        "online" => vec![Variant::Online],
        "offline" => vec![Variant::Offline],
        "auto" | "" => {
            if registry_reachable() {
                println!("    a container registry is reachable: trying the online recipe first");
                vec![Variant::Online, Variant::Offline]
            } else {
                println!(
                    "    no container registry is reachable: using the offline recipe (RMP_RUNNER_BUILD=online forces the other)"
                );
                vec![Variant::Offline]
            }
        }
        other => {
            return Err(Failure::new(format!(
                "RMP_RUNNER_BUILD=`{other}`: expected online, offline or auto"
            )));
        }
    };
    // An image built by either recipe is current if its hash matches that recipe.
    let current = image_label(STABLE_IMAGE);
    for variant in [Variant::Online, Variant::Offline] {
        if current.as_deref() == Some(recipe_hash(repo, variant, &toolchain)?.as_str()) {
            println!(
                "    {STABLE_IMAGE} is up to date ({} recipe, {})",
                variant.name(),
                toolchain.release
            );
            return Ok(());
        }
    }
    match &current {
        Some(_) => println!("    {STABLE_IMAGE} is out of date: rebuilding"),
        None => println!("    {STABLE_IMAGE} is missing: building it (about 5 minutes cold)"),
    }
    let mut last_error = None;
    for variant in candidates {
        match build_stable(repo, variant, &toolchain) {
            Ok(()) => return Ok(()),
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

/// The rustup toolchain whose rustc the offline image carries.
struct Toolchain {
    sysroot: PathBuf,
    /// E.g. `1.95.0`.
    release: String,
    /// `rustc -vV`, which names the exact build.
    version_text: String,
}

impl Toolchain {
    fn find() -> Result<Toolchain, Failure> {
        let sysroot = match std::env::var_os("RMP_RUNNER_TOOLCHAIN") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(
                Cmd::new("rustc")
                    .args(["--print", "sysroot"])
                    .output()
                    .ok_or_else(|| Failure::new("cannot run `rustc --print sysroot`"))?
                    .trim(),
            ),
        };
        let rustc = sysroot.join("bin/rustc");
        let version_text = Cmd::new(&rustc)
            .args(["-vV"])
            .output()
            .ok_or_else(|| Failure::new(format!("cannot run {} -vV", rustc.display())))?;
        let release = version_text
            .lines()
            .find_map(|l| l.strip_prefix("release: "))
            .unwrap_or("unknown")
            .trim()
            .to_owned();
        Ok(Toolchain {
            sysroot,
            release,
            version_text,
        })
    }
}

/// FNV-1a over the recipe: enough to notice a change, not a security boundary.
fn recipe_hash(repo: &Repo, variant: Variant, toolchain: &Toolchain) -> Result<String, Failure> {
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
    if variant == Variant::Offline {
        feed(BASE_PACKAGES.as_bytes());
    }
    let root = repo.root.join("runner-images");
    for file in files_under(&root)? {
        let relative = file.strip_prefix(&root).unwrap_or(&file);
        feed(relative.to_string_lossy().as_bytes());
        feed(&read(&file)?);
    }
    Ok(format!("{hash:016x}"))
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

fn build_stable(repo: &Repo, variant: Variant, toolchain: &Toolchain) -> Result<(), Failure> {
    let hash = recipe_hash(repo, variant, toolchain)?;
    let context = crate::cache_dir().join("runner-images/stable");
    prepare_context(repo, &context)?;
    let mut build = Cmd::new("docker").args(["build", "--label"]).args([
        format!("{HASH_LABEL}={hash}"),
        "--label".into(),
        "rmp.runner=stable".into(),
        "--tag".into(),
        STABLE_IMAGE.into(),
        "--file".into(),
        format!("Dockerfile.{}", variant.name()),
    ]);
    match variant {
        Variant::Offline => {
            ensure_base_image()?;
            link_toolchain(toolchain, &context.join("toolchain"))?;
            build = build.args(["--build-arg", &format!("BASE={BASE_IMAGE}")]);
        }
        Variant::Online => {
            // The online image matches the host's toolchain, so both recipes agree on rustc.
            let _ = fs::remove_dir_all(context.join("toolchain"));
            build = build.args([
                "--build-arg",
                &format!("RUST_IMAGE=rust:{}-slim-bookworm", toolchain.release),
            ]);
        }
    }
    println!(
        "    building {STABLE_IMAGE} with the {} recipe (context {})",
        variant.name(),
        context.display()
    );
    build.current_dir(&context).args(["."]).run().map_err(|e| {
        Failure::new(format!(
            "{e}\n  the image build failed; the output above says which step (compiling the curriculum's crates needs about 2 GB of disk)"
        ))
    })?;
    println!("    built {STABLE_IMAGE} (recipe {hash})");
    // The image it replaced is now untagged: 2 GB each time unless removed.
    let _ = Cmd::new("docker")
        .args([
            "image",
            "prune",
            "--force",
            "--filter",
            "label=rmp.runner=stable",
        ])
        .output();
    Ok(())
}

/// Fills the build context: the recipe files, the deps project and its vendored sources.
fn prepare_context(repo: &Repo, context: &Path) -> Result<(), Failure> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Failure::new(format!("cannot {what} {}: {e}", path.display()))
    };
    fs::create_dir_all(context).map_err(|e| io("create", context, e))?;
    let recipe = repo.root.join("runner-images");
    for name in [
        "Dockerfile.online",
        "Dockerfile.offline",
        "prepare.sh",
        "rmp-job.rs",
    ] {
        let from = recipe.join("stable").join(name);
        fs::copy(&from, context.join(name)).map_err(|e| io("copy", &from, e))?;
    }
    let deps = context.join("deps");
    let _ = fs::remove_dir_all(&deps);
    fs::create_dir_all(deps.join("src")).map_err(|e| io("create", &deps, e))?;
    fs::create_dir_all(deps.join(".cargo")).map_err(|e| io("create", &deps, e))?;
    for name in ["Cargo.toml", "Cargo.lock", "src/main.rs"] {
        let from = recipe.join("deps").join(name);
        fs::copy(&from, deps.join(name)).map_err(|e| io("copy", &from, e))?;
    }
    let config = deps.join(".cargo/config.toml");
    fs::write(
        &config,
        "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n\
         [source.vendored-sources]\ndirectory = \"/opt/rmp/vendor\"\n",
    )
    .map_err(|e| io("write", &config, e))?;

    // Vendor once per Cargo.lock: a stamp records which lock file the directory matches.
    let lock = read(&recipe.join("deps/Cargo.lock"))?;
    let vendor = context.join("vendor");
    let stamp = context.join("vendor.stamp");
    if fs::read(&stamp).ok().as_deref() != Some(lock.as_slice()) {
        println!(
            "    vendoring the curriculum's crates (cargo vendor, from crates.io or the local cache)"
        );
        let _ = fs::remove_dir_all(&vendor);
        Cmd::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["vendor", "--locked", "--versioned-dirs", "--manifest-path"])
            .args([recipe.join("deps/Cargo.toml")])
            .args([&vendor])
            .run()
            .map_err(|e| {
                Failure::new(format!(
                    "{e}\n  vendoring needs crates.io or the crates in ~/.cargo/registry"
                ))
            })?;
        fs::write(&stamp, &lock).map_err(|e| io("write", &stamp, e))?;
    }
    Ok(())
}

/// Puts the parts of the host toolchain a runner needs into the context: rustc, cargo, their
/// libraries and the x86_64 standard library (hard links when possible; no docs, no wasm).
fn link_toolchain(toolchain: &Toolchain, dest: &Path) -> Result<(), Failure> {
    let stamp = dest.join(".rmp-stamp");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(toolchain.version_text.as_str()) {
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
    let mut items: Vec<(PathBuf, PathBuf)> = vec![
        (toolchain.sysroot.join("bin/rustc"), dest.join("bin")),
        (toolchain.sysroot.join("bin/cargo"), dest.join("bin")),
        (std_dir.clone(), dest.join("lib/rustlib")),
    ];
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
        // Hard links cost nothing on the same file system; copy otherwise.
        let linked = Cmd::new("cp")
            .args(["-al"])
            .args([&from, &into])
            .output()
            .is_some();
        if !linked {
            Cmd::new("cp").args(["-a"]).args([&from, &into]).run()?;
        }
    }
    fs::write(&stamp, &toolchain.version_text)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", stamp.display())))
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
