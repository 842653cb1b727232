//! Container ownership: a guard per container, and a reaper that removes them.
//!
//! The reaper keeps working through a Docker outage: its connection is opened lazily and opened
//! again after a failure, and a removal that cannot reach the daemon is retried with backoff for a
//! while. One it gives up on is not lost: the guard no longer owns the container, so the sweep
//! after the daemon is reached again removes it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::RemoveContainerOptions;
use tokio::sync::{Notify, mpsc};

use crate::docker::{open, status_code};

static NEXT_NAME: AtomicU64 = AtomicU64::new(0);

/// How long a removal keeps trying to reach a daemon that is down.
const OUTAGE_PATIENCE: Duration = Duration::from_secs(120);

/// A number unique in this process, for names and instance labels.
pub(crate) fn next_id() -> u64 {
    NEXT_NAME.fetch_add(1, Ordering::SeqCst)
}

/// Owns a container by name: dropping it asks the reaper to remove the container.
pub(crate) struct ContainerGuard {
    pub(crate) name: String,
    reaper: Reaper,
    /// Whether Docker confirmed the creation; if not, a removal that finds nothing retries in
    /// case the creation was still under way.
    confirmed: bool,
}

impl ContainerGuard {
    /// Names a container before it is created, and counts it as owned from then on, so a sweep
    /// running meanwhile leaves it alone.
    pub(crate) fn new(reaper: Reaper) -> ContainerGuard {
        let n = next_id();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("rmp-sandbox-{}-{n}-{nanos:x}", std::process::id());
        reaper.owned().insert(name.clone());
        ContainerGuard {
            name,
            reaper,
            confirmed: false,
        }
    }

    pub(crate) fn created(mut self) -> ContainerGuard {
        self.confirmed = true;
        self
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        self.reaper.owned().remove(&name);
        self.reaper.remove(name, !self.confirmed);
    }
}

/// Removes containers on its own thread and runtime: removal must not depend on the runtime or
/// the future of the job that used the container.
#[derive(Clone)]
pub(crate) struct Reaper {
    queue: mpsc::UnboundedSender<(String, bool)>,
    pending: Arc<AtomicUsize>,
    idle: Arc<Notify>,
    /// Names of the containers a guard holds (in use, warm, or being created).
    owned: Arc<Mutex<HashSet<String>>>,
}

impl Reaper {
    /// Starts the reaper thread; it reaches the daemon at `socket` (`None`: the default).
    pub(crate) fn start(socket: Option<PathBuf>) -> Reaper {
        let (queue, mut rx) = mpsc::unbounded_channel::<(String, bool)>();
        let pending = Arc::new(AtomicUsize::new(0));
        let idle = Arc::new(Notify::new());
        let reaper = Reaper {
            queue,
            pending: Arc::clone(&pending),
            idle: Arc::clone(&idle),
            owned: Arc::default(),
        };
        let spawned = std::thread::Builder::new()
            .name("sandbox-reaper".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        tracing::error!(%err, "cannot start the sandbox reaper");
                        return;
                    }
                };
                runtime.block_on(async move {
                    let client = Arc::new(Client {
                        socket,
                        docker: tokio::sync::Mutex::new(None),
                    });
                    while let Some((name, unconfirmed)) = rx.recv().await {
                        let client = Arc::clone(&client);
                        let pending = Arc::clone(&pending);
                        let idle = Arc::clone(&idle);
                        tokio::spawn(async move {
                            remove(&client, &name, unconfirmed).await;
                            if pending.fetch_sub(1, Ordering::SeqCst) == 1 {
                                idle.notify_waiters();
                            }
                        });
                    }
                });
            });
        if let Err(err) = spawned {
            tracing::error!(%err, "cannot start the sandbox reaper thread");
        }
        reaper
    }

    fn owned(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.owned.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many containers guards hold now: from the request that creates one until its guard
    /// hands it over for removal.
    pub(crate) fn held(&self) -> usize {
        self.owned().len()
    }

    /// Whether a guard holds the container named `name`.
    pub(crate) fn owns(&self, name: &str) -> bool {
        self.owned().contains(name)
    }

    pub(crate) fn remove(&self, name: String, unconfirmed: bool) {
        if name.is_empty() {
            return;
        }
        self.pending.fetch_add(1, Ordering::SeqCst);
        if self.queue.send((name, unconfirmed)).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Waits until every requested removal is done, or `timeout`.
    pub(crate) async fn wait_idle(&self, timeout: Duration) {
        let until = tokio::time::Instant::now() + timeout;
        while self.pending.load(Ordering::SeqCst) > 0 {
            let notified = self.idle.notified();
            if self.pending.load(Ordering::SeqCst) == 0 {
                break;
            }
            if tokio::time::timeout_at(until, notified).await.is_err() {
                tracing::warn!(
                    pending = self.pending.load(Ordering::SeqCst),
                    "sandbox containers are still being removed"
                );
                break;
            }
        }
    }
}

/// The reaper's connection: opened when first needed and again after the daemon was lost.
struct Client {
    socket: Option<PathBuf>,
    docker: tokio::sync::Mutex<Option<Docker>>,
}

impl Client {
    async fn get(&self) -> Option<Docker> {
        let mut docker = self.docker.lock().await;
        if docker.is_none() {
            *docker = open(self.socket.as_deref()).await.ok();
        }
        docker.clone()
    }

    async fn forget(&self) {
        *self.docker.lock().await = None;
    }
}

/// Force-removes a container (killing what runs in it). 404 and 409 mean it is gone or going.
/// While the daemon cannot be reached, tries again with backoff for [`OUTAGE_PATIENCE`].
async fn remove(client: &Client, name: &str, unconfirmed: bool) {
    let options = RemoveContainerOptions {
        force: true,
        v: true,
        ..Default::default()
    };
    // A creation still in flight can finish after a first removal found nothing.
    let retries: &[u64] = if unconfirmed {
        &[0, 1000, 5000]
    } else {
        &[0, 500, 2000]
    };
    let mut retries = retries.iter();
    let mut delay = retries.next().copied().unwrap_or(0);
    let patience = tokio::time::Instant::now() + OUTAGE_PATIENCE;
    let mut backoff = Duration::from_millis(250);
    loop {
        tokio::time::sleep(Duration::from_millis(delay)).await;
        // `None`: no answer, the daemon is down or restarting.
        let answered = match client.get().await {
            None => false,
            Some(docker) => match docker.remove_container(name, Some(options.clone())).await {
                Ok(()) => return,
                Err(err) => match status_code(&err) {
                    Some(404) if !unconfirmed => return,
                    Some(404) | Some(409) => true,
                    Some(_) => {
                        tracing::warn!(%name, error = %err, "cannot remove a sandbox container; retrying");
                        true
                    }
                    None => false,
                },
            },
        };
        if answered {
            match retries.next() {
                Some(next) => delay = *next,
                None => return,
            }
        } else {
            client.forget().await;
            if tokio::time::Instant::now() >= patience {
                tracing::warn!(%name, "Docker stayed unreachable; the sweep after it is back removes this container");
                return;
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
            delay = 0;
        }
    }
}
