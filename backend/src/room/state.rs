//! One room's state, pure: who is in it, where the teacher is, what was pushed and unlocked, and
//! the dashboard's counts. Every change returns the messages it causes; the store delivers them.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::Instant;

use api_types::room::{
    Dashboard, ExerciseRef, ExerciseReport, Position, PresenterState, Pushed, RoomServerMessage,
    RoomSnapshot, RosterEntry, TestTally, Unlock, Unlocked,
};

/// Pushes a snapshot keeps (the newest, one per block).
const KEPT_PUSHES: usize = 32;
/// Exercises a room keeps counts for, and tests per exercise: bounds against a client
/// inventing names.
const MAX_EXERCISES: usize = 200;
const MAX_TESTS: usize = 100;

/// Who receives a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    Everyone,
    Teachers,
}

/// A message for the room's sockets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub audience: Audience,
    pub message: RoomServerMessage,
}

impl Event {
    fn everyone(message: RoomServerMessage) -> Event {
        Event {
            audience: Audience::Everyone,
            message,
        }
    }
    fn teachers(message: RoomServerMessage) -> Event {
        Event {
            audience: Audience::Teachers,
            message,
        }
    }
}

/// A change to a room, already checked for its sender's role and sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Goto {
        position: Position,
        exercise: Option<ExerciseRef>,
    },
    /// The teacher's devices share the deck's blank screen and clock.
    Presenter(PresenterState),
    Push {
        block: String,
        code: String,
    },
    Unlock {
        exercise: String,
        what: Unlock,
    },
    Report {
        student: String,
        report: ExerciseReport,
    },
}

#[derive(Debug, Default)]
struct Student {
    /// Shown to the teacher instead of the browser id.
    id: u32,
    name: Option<String>,
    /// Sockets this browser has open (two tabs, or a reconnection before the old one closed).
    sockets: u32,
}

#[derive(Debug, Default)]
struct Tally {
    ran: HashSet<String>,
    compiled: HashSet<String>,
    /// In the order first reported.
    tests: Vec<(String, HashSet<String>)>,
}

/// One room. `secret_digest` is the SHA-256 of the teacher's secret (the secret is not kept).
#[derive(Debug)]
pub struct RoomState {
    pub code: String,
    pub secret_digest: [u8; 32],
    pub last_activity: Instant,
    pub capacity: u32,
    position: Option<Position>,
    position_seq: u64,
    exercise: Option<ExerciseRef>,
    /// The presenter's deck as a teacher's device last shared it (teachers only).
    presenter: Option<PresenterState>,
    unlocked: BTreeSet<(String, Unlock)>,
    pushes: VecDeque<Pushed>,
    push_seq: u64,
    /// By browser id.
    students: HashMap<String, Student>,
    /// The next roster id.
    next_student: u32,
    tallies: HashMap<String, Tally>,
}

/// Why a student cannot come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Full;

impl RoomState {
    pub fn new(code: String, secret_digest: [u8; 32], capacity: u32, now: Instant) -> RoomState {
        RoomState {
            code,
            secret_digest,
            last_activity: now,
            capacity,
            position: None,
            position_seq: 0,
            exercise: None,
            presenter: None,
            unlocked: BTreeSet::new(),
            pushes: VecDeque::new(),
            push_seq: 0,
            students: HashMap::new(),
            next_student: 0,
            tallies: HashMap::new(),
        }
    }

    /// Students in the room now (distinct browsers).
    pub fn students(&self) -> u32 {
        self.students.len() as u32
    }

    pub fn snapshot(&self) -> RoomSnapshot {
        RoomSnapshot {
            code: self.code.clone(),
            position: self.position.clone(),
            position_seq: self.position_seq,
            unlocked: self
                .unlocked
                .iter()
                .map(|(exercise, what)| Unlocked {
                    exercise: exercise.clone(),
                    what: *what,
                })
                .collect(),
            pushes: self.pushes.iter().cloned().collect(),
        }
    }

    /// The presenter's deck, for a teacher's device that joins.
    pub fn presenter(&self) -> Option<PresenterState> {
        self.presenter.clone()
    }

    /// A student's browser comes in (again: a known browser is not counted twice).
    pub fn join_student(
        &mut self,
        browser: &str,
        name: Option<String>,
        now: Instant,
    ) -> Result<Vec<Event>, Full> {
        let known = self.students.contains_key(browser);
        if !known && self.students() >= self.capacity {
            return Err(Full);
        }
        self.last_activity = now;
        let next = &mut self.next_student;
        let student = self.students.entry(browser.to_owned()).or_insert_with(|| {
            *next += 1;
            Student {
                id: *next,
                ..Student::default()
            }
        });
        student.sockets += 1;
        let first_socket = student.sockets == 1;
        let renamed = name.is_some() && name != student.name;
        if renamed {
            student.name = name;
        }
        if !(first_socket || renamed) {
            return Ok(Vec::new());
        }
        let entry = RosterEntry {
            id: student.id,
            name: student.name.clone(),
        };
        Ok(vec![
            Event::teachers(RoomServerMessage::StudentJoined {
                count: self.students(),
                student: entry,
            }),
            self.dashboard_event(),
        ])
    }

    /// One of a student's sockets closed.
    pub fn leave_student(&mut self, browser: &str) -> Vec<Event> {
        let Some(student) = self.students.get_mut(browser) else {
            return Vec::new();
        };
        student.sockets = student.sockets.saturating_sub(1);
        if student.sockets > 0 {
            return Vec::new();
        }
        let id = student.id;
        self.students.remove(browser);
        vec![
            Event::teachers(RoomServerMessage::StudentLeft {
                count: self.students(),
                id,
            }),
            self.dashboard_event(),
        ]
    }

    /// What a teacher's socket needs besides the snapshot: the roster and the dashboard.
    pub fn teacher_view(&self) -> Vec<RoomServerMessage> {
        vec![self.roster(), self.dashboard_event().message]
    }

    pub fn apply(&mut self, change: Change, now: Instant, sent_at_ms: u64) -> Vec<Event> {
        self.last_activity = now;
        match change {
            Change::Goto { position, exercise } => {
                self.position_seq += 1;
                self.position = Some(position.clone());
                let exercise_changed = self.exercise != exercise;
                self.exercise = exercise;
                let mut events = vec![Event::everyone(RoomServerMessage::Goto {
                    position,
                    seq: self.position_seq,
                    sent_at_ms,
                })];
                if exercise_changed {
                    events.push(self.dashboard_event());
                }
                events
            }
            Change::Presenter(state) => {
                self.presenter = Some(state.clone());
                vec![Event::teachers(RoomServerMessage::Presenter { state })]
            }
            Change::Push { block, code } => {
                self.push_seq += 1;
                let push = Pushed {
                    seq: self.push_seq,
                    block,
                    code,
                };
                self.pushes.retain(|kept| kept.block != push.block);
                self.pushes.push_back(push.clone());
                while self.pushes.len() > KEPT_PUSHES {
                    self.pushes.pop_front();
                }
                vec![Event::everyone(RoomServerMessage::Push { push })]
            }
            Change::Unlock { exercise, what } => {
                if !self.unlocked.insert((exercise.clone(), what)) {
                    return Vec::new();
                }
                vec![Event::everyone(RoomServerMessage::Unlocked {
                    unlocked: Unlocked { exercise, what },
                })]
            }
            Change::Report { student, report } => {
                if !self.tallies.contains_key(&report.exercise)
                    && self.tallies.len() >= MAX_EXERCISES
                {
                    return Vec::new();
                }
                let tally = self.tallies.entry(report.exercise.clone()).or_default();
                tally.ran.insert(student.clone());
                if report.compiled {
                    tally.compiled.insert(student.clone());
                }
                for test in report.tests {
                    let index = match tally.tests.iter().position(|(name, _)| *name == test.name) {
                        Some(index) => index,
                        None if tally.tests.len() < MAX_TESTS => {
                            tally.tests.push((test.name, HashSet::new()));
                            tally.tests.len() - 1
                        }
                        None => continue,
                    };
                    if test.passed {
                        tally.tests[index].1.insert(student.clone());
                    }
                }
                if self.exercise.as_ref().map(|e| e.id.as_str()) == Some(report.exercise.as_str()) {
                    vec![self.dashboard_event()]
                } else {
                    Vec::new()
                }
            }
        }
    }

    fn roster(&self) -> RoomServerMessage {
        let mut students: Vec<RosterEntry> = self
            .students
            .values()
            .map(|student| RosterEntry {
                id: student.id,
                name: student.name.clone(),
            })
            .collect();
        students.sort_by_key(|entry| entry.id);
        RoomServerMessage::Roster {
            count: self.students(),
            capacity: self.capacity,
            students,
        }
    }

    pub fn dashboard(&self) -> Dashboard {
        let tally = self
            .exercise
            .as_ref()
            .and_then(|exercise| self.tallies.get(&exercise.id));
        Dashboard {
            exercise: self.exercise.clone(),
            students: self.students(),
            ran: tally.map_or(0, |t| t.ran.len() as u32),
            compiled: tally.map_or(0, |t| t.compiled.len() as u32),
            tests: tally.map_or_else(Vec::new, |t| {
                t.tests
                    .iter()
                    .map(|(name, passed)| TestTally {
                        name: name.clone(),
                        passed: passed.len() as u32,
                    })
                    .collect()
            }),
        }
    }

    fn dashboard_event(&self) -> Event {
        Event::teachers(RoomServerMessage::Dashboard {
            dashboard: self.dashboard(),
        })
    }
}

#[cfg(test)]
mod tests {
    use api_types::room::TestOutcome;

    use super::*;

    fn room(capacity: u32) -> RoomState {
        RoomState::new("ABCDEF".into(), [0; 32], capacity, Instant::now())
    }

    fn report(exercise: &str, compiled: bool, tests: &[(&str, bool)]) -> ExerciseReport {
        ExerciseReport {
            exercise: exercise.into(),
            compiled,
            tests: tests
                .iter()
                .map(|(name, passed)| TestOutcome {
                    name: (*name).into(),
                    passed: *passed,
                })
                .collect(),
        }
    }

    #[test]
    fn capacity_counts_browsers_not_sockets() {
        let mut room = room(2);
        let now = Instant::now();
        room.join_student("a", None, now).unwrap();
        room.join_student("a", None, now).unwrap();
        room.join_student("b", Some("Bea".into()), now).unwrap();
        assert_eq!(room.join_student("c", None, now), Err(Full));
        // A known browser may always come back.
        assert!(room.join_student("b", None, now).is_ok());
        room.leave_student("a");
        assert_eq!(room.students(), 2, "one of a's two sockets is still open");
        room.leave_student("a");
        assert!(room.join_student("c", None, now).is_ok());
    }

    #[test]
    fn the_dashboard_counts_students_once_for_the_current_exercise() {
        let mut room = room(10);
        let now = Instant::now();
        room.join_student("a", None, now).unwrap();
        room.join_student("b", None, now).unwrap();
        let goto = Change::Goto {
            position: Position::default(),
            exercise: Some(ExerciseRef {
                id: "ex".into(),
                title: "Exercise: a counter".into(),
            }),
        };
        room.apply(goto, now, 0);
        let student = |s: &str, r| Change::Report {
            student: s.into(),
            report: r,
        };
        room.apply(student("a", report("ex", false, &[])), now, 0);
        room.apply(
            student("a", report("ex", true, &[("t1", true), ("t2", false)])),
            now,
            0,
        );
        room.apply(student("a", report("ex", true, &[("t1", true)])), now, 0);
        let events = room.apply(student("b", report("ex", true, &[("t2", true)])), now, 0);
        assert_eq!(events.len(), 1, "the current exercise's dashboard is sent");
        room.apply(student("b", report("other", true, &[("t1", true)])), now, 0);
        let dashboard = room.dashboard();
        assert_eq!(
            (dashboard.students, dashboard.ran, dashboard.compiled),
            (2, 2, 2)
        );
        assert_eq!(
            dashboard.tests,
            vec![
                TestTally {
                    name: "t1".into(),
                    passed: 1
                },
                TestTally {
                    name: "t2".into(),
                    passed: 1
                }
            ]
        );
    }

    #[test]
    fn the_presenters_deck_goes_to_teachers_only_and_is_kept_for_the_next_device() {
        let mut room = room(10);
        assert_eq!(room.presenter(), None);
        let state = PresenterState {
            chapter: "c".into(),
            blank: true,
            clock_started_ms: 42,
        };
        let events = room.apply(Change::Presenter(state.clone()), Instant::now(), 0);
        assert_eq!(
            events,
            vec![Event::teachers(RoomServerMessage::Presenter {
                state: state.clone()
            })]
        );
        assert_eq!(room.presenter(), Some(state));
    }

    #[test]
    fn a_snapshot_keeps_the_latest_push_per_block_and_each_unlock_once() {
        let mut room = room(10);
        let now = Instant::now();
        for (block, code) in [("b1", "one"), ("b2", "two"), ("b1", "three")] {
            room.apply(
                Change::Push {
                    block: block.into(),
                    code: code.into(),
                },
                now,
                0,
            );
        }
        let unlock = Change::Unlock {
            exercise: "ex".into(),
            what: Unlock::Hints,
        };
        assert_eq!(room.apply(unlock.clone(), now, 0).len(), 1);
        assert!(room.apply(unlock, now, 0).is_empty(), "already open");
        let snapshot = room.snapshot();
        let pushes: Vec<_> = snapshot
            .pushes
            .iter()
            .map(|p| (p.block.as_str(), p.code.as_str(), p.seq))
            .collect();
        assert_eq!(pushes, vec![("b2", "two", 2), ("b1", "three", 3)]);
        assert_eq!(snapshot.unlocked.len(), 1);
    }
}
