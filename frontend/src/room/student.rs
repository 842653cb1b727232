//! A student's link to a class session: which room this tab joined (kept in sessionStorage, so a
//! reload or a navigation stays in it), the teacher's position, pushed code and unlocks, and the
//! hooks blocks call. The socket reconnects by itself after a lost connection or when the server
//! dropped it for falling behind; the server's snapshot then catches the page up.

use api_types::room::{
    ExerciseReport, Position, Pushed, RoomClientMessage, RoomServerMessage, TestOutcome, Unlock,
    Unlocked,
};
use api_types::{ExecutionResult, Outcome, TestStatus};
use leptos::prelude::*;

use super::socket::{Ended, RoomSocket};
use super::{session_get, session_remove, session_set};

const CODE_KEY: &str = "rmp.room.code";
const NAME_KEY: &str = "rmp.room.name";
/// Set while the student browses on their own, so a reload elsewhere does not pull them back.
const AWAY_KEY: &str = "rmp.room.away";

/// Where the link stands, for the follow bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Connected,
    /// Lost; trying again (the attempt number).
    Reconnecting(u32),
    /// Over for good: the room said why (gone, full, ...).
    Ended(String),
}

/// The student's side of a room, provided once by the app. Every field is a signal, so it is
/// `Copy` and can be captured by any callback.
#[derive(Clone, Copy)]
pub struct StudentRoom {
    /// The room this tab joined, if any.
    pub code: RwSignal<Option<String>>,
    pub state: RwSignal<LinkState>,
    /// The teacher's place and its sequence number.
    pub position: RwSignal<Option<(Position, u64)>>,
    /// Whether the page follows the teacher (off once the student browses elsewhere).
    pub following: RwSignal<bool>,
    pub pushes: RwSignal<Vec<Pushed>>,
    pub unlocked: RwSignal<Vec<Unlocked>>,
    socket: StoredValue<Option<RoomSocket>, LocalStorage>,
}

impl StudentRoom {
    /// Provides the link and rejoins the room this tab was in.
    pub fn provide() -> StudentRoom {
        let room = StudentRoom {
            code: RwSignal::new(None),
            state: RwSignal::new(LinkState::Connecting),
            position: RwSignal::new(None),
            following: RwSignal::new(session_get(AWAY_KEY).is_none()),
            pushes: RwSignal::new(Vec::new()),
            unlocked: RwSignal::new(Vec::new()),
            socket: StoredValue::new_local(None),
        };
        provide_context(room);
        Effect::new(move |_| match room.following.get() {
            true => session_remove(AWAY_KEY),
            false => session_set(AWAY_KEY, "1"),
        });
        if let Some(code) = session_get(CODE_KEY) {
            room.connect(code, 0);
        }
        room
    }

    /// Joins room `code` with an optional display name (shown only to the teacher).
    pub fn join(&self, code: &str, name: Option<String>) {
        session_set(CODE_KEY, code);
        match name.as_deref().and_then(api_types::room::clean_name) {
            Some(name) => session_set(NAME_KEY, &name),
            None => session_remove(NAME_KEY),
        }
        self.following.set(true);
        self.connect(code.to_owned(), 0);
    }

    /// Leaves the room: the socket closes and nothing follows any more.
    pub fn leave(&self) {
        session_remove(CODE_KEY);
        self.socket.set_value(None);
        self.code.set(None);
        self.position.set(None);
        self.pushes.set(Vec::new());
        self.unlocked.set(Vec::new());
    }

    fn connect(self, code: String, attempt: u32) {
        self.code.set(Some(code.clone()));
        self.state.set(if attempt == 0 {
            LinkState::Connecting
        } else {
            LinkState::Reconnecting(attempt)
        });
        let first = RoomClientMessage::JoinStudent {
            student: crate::run::browser_id(),
            name: session_get(NAME_KEY),
        };
        let on_message = move |message| self.receive(message);
        let retry_code = code.clone();
        let on_end = move |ended: Ended| {
            // Still in this room? (`leave` or another join replaced the socket.)
            if self.code.get_untracked().as_deref() != Some(retry_code.as_str()) {
                return;
            }
            if ended.worth_retrying() {
                let next = attempt + 1;
                self.state.set(LinkState::Reconnecting(next));
                let delay = std::time::Duration::from_millis(500 * u64::from(next.min(10)));
                let code = retry_code.clone();
                set_timeout(
                    move || {
                        if self.code.get_untracked().as_deref() == Some(code.as_str()) {
                            self.connect(code, next);
                        }
                    },
                    delay,
                );
            } else if let Ended::Room { message, .. } = ended {
                // The socket stays in place: this runs inside its close handler.
                session_remove(CODE_KEY);
                self.state.set(LinkState::Ended(message));
            }
        };
        // The socket and the reading of the room's messages are fetched when a tab is in a room
        // (`lazy.rs`), not with every first visit.
        leptos::task::spawn_local(async move {
            let opened = match crate::lazy::room_link().await {
                Ok(open) => open(code.clone(), first, Box::new(on_message), Box::new(on_end)),
                Err(crate::lazy::ModuleMissing) => Err(
                    "this page could not load the class session's connection; reload to try again"
                        .to_owned(),
                ),
            };
            // Left, or joined another room, while it loaded: that socket closes at once.
            if self.code.try_get_untracked().flatten().as_deref() != Some(code.as_str()) {
                return;
            }
            match opened {
                Ok(socket) => {
                    self.socket.try_set_value(Some(socket));
                }
                Err(error) => {
                    self.state.try_set(LinkState::Ended(error));
                }
            }
        });
    }

    fn receive(&self, message: RoomServerMessage) {
        match message {
            RoomServerMessage::Welcome { snapshot, .. } => {
                self.state.set(LinkState::Connected);
                if let Some(position) = snapshot.position {
                    self.position.set(Some((position, snapshot.position_seq)));
                }
                self.pushes.set(snapshot.pushes);
                self.unlocked.set(snapshot.unlocked);
            }
            RoomServerMessage::Goto { position, seq, .. } => {
                self.position.set(Some((position, seq)));
            }
            RoomServerMessage::Push { push } => self.pushes.update(|all| {
                all.retain(|p| p.block != push.block);
                all.push(push);
            }),
            RoomServerMessage::Unlocked { unlocked } => {
                self.unlocked.update(|all| all.push(unlocked))
            }
            RoomServerMessage::Refused { reason } => {
                leptos::logging::warn!("the class session refused a message: {reason}")
            }
            _ => {}
        }
    }

    /// Tells the teacher's dashboard how a run of exercise `exercise` went (counted, never named).
    pub fn report(&self, exercise: &str, result: &ExecutionResult) {
        if self.state.get_untracked() != LinkState::Connected {
            return;
        }
        let report = report_of(exercise, result);
        self.socket.with_value(|socket| {
            if let Some(socket) = socket {
                socket.send(&RoomClientMessage::Report { report });
            }
        });
    }
}

/// What a finished run says about an exercise: compiled unless the compiler refused it (or it
/// never got that far), and each test's result.
pub fn report_of(exercise: &str, result: &ExecutionResult) -> ExerciseReport {
    let compiled = !matches!(
        result.outcome,
        Outcome::CompileError | Outcome::RunnerUnavailable { .. } | Outcome::Killed
    ) && !matches!(
        result.outcome,
        Outcome::TimedOut {
            phase: api_types::Phase::Compile,
            ..
        }
    );
    ExerciseReport {
        exercise: exercise.to_owned(),
        compiled,
        tests: result
            .tests
            .iter()
            .take(api_types::room::MAX_REPORTED_TESTS)
            .map(|test| TestOutcome {
                name: test.name.clone(),
                passed: test.status == TestStatus::Passed,
            })
            .collect(),
    }
}

/// The room, where a block can find it (nothing outside the app, e.g. in component tests).
pub fn current() -> Option<StudentRoom> {
    use_context::<StudentRoom>()
}

/// Code pushed for `block` that the page has not applied yet, newest first wins. Pushes this tab
/// already handled (applied, or declined) are remembered by their number.
pub fn pending_push(room: StudentRoom, block: &str) -> Option<Pushed> {
    let handled = handled_push(block);
    room.pushes.with(|all| {
        all.iter()
            .find(|p| p.block == block && Some(p.seq) > handled)
            .cloned()
    })
}

fn push_key(block: &str) -> String {
    format!("rmp.room.push:{block}")
}

fn handled_push(block: &str) -> Option<u64> {
    session_get(&push_key(block)).and_then(|n| n.parse().ok())
}

/// Marks push `seq` for `block` as dealt with.
pub fn mark_push_handled(block: &str, seq: u64) {
    session_set(&push_key(block), &seq.to_string());
}

/// Keeps a block's editor in step with the teacher's pushes: code for this block goes in at
/// once unless the student has edits of their own, who is then asked (never overwritten).
pub fn follow_pushes(block: &str, edits: crate::components::edits::BlockEdits) {
    let Some(room) = current() else { return };
    let block = block.to_owned();
    Effect::new(move |_| {
        let Some(push) = pending_push(room, &block) else {
            return;
        };
        if edits.control.doc() == push.code {
            mark_push_handled(&block, push.seq);
        } else if edits.has_own_edits() {
            edits.pushed.set(Some(push));
        } else {
            edits.apply_push(&push);
        }
    });
}

/// Calls `open` for every unlock of `exercise` the room has (now and later).
pub fn on_unlock(exercise: &str, open: impl Fn(Unlock) + 'static) {
    let Some(room) = current() else { return };
    let exercise = exercise.to_owned();
    Effect::new(move |_| {
        room.unlocked.with(|all| {
            for unlocked in all.iter().filter(|u| u.exercise == exercise) {
                open(unlocked.what);
            }
        })
    });
}

#[cfg(test)]
mod tests {
    use api_types::{TestCase, Timings};

    use super::*;

    fn result(outcome: Outcome, tests: &[(&str, TestStatus)]) -> ExecutionResult {
        ExecutionResult {
            outcome,
            explanation: String::new(),
            diagnostics: Vec::new(),
            timings: Timings::default(),
            stdout_truncated: false,
            stderr_truncated: false,
            tests: tests
                .iter()
                .map(|(name, status)| TestCase {
                    name: (*name).into(),
                    status: *status,
                    message: String::new(),
                })
                .collect(),
            view: None,
            files: Vec::new(),
        }
    }

    #[test]
    fn a_report_says_whether_it_compiled_and_which_tests_passed() {
        let failed = result(
            Outcome::ExitFailure { exit_code: 101 },
            &[("a", TestStatus::Passed), ("b", TestStatus::Failed)],
        );
        let report = report_of("ex", &failed);
        assert!(report.compiled);
        assert_eq!(
            report
                .tests
                .iter()
                .map(|t| (t.name.as_str(), t.passed))
                .collect::<Vec<_>>(),
            vec![("a", true), ("b", false)]
        );
        assert!(!report_of("ex", &result(Outcome::CompileError, &[])).compiled);
    }
}
