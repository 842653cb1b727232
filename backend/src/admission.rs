//! Admission control: at most `concurrency` executions at once, a bounded queue behind them,
//! and fairness between clients.
//!
//! Waiting executions are grouped by client (their IP). When a slot frees, it goes to the waiting
//! client that was served least recently, so one client submitting thirty programs cannot make
//! another wait for all thirty. Within a client, submissions run in order.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, watch};

use crate::config::AdmissionConfig;

/// Who submitted an execution, for fairness.
pub type ClientKey = String;

/// Why a submission was refused at the door.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "the server is busy: {waiting} programs are already waiting; please try again in a few seconds"
    )]
    QueueFull { waiting: usize },
    #[error(
        "you already have {waiting} programs waiting; wait for them to finish before running more"
    )]
    ClientQueueFull { waiting: usize },
    #[error("the server is restarting; please try again in a few seconds")]
    ShuttingDown,
}

/// The admission controller, shared by every request.
pub struct Admission {
    config: AdmissionConfig,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    running: usize,
    next_id: u64,
    /// Increases at every grant; a client's last grant orders the round robin.
    tick: u64,
    last_served: HashMap<ClientKey, u64>,
    queues: HashMap<ClientKey, VecDeque<Waiter>>,
}

struct Waiter {
    id: u64,
    grant: oneshot::Sender<Permit>,
    position: watch::Sender<usize>,
}

/// A running slot; dropping it lets the next waiter in.
pub struct Permit {
    admission: Arc<Admission>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.admission.lock();
        state.running -= 1;
        self.admission.grant_next(&mut state);
    }
}

/// A place in the queue. Await [`Ticket::permit`]; drop it to leave the queue.
pub struct Ticket {
    admission: Arc<Admission>,
    client: ClientKey,
    id: u64,
    grant: Option<oneshot::Receiver<Permit>>,
    /// The position in the queue (1 = next), updated as others leave.
    pub position: watch::Receiver<usize>,
    ready: Option<Permit>,
}

impl Ticket {
    /// Waits for a slot.
    pub async fn permit(&mut self) -> Permit {
        if let Some(permit) = self.ready.take() {
            return permit;
        }
        let grant = self.grant.as_mut().expect("permit is awaited once");
        let permit = grant
            .await
            .expect("the admission controller outlives its tickets");
        self.grant = None;
        permit
    }

    /// Whether it got a slot without waiting.
    pub fn is_immediate(&self) -> bool {
        self.ready.is_some()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.grant.is_none() {
            return;
        }
        let mut state = self.admission.lock();
        if let Some(queue) = state.queues.get_mut(&self.client) {
            queue.retain(|w| w.id != self.id);
            if queue.is_empty() {
                state.queues.remove(&self.client);
            }
        }
        self.admission.publish_positions(&state);
        // If a permit was granted but not yet taken, dropping the receiver drops the permit,
        // which hands the slot to the next waiter.
    }
}

impl Admission {
    pub fn new(config: AdmissionConfig) -> Arc<Admission> {
        Arc::new(Admission {
            config,
            state: Mutex::new(State::default()),
        })
    }

    pub fn config(&self) -> &AdmissionConfig {
        &self.config
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a slot now if one is free and nobody waits, else a place in the queue.
    pub fn enter(self: &Arc<Self>, client: &str) -> Result<Ticket, Refused> {
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        let waiting: usize = state.queues.values().map(VecDeque::len).sum();
        if waiting == 0 && state.running < self.config.concurrency {
            state.running += 1;
            state.tick += 1;
            let tick = state.tick;
            state.last_served.insert(client.to_owned(), tick);
            let (_, position) = watch::channel(0);
            return Ok(Ticket {
                admission: Arc::clone(self),
                client: client.to_owned(),
                id,
                grant: None,
                position,
                ready: Some(Permit {
                    admission: Arc::clone(self),
                }),
            });
        }
        if waiting >= self.config.queue_capacity {
            return Err(Refused::QueueFull { waiting });
        }
        let mine = state.queues.get(client).map_or(0, VecDeque::len);
        if mine >= self.config.per_client_queue {
            return Err(Refused::ClientQueueFull { waiting: mine });
        }
        let (grant_tx, grant_rx) = oneshot::channel();
        let (position_tx, position_rx) = watch::channel(waiting + 1);
        state
            .queues
            .entry(client.to_owned())
            .or_default()
            .push_back(Waiter {
                id,
                grant: grant_tx,
                position: position_tx,
            });
        self.publish_positions(&state);
        Ok(Ticket {
            admission: Arc::clone(self),
            client: client.to_owned(),
            id,
            grant: Some(grant_rx),
            position: position_rx,
            ready: None,
        })
    }

    /// Hands free slots to waiters, least recently served client first.
    fn grant_next(self: &Arc<Self>, state: &mut State) {
        while state.running < self.config.concurrency {
            let Some(client) = next_client(state) else {
                break;
            };
            let queue = state.queues.get_mut(&client).expect("chosen among queues");
            let waiter = queue.pop_front().expect("queues are never empty");
            if queue.is_empty() {
                state.queues.remove(&client);
            }
            state.running += 1;
            state.tick += 1;
            let tick = state.tick;
            state.last_served.insert(client, tick);
            let permit = Permit {
                admission: Arc::clone(self),
            };
            if let Err(permit) = waiter.grant.send(permit) {
                // The waiter left meanwhile: undo without recursing through Permit::drop.
                std::mem::forget(permit);
                state.running -= 1;
            }
        }
        // Forget clients that are neither waiting nor recent, so the map stays small.
        if state.last_served.len() > 10_000 {
            let keep = state.tick.saturating_sub(1_000);
            let queues = &state.queues;
            state
                .last_served
                .retain(|client, tick| *tick > keep || queues.contains_key(client));
        }
        self.publish_positions(state);
    }

    /// Tells every waiter its place in the order [`grant_next`] would serve them.
    fn publish_positions(&self, state: &State) {
        let mut remaining: HashMap<&str, usize> = state
            .queues
            .iter()
            .map(|(client, queue)| (client.as_str(), queue.len()))
            .collect();
        let mut served: HashMap<&str, u64> = state
            .last_served
            .iter()
            .map(|(c, t)| (c.as_str(), *t))
            .collect();
        let mut taken: HashMap<&str, usize> = HashMap::new();
        let mut tick = state.tick;
        let mut position = 0;
        while let Some(client) = remaining
            .iter()
            .filter(|(_, left)| **left > 0)
            .min_by_key(|(client, _)| (served.get(*client).copied().unwrap_or(0), **client))
            .map(|(client, _)| *client)
        {
            position += 1;
            let index = taken.entry(client).or_insert(0);
            if let Some(waiter) = state.queues[client].get(*index) {
                waiter.position.send_replace(position);
            }
            *index += 1;
            *remaining.get_mut(client).expect("present") -= 1;
            tick += 1;
            served.insert(client, tick);
        }
    }
}

/// The waiting client served least recently (never served counts as longest ago).
fn next_client(state: &State) -> Option<ClientKey> {
    state
        .queues
        .keys()
        .min_by_key(|client| {
            (
                state.last_served.get(*client).copied().unwrap_or(0),
                (*client).clone(),
            )
        })
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn admission(concurrency: usize, capacity: usize, per_client: usize) -> Arc<Admission> {
        Admission::new(AdmissionConfig {
            concurrency,
            queue_capacity: capacity,
            per_client_queue: per_client,
            queue_timeout: Duration::from_secs(60),
        })
    }

    #[tokio::test]
    async fn slots_queue_and_refusals() {
        let admission = admission(1, 2, 2);
        let mut first = admission.enter("a").unwrap();
        assert!(first.is_immediate());
        let running = first.permit().await;
        let second = admission.enter("b").unwrap();
        let third = admission.enter("b").unwrap();
        assert_eq!(*second.position.borrow(), 1);
        assert_eq!(*third.position.borrow(), 2);
        assert_eq!(
            admission.enter("c").err(),
            Some(Refused::QueueFull { waiting: 2 })
        );
        // Leaving the queue moves the others up.
        drop(second);
        assert_eq!(*third.position.borrow(), 1);
        drop(running);
        let mut third = third;
        let _permit = tokio::time::timeout(Duration::from_secs(1), third.permit())
            .await
            .expect("the freed slot goes to the next waiter");
    }

    #[tokio::test]
    async fn one_client_cannot_starve_another() {
        let admission = admission(1, 10, 2);
        let mut running = admission.enter("greedy").unwrap();
        let slot = running.permit().await;
        let greedy: Vec<Ticket> = (0..2).map(|_| admission.enter("greedy").unwrap()).collect();
        assert_eq!(
            admission.enter("greedy").err(),
            Some(Refused::ClientQueueFull { waiting: 2 })
        );
        let mut polite = admission.enter("polite").unwrap();
        // Greedy was served last, so polite goes first although it came later.
        assert_eq!(*polite.position.borrow(), 1);
        assert_eq!(*greedy[0].position.borrow(), 2);
        drop(slot);
        let _permit = tokio::time::timeout(Duration::from_secs(1), polite.permit())
            .await
            .expect("polite got the slot");
        assert_eq!(*greedy[0].position.borrow(), 1);
    }
}
