//! Configuration, read once from the environment at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use sandbox::{DockerConfig, Limits};

/// Server settings. Every field has a default that works from the repository root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `RMP_ADDR`, default `127.0.0.1:8080`.
    pub addr: SocketAddr,
    /// `RMP_CONTENT_DIR`, default `content`.
    pub content_dir: PathBuf,
    /// `RMP_CONTENT_WATCH` (default false; `cargo xtask run` turns it on): reload the content when
    /// its files change and tell open pages (the author's loop).
    pub content_watch: bool,
    /// `RMP_SITE_DIR`, default `dist`: the SPA built by Trunk.
    pub site_dir: PathBuf,
    /// `RMP_DATA_DIR`, default `data`: holds the SQLite store.
    pub data_dir: PathBuf,
    /// `RMP_SANDBOX`: `docker` (default) or `none` to serve without running code.
    pub sandbox_enabled: bool,
    /// The sandbox settings: `RMP_RUNNER_IMAGE_STABLE`, `RMP_WARM_POOL` (default sized by
    /// memory, see `sandbox::warm_pool_for_memory`; 0 = a container per run),
    /// `RMP_SANDBOX_SWEEP` (default true: remove orphans of server processes that are provably
    /// gone, never a live one's) and the limits below.
    pub docker: DockerConfig,
    /// Admission control: `RMP_RUN_CONCURRENCY` (default: the number of CPUs),
    /// `RMP_QUEUE_CAPACITY` (512), `RMP_QUEUE_PER_ADDRESS` (256), `RMP_QUEUE_PER_BROWSER` (8),
    /// `RMP_QUEUE_PER_SITE` (256: the readers of one embedding site), `RMP_QUEUE_TIMEOUT_SECS` (60).
    pub admission: AdmissionConfig,
    /// `RMP_TRUST_FORWARDED_FOR`: identify clients by the last `X-Forwarded-For` entry, the one
    /// the trusted reverse proxy in front of the server appended (set it only behind one).
    pub trust_forwarded_for: bool,
    /// `RMP_PUBLIC_URL`, e.g. `https://play.example.org`: the origin readers reach the site at,
    /// for the absolute addresses in link previews, `<link rel="canonical">` and the sitemap.
    /// Unset, each request's `Host` header is used with `http://` (right for local use only).
    pub public_url: Option<PublicUrl>,
    /// `RMP_EMBED_SITES`: the origins whose pages may embed snippets (`/embed.js`), separated
    /// by spaces or commas, e.g. `https://blog.example https://docs.example`; unset or `*`: any.
    pub embed_sites: EmbedSites,
    /// The result cache: `RMP_CACHE` (default true), `RMP_CACHE_ENTRIES` (10000),
    /// `RMP_CACHE_BYTES` (268435456, 256 MiB), `RMP_CACHE_WARM` (default true: run the content's
    /// examples into it at start-up, one at a time, while nobody else runs).
    pub cache: CacheConfig,
}

/// See [`Config::cache`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    pub enabled: bool,
    pub limits: crate::cache::CacheLimits,
    pub warm: bool,
}

/// The site's public origin: `http` or `https`, a host and maybe a port; no path, no trailing `/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// Checks `text` is an origin such as `https://play.example.org` (a trailing `/` is dropped).
    pub fn parse(text: &str) -> Result<PublicUrl, String> {
        let explain = || {
            format!(
                "RMP_PUBLIC_URL=`{text}`: expected the site's origin such as \
                 https://play.example.org (http or https, a host, an optional port, no path)"
            )
        };
        let trimmed = text.trim().trim_end_matches('/');
        let host = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or_else(explain)?;
        if !is_host_and_port(host) {
            return Err(explain());
        }
        Ok(PublicUrl(trimmed.to_owned()))
    }

    /// The origin seen by a request that came in with this `Host` header, when no public URL is
    /// configured. `None` for a missing or malformed header.
    pub fn from_host(host: &str) -> Option<PublicUrl> {
        is_host_and_port(host).then(|| PublicUrl(format!("http://{host}")))
    }

    /// The absolute address of `path` (which starts with `/`) on this site.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which sites may show the playground's snippets in a frame: enforced by the snippet page's
/// `Content-Security-Policy: frame-ancestors`, which every browser applies to its embedders.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum EmbedSites {
    #[default]
    Any,
    /// These origins (`https://blog.example`), and the playground itself.
    Only(Vec<String>),
}

impl EmbedSites {
    /// Reads `RMP_EMBED_SITES`' value.
    pub fn parse(text: &str) -> Result<EmbedSites, String> {
        let sites: Vec<&str> = text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|site| !site.is_empty())
            .collect();
        if sites.is_empty() || sites == ["*"] {
            return Ok(EmbedSites::Any);
        }
        sites
            .into_iter()
            .map(|site| {
                let site = site.trim_end_matches('/');
                if is_origin(site) {
                    Ok(site.to_owned())
                } else {
                    Err(format!(
                        "RMP_EMBED_SITES: `{site}` is not an origin such as https://blog.example \
                         (http or https, a host, an optional port, no path); use `*` for any site"
                    ))
                }
            })
            .collect::<Result<_, _>>()
            .map(EmbedSites::Only)
    }

    /// The `frame-ancestors` source list.
    pub fn frame_ancestors(&self) -> String {
        match self {
            EmbedSites::Any => "*".to_owned(),
            EmbedSites::Only(sites) => format!("'self' {}", sites.join(" ")),
        }
    }
}

/// Whether `text` is an origin: `http://` or `https://`, then a host and an optional port.
pub fn is_origin(text: &str) -> bool {
    text.len() <= 255
        && text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .is_some_and(is_host_and_port)
}

/// A host name or address with an optional port: the only characters allowed, so a hostile `Host`
/// header cannot smuggle anything else into the addresses the server writes.
fn is_host_and_port(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

/// How many executions run at once and how many may wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmissionConfig {
    pub concurrency: usize,
    /// Waiting executions, in all.
    pub queue_capacity: usize,
    /// Waiting executions from one address (a classroom's NAT): room for a class of 200, and
    /// half the queue, so one network cannot fill it whatever browser ids it sends.
    pub per_address_queue: usize,
    /// Waiting executions from one browser (or from the id-less clients of one address).
    pub per_browser_queue: usize,
    /// Waiting executions from the readers of one embedding site (runs from embedded snippets):
    /// like one network's share, so a popular post cannot fill the queue.
    pub per_site_queue: usize,
    pub queue_timeout: Duration,
}

impl Default for AdmissionConfig {
    fn default() -> AdmissionConfig {
        AdmissionConfig {
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            queue_capacity: 512,
            per_address_queue: 256,
            per_browser_queue: 8,
            per_site_queue: 256,
            queue_timeout: Duration::from_secs(60),
        }
    }
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
        let number = |key: &str, default: u64| -> Result<u64, String> {
            match lookup(key) {
                None => Ok(default),
                Some(text) => text
                    .trim()
                    .parse()
                    .map_err(|_| format!("{key}=`{text}` is not a whole number")),
            }
        };
        let flag = |key: &str, default: bool| -> Result<bool, String> {
            match lookup(key).as_deref().map(str::trim) {
                None => Ok(default),
                Some("1" | "true" | "yes") => Ok(true),
                Some("0" | "false" | "no") => Ok(false),
                Some(other) => Err(format!("{key}=`{other}`: expected true or false")),
            }
        };
        let sandbox_enabled = match get("RMP_SANDBOX", "docker").as_str() {
            "docker" => true,
            "none" => false,
            other => return Err(format!("RMP_SANDBOX=`{other}`: expected docker or none")),
        };
        let defaults = Limits::default();
        let limits = Limits {
            compile_timeout: Duration::from_secs(number(
                "RMP_COMPILE_TIMEOUT_SECS",
                defaults.compile_timeout.as_secs(),
            )?),
            run_timeout: Duration::from_secs(number(
                "RMP_RUN_TIMEOUT_SECS",
                defaults.run_timeout.as_secs(),
            )?),
            memory_mb: number("RMP_MEMORY_MB", defaults.memory_mb)?,
            pids: number("RMP_PIDS_LIMIT", defaults.pids as u64)? as i64,
            millicpus: number("RMP_MILLICPUS", defaults.millicpus)?,
            output_bytes: number("RMP_OUTPUT_LIMIT_BYTES", defaults.output_bytes as u64)? as usize,
            tmpfs_mb: number("RMP_TMPFS_MB", defaults.tmpfs_mb)?,
        };
        let docker_defaults = DockerConfig::default();
        let docker = DockerConfig {
            // RMP_RUNNER_IMAGE_STABLE, RMP_RUNNER_IMAGE_CORTEX_M, ...: one per registered runner.
            images: docker_defaults
                .images
                .iter()
                .map(|(runner, image)| {
                    let key = format!(
                        "RMP_RUNNER_IMAGE_{}",
                        runner.as_str().to_uppercase().replace('-', "_")
                    );
                    (runner.clone(), get(&key, image))
                })
                .collect(),
            warm_pool: number("RMP_WARM_POOL", docker_defaults.warm_pool as u64)? as usize,
            limits,
            sweep_on_start: flag("RMP_SANDBOX_SWEEP", true)?,
            idle_lifetime: docker_defaults.idle_lifetime,
            // `DOCKER_HOST` (a `unix://` socket) picks another daemon.
            socket: docker_defaults.socket,
        };
        if lookup("RMP_QUEUE_PER_CLIENT").is_some() {
            // Its meaning changed when fairness learnt browsers; say so rather than ignore it.
            return Err(
                "RMP_QUEUE_PER_CLIENT is no longer read: set RMP_QUEUE_PER_ADDRESS (one \
                 network's share of the queue, default 256) and RMP_QUEUE_PER_BROWSER (one \
                 browser's, default 8) instead"
                    .to_owned(),
            );
        }
        let admission_defaults = AdmissionConfig::default();
        let admission = AdmissionConfig {
            concurrency: number("RMP_RUN_CONCURRENCY", admission_defaults.concurrency as u64)?
                .max(1) as usize,
            queue_capacity: number(
                "RMP_QUEUE_CAPACITY",
                admission_defaults.queue_capacity as u64,
            )? as usize,
            per_address_queue: number(
                "RMP_QUEUE_PER_ADDRESS",
                admission_defaults.per_address_queue as u64,
            )? as usize,
            per_browser_queue: number(
                "RMP_QUEUE_PER_BROWSER",
                admission_defaults.per_browser_queue as u64,
            )? as usize,
            per_site_queue: number(
                "RMP_QUEUE_PER_SITE",
                admission_defaults.per_site_queue as u64,
            )? as usize,
            queue_timeout: Duration::from_secs(number(
                "RMP_QUEUE_TIMEOUT_SECS",
                admission_defaults.queue_timeout.as_secs(),
            )?),
        };
        let cache_defaults = crate::cache::CacheLimits::default();
        let cache = CacheConfig {
            enabled: flag("RMP_CACHE", true)?,
            limits: crate::cache::CacheLimits {
                entries: number("RMP_CACHE_ENTRIES", cache_defaults.entries)?,
                bytes: number("RMP_CACHE_BYTES", cache_defaults.bytes)?,
            },
            warm: flag("RMP_CACHE_WARM", true)?,
        };
        Ok(Config {
            cache,
            addr,
            content_dir: get("RMP_CONTENT_DIR", "content").into(),
            content_watch: flag("RMP_CONTENT_WATCH", false)?,
            site_dir: get("RMP_SITE_DIR", "dist").into(),
            data_dir: get("RMP_DATA_DIR", "data").into(),
            sandbox_enabled,
            docker,
            admission,
            trust_forwarded_for: flag("RMP_TRUST_FORWARDED_FOR", false)?,
            embed_sites: EmbedSites::parse(&get("RMP_EMBED_SITES", "*"))?,
            public_url: lookup("RMP_PUBLIC_URL")
                .filter(|text| !text.trim().is_empty())
                .map(|text| PublicUrl::parse(&text))
                .transpose()?,
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
        assert!(
            !config.content_watch,
            "production serves the content it started with"
        );
    }

    #[test]
    fn embedding_sites_are_any_by_default_or_a_checked_list() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.embed_sites, EmbedSites::Any);
        assert_eq!(config.embed_sites.frame_ancestors(), "*");
        let sites = EmbedSites::parse("https://blog.example/, http://localhost:4000").unwrap();
        assert_eq!(
            sites.frame_ancestors(),
            "'self' https://blog.example http://localhost:4000"
        );
        let err = Config::from_lookup(|k| {
            (k == "RMP_EMBED_SITES").then(|| "https://ok.example javascript:alert(1)".into())
        })
        .unwrap_err();
        assert!(
            err.contains("`javascript:alert(1)` is not an origin"),
            "{err}"
        );
        assert!(EmbedSites::parse("https://blog.example/path; script-src *").is_err());
    }

    #[test]
    fn sandbox_limits_come_from_the_environment() {
        let config = Config::from_lookup(|k| match k {
            "RMP_RUN_TIMEOUT_SECS" => Some("3".into()),
            "RMP_RUN_CONCURRENCY" => Some("4".into()),
            "RMP_WARM_POOL" => Some("0".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.docker.limits.run_timeout, Duration::from_secs(3));
        assert_eq!(
            config.docker.limits.compile_timeout,
            Duration::from_secs(30)
        );
        assert_eq!(config.docker.limits.memory_mb, 512);
        assert_eq!(config.docker.warm_pool, 0);
        assert_eq!(config.admission.concurrency, 4);
        assert_eq!(config.admission.per_address_queue, 256);
        assert_eq!(config.admission.per_browser_queue, 8);
        assert!(config.admission.per_address_queue < config.admission.queue_capacity);
        assert!(config.sandbox_enabled);
        let err =
            Config::from_lookup(|k| (k == "RMP_MEMORY_MB").then(|| "lots".into())).unwrap_err();
        assert_eq!(err, "RMP_MEMORY_MB=`lots` is not a whole number");
    }

    #[test]
    fn the_cache_is_on_and_bounded_by_default() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert!(config.cache.enabled && config.cache.warm);
        assert_eq!(config.cache.limits.entries, 10_000);
        assert_eq!(config.cache.limits.bytes, 256 * 1024 * 1024);
        let config = Config::from_lookup(|k| match k {
            "RMP_CACHE_ENTRIES" => Some("5".into()),
            "RMP_CACHE_WARM" => Some("false".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(config.cache.limits.entries, 5);
        assert!(!config.cache.warm);
        let err = Config::from_lookup(|k| (k == "RMP_CACHE").then(|| "maybe".into())).unwrap_err();
        assert_eq!(err, "RMP_CACHE=`maybe`: expected true or false");
    }

    #[test]
    fn the_public_url_is_an_origin() {
        let config = Config::from_lookup(|k| {
            (k == "RMP_PUBLIC_URL").then(|| "https://play.example.org/".into())
        })
        .unwrap();
        let url = config.public_url.unwrap();
        assert_eq!(url.as_str(), "https://play.example.org");
        assert_eq!(
            url.join("/learn/macros"),
            "https://play.example.org/learn/macros"
        );
        assert_eq!(Config::from_lookup(|_| None).unwrap().public_url, None);
        for bad in [
            "play.example.org",
            "ftp://play.example.org",
            "https://play.example.org/app",
            "https://",
            "https://a\"b",
        ] {
            let err =
                Config::from_lookup(|k| (k == "RMP_PUBLIC_URL").then(|| bad.into())).unwrap_err();
            assert!(err.contains("expected the site's origin"), "{bad}: {err}");
        }
        assert_eq!(
            PublicUrl::from_host("localhost:8080").unwrap().as_str(),
            "http://localhost:8080"
        );
        assert_eq!(PublicUrl::from_host("evil\"><script>"), None);
        assert_eq!(PublicUrl::from_host(""), None);
    }

    #[test]
    fn the_old_per_client_setting_is_refused_with_its_replacements() {
        let err = Config::from_lookup(|k| (k == "RMP_QUEUE_PER_CLIENT").then(|| "32".into()))
            .unwrap_err();
        assert!(err.contains("RMP_QUEUE_PER_ADDRESS"), "{err}");
    }

    #[test]
    fn a_bad_address_is_explained() {
        let err =
            Config::from_lookup(|k| (k == "RMP_ADDR").then(|| "localhost".into())).unwrap_err();
        assert!(err.contains("RMP_ADDR=`localhost`"), "{err}");
    }
}
