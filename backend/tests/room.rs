//! The live room over real HTTP and real WebSockets: a served app, a teacher and students.

use std::net::SocketAddr;

use api_types::ApiError;
use api_types::room::{
    Closing, ExerciseRef, ExerciseReport, PhoneConsole, PhoneConsoleRequest, Position,
    PresenterState, Role, RoomClientMessage, RoomCreated, RoomInfo, RoomServerMessage, TestOutcome,
    parse_phone_fragment,
};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use backend::room::{RoomLimits, Rooms};
use backend::{AppState, Runner};
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite::Message;

mod common;
use common::{Ws, send};

struct Fixture {
    _dir: tempfile::TempDir,
    state: AppState,
}

fn fixture(limits: RoomLimits) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    common::basics_course(&dir.path().join("content"));
    let mut state = common::state(dir.path(), Runner::unavailable("no sandbox in these tests"));
    state.rooms = Rooms::in_memory(limits);
    Fixture { _dir: dir, state }
}

async fn create(state: &AppState) -> RoomCreated {
    let request = Request::post("/api/rooms")
        .header("host", "class.example:8080")
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(state, request).await;
    assert_eq!(status, StatusCode::CREATED);
    serde_json::from_slice(&body).unwrap()
}

async fn join(addr: SocketAddr, code: &str, first: RoomClientMessage) -> Ws {
    let mut ws = tokio_tungstenite::connect_async(format!("ws://{addr}/api/rooms/{code}/ws"))
        .await
        .unwrap()
        .0;
    say(&mut ws, &first).await;
    ws
}

fn student(n: u32) -> RoomClientMessage {
    RoomClientMessage::JoinStudent {
        student: format!("browser-{n:04}"),
        name: Some(format!("Student {n}")),
    }
}

async fn say(ws: &mut Ws, message: &RoomClientMessage) {
    common::say_json(ws, message).await;
}

/// The next room message (within 10 s).
async fn hear(ws: &mut Ws) -> RoomServerMessage {
    common::hear_json(ws).await
}

/// Skips messages until one `pick` accepts.
async fn hear_until<T>(ws: &mut Ws, mut pick: impl FnMut(RoomServerMessage) -> Option<T>) -> T {
    loop {
        if let Some(found) = pick(hear(ws).await) {
            return found;
        }
    }
}

#[tokio::test]
async fn a_room_is_opened_found_drawn_and_a_wrong_code_is_a_json_404() {
    let f = fixture(RoomLimits::default());
    let room = create(&f.state).await;
    assert_eq!(room.code.len(), 6);
    assert_eq!(
        room.join_url,
        format!("http://class.example:8080/join/{}", room.code)
    );
    assert_eq!(room.teacher_secret.len(), 64);

    let lower = room.code.to_lowercase();
    let (status, _, body) = send(
        &f.state,
        Request::get(format!("/api/rooms/{lower}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "codes are read in any case");
    let info: RoomInfo = serde_json::from_slice(&body).unwrap();
    assert_eq!((info.code.as_str(), info.students), (room.code.as_str(), 0));

    for wrong in ["ZZZZZZ", "O0I1O0", "short", "%3Cscript%3E"] {
        let (status, headers, body) = send(
            &f.state,
            Request::get(format!("/api/rooms/{wrong}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{wrong}");
        assert_eq!(headers["content-type"], "application/json");
        let error: ApiError = serde_json::from_slice(&body).unwrap();
        assert!(error.error.contains("no class session"), "{}", error.error);
    }

    let (status, headers, body) = send(
        &f.state,
        Request::get(&room.qr_url)
            .header("host", "class.example:8080")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/svg+xml");
    let svg = String::from_utf8(body).unwrap();
    assert_eq!(
        svg,
        backend::room::qr_svg(&room.join_url).unwrap(),
        "the QR code is the join address's"
    );

    // A Host header too long for any QR code is the client's error, answered in words.
    let long_host = format!("{}.example", "a".repeat(4000));
    let (status, headers, body) = send(
        &f.state,
        Request::get(&room.qr_url)
            .header("host", long_host)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers["content-type"], "application/json");
    let error: ApiError = serde_json::from_slice(&body).unwrap();
    assert!(
        error.error.contains("too long for a QR code"),
        "{}",
        error.error
    );
}

#[tokio::test]
async fn students_follow_the_teacher_and_a_forged_teacher_message_is_refused() {
    let f = fixture(RoomLimits::default());
    let room = create(&f.state).await;
    let addr = common::serve(f.state.clone()).await;

    let wrong = RoomClientMessage::JoinTeacher {
        secret: "0".repeat(64),
    };
    let mut impostor = join(addr, &room.code, wrong).await;
    match hear(&mut impostor).await {
        RoomServerMessage::Closed { why, .. } => assert_eq!(why, Closing::NotTeacher),
        other => panic!("expected a refusal, got {other:?}"),
    }

    let secret = RoomClientMessage::JoinTeacher {
        secret: room.teacher_secret.clone(),
    };
    let mut teacher = join(addr, &room.code, secret).await;
    assert!(matches!(
        hear(&mut teacher).await,
        RoomServerMessage::Welcome {
            role: Role::Teacher,
            ..
        }
    ));
    let mut ada = join(addr, &room.code, student(1)).await;
    let mut bob = join(addr, &room.code, student(2)).await;
    for ws in [&mut ada, &mut bob] {
        assert!(matches!(
            hear(ws).await,
            RoomServerMessage::Welcome {
                role: Role::Student,
                ..
            }
        ));
    }
    let last = hear_until(&mut teacher, |message| match message {
        RoomServerMessage::StudentJoined { count: 2, student } => Some(student),
        _ => None,
    })
    .await;
    assert_eq!(last.name.as_deref(), Some("Student 2"));
    // A teacher joining now hears the whole roster at once.
    let mut second = join(
        addr,
        &room.code,
        RoomClientMessage::JoinTeacher {
            secret: room.teacher_secret.clone(),
        },
    )
    .await;
    let roster = hear_until(&mut second, |message| match message {
        RoomServerMessage::Roster { students, .. } => Some(students),
        _ => None,
    })
    .await;
    assert_eq!(roster.iter().map(|s| s.id).collect::<Vec<_>>(), vec![1, 2]);

    // Bob forges a move: refused to him, unheard by the others.
    let forged = RoomClientMessage::Goto {
        position: Position {
            chapter: "first".into(),
            slide: 7,
            anchor: "forged".into(),
        },
        exercise: None,
    };
    say(&mut bob, &forged).await;
    match hear(&mut bob).await {
        RoomServerMessage::Refused { reason } => assert!(reason.contains("teacher"), "{reason}"),
        other => panic!("expected a refusal, got {other:?}"),
    }

    let position = Position {
        chapter: "first".into(),
        slide: 1,
        anchor: "second-heading".into(),
    };
    let goto = RoomClientMessage::Goto {
        position: position.clone(),
        exercise: Some(ExerciseRef {
            id: "ex-1".into(),
            title: "Exercise: adding".into(),
        }),
    };
    say(&mut teacher, &goto).await;
    for ws in [&mut ada, &mut bob] {
        match hear(ws).await {
            RoomServerMessage::Goto {
                position: heard, ..
            } => assert_eq!(heard, position, "the teacher's move, not the forged one"),
            other => panic!("expected the move, got {other:?}"),
        }
    }

    // Ada passes a test: the teacher's dashboard counts it.
    let report = RoomClientMessage::Report {
        report: ExerciseReport {
            exercise: "ex-1".into(),
            compiled: true,
            tests: vec![TestOutcome {
                name: "adds".into(),
                passed: true,
            }],
        },
    };
    say(&mut ada, &report).await;
    let dashboard = hear_until(&mut teacher, |message| match message {
        RoomServerMessage::Dashboard { dashboard } if dashboard.ran == 1 => Some(dashboard),
        _ => None,
    })
    .await;
    let exercise = dashboard.exercise.expect("the exercise on the screen");
    assert_eq!(
        (exercise.id.as_str(), exercise.title.as_str()),
        ("ex-1", "Exercise: adding")
    );
    assert_eq!((dashboard.students, dashboard.compiled), (2, 1));
    assert_eq!(dashboard.tests[0].passed, 1);

    // A latecomer catches up from the snapshot.
    let mut late = join(addr, &room.code, student(3)).await;
    match hear(&mut late).await {
        RoomServerMessage::Welcome { snapshot, .. } => {
            assert_eq!(snapshot.position, Some(position))
        }
        other => panic!("expected a welcome, got {other:?}"),
    }
}

#[tokio::test]
async fn a_full_room_says_so_and_a_flooding_socket_is_closed() {
    let f = fixture(RoomLimits {
        capacity: 1,
        ..RoomLimits::default()
    });
    let room = create(&f.state).await;
    let addr = common::serve(f.state.clone()).await;
    let mut first = join(addr, &room.code, student(1)).await;
    assert!(matches!(
        hear(&mut first).await,
        RoomServerMessage::Welcome { .. }
    ));
    let mut second = join(addr, &room.code, student(2)).await;
    match hear(&mut second).await {
        RoomServerMessage::Closed { why, message } => {
            assert_eq!(why, Closing::Full);
            assert!(message.contains("full (1 students)"), "{message}");
        }
        other => panic!("expected the room to be full, got {other:?}"),
    }

    // A student's socket sending far more than its share is closed, with the reason.
    let report = RoomClientMessage::Report {
        report: ExerciseReport {
            exercise: "ex".into(),
            compiled: false,
            tests: Vec::new(),
        },
    };
    for _ in 0..(RoomLimits::default().message_burst + 10) {
        if first
            .send(Message::text(serde_json::to_string(&report).unwrap()))
            .await
            .is_err()
        {
            break;
        }
    }
    let why = hear_until(&mut first, |message| match message {
        RoomServerMessage::Closed { why, .. } => Some(why),
        _ => None,
    })
    .await;
    assert_eq!(why, Closing::TooMuch);

    // A socket to a room that does not exist is refused before the upgrade.
    let error = tokio_tungstenite::connect_async(format!("ws://{addr}/api/rooms/ZZZZZZ/ws"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("404"), "{error}");
}

/// The next move a socket hears, and its number.
async fn moved(ws: &mut Ws) -> (Position, u64) {
    hear_until(ws, |message| match message {
        RoomServerMessage::Goto { position, seq, .. } => Some((position, seq)),
        _ => None,
    })
    .await
}

fn teacher(room: &RoomCreated) -> RoomClientMessage {
    RoomClientMessage::JoinTeacher {
        secret: room.teacher_secret.clone(),
    }
}

fn presenter(blank: bool, clock_started_ms: u64) -> PresenterState {
    PresenterState {
        chapter: "first".into(),
        blank,
        clock_started_ms,
    }
}

/// The teacher's laptop and phone: either moves the deck and the other hears it, the blank
/// screen and the clock reach the teacher's devices (and a device joining later) but no student,
/// and a student cannot move or blank the deck.
#[tokio::test]
async fn a_second_teacher_device_moves_the_deck_and_students_cannot() {
    let f = fixture(RoomLimits::default());
    let room = create(&f.state).await;
    let addr = common::serve(f.state.clone()).await;
    let mut laptop = join(addr, &room.code, teacher(&room)).await;
    assert!(matches!(
        hear(&mut laptop).await,
        RoomServerMessage::Welcome {
            role: Role::Teacher,
            presenter: None,
            ..
        }
    ));
    let mut phone = join(addr, &room.code, teacher(&room)).await;
    assert!(matches!(
        hear(&mut phone).await,
        RoomServerMessage::Welcome {
            role: Role::Teacher,
            ..
        }
    ));
    let mut ada = join(addr, &room.code, student(1)).await;
    assert!(matches!(
        hear(&mut ada).await,
        RoomServerMessage::Welcome {
            role: Role::Student,
            presenter: None,
            ..
        }
    ));

    // The phone moves: the laptop and the student hear the same numbered move.
    let position = |slide: u32| Position {
        chapter: "first".into(),
        slide,
        anchor: format!("slide-{slide}"),
    };
    say(
        &mut phone,
        &RoomClientMessage::Goto {
            position: position(2),
            exercise: None,
        },
    )
    .await;
    let (heard, seq) = moved(&mut laptop).await;
    assert_eq!(heard, position(2));
    assert_eq!(moved(&mut ada).await, (position(2), seq));
    assert_eq!(
        moved(&mut phone).await,
        (position(2), seq),
        "the mover hears its own move"
    );

    // The laptop moves back: the phone follows.
    say(
        &mut laptop,
        &RoomClientMessage::Goto {
            position: position(1),
            exercise: None,
        },
    )
    .await;
    assert_eq!(moved(&mut phone).await, (position(1), seq + 1));

    // The laptop blanks the deck: the phone hears it, the student does not.
    say(
        &mut laptop,
        &RoomClientMessage::Presenter {
            state: presenter(true, 1_000),
        },
    )
    .await;
    let blanked = hear_until(&mut phone, |message| match message {
        RoomServerMessage::Presenter { state } => Some(state),
        _ => None,
    })
    .await;
    assert_eq!(blanked, presenter(true, 1_000));

    // A student forging the deck's messages is refused, and nobody moves.
    for forged in [
        RoomClientMessage::Presenter {
            state: presenter(false, 0),
        },
        RoomClientMessage::Goto {
            position: position(9),
            exercise: None,
        },
    ] {
        say(&mut ada, &forged).await;
        let reason = hear_until(&mut ada, |message| match message {
            RoomServerMessage::Refused { reason } => Some(reason),
            RoomServerMessage::Presenter { .. } => panic!("a student heard the presenter's deck"),
            _ => None,
        })
        .await;
        assert!(reason.contains("only the teacher"), "{reason}");
    }
    // The next thing the teacher's devices hear is the laptop's next move, not a forged one.
    say(
        &mut laptop,
        &RoomClientMessage::Goto {
            position: position(3),
            exercise: None,
        },
    )
    .await;
    assert_eq!(moved(&mut phone).await, (position(3), seq + 2));
    // Ada hears moves up to that one (the move back may come before or after her refusals),
    // never the forged one.
    loop {
        let (heard, _) = moved(&mut ada).await;
        assert_ne!(heard, position(9), "a forged move went out");
        if heard == position(3) {
            break;
        }
    }

    // A device that reloads finds the deck where it is, blank screen and clock included.
    drop(phone);
    let mut phone = join(addr, &room.code, teacher(&room)).await;
    match hear(&mut phone).await {
        RoomServerMessage::Welcome {
            snapshot,
            presenter: shared,
            ..
        } => {
            assert_eq!(snapshot.position, Some(position(3)));
            assert_eq!(shared, Some(presenter(true, 1_000)));
        }
        other => panic!("expected a welcome, got {other:?}"),
    }

    // A wrong secret gets no socket.
    let mut impostor = join(
        addr,
        &room.code,
        RoomClientMessage::JoinTeacher {
            secret: "0".repeat(64),
        },
    )
    .await;
    match hear(&mut impostor).await {
        RoomServerMessage::Closed { why, .. } => assert_eq!(why, Closing::NotTeacher),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn ask_phone(state: &AppState, code: &str, body: &str) -> (StatusCode, Vec<u8>, String) {
    let request = Request::post(format!("/api/rooms/{code}/phone"))
        .header("host", "class.example:8080")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    let (status, headers, body) = send(state, request).await;
    let cache = headers
        .get("cache-control")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, body, cache)
}

/// The phone's console address carries the room and the secret in its fragment, is drawn as a
/// QR code, is never cached, and only the teacher gets it.
#[tokio::test]
async fn the_teacher_gets_the_phone_console_address_and_nobody_else_does() {
    let f = fixture(RoomLimits::default());
    let room = create(&f.state).await;
    let asked = |secret: &str, chapter: &str| {
        serde_json::to_string(&PhoneConsoleRequest {
            secret: secret.into(),
            chapter: chapter.into(),
        })
        .unwrap()
    };
    let (status, body, cache) =
        ask_phone(&f.state, &room.code, &asked(&room.teacher_secret, "first")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cache, "no-store");
    let phone: PhoneConsole = serde_json::from_slice(&body).unwrap();
    let (address, fragment) = phone.url.split_once('#').unwrap();
    assert_eq!(address, "http://class.example:8080/present/first/console");
    assert!(!address.contains(&room.teacher_secret));
    assert_eq!(
        parse_phone_fragment(fragment),
        Some((room.code.clone(), room.teacher_secret.clone()))
    );
    assert!(phone.qr_svg.starts_with("<?xml") || phone.qr_svg.contains("<svg"));
    assert_eq!(phone.qr_svg, backend::room::qr_svg(&phone.url).unwrap());

    let (status, body, _) = ask_phone(&f.state, &room.code, &asked(&"0".repeat(64), "first")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let error: ApiError = serde_json::from_slice(&body).unwrap();
    assert!(
        error.error.contains("secret did not match"),
        "{}",
        error.error
    );

    for (body, says) in [
        (asked(&room.teacher_secret, "../admin"), "slug"),
        ("not json".to_owned(), "not a phone console request"),
        ("x".repeat(5000), "larger"),
    ] {
        let (status, body, _) = ask_phone(&f.state, &room.code, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{says}");
        let error: ApiError = serde_json::from_slice(&body).unwrap();
        assert!(error.error.contains(says), "{}", error.error);
    }
    let (status, _, _) = ask_phone(&f.state, "ZZZZZZ", &asked(&room.teacher_secret, "first")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
