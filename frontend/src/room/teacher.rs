//! The teacher's side of a class session: [`TeacherLink`] (the teacher's socket, authenticated
//! by the room's secret, which lives only in the teacher's browser, see [`super::teacher_store`],
//! and is sent as the first message) and [`ClassSession`], the controls a teaching page mounts:
//! start a session, show its code, join address and QR code, see who joined, push code, unlock
//! hints and solutions, open the dashboard. Any number of the teacher's pages (and devices) may
//! be linked at once: each is a teacher's socket of the same room.

use std::rc::Rc;

use api_types::Block;
use api_types::room::{
    Dashboard, ExerciseRef, Position, RoomClientMessage, RoomCreated, RoomServerMessage,
    RosterEntry, Unlock,
};
use leptos::prelude::*;

use super::dashboard::ClassDashboard;
use super::socket::{Ended, RoomSocket};
use super::student::LinkState;
use super::teacher_store;
use crate::saved::{self, Restore};

type Listener = Rc<dyn Fn(&RoomServerMessage)>;

/// The teacher's socket and what it hears. `Copy`.
#[derive(Clone, Copy)]
pub struct TeacherLink {
    pub room: RwSignal<Option<RoomCreated>>,
    pub state: RwSignal<LinkState>,
    pub count: RwSignal<u32>,
    pub capacity: RwSignal<u32>,
    pub roster: RwSignal<Vec<RosterEntry>>,
    pub dashboard: RwSignal<Dashboard>,
    /// The last refusal, if the room refused something (shown, then replaced).
    pub refused: RwSignal<Option<String>>,
    socket: StoredValue<Option<RoomSocket>, LocalStorage>,
    /// Told every message, after the link's own fields are updated (the deck's sync).
    listeners: StoredValue<Vec<Listener>, LocalStorage>,
}

impl TeacherLink {
    fn unlinked() -> TeacherLink {
        TeacherLink {
            room: RwSignal::new(None),
            state: RwSignal::new(LinkState::Connecting),
            count: RwSignal::new(0),
            capacity: RwSignal::new(0),
            roster: RwSignal::new(Vec::new()),
            dashboard: RwSignal::new(Dashboard::default()),
            refused: RwSignal::new(None),
            socket: StoredValue::new_local(None),
            listeners: StoredValue::new_local(Vec::new()),
        }
    }

    /// A link to the room this browser teaches, if it has one (after a reload, and in any tab),
    /// that follows when another tab of the browser starts or ends a session.
    pub fn new() -> TeacherLink {
        let link = TeacherLink::unlinked();
        if let Some(room) = teacher_store::current() {
            link.connect(room, 0);
        }
        // `storage` fires in the *other* tabs of the browser: a session started or ended there.
        let handle = window_event_listener(leptos::ev::storage, move |event| {
            let key = event.key();
            if key.is_some() && key.as_deref() != Some(teacher_store::CURRENT_KEY) {
                return;
            }
            let now = teacher_store::current();
            let linked = link
                .room
                .with_untracked(|r| r.as_ref().map(|r| r.code.clone()));
            if now.as_ref().map(|r| &r.code) == linked.as_ref() {
                return;
            }
            match now {
                Some(room) => link.connect(room, 0),
                None => link.unlink(),
            }
        });
        on_cleanup(move || handle.remove());
        link
    }

    /// A link to room `code`, if this browser teaches it (the dashboard's own address).
    pub fn for_room(code: &str) -> TeacherLink {
        let link = TeacherLink::unlinked();
        if let Some(room) = teacher_store::by_code(code) {
            link.connect(room, 0);
        }
        link
    }

    /// Calls `listener` with every message the room sends this link from now on.
    pub fn listen(&self, listener: impl Fn(&RoomServerMessage) + 'static) {
        self.listeners
            .update_value(|all| all.push(Rc::new(listener)));
    }

    /// Opens a new room and connects to it as its teacher; every tab of this browser follows.
    pub async fn start(self) -> Result<(), crate::api::ApiFailure> {
        let room = crate::api::create_room().await?;
        teacher_store::save(&room);
        self.connect(room, 0);
        Ok(())
    }

    /// Forgets the room in this browser, in every tab (students keep their pages; the room
    /// expires when idle).
    pub fn end(&self) {
        if let Some(room) = self.room.get_untracked() {
            teacher_store::forget(&room.code);
        }
        self.unlink();
    }

    fn unlink(&self) {
        self.socket.set_value(None);
        self.room.set(None);
        self.state.set(LinkState::Connecting);
    }

    pub fn send(&self, message: &RoomClientMessage) {
        self.socket.with_value(|socket| {
            if let Some(socket) = socket {
                socket.send(message);
            }
        });
    }

    fn connect(self, room: RoomCreated, attempt: u32) {
        self.room.set(Some(room.clone()));
        self.state.set(if attempt == 0 {
            LinkState::Connecting
        } else {
            LinkState::Reconnecting(attempt)
        });
        let first = RoomClientMessage::JoinTeacher {
            secret: room.teacher_secret.clone(),
        };
        let on_message = move |message| self.receive(message);
        let again = room.clone();
        let on_end = move |ended: Ended| {
            if self
                .room
                .with_untracked(|r| r.as_ref().map(|r| r.code.clone()))
                != Some(again.code.clone())
            {
                return;
            }
            if ended.worth_retrying() {
                let next = attempt + 1;
                self.state.set(LinkState::Reconnecting(next));
                let room = again.clone();
                set_timeout(
                    move || {
                        // Still this room? (Ended, or another tab started a new one.)
                        if self
                            .room
                            .with_untracked(|r| r.as_ref().map(|r| r.code.clone()))
                            == Some(room.code.clone())
                        {
                            self.connect(room, next)
                        }
                    },
                    std::time::Duration::from_millis(500 * u64::from(next.min(10))),
                );
            } else if let Ended::Room { message, .. } = ended {
                // Gone, expired or not ours: no tab of this browser should try it again.
                teacher_store::forget(&again.code);
                self.state.set(LinkState::Ended(message));
            }
        };
        match RoomSocket::open(&room.code, first, on_message, on_end) {
            Ok(socket) => self.socket.set_value(Some(socket)),
            Err(error) => self.state.set(LinkState::Ended(error)),
        }
    }

    fn receive(&self, message: RoomServerMessage) {
        match &message {
            RoomServerMessage::Welcome { .. } => {
                if let Some(room) = self.room.get_untracked() {
                    teacher_store::touch(&room.code);
                }
                self.state.set(LinkState::Connected)
            }
            RoomServerMessage::Roster {
                count,
                capacity,
                students,
            } => {
                self.count.set(*count);
                self.capacity.set(*capacity);
                self.roster.set(students.clone());
            }
            RoomServerMessage::StudentJoined { count, student } => {
                self.count.set(*count);
                self.roster
                    .update(|all| match all.iter_mut().find(|s| s.id == student.id) {
                        Some(known) => *known = student.clone(),
                        None => all.push(student.clone()),
                    });
            }
            RoomServerMessage::StudentLeft { count, id } => {
                self.count.set(*count);
                self.roster.update(|all| all.retain(|s| s.id != *id));
            }
            RoomServerMessage::Dashboard { dashboard } => self.dashboard.set(dashboard.clone()),
            RoomServerMessage::Refused { reason } => self.refused.set(Some(reason.clone())),
            _ => {}
        }
        // Cloned out first: a listener may send, or add a listener.
        let listeners = self.listeners.with_value(Vec::clone);
        for listener in listeners {
            listener(&message);
        }
    }
}

impl Default for TeacherLink {
    fn default() -> Self {
        TeacherLink::new()
    }
}

/// A block at the teacher's position that can be pushed into students' editors.
#[derive(Clone)]
pub struct PushableBlock {
    /// The block's stable id (students' editors are keyed by it).
    pub id: String,
    /// How the teacher sees it named, e.g. "Example 3".
    pub label: String,
    /// The code as the teacher's editor has it at the moment of pushing.
    pub code: Callback<(), String>,
}

/// The blocks among `blocks` (one position's) that can be pushed: editable examples and
/// exercises, each reading the teacher's code at the moment of pushing (the teacher's saved edit
/// of it in `chapter`, else the original). The teacher page and the presenter console share it.
pub fn pushable_blocks(chapter: &str, blocks: &[Block]) -> Vec<PushableBlock> {
    blocks
        .iter()
        .filter_map(|block| {
            let (id, label, original, hash) = match block {
                Block::Code(code) if code.editable => (
                    code.id.clone(),
                    format!("example {}", code.index + 1),
                    code.code.clone(),
                    code.hash.clone(),
                ),
                Block::Exercise(exercise) => (
                    exercise.id.clone(),
                    format!("exercise {}'s code", exercise.index + 1),
                    exercise.starter.clone(),
                    exercise.hash.clone(),
                ),
                _ => return None,
            };
            let (chapter, block_id) = (chapter.to_owned(), id.clone());
            Some(PushableBlock {
                id,
                label,
                code: Callback::new(move |()| match saved::load(&chapter, &block_id, &hash) {
                    Restore::Edit(edit) => edit.code,
                    Restore::Nothing | Restore::Outdated(_) => original.clone(),
                }),
            })
        })
        .collect()
}

/// The exercise among one position's `blocks`, if any: what unlocks and the dashboard are about,
/// titled by the slide it is on (`title`), which is what the room sees on the projector.
pub fn exercise_on(title: &str, blocks: &[Block]) -> Option<ExerciseRef> {
    blocks.iter().find_map(|block| match block {
        Block::Exercise(exercise) => Some(ExerciseRef {
            id: exercise.id.clone(),
            title: title.to_owned(),
        }),
        _ => None,
    })
}

/// The teacher's controls for a live class. Mount it on any teaching page (the teacher page,
/// the presenter console).
#[component]
pub fn ClassSession(
    /// The chapter being taught (its slug).
    chapter: String,
    /// The link to use (the console's, which its deck also uses); a new one by default.
    #[prop(optional)]
    link: Option<TeacherLink>,
    /// Where the teacher is now, for a page that moves the class itself: students follow each
    /// change. The presenter's deck moves the class through `present::room_sync` instead.
    #[prop(optional, into)]
    position: Option<Signal<Position>>,
    /// The blocks at that position that can be pushed, each reading the teacher's editor.
    #[prop(into)]
    blocks: Signal<Vec<PushableBlock>>,
    /// The exercise at that position, if any: hints and solution can be unlocked, and the
    /// dashboard counts it.
    #[prop(into)]
    exercise: Signal<Option<ExerciseRef>>,
) -> impl IntoView {
    let link = link.unwrap_or_default();
    let starting = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let show_dashboard = RwSignal::new(false);
    // Every move, and the position again whenever the socket (re)joins: students follow it.
    if let Some(position) = position {
        Effect::new(move |_| {
            let connected = link.state.get() == LinkState::Connected;
            let position = position.get();
            let exercise = exercise.get();
            if connected {
                link.send(&RoomClientMessage::Goto { position, exercise });
            }
        });
    }
    let start = move |_| {
        starting.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            if let Err(error) = link.start().await {
                problem.set(Some(format!(
                    "The class session could not be started: {error}"
                )));
            }
            starting.set(false);
        });
    };
    let push = move |block: PushableBlock| {
        link.send(&RoomClientMessage::Push {
            block: block.id.clone(),
            code: block.code.run(()),
        });
    };
    let unlock = move |what: Unlock| {
        if let Some(exercise) = exercise.get_untracked() {
            link.send(&RoomClientMessage::Unlock {
                exercise: exercise.id,
                what,
            });
        }
    };
    let state_line = move || match link.state.get() {
        LinkState::Connecting => "Connecting…".to_owned(),
        LinkState::Connected => String::new(),
        LinkState::Reconnecting(_) => "Connection lost; reconnecting…".to_owned(),
        LinkState::Ended(message) => message,
    };
    view! {
        <section class="class-session" aria-label="Class session" data-chapter=chapter>
            <Show
                when=move || link.room.with(Option::is_some)
                fallback=move || {
                    view! {
                        <button class="start-session" on:click=start disabled=move || starting.get()>
                            "Start a class session"
                        </button>
                        {move || problem.get().map(|p| view! { <p class="room-problem" role="alert">{p}</p> })}
                    }
                }
            >
                {move || {
                    link.room
                        .get()
                        .map(|room| {
                            view! {
                                <div class="room-join">
                                    <p class="room-code-label">"Join at " <span class="room-url">{room.join_url.clone()}</span></p>
                                    <p class="room-code" aria-label="Room code">{room.code.clone()}</p>
                                    <img class="room-qr" src=room.qr_url.clone() alt=format!("QR code for {}", room.join_url) />
                                </div>
                            }
                        })
                }}
                <p class="room-state" role="status">{state_line}</p>
                <p class="room-count">
                    {move || match link.count.get() {
                        1 => "1 student".to_owned(),
                        n => format!("{n} students"),
                    }}
                </p>
                <ul class="room-roster" aria-label="Students">
                    {move || {
                        link.roster
                            .get()
                            .into_iter()
                            .map(|student| {
                                let name = student.name.unwrap_or_else(|| "(no name)".to_owned());
                                view! { <li>{name}</li> }
                            })
                            .collect_view()
                    }}
                </ul>
                <div class="room-actions">
                    {move || {
                        blocks
                            .get()
                            .into_iter()
                            .map(|block| {
                                let label = format!("Push {} to students", block.label);
                                let id = block.id.clone();
                                view! {
                                    <button class="push-code" data-block=id on:click=move |_| push(block.clone())>
                                        {label}
                                    </button>
                                }
                            })
                            .collect_view()
                    }}
                    <Show when=move || exercise.with(Option::is_some)>
                        <button class="unlock-hints" on:click=move |_| unlock(Unlock::Hints)>"Unlock hints"</button>
                        <button class="unlock-solution" on:click=move |_| unlock(Unlock::Solution)>"Unlock the solution"</button>
                    </Show>
                    <button class="toggle-dashboard" aria-pressed=move || show_dashboard.get().to_string() on:click=move |_| show_dashboard.update(|s| *s = !*s)>
                        {move || if show_dashboard.get() { "Hide the dashboard" } else { "Show the class dashboard" }}
                    </button>
                    <button class="end-session" on:click=move |_| link.end()>"End the session in this browser"</button>
                </div>
                {move || link.refused.get().map(|r| view! { <p class="room-problem" role="alert">{r}</p> })}
                <Show when=move || show_dashboard.get()>
                    <ClassDashboard dashboard=link.dashboard />
                </Show>
            </Show>
        </section>
    }
}
