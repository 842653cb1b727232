//! Building the SPA with Trunk and precompressing it for the server.

use std::fs;
use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::cmd::{Cmd, Failure, step};
use crate::setup::SpaTools;
use crate::{Repo, editor_bundle};

/// Files the server may send compressed.
const COMPRESSIBLE: &[&str] = &["wasm", "js", "css", "html", "svg", "json"];

/// Gzipped sizes in bytes of what a browser downloads to start the app.
#[derive(Debug, Default)]
pub struct TransferSize {
    pub wasm: u64,
    pub js: u64,
    pub css: u64,
}

impl TransferSize {
    pub fn total(&self) -> u64 {
        self.wasm + self.js + self.css
    }
}

/// The code editor bundle (Trunk copies it, so it must exist first), then `trunk build --release`
/// into `dist/`, then a `.gz` beside each compressible file.
pub fn build(repo: &Repo, tools: &SpaTools) -> Result<TransferSize, Failure> {
    editor_bundle::build(repo)?;
    step("Building the web app with Trunk (release)", || {
        let dist = repo.dist();
        let mut trunk = tools
            .wasm
            .apply(Cmd::new("trunk"))
            .current_dir(&repo.root)
            .args(["build", "--release", "--dist"])
            .args([&dist])
            .env("CARGO_TARGET_DIR", &repo.target_dir)
            .env("TRUNK_SKIP_VERSION_CHECK", "true");
        if let Some(wasm_opt) = &tools.wasm_opt {
            // Use the wasm-opt we checked rather than letting Trunk download its default release.
            trunk = trunk.env("TRUNK_TOOLS_WASM_OPT", &wasm_opt.trunk_version);
            if let Some(dir) = &wasm_opt.bin_dir {
                trunk = trunk.prepend_path(dir);
            }
        }
        trunk.run()?;
        let size = precompress(&dist)?;
        println!(
            "    transfer size (gzip): wasm {:.1} KB + js {:.1} KB + css {:.1} KB = {:.1} KB",
            kb(size.wasm),
            kb(size.js),
            kb(size.css),
            kb(size.total())
        );
        Ok(size)
    })
}

fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// Writes `<file>.gz` for every compressible file in `dist` and measures the app's download.
pub fn precompress(dist: &Path) -> Result<TransferSize, Failure> {
    let io = |what: &str, path: &Path, e: std::io::Error| {
        Failure::new(format!("cannot {what} {}: {e}", path.display()))
    };
    let mut size = TransferSize::default();
    let entries = fs::read_dir(dist).map_err(|e| io("read", dist, e))?;
    for entry in entries {
        let path = entry.map_err(|e| io("read", dist, e))?.path();
        let Some(ext) = path.extension().and_then(|e| e.to_str()) else {
            continue;
        };
        if !COMPRESSIBLE.contains(&ext) {
            continue;
        }
        let bytes = fs::read(&path).map_err(|e| io("read", &path, e))?;
        let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
        encoder
            .write_all(&bytes)
            .and_then(|_| encoder.flush())
            .map_err(|e| io("compress", &path, e))?;
        let gz = encoder.finish().map_err(|e| io("compress", &path, e))?;
        let gz_path = path.with_extension(format!("{ext}.gz"));
        fs::write(&gz_path, &gz).map_err(|e| io("write", &gz_path, e))?;
        let len = gz.len() as u64;
        match ext {
            "wasm" => size.wasm += len,
            "js" => size.js += len,
            "css" => size.css += len,
            _ => {}
        }
    }
    if size.wasm == 0 {
        return Err(Failure::new(format!(
            "no .wasm file in {}: the Trunk build did not produce the app",
            dist.display()
        )));
    }
    Ok(size)
}
