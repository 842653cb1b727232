//! Configuration, read once from the environment at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Server settings. Every field has a default that works from the repository root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `RMP_ADDR`, default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// `RMP_CONTENT_DIR`, default `content`.
    pub content_dir: PathBuf,
    /// `RMP_SITE_DIR`, default `dist`: the SPA built by Trunk.
    pub site_dir: PathBuf,
    /// `RMP_DATA_DIR`, default `data`: holds the SQLite store.
    pub data_dir: PathBuf,
}

impl Config {
    /// Reads the settings from the process environment.
    pub fn from_env() -> Result<Config, String> {
        Config::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the settings through `lookup`, so tests need not touch the real environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let get = |key: &str, default: &str| lookup(key).unwrap_or_else(|| default.to_owned());
        let addr_text = get("RMP_ADDR", "127.0.0.1:8080");
        let addr = addr_text.parse().map_err(|_| {
            format!("RMP_ADDR=`{addr_text}` is not an address such as 127.0.0.1:8080")
        })?;
        Ok(Config {
            addr,
            content_dir: get("RMP_CONTENT_DIR", "content").into(),
            site_dir: get("RMP_SITE_DIR", "dist").into(),
            data_dir: get("RMP_DATA_DIR", "data").into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_work_from_the_repository_root() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(config.content_dir, PathBuf::from("content"));
        assert_eq!(config.site_dir, PathBuf::from("dist"));
        assert_eq!(config.data_dir, PathBuf::from("data"));
    }

    #[test]
    fn a_bad_address_is_explained() {
        let err =
            Config::from_lookup(|k| (k == "RMP_ADDR").then(|| "localhost".into())).unwrap_err();
        assert!(err.contains("RMP_ADDR=`localhost`"), "{err}");
    }
}
