//! Where rooms live: the [`RoomStore`] trait and its in-memory implementation.
//!
//! The trait is the seam for several replicas (see ARCHITECTURE.md, "Live rooms"): a PostgreSQL
//! store would keep each room's state in a row (changed under `SELECT … FOR UPDATE`) and publish
//! each event as `NOTIFY room_<code>, '<json>'`; every replica `LISTEN`s and feeds the JSON into
//! the same local [`Feed`]s this one uses. The sockets, limits and message checks above it stay
//! as they are, which is why the events cross the seam already serialised.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use api_types::room::{Closing, PresenterState, RoomInfo, RoomServerMessage, RoomSnapshot};
use tokio::sync::broadcast;

use super::RoomError;
use super::state::{Audience, Change, Event, Full, RoomState};

/// A store's answer, boxed so that `Arc<dyn RoomStore>` works with stores that do I/O.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Who is joining a room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Joining {
    Student {
        browser: String,
        name: Option<String>,
    },
    /// The caller has already checked the secret's digest against [`RoomStore::secret_digest`].
    Teacher,
}

/// A participant let in: the room as it is, the teacher's extra view, and the feed of what
/// changes from now on.
pub struct Joined {
    pub snapshot: RoomSnapshot,
    /// For teachers: the roster and the dashboard as they are now.
    pub teacher_view: Vec<RoomServerMessage>,
    /// For teachers: the presenter's deck, if a teacher's device shared it.
    pub presenter: Option<PresenterState>,
    pub feed: Feed,
}

/// What a participant's socket receives: everyone's messages, and the teachers' ones for a
/// teacher. Each is serialised once for the whole room.
pub struct Feed {
    everyone: broadcast::Receiver<Arc<str>>,
    teachers: Option<broadcast::Receiver<Arc<str>>>,
}

impl Feed {
    /// The next message as JSON. A follower further behind than the room's buffer is told
    /// [`Closing::FellBehind`] (it reconnects and gets a snapshot) rather than slowing the
    /// room; a room that closed gives [`Closing::Expired`].
    pub async fn next(&mut self) -> Result<Arc<str>, Closing> {
        fn map(result: Result<Arc<str>, broadcast::error::RecvError>) -> Result<Arc<str>, Closing> {
            result.map_err(|error| match error {
                broadcast::error::RecvError::Lagged(_) => Closing::FellBehind,
                broadcast::error::RecvError::Closed => Closing::Expired,
            })
        }
        match &mut self.teachers {
            None => map(self.everyone.recv().await),
            Some(teachers) => tokio::select! {
                biased;
                message = self.everyone.recv() => map(message),
                message = teachers.recv() => map(message),
            },
        }
    }
}

/// Room state shared by every socket of a room, wherever it is kept.
pub trait RoomStore: Send + Sync {
    /// Opens a room under `code`. [`RoomError::CodeTaken`] if one exists (the caller draws
    /// another), [`RoomError::TooManyRooms`] at the server's bound.
    fn create(
        &self,
        code: String,
        secret_digest: [u8; 32],
        now: Instant,
    ) -> StoreFuture<'_, Result<(), RoomError>>;

    /// The room's public summary.
    fn info(&self, code: &str) -> StoreFuture<'_, Result<RoomInfo, RoomError>>;

    /// The SHA-256 of the room's teacher secret.
    fn secret_digest(&self, code: &str) -> StoreFuture<'_, Result<[u8; 32], RoomError>>;

    /// Lets a participant in (a student only while there is room).
    fn join(
        &self,
        code: &str,
        joining: Joining,
        now: Instant,
    ) -> StoreFuture<'_, Result<Joined, RoomError>>;

    /// One of a student's sockets closed.
    fn leave(&self, code: &str, browser: &str) -> StoreFuture<'_, ()>;

    /// Applies a checked change and delivers the messages it causes.
    fn apply(
        &self,
        code: &str,
        change: Change,
        now: Instant,
        sent_at_ms: u64,
    ) -> StoreFuture<'_, Result<(), RoomError>>;

    /// Closes every room idle since before `idle_before`; their sockets are told
    /// [`Closing::Expired`]. Returns how many closed.
    fn expire(&self, idle_before: Instant) -> StoreFuture<'_, usize>;
}

struct MemoryRoom {
    state: Mutex<RoomState>,
    everyone: broadcast::Sender<Arc<str>>,
    teachers: broadcast::Sender<Arc<str>>,
}

impl MemoryRoom {
    /// Sends while the state's lock is held, so every socket sees changes in one order.
    fn deliver(&self, events: Vec<Event>) {
        for event in events {
            let json: Arc<str> = serde_json::to_string(&event.message)
                .expect("room messages serialise")
                .into();
            let channel = match event.audience {
                Audience::Everyone => &self.everyone,
                Audience::Teachers => &self.teachers,
            };
            // No receiver is not an error: nobody is listening yet. `send` never waits.
            let _ = channel.send(json);
        }
    }
}

/// Rooms in this process's memory: one server, rooms lost on restart (a class reconnects to a
/// new room). Each room holds two broadcast rings of `follower_buffer` messages.
pub struct MemoryStore {
    rooms: Mutex<HashMap<String, Arc<MemoryRoom>>>,
    capacity: u32,
    max_rooms: usize,
    follower_buffer: usize,
}

impl MemoryStore {
    pub fn new(limits: &super::RoomLimits) -> MemoryStore {
        MemoryStore {
            rooms: Mutex::new(HashMap::new()),
            capacity: limits.capacity,
            max_rooms: limits.max_rooms,
            follower_buffer: limits.follower_buffer,
        }
    }

    fn room(&self, code: &str) -> Result<Arc<MemoryRoom>, RoomError> {
        self.rooms
            .lock()
            .expect("rooms lock")
            .get(code)
            .cloned()
            .ok_or(RoomError::Unknown)
    }

    /// Rooms open now.
    pub fn len(&self) -> usize {
        self.rooms.lock().expect("rooms lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn ready<'a, T: Send + 'a>(value: T) -> StoreFuture<'a, T> {
    Box::pin(std::future::ready(value))
}

impl RoomStore for MemoryStore {
    fn create(
        &self,
        code: String,
        secret_digest: [u8; 32],
        now: Instant,
    ) -> StoreFuture<'_, Result<(), RoomError>> {
        let mut rooms = self.rooms.lock().expect("rooms lock");
        let result = if rooms.contains_key(&code) {
            Err(RoomError::CodeTaken)
        } else if rooms.len() >= self.max_rooms {
            Err(RoomError::TooManyRooms)
        } else {
            let state = RoomState::new(code.clone(), secret_digest, self.capacity, now);
            rooms.insert(
                code,
                Arc::new(MemoryRoom {
                    state: Mutex::new(state),
                    everyone: broadcast::channel(self.follower_buffer).0,
                    // A class arriving together sends teachers two messages per student.
                    teachers: broadcast::channel(self.follower_buffer * 4).0,
                }),
            );
            Ok(())
        };
        ready(result)
    }

    fn info(&self, code: &str) -> StoreFuture<'_, Result<RoomInfo, RoomError>> {
        ready(self.room(code).map(|room| {
            let state = room.state.lock().expect("room lock");
            RoomInfo {
                code: state.code.clone(),
                students: state.students(),
                capacity: state.capacity,
            }
        }))
    }

    fn secret_digest(&self, code: &str) -> StoreFuture<'_, Result<[u8; 32], RoomError>> {
        ready(
            self.room(code)
                .map(|room| room.state.lock().expect("room lock").secret_digest),
        )
    }

    fn join(
        &self,
        code: &str,
        joining: Joining,
        now: Instant,
    ) -> StoreFuture<'_, Result<Joined, RoomError>> {
        let result = self.room(code).and_then(|room| {
            let mut state = room.state.lock().expect("room lock");
            // Subscribe under the lock: nothing sent after the snapshot is missed.
            let everyone = room.everyone.subscribe();
            let (teachers, teacher_view, presenter) = match joining {
                Joining::Student { browser, name } => {
                    let events = state
                        .join_student(&browser, name, now)
                        .map_err(|Full| RoomError::Full(state.capacity))?;
                    room.deliver(events);
                    (None, Vec::new(), None)
                }
                Joining::Teacher => {
                    state.last_activity = now;
                    (
                        Some(room.teachers.subscribe()),
                        state.teacher_view(),
                        state.presenter(),
                    )
                }
            };
            Ok(Joined {
                snapshot: state.snapshot(),
                teacher_view,
                presenter,
                feed: Feed { everyone, teachers },
            })
        });
        ready(result)
    }

    fn leave(&self, code: &str, browser: &str) -> StoreFuture<'_, ()> {
        if let Ok(room) = self.room(code) {
            let mut state = room.state.lock().expect("room lock");
            let events = state.leave_student(browser);
            room.deliver(events);
        }
        ready(())
    }

    fn apply(
        &self,
        code: &str,
        change: Change,
        now: Instant,
        sent_at_ms: u64,
    ) -> StoreFuture<'_, Result<(), RoomError>> {
        ready(self.room(code).map(|room| {
            let mut state = room.state.lock().expect("room lock");
            let events = state.apply(change, now, sent_at_ms);
            room.deliver(events);
        }))
    }

    fn expire(&self, idle_before: Instant) -> StoreFuture<'_, usize> {
        let mut rooms = self.rooms.lock().expect("rooms lock");
        let before = rooms.len();
        // Dropping a room drops its senders: its feeds end with `Closing::Expired`.
        rooms.retain(|_, room| room.state.lock().expect("room lock").last_activity >= idle_before);
        ready(before - rooms.len())
    }
}
