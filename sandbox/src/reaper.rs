//! Container ownership: a guard per container, and a reaper that removes them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::RemoveContainerOptions;
use tokio::sync::{Notify, mpsc};

use crate::docker::{connect, status_code};

static NEXT_NAME: AtomicU64 = AtomicU64::new(0);

/// Containers this process holds: counted when a guard is made, uncounted when the guard hands
/// its container to the reaper. Read by [`crate::Sandbox::containers_alive`].
static ALIVE: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn alive() -> usize {
    ALIVE.load(Ordering::Relaxed)
}

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
    pub(crate) fn new(reaper: Reaper) -> ContainerGuard {
        let n = next_id();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        ALIVE.fetch_add(1, Ordering::Relaxed);
        ContainerGuard {
            name: format!("rmp-sandbox-{}-{n}-{nanos:x}", std::process::id()),
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
        ALIVE.fetch_sub(1, Ordering::Relaxed);
        self.reaper
            .remove(std::mem::take(&mut self.name), !self.confirmed);
    }
}

/// Removes containers on its own thread and runtime: removal must not depend on the runtime or
/// the future of the job that used the container.
#[derive(Clone)]
pub(crate) struct Reaper {
    queue: mpsc::UnboundedSender<(String, bool)>,
    pending: Arc<AtomicUsize>,
    idle: Arc<Notify>,
}

impl Reaper {
    pub(crate) fn start() -> Reaper {
        let (queue, mut rx) = mpsc::unbounded_channel::<(String, bool)>();
        let pending = Arc::new(AtomicUsize::new(0));
        let idle = Arc::new(Notify::new());
        let reaper = Reaper {
            queue,
            pending: Arc::clone(&pending),
            idle: Arc::clone(&idle),
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
                    let docker = match connect().await {
                        Ok(docker) => docker,
                        Err(err) => {
                            tracing::error!(%err, "the sandbox reaper cannot reach Docker");
                            return;
                        }
                    };
                    while let Some((name, unconfirmed)) = rx.recv().await {
                        let docker = docker.clone();
                        let pending = Arc::clone(&pending);
                        let idle = Arc::clone(&idle);
                        tokio::spawn(async move {
                            remove(&docker, &name, unconfirmed).await;
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

/// Force-removes a container (killing what runs in it). 404 and 409 mean it is gone or going.
async fn remove(docker: &Docker, name: &str, unconfirmed: bool) {
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
    for delay in retries {
        tokio::time::sleep(Duration::from_millis(*delay)).await;
        match docker.remove_container(name, Some(options.clone())).await {
            Ok(()) => return,
            Err(err) => match status_code(&err) {
                Some(404) if !unconfirmed => return,
                Some(404) | Some(409) => continue,
                _ => {
                    tracing::warn!(%name, error = %err, "cannot remove a sandbox container; retrying")
                }
            },
        }
    }
}
