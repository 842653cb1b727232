//! Container ownership: a guard per container, and a reaper that ends and removes them.
//!
//! A container used while other jobs run (a burst) is removed only once no job has run for a
//! moment ([`Activity::settled`]): removing, and even a container's death, costs CPU the running
//! compilers need (measured: ARCHITECTURE.md). Until then it is harmless: its helper parked after
//! ending every other process in it (`rmp-job --park`), or, if the job was cut short (a timeout,
//! a stop, a flood), it is killed at once. Nothing can reach it either way. Otherwise it is removed at once, as are containers whose creation was not
//! confirmed and the sweep's leftovers: a server killed without shutting down (SIGKILL) then
//! leaves nothing behind, since no `AutoRemove` would.
//!
//! The reaper keeps working through a Docker outage: its connection is opened lazily and opened
//! again after a failure, and a removal that cannot reach the daemon is retried with backoff for a
//! while. One it gives up on is not lost: the guard no longer owns the container, so the sweep
//! after the daemon is reached again removes it.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::RemoveContainerOptions;
use tokio::sync::{Notify, mpsc};

use crate::activity::Activity;
use crate::docker::{open, status_code};

static NEXT_NAME: AtomicU64 = AtomicU64::new(0);

/// At most this many parked containers wait for quiet; beyond it a used container is killed at
/// once, as a job cut short is. Under load that never settles (a class running without pause)
/// parked ones would otherwise pile up, each a live process with its namespaces and cgroup.
/// Above a class's burst (30 at once, measured) with room to spare.
const PARK_LIMIT: usize = 64;

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
    /// Whether its helper finished the job itself and parks (`rmp-job --park`): nothing else
    /// runs in it, so in a burst it need not be killed until the removal.
    parked: bool,
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
            parked: false,
        }
    }

    pub(crate) fn created(mut self) -> ContainerGuard {
        self.confirmed = true;
        self
    }

    /// Records that the helper said its last word on its own: it has ended every other process
    /// in the container and waits to be removed.
    pub(crate) fn parked(&mut self) {
        self.parked = true;
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let name = std::mem::take(&mut self.name);
        self.reaper.owned().remove(&name);
        let order = if !self.confirmed {
            Order::Remove { unconfirmed: true }
        } else if self.reaper.activity.others_busy() {
            if self.parked && self.reaper.park() {
                Order::Defer
            } else {
                Order::Retire
            }
        } else {
            Order::Remove { unconfirmed: false }
        };
        self.reaper.send(name, order);
    }
}

/// What the reaper does with a container.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Order {
    /// Force-remove it now.
    Remove {
        /// Its creation may still be in flight: a first "no such container" is not believed.
        unconfirmed: bool,
    },
    /// Kill it now, remove it once jobs have settled.
    Retire,
    /// Remove it once jobs have settled: its helper parked with nothing else running, so even
    /// its death waits for quiet.
    Defer,
}

/// Ends and removes containers on its own thread and runtime: that must not depend on the
/// runtime or the future of the job that used the container.
#[derive(Clone)]
pub(crate) struct Reaper {
    queue: mpsc::UnboundedSender<(String, Order)>,
    pending: Arc<AtomicUsize>,
    idle: Arc<Notify>,
    /// Names of the containers a guard holds (in use, warm, or being created).
    owned: Arc<Mutex<HashSet<String>>>,
    /// Set at shutdown: retired containers are removed without waiting for quiet.
    flushing: Arc<AtomicBool>,
    /// Wakes the deferred removals when `flushing` is set.
    flush: Arc<Notify>,
    /// The jobs running: a container is retired rather than removed while others run.
    activity: Arc<Activity>,
    /// Parked containers waiting for quiet (at most [`PARK_LIMIT`]).
    parked: Arc<AtomicUsize>,
}

impl Reaper {
    /// Starts the reaper thread; it reaches the daemon at `socket` (`None`: the default) and
    /// removes retired containers when `activity` has settled.
    pub(crate) fn start(socket: Option<PathBuf>, activity: Arc<Activity>) -> Reaper {
        let (queue, mut rx) = mpsc::unbounded_channel::<(String, Order)>();
        let pending = Arc::new(AtomicUsize::new(0));
        let idle = Arc::new(Notify::new());
        let flushing = Arc::new(AtomicBool::new(false));
        let flush = Arc::new(Notify::new());
        let reaper = Reaper {
            queue,
            pending: Arc::clone(&pending),
            idle: Arc::clone(&idle),
            owned: Arc::default(),
            flushing: Arc::clone(&flushing),
            flush: Arc::clone(&flush),
            activity: Arc::clone(&activity),
            parked: Arc::default(),
        };
        let parked = Arc::clone(&reaper.parked);
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
                    let outstanding = Arc::clone(&pending);
                    let (flushing_at_end, flush_at_end) =
                        (Arc::clone(&flushing), Arc::clone(&flush));
                    let done: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
                        if pending.fetch_sub(1, Ordering::SeqCst) == 1 {
                            idle.notify_waiters();
                        }
                    });
                    let deferred = Deferred {
                        names: Arc::default(),
                        queued: Arc::new(Notify::new()),
                        parked,
                    };
                    tokio::spawn(deferred.clone().remove_when_settled(
                        Arc::clone(&client),
                        activity,
                        flushing,
                        flush,
                        Arc::clone(&done),
                    ));
                    while let Some((name, order)) = rx.recv().await {
                        let client = Arc::clone(&client);
                        let done = Arc::clone(&done);
                        let deferred = deferred.clone();
                        tokio::spawn(async move {
                            match order {
                                Order::Remove { unconfirmed } => {
                                    remove(&client, &name, unconfirmed).await;
                                    done();
                                }
                                Order::Defer => deferred.push(name, true),
                                Order::Retire => {
                                    if kill(&client, &name).await {
                                        deferred.push(name, false);
                                    } else {
                                        // Docker does not answer: the forced removal retries
                                        // through the outage and kills on the way.
                                        remove(&client, &name, false).await;
                                        done();
                                    }
                                }
                            }
                        });
                    }
                    // Every sender is gone (the sandbox was dropped without a shutdown): what
                    // waits for quiet is removed now, before this runtime ends and with it the
                    // removals in flight.
                    flushing_at_end.store(true, Ordering::SeqCst);
                    flush_at_end.notify_waiters();
                    let until = tokio::time::Instant::now() + Duration::from_secs(30);
                    while outstanding.load(Ordering::SeqCst) > 0
                        && tokio::time::Instant::now() < until
                    {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                });
            });
        if let Err(err) = spawned {
            tracing::error!(%err, "cannot start the sandbox reaper thread");
        }
        reaper
    }

    /// Counts one more parked container waiting for quiet, if there is room for it.
    fn park(&self) -> bool {
        self.parked
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < PARK_LIMIT).then_some(n + 1)
            })
            .is_ok()
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

    /// Force-removes the container `name` now (a sweep's leftover).
    pub(crate) fn remove(&self, name: String) {
        self.send(name, Order::Remove { unconfirmed: false });
    }

    fn send(&self, name: String, order: Order) {
        if name.is_empty() {
            return;
        }
        self.pending.fetch_add(1, Ordering::SeqCst);
        if self.queue.send((name, order)).is_err() {
            self.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// From now on retired containers are removed at once (shutdown: nothing will settle).
    pub(crate) fn flush(&self) {
        self.flushing.store(true, Ordering::SeqCst);
        self.flush.notify_waiters();
    }

    /// Waits until every requested removal is done (deferred ones included: they are done once
    /// jobs settle, or at once after [`Reaper::flush`]), or `timeout`.
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

/// Used containers (killed, or parked) waiting for jobs to settle before they are removed.
#[derive(Clone)]
struct Deferred {
    /// Each with whether it is parked (counted in `parked`).
    names: Arc<Mutex<Vec<(String, bool)>>>,
    queued: Arc<Notify>,
    parked: Arc<AtomicUsize>,
}

impl Deferred {
    fn push(&self, name: String, parked: bool) {
        self.names
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((name, parked));
        self.queued.notify_one();
    }

    /// Everything waiting, no longer counted as parked: it is being removed.
    fn take(&self) -> Vec<String> {
        let taken = std::mem::take(&mut *self.names.lock().unwrap_or_else(|e| e.into_inner()));
        let parked = taken.iter().filter(|(_, parked)| *parked).count();
        self.parked.fetch_sub(parked, Ordering::SeqCst);
        taken.into_iter().map(|(name, _)| name).collect()
    }

    /// Forever: once containers are queued and jobs have settled (or the reaper flushes), removes
    /// them all.
    async fn remove_when_settled(
        self,
        client: Arc<Client>,
        activity: Arc<Activity>,
        flushing: Arc<AtomicBool>,
        flush: Arc<Notify>,
        done: Arc<dyn Fn() + Send + Sync>,
    ) {
        loop {
            self.queued.notified().await;
            let flushed = flush.notified();
            tokio::pin!(flushed);
            tokio::select! {
                () = activity.settled(|| flushing.load(Ordering::SeqCst)) => {}
                () = &mut flushed => {}
            }
            for name in self.take() {
                let client = Arc::clone(&client);
                let done = Arc::clone(&done);
                tokio::spawn(async move {
                    remove(&client, &name, false).await;
                    done();
                });
            }
        }
    }
}

/// Kills a container now; whether Docker answered (a container already gone or stopped counts
/// as killed: its processes are dead).
async fn kill(client: &Client, name: &str) -> bool {
    let Some(docker) = client.get().await else {
        return false;
    };
    match docker.kill_container(name, None).await {
        Ok(()) => true,
        Err(err) => match status_code(&err) {
            // 404: gone; 409: not running (the helper ended by itself).
            Some(404 | 409) => true,
            Some(_) => {
                tracing::warn!(%name, error = %err, "cannot kill a sandbox container; removing it now");
                false
            }
            None => {
                client.forget().await;
                false
            }
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parking_stops_at_its_limit_and_resumes_once_the_waiting_are_taken() {
        let reaper = Reaper::start(None, Arc::new(Activity::default()));
        for _ in 0..PARK_LIMIT {
            assert!(reaper.park());
        }
        assert!(!reaper.park(), "one more than the limit was parked");
        let deferred = Deferred {
            names: Arc::default(),
            queued: Arc::new(Notify::new()),
            parked: Arc::clone(&reaper.parked),
        };
        deferred.push("killed".into(), false);
        for n in 0..PARK_LIMIT {
            deferred.push(format!("parked-{n}"), true);
        }
        assert_eq!(deferred.take().len(), PARK_LIMIT + 1);
        assert!(
            reaper.park(),
            "taking the waiting ones did not free their places"
        );
    }
}
