//! The live classroom's hub (issue 11): rooms a teacher opens and students follow, separate from
//! the execution socket. [`Rooms`] checks every message for its sender's role and sizes and hands
//! changes to a [`RoomStore`] (in memory now; the seam for replicas sharing rooms through
//! PostgreSQL later). `routes/room.rs` is the HTTP and WebSocket door.

mod limits;
mod state;
mod store;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use api_types::room::{
    Closing, MAX_ID_BYTES, MAX_PUSH_BYTES, MAX_REPORTED_TESTS, ROOM_CODE_ALPHABET, ROOM_CODE_LEN,
    Role, RoomClientMessage, RoomInfo, clean_name,
};
use sha2::{Digest, Sha256};

pub use limits::{Bucket, RoomLimits};
pub use state::{Audience, Change, Event, RoomState};
pub use store::{Feed, Joined, Joining, MemoryStore, RoomStore, StoreFuture};

/// Why a room cannot be created, found or joined. Each message is for the person in front of
/// the page.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RoomError {
    #[error(
        "there is no class session with this code: check the code on the projector, or ask your \
         teacher (a session ends after a long pause)"
    )]
    Unknown,
    #[error(
        "this class session is full ({0} students): ask your teacher, who can start a second one"
    )]
    Full(u32),
    #[error("this page is not the teacher's for this session (the teacher's secret did not match)")]
    NotTeacher,
    #[error("a page must say who it is (join as a student or as the teacher) when it connects")]
    NoJoin,
    #[error("this server has as many class sessions open as it allows; try again later")]
    TooManyRooms,
    /// A drawn code already names a room: the caller draws another.
    #[error("the room code is taken")]
    CodeTaken,
}

impl RoomError {
    /// How a socket is told.
    pub fn closing(&self) -> Closing {
        match self {
            RoomError::Unknown | RoomError::CodeTaken | RoomError::TooManyRooms => {
                Closing::UnknownRoom
            }
            RoomError::Full(_) => Closing::Full,
            RoomError::NotTeacher => Closing::NotTeacher,
            RoomError::NoJoin => Closing::NoJoin,
        }
    }
}

/// A message the room did not accept; the socket stays open.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("only the teacher can do that")]
    TeachersOnly,
    #[error("only students report their runs")]
    StudentsOnly,
    #[error("this page has already joined the session")]
    AlreadyJoined,
    #[error("{what} is longer than {limit} bytes")]
    TooLong { what: &'static str, limit: usize },
    #[error("a report may hold at most {MAX_REPORTED_TESTS} tests")]
    TooManyTests,
    #[error("{0}")]
    Room(#[from] RoomError),
}

/// A socket let into a room.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Participant {
    pub code: String,
    pub role: Role,
    /// A student's browser id (`None` for a teacher).
    pub browser: Option<String>,
}

/// A room just opened: its code and the teacher's secret (given out once, kept only hashed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRoom {
    pub code: String,
    pub secret: String,
}

/// The rooms of this server. Cheap to clone.
#[derive(Clone)]
pub struct Rooms {
    store: Arc<dyn RoomStore>,
    pub limits: RoomLimits,
}

impl Rooms {
    pub fn new(store: Arc<dyn RoomStore>, limits: RoomLimits) -> Rooms {
        Rooms { store, limits }
    }

    /// Rooms in this process's memory.
    pub fn in_memory(limits: RoomLimits) -> Rooms {
        Rooms::new(Arc::new(MemoryStore::new(&limits)), limits)
    }

    pub async fn create(&self) -> Result<NewRoom, RoomError> {
        let secret = random_secret();
        let digest = digest(&secret);
        // 2^30 codes: a taken one is rare; a few draws make a clash vanishingly unlikely.
        for _ in 0..8 {
            let code = random_code();
            match self
                .store
                .create(code.clone(), digest, Instant::now())
                .await
            {
                Ok(()) => return Ok(NewRoom { code, secret }),
                Err(RoomError::CodeTaken) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(RoomError::TooManyRooms)
    }

    pub async fn info(&self, code: &str) -> Result<RoomInfo, RoomError> {
        self.store.info(code).await
    }

    /// Lets a socket in by its first message.
    pub async fn join(
        &self,
        code: &str,
        first: RoomClientMessage,
    ) -> Result<(Participant, Joined), RoomError> {
        let now = Instant::now();
        match first {
            RoomClientMessage::JoinStudent { student, name } => {
                if !api_types::browser::is_valid_browser_id(&student) {
                    return Err(RoomError::NoJoin);
                }
                let joining = Joining::Student {
                    browser: student.clone(),
                    name: name.as_deref().and_then(clean_name),
                };
                let joined = self.store.join(code, joining, now).await?;
                let participant = Participant {
                    code: code.to_owned(),
                    role: Role::Student,
                    browser: Some(student),
                };
                Ok((participant, joined))
            }
            RoomClientMessage::JoinTeacher { secret } => {
                self.check_secret(code, &secret).await?;
                let joined = self.store.join(code, Joining::Teacher, now).await?;
                let participant = Participant {
                    code: code.to_owned(),
                    role: Role::Teacher,
                    browser: None,
                };
                Ok((participant, joined))
            }
            _ => Err(RoomError::NoJoin),
        }
    }

    /// Whether `secret` is room `code`'s teacher's (a wrong one is logged, never the secret).
    pub async fn check_secret(&self, code: &str, secret: &str) -> Result<(), RoomError> {
        let expected = self.store.secret_digest(code).await?;
        if !same_digest(&digest(secret), &expected) {
            tracing::warn!(room = code, "a wrong teacher secret was given");
            return Err(RoomError::NotTeacher);
        }
        Ok(())
    }

    /// A message from a participant who joined: checked for its role and sizes, then applied.
    pub async fn handle(
        &self,
        participant: &Participant,
        message: RoomClientMessage,
    ) -> Result<(), Refusal> {
        let change = self.check(participant, message)?;
        self.store
            .apply(&participant.code, change, Instant::now(), unix_ms())
            .await?;
        Ok(())
    }

    fn check(
        &self,
        participant: &Participant,
        message: RoomClientMessage,
    ) -> Result<Change, Refusal> {
        if message.is_teachers() && participant.role != Role::Teacher {
            tracing::warn!(
                room = participant.code,
                browser = participant.browser.as_deref().unwrap_or("-"),
                "refused a teacher's message from a student's socket"
            );
            return Err(Refusal::TeachersOnly);
        }
        let id = |what: &'static str, text: &str| {
            if text.len() > MAX_ID_BYTES {
                Err(Refusal::TooLong {
                    what,
                    limit: MAX_ID_BYTES,
                })
            } else {
                Ok(())
            }
        };
        match message {
            RoomClientMessage::JoinStudent { .. } | RoomClientMessage::JoinTeacher { .. } => {
                Err(Refusal::AlreadyJoined)
            }
            RoomClientMessage::Goto { position, exercise } => {
                id("the chapter", &position.chapter)?;
                id("the anchor", &position.anchor)?;
                if let Some(exercise) = &exercise {
                    id("the exercise id", &exercise.id)?;
                    id("the exercise's title", &exercise.title)?;
                }
                Ok(Change::Goto { position, exercise })
            }
            RoomClientMessage::Presenter { state } => {
                id("the chapter", &state.chapter)?;
                Ok(Change::Presenter(state))
            }
            RoomClientMessage::Push { block, code } => {
                id("the block id", &block)?;
                if code.len() > MAX_PUSH_BYTES {
                    return Err(Refusal::TooLong {
                        what: "the pushed code",
                        limit: MAX_PUSH_BYTES,
                    });
                }
                Ok(Change::Push { block, code })
            }
            RoomClientMessage::Unlock { exercise, what } => {
                id("the exercise id", &exercise)?;
                Ok(Change::Unlock { exercise, what })
            }
            RoomClientMessage::Report { report } => {
                let Some(browser) = &participant.browser else {
                    return Err(Refusal::StudentsOnly);
                };
                id("the exercise id", &report.exercise)?;
                if report.tests.len() > MAX_REPORTED_TESTS {
                    return Err(Refusal::TooManyTests);
                }
                for test in &report.tests {
                    id("a test name", &test.name)?;
                }
                Ok(Change::Report {
                    student: browser.clone(),
                    report,
                })
            }
        }
    }

    /// A participant's socket closed.
    pub async fn leave(&self, participant: &Participant) {
        if let Some(browser) = &participant.browser {
            self.store.leave(&participant.code, browser).await;
        }
    }

    /// Closes rooms idle for longer than the limit; returns how many.
    pub async fn expire_idle(&self, now: Instant) -> usize {
        match now.checked_sub(self.limits.idle) {
            Some(idle_before) => self.store.expire(idle_before).await,
            None => 0,
        }
    }

    /// Checks for idle rooms every minute, for as long as the runtime runs.
    pub fn spawn_expiry(&self) {
        let rooms = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let closed = rooms.expire_idle(Instant::now()).await;
                if closed > 0 {
                    tracing::info!(closed, "closed idle class sessions");
                }
            }
        });
    }
}

/// The SVG of a QR code for `text` (a join address), black on white with its quiet zone, scaled
/// by the page.
pub fn qr_svg(text: &str) -> Result<String, qrcode::types::QrError> {
    let code = qrcode::QrCode::new(text.as_bytes())?;
    Ok(code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

fn random_bytes() -> [u8; 16] {
    // uuid's v4 draws from the operating system's generator.
    *uuid::Uuid::new_v4().as_bytes()
}

fn random_code() -> String {
    let bytes = random_bytes();
    let mut bits = u128::from_be_bytes(bytes);
    (0..ROOM_CODE_LEN)
        .map(|_| {
            let symbol = ROOM_CODE_ALPHABET[(bits % ROOM_CODE_ALPHABET.len() as u128) as usize];
            bits /= ROOM_CODE_ALPHABET.len() as u128;
            symbol as char
        })
        .collect()
}

/// 244 random bits (two v4 UUIDs, less their version and variant bits), as 64 hex digits.
fn random_secret() -> String {
    let mut secret = String::with_capacity(64);
    for byte in random_bytes().iter().chain(random_bytes().iter()) {
        secret.push_str(&format!("{byte:02x}"));
    }
    secret
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Compares without stopping at the first difference.
fn same_digest(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// The server's clock in Unix milliseconds, stamped on every move.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests;
