//! The live classroom (issue 11): a teacher opens a room with `POST /api/rooms`, students join it
//! by its short code, and everyone talks over one WebSocket per participant at
//! `/api/rooms/{code}/ws`. These are the messages on that socket and the HTTP answers around it.
//!
//! The first message a socket sends says who it is ([`RoomClientMessage::JoinStudent`] or
//! [`RoomClientMessage::JoinTeacher`], the latter with the secret that only the teacher's browser
//! holds); the server answers [`RoomServerMessage::Welcome`] with a snapshot of the room, then
//! streams what changes. Everything a student sends is data (names are plain text, never markup).

use serde::{Deserialize, Serialize};

/// Room codes are this many characters of [`ROOM_CODE_ALPHABET`].
pub const ROOM_CODE_LEN: usize = 6;
/// Upper-case letters and digits without the look-alikes `0`/`O` and `1`/`I`: a code read off a
/// projector is typed right the first time. 32 symbols, so a code holds 30 bits.
pub const ROOM_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// A display name, in characters (longer ones are cut).
pub const MAX_NAME_CHARS: usize = 40;
/// Chapter slugs, anchors, block and exercise ids and test names, in bytes.
pub const MAX_ID_BYTES: usize = 200;
/// The code in one push, in bytes (a share's limit: one block, not a project).
pub const MAX_PUSH_BYTES: usize = 64 * 1024;
/// Test results in one report.
pub const MAX_REPORTED_TESTS: usize = 100;

/// A room code typed by a person, made canonical: surrounding space dropped, lower case raised.
/// `None` when it cannot be a code (wrong length or a character outside the alphabet).
pub fn normalize_room_code(typed: &str) -> Option<String> {
    let code: String = typed
        .trim()
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == ROOM_CODE_LEN && code.bytes().all(|b| ROOM_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// A display name as the teacher will see it: control characters removed, space collapsed, cut
/// to [`MAX_NAME_CHARS`]; `None` when nothing is left.
pub fn clean_name(name: &str) -> Option<String> {
    let cleaned: String = name
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

/// The answer to `POST /api/rooms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomCreated {
    pub code: String,
    /// The students' address, `<origin>/join/<code>`.
    pub join_url: String,
    /// The teacher's credential: kept in the teacher's browser (localStorage, by room code) and
    /// sent only as the first message on the socket or in a POST body, never in an address the
    /// server sees (a phone's console address carries it in the fragment, which stays in the
    /// browser).
    pub teacher_secret: String,
    /// An SVG QR code of `join_url`, large enough to project.
    pub qr_url: String,
}

/// The answer to `GET /api/rooms/{code}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomInfo {
    pub code: String,
    pub students: u32,
    pub capacity: u32,
}

/// Where the teacher is: a chapter, the slide's index in it and the element id on the reading
/// page (`/learn/<chapter>#<anchor>`) where that slide starts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Position {
    pub chapter: String,
    pub slide: u32,
    pub anchor: String,
}

/// What the teacher can open for the whole room on an exercise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Unlock {
    Hints,
    Solution,
}

/// An exercise as the room names it: its stable id (what reports and unlocks use) and the title
/// the teacher's pages show (the slide it is on).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExerciseRef {
    pub id: String,
    pub title: String,
}

/// The presenter's deck beyond its place (the place is [`Position`], which students follow):
/// whether the projector is blanked and when the session's clock started. Shared only among the
/// teacher's own devices (the projector, the console, a phone), so that each shows the same
/// blank screen and the same session time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenterState {
    /// The chapter presented (a device presenting another chapter ignores it).
    pub chapter: String,
    pub blank: bool,
    /// When the session's clock started, in Unix milliseconds of the device that started it.
    pub clock_started_ms: u64,
}

/// The body of `POST /api/rooms/{code}/phone`: the teacher's secret proves the asker is the
/// teacher, and the chapter names the console to open on the phone. A POST, so that the secret
/// never appears in an address (nor in a log).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneConsoleRequest {
    pub secret: String,
    pub chapter: String,
}

/// The answer: the console's address for the phone, with the room's code and the teacher's
/// secret in its *fragment* (which a browser never sends to the server), and its QR code as SVG.
/// Both are a credential: whoever scans or copies them can teach the room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhoneConsole {
    pub url: String,
    pub qr_svg: String,
}

/// The fragment of a phone console's address: `room=<code>&secret=<secret>`.
pub fn phone_fragment(code: &str, secret: &str) -> String {
    format!("room={code}&secret={secret}")
}

/// The room code and secret in a phone console's fragment (with or without its `#`); `None`
/// when it is not one (a reading page's heading anchor, a mangled copy).
pub fn parse_phone_fragment(fragment: &str) -> Option<(String, String)> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let (mut code, mut secret) = (None, None);
    for pair in fragment.split('&') {
        match pair.split_once('=') {
            Some(("room", value)) => code = normalize_room_code(value),
            Some(("secret", value))
                if value.len() == TEACHER_SECRET_LEN
                    && value.bytes().all(|b| b.is_ascii_hexdigit()) =>
            {
                secret = Some(value.to_ascii_lowercase())
            }
            _ => {}
        }
    }
    Some((code?, secret?))
}

/// A teacher's secret is this many hex digits.
pub const TEACHER_SECRET_LEN: usize = 64;

/// Who a socket speaks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Role {
    Teacher,
    Student,
}

/// One test's result in a student's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestOutcome {
    pub name: String,
    pub passed: bool,
}

/// What a student's run of an exercise came to. Sent by the student's page when a run or a test
/// run finishes; the dashboard counts students, never shows who.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExerciseReport {
    pub exercise: String,
    pub compiled: bool,
    #[serde(default)]
    pub tests: Vec<TestOutcome>,
}

/// Messages from a participant's page to the room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RoomClientMessage {
    /// First message of a student's socket. `student` is the browser's own random id, so a
    /// reconnecting student is counted once; `name` is shown only to the teacher.
    JoinStudent {
        student: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// First message of the teacher's socket (the console, the dashboard: any number of them).
    JoinTeacher { secret: String },
    /// Teacher: students follow to this position; `exercise` is the one on it (the dashboard's).
    /// The teacher's other devices hear it too and move their decks.
    Goto {
        position: Position,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exercise: Option<ExerciseRef>,
    },
    /// Teacher: the deck was blanked or shown, or its clock restarted; relayed to the teacher's
    /// other devices only.
    Presenter { state: PresenterState },
    /// Teacher: put this code into every student's editor for this block.
    Push { block: String, code: String },
    /// Teacher: open the hints or the solution of an exercise for everyone.
    Unlock { exercise: String, what: Unlock },
    /// Student: a run or test run of an exercise finished.
    Report { report: ExerciseReport },
}

impl RoomClientMessage {
    /// Whether only a teacher may send this.
    pub fn is_teachers(&self) -> bool {
        matches!(
            self,
            RoomClientMessage::Goto { .. }
                | RoomClientMessage::Presenter { .. }
                | RoomClientMessage::Push { .. }
                | RoomClientMessage::Unlock { .. }
        )
    }
}

/// Code the teacher pushed, numbered so that a page applies each push once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pushed {
    pub seq: u64,
    pub block: String,
    pub code: String,
}

/// An exercise opened for the room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unlocked {
    pub exercise: String,
    pub what: Unlock,
}

/// The room as a newcomer (or a dropped follower coming back) needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomSnapshot {
    pub code: String,
    /// `None` until the teacher first moves.
    pub position: Option<Position>,
    /// Numbers the position: it grows with every move, so a page can tell old from new.
    pub position_seq: u64,
    pub unlocked: Vec<Unlocked>,
    /// The latest push per block (the newest few blocks only).
    pub pushes: Vec<Pushed>,
}

/// A connected student as the teacher sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RosterEntry {
    /// Numbers the student within the room (not their browser id, which stays private).
    pub id: u32,
    /// Plain text: the page sets it as text, never as markup.
    pub name: Option<String>,
}

/// How many students passed one test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TestTally {
    pub name: String,
    pub passed: u32,
}

/// The class dashboard for the teacher's current exercise: counts of students, never names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub exercise: Option<ExerciseRef>,
    /// Students connected now.
    pub students: u32,
    /// Students who ran or tested it at least once.
    pub ran: u32,
    /// Students whose code compiled at least once.
    pub compiled: u32,
    /// Each test seen in a report, in the order first seen.
    pub tests: Vec<TestTally>,
}

/// Why the room closed a socket or refused to let it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Closing {
    /// No such room, or it expired.
    UnknownRoom,
    /// The room has as many students as it takes.
    Full,
    /// The teacher's secret did not match.
    NotTeacher,
    /// The first message was not a join, or did not come in time.
    NoJoin,
    /// Too many messages or bytes from this socket.
    TooMuch,
    /// This page fell behind the room; it should reconnect (it gets a fresh snapshot).
    FellBehind,
    /// The room expired after being idle.
    Expired,
}

/// Messages from the room to a participant's page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RoomServerMessage {
    /// The answer to a join: who you are here and the room as it is now.
    Welcome {
        role: Role,
        snapshot: RoomSnapshot,
        /// Teachers only: the presenter's deck, once a teacher's device has shared it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        presenter: Option<PresenterState>,
    },
    /// The teacher moved. `sentAtMs` is the server's clock (Unix ms) when it relayed the move.
    Goto {
        position: Position,
        seq: u64,
        sent_at_ms: u64,
    },
    Push {
        push: Pushed,
    },
    Unlocked {
        unlocked: Unlocked,
    },
    /// Teachers only, when a teacher joins: who is in the room.
    Roster {
        count: u32,
        capacity: u32,
        students: Vec<RosterEntry>,
    },
    /// Teachers only: a student came in (or came back with another name: same `id`). One entry,
    /// not the whole roster again, so a class arriving together costs the teacher's page little.
    StudentJoined {
        count: u32,
        student: RosterEntry,
    },
    /// Teachers only: a student's last socket closed.
    StudentLeft {
        count: u32,
        id: u32,
    },
    /// Teachers only: another of the teacher's devices blanked the deck or restarted its clock.
    Presenter {
        state: PresenterState,
    },
    /// Teachers only: the class dashboard for the current exercise.
    Dashboard {
        dashboard: Dashboard,
    },
    /// A message was not accepted (the socket stays open): the reason, for a person.
    Refused {
        reason: String,
    },
    /// The socket is about to close: why, and what to do.
    Closed {
        why: Closing,
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_normalized_and_look_alikes_refused() {
        assert_eq!(normalize_room_code(" abc-def "), Some("ABCDEF".into()));
        assert_eq!(normalize_room_code("abcdeF"), Some("ABCDEF".into()));
        assert_eq!(normalize_room_code("ABC DEF"), Some("ABCDEF".into()));
        assert_eq!(normalize_room_code("ABCDE0"), None);
        assert_eq!(normalize_room_code("ABCDEI"), None);
        assert_eq!(normalize_room_code("ABCDE"), None);
        assert_eq!(normalize_room_code("ABCDEFG"), None);
    }

    #[test]
    fn names_are_cleaned_and_cut() {
        assert_eq!(
            clean_name("  Ada \n\t Lovelace "),
            Some("Ada Lovelace".into())
        );
        assert_eq!(clean_name(" \u{7} "), None);
        assert_eq!(clean_name(&"x".repeat(100)).unwrap().len(), MAX_NAME_CHARS);
        // Markup stays text: escaping is the page's job, and it sets names as text.
        assert_eq!(clean_name("<b>hi</b>"), Some("<b>hi</b>".into()));
    }

    #[test]
    fn a_phone_fragment_round_trips_and_anything_else_is_not_one() {
        let secret = "ab".repeat(32);
        let fragment = phone_fragment("K7QX3M", &secret);
        assert_eq!(
            parse_phone_fragment(&format!("#{fragment}")),
            Some(("K7QX3M".into(), secret.clone()))
        );
        assert_eq!(
            parse_phone_fragment(&fragment),
            Some(("K7QX3M".into(), secret.clone()))
        );
        // Order does not matter; unknown keys are skipped.
        assert_eq!(
            parse_phone_fragment(&format!("secret={secret}&x=1&room=k7qx3m")),
            Some(("K7QX3M".into(), secret.clone()))
        );
        assert_eq!(parse_phone_fragment("#the-heading"), None);
        assert_eq!(parse_phone_fragment("room=K7QX3M"), None);
        assert_eq!(
            parse_phone_fragment(&format!("room=K7QX3M&secret={}", "ab".repeat(31))),
            None
        );
        assert_eq!(
            parse_phone_fragment(&format!("room=K7QX3M&secret={}", "zz".repeat(32))),
            None
        );
        assert_eq!(
            parse_phone_fragment(&format!("room=O0O0O0&secret={secret}")),
            None
        );
    }

    #[test]
    fn the_presenter_message_is_a_teachers() {
        let state = PresenterState {
            chapter: "c".into(),
            blank: true,
            clock_started_ms: 5,
        };
        let message = RoomClientMessage::Presenter {
            state: state.clone(),
        };
        assert!(message.is_teachers());
        assert_eq!(
            serde_json::to_string(&message).unwrap(),
            r#"{"type":"presenter","state":{"chapter":"c","blank":true,"clockStartedMs":5}}"#
        );
        let json = r#"{"type":"welcome","role":"student","snapshot":{"code":"K7QX3M","position":null,"positionSeq":0,"unlocked":[],"pushes":[]}}"#;
        assert!(matches!(
            serde_json::from_str::<RoomServerMessage>(json).unwrap(),
            RoomServerMessage::Welcome {
                presenter: None,
                ..
            }
        ));
    }

    #[test]
    fn messages_are_tagged_in_camel_case() {
        let json = serde_json::to_string(&RoomClientMessage::Unlock {
            exercise: "ex".into(),
            what: Unlock::Solution,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"type":"unlock","exercise":"ex","what":"solution"}"#
        );
        let json = serde_json::to_string(&RoomServerMessage::Goto {
            position: Position {
                chapter: "c".into(),
                slide: 2,
                anchor: "a".into(),
            },
            seq: 3,
            sent_at_ms: 4,
        })
        .unwrap();
        assert_eq!(
            json,
            r#"{"type":"goto","position":{"chapter":"c","slide":2,"anchor":"a"},"seq":3,"sentAtMs":4}"#
        );
    }
}
