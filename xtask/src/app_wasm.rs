//! Building the app's wasm and cutting it at its split points (`frontend/src/lazy.rs`), so that a
//! first visit downloads only what the course index and a chapter need.
//!
//! Trunk builds the rest of the site but not this: the split needs a step between the linker and
//! wasm-bindgen, and Trunk has none (`frontend/index.html` marks its Rust link `data-trunk-skip`).
//! The steps are those of cargo-leptos 0.3, which uses the same splitter:
//!
//! 1. cargo builds the app (`wasm-release`), its link keeping the relocations
//!    (`--emit-relocs`, for the final link only): they tell the splitter what refers to what;
//! 2. `wasm_split_cli_support::transform` cuts the module into the main module, a module per
//!    group of split points (`split_<group>`), and chunks that several groups share
//!    (`chunk_<n>`), and writes a JavaScript loader that fetches a group's modules and
//!    instantiates them against the main module's memory, function table and exports;
//! 3. wasm-bindgen writes the main module's glue (`--target web`, as Trunk does, keeping the
//!    linker's exports: the loader reaches the function table through them);
//! 4. wasm-opt -Oz shrinks every module (after the split: before it the relocations are gone);
//! 5. the files are named by one hash of them all, `frontend-<hash>.js`, `frontend-<hash>_bg.wasm`,
//!    `wasm_split-<hash>.js` and `lazy-<module>-<hash>.wasm`, so the server may cache them for
//!    good (`backend/src/routes/spa.rs`), and the names they use for each other are rewritten;
//! 6. `index.html` gets the lines Trunk would have written: preloads with integrity hashes and
//!    the script that starts the app.

use std::collections::BTreeMap;
use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha384};

use crate::Repo;
use crate::cmd::{Cmd, Failure, step};
use crate::setup::SpaTools;
use crate::wasm::{PROFILE, TARGET};

/// The module name under which the main module imports the loader's functions; the glue turns it
/// into an `import … from` that [`write_site`] points at the hashed loader.
const LOADER_IMPORT: &str = "./wasm_split.js";
/// What the loader imports `initSync` from (the main module's glue); replaced by its hashed name.
const MAIN_GLUE_PLACEHOLDER: &str = "./rmp-app-main-glue.js";
/// Features every browser we support has, and the Rust wasm32 target uses. The split modules carry
/// no `target_features` section for wasm-opt to read, so it is told.
const WASM_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// The app's files in `dist/`, for the build report.
#[derive(Debug, Default)]
pub struct AppFiles {
    /// Each group of split points (a page or a family of pages) and the files in `dist/` it
    /// fetches (chunks it shares with other groups first, its own module last).
    pub groups: BTreeMap<String, Vec<String>>,
}

/// Builds, splits and optimises the app into `dist`, and adds its start to `dist/index.html`.
///
/// Where the splitter cannot read the linked module (Debian bookworm's `wasm-ld` 14, the offline
/// route, writes relocations it rejects), the app is built again without split points and
/// shipped whole, as before the split: slower first visit, same app.
pub fn build(repo: &Repo, tools: &SpaTools, dist: &Path) -> Result<AppFiles, Failure> {
    step(
        "Building the app's wasm and splitting off its lazy pages",
        || {
            let staging = repo.target_dir.join("app-split");
            if staging.exists() {
                fs::remove_dir_all(&staging).map_err(|e| io("clear", &staging, e))?;
            }
            let linked = link(repo, tools, Linking::Split)?;
            let split = match split(&linked, &staging.join("split")) {
                Ok(split) => split,
                Err(failure) => {
                    println!(
                        "    {failure}\n    so the app ships unsplit: every page in the first download"
                    );
                    Split::whole(link(repo, tools, Linking::Whole)?)
                }
            };
            let bindgen_dir = staging.join("bindgen");
            Cmd::new("wasm-bindgen")
                .args(["--target", "web", "--no-typescript", "--keep-lld-exports"])
                .args(["--out-name", "frontend", "--out-dir"])
                .args([&bindgen_dir, &split.main])
                .run()?;
            let main_wasm = bindgen_dir.join("frontend_bg.wasm");
            optimise(tools, &main_wasm)?;
            for module in &split.modules {
                optimise(tools, &module.path)?;
            }
            let built = Built {
                glue: read_text(&bindgen_dir.join("frontend.js"))?,
                main_wasm: read(&main_wasm)?,
                loader: match &split.loader {
                    Some(loader) => Some(read_text(loader)?),
                    None => None,
                },
                modules: split
                    .modules
                    .iter()
                    .map(|module| -> Result<(String, Vec<u8>), Failure> {
                        Ok((module.stem.clone(), read(&module.path)?))
                    })
                    .collect::<Result<_, _>>()?,
                groups: split.groups,
            };
            let site = name_and_link(&built)?;
            write_site(dist, &site)
        },
    )
}

/// How the app's final link is made.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Linking {
    /// With the `split` feature's split points and the relocations the splitter reads.
    Split,
    /// Without split points: one module, nothing to fetch later.
    Whole,
}

/// Builds the app (`wasm-release`) and returns the linked module.
fn link(repo: &Repo, tools: &SpaTools, linking: Linking) -> Result<PathBuf, Failure> {
    let mut cargo = tools
        .wasm
        .apply_release(Cmd::new("cargo"))
        .current_dir(&repo.root)
        .args(["rustc", "-p", "frontend", "--bin", "frontend"])
        .args(["--profile", PROFILE, "--target", TARGET])
        .env("CARGO_TARGET_DIR", &repo.target_dir);
    if linking == Linking::Split {
        // The relocations are for the final link only: the dependencies' builds stay as they are.
        cargo = cargo
            .args(["--features", "split"])
            .args(["--", "-Clink-arg=--emit-relocs"]);
    }
    cargo.run()?;
    Ok(repo
        .target_dir
        .join(TARGET)
        .join(PROFILE)
        .join("frontend.wasm"))
}

/// What the splitter wrote.
struct Split {
    /// The main module, for wasm-bindgen.
    main: PathBuf,
    /// The loader script (none when the app ships whole).
    loader: Option<PathBuf>,
    modules: Vec<SplitModule>,
    /// Group → the stems of the modules it fetches.
    groups: BTreeMap<String, Vec<String>>,
}

impl Split {
    /// The app in one module, nothing split off.
    fn whole(main: PathBuf) -> Split {
        Split {
            main,
            loader: None,
            modules: Vec::new(),
            groups: BTreeMap::new(),
        }
    }
}

struct SplitModule {
    /// `split_<group>` or `chunk_<n>`: the name the loader fetches, without `.wasm`.
    stem: String,
    path: PathBuf,
}

fn split(linked: &Path, out: &Path) -> Result<Split, Failure> {
    let input = read(linked)?;
    let main = out.join("main.wasm");
    let result = wasm_split_cli_support::transform({
        let mut options = wasm_split_cli_support::Options::new(&input);
        options.output_dir = out;
        options.main_out_path = main.as_path();
        options.link_name = LOADER_IMPORT;
        options.main_module = MAIN_GLUE_PLACEHOLDER;
        options
    })
    .map_err(|e| {
        Failure::new(format!(
            "cannot split the app's wasm ({}) at its split points: {e:#}",
            linked.display()
        ))
    })?;
    let mut modules = Vec::new();
    for path in result.split_modules {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| Failure::new(format!("odd split module name {}", path.display())))?
            .to_owned();
        modules.push(SplitModule { stem, path });
    }
    modules.sort_by(|a, b| a.stem.cmp(&b.stem));
    Ok(Split {
        main,
        loader: Some(out.join(LOADER_IMPORT)),
        modules,
        groups: result.prefetch_map.into_iter().collect(),
    })
}

/// `wasm-opt -Oz`, as Trunk runs it for the app (the same wasm-opt Trunk is given).
fn optimise(tools: &SpaTools, wasm: &Path) -> Result<(), Failure> {
    let Some(wasm_opt) = &tools.wasm_opt else {
        println!("    no wasm-opt here: {} ships unoptimised", wasm.display());
        return Ok(());
    };
    let program = match &wasm_opt.bin_dir {
        Some(dir) => dir.join("wasm-opt"),
        None => "wasm-opt".into(),
    };
    Cmd::new(program)
        .args(WASM_FEATURES)
        .args(["-Oz".as_ref(), wasm.as_os_str()])
        .args(["-o".as_ref(), wasm.as_os_str()])
        .run()
}

/// The app's files as built, before they are named.
struct Built {
    glue: String,
    main_wasm: Vec<u8>,
    loader: Option<String>,
    /// Stem → bytes, sorted by stem.
    modules: Vec<(String, Vec<u8>)>,
    groups: BTreeMap<String, Vec<String>>,
}

/// The app's files as shipped: names in `dist/` and contents.
#[derive(Debug)]
struct Site {
    glue: (String, String),
    main_wasm: (String, Vec<u8>),
    loader: Option<(String, String)>,
    modules: Vec<(String, Vec<u8>)>,
    groups: BTreeMap<String, Vec<String>>,
}

/// Names every file by one hash of them all and rewrites the names the files use for each other:
/// the glue imports the loader, the loader imports the glue and fetches the modules.
fn name_and_link(built: &Built) -> Result<Site, Failure> {
    let mut hasher = DefaultHasher::new();
    hasher.write(built.glue.as_bytes());
    hasher.write(&built.main_wasm);
    if let Some(loader) = &built.loader {
        hasher.write(loader.as_bytes());
    }
    for (stem, bytes) in &built.modules {
        hasher.write(stem.as_bytes());
        hasher.write(bytes);
    }
    let hash = format!("{:016x}", hasher.finish());
    let glue_name = format!("frontend-{hash}.js");
    let module_name = |stem: &str| {
        let short = stem.strip_prefix("split_").unwrap_or(stem);
        format!("lazy-{short}-{hash}.wasm")
    };

    let (glue, loader) = match &built.loader {
        None => (built.glue.clone(), None),
        Some(loader) => {
            let loader_name = format!("wasm_split-{hash}.js");
            let glue = replace_all(
                &built.glue,
                &format!("from \"{LOADER_IMPORT}\""),
                &format!("from \"./{loader_name}\""),
                "the glue's import of the split loader",
            )?;
            let mut loader = replace_all(
                loader,
                &format!("\"{MAIN_GLUE_PLACEHOLDER}\""),
                &format!("\"./{glue_name}\""),
                "the split loader's import of the glue",
            )?;
            for (stem, _) in &built.modules {
                loader = replace_all(
                    &loader,
                    &format!("\"./{stem}.wasm\""),
                    &format!("\"./{}\"", module_name(stem)),
                    "the split loader's fetch of a module",
                )?;
            }
            (glue, Some((loader_name, loader)))
        }
    };
    let groups: BTreeMap<String, Vec<String>> = built
        .groups
        .iter()
        .map(|(group, stems)| {
            let files: Vec<String> = stems.iter().map(|stem| module_name(stem)).collect();
            (group.clone(), files)
        })
        .collect();
    Ok(Site {
        glue: (glue_name, glue),
        main_wasm: (format!("frontend-{hash}_bg.wasm"), built.main_wasm.clone()),
        loader,
        modules: built
            .modules
            .iter()
            .map(|(stem, bytes)| (module_name(stem), bytes.clone()))
            .collect(),
        groups,
    })
}

/// `text` with every `from` replaced by `to`; an error naming `what` if there is none, since the
/// site would then load a file that does not exist.
fn replace_all(text: &str, from: &str, to: &str, what: &str) -> Result<String, Failure> {
    if !text.contains(from) {
        return Err(Failure::new(format!(
            "{what} is not where the build expects it (no `{from}`): has wasm-bindgen or \
             wasm_split_cli_support changed its output?"
        )));
    }
    Ok(text.replace(from, to))
}

fn write_site(dist: &Path, site: &Site) -> Result<AppFiles, Failure> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dist.join(name);
        fs::write(&path, bytes).map_err(|e| io("write", &path, e))
    };
    write(&site.glue.0, site.glue.1.as_bytes())?;
    write(&site.main_wasm.0, &site.main_wasm.1)?;
    if let Some((name, loader)) = &site.loader {
        write(name, loader.as_bytes())?;
    }
    for (name, bytes) in &site.modules {
        write(name, bytes)?;
    }
    let index = dist.join("index.html");
    let html = read_text(&index)?;
    let html = start_in_shell(&html, site)?;
    fs::write(&index, html).map_err(|e| io("write", &index, e))?;
    println!(
        "    {}, {}, {} and {} lazy modules",
        site.glue.0,
        site.main_wasm.0,
        site.loader
            .as_ref()
            .map_or("no split loader", |(name, _)| name),
        site.modules.len()
    );
    Ok(AppFiles {
        groups: site.groups.clone(),
    })
}

/// The shell with the app's start where Trunk would have put it: the preloads and the module
/// script before `</head>`, and Trunk's (skipped) Rust link removed.
fn start_in_shell(html: &str, site: &Site) -> Result<String, Failure> {
    let html = remove_rust_link(html);
    let (glue, wasm) = (&site.glue.0, &site.main_wasm.0);
    let loader = site.loader.as_ref().map_or(String::new(), |(name, loader)| {
        format!(
            "<link rel=\"modulepreload\" href=\"/{name}\" crossorigin=\"anonymous\" integrity=\"{}\">",
            integrity(loader.as_bytes())
        )
    });
    let start = format!(
        "<link rel=\"modulepreload\" href=\"/{glue}\" crossorigin=\"anonymous\" integrity=\"{glue_sri}\">\
         {loader}\
         <link rel=\"preload\" href=\"/{wasm}\" crossorigin=\"anonymous\" integrity=\"{wasm_sri}\" as=\"fetch\" type=\"application/wasm\">\
         <script type=\"module\">\n\
         import init from '/{glue}';\n\
         await init({{ module_or_path: '/{wasm}' }});\n\
         </script>",
        glue_sri = integrity(site.glue.1.as_bytes()),
        wasm_sri = integrity(&site.main_wasm.1),
    );
    let Some(at) = html.rfind("</head>") else {
        return Err(Failure::new("the built index.html has no </head>"));
    };
    Ok(format!("{}{start}{}", &html[..at], &html[at..]))
}

/// Removes Trunk's (skipped) Rust link, `<link … rel="rust" …>`, if Trunk left it in the page:
/// with nothing to build for it, Trunk leaves it as it was, with its own id added.
fn remove_rust_link(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<link") {
        let Some(len) = rest[start..].find('>').map(|end| end + 1) else {
            break;
        };
        let tag = &rest[start..start + len];
        out.push_str(&rest[..start]);
        if !tag.contains("rel=\"rust\"") {
            out.push_str(tag);
        }
        rest = &rest[start + len..];
    }
    out.push_str(rest);
    out
}

/// A Subresource Integrity value, as Trunk writes them.
fn integrity(bytes: &[u8]) -> String {
    let digest = Sha384::digest(bytes);
    format!(
        "sha384-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    fs::read(path).map_err(|e| io("read", path, e))
}

fn read_text(path: &Path) -> Result<String, Failure> {
    fs::read_to_string(path).map_err(|e| io("read", path, e))
}

fn io(what: &str, path: &Path, e: std::io::Error) -> Failure {
    Failure::new(format!("cannot {what} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built() -> Built {
        Built {
            glue: format!(
                "import * as import1 from \"{LOADER_IMPORT}\"\nreturn {{ \"{LOADER_IMPORT}\": import1 }};"
            ),
            main_wasm: b"\0asm main".to_vec(),
            loader: Some(format!(
                "import {{ initSync }} from \"{MAIN_GLUE_PLACEHOLDER}\";\n\
                 const __chunk_1 = makeLoad(new URL(\"./chunk_1.wasm\", import.meta.url), []);\n\
                 export const __wasm_split_load_present = wrapAsyncCb(makeLoad(new URL(\"./split_present.wasm\", import.meta.url), [__chunk_1]));"
            )),
            modules: vec![
                ("chunk_1".into(), b"\0asm shared".to_vec()),
                ("split_present".into(), b"\0asm present".to_vec()),
            ],
            groups: [(
                "present".to_owned(),
                vec!["chunk_1".to_owned(), "split_present".to_owned()],
            )]
            .into(),
        }
    }

    #[test]
    fn the_files_are_named_by_one_hash_and_name_each_other_by_it() {
        let site = name_and_link(&built()).unwrap();
        let hash = site
            .glue
            .0
            .strip_prefix("frontend-")
            .and_then(|rest| rest.strip_suffix(".js"))
            .unwrap()
            .to_owned();
        assert_eq!(hash.len(), 16, "{hash}");
        assert_eq!(site.main_wasm.0, format!("frontend-{hash}_bg.wasm"));
        let loader = site.loader.as_ref().unwrap();
        assert_eq!(loader.0, format!("wasm_split-{hash}.js"));
        // The glue imports the hashed loader, and still names the module's import key as the
        // wasm does.
        assert!(
            site.glue
                .1
                .contains(&format!("from \"./wasm_split-{hash}.js\"")),
            "{}",
            site.glue.1
        );
        assert!(
            site.glue
                .1
                .contains(&format!("\"{LOADER_IMPORT}\": import1"))
        );
        assert!(loader.1.contains(&format!("from \"./frontend-{hash}.js\"")));
        for module in ["lazy-chunk_1", "lazy-present"] {
            let name = format!("{module}-{hash}.wasm");
            assert!(loader.1.contains(&format!("\"./{name}\"")), "{name}");
            assert!(site.modules.iter().any(|(n, _)| *n == name), "{name}");
        }
        assert_eq!(
            site.groups["present"],
            [
                format!("lazy-chunk_1-{hash}.wasm"),
                format!("lazy-present-{hash}.wasm")
            ]
        );
    }

    #[test]
    fn a_changed_module_changes_every_name() {
        let before = name_and_link(&built()).unwrap();
        let mut changed = built();
        changed.modules[1].1.push(0);
        let after = name_and_link(&changed).unwrap();
        assert_ne!(before.glue.0, after.glue.0);
        assert_ne!(before.loader.unwrap().0, after.loader.unwrap().0);
    }

    #[test]
    fn output_the_build_does_not_recognise_is_an_error_not_a_broken_site() {
        let mut odd = built();
        odd.loader = odd
            .loader
            .map(|loader| loader.replace(MAIN_GLUE_PLACEHOLDER, "./elsewhere.js"));
        let error = name_and_link(&odd).unwrap_err().to_string();
        assert!(error.contains("import of the glue"), "{error}");
    }

    #[test]
    fn the_shell_starts_the_app_instead_of_trunks_rust_link() {
        let site = name_and_link(&built()).unwrap();
        let html = "<html><head><link rel=\"icon\" href=\"/favicon.svg\">\
                    <link data-trunk=\"\" rel=\"rust\" data-bin=\"frontend\" data-trunk-skip=\"\" data-trunk-id=\"4\">\
                    <title>t</title></head><body></body></html>";
        let shell = start_in_shell(html, &site).unwrap();
        assert!(!shell.contains("rel=\"rust\""), "{shell}");
        assert!(
            shell.contains("<link rel=\"icon\" href=\"/favicon.svg\"><title>"),
            "{shell}"
        );
        assert!(shell.contains(&format!("import init from '/{}';", site.glue.0)));
        assert!(shell.contains(&format!("module_or_path: '/{}'", site.main_wasm.0)));
        assert!(shell.contains(&format!(
            "<link rel=\"modulepreload\" href=\"/{}\" crossorigin=\"anonymous\" integrity=\"sha384-",
            site.loader.as_ref().unwrap().0
        )));
        assert!(shell.find("<script type=\"module\">").unwrap() < shell.find("</head>").unwrap());
    }

    #[test]
    fn an_app_shipped_whole_has_no_loader_and_its_glue_is_untouched() {
        let whole = Built {
            glue: "export function initSync() {}".into(),
            main_wasm: b"\0asm whole".to_vec(),
            loader: None,
            modules: Vec::new(),
            groups: BTreeMap::new(),
        };
        let site = name_and_link(&whole).unwrap();
        assert!(site.loader.is_none() && site.modules.is_empty());
        assert_eq!(site.glue.1, whole.glue);
        let shell = start_in_shell("<head></head>", &site).unwrap();
        assert!(!shell.contains("wasm_split-"), "{shell}");
        assert!(shell.contains(&format!("import init from '/{}';", site.glue.0)));
    }

    #[test]
    fn integrity_is_sha384_in_base64() {
        // `printf abc | openssl dgst -sha384 -binary | base64`
        assert_eq!(
            integrity(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }
}
