//! Admission control: at most `concurrency` executions at once, a bounded queue behind them,
//! and fairness between clients.
//!
//! A client is an address (its IP; an IPv6 address's /64, since one host holds a whole /64) and,
//! within it, a browser (the random id the SPA keeps, see [`api_types::browser`]). Fairness is
//! round robin on two levels: a freed slot goes to the waiting address served least recently,
//! and within that address to its waiting browser served least recently; one browser's own
//! submissions run in order. So a classroom of 200 behind one NAT shares the queue like 200
//! students, while any other address still gets every other slot.
//!
//! Three caps bound the queue: its capacity, a share per address (high enough for a class, low
//! enough that one network, whatever ids it invents, leaves room for the others) and a share per
//! browser (a script that sends no id, or one id, gets only that).
//!
//! Runs from an embedded snippet name the site that embeds it (see `routes/embed.rs`). All the
//! readers of one site are one party in the round robin, in place of their addresses, and the
//! site has a queue share of its own: a popular post read from a thousand addresses gets one
//! turn in each round, like one classroom, instead of a thousand turns that would starve the
//! class. Within the site, its readers' browsers take turns as a classroom's do.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, watch};

use crate::config::AdmissionConfig;

/// Who submitted an execution, for fairness and nothing else.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientKey {
    /// The client's address, as [`address_key`] groups it.
    pub address: String,
    /// The browser's id, when it sent a valid one; all id-less submissions from an address share
    /// one browser's share.
    pub browser: Option<String>,
    /// The origin of the page embedding the snippet that sent it (`https://blog.example`), for a
    /// run from an embed; `None` for the playground's own pages.
    pub site: Option<String>,
}

impl ClientKey {
    pub fn new(address: impl Into<String>, browser: Option<&str>) -> ClientKey {
        ClientKey {
            address: address.into(),
            browser: browser.map(str::to_owned),
            site: None,
        }
    }

    /// The same client, running from a snippet embedded in `site`.
    pub fn embedded_in(mut self, site: impl Into<String>) -> ClientKey {
        self.site = Some(site.into());
        self
    }

    /// Who takes turns at the first level of the round robin.
    fn party(&self) -> Party {
        match &self.site {
            Some(site) => Party::Site(site.clone()),
            None => Party::Address(self.address.clone()),
        }
    }
}

/// The first level of the round robin: an address, or every reader of one embedding site.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Party {
    Address(String),
    Site(String),
}

/// The fairness group of an IP address: IPv4 addresses as they are, IPv6 by their /64 prefix
/// (one host can use any address of its /64, so a finer key would let it claim many shares).
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Why a submission was refused at the door.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "the server is busy: {waiting} programs are already waiting; please try again in a few seconds"
    )]
    QueueFull { waiting: usize },
    #[error(
        "{waiting} programs from your network are already waiting, the most one network may queue; please try again in a few seconds"
    )]
    AddressQueueFull { waiting: usize },
    #[error(
        "{waiting} programs from readers of this page's site are already waiting, the most one site may queue; please try again in a few seconds"
    )]
    SiteQueueFull { waiting: usize },
    #[error(
        "you already have {waiting} programs waiting; wait for them to finish before running more"
    )]
    BrowserQueueFull { waiting: usize },
    #[error("the server is restarting; please try again in a few seconds")]
    ShuttingDown,
}

/// How busy admission is right now (for metrics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load {
    pub running: usize,
    pub waiting: usize,
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
    /// Increases at every grant; the last grant of an address or browser orders the round robin.
    tick: u64,
    /// Waiters in all queues.
    waiting: usize,
    /// Waiters per address, for the address's cap.
    waiting_by_address: HashMap<String, usize>,
    /// Waiters per embedding site, for the site's cap.
    waiting_by_site: HashMap<String, usize>,
    party_served: HashMap<Party, u64>,
    browser_served: HashMap<ClientKey, u64>,
    /// One queue per browser (never empty: an emptied queue is removed).
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
        // If a permit was granted but not yet taken, the waiter has already left the queue and
        // dropping the receiver drops the permit, which hands the slot to the next waiter.
        if state.remove_waiter(&self.client, self.id) {
            self.admission.publish_positions(&state);
        }
    }
}

impl State {
    /// Removes the waiter `id` of `client`, if it still waits.
    fn remove_waiter(&mut self, client: &ClientKey, id: u64) -> bool {
        let Some(queue) = self.queues.get_mut(client) else {
            return false;
        };
        let Some(index) = queue.iter().position(|w| w.id == id) else {
            return false;
        };
        queue.remove(index);
        if queue.is_empty() {
            self.queues.remove(client);
        }
        self.left_queue(client);
        true
    }

    fn left_queue(&mut self, client: &ClientKey) {
        self.waiting -= 1;
        decrement(&mut self.waiting_by_address, &client.address);
        if let Some(site) = &client.site {
            decrement(&mut self.waiting_by_site, site);
        }
    }

    fn served(&mut self, client: &ClientKey) {
        self.tick += 1;
        self.party_served.insert(client.party(), self.tick);
        self.browser_served.insert(client.clone(), self.tick);
    }

    /// Every waiter in the order the round robin will serve them, as (browser, index in its
    /// queue). The one definition of the order: grants take its head, positions are its indices.
    fn service_order(&self) -> Vec<(&ClientKey, usize)> {
        let mut browsers: HashMap<Party, BTreeSet<(u64, &ClientKey)>> = HashMap::new();
        for client in self.queues.keys() {
            let served = self.browser_served.get(client).copied().unwrap_or(0);
            browsers
                .entry(client.party())
                .or_default()
                .insert((served, client));
        }
        let mut parties: BTreeSet<(u64, Party)> = browsers
            .keys()
            .map(|party| {
                (
                    self.party_served.get(party).copied().unwrap_or(0),
                    party.clone(),
                )
            })
            .collect();
        let mut taken: HashMap<&ClientKey, usize> = HashMap::new();
        let mut order = Vec::with_capacity(self.waiting);
        let mut tick = self.tick;
        while let Some((_, party)) = parties.pop_first() {
            let waiting = browsers.get_mut(&party).expect("listed parties wait");
            let (_, client) = waiting.pop_first().expect("listed parties wait");
            let index = taken.entry(client).or_insert(0);
            order.push((client, *index));
            *index += 1;
            tick += 1;
            if *index < self.queues[client].len() {
                waiting.insert((tick, client));
            }
            if !waiting.is_empty() {
                parties.insert((tick, party));
            }
        }
        order
    }

    /// Forgets addresses and browsers that neither wait nor were served lately, so the maps stay
    /// small however many ids clients invent.
    fn forget_old(&mut self) {
        const KEEP: usize = 10_000;
        let keep_after = self.tick.saturating_sub(1_000);
        if self.browser_served.len() > KEEP {
            let queues = &self.queues;
            self.browser_served
                .retain(|client, tick| *tick > keep_after || queues.contains_key(client));
        }
        if self.party_served.len() > KEEP {
            let queues = &self.queues;
            self.party_served.retain(|party, tick| {
                *tick > keep_after || queues.keys().any(|client| client.party() == *party)
            });
        }
    }
}

/// Lowers `key`'s count in `counts`, forgetting it at zero.
fn decrement(counts: &mut HashMap<String, usize>, key: &str) {
    if let Some(count) = counts.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            counts.remove(key);
        }
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

    /// Executions running and waiting now.
    pub fn load(&self) -> Load {
        let state = self.lock();
        Load {
            running: state.running,
            waiting: state.waiting,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a slot now if one is free and nobody waits, else a place in the queue.
    pub fn enter(self: &Arc<Self>, client: &ClientKey) -> Result<Ticket, Refused> {
        let mut state = self.lock();
        state.next_id += 1;
        let id = state.next_id;
        if state.waiting == 0 && state.running < self.config.concurrency {
            state.running += 1;
            state.served(client);
            let (_, position) = watch::channel(0);
            return Ok(Ticket {
                admission: Arc::clone(self),
                client: client.clone(),
                id,
                grant: None,
                position,
                ready: Some(Permit {
                    admission: Arc::clone(self),
                }),
            });
        }
        if state.waiting >= self.config.queue_capacity {
            return Err(Refused::QueueFull {
                waiting: state.waiting,
            });
        }
        let from_address = state
            .waiting_by_address
            .get(&client.address)
            .copied()
            .unwrap_or(0);
        if from_address >= self.config.per_address_queue {
            return Err(Refused::AddressQueueFull {
                waiting: from_address,
            });
        }
        if let Some(site) = &client.site {
            let from_site = state.waiting_by_site.get(site).copied().unwrap_or(0);
            if from_site >= self.config.per_site_queue {
                return Err(Refused::SiteQueueFull { waiting: from_site });
            }
        }
        let from_browser = state.queues.get(client).map_or(0, VecDeque::len);
        if from_browser >= self.config.per_browser_queue {
            return Err(Refused::BrowserQueueFull {
                waiting: from_browser,
            });
        }
        let (grant_tx, grant_rx) = oneshot::channel();
        let (position_tx, position_rx) = watch::channel(state.waiting + 1);
        state
            .queues
            .entry(client.clone())
            .or_default()
            .push_back(Waiter {
                id,
                grant: grant_tx,
                position: position_tx,
            });
        state.waiting += 1;
        *state
            .waiting_by_address
            .entry(client.address.clone())
            .or_insert(0) += 1;
        if let Some(site) = &client.site {
            *state.waiting_by_site.entry(site.clone()).or_insert(0) += 1;
        }
        self.publish_positions(&state);
        Ok(Ticket {
            admission: Arc::clone(self),
            client: client.clone(),
            id,
            grant: Some(grant_rx),
            position: position_rx,
            ready: None,
        })
    }

    /// Hands free slots to waiters in the round robin's order.
    fn grant_next(self: &Arc<Self>, state: &mut State) {
        while state.running < self.config.concurrency {
            let Some(client) = state
                .service_order()
                .first()
                .map(|(client, _)| (*client).clone())
            else {
                break;
            };
            let queue = state.queues.get_mut(&client).expect("chosen among queues");
            let waiter = queue.pop_front().expect("queues are never empty");
            if queue.is_empty() {
                state.queues.remove(&client);
            }
            state.left_queue(&client);
            state.running += 1;
            state.served(&client);
            let permit = Permit {
                admission: Arc::clone(self),
            };
            if let Err(permit) = waiter.grant.send(permit) {
                // The waiter left meanwhile: undo without recursing through Permit::drop.
                std::mem::forget(permit);
                state.running -= 1;
            }
        }
        state.forget_old();
        self.publish_positions(state);
    }

    /// Tells every waiter its place in the order [`State::service_order`] will serve them.
    fn publish_positions(&self, state: &State) {
        for (position, (client, index)) in state.service_order().into_iter().enumerate() {
            // Only a changed position wakes its waiter: a class of 200 arriving at once would
            // otherwise send every waiting socket 200 `queued` messages.
            state.queues[client][index]
                .position
                .send_if_modified(|current| {
                    let changed = *current != position + 1;
                    *current = position + 1;
                    changed
                });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn admission(concurrency: usize, capacity: usize, per_address: usize) -> Arc<Admission> {
        caps(concurrency, capacity, per_address, per_address)
    }

    fn caps(
        concurrency: usize,
        capacity: usize,
        per_address: usize,
        per_browser: usize,
    ) -> Arc<Admission> {
        Admission::new(AdmissionConfig {
            concurrency,
            queue_capacity: capacity,
            per_address_queue: per_address,
            per_browser_queue: per_browser,
            per_site_queue: per_address,
            queue_timeout: Duration::from_secs(60),
        })
    }

    fn at(address: &str) -> ClientKey {
        ClientKey::new(address, None)
    }

    fn browser(address: &str, id: &str) -> ClientKey {
        ClientKey::new(address, Some(id))
    }

    fn position(ticket: &Ticket) -> usize {
        *ticket.position.borrow()
    }

    /// Frees the running slot; returns who got it next, and their permit.
    fn next_served(running: Permit, tickets: &mut Vec<(ClientKey, Ticket)>) -> (ClientKey, Permit) {
        drop(running);
        for i in 0..tickets.len() {
            if let Some(grant) = tickets[i].1.grant.as_mut()
                && let Ok(permit) = grant.try_recv()
            {
                tickets[i].1.grant = None;
                let (client, _) = tickets.remove(i);
                return (client, permit);
            }
        }
        panic!("a freed slot went to nobody");
    }

    #[tokio::test]
    async fn slots_queue_and_refusals() {
        let admission = admission(1, 2, 2);
        let mut first = admission.enter(&at("a")).unwrap();
        assert!(first.is_immediate());
        let running = first.permit().await;
        let second = admission.enter(&at("b")).unwrap();
        let third = admission.enter(&at("b")).unwrap();
        assert_eq!(position(&second), 1);
        assert_eq!(position(&third), 2);
        assert_eq!(
            admission.enter(&at("c")).err(),
            Some(Refused::QueueFull { waiting: 2 })
        );
        assert_eq!(
            admission.load(),
            Load {
                running: 1,
                waiting: 2
            }
        );
        // Leaving the queue moves the others up.
        drop(second);
        assert_eq!(position(&third), 1);
        drop(running);
        let mut third = third;
        let _permit = tokio::time::timeout(Duration::from_secs(1), third.permit())
            .await
            .expect("the freed slot goes to the next waiter");
        assert_eq!(
            admission.load(),
            Load {
                running: 1,
                waiting: 0
            }
        );
    }

    #[tokio::test]
    async fn one_address_cannot_starve_another() {
        let admission = admission(1, 10, 2);
        let mut running = admission.enter(&at("greedy")).unwrap();
        let slot = running.permit().await;
        let greedy: Vec<Ticket> = (0..2)
            .map(|_| admission.enter(&at("greedy")).unwrap())
            .collect();
        assert_eq!(
            admission.enter(&at("greedy")).err(),
            Some(Refused::AddressQueueFull { waiting: 2 })
        );
        let mut polite = admission.enter(&at("polite")).unwrap();
        // Greedy was served last, so polite goes first although it came later.
        assert_eq!(position(&polite), 1);
        assert_eq!(position(&greedy[0]), 2);
        drop(slot);
        let _permit = tokio::time::timeout(Duration::from_secs(1), polite.permit())
            .await
            .expect("polite got the slot");
        assert_eq!(position(&greedy[0]), 1);
    }

    #[tokio::test]
    async fn a_flood_from_one_browser_cannot_starve_its_classmates() {
        // One address (a classroom NAT); one browser floods, two classmates run once each.
        let admission = caps(1, 100, 50, 8);
        let mut first = admission.enter(&browser("class", "flooder1")).unwrap();
        let mut running = first.permit().await;
        let mut tickets: Vec<(ClientKey, Ticket)> = Vec::new();
        for _ in 0..8 {
            let key = browser("class", "flooder1");
            tickets.push((key.clone(), admission.enter(&key).unwrap()));
        }
        assert_eq!(
            admission.enter(&browser("class", "flooder1")).err(),
            Some(Refused::BrowserQueueFull { waiting: 8 }),
            "one browser's share is capped"
        );
        for id in ["student2", "student3"] {
            let key = browser("class", id);
            tickets.push((key.clone(), admission.enter(&key).unwrap()));
        }
        // The classmates, though they came last, are next: the flooder was served last.
        let student2 = &tickets[8].1;
        let student3 = &tickets[9].1;
        assert_eq!((position(student2), position(student3)), (1, 2));

        let mut served = Vec::new();
        while !tickets.is_empty() {
            let (client, permit) = next_served(running, &mut tickets);
            served.push(client.browser.expect("every test client has an id"));
            running = permit;
        }
        assert_eq!(&served[..2], ["student2", "student3"]);
        assert!(served[2..].iter().all(|b| b == "flooder1"));
        drop(running);
    }

    #[tokio::test]
    async fn two_hundred_students_behind_one_address_are_all_queued_in_turn() {
        // The defaults: a class of 200 behind one NAT, pressing Run at once.
        let admission = Admission::new(AdmissionConfig {
            concurrency: 2,
            ..AdmissionConfig::default()
        });
        let ids: Vec<String> = (0..200).map(|n| format!("student-{n:03}")).collect();
        let tickets: Vec<Ticket> = ids
            .iter()
            .map(|id| {
                admission
                    .enter(&browser("203.0.113.7", id))
                    .expect("none refused while the queue has room")
            })
            .collect();
        assert_eq!(tickets.iter().filter(|t| t.is_immediate()).count(), 2);
        let mut positions: Vec<usize> = tickets
            .iter()
            .filter(|t| !t.is_immediate())
            .map(position)
            .collect();
        positions.sort_unstable();
        assert_eq!(positions, (1..=198).collect::<Vec<_>>());
        // Another address arriving now is served next, not after the whole class.
        let other = admission.enter(&at("198.51.100.1")).unwrap();
        assert_eq!(position(&other), 1);
        // A second run from a student who already waits goes behind every classmate's first.
        let again = admission.enter(&browser("203.0.113.7", &ids[5])).unwrap();
        assert_eq!(position(&again), 200);
    }

    #[tokio::test]
    async fn invented_ids_cannot_take_more_than_the_address_share() {
        let admission = caps(1, 10, 4, 2);
        let mut first = admission.enter(&at("script")).unwrap();
        let _running = first.permit().await;
        let held: Vec<Ticket> = (0..4)
            .map(|n| {
                admission
                    .enter(&browser("script", &format!("fake-id-{n}")))
                    .unwrap()
            })
            .collect();
        assert_eq!(
            admission.enter(&browser("script", "fake-id-9")).err(),
            Some(Refused::AddressQueueFull { waiting: 4 })
        );
        // Room is left for everyone else.
        let other = admission.enter(&browser("school", "student1")).unwrap();
        assert_eq!(position(&other), 1);
        assert_eq!(held.len(), 4);
    }

    #[tokio::test]
    async fn a_popular_embedding_site_takes_one_turn_like_one_class() {
        // Twenty readers of one blog post, each at their own address, and a class of five behind
        // one NAT: the post's readers are one party, so the class gets every other slot.
        let admission = caps(1, 100, 50, 8);
        let mut first = admission.enter(&at("198.51.100.200")).unwrap();
        let mut running = first.permit().await;
        let mut tickets: Vec<(ClientKey, Ticket)> = Vec::new();
        for n in 0..20 {
            let key = browser(&format!("198.51.100.{n}"), &format!("reader{n:02}"))
                .embedded_in("https://blog.example");
            tickets.push((key.clone(), admission.enter(&key).unwrap()));
        }
        for n in 0..5 {
            let key = browser("203.0.113.7", &format!("student{n}"));
            tickets.push((key.clone(), admission.enter(&key).unwrap()));
        }
        let mut served = Vec::new();
        while !tickets.is_empty() {
            let (client, permit) = next_served(running, &mut tickets);
            served.push(client);
            running = permit;
        }
        drop(running);
        let class_turns: Vec<usize> = served
            .iter()
            .enumerate()
            .filter(|(_, client)| client.site.is_none())
            .map(|(turn, _)| turn)
            .collect();
        assert_eq!(class_turns.len(), 5);
        assert!(
            class_turns.iter().all(|turn| *turn < 10),
            "the class is served every other turn, not after the whole post: {class_turns:?}"
        );
        // Within the site, every reader ran once.
        let readers: BTreeSet<&str> = served
            .iter()
            .filter_map(|client| client.site.as_ref().and(client.browser.as_deref()))
            .collect();
        assert_eq!(readers.len(), 20);
    }

    #[tokio::test]
    async fn one_site_is_held_to_its_share_of_the_queue() {
        let admission = Admission::new(AdmissionConfig {
            concurrency: 1,
            queue_capacity: 100,
            per_address_queue: 50,
            per_browser_queue: 8,
            per_site_queue: 3,
            queue_timeout: Duration::from_secs(60),
        });
        let mut first = admission.enter(&at("10.0.0.1")).unwrap();
        let _running = first.permit().await;
        let reader = |n: usize| {
            browser(&format!("10.0.1.{n}"), &format!("reader{n}"))
                .embedded_in("https://blog.example")
        };
        let held: Vec<Ticket> = (0..3)
            .map(|n| admission.enter(&reader(n)).unwrap())
            .collect();
        assert_eq!(
            admission.enter(&reader(9)).err(),
            Some(Refused::SiteQueueFull { waiting: 3 })
        );
        // Another site, and the playground's own readers, still have room.
        let other = browser("10.0.2.1", "other").embedded_in("https://other.example");
        assert!(admission.enter(&other).is_ok());
        assert!(admission.enter(&browser("10.0.3.1", "student")).is_ok());
        // A reader who leaves frees the site's room.
        drop(held);
        assert!(admission.enter(&reader(9)).is_ok());
    }

    #[test]
    fn ipv6_hosts_are_grouped_by_their_64_prefix() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        assert_eq!(address_key("10.1.2.3".parse().unwrap()), "10.1.2.3");
        assert_eq!(address_key("::ffff:10.1.2.3".parse().unwrap()), "10.1.2.3");
    }
}
