//! The hub's rules, without sockets: roles, bounds, expiry and slow followers.

use api_types::room::{Position, RoomServerMessage, Unlock};

use super::*;

fn limits() -> RoomLimits {
    RoomLimits {
        capacity: 3,
        max_rooms: 2,
        follower_buffer: 8,
        ..RoomLimits::default()
    }
}

fn student(n: u32) -> RoomClientMessage {
    RoomClientMessage::JoinStudent {
        student: format!("browser-{n:04}"),
        name: Some(format!("Student {n}")),
    }
}

fn goto(slide: u32) -> RoomClientMessage {
    RoomClientMessage::Goto {
        position: Position {
            chapter: "ownership".into(),
            slide,
            anchor: format!("s{slide}"),
        },
        exercise: None,
    }
}

async fn next(feed: &mut Feed) -> RoomServerMessage {
    let json = tokio::time::timeout(Duration::from_secs(5), feed.next())
        .await
        .expect("a message")
        .expect("the feed is open");
    serde_json::from_str(&json).unwrap()
}

#[tokio::test]
async fn a_teacher_needs_the_secret_and_a_student_cannot_send_a_teachers_message() {
    let rooms = Rooms::in_memory(limits());
    let room = rooms.create().await.unwrap();
    let wrong = RoomClientMessage::JoinTeacher {
        secret: "guess".into(),
    };
    assert_eq!(
        rooms.join(&room.code, wrong).await.err(),
        Some(RoomError::NotTeacher)
    );
    let (pupil, mut pupil_joined) = rooms.join(&room.code, student(1)).await.unwrap();
    assert_eq!(pupil.role, Role::Student);
    for forged in [
        goto(9),
        RoomClientMessage::Push {
            block: "b".into(),
            code: "fn main() {}".into(),
        },
        RoomClientMessage::Unlock {
            exercise: "e".into(),
            what: Unlock::Solution,
        },
    ] {
        assert_eq!(
            rooms.handle(&pupil, forged).await,
            Err(Refusal::TeachersOnly)
        );
    }
    let teacher = RoomClientMessage::JoinTeacher {
        secret: room.secret.clone(),
    };
    let (teacher, _) = rooms.join(&room.code, teacher).await.unwrap();
    rooms.handle(&teacher, goto(1)).await.unwrap();
    // The forged moves never reached the room: the first move the student hears is the teacher's.
    match next(&mut pupil_joined.feed).await {
        RoomServerMessage::Goto { position, seq, .. } => assert_eq!((position.slide, seq), (1, 1)),
        other => panic!("expected the teacher's move, got {other:?}"),
    }
    assert_eq!(
        rooms.handle(&teacher, student(2)).await,
        Err(Refusal::AlreadyJoined)
    );
}

#[tokio::test]
async fn rooms_students_and_sizes_are_bounded() {
    let rooms = Rooms::in_memory(limits());
    let room = rooms.create().await.unwrap();
    rooms.create().await.unwrap();
    assert_eq!(rooms.create().await.err(), Some(RoomError::TooManyRooms));
    let mut held = Vec::new();
    for n in 0..3 {
        held.push(rooms.join(&room.code, student(n)).await.unwrap());
    }
    assert_eq!(
        rooms.join(&room.code, student(3)).await.err(),
        Some(RoomError::Full(3))
    );
    assert!(RoomError::Full(3).to_string().contains("full"));
    // One leaves: there is room again.
    rooms.leave(&held.pop().unwrap().0).await;
    rooms.join(&room.code, student(3)).await.unwrap();

    let teacher = RoomClientMessage::JoinTeacher {
        secret: room.secret.clone(),
    };
    let (teacher, _) = rooms.join(&room.code, teacher).await.unwrap();
    let push = RoomClientMessage::Push {
        block: "b".into(),
        code: "x".repeat(MAX_PUSH_BYTES + 1),
    };
    assert!(matches!(
        rooms.handle(&teacher, push).await,
        Err(Refusal::TooLong { .. })
    ));
    let long_anchor = RoomClientMessage::Goto {
        position: Position {
            chapter: "c".into(),
            slide: 0,
            anchor: "a".repeat(MAX_ID_BYTES + 1),
        },
        exercise: None,
    };
    assert!(matches!(
        rooms.handle(&teacher, long_anchor).await,
        Err(Refusal::TooLong { .. })
    ));
    assert_eq!(
        rooms.join("NOPE22", student(9)).await.err(),
        Some(RoomError::Unknown)
    );
    let bad_browser = RoomClientMessage::JoinStudent {
        student: "<script>".into(),
        name: None,
    };
    assert_eq!(
        rooms.join(&room.code, bad_browser).await.err(),
        Some(RoomError::NoJoin)
    );
}

#[tokio::test]
async fn an_idle_room_expires_and_its_followers_are_told() {
    let rooms = Rooms::in_memory(limits());
    let room = rooms.create().await.unwrap();
    let (_, mut joined) = rooms.join(&room.code, student(1)).await.unwrap();
    let now = Instant::now();
    assert_eq!(rooms.expire_idle(now).await, 0, "not idle yet");
    assert_eq!(
        rooms
            .expire_idle(now + rooms.limits.idle + Duration::from_secs(1))
            .await,
        1
    );
    assert_eq!(joined.feed.next().await.err(), Some(Closing::Expired));
    assert_eq!(rooms.info(&room.code).await.err(), Some(RoomError::Unknown));
}

#[tokio::test]
async fn a_slow_follower_is_dropped_and_never_delays_the_room() {
    let rooms = Rooms::in_memory(limits());
    let room = rooms.create().await.unwrap();
    let teacher = RoomClientMessage::JoinTeacher {
        secret: room.secret.clone(),
    };
    let (teacher, _) = rooms.join(&room.code, teacher).await.unwrap();
    let (_, mut asleep) = rooms.join(&room.code, student(1)).await.unwrap();
    let (_, mut awake) = rooms.join(&room.code, student(2)).await.unwrap();
    // The teacher moves far more often than the buffer holds while one follower reads nothing:
    // every move is accepted at once (no await on any follower), and the reading one hears all.
    let moves = limits().follower_buffer as u32 * 4;
    for slide in 0..moves {
        rooms.handle(&teacher, goto(slide)).await.unwrap();
        match next(&mut awake.feed).await {
            RoomServerMessage::Goto { position, .. } => assert_eq!(position.slide, slide),
            other => panic!("expected a move, got {other:?}"),
        }
    }
    assert_eq!(asleep.feed.next().await.err(), Some(Closing::FellBehind));
    // Coming back, it catches up from a snapshot.
    let (_, again) = rooms.join(&room.code, student(1)).await.unwrap();
    assert_eq!(again.snapshot.position.unwrap().slide, moves - 1);
    assert_eq!(again.snapshot.position_seq, u64::from(moves));
}

#[tokio::test]
async fn teachers_hear_the_roster_and_students_do_not() {
    let rooms = Rooms::in_memory(limits());
    let room = rooms.create().await.unwrap();
    let teacher = RoomClientMessage::JoinTeacher {
        secret: room.secret.clone(),
    };
    let (_, mut teacher) = rooms.join(&room.code, teacher).await.unwrap();
    assert_eq!(teacher.teacher_view.len(), 2, "roster and dashboard");
    let (_, mut first) = rooms.join(&room.code, student(1)).await.unwrap();
    let name = RoomClientMessage::JoinStudent {
        student: "browser-0002".into(),
        name: Some("<img src=x onerror=alert(1)>\n".into()),
    };
    rooms.join(&room.code, name).await.unwrap();
    let mut names = Vec::new();
    while let Ok(Ok(json)) =
        tokio::time::timeout(Duration::from_millis(100), teacher.feed.next()).await
    {
        if let RoomServerMessage::StudentJoined { count, student } =
            serde_json::from_str(&json).unwrap()
        {
            assert_eq!(count as usize, names.len() + 1);
            names.push((student.id, student.name));
        }
    }
    assert_eq!(
        names,
        vec![
            (1, Some("Student 1".into())),
            (2, Some("<img src=x onerror=alert(1)>".into()))
        ],
        "one entry per newcomer; names kept as text (cut, control characters gone), the page \
         sets them as text"
    );
    // The same browser again (a second tab): nobody new.
    rooms.join(&room.code, student(1)).await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_millis(100), teacher.feed.next())
            .await
            .is_err(),
        "a second socket of a known browser changes nothing for the teacher"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(100), first.feed.next())
            .await
            .is_err(),
        "a student hears nothing of who joined"
    );
}

#[test]
fn codes_use_the_unambiguous_alphabet_and_qr_codes_draw() {
    for _ in 0..100 {
        let code = random_code();
        assert_eq!(
            api_types::room::normalize_room_code(&code).as_deref(),
            Some(code.as_str())
        );
    }
    assert_eq!(random_secret().len(), 64);
    let svg = qr_svg("http://localhost:8080/join/ABCDEF").unwrap();
    assert!(svg.contains("<svg") && svg.contains("<path"), "{svg}");
}
