//! Building the SPA with Trunk and precompressing it for the server.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::cmd::{Cmd, Failure, step};
use crate::setup::SpaTools;
use crate::{Repo, app_wasm, demos_module, editor_bundle};

/// Files the server may send compressed.
const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "html", "svg", "json"];

/// When a browser fetches a file of the built site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Load {
    /// The shell and what its head links: every page waits for these before its first paint.
    FirstPaint,
    /// The code editor's script: fetched after the first paint by pages that show code, which
    /// show it highlighted by the server until then (`frontend/src/editor.rs`).
    WithCode,
    /// The demos module: fetched only by a page that shows a demo.
    WithDemo,
    /// A module split off the app's wasm (`lazy-<module>-<hash>.wasm`, `frontend/src/lazy.rs`):
    /// fetched the first time a page that needs it is shown.
    WithPage,
    /// Anything else (the favicon).
    Other,
}

impl Load {
    /// Which load a file of `dist/` belongs to, by its path there (`/`-separated).
    pub fn of(path: &str) -> Load {
        let name = path.rsplit('/').next().unwrap_or(path);
        if path.starts_with("demos-wasm/") || name.starts_with("demos-") {
            Load::WithDemo
        } else if name.starts_with("editor-") && name.ends_with(".js") {
            Load::WithCode
        } else if name.starts_with("lazy-") && name.ends_with(".wasm") {
            Load::WithPage
        } else if name == "index.html"
            || name.starts_with("frontend-")
            // The split modules' loader: the app's glue imports it.
            || name.starts_with("wasm_split-")
            || name.ends_with(".css")
        {
            Load::FirstPaint
        } else {
            Load::Other
        }
    }
}

/// Gzipped sizes in bytes of the site's files, each with when a browser fetches it.
#[derive(Debug, Default)]
pub struct SiteWeight {
    pub files: Vec<(String, Load, u64)>,
    /// The app's lazily loaded pages by split group, each with the modules it fetches
    /// ([`app_wasm::AppFiles::groups`]).
    pub groups: BTreeMap<String, Vec<String>>,
}

/// The first visit's budget (issue 13): at most this many gzipped bytes before the first paint.
pub const FIRST_PAINT_BUDGET: u64 = 400 * 1024;

impl SiteWeight {
    /// Gzipped bytes fetched for `load`.
    pub fn total(&self, load: Load) -> u64 {
        self.files
            .iter()
            .filter(|(_, l, _)| *l == load)
            .map(|(_, _, len)| len)
            .sum()
    }

    /// Gzipped bytes fetched for `load` from files whose name ends with `ext`.
    fn part(&self, load: Load, ext: &str) -> u64 {
        self.files
            .iter()
            .filter(|(path, l, _)| *l == load && path.ends_with(ext))
            .map(|(_, _, len)| len)
            .sum()
    }

    /// Gzipped bytes of the file at `path` in `dist/` (0 if it was not measured).
    fn size_of(&self, path: &str) -> u64 {
        self.files
            .iter()
            .find(|(p, _, _)| p == path)
            .map_or(0, |(_, _, len)| *len)
    }

    /// One line per group of lazily loaded pages: what its first showing fetches, module by
    /// module (a chunk shared with other groups is fetched once, by whichever comes first).
    fn page_lines(&self) -> String {
        let mut lines = String::new();
        for (group, files) in &self.groups {
            let total: u64 = files.iter().map(|f| self.size_of(f)).sum();
            let parts: Vec<String> = files
                .iter()
                .map(|f| {
                    // `lazy-<module>-<hash>.wasm` → `<module>`
                    let module = f
                        .strip_prefix("lazy-")
                        .and_then(|rest| rest.rsplit_once('-'))
                        .map_or(f.as_str(), |(module, _)| module);
                    format!("{module} {:.1}", kb(self.size_of(f)))
                })
                .collect();
            lines.push_str(&format!(
                "\n      {group}: {:.1} KB ({})",
                kb(total),
                parts.join(" + ")
            ));
        }
        lines
    }

    /// The build's report: the first visit of the course index and of a chapter, and what loads
    /// later, on demand.
    pub fn report(&self) -> String {
        let first = self.total(Load::FirstPaint);
        let over = if first > FIRST_PAINT_BUDGET {
            format!(" — OVER the {:.0} KB budget", kb(FIRST_PAINT_BUDGET))
        } else {
            format!(" (budget {:.0} KB)", kb(FIRST_PAINT_BUDGET))
        };
        let shell = format!(
            "html {:.1} + js {:.1} + wasm {:.1} + css {:.1}",
            kb(self.part(Load::FirstPaint, ".html")),
            kb(self.part(Load::FirstPaint, ".js")),
            kb(self.part(Load::FirstPaint, ".wasm")),
            kb(self.part(Load::FirstPaint, ".css")),
        );
        format!(
            "    first visit, gzip, before the first paint:\n\
             \x20     course index: {first:.1} KB ({shell}){over}\n\
             \x20     chapter page: {first:.1} KB, the same files (its code is shown highlighted by the server until the editor arrives)\n\
             \x20   later, on demand:\n\
             \x20     code editor, after the first paint of a page with code: {editor:.1} KB\n\
             \x20     demos module, on a page with a demo: {demos:.1} KB (js {demos_js:.1} + wasm {demos_wasm:.1})\n\
             \x20     pages split off the app, fetched when first shown: {pages:.1} KB in all, by group:{page_lines}",
            first = kb(first),
            pages = kb(self.total(Load::WithPage)),
            page_lines = self.page_lines(),
            editor = kb(self.total(Load::WithCode)),
            demos = kb(self.total(Load::WithDemo)),
            demos_js = kb(self.part(Load::WithDemo, ".js")),
            demos_wasm = kb(self.part(Load::WithDemo, ".wasm")),
        )
    }
}

/// The code editor bundle and the demos module (Trunk copies them, so they must exist first), then
/// `trunk build --release` into `dist/` (all but the app's wasm), the app's wasm split at its lazy
/// pages (`app_wasm.rs`), then a `.gz` beside each compressible file.
pub fn build(repo: &Repo, tools: &SpaTools) -> Result<SiteWeight, Failure> {
    editor_bundle::build(repo)?;
    demos_module::build(repo, tools)?;
    let dist = repo.dist();
    step(
        "Building the site with Trunk (all but the app's wasm)",
        || {
            // Trunk only reads the app's manifest (its Rust link is `data-trunk-skip`); the route's
            // environment keeps that `cargo metadata` on the same toolchain as the builds.
            let mut trunk = tools
                .wasm
                .apply(Cmd::new("trunk"))
                .current_dir(&repo.root)
                .args(["build", "--release", "--dist"])
                .args([&dist])
                .env("CARGO_TARGET_DIR", &repo.target_dir)
                .env("TRUNK_SKIP_VERSION_CHECK", "true");
            if let Some(wasm_opt) = &tools.wasm_opt {
                // Never let Trunk download a wasm-opt of its own, should it look for one.
                trunk = trunk.env("TRUNK_TOOLS_WASM_OPT", &wasm_opt.trunk_version);
            }
            trunk.run()
        },
    )?;
    let app = app_wasm::build(repo, tools, &dist)?;
    step("Compressing the site (zopfli)", || {
        let mut weight = precompress(&dist)?;
        weight.groups = app.groups;
        println!("{}", weight.report());
        Ok(weight)
    })
}

fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// Writes `<file>.gz` for every compressible file in `dist` (and its folders) and measures what a
/// browser downloads, file by file.
pub fn precompress(dist: &Path) -> Result<SiteWeight, Failure> {
    let mut weight = SiteWeight::default();
    compress_dir(dist, dist, &mut weight)?;
    if weight.part(Load::FirstPaint, ".wasm") == 0 {
        return Err(Failure::new(format!(
            "no app .wasm file in {}: the Trunk build did not produce the app",
            dist.display()
        )));
    }
    Ok(weight)
}

fn compress_dir(dist: &Path, dir: &Path, weight: &mut SiteWeight) -> Result<(), Failure> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Failure::new(format!("cannot {what} {}: {e}", path.display()))
    };
    let entries = fs::read_dir(dir).map_err(|e| io("read", dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| io("read", dir, e))?.path();
        if path.is_dir() {
            compress_dir(dist, &path, weight)?;
            continue;
        }
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        if !COMPRESSIBLE.contains(&ext) {
            continue;
        }
        let bytes = fs::read(&path).map_err(|e| io("read", &path, e))?;
        let gz = gzip(&bytes).map_err(|e| io("compress", &path, e))?;
        let gz_path = path.with_extension(format!("{ext}.gz"));
        fs::write(&gz_path, &gz).map_err(|e| io("write", &gz_path, e))?;
        let relative = path
            .strip_prefix(dist)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        weight
            .files
            .push((relative.clone(), Load::of(&relative), gz.len() as u64));
    }
    Ok(())
}

/// Files at least this large are compressed with zopfli; smaller ones are not worth its time.
const ZOPFLI_FROM: usize = 64 * 1024;
/// Zopfli's passes over a file: 5 gets nearly all of its gain over zlib (measured on the app's
/// wasm: 4.2 % smaller than zlib's best, about 10 s for 1.2 MB on this machine's cores).
const ZOPFLI_ITERATIONS: u64 = 5;

/// Gzip that any browser reads: zopfli for the large files a first visit waits for, zlib's best
/// for the rest.
fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    if bytes.len() >= ZOPFLI_FROM {
        zopfli_gzip(bytes)
    } else {
        zlib_gzip(bytes)
    }
}

fn zopfli_gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let options = zopfli::Options {
        iteration_count: std::num::NonZeroU64::new(ZOPFLI_ITERATIONS).expect("not zero"),
        ..zopfli::Options::default()
    };
    let mut gz = Vec::new();
    zopfli::compress(options, zopfli::Format::Gzip, bytes, &mut gz)?;
    Ok(gz)
}

fn zlib_gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes)?;
    encoder.flush()?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_compressors_write_gzip_that_decompresses_to_the_file() {
        use std::io::Read;
        let text: Vec<u8> = (0..3000u32)
            .flat_map(|i| format!("{} ", i % 977).into_bytes())
            .collect();
        for compress in [zopfli_gzip, zlib_gzip] {
            let gz = compress(&text).unwrap();
            assert!(gz.len() < text.len() / 2, "{} of {}", gz.len(), text.len());
            let mut back = Vec::new();
            flate2::read::GzDecoder::new(&gz[..])
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, text);
        }
    }

    #[test]
    fn files_are_sorted_by_when_a_browser_fetches_them() {
        assert_eq!(Load::of("index.html"), Load::FirstPaint);
        assert_eq!(Load::of("frontend-0123456789abcdef.js"), Load::FirstPaint);
        assert_eq!(
            Load::of("frontend-0123456789abcdef_bg.wasm"),
            Load::FirstPaint
        );
        assert_eq!(Load::of("style-0123456789abcdef.css"), Load::FirstPaint);
        assert_eq!(Load::of("editor-0123456789abcdef.css"), Load::FirstPaint);
        assert_eq!(Load::of("editor-0123456789abcdef.js"), Load::WithCode);
        assert_eq!(Load::of("demos-0123456789abcdef.js"), Load::WithDemo);
        assert_eq!(
            Load::of("demos-wasm/demos-0123456789abcdef_bg.wasm"),
            Load::WithDemo
        );
        assert_eq!(Load::of("wasm_split-0123456789abcdef.js"), Load::FirstPaint);
        assert_eq!(
            Load::of("lazy-present-0123456789abcdef.wasm"),
            Load::WithPage
        );
        assert_eq!(
            Load::of("lazy-chunk_3-0123456789abcdef.wasm"),
            Load::WithPage
        );
        assert_eq!(Load::of("favicon.svg"), Load::Other);
    }

    #[test]
    fn the_report_adds_up_each_load_and_flags_a_first_visit_over_budget() {
        let weight = SiteWeight {
            files: vec![
                ("index.html".into(), Load::FirstPaint, 1024),
                ("frontend-a_bg.wasm".into(), Load::FirstPaint, 450 * 1024),
                ("editor-a.js".into(), Load::WithCode, 150 * 1024),
                (
                    "demos-wasm/demos-a_bg.wasm".into(),
                    Load::WithDemo,
                    100 * 1024,
                ),
                ("lazy-chunk_1-a.wasm".into(), Load::WithPage, 10 * 1024),
                ("lazy-present-a.wasm".into(), Load::WithPage, 30 * 1024),
                ("lazy-teach-a.wasm".into(), Load::WithPage, 20 * 1024),
            ],
            groups: [
                (
                    "present".to_owned(),
                    vec![
                        "lazy-chunk_1-a.wasm".to_owned(),
                        "lazy-present-a.wasm".to_owned(),
                    ],
                ),
                (
                    "teach".to_owned(),
                    vec![
                        "lazy-chunk_1-a.wasm".to_owned(),
                        "lazy-teach-a.wasm".to_owned(),
                    ],
                ),
            ]
            .into(),
        };
        assert_eq!(weight.total(Load::FirstPaint), 451 * 1024);
        let report = weight.report();
        assert!(report.contains("course index: 451.0 KB"), "{report}");
        assert!(report.contains("OVER the 400 KB budget"), "{report}");
        assert!(
            report.contains("code editor, after the first paint of a page with code: 150.0 KB"),
            "{report}"
        );
        assert!(
            report.contains("demos module, on a page with a demo: 100.0 KB (js 0.0 + wasm 100.0)"),
            "{report}"
        );
        assert!(
            report.contains("fetched when first shown: 60.0 KB in all"),
            "{report}"
        );
        assert!(
            report.contains("present: 40.0 KB (chunk_1 10.0 + present 30.0)"),
            "{report}"
        );
        assert!(
            report.contains("teach: 30.0 KB (chunk_1 10.0 + teach 20.0)"),
            "{report}"
        );
    }
}
