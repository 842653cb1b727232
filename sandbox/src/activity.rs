//! Whether jobs are running: the gate for the work that can wait (starting warm containers,
//! removing used ones).
//!
//! A container's life costs CPU in dockerd, containerd and runc, on the same cores the
//! compilers need (measured: ARCHITECTURE.md, "Decision: a warm pool sized by memory"). During a
//! burst that work would slow every job, so it waits until no job has run for [`SETTLE`]: a
//! burst is a stream of jobs with gaps of a few milliseconds between one ending and the next
//! being admitted, and "no job at this instant" would fire in those gaps.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// How long nothing must run before the deferred work starts.
pub(crate) const SETTLE: Duration = Duration::from_millis(250);

/// Counts the jobs in progress.
#[derive(Default)]
pub(crate) struct Activity {
    running: AtomicUsize,
    /// Incremented at every job's start, so a job that started and ended during a wait is seen.
    started: AtomicU64,
    /// Woken when the last running job ends.
    quiet: Notify,
}

impl Activity {
    /// A job starts; it counts until the returned token drops.
    pub(crate) fn begin(&self) -> Busy<'_> {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.running.fetch_add(1, Ordering::SeqCst);
        Busy(self)
    }

    /// Whether a job runs now.
    pub(crate) fn busy(&self) -> bool {
        self.running.load(Ordering::SeqCst) > 0
    }

    /// Asked from within a job: whether another one runs too. (Outside a job it undercounts
    /// by one, which errs towards doing the work now.)
    pub(crate) fn others_busy(&self) -> bool {
        self.running.load(Ordering::SeqCst) > 1
    }

    /// Returns once no job has run for [`SETTLE`] (at once if `cut_short` says so, checked at
    /// least every second).
    pub(crate) async fn settled(&self, cut_short: impl Fn() -> bool) {
        loop {
            if cut_short() {
                return;
            }
            if self.busy() {
                let quiet = self.quiet.notified();
                if self.busy() {
                    // Bounded: `cut_short` may turn true without anyone notifying.
                    let _ = tokio::time::timeout(Duration::from_secs(1), quiet).await;
                }
                continue;
            }
            let before = self.started.load(Ordering::SeqCst);
            tokio::time::sleep(SETTLE).await;
            if !self.busy() && self.started.load(Ordering::SeqCst) == before {
                return;
            }
        }
    }
}

/// A running job (see [`Activity::begin`]).
pub(crate) struct Busy<'a>(&'a Activity);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.quiet.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn settles_only_after_a_quiet_spell() {
        let activity = Arc::new(Activity::default());
        let job = activity.begin();
        let waiter = {
            let activity = Arc::clone(&activity);
            tokio::spawn(async move { activity.settled(|| false).await })
        };
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(!waiter.is_finished(), "settled while a job ran");
        drop(job);
        // A job that starts and ends within the quiet spell restarts it.
        tokio::time::sleep(SETTLE / 2).await;
        drop(activity.begin());
        tokio::time::sleep(SETTLE / 2 + Duration::from_millis(10)).await;
        assert!(
            !waiter.is_finished(),
            "settled although a job ran during the spell"
        );
        tokio::time::sleep(SETTLE * 2).await;
        assert!(waiter.is_finished());
    }

    #[tokio::test(start_paused = true)]
    async fn cut_short_ends_the_wait_while_busy() {
        let activity = Activity::default();
        let _job = activity.begin();
        tokio::time::timeout(Duration::from_secs(5), activity.settled(|| true))
            .await
            .expect("cut short");
    }
}
