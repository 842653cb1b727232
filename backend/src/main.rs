//! `rmp-server`: reads configuration, loads content, opens the store, serves until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use backend::cache::ResultCache;
use backend::{AppState, Config, Content, Runner, Store, app};
use sandbox::{DockerSandbox, Sandbox, Unavailable};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .init();
    if let Err(err) = run().await {
        // `{:#}` prints the whole cause chain on one line.
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let config = Config::from_env().map_err(anyhow::Error::msg)?;
    let library =
        course::Library::load(&config.content_dir).context("cannot load the course content")?;
    tracing::info!(
        courses = library.courses.len(),
        chapters = library.chapter_count(),
        dir = %config.content_dir.display(),
        "content loaded"
    );
    for problem in library.problems() {
        // The chapter is served; the block it names shows the problem and cannot run.
        tracing::warn!(
            "content problem: {problem} (run `cargo xtask verify-content` for all checks)"
        );
    }
    let store = Store::open(&config.data_dir).context("cannot open the store")?;
    tracing::info!(path = %store.path().display(), "store ready");
    if !config.site_dir.join("index.html").is_file() {
        tracing::warn!(
            dir = %config.site_dir.display(),
            "the SPA is not built there; pages will explain how to build it (cargo xtask run)"
        );
    }

    if config.public_url.is_none() {
        tracing::info!(
            "RMP_PUBLIC_URL is not set: link previews and the sitemap use each request's Host over http"
        );
    }

    let sandbox: Arc<dyn Sandbox> = if !config.sandbox_enabled {
        tracing::warn!("running code is turned off (RMP_SANDBOX=none)");
        Arc::new(Unavailable::new(
            "running code is turned off (RMP_SANDBOX=none)",
        ))
    } else {
        // Starts even while Docker is down: pages are served, runs answer 503 with Retry-After
        // until the sandbox reconnects by itself.
        let sandbox = DockerSandbox::start(config.docker.clone()).await;
        tracing::info!(
            image = %config.docker.default_image(),
            warm_pool = config.docker.warm_pool,
            concurrency = config.admission.concurrency,
            docker = if sandbox.is_connected() { "connected" } else { "reconnecting" },
            "sandbox ready"
        );
        Arc::new(sandbox)
    };
    let store = Arc::new(store);
    let mut runner = Runner::new(Arc::clone(&sandbox), config.admission.clone());
    runner.trust_forwarded_for = config.trust_forwarded_for;
    if config.cache.enabled {
        runner.cache = Some(Arc::new(ResultCache::new(
            Arc::clone(&store),
            config.cache.limits,
        )));
        if config.cache.warm && config.sandbox_enabled {
            // In the background: pages are served at once, and warming yields to every student.
            let examples = backend::cache::examples(&library);
            tracing::info!(
                examples = examples.len(),
                "warming the result cache in the background"
            );
            let warming = runner.clone();
            tokio::spawn(async move { warming.warm(examples).await });
        }
    } else {
        tracing::info!("the result cache is off (RMP_CACHE=false): every run compiles");
    }
    let content = if config.content_watch {
        tracing::info!(
            dir = %config.content_dir.display(),
            "watching the content: saved chapters are reloaded and open pages follow"
        );
        Content::watched(
            config.content_dir.clone(),
            library,
            Duration::from_millis(250),
        )
        .await
    } else {
        Content::fixed(library)
    };
    let room_limits = backend::room::RoomLimits::from_env()
        .map_err(anyhow::Error::msg)
        .context("the class session settings are not valid")?;
    let rooms = backend::room::Rooms::in_memory(room_limits);
    rooms.spawn_expiry();
    let state = AppState {
        content,
        store,
        site_dir: config.site_dir.clone(),
        runner: runner.clone(),
        public_url: config.public_url.clone(),
        embed_sites: config.embed_sites.clone(),
        rooms,
    };
    let listener = listen(config.addr).with_context(|| {
        format!(
            "cannot listen on {} (set RMP_ADDR to use another address)",
            config.addr
        )
    })?;
    let addr = listener.local_addr()?;
    tracing::info!("listening on http://{addr}");
    println!("Rust Mastery Playground is running at http://{addr}/");
    let shutdown = async move {
        shutdown_signal().await;
        // Running executions end as `killed` and WebSockets close, so the graceful shutdown
        // does not wait on them forever.
        runner.begin_shutdown();
    };
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .context("the server stopped with an error")?;
    sandbox.shutdown().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, so in-flight requests finish before the process exits.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Connections the kernel may hold while the server accepts them. A class pressing Run at once
/// opens hundreds together; `TcpListener::bind`'s 128 overflowed and reset the rest (measured by
/// `cargo xtask bench-load`: 88 of 500 clients reset).
const LISTEN_BACKLOG: u32 = 1024;

fn listen(addr: std::net::SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As `TcpListener::bind` does: a restarted server can take its port back at once.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}
