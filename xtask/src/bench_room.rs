//! `cargo xtask bench-room`: a class following its teacher through the real server.
//!
//! One release `rmp-server` (its own port and data directory, empty content, no sandbox: the
//! room needs none) takes:
//!
//! 1. **Follow latency**: one room, a teacher and 200 simulated students, each a thread with its
//!    own WebSocket (as 200 browsers would have). The teacher moves 50 times, waiting for every
//!    student to hear a move before the next; each student notes when it heard it. Latency is
//!    from the teacher's send to a student's receipt, all 10 000 of them: p50, p99 and max.
//! 2. **Memory per room**: the server's resident set before and after opening 500 more empty
//!    rooms, and before and after the 200 students joined.
//!
//! A benchmark prints figures; only a harness failure makes the command fail.

use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use api_types::room::{Position, RoomClientMessage, RoomCreated, RoomServerMessage};
use tungstenite::{Message, WebSocket};

use crate::Repo;
use crate::bench::exchange;
use crate::cmd::{Failure, step};

const STUDENTS: usize = 200;
const MOVES: usize = 50;
const ROOMS: usize = 500;

type Socket = WebSocket<TcpStream>;

pub fn run(args: &[String]) -> Result<(), Failure> {
    if let Some(extra) = args.first() {
        return Err(Failure::new(format!(
            "bench-room takes no arguments, not `{extra}`"
        )));
    }
    let repo = Repo::locate()?;
    crate::build_release_server(&repo)?;
    let work = crate::cache_dir().join("bench-room");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(work.join("content"))
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", work.display())))?;
    let server = step("Starting rmp-server (release, no sandbox)", || {
        RoomServer::start(&repo, &work)
    })?;
    let result = measure(&server);
    server.stop();
    result
}

struct RoomServer {
    child: Child,
    addr: SocketAddr,
}

impl RoomServer {
    fn start(repo: &Repo, work: &Path) -> Result<RoomServer, Failure> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| Failure::new(format!("no free port: {e}")))?
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let child = Command::new(repo.target_dir.join("release/rmp-server"))
            .env("RMP_ADDR", addr.to_string())
            .env("RMP_CONTENT_DIR", work.join("content"))
            .env("RMP_SITE_DIR", work.join("site"))
            .env("RMP_DATA_DIR", work.join("data"))
            .env("RMP_SANDBOX", "none")
            .env("RMP_ROOM_MAX_ROOMS", (ROOMS + 10).to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| Failure::new(format!("cannot start rmp-server: {e}")))?;
        let server = RoomServer { child, addr };
        let until = Instant::now() + Duration::from_secs(30);
        while Instant::now() < until {
            if exchange(addr, "GET", "/api/health", &[], "").is_ok_and(|r| r.status == 200) {
                return Ok(server);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        server.stop();
        Err(Failure::new(
            "rmp-server did not answer /api/health within 30 s",
        ))
    }

    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    fn resident_mib(&self) -> Result<f64, Failure> {
        let path = format!("/proc/{}/status", self.child.id());
        let status = std::fs::read_to_string(&path)
            .map_err(|e| Failure::new(format!("cannot read {path}: {e}")))?;
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .ok_or_else(|| Failure::new(format!("{path} has no VmRSS line")))
    }
}

fn create_room(addr: SocketAddr) -> Result<RoomCreated, Failure> {
    let reply = exchange(addr, "POST", "/api/rooms", &[], "")
        .map_err(|e| Failure::new(format!("POST /api/rooms failed: {e}")))?;
    if reply.status != 201 {
        return Err(Failure::new(format!(
            "POST /api/rooms answered {}: {}",
            reply.status, reply.body
        )));
    }
    serde_json::from_str(&reply.body)
        .map_err(|e| Failure::new(format!("POST /api/rooms answered {e}: {}", reply.body)))
}

fn connect(addr: SocketAddr, code: &str, first: &RoomClientMessage) -> Result<Socket, String> {
    let stream = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let url = format!("ws://{addr}/api/rooms/{code}/ws");
    let (mut socket, _) = tungstenite::client(url, stream).map_err(|e| e.to_string())?;
    say(&mut socket, first)?;
    match hear(&mut socket)? {
        RoomServerMessage::Welcome { .. } => Ok(socket),
        other => Err(format!("expected a welcome, got {other:?}")),
    }
}

fn say(socket: &mut Socket, message: &RoomClientMessage) -> Result<(), String> {
    let json = serde_json::to_string(message).expect("messages serialise");
    socket.send(Message::text(json)).map_err(|e| e.to_string())
}

fn hear(socket: &mut Socket) -> Result<RoomServerMessage, String> {
    loop {
        match socket.read().map_err(|e| e.to_string())? {
            Message::Text(text) => return serde_json::from_str(&text).map_err(|e| e.to_string()),
            Message::Close(_) => return Err("the server closed the socket".into()),
            _ => continue,
        }
    }
}

/// What each move's send and receipts were, shared by the teacher and the students.
struct Clock {
    sent: Mutex<Vec<Option<Instant>>>,
    heard: Mutex<Vec<Duration>>,
    /// How many students heard the move with this sequence number.
    count: Vec<AtomicUsize>,
}

fn measure(server: &RoomServer) -> Result<(), Failure> {
    let addr = server.addr;
    let before_rooms = server.resident_mib()?;
    let room = create_room(addr)?;
    let clock = Arc::new(Clock {
        sent: Mutex::new(vec![None; MOVES + 1]),
        heard: Mutex::new(Vec::with_capacity(STUDENTS * MOVES)),
        count: (0..=MOVES).map(|_| AtomicUsize::new(0)).collect(),
    });
    let before_students = server.resident_mib()?;
    let ready = Arc::new(Barrier::new(STUDENTS + 1));
    let students = step(&format!("{STUDENTS} students join one room"), || {
        let mut handles = Vec::new();
        for n in 0..STUDENTS {
            let code = room.code.clone();
            let clock = Arc::clone(&clock);
            let ready = Arc::clone(&ready);
            handles.push(std::thread::spawn(move || -> Result<(), String> {
                let join = RoomClientMessage::JoinStudent {
                    student: format!("bench-student-{n:04}"),
                    name: Some(format!("Student {n}")),
                };
                let connected = connect(addr, &code, &join);
                ready.wait();
                let mut socket = connected?;
                loop {
                    match hear(&mut socket)? {
                        RoomServerMessage::Goto { seq, .. } => {
                            let at = Instant::now();
                            let seq = seq as usize;
                            let sent = clock.sent.lock().unwrap()[seq];
                            if let Some(sent) = sent {
                                clock.heard.lock().unwrap().push(at - sent);
                            }
                            clock.count[seq].fetch_add(1, Ordering::SeqCst);
                            if seq == MOVES {
                                return Ok(());
                            }
                        }
                        RoomServerMessage::Closed { message, .. } => return Err(message),
                        _ => {}
                    }
                }
            }));
        }
        ready.wait();
        Ok(handles)
    })?;
    let after_students = server.resident_mib()?;
    // The teacher comes in once the class sat down: a socket that reads nothing while 200
    // rosters arrive would fall behind (this one reads only between its moves).
    let teacher_join = RoomClientMessage::JoinTeacher {
        secret: room.teacher_secret.clone(),
    };
    let mut teacher = connect(addr, &room.code, &teacher_join)
        .map_err(|e| Failure::new(format!("teacher: {e}")))?;
    step(&format!("The teacher moves {MOVES} times"), || {
        for seq in 1..=MOVES {
            let goto = RoomClientMessage::Goto {
                position: Position {
                    chapter: "bench".into(),
                    slide: seq as u32,
                    anchor: format!("slide-{seq}"),
                },
                exercise: None,
            };
            clock.sent.lock().unwrap()[seq] = Some(Instant::now());
            say(&mut teacher, &goto).map_err(|e| Failure::new(format!("teacher: {e}")))?;
            let until = Instant::now() + Duration::from_secs(10);
            while clock.count[seq].load(Ordering::SeqCst) < STUDENTS && Instant::now() < until {
                std::thread::sleep(Duration::from_micros(200));
            }
            // Read what the teacher's socket was sent meanwhile (rosters, its own move).
            teacher
                .get_mut()
                .set_read_timeout(Some(Duration::from_millis(1)))
                .ok();
            while teacher.read().is_ok() {}
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    })?;
    let mut failures = Vec::new();
    for handle in students {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failures.push(e),
            Err(_) => failures.push("a student thread panicked".into()),
        }
    }
    let mut latencies: Vec<f64> = clock
        .heard
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);

    let rooms_before = server.resident_mib()?;
    step(&format!("Opening {ROOMS} more rooms"), || {
        for _ in 0..ROOMS {
            create_room(addr)?;
        }
        Ok(())
    })?;
    let rooms_after = server.resident_mib()?;

    println!();
    println!(
        "Follow latency, teacher's send to a student's receipt ({STUDENTS} students, {MOVES} moves):"
    );
    println!(
        "    {} receipts, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {} student(s) failed{}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0.0),
        failures.len(),
        failures
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    println!("Server memory (resident set):");
    println!("    at start {before_rooms:.1} MiB");
    println!(
        "    {STUDENTS} students joining one room: {before_students:.1} -> {after_students:.1} MiB ({:.1} KiB per student)",
        (after_students - before_students) * 1024.0 / STUDENTS as f64
    );
    println!(
        "    {ROOMS} empty rooms: {rooms_before:.1} -> {rooms_after:.1} MiB ({:.1} KiB per room)",
        (rooms_after - rooms_before) * 1024.0 / ROOMS as f64
    );
    Ok(())
}

fn percentile(sorted: &[f64], quantile: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}
